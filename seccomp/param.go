package seccomp

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// Placeholders CompileParam compiles with: the ends of the 32-bit range
// (0 is avoided, callers give it meanings such as "this process"), so that
// a layout that depended on how the parameter orders against the other
// constants (a binary search over values) would differ between the two and
// be refused.
const (
	paramLo uint32 = 1
	paramHi uint32 = 0xfffffffe
)

// ParamProgram is a compiled program with one 32-bit parameter: the value
// of some argument equalities, such as the pid of pledge's "to itself"
// conditions (kill, tgkill, prlimit64 of the process itself), which is
// known only once the process exists. Program(v) gives the program for v by
// rewriting the K field of the comparing instructions (slots), which costs
// a copy instead of a compilation.
//
// CompileParam proves the rewrite safe from the program itself: every slot
// is a "jeq K" that only its preceding "ld" of a syscall argument word
// reaches, so it tests exactly "argument word == v" and nothing else in
// the program depends on v.
type ParamProgram struct {
	prog  Program // compiled with paramLo
	slots []int
}

// CompileParam compiles build(v) for two placeholder values of the
// parameter v and derives the slots from where the programs differ. It
// fails (and the caller compiles per value instead) unless the two
// programs have the same length and differ only in the K of instructions
// that are each a BPF_JMP|BPF_JEQ|BPF_K holding the placeholder, preceded
// by a BPF_LD|BPF_W|BPF_ABS of a word of seccomp_data.args, and targeted
// by no jump (so A holds that argument word whenever the slot runs).
//
// The two compilations run concurrently (build must allow it): the pledge
// command waits for its filter at its program's first stop.
func CompileParam(build func(v uint32) (*Filter, error)) (*ParamProgram, error) {
	var progs [2]Program
	var errs [2]error
	var wg sync.WaitGroup
	for i, v := range []uint32{paramLo, paramHi} {
		wg.Go(func() {
			f, err := build(v)
			if err == nil {
				progs[i], err = f.Compile()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	lo, hi := progs[0], progs[1]
	if len(lo) != len(hi) {
		return nil, fmt.Errorf("seccomp: parameterized program: %d instructions with %#x, %d with %#x: the layout depends on the value: %w",
			len(lo), paramLo, len(hi), paramHi, unix.EINVAL)
	}
	targeted := make([]bool, len(lo))
	for pc := range lo {
		if lo[pc].Code&0x07 == unix.BPF_JMP {
			for _, s := range lo.successors(pc) {
				if s != pc+1 && s < len(targeted) {
					targeted[s] = true
				}
			}
		}
	}
	p := &ParamProgram{prog: lo}
	for pc := range lo {
		a, b := lo[pc], hi[pc]
		if a == b {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("seccomp: parameterized program: instruction %d (%s): %s: %w", pc, lo.insString(pc), why, unix.EINVAL)
		}
		switch {
		case a.Code != b.Code || a.Jt != b.Jt || a.Jf != b.Jf:
			return nil, bad("the layout depends on the value")
		case a.Code != unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K || a.K != paramLo || b.K != paramHi:
			return nil, bad("not an equality with the parameter")
		case pc == 0 || lo[pc-1].Code != unix.BPF_LD|unix.BPF_W|unix.BPF_ABS || lo[pc-1].K < offArgs:
			return nil, bad("not preceded by the load of an argument")
		case targeted[pc]:
			return nil, bad("reached by a jump, A may not hold the argument")
		}
		p.slots = append(p.slots, pc)
	}
	return p, nil
}

// Slots returns the indices of the instructions whose K is the parameter.
func (p *ParamProgram) Slots() []int { return slices.Clone(p.slots) }

// Program returns the program for parameter value v: a copy of the
// compiled program with K = v in every slot.
func (p *ParamProgram) Program(v uint32) Program {
	out := slices.Clone(p.prog)
	for _, pc := range p.slots {
		out[pc].K = v
	}
	return out
}

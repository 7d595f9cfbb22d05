package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// label names a jump target; the assembler turns labels into offsets.
type label int

// asmIns is an instruction whose jump targets are still labels.
type asmIns struct {
	code   uint16
	k      uint32
	jt, jf label // BPF_JMP conditional jumps
	ja     label // BPF_JMP|BPF_JA
}

// assembler collects instructions with symbolic forward jumps. Classic BPF
// only jumps forward, and a conditional jump reaches at most 255
// instructions ahead (jt and jf are u8); assemble inserts trampolines
// where a target is farther.
//
// It is ours rather than go-seccomp-bpf's Program because that one cannot
// emit BPF_ALU|BPF_AND (needed for masked compares) and turns every
// SECCOMP_RET_ERRNO into EPERM.
type assembler struct {
	ins []asmIns
	at  []int // label -> index of the instruction it marks, -1 while unset
}

func newAssembler() *assembler { return &assembler{at: []int{-1}} } // label 0 is never used

func (a *assembler) newLabel() label { a.at = append(a.at, -1); return label(len(a.at) - 1) }

// set makes l mark the next instruction emitted.
func (a *assembler) set(l label) { a.at[l] = len(a.ins) }

func (a *assembler) stmt(code uint16, k uint32) { a.ins = append(a.ins, asmIns{code: code, k: k}) }

// ld loads the 32-bit word at offset off of seccomp_data into A.
func (a *assembler) ld(off uint32) { a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off) }

// jump emits "if A <op> k goto jt else goto jf" (op is BPF_JEQ, BPF_JGT,
// BPF_JGE or BPF_JSET).
func (a *assembler) jump(op uint16, k uint32, jt, jf label) {
	a.ins = append(a.ins, asmIns{code: unix.BPF_JMP | op | unix.BPF_K, k: k, jt: jt, jf: jf})
}

func (a *assembler) ret(act Action) { a.stmt(unix.BPF_RET|unix.BPF_K, uint32(act)) }

func isCondJump(code uint16) bool {
	return code&0x07 == unix.BPF_JMP && code&0xf0 != unix.BPF_JA
}

// assemble resolves labels. A conditional jump whose target lies more than
// 255 instructions ahead gets a trampoline right after it: a copy of the
// target when that is a return or a jump (saving one step), else a BPF_JA
// (32-bit offset). Nothing falls through from a conditional jump, so the
// insertion changes no other path; it lengthens other jumps though, so
// repeat until none is too long.
func (a *assembler) assemble() ([]unix.SockFilter, error) {
	for l, at := range a.at {
		if at >= len(a.ins) {
			return nil, fmt.Errorf("seccomp: internal error: label %d marks the end of the program", l)
		}
		if at < 0 && l != 0 {
			return nil, fmt.Errorf("seccomp: internal error: label %d never set", l)
		}
	}
	type tramp struct {
		in asmIns
		l  label
	}
	for {
		// tramps[i]: trampolines to place right after instruction i.
		tramps := map[int][]tramp{}
		for i := range a.ins {
			if !isCondJump(a.ins[i].code) {
				continue
			}
			for _, target := range []*label{&a.ins[i].jt, &a.ins[i].jf} {
				to := a.at[*target]
				if to <= i {
					return nil, fmt.Errorf("seccomp: internal error: jump at %d to unset or backward label %d", i, *target)
				}
				if to-i-1 <= 0xff {
					continue
				}
				t := tramp{in: asmIns{code: unix.BPF_JMP | unix.BPF_JA, ja: *target}, l: a.newLabel()}
				if dest := a.ins[to]; dest.code&0x07 == unix.BPF_RET || dest.code == unix.BPF_JMP|unix.BPF_JA {
					t.in = dest
				}
				*target = t.l
				tramps[i] = append(tramps[i], t)
			}
		}
		if len(tramps) == 0 {
			break
		}
		moved := make([]int, len(a.ins))
		ins := make([]asmIns, 0, len(a.ins)+2*len(tramps))
		for i, in := range a.ins {
			moved[i] = len(ins)
			ins = append(ins, in)
			for _, t := range tramps[i] {
				ins = append(ins, t.in)
			}
		}
		for l, at := range a.at {
			if at >= 0 {
				a.at[l] = moved[at]
			}
		}
		// Trampoline labels mark the instruction after their jump.
		for i, ts := range tramps {
			for k, t := range ts {
				a.at[t.l] = moved[i] + 1 + k
			}
		}
		a.ins = ins
	}
	out := make([]unix.SockFilter, len(a.ins))
	for i, in := range a.ins {
		out[i] = unix.SockFilter{Code: in.code, K: in.k}
		switch {
		case isCondJump(in.code):
			out[i].Jt = uint8(a.at[in.jt] - i - 1)
			out[i].Jf = uint8(a.at[in.jf] - i - 1)
		case in.code == unix.BPF_JMP|unix.BPF_JA:
			to := a.at[in.ja]
			if to <= i {
				return nil, fmt.Errorf("seccomp: internal error: ja at %d to unset or backward label %d", i, in.ja)
			}
			out[i].K = uint32(to - i - 1)
		}
	}
	return out, nil
}

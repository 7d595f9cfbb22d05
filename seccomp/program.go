package seccomp

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Program is a classic-BPF seccomp program, ready for Load.
type Program []unix.SockFilter

// Classic BPF opcodes seccomp accepts (kernel/seccomp.c
// seccomp_check_filter; anything else is EINVAL), with their mnemonics.
var opcodes = map[uint16]string{
	unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:   "ld",
	unix.BPF_LD | unix.BPF_W | unix.BPF_LEN:   "ld len",
	unix.BPF_LDX | unix.BPF_W | unix.BPF_LEN:  "ldx len",
	unix.BPF_RET | unix.BPF_K:                 "ret",
	unix.BPF_RET | unix.BPF_A:                 "ret a",
	unix.BPF_ALU | unix.BPF_ADD | unix.BPF_K:  "add",
	unix.BPF_ALU | unix.BPF_ADD | unix.BPF_X:  "add x",
	unix.BPF_ALU | unix.BPF_SUB | unix.BPF_K:  "sub",
	unix.BPF_ALU | unix.BPF_SUB | unix.BPF_X:  "sub x",
	unix.BPF_ALU | unix.BPF_MUL | unix.BPF_K:  "mul",
	unix.BPF_ALU | unix.BPF_MUL | unix.BPF_X:  "mul x",
	unix.BPF_ALU | unix.BPF_DIV | unix.BPF_K:  "div",
	unix.BPF_ALU | unix.BPF_DIV | unix.BPF_X:  "div x",
	unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:  "and",
	unix.BPF_ALU | unix.BPF_AND | unix.BPF_X:  "and x",
	unix.BPF_ALU | unix.BPF_OR | unix.BPF_K:   "or",
	unix.BPF_ALU | unix.BPF_OR | unix.BPF_X:   "or x",
	unix.BPF_ALU | unix.BPF_XOR | unix.BPF_K:  "xor",
	unix.BPF_ALU | unix.BPF_XOR | unix.BPF_X:  "xor x",
	unix.BPF_ALU | unix.BPF_LSH | unix.BPF_K:  "lsh",
	unix.BPF_ALU | unix.BPF_LSH | unix.BPF_X:  "lsh x",
	unix.BPF_ALU | unix.BPF_RSH | unix.BPF_K:  "rsh",
	unix.BPF_ALU | unix.BPF_RSH | unix.BPF_X:  "rsh x",
	unix.BPF_ALU | unix.BPF_NEG:               "neg",
	unix.BPF_LD | unix.BPF_IMM:                "ld imm",
	unix.BPF_LDX | unix.BPF_IMM:               "ldx imm",
	unix.BPF_MISC | unix.BPF_TAX:              "tax",
	unix.BPF_MISC | unix.BPF_TXA:              "txa",
	unix.BPF_LD | unix.BPF_MEM:                "ld mem",
	unix.BPF_LDX | unix.BPF_MEM:               "ldx mem",
	unix.BPF_ST:                               "st",
	unix.BPF_STX:                              "stx",
	unix.BPF_JMP | unix.BPF_JA:                "ja",
	unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:  "jeq",
	unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_X:  "jeq x",
	unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:  "jge",
	unix.BPF_JMP | unix.BPF_JGE | unix.BPF_X:  "jge x",
	unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:  "jgt",
	unix.BPF_JMP | unix.BPF_JGT | unix.BPF_X:  "jgt x",
	unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K: "jset",
	unix.BPF_JMP | unix.BPF_JSET | unix.BPF_X: "jset x",
}

// opcodeTable is opcodes indexed by code for Check's hot loop (classic
// BPF codes fit in 8 bits).
var opcodeTable = func() (t [256]string) {
	for code, name := range opcodes {
		t[code] = name
	}
	return t
}()

// opName returns the mnemonic of code, or false outside seccomp's set.
func opName(code uint16) (string, bool) {
	if code >= uint16(len(opcodeTable)) || opcodeTable[code] == "" {
		return "", false
	}
	return opcodeTable[code], true
}

// memWords is BPF_MEMWORDS, the scratch memory cells M[0..15].
const memWords = 16

// Check applies the kernel's static checks (net/core/filter.c
// bpf_check_classic and kernel/seccomp.c seccomp_check_filter): 1 to
// BPF_MAXINSNS instructions, only seccomp's opcodes, loads aligned and
// inside seccomp_data, no division by constant 0 or shift by 32 or more,
// jumps inside the program, scratch memory written before it is read on
// every path, and a return last. A program failing Check gets EINVAL from
// Load.
func (p Program) Check() error {
	n := len(p)
	if n == 0 || n > MaxInsns {
		return fmt.Errorf("seccomp: program has %d instructions, want 1..%d", n, MaxInsns)
	}
	if p[n-1].Code&0x07 != unix.BPF_RET {
		return fmt.Errorf("seccomp: last instruction %d is not a return", n-1)
	}
	// memValid[pc]: scratch cells written on every path reaching pc.
	memValid := make([]uint16, n)
	for i := 1; i < n; i++ {
		memValid[i] = 0xffff
	}
	for pc, in := range p {
		bad := func(why string) error {
			return fmt.Errorf("seccomp: instruction %d (%s): %s", pc, p.insString(pc), why)
		}
		if _, ok := opName(in.Code); !ok {
			return bad("opcode not allowed in seccomp filters")
		}
		valid := memValid[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K >= dataSize || in.K&3 != 0 {
				return bad("load outside seccomp_data or unaligned")
			}
		case unix.BPF_ALU | unix.BPF_DIV | unix.BPF_K:
			if in.K == 0 {
				return bad("division by 0")
			}
		case unix.BPF_ALU | unix.BPF_LSH | unix.BPF_K, unix.BPF_ALU | unix.BPF_RSH | unix.BPF_K:
			if in.K >= 32 {
				return bad("shift by 32 or more")
			}
		case unix.BPF_LD | unix.BPF_MEM, unix.BPF_LDX | unix.BPF_MEM:
			if in.K >= memWords {
				return bad("scratch cell out of range")
			}
			if valid&(1<<in.K) == 0 {
				return bad("scratch cell read before written")
			}
		case unix.BPF_ST, unix.BPF_STX:
			if in.K >= memWords {
				return bad("scratch cell out of range")
			}
			valid |= 1 << in.K
		case unix.BPF_JMP | unix.BPF_JA:
			if uint64(in.K) >= uint64(n-pc-1) {
				return bad("jump beyond the end")
			}
		}
		for _, s := range p.successors(pc) {
			if s >= n {
				return bad("jump beyond the end")
			}
			memValid[s] &= valid
		}
	}
	return nil
}

// successors lists the instructions that may run after pc.
func (p Program) successors(pc int) []int {
	in := p[pc]
	switch {
	case in.Code&0x07 == unix.BPF_RET:
		return nil
	case in.Code == unix.BPF_JMP|unix.BPF_JA:
		return []int{pc + 1 + int(in.K)}
	case in.Code&0x07 == unix.BPF_JMP:
		return []int{pc + 1 + int(in.Jt), pc + 1 + int(in.Jf)}
	}
	return []int{pc + 1}
}

// bytes lays d out as the kernel does on a little-endian ABI (both
// supported ones), which is what BPF_LD|BPF_W|BPF_ABS reads.
func (d Data) bytes() [dataSize]byte {
	var b [dataSize]byte
	le := binary.LittleEndian
	le.PutUint32(b[offNr:], uint32(d.Nr))
	le.PutUint32(b[offArch:], d.Arch)
	le.PutUint64(b[8:], d.IP)
	for i, a := range d.Args {
		le.PutUint64(b[offArgs+8*i:], a)
	}
	return b
}

// Run interprets p for one syscall in user space, as the kernel would:
// it returns the action and how many instructions ran. It fails when p
// fails Check.
func (p Program) Run(d Data) (Action, int, error) {
	if err := p.Check(); err != nil {
		return 0, 0, err
	}
	return p.run(d)
}

// RunEach is Run for many syscalls: it checks p once, then interprets it
// for each of ds as Run does, returning the actions in order.
func (p Program) RunEach(ds []Data) ([]Action, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	acts := make([]Action, len(ds))
	for i, d := range ds {
		act, _, err := p.run(d)
		if err != nil {
			return nil, err
		}
		acts[i] = act
	}
	return acts, nil
}

// run interprets a program that passed Check.
func (p Program) run(d Data) (Action, int, error) {
	data := d.bytes()
	var a, x uint32
	var mem [memWords]uint32
	steps := 0
	for pc := 0; pc < len(p); pc++ {
		steps++
		in := p[pc]
		src := in.K
		if in.Code&unix.BPF_X != 0 && (in.Code&0x07 == unix.BPF_ALU || in.Code&0x07 == unix.BPF_JMP) {
			src = x
		}
		switch class := in.Code & 0x07; {
		case in.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_ABS:
			a = binary.LittleEndian.Uint32(data[in.K:])
		case in.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_LEN:
			a = dataSize
		case in.Code == unix.BPF_LDX|unix.BPF_W|unix.BPF_LEN:
			x = dataSize
		case in.Code == unix.BPF_LD|unix.BPF_IMM:
			a = in.K
		case in.Code == unix.BPF_LDX|unix.BPF_IMM:
			x = in.K
		case in.Code == unix.BPF_LD|unix.BPF_MEM:
			a = mem[in.K]
		case in.Code == unix.BPF_LDX|unix.BPF_MEM:
			x = mem[in.K]
		case in.Code == unix.BPF_ST:
			mem[in.K] = a
		case in.Code == unix.BPF_STX:
			mem[in.K] = x
		case in.Code == unix.BPF_MISC|unix.BPF_TAX:
			x = a
		case in.Code == unix.BPF_MISC|unix.BPF_TXA:
			a = x
		case in.Code == unix.BPF_RET|unix.BPF_K:
			return Action(in.K), steps, nil
		case in.Code == unix.BPF_RET|unix.BPF_A:
			return Action(a), steps, nil
		case in.Code == unix.BPF_ALU|unix.BPF_NEG:
			a = -a
		case class == unix.BPF_ALU:
			if in.Code&0xf0 == unix.BPF_DIV && src == 0 {
				// bpf_convert_filter: division by X == 0 ends the
				// filter with 0 (SECCOMP_RET_KILL_THREAD).
				return 0, steps, nil
			}
			a = aluOps[in.Code&0xf0](a, src)
		case in.Code == unix.BPF_JMP|unix.BPF_JA:
			pc += int(in.K)
		case class == unix.BPF_JMP:
			if jumpTests[in.Code&0xf0](a, src) {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		}
	}
	// Check guarantees a return on every path.
	return 0, steps, fmt.Errorf("seccomp: internal error: ran off the end")
}

// aluOps are the BPF_ALU operations on A with K or X (32-bit unsigned).
var aluOps = map[uint16]func(a, v uint32) uint32{
	unix.BPF_ADD: func(a, v uint32) uint32 { return a + v },
	unix.BPF_SUB: func(a, v uint32) uint32 { return a - v },
	unix.BPF_MUL: func(a, v uint32) uint32 { return a * v },
	unix.BPF_DIV: func(a, v uint32) uint32 { return a / v },
	unix.BPF_AND: func(a, v uint32) uint32 { return a & v },
	unix.BPF_OR:  func(a, v uint32) uint32 { return a | v },
	unix.BPF_XOR: func(a, v uint32) uint32 { return a ^ v },
	// eBPF, which classic filters are converted to, masks 32-bit
	// shift counts to 5 bits.
	unix.BPF_LSH: func(a, v uint32) uint32 { return a << (v & 31) },
	unix.BPF_RSH: func(a, v uint32) uint32 { return a >> (v & 31) },
}

// jumpTests are the conditions of BPF_JEQ, BPF_JGT, BPF_JGE and BPF_JSET
// (unsigned 32-bit), shared by Run and the constant-action emulation.
var jumpTests = map[uint16]func(a, v uint32) bool{
	unix.BPF_JEQ:  func(a, v uint32) bool { return a == v },
	unix.BPF_JGT:  func(a, v uint32) bool { return a > v },
	unix.BPF_JGE:  func(a, v uint32) bool { return a >= v },
	unix.BPF_JSET: func(a, v uint32) bool { return a&v != 0 },
}

// constWalk follows p for syscall nr of arch the way kernel/seccomp.c
// seccomp_is_const_allow does at attach time: only nr and arch are known,
// and the walk gives up at any other load or any instruction outside
// ld/ret K/ja/jeq/jgt/jge/jset K/and K. It returns the action when a
// return was reached (ok), the instructions run, and where it stopped.
func (p Program) constWalk(arch Arch, nr uint32) (act Action, steps, stop int, ok bool) {
	var reg uint32
	for pc := 0; pc < len(p); pc++ {
		steps++
		in := p[pc]
		switch {
		case in.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_ABS && in.K == offNr:
			reg = nr
		case in.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_ABS && in.K == offArch:
			reg = arch.AuditArch
		case in.Code == unix.BPF_RET|unix.BPF_K:
			return Action(in.K), steps, pc, true
		case in.Code == unix.BPF_JMP|unix.BPF_JA:
			pc += int(in.K)
		case in.Code&0x0f == unix.BPF_JMP|unix.BPF_K && jumpTests[in.Code&0xf0] != nil:
			if jumpTests[in.Code&0xf0](reg, in.K) {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case in.Code == unix.BPF_ALU|unix.BPF_AND|unix.BPF_K:
			reg &= in.K
		default:
			return 0, steps - 1, pc, false
		}
	}
	return 0, steps, len(p), false
}

// ConstantAction reports the action p returns for syscall nr of arch
// whatever its arguments and instruction pointer, as the kernel's
// constant-action emulation (seccomp_is_const_allow, Linux 5.11+) decides
// it at attach time. The kernel caches only ALLOW results: those numbers
// skip BPF altogether afterwards. ok is false when the path loads anything
// but nr and arch (or uses an instruction the emulation does not know).
func (p Program) ConstantAction(arch Arch, nr uint32) (Action, bool) {
	act, _, _, ok := p.constWalk(arch, nr)
	return act, ok
}

// PathLen measures the path of syscall nr of arch: dispatch is the number
// of instructions run before the first argument load (or up to and
// including the return, for a constant action), worst the longest path
// any arguments can take.
func (p Program) PathLen(arch Arch, nr uint32) (dispatch, worst int) {
	_, steps, stop, ok := p.constWalk(arch, nr)
	if ok {
		return steps, steps
	}
	return steps, steps + p.longest()[stop]
}

// longest[pc] is the most instructions any path from pc runs, itself
// included. Jumps only go forward, so one backward sweep suffices.
func (p Program) longest() []int {
	l := make([]int, len(p)+1)
	for pc := len(p) - 1; pc >= 0; pc-- {
		best := 0
		for _, s := range p.successors(pc) {
			if s < len(l) && l[s] > best {
				best = l[s]
			}
		}
		l[pc] = 1 + best
	}
	return l[:len(p)]
}

// Stats summarizes a program's shape for the numbers 0..arch.MaxNr.
type Stats struct {
	Insns        int     // instructions in the program
	Constant     int     // numbers whose action does not depend on arguments
	ConstAllow   int     // of those, numbers the kernel caches as ALLOW
	MaxDispatch  int     // most instructions before a return or argument load
	MeanDispatch float64 // average of the same over all numbers
	MaxPath      int     // longest path through the program
}

// Stats measures p over every number its table knows.
func (p Program) Stats(arch Arch) Stats {
	s := Stats{Insns: len(p)}
	sum := 0
	for nr := uint64(0); nr <= uint64(arch.MaxNr); nr++ {
		act, steps, _, ok := p.constWalk(arch, uint32(nr))
		if ok {
			s.Constant++
			if act == ActAllow {
				s.ConstAllow++
			}
		}
		sum += steps
		s.MaxDispatch = max(s.MaxDispatch, steps)
	}
	s.MeanDispatch = float64(sum) / (float64(arch.MaxNr) + 1)
	if len(p) > 0 {
		s.MaxPath = p.longest()[0]
	}
	return s
}

// String disassembles p, one instruction per line, jump targets absolute.
func (p Program) String() string {
	var b strings.Builder
	for pc := range p {
		fmt.Fprintf(&b, "%4d: %s\n", pc, p.insString(pc))
	}
	return b.String()
}

func (p Program) insString(pc int) string {
	in := p[pc]
	name, ok := opName(in.Code)
	if !ok {
		return fmt.Sprintf("unknown code=%#x jt=%d jf=%d k=%#x", in.Code, in.Jt, in.Jf, in.K)
	}
	class := in.Code & 0x07
	switch {
	case in.Code == unix.BPF_LD|unix.BPF_W|unix.BPF_ABS:
		return fmt.Sprintf("ld [%d]", in.K)
	case in.Code == unix.BPF_RET|unix.BPF_K:
		return "ret " + Action(in.K).String()
	case in.Code == unix.BPF_JMP|unix.BPF_JA:
		return fmt.Sprintf("ja %d", pc+1+int(in.K))
	case class == unix.BPF_JMP:
		return fmt.Sprintf("%s %#x, %d, %d", name, in.K, pc+1+int(in.Jt), pc+1+int(in.Jf))
	case in.Code&unix.BPF_X != 0 && class == unix.BPF_ALU, in.Code == unix.BPF_RET|unix.BPF_A,
		in.Code&0xf0 == unix.BPF_LEN, class == unix.BPF_MISC, in.Code == unix.BPF_ALU|unix.BPF_NEG:
		return name
	}
	return fmt.Sprintf("%s %#x", name, in.K)
}

package seccomp

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// oracle is the filter semantics stated directly, independent of both
// the compiler and Filter.Decide.
func oracle(f *Filter, d Data) Action {
	if d.Arch != f.Arch.AuditArch {
		return f.BadArch
	}
	nr := uint32(d.Nr)
	if f.Arch.X32Bit != 0 && nr >= f.Arch.X32Bit {
		return f.BadArch
	}
	if nr > f.Arch.MaxNr {
		return f.Unknown
	}
rules:
	for _, r := range f.Rules {
		if r.Nr != nr {
			continue
		}
		for _, c := range r.Conds {
			a, m, v := d.Args[c.Arg], c.Mask, c.Val
			if c.Width == Word32 {
				a, m, v = uint64(uint32(a)), uint64(uint32(m)), uint64(uint32(v))
			}
			ok := map[Op]bool{Eq: a == v, Ne: a != v, Lt: a < v, Le: a <= v, Gt: a > v, Ge: a >= v,
				MaskedEq: a&m == v, MaskedNe: a&m != v}[c.Op]
			if !ok {
				continue rules
			}
		}
		return r.Action
	}
	return f.Default
}

// condIsConstant says whether no argument value changes c's outcome, and
// that outcome: orderings are monotone, so the extremes decide; a masked
// equality sees every submask of the mask.
func condIsConstant(c Cond) (constant, value bool) {
	max := ^uint64(0)
	if c.Width == Word32 {
		max = 0xffffffff
	}
	switch c.Op {
	case Lt, Le, Gt, Ge:
		return c.Holds(0) == c.Holds(max), c.Holds(0)
	case MaskedEq, MaskedNe:
		m, v := c.Mask&max, c.Val&max
		if m == 0 || v&^m != 0 {
			return true, c.Holds(0)
		}
	case Eq, Ne:
		if c.Val&^max != 0 { // Word32 ignores high bits of Val: never constant
			return false, false
		}
	}
	return false, false
}

// wantConstant says whether nr's action cannot depend on the arguments:
// the first rule that can match at all must match always.
func wantConstant(f *Filter, nr uint32) bool {
	for _, r := range f.Rules {
		if r.Nr != nr {
			continue
		}
		always, never := true, false
		for _, c := range r.Conds {
			k, v := condIsConstant(c)
			always = always && k && v
			never = never || (k && !v)
		}
		if never {
			continue
		}
		return always
	}
	return true
}

// interesting values sit on the boundaries the BPF code splits at.
var interesting = []uint64{0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	1 << 32, 1<<32 + 1, 0xffffffff00000000, 0x7fffffffffffffff, 0x8000000000000000, ^uint64(0) - 1, ^uint64(0)}

func randVal(r *rand.Rand) uint64 {
	switch r.IntN(5) {
	case 0:
		return r.Uint64()
	case 1:
		return uint64(r.Uint32())
	case 2:
		return uint64(r.IntN(8))<<32 | uint64(r.IntN(8))
	case 3:
		return 1 << r.IntN(64)
	}
	return interesting[r.IntN(len(interesting))]
}

func randMask(r *rand.Rand) uint64 {
	switch r.IntN(6) {
	case 0:
		return 0
	case 1:
		return 1 << r.IntN(64)
	case 2:
		return ^uint64(0)
	case 3:
		return 0xffffffff00000000 | uint64(r.Uint32())
	}
	return r.Uint64()
}

var testActions = []Action{ActAllow, ActAllow, ActErrno(unix.EPERM), ActErrno(unix.ENOSYS), ActKillProcess, ActTrap, ActLog, ActUserNotif, ActTrace(5), ActKillThread}

func randCond(r *rand.Rand) Cond {
	c := Cond{Arg: uint8(r.IntN(6)), Width: Width(1 + r.IntN(2)), Op: Op(1 + r.IntN(8)), Val: randVal(r)}
	if c.Op == MaskedEq || c.Op == MaskedNe {
		c.Mask = randMask(r)
		if r.IntN(3) > 0 { // mostly satisfiable: Val inside Mask
			c.Val &= c.Mask
		}
	}
	return c
}

func randFilter(r *rand.Rand) *Filter {
	arch := []Arch{AMD64, ARM64}[r.IntN(2)]
	if r.IntN(4) > 0 {
		arch.MaxNr = uint32(1 + r.IntN(80)) // dense tables exercise the tree
	}
	f := &Filter{Arch: arch, Default: testActions[r.IntN(len(testActions))],
		Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess}
	if r.IntN(3) == 0 {
		f.Unknown, f.BadArch = ActErrno(unix.EDOM), ActErrno(unix.EXDEV)
	}
	for range r.IntN(60) {
		nr := uint32(r.IntN(int(arch.MaxNr) + 1))
		if r.IntN(8) == 0 {
			// A request list: a run of 32-bit equalities on one argument,
			// some values repeated with another action (first wins).
			arg := uint8(r.IntN(6))
			for range 2 + r.IntN(14) {
				v := uint64(0x5400+r.IntN(24)) | r.Uint64()<<32*uint64(r.IntN(2))
				f.Rules = append(f.Rules, Rule{Nr: nr, Action: testActions[r.IntN(len(testActions))],
					Conds: []Cond{{Arg: arg, Width: Word32, Op: Eq, Val: v}}})
			}
		}
		for range 1 + r.IntN(3) {
			rule := Rule{Nr: nr, Action: testActions[r.IntN(len(testActions))]}
			for range r.IntN(4) {
				rule.Conds = append(rule.Conds, randCond(r))
			}
			f.Rules = append(f.Rules, rule)
		}
	}
	// Hot numbers: some with rules, some without, some repeated, some
	// beyond the table.
	for range r.IntN(4) {
		switch {
		case len(f.Rules) > 0 && r.IntN(3) > 0:
			f.Hot = append(f.Hot, f.Rules[r.IntN(len(f.Rules))].Nr)
		default:
			f.Hot = append(f.Hot, uint32(r.IntN(int(arch.MaxNr)+10)))
		}
	}
	return f
}

// randData aims at the filter's own numbers and condition boundaries.
func randData(r *rand.Rand, f *Filter) Data {
	d := Data{Arch: f.Arch.AuditArch, IP: r.Uint64()}
	switch r.IntN(10) {
	case 0:
		d.Arch = []uint32{unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_AARCH64, unix.AUDIT_ARCH_ARM, r.Uint32()}[r.IntN(5)]
	}
	switch n := r.IntN(10); {
	case n < 6 && len(f.Rules) > 0:
		d.Nr = int32(f.Rules[r.IntN(len(f.Rules))].Nr)
	case n == 6:
		d.Nr = int32(0x40000000 | r.IntN(600))
	case n == 7:
		d.Nr = int32(f.Arch.MaxNr) + int32(r.IntN(3)) - 1
	case n == 8:
		d.Nr = int32(r.Uint32())
	default:
		d.Nr = int32(r.IntN(int(f.Arch.MaxNr) + 2))
	}
	for i := range d.Args {
		d.Args[i] = randVal(r)
	}
	// Put arguments right at, just off and beside the tested values.
	for _, rule := range f.Rules {
		if rule.Nr != uint32(d.Nr) {
			continue
		}
		for _, c := range rule.Conds {
			if r.IntN(2) == 0 {
				continue
			}
			v := c.Val
			switch r.IntN(8) {
			case 0:
				v++
			case 1:
				v--
			case 2:
				v ^= 1 << 32 // same low half, other high half
			case 3:
				v = v&0xffffffff | r.Uint64()&^0xffffffff
			case 4:
				v = v&c.Mask | r.Uint64()&^c.Mask // same masked bits
			case 5:
				v ^= 1 << r.IntN(64)
			}
			d.Args[c.Arg] = v
		}
	}
	return d
}

// netVM prepares p for golang.org/x/net/bpf's interpreter, an
// independent implementation. It loads big-endian, so the returned
// function stores each word of seccomp_data big-endian.
func netVM(t testing.TB, p Program) func(Data) Action {
	t.Helper()
	ins := make([]bpf.Instruction, len(p))
	for i, s := range p {
		ins[i] = bpf.RawInstruction{Op: s.Code, Jt: s.Jt, Jf: s.Jf, K: s.K}.Disassemble()
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("x/net/bpf rejects the program: %v\n%v", err, p)
	}
	return func(d Data) Action {
		le := d.bytes()
		var be [dataSize]byte
		for i := 0; i < dataSize; i += 4 {
			binary.BigEndian.PutUint32(be[i:], binary.LittleEndian.Uint32(le[i:]))
		}
		out, err := vm.Run(be[:])
		if err != nil {
			t.Fatalf("x/net/bpf: %v", err)
		}
		return Action(uint32(out))
	}
}

// TestDifferential is the main correctness proof of Compile: random rule
// sets and random seccomp_data aimed at their boundaries, the compiled
// program (our interpreter and x/net/bpf's) against the plain semantics.
func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	filters, runs := 3000, 0
	if testing.Short() {
		filters = 300
	}
	for fi := range filters {
		f := randFilter(r)
		p, err := f.Compile()
		if err != nil {
			t.Fatalf("filter %d: %v", fi, err)
		}
		vm := netVM(t, p)
		for range 150 {
			d := randData(r, f)
			want := oracle(f, d)
			got, _, err := p.Run(d)
			if err != nil {
				t.Fatalf("filter %d: Run: %v", fi, err)
			}
			if got != want || f.Decide(d) != want {
				t.Fatalf("filter %d, data %+v: program %v, Decide %v, want %v\nrules %+v\n%v", fi, d, got, f.Decide(d), want, f.Rules, p)
			}
			if got := vm(d); got != want {
				t.Fatalf("filter %d, data %+v: x/net/bpf %v, want %v\n%v", fi, d, got, want, p)
			}
			runs++
		}
	}
	t.Logf("%d filters, %d syscalls agree", filters, runs)
}

// TestLongJumps: a filter far over 255 instructions needs trampolines
// for jumps the 8-bit offsets cannot reach; it must still be exact.
func TestLongJumps(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	f := &Filter{Arch: AMD64, Default: ActKillProcess, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess}
	for nr := range uint32(300) {
		f.Rules = append(f.Rules, Rule{Nr: nr * 3 / 2, Conds: []Cond{randCond(r), randCond(r)}, Action: testActions[r.IntN(len(testActions))]})
		if nr%7 == 0 {
			f.Rules = append(f.Rules, Rule{Nr: nr * 3 / 2, Action: ActAllow})
		}
	}
	p, err := f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	ja := 0
	for _, in := range p {
		if in.Code == unix.BPF_JMP|unix.BPF_JA {
			ja++
		}
	}
	if len(p) < 1000 || ja == 0 {
		t.Fatalf("%d instructions, %d BPF_JA: the test no longer exercises long jumps", len(p), ja)
	}
	vm := netVM(t, p)
	for range 50000 {
		d := randData(r, f)
		want := oracle(f, d)
		if got, _, _ := p.Run(d); got != want || vm(d) != want {
			t.Fatalf("data %+v: Run %v, x/net/bpf %v, want %v", d, got, vm(d), want)
		}
	}
	t.Logf("%d instructions, %d trampoline jumps; %+v", len(p), ja, p.Stats(f.Arch))
}

// TestConstantAction: exactly the numbers whose action cannot depend on
// arguments reach a return without loading any (what the kernel caches),
// and with the action the semantics give.
func TestConstantAction(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for fi := range 1000 {
		f := randFilter(r)
		p, err := f.Compile()
		if err != nil {
			t.Fatal(err)
		}
		for nr := uint32(0); nr <= f.Arch.MaxNr+2; nr++ {
			act, ok := p.ConstantAction(f.Arch, nr)
			want := wantConstant(f, nr)
			if ok != want {
				t.Fatalf("filter %d nr %d: constant %v, want %v (rules %+v)\n%v", fi, nr, ok, want, f.Rules, p)
			}
			if ok {
				d := randData(r, f)
				d.Nr, d.Arch = int32(nr), f.Arch.AuditArch
				if w := oracle(f, d); act != w {
					t.Fatalf("filter %d nr %d: constant %v, want %v", fi, nr, act, w)
				}
			}
		}
		if f.Arch.X32Bit != 0 {
			if act, ok := p.ConstantAction(f.Arch, f.Arch.X32Bit|1); !ok || act != f.BadArch {
				t.Fatalf("x32 number: %v %v, want constant %v", act, ok, f.BadArch)
			}
		}
		i386 := Arch{AuditArch: unix.AUDIT_ARCH_I386}
		if act, ok := p.ConstantAction(i386, 1); !ok || act != f.BadArch {
			t.Fatalf("foreign arch: %v %v, want constant %v", act, ok, f.BadArch)
		}
	}
}

// TestSpecialNumbers: foreign arch and x32 numbers get BadArch, numbers
// above the table Unknown, whatever the rules say.
func TestSpecialNumbers(t *testing.T) {
	f := &Filter{Arch: AMD64, Default: ActAllow, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess,
		Rules: []Rule{{Nr: 39, Action: ActErrno(unix.EPERM)}, {Nr: AMD64.MaxNr, Action: ActTrap}}}
	p, err := f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		arch uint32
		nr   int32
		want Action
	}{
		{unix.AUDIT_ARCH_X86_64, 39, ActErrno(unix.EPERM)},
		{unix.AUDIT_ARCH_X86_64, 0, ActAllow},
		{unix.AUDIT_ARCH_X86_64, int32(AMD64.MaxNr), ActTrap},
		{unix.AUDIT_ARCH_X86_64, int32(AMD64.MaxNr) + 1, ActErrno(unix.ENOSYS)},
		{unix.AUDIT_ARCH_X86_64, 0x3fffffff, ActErrno(unix.ENOSYS)},
		{unix.AUDIT_ARCH_X86_64, 0x40000000 | 39, ActKillProcess}, // x32 getpid
		{unix.AUDIT_ARCH_X86_64, 0x40000000, ActKillProcess},
		{unix.AUDIT_ARCH_X86_64, -1, ActKillProcess},
		{unix.AUDIT_ARCH_I386, 39, ActKillProcess}, // int 0x80: 39 is mkdir there
		{unix.AUDIT_ARCH_AARCH64, 39, ActKillProcess},
	}
	for _, c := range cases {
		got, _, err := p.Run(Data{Arch: c.arch, Nr: c.nr})
		if err != nil || got != c.want {
			t.Errorf("arch %#x nr %#x: %v %v, want %v", c.arch, c.nr, got, err, c.want)
		}
	}
	// arm64 has no x32 alias: big numbers are just unknown.
	f.Arch = ARM64
	p, err = f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := p.Run(Data{Arch: unix.AUDIT_ARCH_AARCH64, Nr: 0x40000000 | 39}); got != f.Unknown {
		t.Errorf("arm64 nr 0x40000027: %v, want %v", got, f.Unknown)
	}
}

// TestBadArchNr: whatever the rules (even one allowing getpid),
// every compiled amd64 filter answers BadArchNr with its BadArch action and
// the constant-action cache agrees; arm64 has none.
func TestBadArchNr(t *testing.T) {
	nr, ok := AMD64.BadArchNr()
	if !ok {
		t.Fatal("amd64 has no BadArch number")
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 200 {
		f := randFilter(r)
		f.Arch = AMD64
		f.Rules = append(f.Rules, Rule{Nr: unix.SYS_GETPID, Action: ActAllow})
		p, err := f.Compile()
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := p.Run(Data{Arch: AMD64.AuditArch, Nr: int32(nr)})
		if err != nil || got != f.BadArch {
			t.Fatalf("filter %d: nr %#x gives %v %v, want BadArch %v", i, nr, got, err, f.BadArch)
		}
		if act, constant := p.ConstantAction(AMD64, nr); !constant || act != f.BadArch {
			t.Fatalf("filter %d: constant action %v %v, want BadArch %v", i, act, constant, f.BadArch)
		}
	}
	if _, ok := ARM64.BadArchNr(); ok {
		t.Error("arm64 has a BadArch number")
	}
}

// TestRuleOrder: the first matching rule wins, an unconditional rule ends
// the list, conditions that cannot vary are decided at compile time.
func TestRuleOrder(t *testing.T) {
	eq5 := Cond{Arg: 0, Width: Word64, Op: Eq, Val: 5}
	maskAny := Cond{Arg: 1, Width: Word32, Op: MaskedEq, Mask: 0, Val: 0} // always true
	never := Cond{Arg: 1, Width: Word64, Op: Lt, Val: 0}
	f := &Filter{Arch: AMD64, Default: ActKillProcess, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess,
		Rules: []Rule{
			{Nr: 1, Conds: []Cond{eq5}, Action: ActErrno(unix.EPERM)},
			{Nr: 1, Action: ActAllow},
			{Nr: 1, Conds: []Cond{eq5}, Action: ActTrap}, // unreachable
			{Nr: 2, Conds: []Cond{never}, Action: ActTrap},
			{Nr: 2, Conds: []Cond{maskAny}, Action: ActLog}, // constant LOG
			{Nr: 3, Conds: []Cond{never}, Action: ActTrap},  // constant Default
		}}
	p, err := f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		nr   int32
		arg0 uint64
		want Action
	}{{1, 5, ActErrno(unix.EPERM)}, {1, 6, ActAllow}, {1, 5 | 1<<32, ActAllow}, {2, 0, ActLog}, {3, 0, ActKillProcess}} {
		if got, _, _ := p.Run(Data{Arch: AMD64.AuditArch, Nr: c.nr, Args: [6]uint64{c.arg0}}); got != c.want {
			t.Errorf("nr %d arg0 %#x: %v, want %v", c.nr, c.arg0, got, c.want)
		}
	}
	for nr, want := range map[uint32]bool{1: false, 2: true, 3: true, 4: true} {
		if _, ok := p.ConstantAction(AMD64, nr); ok != want {
			t.Errorf("nr %d: constant %v, want %v", nr, ok, want)
		}
	}
	if strings.Contains(p.String(), "TRAP") {
		t.Errorf("unreachable TRAP rules were compiled:\n%v", p)
	}
}

func TestCompileErrors(t *testing.T) {
	ok := Cond{Arg: 0, Width: Word32, Op: Eq, Val: 1}
	cases := map[string]Filter{
		"arg 6":       {Arch: AMD64, Rules: []Rule{{Nr: 1, Conds: []Cond{{Arg: 6, Width: Word32, Op: Eq}}}}},
		"no width":    {Arch: AMD64, Rules: []Rule{{Nr: 1, Conds: []Cond{{Arg: 0, Op: Eq}}}}},
		"no op":       {Arch: AMD64, Rules: []Rule{{Nr: 1, Conds: []Cond{{Arg: 0, Width: Word64}}}}},
		"nr > MaxNr":  {Arch: AMD64, Rules: []Rule{{Nr: AMD64.MaxNr + 1, Conds: []Cond{ok}}}},
		"no arch":     {Arch: Arch{Name: "mips", MaxNr: 10}, Rules: []Rule{{Nr: 1}}},
		"MaxNr ≥ x32": {Arch: Arch{Name: "x", AuditArch: 1, X32Bit: 0x100, MaxNr: 0x100}},
	}
	for name, f := range cases {
		if _, err := f.Compile(); err == nil {
			t.Errorf("%s: Compile succeeded", name)
		}
	}
	// 471 numbers, each 3 rules of 3 64-bit equalities: far over 4096.
	big := Filter{Arch: AMD64}
	for nr := range AMD64.MaxNr + 1 {
		for i := range 3 {
			c := Cond{Arg: uint8(i), Width: Word64, Op: Eq, Val: uint64(i) << 40}
			big.Rules = append(big.Rules, Rule{Nr: nr, Conds: []Cond{c, c, c}, Action: ActAllow})
		}
	}
	if _, err := big.Compile(); err == nil || !strings.Contains(err.Error(), "BPF_MAXINSNS") {
		t.Errorf("oversized filter: %v, want a BPF_MAXINSNS error", err)
	}
}

// TestTreeDepth: every number is classified in about log2 of the number of
// intervals, itself at most 2n+1 for n numbers with rules.
func TestTreeDepth(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	worst := 0
	for range 500 {
		f := randFilter(r)
		p, err := f.Compile()
		if err != nil {
			t.Fatal(err)
		}
		plans, _ := f.plans()
		segs := len(f.segments(plans))
		n := len(plans)
		prologue := 4                                         // ld arch, jeq, ld nr, jgt MaxNr
		prologue += len((&compiler{plans: plans}).hot(f.Hot)) // one jeq each
		if f.Arch.X32Bit != 0 {
			prologue++
		}
		// +1 for the return; trampolines may add a jump per tree level
		// in huge programs, these are small.
		bound := prologue + bits.Len(uint(segs-1)) + 1
		if segs > 2*n+1 {
			t.Fatalf("%d intervals for %d numbers", segs, n)
		}
		for nr := range f.Arch.MaxNr + 1 {
			dispatch, _ := p.PathLen(f.Arch, nr)
			if dispatch > bound {
				t.Fatalf("nr %d: dispatch %d > bound %d (%d intervals)\n%v", nr, dispatch, bound, segs, p)
			}
			worst = max(worst, dispatch-bound)
		}
	}
}

// sampleFilters are shapes like the pledge filters, for the report.
func sampleFilters() map[string]*Filter {
	r := rand.New(rand.NewPCG(7, 8))
	mk := func(allowed, checked, rulesPer int) *Filter {
		f := &Filter{Arch: AMD64, Default: ActKillProcess, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess}
		perm := r.Perm(int(AMD64.MaxNr) + 1)
		for _, nr := range perm[:allowed] {
			f.Rules = append(f.Rules, Rule{Nr: uint32(nr), Action: ActAllow})
		}
		for _, nr := range perm[allowed : allowed+checked] {
			for i := range rulesPer {
				f.Rules = append(f.Rules, Rule{Nr: uint32(nr), Action: ActAllow, Conds: []Cond{
					{Arg: 1, Width: Word32, Op: Eq, Val: uint64(0x5400 + i)},
					{Arg: 2, Width: Word64, Op: MaskedEq, Mask: 0x3, Val: 0}}})
			}
		}
		return f
	}
	ioctls := mk(10, 0, 0)
	for i := range 100 {
		ioctls.Rules = append(ioctls.Rules, Rule{Nr: unix.SYS_IOCTL, Action: ActAllow,
			Conds: []Cond{{Arg: 1, Width: Word32, Op: Eq, Val: uint64(0x5400 + 3*i)}}})
	}
	return map[string]*Filter{
		"ioctl switch (10 allowed, 100 values)":   ioctls,
		"stdio-like (80 allowed, 10 checked x3)":  mk(80, 10, 3),
		"all-like (200 allowed, 30 checked x4)":   mk(200, 30, 4),
		"ioctl list (10 allowed, 1 checked x100)": mk(10, 1, 100),
	}
}

// TestReportShapes logs instruction counts and path lengths (go test -v).
func TestReportShapes(t *testing.T) {
	for name, f := range sampleFilters() {
		p, err := f.Compile()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := p.Stats(f.Arch)
		t.Logf("%s: %d insns, dispatch max %d mean %.1f, longest path %d, %d of %d numbers constant (%d ALLOW)",
			name, s.Insns, s.MaxDispatch, s.MeanDispatch, s.MaxPath, s.Constant, f.Arch.MaxNr+1, s.ConstAllow)
		if s.MaxDispatch > 16 {
			t.Errorf("%s: dispatch %d is not a short tree path", name, s.MaxDispatch)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	ld := func(k uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: k}
	}
	ret := unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: uint32(ActAllow)}
	cases := map[string]Program{
		"empty":             {},
		"no ret at end":     {ld(0)},
		"load past data":    {ld(64), ret},
		"unaligned load":    {ld(2), ret},
		"byte load":         {{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS}, ret},
		"indirect load":     {{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_IND}, ret},
		"div by 0":          {{Code: unix.BPF_ALU | unix.BPF_DIV | unix.BPF_K}, ret},
		"mod (not seccomp)": {{Code: unix.BPF_ALU | unix.BPF_MOD | unix.BPF_K, K: 3}, ret},
		"shift 32":          {{Code: unix.BPF_ALU | unix.BPF_LSH | unix.BPF_K, K: 32}, ret},
		"jump past end":     {{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1}, ret},
		"ja past end":       {{Code: unix.BPF_JMP | unix.BPF_JA, K: 1}, ret},
		"mem 16":            {{Code: unix.BPF_ST, K: 16}, ret},
		"read unset mem":    {{Code: unix.BPF_LD | unix.BPF_MEM, K: 3}, ret},
		"mem set on one path only": {ld(0), {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1}, {Code: unix.BPF_ST, K: 2},
			{Code: unix.BPF_LD | unix.BPF_MEM, K: 2}, ret},
	}
	for name, p := range cases {
		if err := p.Check(); err == nil {
			t.Errorf("%s: Check accepted it", name)
		}
		if _, _, err := p.Run(Data{}); err == nil {
			t.Errorf("%s: Run accepted it", name)
		}
	}
	if _, err := Load(Program{ld(2), ret}, FlagTSync); err == nil || !strings.Contains(err.Error(), "EINVAL") && !strings.Contains(err.Error(), "invalid argument") {
		t.Errorf("Load of a bad program: %v, want EINVAL before any syscall", err)
	}
}

// TestInterpreter runs the instructions the compiler never emits against
// golang.org/x/net/bpf's VM: random programs of ALU, scratch memory,
// register moves and X jumps.
func TestInterpreter(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	aluCodes := []uint16{unix.BPF_ADD, unix.BPF_SUB, unix.BPF_MUL, unix.BPF_DIV, unix.BPF_AND, unix.BPF_OR, unix.BPF_XOR, unix.BPF_LSH, unix.BPF_RSH}
	jmpCodes := []uint16{unix.BPF_JEQ, unix.BPF_JGT, unix.BPF_JGE, unix.BPF_JSET}
	for range 3000 {
		var p Program
		// Scratch memory or jumps, not both: a jump could skip a store,
		// which Check rightly rejects.
		var stored uint16
		useMem := r.IntN(2) == 0
		n := 5 + r.IntN(30)
		for i := range n {
			left := n - i - 1 // instructions after this one, the last a ret
			var in unix.SockFilter
			switch k := r.IntN(12); {
			case k < 2:
				in = unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4 * uint32(r.IntN(16))}
			case k == 2:
				in = unix.SockFilter{Code: []uint16{unix.BPF_LD | unix.BPF_IMM, unix.BPF_LDX | unix.BPF_IMM, unix.BPF_LD | unix.BPF_W | unix.BPF_LEN}[r.IntN(3)], K: uint32(randVal(r))}
			case k == 3:
				in = unix.SockFilter{Code: []uint16{unix.BPF_MISC | unix.BPF_TAX, unix.BPF_MISC | unix.BPF_TXA}[r.IntN(2)]}
			case k == 4 && useMem:
				cell := uint32(r.IntN(memWords))
				in = unix.SockFilter{Code: []uint16{unix.BPF_ST, unix.BPF_STX}[r.IntN(2)], K: cell}
				stored |= 1 << cell
			case k == 5 && stored != 0:
				cell := uint32(bits.TrailingZeros16(stored))
				in = unix.SockFilter{Code: []uint16{unix.BPF_LD | unix.BPF_MEM, unix.BPF_LDX | unix.BPF_MEM}[r.IntN(2)], K: cell}
			case k < 9:
				op := aluCodes[r.IntN(len(aluCodes))]
				in = unix.SockFilter{Code: unix.BPF_ALU | op | unix.BPF_K, K: uint32(randVal(r))}
				if op == unix.BPF_LSH || op == unix.BPF_RSH {
					in.K %= 32
				}
				if op == unix.BPF_DIV && in.K == 0 {
					in.K = 3
				}
				// Shifts by X are excluded: x/net/bpf shifts by the full
				// count, the kernel (eBPF) masks it to 5 bits.
				if r.IntN(2) == 0 && op != unix.BPF_LSH && op != unix.BPF_RSH {
					in.Code |= unix.BPF_X
				}
			case left > 1 && !useMem:
				in = unix.SockFilter{Code: unix.BPF_JMP | jmpCodes[r.IntN(len(jmpCodes))] | uint16(r.IntN(2))*unix.BPF_X,
					K: uint32(randVal(r)), Jt: uint8(r.IntN(left - 1)), Jf: uint8(r.IntN(left - 1))}
			default:
				in = unix.SockFilter{Code: unix.BPF_ALU | unix.BPF_ADD | unix.BPF_K, K: 1}
			}
			if i == n-1 {
				in = unix.SockFilter{Code: unix.BPF_RET | unix.BPF_A}
			}
			p = append(p, in)
		}
		d := Data{Nr: int32(r.Uint32()), Arch: r.Uint32(), IP: r.Uint64()}
		for i := range d.Args {
			d.Args[i] = r.Uint64()
		}
		got, _, err := p.Run(d)
		if err != nil {
			t.Fatalf("Run: %v\n%v", err, p)
		}
		if want := netVM(t, p)(d); got != want {
			t.Fatalf("Run %#x, x/net/bpf %#x\n%v", uint32(got), uint32(want), p)
		}
	}
	p := Program{}
	// Shift by X masks the count to 5 bits, as eBPF does.
	p = Program{{Code: unix.BPF_LD | unix.BPF_IMM, K: 1}, {Code: unix.BPF_LDX | unix.BPF_IMM, K: 33},
		{Code: unix.BPF_ALU | unix.BPF_LSH | unix.BPF_X}, {Code: unix.BPF_RET | unix.BPF_A}}
	if got, steps, _ := p.Run(Data{}); got != 2 || steps != 4 {
		t.Errorf("1 << (33&31): %d in %d steps, want 2 in 4", got, steps)
	}
	// x/net/bpf disassembles BPF_LDX|BPF_LEN as a load of A.
	p = Program{{Code: unix.BPF_LDX | unix.BPF_W | unix.BPF_LEN}, {Code: unix.BPF_MISC | unix.BPF_TXA}, {Code: unix.BPF_RET | unix.BPF_A}}
	if got, _, _ := p.Run(Data{}); got != 64 {
		t.Errorf("ldx len: %d, want 64 (sizeof seccomp_data)", got)
	}
	// x/net/bpf has no BPF_NEG.
	p = Program{{Code: unix.BPF_LD | unix.BPF_IMM, K: 5}, {Code: unix.BPF_ALU | unix.BPF_NEG}, {Code: unix.BPF_RET | unix.BPF_A}}
	if got, _, _ := p.Run(Data{}); got != 0xfffffffb {
		t.Errorf("-5: %#x, want 0xfffffffb", uint32(got))
	}
	// Division by X == 0 ends the filter with 0.
	p = Program{{Code: unix.BPF_LD | unix.BPF_IMM, K: 7}, {Code: unix.BPF_ALU | unix.BPF_DIV | unix.BPF_X}, {Code: unix.BPF_RET | unix.BPF_K, K: uint32(ActAllow)}}
	if got, _, _ := p.Run(Data{}); got != 0 {
		t.Errorf("7 / 0: %v, want 0 (KILL_THREAD)", got)
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{ActAllow: "ALLOW", ActKillProcess: "KILL_PROCESS", ActKillThread: "KILL_THREAD",
		ActErrno(unix.EPERM): "ERRNO(EPERM)", ActTrace(7): "TRACE(7)", ActUserNotif: "USER_NOTIF", 0x12340000: "Action(0x12340000)"} {
		if got := a.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(a), got, want)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	for name, f := range sampleFilters() {
		b.Run(strings.Fields(name)[0], func(b *testing.B) {
			for b.Loop() {
				if _, err := f.Compile(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRun(b *testing.B) {
	f := sampleFilters()["all-like (200 allowed, 30 checked x4)"]
	p, err := f.Compile()
	if err != nil {
		b.Fatal(err)
	}
	d := Data{Arch: AMD64.AuditArch, Nr: int32(f.Rules[len(f.Rules)-1].Nr)}
	for b.Loop() {
		p.Run(d)
	}
}

// TestHotDispatch: a hot number's argument checks start right after its
// one comparison (ld arch, jeq, ld nr, then one jeq per hot number before
// it), whatever the tree; the cache still serves the unconditional
// numbers; the actions are the filter's.
func TestHotDispatch(t *testing.T) {
	f := &Filter{Arch: AMD64, Default: ActKillProcess, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess}
	for nr := uint32(0); nr < 300; nr += 3 {
		f.Rules = append(f.Rules, Rule{Nr: nr, Action: ActAllow, Conds: []Cond{{Arg: 1, Width: Word32, Op: Le, Val: 4}}})
		f.Rules = append(f.Rules, Rule{Nr: nr + 1, Action: ActAllow})
	}
	f.Hot = []uint32{72, 257, 9, 1, 72}
	p, err := f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for i, nr := range []uint32{72, 9} { // 257 and 1 have no argument checks
		// ld arch, jeq, ld nr, i jeqs, its jeq, its first argument load
		if d, _ := p.PathLen(f.Arch, nr); d != 5+i {
			t.Errorf("hot %d: dispatch %d, want %d", nr, d, 5+i)
		}
	}
	if act, ok := p.ConstantAction(f.Arch, 1); !ok || act != ActAllow {
		t.Errorf("unconditional 1: constant %v %v, want ALLOW", act, ok)
	}
	for _, d := range []Data{{Nr: 72, Args: [6]uint64{0, 4}}, {Nr: 72, Args: [6]uint64{0, 5}}, {Nr: 9, Args: [6]uint64{0, 3}}, {Nr: 10}, {Nr: 257}} {
		d.Arch = f.Arch.AuditArch
		if got, _, _ := p.Run(d); got != f.Decide(d) {
			t.Errorf("%+v: program %v, Decide %v", d, got, f.Decide(d))
		}
	}
}

package seccomp

import (
	"cmp"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data (include/uapi/linux/seccomp.h).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
	// dataSize is sizeof(struct seccomp_data); loads must stay below it.
	dataSize = 64
)

// MaxInsns is BPF_MAXINSNS, the most instructions one filter may have
// (seccomp_prepare_filter returns EINVAL beyond it). The whole stack of a
// process's filters may hold MAX_INSNS_PER_PATH (32768) counting 4 extra
// per filter.
const MaxInsns = unix.BPF_MAXINSNS

// argLo and argHi are the offsets of the halves of args[i] on a
// little-endian ABI (both supported ones): the low word comes first.
func argLo(i uint8) uint32 { return offArgs + 8*uint32(i) }
func argHi(i uint8) uint32 { return offArgs + 8*uint32(i) + 4 }

// plan is what one syscall number compiles to after normalization: a
// constant action, or conditioned rules tried in order, then els.
type plan struct {
	rules []Rule // each with at least one non-trivial Cond
	els   Action // when no rule matches (Default or a later unconditional rule)
}

// segment is a run of syscall numbers [lo, hi] with one outcome: a
// constant action, or the body of the single number lo when body is set.
type segment struct {
	lo, hi uint64
	body   bool
	act    Action
}

// Compile lays the filter out as a seccomp-BPF program:
//
//	ld arch; jeq AuditArch else BadArch
//	ld nr; [jge X32Bit -> BadArch]; jgt MaxNr -> Unknown
//	balanced BPF_JGE tree over the intervals of numbers with one outcome,
//	  leaves returning constant actions without loading any argument
//	argument checks of the conditioned numbers, each falling through its
//	  rules in order, then Default; a run of 32-bit equalities on one
//	  argument (a request list) is a binary search over the values
//
// Identical returns are shared. Conditions that cannot depend on the
// argument (a mask of 0, ">= 0", "> max") are decided at compile time, so
// a rule made only of them is unconditional. Compile fails for invalid
// rules and when the program exceeds MaxInsns instructions.
func (f *Filter) Compile() (Program, error) {
	plans, err := f.plans()
	if err != nil {
		return nil, err
	}
	segs := f.segments(plans)

	c := &compiler{a: newAssembler(), plans: plans, treeRets: map[Action]label{}, bodyRets: map[Action]label{}, bodies: map[uint32]label{}}
	a := c.a
	archOK := a.newLabel()
	a.ld(offArch)
	a.jump(unix.BPF_JEQ, f.Arch.AuditArch, archOK, c.treeRet(f.BadArch))
	a.set(archOK)
	a.ld(offNr)
	// The hot bodies first: a number below MaxNr compared for equality,
	// which no x32 or unknown number can match, so the checks below stay
	// right for every other number and the cache is not affected (a jeq
	// on nr alone is constant).
	for _, nr := range c.hot(f.Hot) {
		next := a.newLabel()
		a.jump(unix.BPF_JEQ, nr, c.bodyLabel(nr), next)
		a.set(next)
	}
	if f.Arch.X32Bit != 0 {
		notX32 := a.newLabel()
		a.jump(unix.BPF_JGE, f.Arch.X32Bit, c.treeRet(f.BadArch), notX32)
		a.set(notX32)
	}
	root := c.child(segs)
	if f.Arch.MaxNr != ^uint32(0) {
		a.jump(unix.BPF_JGT, f.Arch.MaxNr, c.treeRet(f.Unknown), root)
	} else {
		// No number is above the table: jump to the tree unconditionally.
		a.jump(unix.BPF_JGE, 0, root, root)
	}
	if len(segs) > 1 {
		c.node(segs, root)
	}
	c.emitRets(c.treeRets, &c.treeOrder)
	for _, s := range segs {
		if s.body {
			c.body(uint32(s.lo))
		}
	}
	c.emitRets(c.bodyRets, &c.bodyOrder)
	if len(a.ins) > MaxInsns { // trampolines only add: fail before placing them
		return nil, fmt.Errorf("seccomp: filter has over %d instructions, more than BPF_MAXINSNS (%d)", len(a.ins), MaxInsns)
	}
	raw, err := a.assemble()
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxInsns {
		return nil, fmt.Errorf("seccomp: filter has %d instructions, more than BPF_MAXINSNS (%d)", len(raw), MaxInsns)
	}
	return Program(raw), nil
}

// plans validates the rules and groups them by number, in order,
// deciding argument-independent conditions now.
func (f *Filter) plans() (map[uint32]*plan, error) {
	if f.Arch.AuditArch == 0 {
		return nil, fmt.Errorf("seccomp: arch %q has no AUDIT_ARCH value", f.Arch.Name)
	}
	if f.Arch.X32Bit != 0 && f.Arch.MaxNr >= f.Arch.X32Bit {
		return nil, fmt.Errorf("seccomp: arch %s: MaxNr %d reaches the x32 bit %#x", f.Arch.Name, f.Arch.MaxNr, f.Arch.X32Bit)
	}
	plans := make(map[uint32]*plan, len(f.Rules))
	done := make(map[uint32]bool, len(f.Rules)) // an unconditional rule ended the list
	for i, r := range f.Rules {
		if r.Nr > f.Arch.MaxNr {
			return nil, fmt.Errorf("seccomp: rule %d: syscall %d is above the table's MaxNr %d", i, r.Nr, f.Arch.MaxNr)
		}
		var conds []Cond
		never := false
		for _, c := range r.Conds {
			if err := c.validate(); err != nil {
				return nil, fmt.Errorf("seccomp: rule %d (syscall %d): %w", i, r.Nr, err)
			}
			switch c.constant() {
			case constFalse:
				never = true
			case variable:
				conds = append(conds, c)
			}
		}
		p := plans[r.Nr]
		if p == nil {
			p = &plan{els: f.Default}
			plans[r.Nr] = p
		}
		if done[r.Nr] || never {
			continue
		}
		if len(conds) == 0 {
			p.els = r.Action
			done[r.Nr] = true
			continue
		}
		p.rules = append(p.rules, Rule{Nr: r.Nr, Conds: conds, Action: r.Action})
	}
	return plans, nil
}

// segments splits [0, MaxNr] into maximal runs with one outcome.
func (f *Filter) segments(plans map[uint32]*plan) []segment {
	var segs []segment
	add := func(s segment) {
		if n := len(segs); n > 0 && !s.body && !segs[n-1].body && segs[n-1].act == s.act {
			segs[n-1].hi = s.hi
			return
		}
		segs = append(segs, s)
	}
	nrs := make([]uint32, 0, len(plans))
	for nr := range plans {
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)
	next := uint64(0)
	for _, nr := range nrs {
		if uint64(nr) > next {
			add(segment{lo: next, hi: uint64(nr) - 1, act: f.Default})
		}
		p := plans[nr]
		add(segment{lo: uint64(nr), hi: uint64(nr), body: len(p.rules) > 0, act: p.els})
		next = uint64(nr) + 1
	}
	if next <= uint64(f.Arch.MaxNr) {
		add(segment{lo: next, hi: uint64(f.Arch.MaxNr), act: f.Default})
	}
	return segs
}

type compiler struct {
	a     *assembler
	plans map[uint32]*plan
	// Shared returns: one pool right after the tree, one after the bodies
	// (jumps only go forward, so the bodies cannot use the first).
	treeRets, bodyRets   map[Action]label
	treeOrder, bodyOrder []Action
	bodies               map[uint32]label
}

func (c *compiler) treeRet(act Action) label { return c.retLabel(c.treeRets, &c.treeOrder, act) }
func (c *compiler) bodyRet(act Action) label { return c.retLabel(c.bodyRets, &c.bodyOrder, act) }

func (c *compiler) retLabel(pool map[Action]label, order *[]Action, act Action) label {
	if l, ok := pool[act]; ok {
		return l
	}
	l := c.a.newLabel()
	pool[act] = l
	*order = append(*order, act)
	return l
}

func (c *compiler) emitRets(pool map[Action]label, order *[]Action) {
	for _, act := range *order {
		c.a.set(pool[act])
		c.a.ret(act)
	}
}

// child returns the label where the subtree over segs starts: a leaf's
// return or body, or a fresh label for an inner node emitted later.
func (c *compiler) child(segs []segment) label {
	if len(segs) > 1 {
		return c.a.newLabel()
	}
	s := segs[0]
	if !s.body {
		return c.treeRet(s.act)
	}
	return c.bodyLabel(uint32(s.lo))
}

// bodyLabel is where the argument checks of nr start.
func (c *compiler) bodyLabel(nr uint32) label {
	l, ok := c.bodies[nr]
	if !ok {
		l = c.a.newLabel()
		c.bodies[nr] = l
	}
	return l
}

// hot are the numbers of hot that have argument checks, once each, in
// order.
func (c *compiler) hot(hot []uint32) []uint32 {
	var out []uint32
	for _, nr := range hot {
		if p, ok := c.plans[nr]; ok && len(p.rules) > 0 && !slices.Contains(out, nr) {
			out = append(out, nr)
		}
	}
	return out
}

// node emits the inner nodes of the tree over segs (len > 1) in preorder:
// one BPF_JGE on the first number of the upper half.
func (c *compiler) node(segs []segment, entry label) {
	c.a.set(entry)
	mid := len(segs) / 2
	lower, upper := segs[:mid], segs[mid:]
	ll, ul := c.child(lower), c.child(upper)
	c.a.jump(unix.BPF_JGE, uint32(upper[0].lo), ul, ll)
	if len(lower) > 1 {
		c.node(lower, ll)
	}
	if len(upper) > 1 {
		c.node(upper, ul)
	}
}

// minSwitch is the shortest run of rules compiled as a value switch: below
// it a chain of BPF_JEQ is as short.
const minSwitch = 4

// switchable reports whether r is a single 32-bit equality, the shape of
// request lists (ioctl cmd, fcntl cmd, prctl option, socket family).
func switchable(r Rule) bool {
	return len(r.Conds) == 1 && r.Conds[0].Op == Eq && r.Conds[0].Width == Word32
}

// body emits the argument checks of nr: each rule's conditions in order, a
// failing one going to the next rule, the last rule failing to els. A run
// of at least minSwitch single 32-bit equalities on the same argument
// becomes one binary search over the values instead.
func (c *compiler) body(nr uint32) {
	p := c.plans[nr]
	c.a.set(c.bodies[nr])
	for i := 0; i < len(p.rules); {
		j := i + 1
		for switchable(p.rules[i]) && j < len(p.rules) && switchable(p.rules[j]) && p.rules[j].Conds[0].Arg == p.rules[i].Conds[0].Arg {
			j++
		}
		if j-i < minSwitch {
			j = i + 1
		}
		var fail label
		if j < len(p.rules) {
			fail = c.a.newLabel()
		} else {
			fail = c.bodyRet(p.els)
		}
		if j-i >= minSwitch {
			c.valueSwitch(p.rules[i:j], fail)
		} else {
			c.rule(p.rules[i], fail)
		}
		if j < len(p.rules) {
			c.a.set(fail)
		}
		i = j
	}
}

// rule emits one rule: all conditions must pass to return its action.
func (c *compiler) rule(r Rule, fail label) {
	for j, cd := range r.Conds {
		last := j+1 == len(r.Conds)
		var pass label
		if last {
			pass = c.bodyRet(r.Action)
		} else {
			pass = c.a.newLabel()
		}
		c.cond(cd, pass, fail)
		if !last {
			c.a.set(pass)
		}
	}
}

// valueSwitch emits rules that each compare the low 32 bits of one
// argument for equality as a balanced BPF_JGE tree over the values with a
// BPF_JEQ at each leaf. The first rule for a value wins, as in the chain.
func (c *compiler) valueSwitch(rules []Rule, fail label) {
	type entry struct {
		v   uint32
		act Action
	}
	seen := map[uint32]bool{}
	var vals []entry
	for _, r := range rules {
		_, v := r.Conds[0].effective()
		if !seen[uint32(v)] {
			seen[uint32(v)] = true
			vals = append(vals, entry{uint32(v), r.Action})
		}
	}
	slices.SortFunc(vals, func(a, b entry) int { return cmp.Compare(a.v, b.v) })
	c.a.ld(argLo(rules[0].Conds[0].Arg))
	var tree func(vals []entry)
	tree = func(vals []entry) {
		if len(vals) == 1 {
			c.a.jump(unix.BPF_JEQ, vals[0].v, c.bodyRet(vals[0].act), fail)
			return
		}
		mid := len(vals) / 2
		lower, upper := c.a.newLabel(), c.a.newLabel()
		c.a.jump(unix.BPF_JGE, vals[mid].v, upper, lower)
		c.a.set(lower)
		tree(vals[:mid])
		c.a.set(upper)
		tree(vals[mid:])
	}
	tree(vals)
}

// cond emits the test of one (variable) condition.
func (c *compiler) cond(cd Cond, pass, fail label) {
	a := c.a
	m, v := cd.effective()
	switch cd.Op {
	case Eq, Ne, MaskedEq, MaskedNe:
		eq, ne := pass, fail
		if cd.Op == Ne || cd.Op == MaskedNe {
			eq, ne = fail, pass
		}
		// The equality holds when it holds on both halves; a half with
		// mask 0 holds trivially (constant() ruled out 0 != val there).
		type half struct{ off, m, v uint32 }
		var halves []half
		if m>>32 != 0 {
			halves = append(halves, half{argHi(cd.Arg), uint32(m >> 32), uint32(v >> 32)})
		}
		if uint32(m) != 0 {
			halves = append(halves, half{argLo(cd.Arg), uint32(m), uint32(v)})
		}
		for i, h := range halves {
			ok := eq
			if i+1 < len(halves) {
				ok = a.newLabel()
			}
			a.ld(h.off)
			switch {
			case h.m == 0xffffffff:
				a.jump(unix.BPF_JEQ, h.v, ok, ne)
			case h.v == 0: // no bit of the mask set
				a.jump(unix.BPF_JSET, h.m, ne, ok)
			case h.v == h.m && h.m&(h.m-1) == 0: // the one bit set
				a.jump(unix.BPF_JSET, h.m, ok, ne)
			default:
				a.stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, h.m)
				a.jump(unix.BPF_JEQ, h.v, ok, ne)
			}
			if i+1 < len(halves) {
				a.set(ok)
			}
		}
	default:
		// Lt is "not Ge" and Le is "not Gt".
		op := uint16(unix.BPF_JGT)
		if cd.Op == Ge || cd.Op == Lt {
			op = unix.BPF_JGE
		}
		yes, no := pass, fail
		if cd.Op == Lt || cd.Op == Le {
			yes, no = fail, pass
		}
		if cd.Width == Word64 {
			// Unsigned 64-bit order: the high halves decide unless equal.
			hiEq, lo := a.newLabel(), a.newLabel()
			a.ld(argHi(cd.Arg))
			a.jump(unix.BPF_JGT, uint32(v>>32), yes, hiEq)
			a.set(hiEq)
			a.jump(unix.BPF_JEQ, uint32(v>>32), lo, no)
			a.set(lo)
		}
		a.ld(argLo(cd.Arg))
		a.jump(op, uint32(v), yes, no)
	}
}

// constness says whether a condition can depend on the argument.
type constness int

const (
	variable constness = iota
	constTrue
	constFalse
)

// constant decides conditions whose outcome no argument value changes.
func (c Cond) constant() constness {
	m, v := c.effective()
	max := ^uint64(0)
	if c.Width == Word32 {
		max = 0xffffffff
	}
	eqNever := v&^m != 0 // bits of Val outside Mask: arg&Mask never equals
	eqAlways := m == 0 && v == 0
	table := []struct {
		op   Op
		when bool
		is   constness
	}{
		{Eq, eqNever, constFalse}, {MaskedEq, eqNever, constFalse},
		{Eq, eqAlways, constTrue}, {MaskedEq, eqAlways, constTrue},
		{Ne, eqNever, constTrue}, {MaskedNe, eqNever, constTrue},
		{Ne, eqAlways, constFalse}, {MaskedNe, eqAlways, constFalse},
		{Ge, v == 0, constTrue}, {Lt, v == 0, constFalse},
		{Le, v == max, constTrue}, {Gt, v == max, constFalse},
	}
	for _, t := range table {
		if t.op == c.Op && t.when {
			return t.is
		}
	}
	return variable
}

func (c Cond) validate() error {
	switch {
	case c.Arg > 5:
		return fmt.Errorf("condition %v: seccomp_data has args 0..5", c)
	case c.Width != Word32 && c.Width != Word64:
		return fmt.Errorf("condition %v: Width must be Word32 or Word64", c)
	case opNames[c.Op] == "":
		return fmt.Errorf("condition %v: unknown Op", c)
	}
	return nil
}

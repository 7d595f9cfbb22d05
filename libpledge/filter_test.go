//go:build linux

package libpledge

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// The differential test: for promise sets and reduce-only sequences, the
// program libpledge's pledge() loads and the program the Go library
// (promise.BuildFilter, seccomp.Filter.Compile) loads are run in the
// seccomp package's interpreter (seccomp.Program.Run) on every syscall
// number of the table and on argument vectors at every condition's
// boundary, and must return the same action. Filters are built in the C
// library by the lpfilter driver, which links its filter builder.

const testPid = 4242

// filterOpts are the option sets pledge() uses: the promises' own
// violation or LANDPLEDGE_ERRNO's, with or without the exec supervisor's
// loader tag.
var filterOpts = []struct {
	name      string
	violation seccomp.Action
	loader    seccomp.Action
}{
	{"default", 0, 0},
	{"errno", seccomp.ActErrno(unix.EPERM), 0},
	{"supervised", 0, sandbox.Policy{}.FilterOptions(0).Loader},
	{"errno-supervised", seccomp.ActErrno(unix.EPERM), sandbox.Policy{}.FilterOptions(0).Loader},
}

// cFilters runs lpfilter once over all requests: each is a chain of sets
// (one set: a plain filter); it returns, per request, the programs.
type cRequest struct {
	opts      string
	arch      seccomp.Arch
	violation seccomp.Action
	loader    seccomp.Action
	chain     []promise.Set
	// layers says, per set of the chain, whether its filter is built with
	// a path layer (promise.FilterOptions.PathLayer); nil: none is.
	layers []bool
}

// layer reports whether the k-th filter of r's chain has a path layer.
func (r cRequest) layer(k int) bool { return r.layers != nil && r.layers[k] }

// layerModes are the path layer choices of a request's chain: none, one
// for every filter, and one for the first only (the later pledges' layers
// could not be stacked, so their opens are decided by flags), and the
// reverse (the first had none to stack).
var layerModes = []struct {
	name   string
	layers func(n int) []bool
}{
	{"", func(int) []bool { return nil }},
	{"+layer", func(n int) []bool { return repeat(n, func(int) bool { return true }) }},
	{"+layer-first", func(n int) []bool { return repeat(n, func(k int) bool { return k == 0 }) }},
	{"+layer-later", func(n int) []bool { return repeat(n, func(k int) bool { return k > 0 }) }},
}

func repeat(n int, f func(k int) bool) []bool {
	b := make([]bool, n)
	for k := range b {
		b[k] = f(k)
	}
	return b
}

func cFilters(t *testing.T, reqs []cRequest) [][]seccomp.Program {
	t.Helper()
	cmd := exec.Command(testProgram(t, "lpfilter"))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w := bufio.NewWriter(in)
		for _, r := range reqs {
			fmt.Fprintf(w, "%s %x %x %d", r.arch.Name, uint32(r.violation), uint32(r.loader), testPid)
			for k, s := range r.chain {
				l := 0
				if r.layer(k) {
					l = 1
				}
				fmt.Fprintf(w, " %x/%d", uint64(s), l)
			}
			w.WriteString("\n")
		}
		w.Flush()
		in.Close()
	}()
	sc := bufio.NewScanner(outPipe)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var res [][]seccomp.Program
	var cur []seccomp.Program
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			res = append(res, cur)
			cur = nil
		case strings.HasPrefix(line, "err "):
			t.Fatalf("lpfilter request %d: %s", len(res), line)
		default:
			p, err := parseProg(line)
			if err != nil {
				t.Fatalf("lpfilter: %v", err)
			}
			cur = append(cur, p)
		}
	}
	io.Copy(io.Discard, outPipe)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lpfilter: %v", err)
	}
	if len(res) != len(reqs) {
		t.Fatalf("lpfilter answered %d requests of %d", len(res), len(reqs))
	}
	return res
}

func parseProg(line string) (seccomp.Program, error) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "prog" {
		return nil, fmt.Errorf("bad line %.60q", line)
	}
	n, _ := strconv.Atoi(f[1])
	if len(f) != n+2 {
		return nil, fmt.Errorf("prog %d with %d instructions", n, len(f)-2)
	}
	p := make(seccomp.Program, n)
	for i, s := range f[2:] {
		var code, jt, jf, k uint64
		if _, err := fmt.Sscanf(s, "%x:%x:%x:%x", &code, &jt, &jf, &k); err != nil {
			return nil, fmt.Errorf("instruction %q: %v", s, err)
		}
		p[i] = unix.SockFilter{Code: uint16(code), Jt: uint8(jt), Jf: uint8(jf), K: uint32(k)}
	}
	return p, nil
}

// goFilter is what package pledge loads for p, with a path layer or
// without.
func goFilter(t *testing.T, arch seccomp.Arch, p promise.Set, violation, loader seccomp.Action, pathLayer bool) (*seccomp.Filter, seccomp.Program) {
	t.Helper()
	f, err := promise.BuildFilter(arch, p, promise.FilterOptions{Violation: violation, Loader: loader, Pid: testPid, PathLayer: pathLayer})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return f, prog
}

// probes are the data the programs are run on, per architecture: every
// number of the table (and past it) with zero and all-ones arguments, the
// foreign arch and x32 numbers, and for each number with conditions in
// the table, argument vectors at every condition's boundary.
type probeSet struct {
	data []seccomp.Data
}

var (
	probesOnce sync.Map
)

func probesFor(arch seccomp.Arch) *probeSet {
	if v, ok := probesOnce.Load(arch.Name); ok {
		return v.(*probeSet)
	}
	ps := &probeSet{}
	ones := [6]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	for nr := uint32(0); nr <= arch.MaxNr+2; nr++ {
		for _, a := range [][6]uint64{{}, ones} {
			ps.data = append(ps.data, seccomp.Data{Nr: int32(nr), Arch: arch.AuditArch, Args: a})
		}
	}
	for _, d := range []seccomp.Data{
		{Nr: 39, Arch: unix.AUDIT_ARCH_I386},
		{Nr: 20, Arch: unix.AUDIT_ARCH_I386},
		{Nr: 0, Arch: unix.AUDIT_ARCH_ARM},
		{Nr: 39 | 0x40000000, Arch: arch.AuditArch},
		{Nr: 0x40000000, Arch: arch.AuditArch},
		{Nr: -1, Arch: arch.AuditArch},
	} {
		ps.data = append(ps.data, d)
	}
	// Per number, the conditions of every rule of the table on it.
	byNr := map[uint32][][]seccomp.Cond{}
	v := promise.Table()
	addRule := func(r promise.ViewRule) {
		nr, ok := promise.SyscallNumber(arch, r.Syscall)
		if !ok || nr > arch.MaxNr || len(r.Conds) == 0 {
			return
		}
		var cs []seccomp.Cond
		for _, c := range r.Conds {
			cs = append(cs, c.ArchCond(arch.Name, testPid))
		}
		byNr[nr] = append(byNr[nr], cs)
	}
	for _, g := range v.Grants {
		for _, r := range g.Rules {
			addRule(r)
		}
	}
	for _, r := range v.Loader {
		addRule(r)
	}
	for _, f := range v.Fallbacks {
		addRule(f.Rule)
	}
	for nr, rules := range byNr {
		seen := map[[6]uint64]bool{}
		add := func(a [6]uint64) {
			if !seen[a] {
				seen[a] = true
				ps.data = append(ps.data, seccomp.Data{Nr: int32(nr), Arch: arch.AuditArch, Args: a})
			}
		}
		for _, cs := range rules {
			var base [6]uint64
			for _, c := range cs {
				base[c.Arg] = satisfying(c)
			}
			add(base)
			for _, c := range cs {
				for _, b := range boundaries(c) {
					a := base
					a[c.Arg] = b
					add(a)
				}
			}
		}
	}
	probesOnce.Store(arch.Name, ps)
	return ps
}

// satisfying is a value for which c holds.
func satisfying(c seccomp.Cond) uint64 {
	switch c.Op {
	case seccomp.Ne, seccomp.Gt:
		return c.Val + 1
	case seccomp.Lt:
		return c.Val - 1
	case seccomp.MaskedNe:
		return c.Val ^ (c.Mask & -c.Mask)
	}
	return c.Val
}

// boundaries are the values around c: the value and its neighbours, the
// value with each bit of the mask set and cleared, and for a 32-bit
// argument each of them with garbage in the high half.
func boundaries(c seccomp.Cond) []uint64 {
	width := uint64(0xffffffff)
	if c.Width == seccomp.Word64 {
		width = ^uint64(0)
	}
	v := c.Val
	vals := []uint64{v, v + 1, v - 1, 0, width, v + 1<<32, v - 1<<32}
	if c.Op == seccomp.MaskedEq || c.Op == seccomp.MaskedNe {
		for b := uint(0); b < 64; b++ {
			bit := uint64(1) << b
			if c.Mask&bit != 0 {
				vals = append(vals, v|bit, v&^bit, v^bit)
			}
		}
		vals = append(vals, v|^c.Mask&width, c.Mask, c.Mask|v)
	}
	if c.Width == seccomp.Word32 {
		n := len(vals)
		for _, x := range vals[:n] {
			vals = append(vals, x&0xffffffff|0xdeadbeef00000000, x|0xffffffff00000000)
		}
	}
	return vals
}

// randomSets are 500 promise sets from a fixed seed: each promise with
// probability 1/3, and "error" in a third of them.
func randomSets() []promise.Set {
	r := rand.New(rand.NewSource(20240601))
	var sets []promise.Set
	for len(sets) < 500 {
		var s promise.Set
		for i := 0; i < len(promise.Names()); i++ {
			if r.Intn(3) == 0 {
				s |= 1 << i
			}
		}
		sets = append(sets, s)
	}
	return sets
}

// reduceChains are reduce-only sequences: a set and 2-4 successively
// narrower ones (sometimes dropping "error", which replaces the whole
// filter).
func reduceChains() [][]promise.Set {
	r := rand.New(rand.NewSource(7))
	var chains [][]promise.Set
	fixed := [][]string{
		{"stdio rpath wpath cpath inet dns proc exec prot_exec", "stdio rpath inet", "stdio"},
		{"stdio rpath wpath cpath fattr flock unix tty", "stdio rpath tty", ""},
		{"stdio rpath error", "stdio error", "error"},
		{"stdio error rpath", "stdio rpath"},
		{"stdio rpath wpath cpath unveil", "stdio rpath unveil", "stdio rpath"},
	}
	for _, f := range fixed {
		var c []promise.Set
		for _, s := range f {
			p, err := promise.Parse(s)
			if err != nil {
				panic(err)
			}
			c = append(c, p)
		}
		chains = append(chains, c)
	}
	for len(chains) < 100 {
		s := promise.All &^ promise.Set(r.Uint64()&uint64(promise.All)&r.Uint64())
		c := []promise.Set{s}
		for n := 2 + r.Intn(3); len(c) <= n; {
			s &^= promise.Set(r.Uint64() & r.Uint64() & uint64(promise.All))
			c = append(c, s)
		}
		chains = append(chains, c)
	}
	return chains
}

// stackActions is what the kernel answers from a stack of filters,
// oldest first (seccomp_run_filters): every filter runs, the action with
// the lowest value as a signed number wins, and among equal actions the
// newest filter's. The programs run in seccomp's interpreter
// (Program.RunEach: Program.Run with the program checked once).
func stackActions(progs []seccomp.Program, ds []seccomp.Data) ([]seccomp.Action, error) {
	ret := make([]seccomp.Action, len(ds))
	for i := range ret {
		ret[i] = seccomp.ActAllow
	}
	for i := len(progs) - 1; i >= 0; i-- {
		acts, err := progs[i].RunEach(ds)
		if err != nil {
			return nil, err
		}
		for k, act := range acts {
			if int32(uint32(act)&unix.SECCOMP_RET_ACTION_FULL) < int32(uint32(ret[k])&unix.SECCOMP_RET_ACTION_FULL) {
				ret[k] = act
			}
		}
	}
	return ret, nil
}

// compare runs both stacks on the probes; it returns the first difference.
func compare(cStack, goStack []seccomp.Program, probes []seccomp.Data) error {
	a, err := stackActions(cStack, probes)
	if err != nil {
		return fmt.Errorf("C program: %v", err)
	}
	b, err := stackActions(goStack, probes)
	if err != nil {
		return fmt.Errorf("Go program: %v", err)
	}
	for i, d := range probes {
		if a[i] != b[i] {
			return fmt.Errorf("nr %d arch %#x args %#x: C %v, Go %v", d.Nr, d.Arch, d.Args, a[i], b[i])
		}
	}
	return nil
}

func setName(s promise.Set) string {
	if s == 0 {
		return `""`
	}
	return s.String()
}

// TestFilterDifferential compares single promises (and the empty set),
// 500 random sets and 100 reduce-only sequences, on both architectures,
// under every option set pledge() uses, each with and without a path
// layer (chains also with one for the first filter only, and for the
// later ones only).
func TestFilterDifferential(t *testing.T) {
	var singles []promise.Set
	singles = append(singles, 0)
	for i := range promise.Names() {
		singles = append(singles, 1<<i)
	}
	sets := append(append([]promise.Set{}, singles...), randomSets()...)
	chains := reduceChains()

	var reqs []cRequest
	for _, arch := range []seccomp.Arch{seccomp.AMD64, seccomp.ARM64} {
		for _, o := range filterOpts {
			for _, m := range layerModes {
				if m.name == "" || m.name == "+layer" {
					for _, s := range sets {
						reqs = append(reqs, cRequest{o.name + m.name, arch, o.violation, o.loader, []promise.Set{s}, m.layers(1)})
					}
				}
				for _, c := range chains {
					reqs = append(reqs, cRequest{o.name + m.name, arch, o.violation, o.loader, c, m.layers(len(c))})
				}
			}
		}
	}
	res := cFilters(t, reqs)

	type job struct {
		i   int
		req cRequest
	}
	var identical, total, cInsns, goInsns, runs int
	var mu sync.Mutex
	jobs := make(chan job)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := j.req
				cProgs := res[j.i]
				var goProgs []seccomp.Program
				same := len(cProgs) == len(r.chain)
				for k, s := range r.chain {
					_, p := goFilter(t, r.arch, s, r.violation, r.loader, r.layer(k))
					goProgs = append(goProgs, p)
					if same && k == 0 {
						same = progsEqual(p, cProgs[0])
					}
				}
				data := probesFor(r.arch).data
				if err := compare(cProgs, goProgs, data); err != nil {
					var names []string
					for _, s := range r.chain {
						names = append(names, setName(s))
					}
					errs <- fmt.Sprintf("%s %s %q: %v", r.arch.Name, r.opts, names, err)
				}
				mu.Lock()
				total++
				runs += len(data) * 2 * len(r.chain)
				if same {
					identical++
				}
				cInsns += len(cProgs[0])
				goInsns += len(goProgs[0])
				mu.Unlock()
			}
		}()
	}
	go func() {
		for i, r := range reqs {
			jobs <- job{i, r}
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(errs) }()
	n := 0
	for e := range errs {
		if n++; n <= 20 {
			t.Error(e)
		}
	}
	if n > 20 {
		t.Errorf("... %d differences in all", n)
	}
	t.Logf("%d filters and chains compared with %d interpreter runs; first programs byte-identical: %d of %d; instructions C %d, Go %d",
		total, runs, identical, total, cInsns, goInsns)
	// The C compiler is seccomp.Filter.Compile's layout step by step (the
	// hot prologue, the tree, value switches, shared returns): every first
	// program is the Go one, byte for byte. (A chain's later programs are
	// the C delta filters, compared with Go's whole filters by decision.)
	if identical != total {
		t.Errorf("%d of %d first programs differ from the Go ones byte for byte", total-identical, total)
	}
	if cInsns > goInsns {
		t.Errorf("the C programs are longer than the Go ones: %d instructions against %d", cInsns, goInsns)
	}
}

func progsEqual(a, b seccomp.Program) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConstantAllow: every syscall the promises allow unconditionally is
// answered ALLOW without an argument load in the C program too, so the
// kernel's constant-action cache serves it as it serves the Go filter.
func TestConstantAllow(t *testing.T) {
	sets := []string{"stdio", "stdio rpath", "stdio rpath wpath cpath inet dns unix proc exec prot_exec tty"}
	var reqs []cRequest
	for _, s := range sets {
		p, _ := promise.Parse(s)
		for _, layer := range []bool{false, true} {
			reqs = append(reqs, cRequest{"default", seccomp.Native(), 0, 0, []promise.Set{p}, []bool{layer}})
		}
	}
	res := cFilters(t, reqs)
	for i, r := range reqs {
		_, goProg := goFilter(t, r.arch, r.chain[0], 0, 0, r.layer(0))
		cProg := res[i][0]
		name := fmt.Sprintf("%q (path layer %v)", r.chain[0].String(), r.layer(0))
		cs, gs := cProg.Stats(r.arch), goProg.Stats(r.arch)
		if cs.ConstAllow != gs.ConstAllow || cs.Insns > seccomp.MaxInsns {
			t.Errorf("%s: C %+v, Go %+v", name, cs, gs)
		}
		for nr := uint32(0); nr <= r.arch.MaxNr; nr++ {
			ga, gok := goProg.ConstantAction(r.arch, nr)
			ca, cok := cProg.ConstantAction(r.arch, nr)
			if gok && ga == seccomp.ActAllow && (!cok || ca != seccomp.ActAllow) {
				t.Errorf("%s: nr %d is a constant ALLOW in Go, not in C", name, nr)
			}
		}
		t.Logf("%s: %d instructions, %d constant ALLOWs, mean dispatch %.1f (Go: %d, %d, %.1f)",
			name, cs.Insns, cs.ConstAllow, cs.MeanDispatch, gs.Insns, gs.ConstAllow, gs.MeanDispatch)
	}
}

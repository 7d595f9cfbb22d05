package seccomp

import (
	"errors"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// paramFilter is a filter whose syscall 62 (kill on amd64) is allowed when
// args[0] is v or 0, and whose syscall 234 needs args[0] == v and args[2]
// == 0: the shapes of pledge's "to itself" rules.
func paramFilter(v uint32) (*Filter, error) {
	return &Filter{
		Arch: AMD64,
		Rules: []Rule{
			{Nr: 0, Action: ActAllow},
			{Nr: 62, Conds: []Cond{{Arg: 0, Width: Word32, Op: Eq, Val: uint64(v)}}, Action: ActAllow},
			{Nr: 62, Conds: []Cond{{Arg: 0, Width: Word32, Op: Eq, Val: 0}}, Action: ActAllow},
			{Nr: 234, Conds: []Cond{{Arg: 0, Width: Word32, Op: Eq, Val: uint64(v)}, {Arg: 2, Width: Word64, Op: Eq, Val: 0}}, Action: ActAllow},
			{Nr: 234, Action: ActErrno(unix.EPERM)},
		},
		Default: ActKillProcess, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess,
	}, nil
}

// TestParamProgram checks that the patched program is, instruction for
// instruction, the one compiled for the value, and decides as the filter
// does, for values across the pid range and beyond.
func TestParamProgram(t *testing.T) {
	pp, err := CompileParam(paramFilter)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pp.Slots()); n != 2 {
		t.Fatalf("%d slots, want 2 (one per equality with the parameter)", n)
	}
	for _, v := range []uint32{1, 2, 300, 4242, 65535, 1 << 22, 0x7fffffff, 0xffffffff} {
		f, _ := paramFilter(v)
		want, err := f.Compile()
		if err != nil {
			t.Fatal(err)
		}
		got := pp.Program(v)
		if !slices.Equal(got, want) {
			t.Fatalf("v=%d: patched program differs from the compiled one:\n%s\nwant:\n%s", v, got, want)
		}
		for _, d := range []Data{
			{Nr: 62, Args: [6]uint64{uint64(v)}},
			{Nr: 62, Args: [6]uint64{uint64(v) | 0xdead<<32}}, // pid_t: the high half is ignored
			{Nr: 62, Args: [6]uint64{uint64(v + 1)}},
			{Nr: 62},
			{Nr: 234, Args: [6]uint64{uint64(v), 0, 0}},
			{Nr: 234, Args: [6]uint64{uint64(v), 0, 1}},
			{Nr: 234, Args: [6]uint64{uint64(v - 1), 0, 0}},
		} {
			d.Arch = AMD64.AuditArch
			act, _, err := got.Run(d)
			if err != nil {
				t.Fatal(err)
			}
			if w := f.Decide(d); act != w {
				t.Errorf("v=%d nr %d args %#x: patched program returns %v, filter %v", v, d.Nr, d.Args[:3], act, w)
			}
		}
	}
	// Program returns copies: patching one value leaves the next intact.
	a, b := pp.Program(7), pp.Program(8)
	if slices.Equal(a, b) {
		t.Fatal("programs for 7 and 8 are equal")
	}
}

// TestParamProgramRefused checks that CompileParam refuses a parameter it
// cannot rewrite safely: in a value switch (a binary search ordered by
// value, whose layout depends on the value) and outside an equality.
func TestParamProgramRefused(t *testing.T) {
	cases := map[string]func(v uint32) (*Filter, error){
		"value switch": func(v uint32) (*Filter, error) {
			f := &Filter{Arch: AMD64, Default: ActKillProcess, Unknown: ActKillProcess, BadArch: ActKillProcess}
			for _, k := range []uint32{10, 20, 30, v} {
				f.Rules = append(f.Rules, Rule{Nr: 16, Conds: []Cond{{Arg: 1, Width: Word32, Op: Eq, Val: uint64(k)}}, Action: ActAllow})
			}
			return f, nil
		},
		"ordering": func(v uint32) (*Filter, error) {
			return &Filter{Arch: AMD64, Default: ActKillProcess, Unknown: ActKillProcess, BadArch: ActKillProcess,
				Rules: []Rule{{Nr: 16, Conds: []Cond{{Arg: 1, Width: Word32, Op: Le, Val: uint64(v)}}, Action: ActAllow}}}, nil
		},
	}
	for name, build := range cases {
		if _, err := CompileParam(build); !errors.Is(err, unix.EINVAL) {
			t.Errorf("%s: CompileParam = %v, want EINVAL", name, err)
		}
	}
}

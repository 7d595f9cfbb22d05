package pledge

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/unveil"
)

// The package on systems other than Linux (passthrough.go), driven here
// with a fake kernel: no call reaches a real one, so these tests run in
// the test process on any platform.

// fakeKernel records calls as "name(args)" and answers with the next
// scripted error (nil when none is left).
type fakeKernel struct {
	calls []string
	errs  []error
}

func (k *fakeKernel) answer(call string) error {
	k.calls = append(k.calls, call)
	if len(k.errs) == 0 {
		return nil
	}
	err := k.errs[0]
	k.errs = k.errs[1:]
	return err
}

func (k *fakeKernel) calls5() *kernelCalls {
	return &kernelCalls{
		pledge: func(p, e string) error { return k.answer(fmt.Sprintf("Pledge(%q, %q)", p, e)) },
		pledgePromises: func(p string) error {
			return k.answer(fmt.Sprintf("PledgePromises(%q)", p))
		},
		pledgeExecpromises: func(e string) error {
			return k.answer(fmt.Sprintf("PledgeExecpromises(%q)", e))
		},
		unveil:      func(path, flags string) error { return k.answer(fmt.Sprintf("Unveil(%q, %q)", path, flags)) },
		unveilBlock: func() error { return k.answer("UnveilBlock()") },
	}
}

func mustSet(t *testing.T, s string) Promises {
	t.Helper()
	p, err := promise.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPassthroughKernel: with a kernel (OpenBSD) every call is the
// matching golang.org/x/sys call with the strings as given, its error is
// returned unchanged, and what it accepted is what CurrentState and
// UnveilStatus report.
func TestPassthroughKernel(t *testing.T) {
	k := &fakeKernel{}
	pt := newPassthrough(k.calls5(), nil)
	p, e := "stdio rpath unveil error", "stdio"

	if err := pt.unveil("/etc", "r"); err != nil {
		t.Fatal(err)
	}
	if st := pt.status(); !st.Enforced || st.Locked || st.Err != nil || st.ABI != 0 || st.Unenforced != 0 ||
		!reflect.DeepEqual(st.Entries, []unveil.Entry{{Path: "/etc", Perm: unveil.PermRead}}) {
		t.Errorf("after the first unveil: %+v, want enforced, unlocked, the entry", st)
	}
	if err := pt.unveil("/etc", "rw"); err != nil { // replaces, as unveil(2) does
		t.Fatal(err)
	}
	if err := pt.pledge(&p, &e); err != nil {
		t.Fatal(err)
	}
	s := pt.currentState()
	if !s.Pledged || s.Promises != mustSet(t, p) || !s.ExecSet || s.Execpromises != mustSet(t, e) ||
		s.Filters != 0 || s.ExecSupervisor != 0 || s.ExecErr != nil {
		t.Errorf("state %+v", s)
	}
	// Under "error" the kernel drops an addition: the state follows.
	wider := "stdio rpath wpath error"
	if err := pt.pledge(&wider, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := pt.currentState().Promises, mustSet(t, "stdio rpath error"); got != want {
		t.Errorf("after an addition under error: %q, want %q", got, want)
	}
	if !pt.status().Locked {
		t.Error("a pledge without unveil does not lock unveil")
	}
	// The kernel's errors come back as they are.
	k.errs = []error{syscall.EPERM, syscall.EINVAL, syscall.ENOENT, syscall.EPERM}
	for i, call := range []func() error{
		func() error { return pt.pledge(nil, &p) },
		func() error { bad := "bogus"; return pt.pledge(&bad, nil) },
		func() error { return pt.unveil("/nonexistent/x", "r") },
		pt.unveilBlock,
	} {
		if err, want := call(), []error{syscall.EPERM, syscall.EINVAL, syscall.ENOENT, syscall.EPERM}[i]; err != want {
			t.Errorf("call %d: %v, want the kernel's %v unchanged", i, err, want)
		}
	}
	if got := pt.currentState().Execpromises; got != mustSet(t, e) {
		t.Errorf("a refused pledge changed execpromises to %q", got)
	}
	if err := pt.unveilBlock(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Unveil("/etc", "r")`, `Unveil("/etc", "rw")`,
		`Pledge("stdio rpath unveil error", "stdio")`,
		`PledgePromises("stdio rpath wpath error")`,
		`PledgeExecpromises("stdio rpath unveil error")`, `PledgePromises("bogus")`,
		`Unveil("/nonexistent/x", "r")`, `UnveilBlock()`, `UnveilBlock()`,
	}
	if !reflect.DeepEqual(k.calls, want) {
		t.Errorf("kernel calls\n%q\nwant\n%q", k.calls, want)
	}
	if st := pt.status(); len(st.Entries) != 1 || st.Entries[0].Perm != unveil.PermRead|unveil.PermWrite {
		t.Errorf("entries %+v, want /etc rw", st.Entries)
	}
}

// TestPassthroughKernelNewerPromise: a promise the kernel knows and this
// package does not is passed on; the state records the known ones.
func TestPassthroughKernelNewerPromise(t *testing.T) {
	k := &fakeKernel{}
	pt := newPassthrough(k.calls5(), nil)
	p := "stdio newpromise rpath"
	if err := pt.pledge(&p, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := pt.currentState().Promises, mustSet(t, "stdio rpath"); got != want {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

var errTestUnsupported = fmt.Errorf("no pledge(2) here: %w", errors.ErrUnsupported)

// TestPassthroughUnsupported: without a kernel every call fails with an
// error matching errors.ErrUnsupported, after the argument checks every
// platform makes, and the reports say nothing is enforced.
func TestPassthroughUnsupported(t *testing.T) {
	t.Setenv(EnvBestEffort, "")
	pt := newPassthrough(nil, errTestUnsupported)
	p, e, bad, long := "stdio", "", "stdio bogus", string(make([]byte, 1024))
	for name, c := range map[string]struct {
		err  error
		want error
	}{
		"Pledge":             {pt.pledge(&p, &e), errors.ErrUnsupported},
		"PledgePromises":     {pt.pledge(&p, nil), errors.ErrUnsupported},
		"PledgeExecpromises": {pt.pledge(nil, &e), errors.ErrUnsupported},
		"Pledge-bad":         {pt.pledge(&bad, &e), syscall.EINVAL},
		"Pledge-bad-exec":    {pt.pledge(&p, &bad), syscall.EINVAL},
		"Pledge-long":        {pt.pledge(&long, nil), syscall.ENAMETOOLONG},
		"Unveil":             {pt.unveil("/etc", "r"), errors.ErrUnsupported},
		"Unveil-perm":        {pt.unveil("/etc", "rq"), syscall.EINVAL},
		"Unveil-perm-long":   {pt.unveil("", "rwxcr"), syscall.ENAMETOOLONG},
		"Unveil-empty":       {pt.unveil("", "r"), syscall.EINVAL},
		"UnveilBlock":        {pt.unveilBlock(), errors.ErrUnsupported},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", name, c.err, c.want)
		}
		if c.want != errors.ErrUnsupported && errors.Is(c.err, errors.ErrUnsupported) {
			t.Errorf("%s: %v: a bad argument is reported as unsupported", name, c.err)
		}
		var pe *os.PathError
		if name[:6] == "Unveil" && name != "UnveilBlock" && (!errors.As(c.err, &pe) || pe.Op != "unveil") {
			t.Errorf("%s: %v is no *os.PathError{Op: unveil}", name, c.err)
		}
	}
	if s := pt.currentState(); s != (State{}) || s.Enforced() {
		t.Errorf("state after failed calls: %+v", s)
	}
	st := pt.status()
	if st.Enforced || st.Locked || !errors.Is(st.Err, errors.ErrUnsupported) || st.Unenforced != unveil.AllRights() ||
		!st.AbstractUnixOpen || len(st.Entries) != 0 || st.BestEffort {
		t.Errorf("status %+v", st)
	}
}

// TestPassthroughBestEffort: without a kernel and with best effort the
// calls succeed and keep OpenBSD's bookkeeping, enforcing nothing.
func TestPassthroughBestEffort(t *testing.T) {
	t.Setenv(EnvBestEffort, "1")
	pt := newPassthrough(nil, errTestUnsupported)
	if !pt.status().BestEffort {
		t.Fatalf("%s=1 does not turn best effort on", EnvBestEffort)
	}
	p, e := "stdio rpath proc exec unveil", "stdio"
	steps := []struct {
		name string
		err  error
		want error
	}{
		{"unveil", pt.unveil("/etc", "r"), nil},
		{"pledge", pt.pledge(&p, &e), nil},
		{"wider", pt.pledge(ptr("stdio rpath wpath"), nil), syscall.EPERM},
		{"wider-exec", pt.pledge(nil, ptr("stdio rpath")), syscall.EPERM},
		{"bad", pt.pledge(ptr("stdio bogus"), nil), syscall.EINVAL},
		{"narrower", pt.pledge(ptr("stdio rpath"), nil), nil},
		{"unveil-locked", pt.unveil("/tmp", "r"), syscall.EPERM},
		{"block", pt.unveilBlock(), nil},
	}
	for _, s := range steps {
		if (s.want == nil) != (s.err == nil) || (s.want != nil && !errors.Is(s.err, s.want)) {
			t.Errorf("%s: %v, want %v", s.name, s.err, s.want)
		}
	}
	s := pt.currentState()
	if !s.Pledged || s.Promises != mustSet(t, "stdio rpath") || !s.ExecSet || s.Execpromises != mustSet(t, e) ||
		!errors.Is(s.ExecErr, errors.ErrUnsupported) || s.Enforced() {
		t.Errorf("state %+v (enforced %v)", s, s.Enforced())
	}
	st := pt.status()
	if st.Enforced || !st.Locked || !errors.Is(st.Err, errors.ErrUnsupported) ||
		!reflect.DeepEqual(st.Entries, []unveil.Entry{{Path: "/etc", Perm: unveil.PermRead}}) {
		t.Errorf("status %+v", st)
	}
	// Under "error" an addition is dropped, as OpenBSD drops it.
	pt = newPassthrough(nil, errTestUnsupported)
	if err := pt.pledge(ptr("stdio error"), nil); err != nil {
		t.Fatal(err)
	}
	if err := pt.pledge(ptr("stdio rpath error"), nil); err != nil {
		t.Errorf("addition under error: %v", err)
	}
	if got := pt.currentState().Promises; got != mustSet(t, "stdio error") {
		t.Errorf("after an addition under error: %q", got)
	}
	pt.setBestEffort(false)
	if err := pt.pledge(ptr("stdio"), nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("best effort off again: %v", err)
	}
}

func ptr(s string) *string { return &s }

//go:build !linux && !openbsd

package pledge

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestUnsupportedAPI drives the package's API on a system with neither
// pledge(2) nor Landlock (compat_test's TestUnsupportedPlatform runs it on
// js/wasm): every call fails with an error matching
// errors.ErrUnsupported, and with best effort the calls succeed and the
// reports say nothing is enforced. It changes the process's state, once.
func TestUnsupportedAPI(t *testing.T) {
	if os.Getenv(EnvBestEffort) != "" {
		t.Fatalf("run without %s", EnvBestEffort)
	}
	var pe *os.PathError
	for name, err := range map[string]error{
		"Pledge":             Pledge("stdio", ""),
		"PledgePromises":     PledgePromises("stdio"),
		"PledgeExecpromises": PledgeExecpromises(""),
		"Unveil":             Unveil("/", "r"),
		"UnveilBlock":        UnveilBlock(),
	} {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v, want errors.ErrUnsupported", name, err)
		}
		if name == "Unveil" && !errors.As(err, &pe) {
			t.Errorf("Unveil: %v is no *os.PathError", err)
		}
	}
	if err := Pledge("stdio bogus", ""); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("a bad promise: %v, want EINVAL first", err)
	}
	if st := CurrentState(); st != (State{}) || st.Enforced() {
		t.Errorf("state %+v", st)
	}
	if st := UnveilStatus(); st.Enforced || st.Locked || !errors.Is(st.Err, errors.ErrUnsupported) {
		t.Errorf("status %+v", st)
	}

	SetBestEffort(true)
	for name, err := range map[string]error{
		"Unveil":      Unveil("/", "r"),
		"Pledge":      Pledge("stdio rpath", "stdio"),
		"UnveilBlock": UnveilBlock(),
	} {
		if err != nil {
			t.Errorf("best effort %s: %v", name, err)
		}
	}
	if err := PledgePromises("stdio rpath wpath"); !errors.Is(err, syscall.EPERM) {
		t.Errorf("best effort, a wider pledge: %v, want EPERM", err)
	}
	st := CurrentState()
	if !st.Pledged || st.Promises.String() != "stdio rpath" || st.Enforced() || st.Filters != 0 {
		t.Errorf("best effort state %+v (enforced %v)", st, st.Enforced())
	}
	if vs := UnveilStatus(); vs.Enforced || !vs.Locked || !vs.BestEffort || len(vs.Entries) != 1 {
		t.Errorf("best effort status %+v", vs)
	}
	// Nothing is enforced: the file system is as it was.
	if _, err := os.Stat("/"); err != nil {
		t.Errorf("stat /: %v", err)
	}
}

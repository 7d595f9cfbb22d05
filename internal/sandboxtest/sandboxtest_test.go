package sandboxtest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRunExitAndReport(t *testing.T) {
	dir := TempDir(t)
	res := Run(t, func() {
		Report("missing", os.WriteFile(filepath.Join(dir, "nodir", "f"), nil, 0o600))
		Report("write", os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600))
		os.Exit(3)
	})
	res.WantExit(t, 3)
	res.WantOutcome(t, "missing", "ENOENT")
	res.WantOutcome(t, "write", "ok")
	if _, err := os.Stat(filepath.Join(dir, "f")); err != nil {
		t.Errorf("child wrote into a different directory than the parent's: %v", err)
	}
}

func TestRunSignal(t *testing.T) {
	res := Run(t, func() { syscall.Kill(os.Getpid(), syscall.SIGKILL) })
	res.WantSignal(t, syscall.SIGKILL)
	if res.ExitCode != -1 {
		t.Errorf("exit code of a signalled child: got %d, want -1", res.ExitCode)
	}
}

func TestSubtests(t *testing.T) {
	for _, code := range []int{0, 7} {
		t.Run(map[int]string{0: "zero", 7: "seven [x]"}[code], func(t *testing.T) {
			Run(t, func() { os.Exit(code) }).WantExit(t, code)
		})
	}
}

func TestErrnoName(t *testing.T) {
	for err, want := range map[error]string{nil: "ok", syscall.EACCES: "EACCES", &os.PathError{Op: "open", Path: "/x", Err: syscall.ENOSYS}: "ENOSYS"} {
		if got := ErrnoName(err); got != want {
			t.Errorf("ErrnoName(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestRequireKnownFeatures(t *testing.T) {
	for f := range probes {
		t.Run(f, func(t *testing.T) { Require(t, f) })
	}
}

package sandboxtest

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// errorsTB records Errorf calls; Outcomes calls nothing else of it but
// Helper.
type errorsTB struct {
	testing.TB
	errs []string
}

func (e *errorsTB) Helper() {}
func (e *errorsTB) Errorf(format string, a ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, a...))
}

func TestOutcomes(t *testing.T) {
	tb := &errorsTB{}
	got := Outcomes(tb, "noise\nsandboxtest: a=ok\n  sandboxtest: indented=x\nsandboxtest: b=EPERM\nsandboxtest: no value\nsandboxtest: s=k=v\nsandboxtest: a=EACCES\n")
	want := map[string]string{"a": "ok", "b": "EPERM", "s": "k=v"}
	if !maps.Equal(got, want) {
		t.Errorf("Outcomes = %v, want %v", got, want)
	}
	if len(tb.errs) != 1 || !strings.Contains(tb.errs[0], `key "a" reported twice (ok, then EACCES)`) {
		t.Errorf("errors for a duplicated key: %q", tb.errs)
	}
}

// TestRunOrphanHoldsPipes: a process the child leaves behind with the
// child's stdout does not make Run hang; the child's own status is kept.
func TestRunOrphanHoldsPipes(t *testing.T) {
	orphanPipeDelay = 100 * time.Millisecond
	defer func() { orphanPipeDelay = 10 * time.Second }()
	res := Run(t, func() {
		orphan := exec.Command("sleep", "30")
		orphan.Stdout = os.Stdout
		if err := orphan.Start(); err != nil {
			panic(err)
		}
		fmt.Printf("orphan=%d\n", orphan.Process.Pid)
		os.Exit(4)
	})
	res.WantExit(t, 4)
	var pid int
	if i := strings.Index(res.Stdout, "orphan="); i >= 0 {
		fmt.Sscanf(res.Stdout[i:], "orphan=%d", &pid)
	}
	if pid <= 0 {
		t.Fatalf("no orphan pid in %q", res.Stdout)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

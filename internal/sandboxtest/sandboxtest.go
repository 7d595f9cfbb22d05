// Package sandboxtest runs sandboxed test cases in child processes.
//
// Pledging and unveiling are irreversible and apply to the whole process,
// so a test must never sandbox the test runner itself. Run re-executes the
// test binary so that only the calling test runs, and in that child the
// same Run call executes the sandboxed function instead of spawning again.
// The parent then asserts on the child's exit status, signal and output.
package sandboxtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// childEnv names the test a re-executed binary must run sandboxed.
const childEnv = "LANDPLEDGE_SANDBOXTEST_CHILD"

// orphanPipeDelay bounds how long Run waits for the child's output pipes
// once the child has exited (see exec.Cmd.WaitDelay).
var orphanPipeDelay = 10 * time.Second

// reportPrefix starts every line written by Report.
const reportPrefix = "sandboxtest: "

// Main is an optional TestMain body. Run works without it; a package that
// needs its own TestMain calls Main at the end of it.
func Main(m *testing.M) { os.Exit(m.Run()) }

// InChild reports whether this process is a child started by Run.
func InChild() bool { return os.Getenv(childEnv) != "" }

// Result is what a child process did.
type Result struct {
	ExitCode int            // -1 when the child was killed by a signal
	Signal   syscall.Signal // the signal that killed the child, or 0
	Stdout   string
	Stderr   string
	outcomes map[string]string // the report lines of Stdout, by key
}

// Run runs fn in a child process and returns the child's result. In the
// child (re-executed with only the calling test selected), Run calls fn and
// exits 0 when fn returns; fn may call os.Exit itself. Extra environment
// variables for the child may be given as "KEY=value".
// Run must be called from the test's own goroutine, at most once per test
// or subtest (use t.Run for several cases). The test body before Run runs
// again in the child, so setup must be repeatable; use TempDir for a
// directory both sides share.
func Run(t *testing.T, fn func(), env ...string) *Result {
	t.Helper()
	return RunWith(t, fn, nil, env...)
}

// RunWith is Run with prepare, when set, called on the child's command
// before it starts (in the parent only), to give it other standard
// descriptors or process attributes (a pseudo-terminal as its controlling
// terminal): what the child writes where prepare sends it is not in the
// Result.
func RunWith(t *testing.T, fn func(), prepare func(cmd *exec.Cmd), env ...string) *Result {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		fn()
		os.Stdout.Sync()
		os.Exit(0)
	}
	if InChild() {
		// A different test of a re-executed binary: nothing to do here.
		t.SkipNow()
	}
	if used.count(t, "run") > 0 {
		t.Fatalf("sandboxtest: Run called twice in %s; use one subtest per sandboxed case", t.Name())
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("sandboxtest: finding the test binary: %v", err)
	}
	cmd := exec.Command(exe, "-test.run="+runPattern(t.Name()), "-test.count=1", "-test.v=false")
	cmd.Env = append(append(os.Environ(), childEnv+"="+t.Name()), env...)
	if prepare != nil {
		prepare(cmd)
	}
	return RunCommand(t, cmd)
}

// RunCommand runs cmd, a helper program (a C test driver, say), with its
// output captured, and returns what it did as Run does for a child: exit
// status or signal, output and report lines. The output is captured where
// cmd's Stdout and Stderr are unset; what goes to ones cmd was given is not
// in the Result.
func RunCommand(t testing.TB, cmd *exec.Cmd) *Result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	// A process the child started and left behind (stopped, or waiting on
	// something) may hold the output pipes open: once the child has
	// exited, wait that long for them, then close them and go on rather
	// than hang the suite.
	cmd.WaitDelay = orphanPipeDelay
	err := cmd.Run()
	res := &Result{Stdout: stdout.String(), Stderr: stderr.String()}
	res.outcomes = Outcomes(t, res.Stdout)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.Is(err, exec.ErrWaitDelay):
		// The child itself exited normally; its status is below.
		res.Stderr += "\nsandboxtest: a process left behind by the child kept its output open\n"
	case errors.As(err, &exitErr):
		ws := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.ExitCode, res.Signal = -1, ws.Signal()
		} else {
			res.ExitCode = ws.ExitStatus()
		}
	default:
		t.Fatalf("sandboxtest: starting %s: %v", cmd.Path, err)
	}
	if res.Signal == 0 {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	return res
}

// runPattern selects exactly the named (sub)test with -test.run.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func (r *Result) String() string {
	return fmt.Sprintf("exit=%d signal=%v\n--- stdout:\n%s--- stderr:\n%s", r.ExitCode, r.Signal, r.Stdout, r.Stderr)
}

// WantExit fails the test unless the child exited normally with code.
func (r *Result) WantExit(t testing.TB, code int) {
	t.Helper()
	if r.Signal != 0 || r.ExitCode != code {
		t.Fatalf("child: want exit %d, got %s", code, r)
	}
}

// WantSignal fails the test unless the child was killed by sig.
func (r *Result) WantSignal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if r.Signal != sig {
		t.Fatalf("child: want death by %v, got %s", sig, r)
	}
}

// Report prints "sandboxtest: key=OUTCOME" on stdout, where OUTCOME is
// ErrnoName(err). The parent reads it back with Outcome.
func Report(key string, err error) {
	fmt.Printf("%s%s=%s\n", reportPrefix, key, ErrnoName(err))
}

// ErrnoName is "ok" for nil, the errno's name (such as "EACCES") when err
// wraps a syscall.Errno, and "error:<text>" otherwise.
func ErrnoName(err error) string {
	if err == nil {
		return "ok"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return name
		}
		return fmt.Sprintf("errno%d", int(errno))
	}
	return "error:" + err.Error()
}

// Outcome returns the outcome the child reported for key, or "" if none.
func (r *Result) Outcome(key string) string { return r.outcomes[key] }

// WantOutcome fails the test unless the child reported want for key.
func (r *Result) WantOutcome(t testing.TB, key, want string) {
	t.Helper()
	if got := r.Outcome(key); got != want {
		t.Errorf("%s: want %s, got %q\n%s", key, want, got, r)
	}
}

// Outcomes reads the report lines ("sandboxtest: key=OUTCOME") in the
// output of a child or of a helper program. A key reported twice fails t:
// a check repeated under one key (in a loop, on several threads) would be
// judged by one of its lines only, and a failure in another would pass
// unseen. Run reads every child's stdout with it.
func Outcomes(t testing.TB, output string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(output, "\n") {
		kv, isReport := strings.CutPrefix(line, reportPrefix)
		key, val, ok := strings.Cut(kv, "=")
		if !isReport || !ok {
			continue
		}
		if prev, dup := out[key]; dup {
			t.Errorf("sandboxtest: key %q reported twice (%s, then %s): give each check its own key", key, prev, val)
			continue
		}
		out[key] = val
	}
	return out
}

// used counts calls per test so that the child, which runs the same test
// body again, can match them up with the parent's.
var used = &counter{n: map[string]int{}}

type counter struct {
	mu sync.Mutex
	n  map[string]int
}

// count returns how often kind was counted before for t, and counts once more.
func (c *counter) count(t testing.TB, kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := t.Name() + "\x00" + kind
	n := c.n[key]
	c.n[key] = n + 1
	if n == 0 {
		// Forget the test's counts when it ends, so -test.count=N
		// repeats start from zero again.
		t.Cleanup(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			delete(c.n, key)
		})
	}
	return n
}

// TempDir returns a directory shared by the parent test and its child: the
// parent makes it with t.TempDir and passes its name in the environment; the
// child, running the same test body, gets the parent's directory back from
// the same call.
func TempDir(t *testing.T) string {
	t.Helper()
	key := fmt.Sprintf("LANDPLEDGE_SANDBOXTEST_DIR_%d", used.count(t, "tempdir"))
	if InChild() {
		if dir := os.Getenv(key); dir != "" {
			return dir
		}
		t.Fatalf("sandboxtest: %s not passed to the child", key)
	}
	dir := t.TempDir()
	prev, had := os.LookupEnv(key)
	os.Setenv(key, dir)
	t.Cleanup(func() {
		if had {
			os.Setenv(key, prev)
		} else {
			os.Unsetenv(key)
		}
	})
	return dir
}

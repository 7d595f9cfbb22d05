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

// TestFeatures: a feature the machine has passes, one it lacks skips, or
// fails when LANDPLEDGE_REQUIRE lists it. In CI this checks that the
// machine has everything .ci/run says it has.
func TestFeatures(t *testing.T) {
	for _, f := range knownFeatures() {
		t.Run(f, func(t *testing.T) { Require(t, f) })
	}
	t.Run(abiFeature, func(t *testing.T) { RequireABI(t, max(1, required(t)[abiFeature])) })
}

// helperEnv makes TestHelper, run in a subprocess of this test binary by
// selfTest, run one of helperCases on a machine faked to lack gcc and to
// have Landlock ABI 3: the subprocess's failure is what the parent checks.
const helperEnv = "LANDPLEDGE_SANDBOXTEST_HELPER"

var helperCases = map[string]func(t *testing.T){
	"require-cc": func(t *testing.T) { Require(t, "cc") },
	"have-cc": func(t *testing.T) {
		if Have(t, "cc") {
			t.Error("Have(cc) is true on a machine faked without gcc")
		}
	},
	"abi5": func(t *testing.T) { RequireABI(t, 5) },
	"dup-key": func(t *testing.T) {
		Run(t, func() {
			Report("k", nil)
			Report("k", syscall.EACCES)
		})
	},
}

// TestHelper is the subprocess side of selfTest; run directly, it skips.
func TestHelper(t *testing.T) {
	name := os.Getenv(helperEnv)
	if name == "" {
		t.Skip("the subprocess side of TestRequireEnv and TestRunDuplicateKey")
	}
	features["cc"] = func() string { return "faked: no gcc" }
	landlockABI = func() (int, string) { return 3, "" }
	helperCases[name](t)
}

// selfTest runs TestHelper's case helper in a subprocess with
// LANDPLEDGE_REQUIRE=require and checks its verdict ("PASS", "SKIP" or
// "FAIL", the exit status going with it) and that its output says want.
func selfTest(t *testing.T, helper, require, verdict, want string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelper$", "-test.v", "-test.count=1")
	// The last of duplicated keys wins: these replace CI's own settings.
	cmd.Env = append(os.Environ(), helperEnv+"="+helper, requireEnv+"="+require)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	wantCode := map[string]int{"PASS": 0, "SKIP": 0, "FAIL": 1}[verdict]
	if code != wantCode || !strings.Contains(string(out), "--- "+verdict+": TestHelper") || !strings.Contains(string(out), want) {
		t.Errorf("%s with %s=%q: want exit %d, --- %s and %q; got exit %d:\n%s", helper, requireEnv, require, wantCode, verdict, want, code, out)
	}
}

// TestRequireEnv: LANDPLEDGE_REQUIRE turns a missing feature (or too old
// a Landlock ABI) into a failure, and names it cannot parse into failures
// of every check, whatever the machine has.
func TestRequireEnv(t *testing.T) {
	for _, c := range []struct{ name, helper, require, verdict, want string }{
		{"missing-skips", "require-cc", "", "SKIP", "machine lacks cc: faked: no gcc"},
		{"missing-required-fails", "require-cc", "landlock,cc", "FAIL", "cc is required (LANDPLEDGE_REQUIRE=landlock,cc) but unavailable: faked: no gcc"},
		{"have-missing-logs", "have-cc", "landlock", "PASS", "machine lacks cc: faked: no gcc"},
		{"have-missing-required-fails", "have-cc", "cc", "FAIL", "cc is required (LANDPLEDGE_REQUIRE=cc) but unavailable"},
		{"old-abi-skips", "abi5", "landlock-abi=3", "SKIP", "kernel has Landlock ABI 3; this test needs ABI 5"},
		{"old-abi-required-fails", "abi5", "landlock,landlock-abi=5", "FAIL", "Landlock ABI 5 is required (LANDPLEDGE_REQUIRE=landlock,landlock-abi=5) but the kernel has ABI 3"},
		{"unknown-name-fails", "require-cc", "landlock,seccom", "FAIL", `unknown feature "seccom"`},
		{"unknown-name-fails-have", "have-cc", "cc2", "FAIL", `unknown feature "cc2"`},
		{"value-on-plain-feature-fails", "require-cc", "cc=1", "FAIL", `feature "cc" takes no value`},
		{"bad-abi-fails", "abi5", "landlock-abi=seven", "FAIL", `landlock-abi wants an ABI number >= 1`},
		{"abi-without-value-fails", "abi5", "landlock-abi", "FAIL", `landlock-abi wants an ABI number >= 1`},
	} {
		t.Run(c.name, func(t *testing.T) { selfTest(t, c.helper, c.require, c.verdict, c.want) })
	}
}

// TestRunDuplicateKey: a key a child reports twice fails the test, however
// the test reads the outcomes.
func TestRunDuplicateKey(t *testing.T) {
	selfTest(t, "dup-key", "", "FAIL", `sandboxtest: key "k" reported twice (ok, then EACCES)`)
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

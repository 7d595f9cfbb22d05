package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
)

// The test binary plays the target too: with envTarget set it does one
// thing and reports it (sandboxtest lines).
const envTarget = "SANDBOX_TEST_TARGET"

var targets = map[string]func(){
	"open": func() {
		f, err := os.Open("/etc/hostname")
		if err == nil {
			f.Close()
		}
		sandboxtest.Report("open", err)
	},
	// fds prints "fds: N N ..." (the open descriptors but the one it
	// lists them with): what the program inherited.
	"fds": func() {
		fd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			sandboxtest.Report("fds", err)
			return
		}
		f := os.NewFile(uintptr(fd), "/proc/self/fd")
		defer f.Close()
		names, err := f.Readdirnames(-1)
		var fds []int
		for _, n := range names {
			if v, _ := strconv.Atoi(n); v != fd {
				fds = append(fds, v)
			}
		}
		slices.Sort(fds)
		fmt.Printf("fds: %v\n", fds)
		sandboxtest.Report("fds", err)
	},
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(envTarget); mode != "" {
		targets[mode]()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runTarget runs the test binary as target mode under supervise.Run with
// sb injected at its first stop, and returns its status and stdout.
func runTarget(t *testing.T, mode string, sb *Sandbox, extra ...*os.File) (unix.WaitStatus, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envTarget+"="+mode)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = out, os.Stderr, extra
	cfg := supervise.Config{
		Logf:    t.Logf,
		Setup:   func(pid int) (any, error) { return nil, Inject(pid, sb) },
		Seccomp: func(*supervise.Stop) supervise.Decision { return supervise.Decision{Verdict: supervise.Allow} },
	}
	errc := make(chan error, 1)
	var ws unix.WaitStatus
	go func() { // Run locks its goroutine's thread for good
		var err error
		ws, err = supervise.Run(cmd, cfg)
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return ws, string(b)
}

// A Landlock domain injected at the first stop is in force, with rules on
// descriptors the supervisor opened and the program inherited; those
// descriptors are closed in the program, and other inherited ones stay.
func TestInjectLandlock(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	abi, err := landlock.ABI()
	if err != nil {
		t.Fatal(err)
	}
	// The supervisor's rule fds: O_PATH, inheritable, at high numbers as
	// the command puts them. /usr holds the test binary's libraries (it
	// may be linked dynamically); /etc is not covered.
	read := uint64(unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR)
	d := &landlock.Domain{Attr: landlock.RulesetAttr{HandledAccessFS: landlock.HandledAccessFS(abi)}}
	for _, dir := range []string{"/proc", "/usr"} {
		pfd, err := unix.Open(dir, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		rfd, err := unix.FcntlInt(uintptr(pfd), unix.F_DUPFD, 1000)
		unix.Close(pfd)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(rfd)
		d.Rules = append(d.Rules, landlock.PathRule{Access: read, Fd: rfd, Path: dir})
	}
	keep, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	for _, mode := range []string{"open", "fds"} {
		t.Run(mode, func(t *testing.T) {
			ws, out := runTarget(t, mode, &Sandbox{Landlock: d}, keep) // keep is fd 3
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("status %v, output %q", ws, out)
			}
			switch mode {
			case "open": // /etc/hostname is not under /proc or /usr
				if got := sandboxtest.Outcomes(t, out)["open"]; got != "EACCES" {
					t.Fatalf("want open=EACCES, got %q in %q", got, out)
				}
			case "fds":
				// What the program inherits is ours: 0-2, the extra file 3
				// and whatever the test runner inherited itself; the rule
				// fds and the ruleset fd are gone.
				want := fmt.Sprintf("fds: %v\n", inheritable(t, []int{0, 1, 2, 3}, d.Rules))
				if sandboxtest.Outcomes(t, out)["fds"] != "ok" || !strings.Contains(out, want) {
					t.Fatalf("want %q (rule and ruleset fds closed), got %q", want, out)
				}
			}
		})
	}
}

// inheritable lists the fds of this process without FD_CLOEXEC, and
// those in with, but not the rules' fds.
func inheritable(t *testing.T, with []int, rules []landlock.PathRule) []int {
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := slices.Clone(with)
	for _, n := range names {
		fd, _ := strconv.Atoi(n.Name())
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || fl&unix.FD_CLOEXEC != 0 || slices.ContainsFunc(rules, func(r landlock.PathRule) bool { return r.Fd == fd }) {
			continue
		}
		fds = append(fds, fd)
	}
	slices.Sort(fds)
	return slices.Compact(fds)
}

// TestFdRuns: closing the ruleset and rule fds takes one close_range per
// run of consecutive numbers and touches no other fd.
func TestFdRuns(t *testing.T) {
	got := fdRuns([]int{7, 3, 4, 9, 5, 4, 10})
	want := [][2]int{{3, 5}, {7, 7}, {9, 10}}
	if !slices.Equal(got, want) {
		t.Errorf("fdRuns = %v, want %v", got, want)
	}
}

package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/seccomp"
)

// The test binary plays two parts, chosen by an environment variable: the
// test runner, and the target (do one thing, print its errno name), which
// the supervisor sandboxes with testFilter at its first stop.
const envTarget = "SUPERVISE_TEST_TARGET"

const (
	tagViolation uint16 = 1
	tagLoader    uint16 = 2
)

// testFilter allows everything except: socket (violation), openat for
// reading and execve (loader), mmap with PROT_EXEC (loader), getppid
// (killed, to check the kill path).
func testFilter() *seccomp.Filter {
	v, l := seccomp.ActTrace(tagViolation), seccomp.ActTrace(tagLoader)
	return &seccomp.Filter{
		Arch: seccomp.Native(),
		Rules: []seccomp.Rule{
			{Nr: unix.SYS_SOCKET, Action: v},
			{Nr: unix.SYS_OPENAT, Conds: []seccomp.Cond{{Arg: 2, Width: seccomp.Word32, Op: seccomp.MaskedEq, Mask: unix.O_ACCMODE | unix.O_CREAT, Val: unix.O_RDONLY}}, Action: l},
			{Nr: unix.SYS_EXECVE, Action: l},
			{Nr: unix.SYS_MMAP, Conds: []seccomp.Cond{{Arg: 2, Width: seccomp.Word32, Op: seccomp.MaskedEq, Mask: unix.PROT_EXEC, Val: unix.PROT_EXEC}}, Action: l},
		},
		Default: seccomp.ActAllow,
		Unknown: seccomp.ActErrno(unix.ENOSYS),
		BadArch: seccomp.ActKillProcess,
	}
}

// targets are what the target part does.
var targets = map[string]func() error{
	"open": func() error {
		f, err := os.Open("/etc/hostname")
		if err == nil {
			f.Close()
		}
		return err
	},
	"socket": func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	},
	"mmapexec": func() error {
		b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err == nil {
			unix.Munmap(b)
		}
		return err
	},
	"exec": func() error {
		return syscall.Exec("/bin/true", []string{"true"}, nil)
	},
	// fds prints "fds: N N ..." (the open descriptors but the one it lists
	// them with): what the program inherited.
	"fds": func() error {
		fd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
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
		return err
	},
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(envTarget); mode != "" {
		err := targets[mode]()
		sandboxtest.Report(mode, err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runSupervised(t *testing.T, mode string, kill bool) (unix.WaitStatus, string, []*Violation) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bpf, err := testFilter().Compile()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envTarget+"="+mode)
	return supervised(t, cmd, kill, func(pid int) error { return applyAt(pid, &Sandbox{Filter: bpf}) })
}

// applyAt injects sb into pid, stopped at its first stop.
func applyAt(pid int, sb *Sandbox) error {
	in, err := NewInjector(pid)
	if err != nil {
		return err
	}
	if err := in.Apply(sb); err != nil {
		return err
	}
	return in.Restore()
}

// supervised runs cmd under Run with the test filter's tags and returns its
// status, its stdout and the violations seen.
func supervised(t *testing.T, cmd *exec.Cmd, kill bool, setup func(int) error) (unix.WaitStatus, string, []*Violation) {
	t.Helper()
	sandboxtest.Require(t, "seccomp")
	// A file, not a pipe: Run reaps the process itself, so nothing would
	// wait for os/exec's copying goroutine.
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	var seen []*Violation
	cfg := Config{ViolationTag: tagViolation, LoaderTag: tagLoader, KillNr: -1, Logf: t.Logf, Setup: setup,
		OnViolation: func(v *Violation) Verdict {
			seen = append(seen, v)
			// The Go runtime of the target reads a few /sys and /proc files
			// at start; kill only for the socket under test.
			if kill && v.Nr == unix.SYS_SOCKET {
				return Kill
			}
			return Deny
		}}
	if kill {
		cfg.KillNr = int64(seccomp.Native().X32Bit | unix.SYS_GETPID)
	}
	errc := make(chan error, 1)
	var ws unix.WaitStatus
	// Run locks its goroutine's thread for good: give it its own goroutine.
	go func() {
		var err error
		ws, err = Run(cmd, cfg)
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return ws, string(b), seen
}

// A target that has started cannot use loader-only operations: each one
// is denied with EPERM and reported once.
func TestAfterEntryLoaderOpsDenied(t *testing.T) {
	for _, mode := range []string{"open", "mmapexec", "exec", "socket"} {
		t.Run(mode, func(t *testing.T) {
			ws, out, seen := runSupervised(t, mode, false)
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("target status %v, output %q", ws, out)
			}
			if got := sandboxtest.Outcomes(t, out)[mode]; got != "EPERM" {
				t.Fatalf("want %s=EPERM, got %q in %q", mode, got, out)
			}
			if len(seen) == 0 {
				t.Fatal("no violation reported")
			}
			last := seen[len(seen)-1]
			if last.StartUp {
				t.Errorf("violation reported as during start-up: %+v", last)
			}
			if last.Loader != (mode != "socket") {
				t.Errorf("Loader=%v for %s", last.Loader, mode)
			}
		})
	}
}

// With Kill, the kernel kills the target with SIGSYS through the filter's
// own kill action.
func TestKill(t *testing.T) {
	ws, out, seen := runSupervised(t, "socket", true)
	if !ws.Signaled() || ws.Signal() != unix.SIGSYS {
		t.Fatalf("want death by SIGSYS, got %v (output %q)", ws, out)
	}
	if strings.Contains(out, "sandboxtest:") {
		t.Fatalf("target went on after the violation: %q", out)
	}
	last := seen[len(seen)-1]
	if last.Nr != unix.SYS_SOCKET || last.Args[0] != unix.AF_INET || last.Args[1] != unix.SOCK_STREAM {
		t.Fatalf("last violation %+v", last)
	}
}

// Without a supervisor the traced calls fail with ENOSYS: the sandbox
// fails closed.
func TestNoTracerFailsClosed(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	r := sandboxtest.Run(t, func() {
		bpf, err := testFilter().Compile()
		if err != nil {
			panic(err)
		}
		if _, err := seccomp.Load(bpf, seccomp.FlagTSync); err != nil {
			panic(err)
		}
		err = targets["socket"]()
		sandboxtest.Report("socket", err)
		if !errors.Is(err, unix.ENOSYS) {
			os.Exit(3)
		}
	})
	r.WantExit(t, 0)
	r.WantOutcome(t, "socket", "ENOSYS")
}

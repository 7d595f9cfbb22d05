package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/landlock"
)

// onTracerThread runs fn on a goroutine locked to a fresh OS thread, which
// ends with it: ptrace requests must come from the thread that is the
// tracer (the one that forked the tracee).
func onTracerThread(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with us
		fn()
	}()
	<-done
}

// startStopped starts argv under PTRACE_TRACEME and waits for the SIGTRAP
// after its execve; stdout goes to the returned file's name.
func startStopped(t *testing.T, argv ...string) (int, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	var ws unix.WaitStatus
	if _, err := wait4(pid, &ws, unix.WALL); err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("first stop %v, want SIGTRAP", ws)
	}
	return pid, out
}

// Injected calls run as the tracee's own (getpid is its pid, write goes to
// its stdout, errors come back as errnos), and the tracee then runs on as
// if nothing happened: its registers and text are restored.
func TestInjectIntoStoppedChild(t *testing.T) {
	onTracerThread(func() {
		pid, out := startStopped(t, "/bin/sh", "-c", "echo after; exit 7")
		defer unix.Kill(pid, unix.SIGKILL)
		var before unix.PtraceRegs
		if err := unix.PtraceGetRegs(pid, &before); err != nil {
			t.Fatal(err)
		}
		in, err := NewInjector(pid)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := in.Syscall(unix.SYS_GETPID); err != nil || got != uint64(pid) {
			t.Errorf("injected getpid = %d, %v; want %d", got, err, pid)
		}
		msg := []byte("injected\n")
		addr, err := in.Stage(msg)
		if err != nil {
			t.Fatal(err)
		}
		if addr >= before.Rsp-redZone || addr%16 != 0 {
			t.Errorf("staged at %#x, rsp %#x: want 16-aligned below the red zone", addr, before.Rsp)
		}
		if got, err := in.Syscall(unix.SYS_WRITE, 1, addr, uint64(len(msg))); err != nil || got != uint64(len(msg)) {
			t.Errorf("injected write = %d, %v", got, err)
		}
		if _, err := in.Syscall(unix.SYS_CLOSE, uint64(1<<31-1)); !errors.Is(err, unix.EBADF) {
			t.Errorf("injected close(bad fd) = %v, want EBADF", err)
		}
		if _, err := in.Stage(make([]byte, stageLimit)); !errors.Is(err, unix.ENOSPC) {
			t.Errorf("staging past the limit: %v, want ENOSPC", err)
		}
		if err := in.Restore(); err != nil {
			t.Fatal(err)
		}
		var after unix.PtraceRegs
		if err := unix.PtraceGetRegs(pid, &after); err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("registers not restored:\n%+v\n%+v", before, after)
		}
		if err := unix.PtraceDetach(pid); err != nil {
			t.Fatal(err)
		}
		var ws unix.WaitStatus
		if _, err := wait4(pid, &ws, 0); err != nil {
			t.Fatal(err)
		}
		if !ws.Exited() || ws.ExitStatus() != 7 {
			t.Errorf("after injection the program ended %v, want exit 7", ws)
		}
		if b, _ := os.ReadFile(out); string(b) != "injected\nafter\n" {
			t.Errorf("stdout %q", b)
		}
	})
}

// A Setup failure kills the program before it runs an instruction and Run
// says why: the sandbox fails closed.
func TestSetupFailureFailsClosed(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	cmd := exec.Command("/bin/sh", "-c", "touch "+marker)
	var pid int
	var err error
	onTracerThread(func() {
		_, err = Run(cmd, Config{Setup: func(p int) error {
			pid = p
			in, err := NewInjector(p)
			if err != nil {
				return err
			}
			_, err = in.Syscall(unix.SYS_CLOSE, uint64(1<<31-1))
			return err
		}})
	})
	var se *SetupError
	if !errors.As(err, &se) || !errors.Is(err, unix.EBADF) {
		t.Fatalf("Run = %v, want a *SetupError wrapping EBADF", err)
	}
	if _, werr := unix.Wait4(pid, nil, unix.WALL|unix.WNOHANG, nil); !errors.Is(werr, unix.ECHILD) {
		t.Errorf("the program was not reaped: wait4 = %v", werr)
	}
	if _, serr := os.Stat(marker); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("the program ran: %v", serr)
	}
}

// The seccomp filter injected at the first stop is in force once the
// program has started; its loader phase still works.
func TestSetupInjectsFilter(t *testing.T) {
	bpf, err := testFilter().Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"socket", "mmapexec"} {
		t.Run(mode, func(t *testing.T) {
			exe, _ := os.Executable()
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), envTarget+"="+mode)
			ws, out, seen := supervised(t, cmd, false, func(pid int) error {
				return applyAt(pid, &Sandbox{Filter: bpf})
			})
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("status %v, output %q", ws, out)
			}
			if got := sandboxtest.Outcomes(t, out)[mode]; got != "EPERM" {
				t.Fatalf("want %s=EPERM, got %q in %q", mode, got, out)
			}
			if len(seen) == 0 || seen[len(seen)-1].StartUp {
				t.Fatalf("violations %+v", seen)
			}
		})
	}
}

// A Landlock domain injected at the first stop is in force, with rules on
// descriptors the supervisor opened and the program inherited; those
// descriptors are closed in the program, and other inherited ones stay.
func TestSetupInjectsLandlock(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	abi, err := landlock.ABI()
	if err != nil {
		t.Fatal(err)
	}
	// The supervisor's rule fds: O_PATH, inheritable, at high numbers as
	// the command puts them. /usr holds the test binary's libraries (it
	// may be linked dynamically); /etc is not covered.
	read := uint64(unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR)
	var rules []PathBeneath
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
		rules = append(rules, PathBeneath{Access: read, Fd: rfd, Path: dir})
	}
	keep, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	sb := &Sandbox{Landlock: &Landlock{
		Attr:     unix.LandlockRulesetAttr{Handled_access_fs: landlock.HandledAccessFS(abi)},
		AttrSize: unsafeSizeofRulesetFS,
		Rules:    rules,
	}}
	for _, mode := range []string{"open", "fds"} {
		t.Run(mode, func(t *testing.T) {
			exe, _ := os.Executable()
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), envTarget+"="+mode)
			cmd.ExtraFiles = []*os.File{keep} // fd 3
			ws, out, _ := supervised(t, cmd, false, func(pid int) error { return applyAt(pid, sb) })
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("status %v, output %q", ws, out)
			}
			switch mode {
			case "open": // /etc/hostname is not under /proc
				if got := sandboxtest.Outcomes(t, out)["open"]; got != "EACCES" {
					t.Fatalf("want open=EACCES, got %q in %q", got, out)
				}
			case "fds":
				// What the program inherits is ours: 0-2, the extra file 3
				// and whatever the test runner inherited itself; the rule
				// fds and the ruleset fd are gone.
				want := fmt.Sprintf("fds: %v\n", inheritable(t, []int{0, 1, 2, 3}, rules))
				if sandboxtest.Outcomes(t, out)["fds"] != "ok" || !strings.Contains(out, want) {
					t.Fatalf("want %q (rule and ruleset fds closed), got %q", want, out)
				}
			}
		})
	}
}

// inheritable lists the fds of this process without FD_CLOEXEC, and
// those in with, but not the rules' fds.
func inheritable(t *testing.T, with []int, rules []PathBeneath) []int {
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := slices.Clone(with)
	for _, n := range names {
		fd, _ := strconv.Atoi(n.Name())
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || fl&unix.FD_CLOEXEC != 0 || slices.ContainsFunc(rules, func(r PathBeneath) bool { return r.Fd == fd }) {
			continue
		}
		fds = append(fds, fd)
	}
	slices.Sort(fds)
	return slices.Compact(fds)
}

// unsafeSizeofRulesetFS passes only handled_access_fs (ABI 1's struct).
const unsafeSizeofRulesetFS = 8

package supervise

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
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
		_, err = Run(cmd, Config{Setup: func(p int) (any, error) {
			pid = p
			in, err := NewInjector(p)
			if err != nil {
				return nil, err
			}
			_, err = in.Syscall(unix.SYS_CLOSE, uint64(1<<31-1))
			return nil, err
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

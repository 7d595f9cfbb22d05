package supervise

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

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

// seen is one seccomp stop the test's decision saw.
type seen struct {
	Nr       uint64
	Args     [6]uint64
	Starting bool
}

func runSupervised(t *testing.T, mode string, kill bool) (unix.WaitStatus, string, []seen) {
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
	return supervised(t, cmd, kill, func(pid int) error { return loadFilterAt(pid, bpf) })
}

// loadFilterAt injects seccomp(SET_MODE_FILTER) of prog, with
// no_new_privs first, into pid, stopped at its first stop (the sandbox
// package's Inject does this and more; it cannot be imported here).
func loadFilterAt(pid int, prog seccomp.Program) error {
	in, err := NewInjector(pid)
	if err != nil {
		return err
	}
	if _, err := in.Syscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	code := unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(prog)*int(unsafe.Sizeof(prog[0])))
	paddr, err := in.Stage(code)
	if err != nil {
		return err
	}
	var fprog [16]byte // struct sock_fprog
	binary.LittleEndian.PutUint16(fprog[0:], uint16(len(prog)))
	binary.LittleEndian.PutUint64(fprog[8:], paddr)
	faddr, err := in.Stage(fprog[:])
	if err != nil {
		return err
	}
	if _, err := in.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, faddr); err != nil {
		return err
	}
	return in.Restore()
}

// testDecision is the test filter's policy, decided from the syscall
// number the kernel reports: socket is a violation (denied, or killed with
// kill); the loader operations are allowed while starting.
func testDecision(kill bool, record func(seen)) func(st *Stop) Decision {
	return func(st *Stop) Decision {
		record(seen{Nr: st.Info.Nr, Args: st.Info.Args, Starting: st.Starting})
		switch {
		case st.Info.Nr == unix.SYS_SOCKET && kill:
			return Decision{Verdict: Kill, KillNr: uint64(seccomp.Native().X32Bit | unix.SYS_GETPID)}
		case st.Info.Nr != unix.SYS_SOCKET && st.Starting:
			return Decision{Verdict: Allow}
		}
		return Decision{Verdict: Deny}
	}
}

// supervised runs cmd under Run with the test decision and returns its
// status, its stdout and the stops seen.
func supervised(t *testing.T, cmd *exec.Cmd, kill bool, setup func(int) error) (unix.WaitStatus, string, []seen) {
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
	var stops []seen
	cfg := Config{Logf: t.Logf,
		Setup:   func(pid int) (any, error) { return nil, setup(pid) },
		Seccomp: testDecision(kill, func(s seen) { stops = append(stops, s) }),
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
	return ws, string(b), stops
}

// A target that has started cannot use loader-only operations: each one
// is denied with EPERM and reported once.
func TestAfterEntryLoaderOpsDenied(t *testing.T) {
	for _, mode := range []string{"open", "mmapexec", "exec", "socket"} {
		t.Run(mode, func(t *testing.T) {
			ws, out, stops := runSupervised(t, mode, false)
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("target status %v, output %q", ws, out)
			}
			if got := sandboxtest.Outcomes(t, out)[mode]; got != "EPERM" {
				t.Fatalf("want %s=EPERM, got %q in %q", mode, got, out)
			}
			if len(stops) == 0 {
				t.Fatal("no stop seen")
			}
			if last := stops[len(stops)-1]; last.Starting {
				t.Errorf("the last stop was seen as during start-up: %+v", last)
			}
		})
	}
}

// With Kill, the kernel kills the target with SIGSYS through the filter's
// own kill action.
func TestKill(t *testing.T) {
	ws, out, stops := runSupervised(t, "socket", true)
	if !ws.Signaled() || ws.Signal() != unix.SIGSYS {
		t.Fatalf("want death by SIGSYS, got %v (output %q)", ws, out)
	}
	if strings.Contains(out, "sandboxtest:") {
		t.Fatalf("target went on after the violation: %q", out)
	}
	last := stops[len(stops)-1]
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

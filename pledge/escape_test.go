//go:build linux

package pledge

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// outcome is what a child sees for one filter action: death by a signal or
// an errno.
type outcome struct {
	signal syscall.Signal
	errno  syscall.Errno
}

func (o outcome) errnoNumber() string { return strconv.Itoa(int(o.errno)) }

// outcomeOf maps a SECCOMP_RET_* action to what the process observes.
func outcomeOf(t *testing.T, a seccomp.Action) outcome {
	t.Helper()
	switch {
	case a == seccomp.ActKillProcess || a == seccomp.ActKillThread:
		// Killing the only thread that matters looks the same from the
		// parent: the status says SIGSYS.
		return outcome{signal: syscall.SIGSYS}
	case uint32(a)&unix.SECCOMP_RET_ACTION_FULL == unix.SECCOMP_RET_ERRNO:
		return outcome{errno: syscall.Errno(uint32(a) & unix.SECCOMP_RET_DATA)}
	}
	t.Fatalf("no expected outcome for action %#x", uint32(a))
	return outcome{}
}

// expectAction builds the filter promises compile to and returns the
// outcome of the action pick chooses from it (e.g. BadArch), so the escape
// tests follow the table's decision and check the kernel enforces it.
func expectAction(t *testing.T, promises string, pick func(*seccomp.Filter) seccomp.Action) outcome {
	t.Helper()
	p, err := ParsePromises(promises)
	if err != nil {
		t.Fatal(err)
	}
	f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return outcomeOf(t, pick(f))
}

func badArchAction(f *seccomp.Filter) seccomp.Action { return f.BadArch }

// everyPromise is every promise but "error": the widest kill-mode pledge.
func everyPromise() string {
	var names []string
	for _, n := range promise.Names() {
		if n != "error" {
			names = append(names, n)
		}
	}
	return strings.Join(names, " ")
}

// modes are the pledges each escape is tried under.
func escapeModes() []struct{ name, promises string } {
	return []struct{ name, promises string }{
		{"stdio", "stdio"},
		{"stdio-error", "stdio error"},
		{"all", everyPromise()},
		{"all-error", everyPromise() + " error"},
	}
}

// rawReport makes a raw syscall in the pledged child and reports its errno.
func rawReport(key string, nr uintptr, a1, a2, a3 uintptr) {
	_, _, e := unix.RawSyscall(nr, a1, a2, a3)
	fmt.Printf("reached %s\n", key)
	sandboxtest.Report(key, errnoOrNil(e))
}

// wantOutcome checks the child against o for key.
func wantOutcome(t *testing.T, res *sandboxtest.Result, key string, o outcome) {
	t.Helper()
	if o.signal != 0 {
		res.WantSignal(t, o.signal)
		return
	}
	res.WantExit(t, 0)
	res.WantOutcome(t, key, unix.ErrnoName(o.errno))
}

// TestEscapeX32: x32 syscall numbers (nr | __X32_SYSCALL_BIT) get the
// filter's BadArch action in every mode.
func TestEscapeX32(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x32 exists only on amd64")
	}
	sandboxtest.Require(t, "seccomp")
	for _, m := range escapeModes() {
		t.Run(m.name, func(t *testing.T) {
			want := expectAction(t, m.promises, badArchAction)
			res := sandboxtest.Run(t, func() {
				mustPledge(m.promises, "")
				rawReport("x32-getpid", 0x40000000|unix.SYS_GETPID, 0, 0, 0)
			})
			wantOutcome(t, res, "x32-getpid", want)
		})
	}
}

// TestEscapeIoUring: io_uring would run syscalls behind the filter's back;
// no promise allows io_uring_setup. The table answers ENOSYS in every mode
// (so programs fall back to plain syscalls); the test takes the action from
// the built filter, insists it is not ALLOW, and checks the kernel applies it.
func TestEscapeIoUring(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	for _, m := range escapeModes() {
		t.Run(m.name, func(t *testing.T) {
			want := expectAction(t, m.promises, func(f *seccomp.Filter) seccomp.Action {
				a := f.Decide(seccomp.Data{Nr: unix.SYS_IO_URING_SETUP, Arch: f.Arch.AuditArch})
				if a == seccomp.ActAllow {
					t.Fatalf("%q allows io_uring_setup", m.promises)
				}
				return a
			})
			res := sandboxtest.Run(t, func() {
				var params [120]byte // struct io_uring_params
				mustPledge(m.promises, "")
				rawReport("io_uring_setup", unix.SYS_IO_URING_SETUP, 4, uintptr(unsafe.Pointer(&params)), 0)
			})
			wantOutcome(t, res, "io_uring_setup", want)
		})
	}
}

// TestEscapeENOSYSAlways: clone3 (its flags are behind a pointer), openat2
// (its flags too) and numbers newer than the table return ENOSYS in every
// mode, so libc falls back to calls the filter can check.
func TestEscapeENOSYSAlways(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	for _, m := range escapeModes() {
		t.Run(m.name, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				var how [24]byte // struct open_how
				fdcwd := unix.AT_FDCWD
				mustPledge(m.promises, "")
				rawReport("clone3", unix.SYS_CLONE3, 0, 0, 0)
				rawReport("openat2", unix.SYS_OPENAT2, uintptr(fdcwd), uintptr(unsafe.Pointer(&[]byte("/\x00")[0])), uintptr(unsafe.Pointer(&how)))
				rawReport("nr1000", 1000, 0, 0, 0)
				rawReport("nr4095", 4095, 0, 0, 0)
			})
			res.WantExit(t, 0)
			for _, k := range []string{"clone3", "openat2", "nr1000", "nr4095"} {
				res.WantOutcome(t, k, "ENOSYS")
			}
		})
	}
}

// TestPledgeFiltersOtherThreads: a goroutine locked to another OS thread
// before Pledge is filtered too (TSYNC), in kill and in error mode.
func TestPledgeFiltersOtherThreads(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	for _, promises := range []string{"stdio", "stdio error"} {
		t.Run(strings.ReplaceAll(promises, " ", "-"), func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				start, done := make(chan struct{}), make(chan struct{})
				tids := make(chan int, 1)
				go func() {
					runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
					tids <- unix.Gettid()
					<-start
					fmt.Println("other thread calls socket")
					sandboxtest.Report("other-thread", violate())
					close(done)
				}()
				runtime.LockOSThread()
				other := <-tids
				fmt.Printf("distinct-thread=%v\n", other != unix.Gettid())
				mustPledge(promises, "")
				close(start)
				<-done
			})
			if !strings.Contains(res.Stdout, "distinct-thread=true") || !strings.Contains(res.Stdout, "other thread calls socket") {
				t.Fatalf("setup did not run on two threads:\n%s", res)
			}
			if promises == "stdio" {
				res.WantSignal(t, syscall.SIGSYS)
			} else {
				res.WantExit(t, 0)
				res.WantOutcome(t, "other-thread", "ENOSYS")
			}
		})
	}
}

// TestPledgeForkInherits: a process the pledged process forks and execs
// runs under the execpromises (the exec supervisor starts it with their
// filter and no_new_privs); without execpromises it runs unpledged, as on
// OpenBSD. The grandchild is this test binary in a mode that reports its
// seccomp state and tries a socket ("inet", which neither set holds).
func TestPledgeForkInherits(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	if os.Getenv("LANDPLEDGE_TEST_GRANDCHILD") == "open" {
		// Grandchild: the Go runtime starts (it needs "rpath" for
		// /sys/kernel/mm/transparent_hugepage), then makes a socket.
		fmt.Println("grandchild started")
		status, err := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "NoNewPrivs:") || strings.HasPrefix(l, "Seccomp:") {
				fmt.Println("grandchild " + strings.Join(strings.Fields(l), " "))
			}
		}
		if err != nil {
			fmt.Printf("grandchild status: %v\n", err)
		}
		fmt.Printf("grandchild socket: %v\n", violate())
		os.Exit(0)
	}
	for _, c := range []struct {
		name     string
		pledge   func() error
		filtered bool
	}{
		// prot_exec: with cgo the test binary is linked dynamically; the
		// exec'd image's loader has the window anyway.
		{"execpromises", func() error { return Pledge("stdio rpath prot_exec proc exec", "stdio rpath") }, true},
		{"null", func() error { return PledgePromises("stdio rpath prot_exec proc exec") }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				must("pledge", c.pledge())
				exe, err := os.Executable()
				must("executable", err)
				attr := &syscall.ProcAttr{
					Env:   append(os.Environ(), "LANDPLEDGE_TEST_GRANDCHILD=open"),
					Files: []uintptr{0, 1, 2},
				}
				pid, err := syscall.ForkExec(exe, []string{exe, "-test.run=^TestPledgeForkInherits$"}, attr)
				must("forkexec", err)
				var ws syscall.WaitStatus
				_, err = syscall.Wait4(pid, &ws, 0, nil)
				must("wait4", err)
				fmt.Printf("grandchild signaled=%v signal=%v\n", ws.Signaled(), ws.Signal())
			})
			res.WantExit(t, 0)
			if !c.filtered {
				// What the pledging process had before its pledge: the
				// test runner's own.
				wantLines(t, res, "grandchild started", "grandchild NoNewPrivs: "+ownStatus(t, "NoNewPrivs"),
					"grandchild Seccomp: "+ownStatus(t, "Seccomp"), "grandchild socket: <nil>",
					"grandchild signaled=false signal=signal -1")
				return
			}
			// NoNewPrivs 1: set-id bits of exec'd files are ignored (the
			// COMPAT row on setuid exec); Seccomp 2: filter mode.
			wantLines(t, res, "grandchild started", "grandchild NoNewPrivs: 1", "grandchild Seccomp: 2",
				"grandchild signaled=true signal=bad system call")
			if strings.Contains(res.Stdout, "grandchild socket") {
				t.Errorf("the grandchild's socket returned:\n%s", res)
			}
		})
	}
}

// ownStatus is a field of this process's /proc/self/status.
func ownStatus(t *testing.T, key string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return ""
}

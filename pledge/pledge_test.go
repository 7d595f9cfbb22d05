//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// Every test in this file pledges only inside a child started by
// sandboxtest.Run: pledging is irreversible and process-wide.

// mustPledge pledges the child or exits it with status 3 and the reason, so a
// failed pledge is never mistaken for an enforced one.
func mustPledge(promises, execpromises string) {
	if err := Pledge(promises, execpromises); err != nil {
		fmt.Fprintf(os.Stderr, "Pledge(%q, %q): %v\n", promises, execpromises, err)
		os.Exit(3)
	}
}

// must exits the child with status 4 when a setup step fails.
func must(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(4)
	}
}

// openRead is openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC), the call that
// needs "rpath", without anything else os.Open does around it.
func openRead(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// violate calls socket(AF_INET, SOCK_STREAM, 0), which needs "inet" (or
// "dns"): under "stdio" it kills, under "error" it returns ENOSYS. (Opens
// without rpath/wpath/cpath are a poor probe: the table answers them with
// EACCES rather than a kill, since OpenBSD allows some paths by name.)
func violate() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// readableFile makes a file in a directory shared with the child.
func readableFile(t *testing.T) string {
	t.Helper()
	name := filepath.Join(sandboxtest.TempDir(t), "file")
	if !sandboxtest.InChild() {
		if err := os.WriteFile(name, []byte("hello\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

func TestPledgeParseErrorsComeFirst(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := readableFile(t)
	long := strings.Repeat("stdio ", 200) // 1200 bytes
	res := sandboxtest.Run(t, func() {
		sandboxtest.Report("unknown", Pledge("stdio foo", ""))
		sandboxtest.Report("leading-space", Pledge(" stdio", ""))
		sandboxtest.Report("too-long", Pledge(long, ""))
		sandboxtest.Report("bad-exec", Pledge("stdio", "stdio foo"))
		sandboxtest.Report("bad-exec-only", PledgeExecpromises("rpath bar"))
		// None of the failed calls may have pledged anything.
		sandboxtest.Report("still-unpledged", openRead(file))
		err := Pledge("stdio foo", "")
		fmt.Printf("text=%v\n", err)

		mustPledge("stdio", "")
		// Parsing still comes before the subset check: EINVAL, not EPERM.
		sandboxtest.Report("unknown-after", PledgePromises("stdio rpath foo"))
		sandboxtest.Report("duplicates", PledgePromises("stdio  stdio "))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "unknown", "EINVAL")
	res.WantOutcome(t, "leading-space", "EINVAL")
	res.WantOutcome(t, "too-long", "ENAMETOOLONG")
	res.WantOutcome(t, "bad-exec", "EINVAL")
	res.WantOutcome(t, "bad-exec-only", "EINVAL")
	res.WantOutcome(t, "still-unpledged", "ok")
	res.WantOutcome(t, "unknown-after", "EINVAL")
	res.WantOutcome(t, "duplicates", "ok")
	if !strings.Contains(res.Stdout, `text=pledge "stdio foo": `) || !strings.Contains(res.Stdout, `"foo"`) {
		t.Errorf("error text should name the string and the bad word:\n%s", res)
	}
}

func TestPledgeReduceOnly(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := readableFile(t)
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio rpath inet", "")
		sandboxtest.Report("add", PledgePromises("stdio rpath inet wpath"))
		sandboxtest.Report("still-inet", violate())
		sandboxtest.Report("same", PledgePromises("stdio rpath inet"))
		sandboxtest.Report("drop-inet", PledgePromises("stdio rpath"))
		sandboxtest.Report("still-rpath", openRead(file))
		sandboxtest.Report("drop-rpath", PledgePromises("stdio"))
		sandboxtest.Report("rpath-gone", openRead(file)) // the table's EACCES for opens
		fmt.Printf("filters=%d promises=%q\n", CurrentState().Filters, CurrentState().Promises.String())
		violate() // inet is gone: killed
		fmt.Println("survived")
	})
	res.WantSignal(t, syscall.SIGSYS)
	res.WantOutcome(t, "add", "EPERM")
	res.WantOutcome(t, "still-inet", "ok")
	res.WantOutcome(t, "same", "ok")
	res.WantOutcome(t, "drop-inet", "ok")
	res.WantOutcome(t, "still-rpath", "ok")
	res.WantOutcome(t, "drop-rpath", "ok")
	res.WantOutcome(t, "rpath-gone", "EACCES")
	if strings.Contains(res.Stdout, "survived") || !strings.Contains(res.Stdout, `filters=4 promises="stdio"`) {
		t.Errorf("want three stacked filters and promises \"stdio\":\n%s", res)
	}
}

func TestPledgeErrorMasksAdditions(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := readableFile(t)
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio error", "")
		// OpenBSD: under "error" an addition is dropped without an error.
		sandboxtest.Report("add", PledgePromises("stdio error rpath inet"))
		fmt.Printf("promises=%q\n", CurrentState().Promises.String())
		// The open passes the filter (a named path may need it) and the
		// path layer refuses it: EACCES, where OpenBSD says ENOSYS.
		sandboxtest.Report("rpath-not-granted", openRead(file))
		sandboxtest.Report("inet-not-granted", violate())
		// Dropping "error" turns the penalty back into a kill.
		sandboxtest.Report("drop-error", PledgePromises("stdio"))
		violate()
		fmt.Println("survived")
	})
	res.WantSignal(t, syscall.SIGSYS)
	res.WantOutcome(t, "add", "ok")
	res.WantOutcome(t, "rpath-not-granted", "EACCES")
	res.WantOutcome(t, "inet-not-granted", "ENOSYS")
	res.WantOutcome(t, "drop-error", "ok")
	if !strings.Contains(res.Stdout, `promises="stdio error"`) {
		t.Errorf("the masked addition must not show in the state:\n%s", res)
	}
}

func TestPledgeExecpromisesSubset(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := readableFile(t)
	res := sandboxtest.Run(t, func() {
		// execpromises alone load no filter.
		sandboxtest.Report("exec-only", PledgeExecpromises("stdio rpath"))
		sandboxtest.Report("unfiltered", openRead(file))
		sandboxtest.Report("exec-add", PledgeExecpromises("stdio rpath wpath"))
		sandboxtest.Report("pledge-exec-add", Pledge("stdio rpath error", "stdio wpath"))
		mustPledge("stdio rpath error", "stdio")
		// Even under "error" execpromises may not grow.
		sandboxtest.Report("exec-add-error", PledgeExecpromises("stdio rpath"))
		sandboxtest.Report("exec-empty", PledgeExecpromises(""))
		// PledgePromises leaves execpromises alone.
		sandboxtest.Report("promises-only", PledgePromises("stdio error"))
		st := CurrentState()
		fmt.Printf("state=%v %q %v %q\n", st.Pledged, st.Promises.String(), st.ExecSet, st.Execpromises.String())
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "exec-only", "ok")
	res.WantOutcome(t, "unfiltered", "ok")
	res.WantOutcome(t, "exec-add", "EPERM")
	res.WantOutcome(t, "pledge-exec-add", "EPERM")
	res.WantOutcome(t, "exec-add-error", "EPERM")
	res.WantOutcome(t, "exec-empty", "ok")
	res.WantOutcome(t, "promises-only", "ok")
	if !strings.Contains(res.Stdout, `state=true "stdio error" true ""`) {
		t.Errorf("unexpected state:\n%s", res)
	}
}

// TestPledgeFailedAdditionLeavesFilter: a refused pledge changes nothing.
func TestPledgeFailedAdditionLeavesFilter(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio", "")
		sandboxtest.Report("add", PledgePromises("stdio rpath"))
		fmt.Printf("filters=%d\n", CurrentState().Filters)
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "add", "EPERM")
	if !strings.Contains(res.Stdout, "filters=1") {
		t.Errorf("a refused pledge must not load a filter:\n%s", res)
	}
}

// TestPledgeEmptyAllowsOnlyExit: the filter for "" allows exiting and
// nothing else: getpid is killed (SIGSYS), or fails with ENOSYS under
// "error". The filter is loaded by a small C program: in a Go process every
// runtime thread would hit it too, and under "error" a runtime thread that
// fails to wake another one dies (status 2) before the test's own call.
func TestPledgeEmptyAllowsOnlyExit(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := t.TempDir()
	bin := buildC(t, dir, "loadfilter.c", cBuild{name: "glibc", cc: "gcc"})
	for _, tc := range []struct {
		promises string
		exit     int
		signal   syscall.Signal
	}{
		{"error", 5, 0},
		{"", -1, syscall.SIGSYS},
	} {
		t.Run(fmt.Sprintf("%q", tc.promises), func(t *testing.T) {
			p, err := ParsePromises(tc.promises)
			if err != nil {
				t.Fatal(err)
			}
			f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			prog, err := f.Compile()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "filter")
			if err := os.WriteFile(file, unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(prog)*int(unsafe.Sizeof(prog[0]))), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, file).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("promises %q: %v, want a failure status\n%s", tc.promises, err, out)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if tc.signal != 0 && ws.Signal() != tc.signal || tc.signal == 0 && ws.ExitStatus() != tc.exit {
				t.Fatalf("promises %q: status %v, want exit %d / signal %v\n%s", tc.promises, ws, tc.exit, tc.signal, out)
			}
		})
	}
}

// TestPledgeViolationIgnoresSIGSYSHandler: SECCOMP_RET_KILL_PROCESS, like
// OpenBSD's uncatchable abort, runs no handler; the status is SIGSYS.
func TestPledgeViolationIgnoresSIGSYSHandler(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	res := sandboxtest.Run(t, func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGSYS)
		go func() {
			<-ch
			fmt.Println("handler ran")
			os.Exit(9)
		}()
		mustPledge("stdio", "")
		fmt.Println("pledged")
		violate()
		time.Sleep(100 * time.Millisecond) // give a wrongly delivered signal a chance to show
		fmt.Println("survived")
	})
	res.WantSignal(t, syscall.SIGSYS)
	if !strings.Contains(res.Stdout, "pledged") || strings.Contains(res.Stdout, "handler ran") || strings.Contains(res.Stdout, "survived") {
		t.Errorf("want death by SIGSYS after \"pledged\" with no handler output:\n%s", res)
	}
}

// TestPledgeErrnoSwitch: LANDPLEDGE_ERRNO=EPERM denies with EPERM instead of
// killing, for porting.
func TestPledgeErrnoSwitch(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := readableFile(t)
	t.Run("EPERM", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			mustPledge("stdio", "")
			sandboxtest.Report("socket", violate())
			_, _, e := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
			sandboxtest.Report("clone3", errnoOrNil(e))
		}, EnvErrno+"=EPERM")
		res.WantExit(t, 0)
		res.WantOutcome(t, "socket", "EPERM")
		res.WantOutcome(t, "clone3", "ENOSYS") // libc must still fall back
	})
	t.Run("bad-name", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			sandboxtest.Report("pledge", Pledge("stdio", ""))
			sandboxtest.Report("open", openRead(file))
		}, EnvErrno+"=ENOTANERRNO")
		res.WantExit(t, 0)
		res.WantOutcome(t, "pledge", "EINVAL")
		res.WantOutcome(t, "open", "ok")
	})
}

// TestPledgeLogSwitch: LANDPLEDGE_LOG=1 loads with SECCOMP_FILTER_FLAG_LOG,
// so even a violation that only returns ENOSYS leaves a kernel audit record
// (type=1326 AUDIT_SECCOMP) naming the syscall. The record is read from the
// audit netlink multicast group, which root (CAP_AUDIT_READ) may join; the
// kernel's printk copy of it is rate-limited and so cannot be relied on.
// "loads" checks the loading alone; "record" needs the feature audit, so it
// skips, saying why, where the audit log is not readable (as nobody).
func TestPledgeLogSwitch(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	child := func(t *testing.T) *sandboxtest.Result {
		t.Helper()
		res := sandboxtest.Run(t, func() {
			fmt.Printf("pid=%d\n", os.Getpid())
			mustPledge("stdio error", "")
			sandboxtest.Report("socket", violate())
		}, EnvLog+"=1")
		res.WantExit(t, 0)
		res.WantOutcome(t, "socket", "ENOSYS")
		return res
	}
	t.Run("loads", func(t *testing.T) { child(t) })
	t.Run("record", func(t *testing.T) {
		sandboxtest.Require(t, "audit")
		audit := -1
		if !sandboxtest.InChild() {
			audit = sandboxtest.AuditLog(t)
		}
		res := child(t)
		var pid int
		fmt.Sscanf(res.Stdout[strings.Index(res.Stdout, "pid="):], "pid=%d", &pid)
		sandboxtest.WantSeccompRecord(t, audit,
			fmt.Sprintf(" pid=%d ", pid), fmt.Sprintf(" syscall=%d ", unix.SYS_SOCKET), " code=0x50000")
	})
}

func errnoOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// TestPledgeCommitsVeil: the first pledge without "unveil" commits and locks
// the veil before its filter goes on; with "unveil" unveiling goes on.
func TestPledgeCommitsVeil(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	dir := sandboxtest.TempDir(t)
	inside := filepath.Join(dir, "in")
	outside := filepath.Join(dir, "out")
	if !sandboxtest.InChild() {
		for _, d := range []string{inside, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, "f"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("without-unveil", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			must("unveil", Unveil(inside, "r"))
			mustPledge("stdio rpath", "")
			sandboxtest.Report("inside", openRead(filepath.Join(inside, "f")))
			sandboxtest.Report("outside", classifyDenied(openRead(filepath.Join(outside, "f"))))
			sandboxtest.Report("unveil-after", Unveil(outside, "r"))
		})
		res.WantExit(t, 0)
		res.WantOutcome(t, "inside", "ok")
		res.WantOutcome(t, "outside", "error:denied")
		res.WantOutcome(t, "unveil-after", "EPERM")
	})
	t.Run("with-unveil", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			must("unveil", Unveil(inside, "r"))
			mustPledge("stdio rpath unveil", "")
			sandboxtest.Report("unveil-after", Unveil(outside, "r"))
			sandboxtest.Report("block", UnveilBlock())
			sandboxtest.Report("inside", openRead(filepath.Join(inside, "f")))
			sandboxtest.Report("outside", openRead(filepath.Join(outside, "f")))
			sandboxtest.Report("root", classifyDenied(openRead("/etc/passwd")))
			// Dropping "unveil" afterwards is fine: the veil is locked.
			sandboxtest.Report("drop", PledgePromises("stdio rpath"))
		})
		res.WantExit(t, 0)
		res.WantOutcome(t, "unveil-after", "ok")
		res.WantOutcome(t, "block", "ok")
		res.WantOutcome(t, "inside", "ok")
		res.WantOutcome(t, "outside", "ok")
		res.WantOutcome(t, "root", "error:denied")
		res.WantOutcome(t, "drop", "ok")
	})
	t.Run("unveil-without-rpath", func(t *testing.T) {
		// As on OpenBSD, "stdio unveil" is enough to go on unveiling and
		// to commit: path resolution, O_PATH rule descriptors, listing
		// split directories and psx's /proc/self/task walk (cgo) are in
		// the unveil promise; reading files is not.
		res := sandboxtest.Run(t, func() {
			mustPledge("stdio unveil", "")
			sandboxtest.Report("unveil", Unveil(inside, "r"))
			sandboxtest.Report("narrow", Unveil(filepath.Join(inside, "f"), ""))
			sandboxtest.Report("block", UnveilBlock())
			sandboxtest.Report("read", openRead(filepath.Join(inside, "f")))
			sandboxtest.Report("drop", PledgePromises("stdio"))
		})
		res.WantExit(t, 0)
		res.WantOutcome(t, "unveil", "ok")
		res.WantOutcome(t, "narrow", "ok")
		res.WantOutcome(t, "block", "ok")
		res.WantOutcome(t, "read", "EACCES")
		res.WantOutcome(t, "drop", "ok")
	})
	t.Run("nothing-unveiled", func(t *testing.T) {
		// Pledging without "unveil" locks unveil even when nothing was
		// unveiled, and hides nothing.
		res := sandboxtest.Run(t, func() {
			mustPledge("stdio rpath", "")
			sandboxtest.Report("open", openRead(filepath.Join(outside, "f")))
			sandboxtest.Report("unveil-after", Unveil(outside, "r"))
		})
		res.WantExit(t, 0)
		res.WantOutcome(t, "open", "ok")
		res.WantOutcome(t, "unveil-after", "EPERM")
	})
}

// classifyDenied folds the veil's two denial errnos (EACCES where a covering
// rule lacks the right, ENOENT where nothing covers the path; the unveil
// tests pin down which) into "denied", so this test checks only that the
// veil is in force.
func classifyDenied(err error) error {
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOENT) {
		return errors.New("denied")
	}
	return err
}

// TestPledgeChmodSpecialBits: OpenBSD strips setuid/setgid/sticky bits
// under pledge; the filter cannot rewrite arguments, so such a mode is a
// violation, while a plain mode is fine.
func TestPledgeChmodSpecialBits(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := readableFile(t)
	res := sandboxtest.Run(t, func() {
		fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		must("open", err)
		mustPledge("stdio fattr error", "")
		sandboxtest.Report("plain", unix.Fchmod(fd, 0o640))
		sandboxtest.Report("setuid", unix.Fchmod(fd, 0o4755))
		sandboxtest.Report("sticky", unix.Fchmod(fd, 0o1644))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "plain", "ok")
	res.WantOutcome(t, "setuid", "ENOSYS")
	res.WantOutcome(t, "sticky", "ENOSYS")
}

func TestCurrentStateUnpledged(t *testing.T) {
	// Reading the state is safe in the test runner itself.
	if st := CurrentState(); st.Pledged || st.ExecSet || st.Filters != 0 {
		t.Errorf("the test runner must be unpledged, got %+v", st)
	}
}

//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	sandboxtest.Main(m)
}

// A read rule on a directory allows reading beneath it and nothing else.
func TestPathBeneathDir(t *testing.T) {
	abi := requireABI(t, 1)
	allowed, denied := tree(sandboxtest.TempDir(t))
	res := sandboxtest.Run(t, func() {
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
		mustOK("new-ruleset", err)
		mustOK("add", rs.AddPathBeneath(allowed, AccessFSReadFile|AccessFSReadDir))
		mustOK("restrict", rs.RestrictSelf(0))
		mustOK("close", rs.Close())
		sandboxtest.Report("read-beneath", openRead(filepath.Join(allowed, "file")))
		sandboxtest.Report("readdir-beneath", openRead(allowed))
		sandboxtest.Report("write-beneath", openWrite(filepath.Join(allowed, "file")))
		sandboxtest.Report("create-beneath", os.WriteFile(filepath.Join(allowed, "new"), nil, 0o644))
		sandboxtest.Report("read-outside", openRead(filepath.Join(denied, "file")))
		sandboxtest.Report("readdir-outside", openRead(denied))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "read-beneath", "ok")
	res.WantOutcome(t, "readdir-beneath", "ok")
	res.WantOutcome(t, "write-beneath", "EACCES")
	res.WantOutcome(t, "create-beneath", "EACCES")
	res.WantOutcome(t, "read-outside", "EACCES")
	res.WantOutcome(t, "readdir-outside", "EACCES")
}

// A rule on a file carries only file rights: directory rights are masked
// off instead of failing with EINVAL, and a rule left empty is not added.
func TestPathBeneathFileMasked(t *testing.T) {
	abi := requireABI(t, 1)
	allowed, denied := tree(sandboxtest.TempDir(t))
	file, dirOnly := filepath.Join(allowed, "file"), filepath.Join(denied, "file")
	res := sandboxtest.Run(t, func() {
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
		mustOK("new-ruleset", err)
		sandboxtest.Report("add-file-every-right", rs.AddPathBeneath(file, HandledAccessFS(abi)))
		sandboxtest.Report("add-file-dir-rights", rs.AddPathBeneath(dirOnly, AccessFSReadDir|AccessFSMakeReg))
		mustOK("restrict", rs.RestrictSelf(0))
		sandboxtest.Report("read-file", openRead(file))
		sandboxtest.Report("write-file", openWrite(file))
		sandboxtest.Report("read-sibling-dir", openRead(allowed))
		sandboxtest.Report("read-dir-only-file", openRead(dirOnly))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "add-file-every-right", "ok")
	res.WantOutcome(t, "add-file-dir-rights", "ok")
	res.WantOutcome(t, "read-file", "ok")
	res.WantOutcome(t, "write-file", "ok")
	res.WantOutcome(t, "read-sibling-dir", "EACCES")
	res.WantOutcome(t, "read-dir-only-file", "EACCES")
}

// AddPathBeneathFd takes the caller's O_PATH|O_NOFOLLOW fd: a rule on a
// symlink itself is a rule on a non-directory and does not reach its target.
func TestPathBeneathFdSymlink(t *testing.T) {
	abi := requireABI(t, 1)
	dir := sandboxtest.TempDir(t)
	allowed, _ := tree(dir)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(allowed, link); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	res := sandboxtest.Run(t, func() {
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
		mustOK("new-ruleset", err)
		fd, err := unix.Open(link, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		mustOK("open-link", err)
		sandboxtest.Report("add-fd", rs.AddPathBeneathFd(fd, AccessFSReadFile|AccessFSReadDir))
		mustOK("restrict", rs.RestrictSelf(0))
		sandboxtest.Report("read-through-link", openRead(filepath.Join(link, "file")))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "add-fd", "ok")
	res.WantOutcome(t, "read-through-link", "EACCES")
}

// RestrictSelf covers every thread: a goroutine locked to another OS thread
// before the restriction is denied afterwards, and so are threads the
// runtime creates after it.
func TestRestrictAllThreads(t *testing.T) {
	abi := requireABI(t, 1)
	allowed, denied := tree(sandboxtest.TempDir(t))
	deniedFile, allowedFile := filepath.Join(denied, "file"), filepath.Join(allowed, "file")
	res := sandboxtest.Run(t, func() {
		runtime.LockOSThread()
		mainTid := unix.Gettid()
		before := threadIDs()

		ready, restricted, done := make(chan int), make(chan struct{}), make(chan struct{})
		go func() {
			runtime.LockOSThread() // this goroutine stays on its own thread
			sandboxtest.Report("other-before", openRead(deniedFile))
			ready <- unix.Gettid()
			<-restricted
			sandboxtest.Report("other-after-denied", openRead(deniedFile))
			sandboxtest.Report("other-after-allowed", openRead(allowedFile))
			close(done)
		}()
		otherTid := <-ready
		sandboxtest.Report("distinct-threads", boolErr(otherTid != mainTid))

		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
		mustOK("new-ruleset", err)
		mustOK("add", rs.AddPathBeneath(allowed, AccessFSReadFile|AccessFSReadDir))
		mustOK("restrict", rs.RestrictSelf(0))
		close(restricted)
		<-done
		sandboxtest.Report("main-after", openRead(deniedFile))

		// Hold n goroutines on n threads at once: more than existed before,
		// so the runtime must clone new ones.
		const n = 16
		type result struct {
			tid int
			err error
		}
		results, hold := make(chan result), make(chan struct{})
		for range n {
			go func() {
				runtime.LockOSThread()
				results <- result{unix.Gettid(), openRead(deniedFile)}
				<-hold
			}()
		}
		newThreads := 0
		var bad error
		for range n {
			r := <-results
			if !before[r.tid] {
				newThreads++
			}
			if !errors.Is(r.err, unix.EACCES) && bad == nil {
				bad = fmt.Errorf("thread %d: %w", r.tid, r.err)
				if r.err == nil {
					bad = fmt.Errorf("thread %d opened %s", r.tid, deniedFile)
				}
			}
		}
		close(hold)
		sandboxtest.Report("new-threads-created", boolErr(newThreads > 0))
		if bad == nil {
			bad = unix.EACCES
		}
		sandboxtest.Report("new-threads-denied", bad)
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "other-before", "ok")
	res.WantOutcome(t, "distinct-threads", "ok")
	res.WantOutcome(t, "other-after-denied", "EACCES")
	res.WantOutcome(t, "other-after-allowed", "ok")
	res.WantOutcome(t, "main-after", "EACCES")
	res.WantOutcome(t, "new-threads-created", "ok")
	res.WantOutcome(t, "new-threads-denied", "EACCES")
}

// Without CAP_SYS_ADMIN the kernel requires no_new_privs; RestrictSelf sets
// it on every thread itself. As root the child first becomes nobody.
func TestRestrictAsNobody(t *testing.T) {
	abi := requireABI(t, 1)
	dir := sandboxtest.TempDir(t)
	// t.TempDir makes 0700 directories; let nobody in.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	allowed, denied := tree(dir)
	res := sandboxtest.Run(t, func() {
		if os.Getuid() == 0 {
			// Go applies these to every thread.
			mustOK("setgroups", syscall.Setgroups(nil))
			mustOK("setgid", syscall.Setgid(65534))
			mustOK("setuid", syscall.Setuid(65534))
		}
		nnp := func() error {
			v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
			if err != nil {
				return err
			}
			return boolErr(v == 1)
		}
		sandboxtest.Report("uid", boolErr(os.Getuid() == 65534))
		sandboxtest.Report("nnp-before", nnp())
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
		mustOK("new-ruleset", err)
		mustOK("add", rs.AddPathBeneath(allowed, AccessFSReadFile|AccessFSReadDir))
		// The kernel's own rule, and why RestrictSelf sets no_new_privs.
		_, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(rs.fd), 0, 0)
		sandboxtest.Report("raw-restrict-without-nnp", errnoErr(errno))
		sandboxtest.Report("restrict", rs.RestrictSelf(0))
		other := make(chan error)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			other <- nnp()
		}()
		sandboxtest.Report("nnp-after-any-thread", <-other)
		sandboxtest.Report("read-allowed", openRead(filepath.Join(allowed, "file")))
		sandboxtest.Report("read-denied", openRead(filepath.Join(denied, "file")))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "uid", "ok")
	res.WantOutcome(t, "nnp-before", "error:false")
	res.WantOutcome(t, "raw-restrict-without-nnp", "EPERM")
	res.WantOutcome(t, "restrict", "ok")
	res.WantOutcome(t, "nnp-after-any-thread", "ok")
	res.WantOutcome(t, "read-allowed", "ok")
	res.WantOutcome(t, "read-denied", "EACCES")
}

// The TSYNC bit is RestrictSelf's to choose; the audit LOG_* flags pass
// through from ABI 7.
func TestRestrictFlags(t *testing.T) {
	abi := requireABI(t, 7)
	res := sandboxtest.Run(t, func() {
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: AccessFSMakeBlock})
		mustOK("new-ruleset", err)
		sandboxtest.Report("tsync-from-caller", rs.RestrictSelf(unix.LANDLOCK_RESTRICT_SELF_TSYNC))
		sandboxtest.Report("log-flags", rs.RestrictSelf(RestrictFlags(abi)))
		sandboxtest.Report("unknown-flag", rs.RestrictSelf(1<<30))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "tsync-from-caller", "ok")
	res.WantOutcome(t, "log-flags", "ok")
	res.WantOutcome(t, "unknown-flag", "EINVAL")
}

// Landlock stacks at most 16 domains (LANDLOCK_MAX_NUM_LAYERS); the 17th
// restriction fails with E2BIG on the first thread and psx leaves the
// other threads alone, so the process goes on.
func TestRestrictLayerLimit(t *testing.T) {
	requireABI(t, 1)
	res := sandboxtest.Run(t, func() {
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: AccessFSMakeBlock})
		mustOK("new-ruleset", err)
		for i := 1; i <= 16; i++ {
			mustOK("layer-"+itoa(i), rs.RestrictSelf(0))
		}
		err = rs.RestrictSelf(0)
		sandboxtest.Report("layer-17", err)
		sandboxtest.Report("message", boolErr(err != nil && contains(err.Error(), "landlock_restrict_self")))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "layer-17", "E2BIG")
	res.WantOutcome(t, "message", "ok")
}

// Net-port rules (ABI 4): bind is denied except on the allowed port.
func TestNetPort(t *testing.T) {
	requireABI(t, 4)
	res := sandboxtest.Run(t, func() {
		ports := tcpPorts(2)
		rs, err := NewRuleset(RulesetAttr{HandledAccessNet: AccessNetBindTCP})
		mustOK("new-ruleset", err)
		mustOK("add", rs.AddNetPort(uint64(ports[0]), AccessNetBindTCP))
		mustOK("restrict", rs.RestrictSelf(0))
		sandboxtest.Report("bind-allowed", bindTCP(ports[0]))
		sandboxtest.Report("bind-denied", bindTCP(ports[1]))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "bind-allowed", "ok")
	res.WantOutcome(t, "bind-denied", "EACCES")
}

// Scopes (ABI 6): a scoped domain cannot signal a process outside it (the
// test runner, our parent) nor connect to an abstract unix socket created
// outside it, but can still signal itself.
func TestScopes(t *testing.T) {
	requireABI(t, 6)
	res := sandboxtest.Run(t, func() {
		ppid := os.Getppid()
		sandboxtest.Report("kill-parent-before", unix.Kill(ppid, 0))
		name := fmt.Sprintf("@landpledge-landlock-test-%d", os.Getpid())
		ln, err := net.Listen("unix", name)
		mustOK("listen", err)
		defer ln.Close()
		rs, err := NewRuleset(RulesetAttr{Scoped: ScopeSignal | ScopeAbstractUnixSocket})
		mustOK("new-ruleset", err)
		mustOK("restrict", rs.RestrictSelf(0))
		sandboxtest.Report("kill-parent", unix.Kill(ppid, 0))
		sandboxtest.Report("kill-self", unix.Kill(os.Getpid(), 0))
		c, err := net.Dial("unix", name)
		if err == nil {
			c.Close()
		}
		sandboxtest.Report("connect-abstract", err)
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "kill-parent-before", "ok")
	res.WantOutcome(t, "kill-parent", "EPERM")
	res.WantOutcome(t, "kill-self", "ok")
	res.WantOutcome(t, "connect-abstract", "EPERM")
}

// psxMode names how psx reaches all threads in this build.
func psxMode() string {
	if psxReadsProcTask {
		return "libpsx (cgo)"
	}
	return "syscall.AllThreadsSyscall (no cgo)"
}

// In cgo builds before ABI 8, libpsx must list /proc/<pid>/task after the
// first thread is restricted, so RestrictSelf grants READ_DIR there and
// nothing more (COMPAT: the process can list its own thread ids). Without
// cgo nothing under /proc is granted.
func TestProcTaskRule(t *testing.T) {
	abi := requireABI(t, 1)
	t.Logf("psx via %s", psxMode())
	res := sandboxtest.Run(t, func() {
		runtime.LockOSThread()
		tid := unix.Gettid()
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: HandledAccessFS(abi)})
		mustOK("new-ruleset", err)
		mustOK("restrict", rs.RestrictSelf(0))
		sandboxtest.Report("list-proc-task", openRead("/proc/self/task"))
		sandboxtest.Report("list-thread-dir", openRead(fmt.Sprintf("/proc/self/task/%d", tid)))
		sandboxtest.Report("read-thread-status", openRead(fmt.Sprintf("/proc/self/task/%d/status", tid)))
		sandboxtest.Report("read-proc-status", openRead("/proc/self/status"))
		sandboxtest.Report("list-proc-self", openRead("/proc/self"))
		// A second layer still works: libpsx can list the threads again.
		mustOK("restrict-again", rs.RestrictSelf(0))
		sandboxtest.Report("alive", nil)
	})
	res.WantExit(t, 0)
	listable := "EACCES"
	if psxReadsProcTask && RestrictFlags(abi)&unix.LANDLOCK_RESTRICT_SELF_TSYNC == 0 {
		listable = "ok"
	}
	res.WantOutcome(t, "list-proc-task", listable)
	res.WantOutcome(t, "list-thread-dir", listable)
	res.WantOutcome(t, "read-thread-status", "EACCES")
	res.WantOutcome(t, "read-proc-status", "EACCES")
	res.WantOutcome(t, "list-proc-self", "EACCES")
	res.WantOutcome(t, "alive", "ok")
}

// Under a Landlock layer from elsewhere that hides /proc, libpsx would
// SIGKILL the process; in cgo builds the psx-based calls return an error
// wrapping EACCES instead. Without cgo they work.
func TestPsxUnderForeignLayer(t *testing.T) {
	requireABI(t, 1)
	t.Logf("psx via %s", psxMode())
	res := sandboxtest.Run(t, func() {
		// The foreign layer goes on this thread only: raw prctl and
		// landlock_restrict_self, then the call under test, all here.
		runtime.LockOSThread()
		rs, err := NewRuleset(RulesetAttr{HandledAccessFS: AccessFSReadDir})
		mustOK("new-ruleset", err)
		mustOK("prctl-nnp", unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(rs.fd), 0, 0)
		mustOK("raw-restrict", errnoErr(errno))
		sandboxtest.Report("nnp-all-threads", SetNoNewPrivsAllThreads())
	})
	res.WantExit(t, 0)
	want := "ok"
	if psxReadsProcTask {
		want = "EACCES"
	}
	res.WantOutcome(t, "nnp-all-threads", want)
}

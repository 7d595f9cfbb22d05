//go:build linux

package unveil

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary act as a small helper program instead of
// running tests: "widen:<path>" unveils path "r", commits, and reports
// whether it can read it. A process exec'd by a sandboxed child uses it.
const helperEnv = "LANDPLEDGE_UNVEIL_HELPER"

func TestMain(m *testing.M) {
	if h, ok := strings.CutPrefix(os.Getenv(helperEnv), "widen:"); ok {
		s := New()
		sandboxtest.Report("helper-unveil", s.Unveil(h, "r"))
		sandboxtest.Report("helper-commit", s.Commit())
		sandboxtest.Report("helper-read", readFile(h))
		os.Exit(0)
	}
	sandboxtest.Main(m)
}

// report reports the outcome of each named check: name, error, name,
// error... A value that is neither an error nor nil (a bool, a result
// whose error was forgotten) panics in the child instead of reporting ok,
// and so does a name without a value.
func report(checks ...any) {
	if len(checks)%2 != 0 {
		panic(fmt.Sprintf("report: %d arguments, not name/error pairs", len(checks)))
	}
	for i := 0; i < len(checks); i += 2 {
		var err error
		switch v := checks[i+1].(type) {
		case nil: // a nil error, passed as any
		case error:
			err = v
		default:
			panic(fmt.Sprintf("report: %v is a %T, not an error", checks[i], v))
		}
		sandboxtest.Report(checks[i].(string), err)
	}
}

func wantOutcomes(t *testing.T, res *sandboxtest.Result, kv ...string) {
	t.Helper()
	if len(kv)%2 != 0 {
		t.Fatalf("wantOutcomes: %d arguments, not key/outcome pairs", len(kv))
	}
	res.WantExit(t, 0)
	for i := 0; i < len(kv); i += 2 {
		res.WantOutcome(t, kv[i], kv[i+1])
	}
}

// TestNarrowHides: Unveil("/", "r") then Unveil(home, "") hides home. The
// split also makes "/" (and every directory down to home) unlistable.
func TestNarrowHides(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/home/u", dir+"/other")
		writeFile(t, dir+"/home/u/f", "secret", 0o644)
		writeFile(t, dir+"/other/f", "public", 0o644)
	}
	res := sandboxtest.Run(t, func() {
		commit("/", "r", dir+"/home", "")
		var st unix.Stat_t
		report(
			"hidden-read", readFile(dir+"/home/u/f"),
			"hidden-list", listDir(dir+"/home"),
			"hidden-stat", unix.Stat(dir+"/home/u/f", &st), // Landlock does not restrict stat
			"other-read", readFile(dir+"/other/f"),
			"etc-read", readFile("/etc/passwd"),
			"etc-write", writeExisting("/etc/passwd"),
			"root-list", listDir("/"), // split directory: only the intersection
			"other-list", listDir(dir+"/other"),
		)
	})
	wantOutcomes(t, res,
		"hidden-read", "EACCES", "hidden-list", "EACCES", "hidden-stat", "ok",
		"other-read", "ok", "etc-read", "ok", "etc-write", "EACCES",
		"root-list", "EACCES", "other-list", "ok")
}

// TestNarrowReadOnly: Unveil(srv, "rwc") then Unveil(srv/ro, "r") makes ro
// read-only, keeps the rest of srv rwc, and leaves srv itself with only the
// intersection (r): a name created in srv after the commit by another
// process is readable but not writable.
func TestNarrowReadOnly(t *testing.T) {
	dir := sandboxDir(t)
	srv := dir + "/srv"
	if !sandboxtest.InChild() {
		mkdirAll(t, srv+"/ro", srv+"/rw")
		writeFile(t, srv+"/ro/f", "ro", 0o644)
		writeFile(t, srv+"/rw/f", "rw", 0o644)
		writeFile(t, srv+"/top", "top", 0o644)
	}
	res := sandboxtest.Run(t, func() {
		// A helper started before the commit is outside the veil and
		// creates srv/later after it.
		helper := exec.Command("/bin/sh", "-c", `read x; mkdir "$1/later" && echo x > "$1/later/f" && echo done`, "sh", srv)
		in, _ := helper.StdinPipe()
		out, _ := helper.StdoutPipe()
		if err := helper.Start(); err != nil {
			panic(err)
		}
		commit(srv, "rwc", srv+"/ro", "r")
		report(
			"ro-read", readFile(srv+"/ro/f"),
			"ro-write", writeExisting(srv+"/ro/f"),
			"ro-create", create(srv+"/ro/new"),
			"ro-unlink", unix.Unlink(srv+"/ro/f"),
			"rw-write", writeExisting(srv+"/rw/f"),
			"rw-create", create(srv+"/rw/new"),
			"rw-unlink", unix.Unlink(srv+"/rw/new"),
			"top-write", writeExisting(srv+"/top"), // an entry of the split directory: own rule
			"srv-list", listDir(srv),
			"srv-create", create(srv+"/new"), // in the split directory itself: intersection only
		)
		in.Write([]byte("go\n"))
		line, _ := bufio.NewReader(out).ReadString('\n')
		helper.Wait()
		if line != "done\n" {
			panic("helper: " + line)
		}
		report(
			"later-read", readFile(srv+"/later/f"),
			"later-write", writeExisting(srv+"/later/f"),
		)
	})
	wantOutcomes(t, res,
		"ro-read", "ok", "ro-write", "EACCES", "ro-create", "EACCES", "ro-unlink", "EACCES",
		"rw-write", "ok", "rw-create", "ok", "rw-unlink", "ok", "top-write", "ok",
		"srv-list", "ok", "srv-create", "EACCES",
		"later-read", "ok", "later-write", "EACCES")
}

// TestMissingName: a name that does not exist at the commit, unveiled
// "rwc", can be created, written, read and removed; its rights (READ_FILE
// WRITE_FILE TRUNCATE IOCTL_DEV MAKE_REG REMOVE_FILE) sit on the parent and
// so reach every file below it, but nothing else does.
func TestMissingName(t *testing.T) {
	dir := sandboxDir(t)
	d := dir + "/d"
	if !sandboxtest.InChild() {
		mkdirAll(t, d+"/sub", dir+"/elsewhere")
		writeFile(t, d+"/sibling", "s", 0o644)
		writeFile(t, d+"/sub/deep", "s", 0o644)
		writeFile(t, d+"/exe", string(trueELF(t)), 0o755)
	}
	res := sandboxtest.Run(t, func() {
		s := commit(d+"/new.db", "rwc", dir+"/elsewhere/absent", "r")
		for _, e := range s.Status().Plan.Exposed {
			fmt.Printf("sandboxtest: exposed=%s %s\n", e.Dir, strings.Join(RightNames(e.Access), ","))
		}
		report(
			"name-create", create(d+"/new.db"),
			"name-write", writeExisting(d+"/new.db"),
			"name-read", readFile(d+"/new.db"),
			"name-truncate", unix.Truncate(d+"/new.db", 0),
			"name-unlink", unix.Unlink(d+"/new.db"),
			"name-mkdir", unix.Mkdir(d+"/new.db", 0o755), // only a regular file
			"name-symlink", unix.Symlink("x", d+"/new.db"),
			// Siblings get exactly the same rights:
			"sibling-read", readFile(d+"/sibling"),
			"sibling-write", writeExisting(d+"/sibling"),
			"deep-read", readFile(d+"/sub/deep"),
			"sibling-create", create(d+"/other"),
			"sibling-exec", execStatus(d+"/exe"),
			"sibling-mkdir", unix.Mkdir(d+"/newdir", 0o755),
			"sibling-move-out", unix.Rename(d+"/sibling", dir+"/elsewhere/sibling"),
			"parent-list", listDir(d),
			"sibling-unlink", unix.Unlink(d+"/sibling"),
			"outside-read", readFile("/etc/passwd"),
			// Missing without 'c': nothing granted.
			"absent-read", readFile(dir+"/elsewhere/absent"),
			"absent-create", create(dir+"/elsewhere/absent"),
		)
	})
	wantOutcomes(t, res,
		"exposed", d+" WRITE_FILE,READ_FILE,REMOVE_FILE,MAKE_REG,TRUNCATE,IOCTL_DEV",
		"name-create", "ok", "name-write", "ok", "name-read", "ok", "name-truncate", "ok",
		"name-unlink", "ok", "name-mkdir", "EACCES", "name-symlink", "EACCES",
		"sibling-read", "ok", "sibling-write", "ok", "deep-read", "ok", "sibling-create", "ok",
		"sibling-exec", "EACCES", "sibling-mkdir", "EACCES", "sibling-move-out", "EACCES",
		"parent-list", "EACCES", "sibling-unlink", "ok", "outside-read", "EACCES",
		"absent-read", "ENOENT", "absent-create", "EACCES")
}

// TestExecNeedsRead: Linux's execve opens the file for reading, so
// Landlock wants READ_FILE besides EXECUTE; 'x' grants both, so a program
// unveiled "x" runs as on OpenBSD, and its content is readable, unlike on
// OpenBSD. A file without any unveil still cannot be executed.
func TestExecNeedsRead(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		writeFile(t, dir+"/x", string(trueELF(t)), 0o755)
		writeFile(t, dir+"/rx", string(trueELF(t)), 0o755)
		writeFile(t, dir+"/hidden", string(trueELF(t)), 0o755)
	}
	res := sandboxtest.Run(t, func() {
		commit(dir+"/x", "x", dir+"/rx", "rx")
		_, readErr := os.ReadFile(dir + "/x")
		report("x", execStatus(dir+"/x"), "rx", execStatus(dir+"/rx"),
			"x-read", readErr, "hidden", execStatus(dir+"/hidden"))
	})
	wantOutcomes(t, res, "x", "ok", "rx", "ok", "x-read", "ok", "hidden", "EACCES")
}

// TestFdsOpenedBefore (OpenBSD regress: openat with a pre-opened dirfd):
// Landlock checks opens, not descriptors opened before the commit. A file
// fd stays readable and a directory fd listable; a new openat relative to
// that directory fd is checked like any open.
func TestFdsOpenedBefore(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/hidden", dir+"/open")
		writeFile(t, dir+"/hidden/f", "secret", 0o644)
		writeFile(t, dir+"/open/f", "public", 0o644)
	}
	res := sandboxtest.Run(t, func() {
		file, err := os.Open(dir + "/hidden/f")
		if err != nil {
			panic(err)
		}
		dirfd, err := unix.Open(dir+"/hidden", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			panic(err)
		}
		commit(dir+"/open", "r")
		_, readErr := file.Read(make([]byte, 8))
		_, getdentsErr := unix.Getdents(dirfd, make([]byte, 4096))
		fd, openatErr := unix.Openat(dirfd, "f", unix.O_RDONLY, 0)
		if openatErr == nil {
			unix.Close(fd)
		}
		_, openatUpErr := unix.Openat(dirfd, "../open/f", unix.O_RDONLY, 0)
		report("fd-read", readErr, "dirfd-getdents", getdentsErr, "openat", openatErr,
			"openat-dotdot-allowed", openatUpErr, "path-read", readFile(dir+"/hidden/f"))
	})
	wantOutcomes(t, res, "fd-read", "ok", "dirfd-getdents", "ok", "openat", "EACCES",
		"openat-dotdot-allowed", "ok", "path-read", "EACCES")
}

// TestDotDotAndChdir (OpenBSD regress: ".." climbing, chdir/fchdir):
// Landlock checks the file reached, however the path climbs; chdir and
// fchdir into a hidden directory succeed (OpenBSD: ENOENT), but nothing in
// it can be opened.
func TestDotDotAndChdir(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/a/x", dir+"/b")
		writeFile(t, dir+"/a/f", "a", 0o644)
		writeFile(t, dir+"/b/f", "b", 0o644)
	}
	res := sandboxtest.Run(t, func() {
		bfd, err := unix.Open(dir+"/b", unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			panic(err)
		}
		commit(dir+"/a", "r")
		report(
			"climb-out", readFile(dir+"/a/../b/f"),
			"climb-in", readFile(dir+"/a/x/../f"),
			"chdir-a", unix.Chdir(dir+"/a"),
			"relative-dotdot", readFile("../b/f"),
			"relative", readFile("f"),
			"chdir-hidden", unix.Chdir(dir+"/b"),
			"hidden-relative", readFile("f"),
			"fchdir-hidden", unix.Fchdir(bfd),
			"fchdir-relative", readFile("f"),
			"getcwd", getcwdErr(),
		)
	})
	wantOutcomes(t, res, "climb-out", "EACCES", "climb-in", "ok", "chdir-a", "ok",
		"relative-dotdot", "EACCES", "relative", "ok", "chdir-hidden", "ok",
		"hidden-relative", "EACCES", "fchdir-hidden", "ok", "fchdir-relative", "EACCES", "getcwd", "ok")
}

func getcwdErr() error {
	_, err := os.Getwd()
	return err
}

// TestUnveilRootAndDot (OpenBSD regress: unveil "/" and "."): "/" covers
// everything; "." is the current directory at the time of the call.
func TestUnveilRootAndDot(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/cwd", dir+"/out")
	}
	res := sandboxtest.Run(t, func() {
		if err := os.Chdir(dir + "/cwd"); err != nil {
			panic(err)
		}
		commit("/", "r", ".", "rwc")
		report(
			"root-read", readFile("/etc/passwd"),
			"dot-create", create("new"),
			"dot-abs-create", create(dir+"/cwd/new2"),
			"out-create", create(dir+"/out/new"),
			"tmp-write", writeExisting("/etc/passwd"),
		)
	})
	wantOutcomes(t, res, "root-read", "ok", "dot-create", "ok", "dot-abs-create", "ok",
		"out-create", "EACCES", "tmp-write", "EACCES")
}

// TestChildrenInherit (OpenBSD regress: fork inherits): a process started
// after the commit (fork+exec; Go cannot fork alone) is under the same
// veil. It has its own, unlocked unveil state, but Landlock layers only
// stack: unveiling the hidden path there does not make it readable.
func TestChildrenInherit(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/secret", dir+"/pub")
		writeFile(t, dir+"/secret/f", "secret", 0o644)
		writeFile(t, dir+"/pub/f", "public", 0o644)
	}
	res := sandboxtest.Run(t, func() {
		exe, err := os.Executable()
		if err != nil {
			panic(err)
		}
		// os/exec opens /dev/null for the standard files it is not given.
		commit("/", "rx", dir+"/secret", "", "/dev/null", "rw")
		var stderr bytes.Buffer
		cat := exec.Command("/bin/cat", dir+"/secret/f")
		cat.Stderr = &stderr
		catErr := cat.Run()
		fmt.Printf("sandboxtest: cat-stderr-denied=%v\n", strings.Contains(stderr.String(), "Permission denied"))
		pubOut, pubErr := exec.Command("/bin/cat", dir+"/pub/f").Output()
		fmt.Printf("sandboxtest: cat-pub-output=%q\n", pubOut)
		helper := exec.Command(exe)
		helper.Env = append(os.Environ(), helperEnv+"=widen:"+dir+"/secret/f")
		helper.Stdout = os.Stdout
		report("cat-secret-exit", exitCode(catErr), "cat-pub", pubErr, "helper", helper.Run())
	})
	wantOutcomes(t, res, "cat-secret-exit", "error:exit1", "cat-stderr-denied", "true", "cat-pub", "ok",
		"cat-pub-output", `"public"`, "helper", "ok", "helper-unveil", "ok", "helper-commit", "ok", "helper-read", "EACCES")
}

type exitStatus int

func (e exitStatus) Error() string { return "exit" + strconv.Itoa(int(e)) }

// exitCode turns a command's exit status into an error reported as
// "error:exit<N>"; other errors (an errno from execve) are kept.
func exitCode(err error) error {
	if ee, ok := err.(*exec.ExitError); ok {
		return exitStatus(ee.ExitCode())
	}
	return err
}

// TestBlockWithNothingOnlyLocks (OpenBSD: unveil(NULL, NULL) before any
// unveil does not activate the veil): everything stays reachable and later
// unveil calls fail with EPERM.
func TestBlockWithNothingOnlyLocks(t *testing.T) {
	dir := sandboxDir(t)
	res := sandboxtest.Run(t, func() {
		s := commit()
		st := s.Status()
		fmt.Printf("sandboxtest: enforced=%v\nsandboxtest: locked=%v\n", st.Enforced, st.Locked)
		report("create", create(dir+"/f"), "unveil-after", s.Unveil(dir, "r"),
			"commit-again", s.Commit(), "read", readFile(dir+"/f"))
	})
	wantOutcomes(t, res, "enforced", "false", "locked", "true", "create", "ok",
		"unveil-after", "EPERM", "commit-again", "ok", "read", "ok")
}

// TestCommitIdempotent: a second Commit neither fails nor stacks another
// layer, and Unveil stays locked.
func TestCommitIdempotent(t *testing.T) {
	dir := sandboxDir(t)
	res := sandboxtest.Run(t, func() {
		s := commit(dir, "rwc")
		report("again", s.Commit(), "unveil", s.Unveil(dir, "r"), "create", create(dir+"/f"),
			"outside", readFile("/etc/passwd"))
		fmt.Printf("sandboxtest: enforced=%v\n", s.Status().Enforced)
	})
	wantOutcomes(t, res, "again", "ok", "unveil", "EPERM", "create", "ok", "outside", "EACCES", "enforced", "true")
}

// TestAllThreads: a goroutine locked to its own OS thread before the
// commit is restricted afterwards, and threads created after the commit
// are too.
func TestAllThreads(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/ok")
		writeFile(t, dir+"/ok/f", "ok", 0o644)
	}
	res := sandboxtest.Run(t, func() {
		type result struct {
			tid             int
			denied, allowed error
		}
		try := func() result {
			return result{unix.Gettid(), readFile("/etc/passwd"), readFile(dir + "/ok/f")}
		}
		// An old thread, parked before the commit.
		start, done := make(chan struct{}), make(chan result)
		go func() {
			runtime.LockOSThread()
			done <- result{tid: unix.Gettid()}
			<-start
			done <- try()
		}()
		old := <-done
		before := threadIDs()
		commit(dir+"/ok", "r")
		close(start)
		r := <-done
		if r.tid != old.tid {
			panic("locked goroutine moved threads")
		}
		report("old-thread-denied", r.denied, "old-thread-allowed", r.allowed)
		// New threads: hold more locked goroutines than there were threads.
		n := 2*len(before) + 2
		hold := make(chan struct{})
		results := make(chan result, n)
		for range n {
			go func() {
				runtime.LockOSThread()
				results <- try()
				<-hold
			}()
		}
		// Every new thread counts: each key gets the set of the outcomes
		// the new threads had, so a thread that escaped the veil shows in
		// it, not only the thread that happens to report last.
		fresh := 0
		denied, allowed := map[string]bool{}, map[string]bool{}
		for range n {
			r := <-results
			if !slices.Contains(before, r.tid) {
				fresh++
				denied[sandboxtest.ErrnoName(r.denied)] = true
				allowed[sandboxtest.ErrnoName(r.allowed)] = true
				fmt.Printf("new thread %d: denied %v, allowed %v\n", r.tid, r.denied, r.allowed)
			}
		}
		close(hold)
		fmt.Printf("sandboxtest: fresh-threads=%v\n", fresh > 0)
		fmt.Printf("sandboxtest: new-threads-denied=%s\n", strings.Join(slices.Sorted(maps.Keys(denied)), ","))
		fmt.Printf("sandboxtest: new-threads-allowed=%s\n", strings.Join(slices.Sorted(maps.Keys(allowed)), ","))
	})
	wantOutcomes(t, res, "old-thread-denied", "EACCES", "old-thread-allowed", "ok",
		"new-threads-denied", "EACCES", "new-threads-allowed", "ok", "fresh-threads", "true")
}

// threadIDs lists the process's threads from /proc/self/task.
func threadIDs() []int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		panic(err)
	}
	var ids []int
	for _, e := range ents {
		id, _ := strconv.Atoi(e.Name())
		ids = append(ids, id)
	}
	return ids
}

func listDir(p string) error {
	_, err := os.ReadDir(p)
	return err
}

// TestNotHidden: Landlock does not restrict stat, access, readlink, chmod,
// chown, utimes or statfs, so a hidden path is still visible to them (on
// OpenBSD they fail with ENOENT), and a denied open says EACCES where
// OpenBSD says ENOENT.
func TestNotHidden(t *testing.T) {
	dir := sandboxDir(t)
	if !sandboxtest.InChild() {
		mkdirAll(t, dir+"/a", dir+"/b")
		writeFile(t, dir+"/b/f", "b", 0o644)
		if err := os.Symlink("f", dir+"/b/link"); err != nil {
			t.Fatal(err)
		}
	}
	res := sandboxtest.Run(t, func() {
		commit(dir+"/a", "r")
		var st unix.Stat_t
		var sfs unix.Statfs_t
		_, readlinkErr := os.Readlink(dir + "/b/link")
		report(
			"open", readFile(dir+"/b/f"),
			"stat", unix.Stat(dir+"/b/f", &st),
			"access", unix.Access(dir+"/b/f", unix.F_OK),
			"readlink", readlinkErr,
			"chmod", unix.Chmod(dir+"/b/f", 0o600),
			"chown", unix.Chown(dir+"/b/f", os.Getuid(), os.Getgid()),
			"utimes", unix.UtimesNano(dir+"/b/f", []unix.Timespec{{}, {}}),
			"statfs", unix.Statfs(dir+"/b", &sfs),
		)
	})
	wantOutcomes(t, res, "open", "EACCES", "stat", "ok", "access", "ok", "readlink", "ok",
		"chmod", "ok", "chown", "ok", "utimes", "ok", "statfs", "ok")
}

// TestNothingBeforeCommit: OpenBSD hides everything at the first unveil
// call; here nothing is enforced until the commit.
func TestNothingBeforeCommit(t *testing.T) {
	dir := sandboxDir(t)
	res := sandboxtest.Run(t, func() {
		s := New()
		report("unveil", s.Unveil(dir, "r"), "before", readFile("/etc/passwd"),
			"commit", s.Commit(), "after", readFile("/etc/passwd"))
	})
	wantOutcomes(t, res, "unveil", "ok", "before", "ok", "commit", "ok", "after", "EACCES")
}

// TestIoctlNeedsWrite: on ABI 5+ an ioctl on a device needs IOCTL_DEV,
// which comes with 'w'. /dev/null is a character device without termios,
// so an allowed TCGETS says ENOTTY and a denied one EACCES. A device opened
// before the commit is not checked.
func TestIoctlNeedsWrite(t *testing.T) {
	sandboxDir(t)
	sandboxtest.RequireABI(t, 5)
	res := sandboxtest.Run(t, func() {
		r, err := os.Open("/dev/zero")
		if err != nil {
			panic(err)
		}
		commit("/dev/null", "r", "/dev/zero", "rw")
		ro, err := os.Open("/dev/null")
		if err != nil {
			panic(err)
		}
		rw, err := os.OpenFile("/dev/zero", os.O_RDWR, 0)
		if err != nil {
			panic(err)
		}
		_, roErr := unix.IoctlGetTermios(int(ro.Fd()), unix.TCGETS)
		_, rwErr := unix.IoctlGetTermios(int(rw.Fd()), unix.TCGETS)
		_, beforeErr := unix.IoctlGetTermios(int(r.Fd()), unix.TCGETS)
		report("r", roErr, "rw", rwErr, "opened-before", beforeErr)
	})
	wantOutcomes(t, res, "r", "EACCES", "rw", "ENOTTY", "opened-before", "ENOTTY")
}

// TestAbstractUnixScoped: OpenBSD has no abstract unix sockets, so under a
// veil every unix socket is a path that must be unveiled. The veil asks
// Landlock (ABI 6) to scope the abstract namespace: a socket bound outside
// the domain (here, before the commit) cannot be reached (EPERM); one bound
// inside it can.
func TestAbstractUnixScoped(t *testing.T) {
	dir := sandboxDir(t)
	sandboxtest.RequireABI(t, 6) // scoping
	res := sandboxtest.Run(t, func() {
		listen := func(name string) {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err == nil {
				err = unix.Bind(fd, &unix.SockaddrUnix{Name: name})
			}
			if err == nil {
				err = unix.Listen(fd, 1)
			}
			if err != nil {
				panic(err)
			}
		}
		connect := func(name string) error {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			return unix.Connect(fd, &unix.SockaddrUnix{Name: name})
		}
		outside := fmt.Sprintf("@landpledge-unveil-outside-%d", os.Getpid())
		inside := fmt.Sprintf("@landpledge-unveil-inside-%d", os.Getpid())
		listen(outside)
		commit(dir, "r")
		listen(inside)
		report("outside", connect(outside), "inside", connect(inside))
	})
	wantOutcomes(t, res, "outside", "EPERM", "inside", "ok")
}

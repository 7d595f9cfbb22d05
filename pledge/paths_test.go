//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/landlock"
)

// The path promises (promise/paths.go): OpenBSD's named paths open by
// name under a path layer, everything else the flags let through fails
// with EACCES by path, and a creating open without cpath or tmppath still
// kills.

func openFlags(path string, flags int) error {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o600)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// TestNamedPathsStdio: under stdio alone, /dev/null opens for reading,
// writing and both; another file fails with EACCES (OpenBSD kills); a
// creating open kills, and returns ENOSYS under "error".
func TestNamedPathsStdio(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	file := readableFile(t)
	for _, mode := range []string{"kill", "error"} {
		t.Run(mode, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				promises := "stdio"
				if mode == "error" {
					promises = "stdio error"
				}
				mustPledgePromises(promises)
				fmt.Printf("path-layer=%v\n", CurrentState().PathLayer)
				sandboxtest.Report("null-read", openFlags(os.DevNull, unix.O_RDONLY))
				sandboxtest.Report("null-write", openFlags(os.DevNull, unix.O_WRONLY))
				sandboxtest.Report("null-rdwr", openFlags(os.DevNull, unix.O_RDWR))
				sandboxtest.Report("file-read", openFlags(file, unix.O_RDONLY))
				sandboxtest.Report("hostname-read", openFlags("/etc/hostname", unix.O_RDONLY))
				sandboxtest.Report("create", openFlags(file+".new", unix.O_WRONLY|unix.O_CREAT))
			})
			wantLines(t, res, "path-layer=true")
			for _, k := range []string{"null-read", "null-write", "null-rdwr"} {
				res.WantOutcome(t, k, "ok")
			}
			res.WantOutcome(t, "file-read", "EACCES")
			res.WantOutcome(t, "hostname-read", "EACCES")
			if mode == "kill" {
				res.WantSignal(t, syscall.SIGSYS)
				return
			}
			res.WantExit(t, 0)
			res.WantOutcome(t, "create", "ENOSYS")
		})
	}
}

// TestNamedPathsOsExec: os/exec with nil stdio (it opens /dev/null for
// reading and writing) works under "stdio proc exec": with "exec" the
// reads are the supervisor's, which grants the named paths by the opened
// file's identity.
func TestNamedPathsOsExec(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	file := readableFile(t)
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio proc exec")
		sandboxtest.Report("true", exec.Command("/bin/true").Run())
		sandboxtest.Report("file-read", openFlags(file, unix.O_RDONLY))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "true", "ok")
	res.WantOutcome(t, "file-read", "EACCES")
}

// outsideTmp is a writable directory that is not under /tmp (TMPDIR and
// CI's checkouts are there): in /var/tmp, named after the test and the
// user so that both sides find it, made by the parent.
func outsideTmp(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("/var/tmp", fmt.Sprintf("landpledge-%d-%s", os.Getuid(), strings.ReplaceAll(t.Name(), "/", "_")))
	if !sandboxtest.InChild() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	return dir
}

// TestTmppath: tmppath creates, writes, reads and unlinks files in /tmp
// and its subdirectories; it cannot read /etc/hostname, create or write
// outside /tmp, or make a directory (cpath).
func TestTmppath(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	outside := outsideTmp(t)
	existing := filepath.Join(outside, "existing")
	sub := filepath.Join("/tmp", "landpledge"+filepath.Base(outside))
	if !sandboxtest.InChild() {
		if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(sub, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(sub, 0o777)
		t.Cleanup(func() { os.RemoveAll(sub) })
	}
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio tmppath error")
		for _, dir := range []string{"/tmp", sub} {
			name := filepath.Join(dir, fmt.Sprintf("f%d", os.Getpid()))
			key := "tmp"
			if dir != "/tmp" {
				key = "sub"
			}
			sandboxtest.Report(key+"-create", openFlags(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL))
			sandboxtest.Report(key+"-write", openFlags(name, unix.O_WRONLY))
			sandboxtest.Report(key+"-read", openFlags(name, unix.O_RDONLY))
			sandboxtest.Report(key+"-unlink", unix.Unlink(name))
		}
		sandboxtest.Report("hostname-read", openFlags("/etc/hostname", unix.O_RDONLY))
		sandboxtest.Report("outside-create", openFlags(filepath.Join(outside, "new"), unix.O_RDWR|unix.O_CREAT|unix.O_EXCL))
		sandboxtest.Report("outside-write", openFlags(existing, unix.O_WRONLY))
		sandboxtest.Report("outside-unlink", unix.Unlink(existing))
		sandboxtest.Report("mkdir", unix.Mkdir(filepath.Join("/tmp", fmt.Sprintf("d%d", os.Getpid())), 0o700))
	})
	res.WantExit(t, 0)
	for _, k := range []string{"tmp", "sub"} {
		for _, op := range []string{"create", "write", "read", "unlink"} {
			res.WantOutcome(t, k+"-"+op, "ok")
		}
	}
	res.WantOutcome(t, "hostname-read", "EACCES")
	res.WantOutcome(t, "outside-create", "EACCES")
	res.WantOutcome(t, "outside-write", "EACCES")
	res.WantOutcome(t, "outside-unlink", "EACCES")
	res.WantOutcome(t, "mkdir", "ENOSYS")
}

// TestNamedPathsGo: Go's time zones under stdio, os/user under getpw, the
// resolver under dns, all without rpath; /etc/shadow stays unreadable.
func TestNamedPathsGo(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio getpw dns")
		loc, err := time.LoadLocation("Europe/Berlin")
		if err == nil {
			fmt.Printf("zone=%s\n", time.Unix(1704067200, 0).In(loc).Format("MST15"))
		}
		sandboxtest.Report("zone", err)
		u, err := user.Lookup("root")
		if err == nil && u.Uid != "0" {
			err = fmt.Errorf("uid %s", u.Uid)
		}
		sandboxtest.Report("user", err)
		addrs, err := net.LookupHost("localhost")
		fmt.Printf("localhost=%v\n", addrs)
		sandboxtest.Report("hosts", err)
		sandboxtest.Report("shadow", openFlags("/etc/shadow", unix.O_RDONLY))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "zone", "ok")
	wantLines(t, res, "zone=CET01")
	res.WantOutcome(t, "user", "ok")
	res.WantOutcome(t, "hosts", "ok")
	if !strings.Contains(res.Stdout, "127.0.0.1") {
		t.Errorf("localhost did not resolve to 127.0.0.1:\n%s", res)
	}
	res.WantOutcome(t, "shadow", "EACCES")
}

// TestNamedPathsC: glibc's localtime, getpwnam and getaddrinfo, and
// /dev/null, in a dynamic C program exec'd with execpromises that name
// their files: the image's path layer names them, and its reads are the
// supervisor's (it gives the named paths theirs, by identity).
func TestNamedPathsC(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	dir := sandboxtest.TempDir(t)
	bin := buildC(t, dir, "named.c", cBuilds[0])
	for _, c := range []struct{ mode, promises, want string }{
		{"devnull", "stdio", "ok"},
		{"localtime", "stdio", "CET01"},
		{"getpwnam", "stdio getpw", "ok"},
		{"hosts", "stdio dns", "127.0.0.1"},
		{"shadow", "stdio getpw", "EACCES"},
		// Without the promise: glibc's first stat of nsswitch.conf
		// kills, as OpenBSD kills the open of pwd.db.
		{"getpwnam", "stdio", "SIGSYS"},
	} {
		t.Run(c.mode+"/"+strings.ReplaceAll(c.promises, " ", "+"), func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				mustPledge("stdio exec", c.promises)
				must("exec", syscall.Exec(bin, []string{bin, c.mode}, os.Environ()))
			})
			if c.want == "SIGSYS" {
				res.WantSignal(t, syscall.SIGSYS)
				return
			}
			res.WantExit(t, 0)
			res.WantOutcome(t, c.mode, c.want)
		})
	}
}

// TestPathLayerStacking: each pledge that narrows the path rights stacks
// one layer; one that changes no path right adds none. A later layer needs
// every thread reached without libpsx's signals (TSYNC, Landlock ABI 8,
// or a build without cgo); otherwise the later pledges' opens are decided
// by their flags: stricter, and said in PathErr.
func TestPathLayerStacking(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	abi, err := landlock.ABI()
	if err != nil {
		t.Fatal(err)
	}
	file := readableFile(t)
	res := sandboxtest.Run(t, func() {
		for _, p := range []string{"stdio rpath wpath inet", "stdio rpath wpath", "stdio rpath", "stdio"} {
			mustPledgePromises(p)
			st := CurrentState()
			fmt.Printf("%s: layers=%d path-layer=%v\n", p, st.Layers, st.PathLayer)
			sandboxtest.Report(strings.ReplaceAll(p, " ", "+")+"/read", openFlags(file, unix.O_RDONLY))
			sandboxtest.Report(strings.ReplaceAll(p, " ", "+")+"/write", openFlags(file, unix.O_WRONLY))
		}
	})
	res.WantExit(t, 0)
	later := !landlock.RestrictNeedsSignals(abi)
	want := []string{
		"stdio rpath wpath inet: layers=1 path-layer=true",
		// Dropping inet changes no path right: no layer.
		"stdio rpath wpath: layers=1 path-layer=true",
		fmt.Sprintf("stdio rpath: layers=%d path-layer=%v", map[bool]int{true: 2, false: 1}[later], later),
		fmt.Sprintf("stdio: layers=%d path-layer=%v", map[bool]int{true: 3, false: 1}[later], later),
	}
	wantLines(t, res, want...)
	res.WantOutcome(t, "stdio+rpath+wpath+inet/read", "ok")
	res.WantOutcome(t, "stdio+rpath+wpath/write", "ok")
	res.WantOutcome(t, "stdio+rpath/read", "ok")
	// Each step narrows, by path layer or by flags: EACCES either way.
	res.WantOutcome(t, "stdio+rpath/write", "EACCES")
	res.WantOutcome(t, "stdio/read", "EACCES")
	res.WantOutcome(t, "stdio/write", "EACCES")
}

// TestNamedPathsBypassVeil: the named paths of the pledge that commits the
// veil work although the veil does not name them; everything else keeps
// the veil's rules. With UnveilBlock before any pledge they do not bypass
// it.
func TestNamedPathsBypassVeil(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	file := readableFile(t)
	dir := filepath.Dir(file)
	for _, block := range []bool{false, true} {
		t.Run(fmt.Sprintf("block-first=%v", block), func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				must("unveil", Unveil(dir, "r"))
				if block {
					must("block", UnveilBlock())
				}
				mustPledgePromises("stdio rpath error")
				sandboxtest.Report("null-write", openFlags(os.DevNull, unix.O_WRONLY))
				sandboxtest.Report("file-read", openFlags(file, unix.O_RDONLY))
				sandboxtest.Report("hostname-read", openFlags("/etc/hostname", unix.O_RDONLY))
				_, err := time.LoadLocation("Europe/Berlin")
				sandboxtest.Report("zone", err)
			})
			res.WantExit(t, 0)
			res.WantOutcome(t, "file-read", "ok")
			res.WantOutcome(t, "hostname-read", "EACCES")
			if block {
				res.WantOutcome(t, "null-write", "EACCES")
				if res.Outcome("zone") == "ok" {
					t.Errorf("a zone file was read through a veil committed before the pledge:\n%s", res)
				}
				return
			}
			res.WantOutcome(t, "null-write", "ok")
			res.WantOutcome(t, "zone", "ok")
		})
	}
}

func wantLines(t *testing.T, res *sandboxtest.Result, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains("\n"+res.Stdout, "\n"+l+"\n") {
			t.Errorf("missing line %q in:\n%s", l, res)
		}
	}
}

// TestPledgeWithoutProc: without /proc (a mount namespace with an empty
// tmpfs on it) the exec supervisor cannot start (this program cannot be
// found again); Pledge then drops "exec", enforces the rest, and says so:
// the process cannot open a socket, as "stdio" says, nor exec. The
// pledging process runs in a user and mount namespace of its own (a
// grandchild of the test: the namespaces need a single-threaded start).
func TestPledgeWithoutProc(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	const stage = "LANDPLEDGE_TEST_NOPROC"
	res := sandboxtest.Run(t, func() {
		if os.Getenv(stage) == "" {
			cmd := exec.Command(os.Args[0], os.Args[1:]...)
			cmd.Env = append(os.Environ(), stage+"=1")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
			if os.Getuid() != 0 {
				cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
				cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
			}
			err := cmd.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
				fmt.Printf("pledger-signal=%s\n", unix.SignalName(ee.Sys().(syscall.WaitStatus).Signal()))
				return
			}
			sandboxtest.Report("pledger", err)
			return
		}
		must("private mounts", unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
		must("empty /proc", unix.Mount("none", "/proc", "tmpfs", 0, ""))
		err := Pledge("stdio exec", "")
		var ne *NotEnforcedError
		fmt.Printf("not-enforced=%v promises=%q\n", errors.As(err, &ne), CurrentState().Promises.String())
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		fmt.Printf("socket=%d %v\n", fd, err)
	})
	res.WantExit(t, 0)
	wantLines(t, res, `not-enforced=true promises="stdio"`, "pledger-signal=SIGSYS")
	if strings.Contains(res.Stdout, "socket=") {
		t.Errorf("the socket call returned:\n%s", res)
	}
}

// TestUnveilAfterPledge: obsdpkgup's sequence (a pledge keeping "unveil",
// then Unveil calls, and never UnveilBlock): the veil is not enforced,
// which one line on stderr says at the first such Unveil; with
// LANDPLEDGE_UNVEIL_STRICT=1 that Unveil fails with EPERM instead.
func TestUnveilAfterPledge(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	secret := readableFile(t)
	dir := t.TempDir()
	if sandboxtest.InChild() {
		dir = os.Getenv("UNVEIL_AFTER_DIR")
	}
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			env := []string{"UNVEIL_AFTER_DIR=" + dir}
			if strict {
				env = append(env, EnvUnveilStrict+"=1")
			}
			res := sandboxtest.Run(t, func() {
				mustPledgePromises("stdio unveil rpath wpath cpath flock dns inet tty proc exec")
				for i, p := range []string{"/etc/ssl", "/etc/resolv.conf", dir, "/usr/share/zoneinfo", "/etc/localtime", "/tmp", "/sbin/sysctl"} {
					sandboxtest.Report(fmt.Sprintf("unveil%d", i), Unveil(p, "r"))
				}
				sandboxtest.Report("secret", openFlags(secret, unix.O_RDONLY))
			}, env...)
			res.WantExit(t, 0)
			if strict {
				res.WantOutcome(t, "unveil0", "EPERM")
				return
			}
			res.WantOutcome(t, "unveil0", "ok")
			// Not enforced: the file outside the unveils stays readable,
			// and the line said so.
			res.WantOutcome(t, "secret", "ok")
			if strings.Count(res.Stderr, "is not enforced until UnveilBlock()") != 1 {
				t.Errorf("want one line saying the veil is not enforced:\n%s", res)
			}
		})
	}
}

// TestExecHelpersStart: obsdpkgup's shape. Pledged "stdio rpath proc exec"
// with execpromises NULL (no prot_exec), a dynamic and a static program
// run by os/exec start (the exec supervisor's loader window) and print.
func TestExecHelpersStart(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	static := buildC(t, dir, "named.c", cBuilds[1]) // glibc, -static
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio rpath proc exec")
		out, err := exec.Command("/bin/echo", "hi").Output()
		fmt.Printf("dynamic=%q\n", out)
		sandboxtest.Report("dynamic", err)
		out, err = exec.Command(static, "devnull").Output()
		fmt.Printf("static=%q\n", out)
		sandboxtest.Report("static", err)
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "dynamic", "ok")
	res.WantOutcome(t, "static", "ok")
	wantLines(t, res, `dynamic="hi\n"`, `static="sandboxtest: devnull=ok\n"`)
}

// The environment names the supervisor and this package share are one.
func TestEnvNames(t *testing.T) {
	if EnvExecSupervisor != sandbox.EnvExecSupervisor {
		t.Errorf("EnvExecSupervisor %q, sandbox's %q", EnvExecSupervisor, sandbox.EnvExecSupervisor)
	}
}

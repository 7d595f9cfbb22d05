package compat_test

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pledged is the sandbox "PledgePromises(p)" (execpromises left NULL).
func pledged(p string) Sandbox { return Sandbox{Pledges: []string{p}} }

// promiseCases: per promise, an operation it allows and the nearest
// neighbour it does not (REFERENCE §1; issue 3 "Tests"). Violations kill
// (SECCOMP_RET_KILL_PROCESS, so the outcome is the signal).
//
// An open(2) the promises do not allow fails with EACCES instead of killing
// (pledge's table: OpenBSD allows some paths without rpath/wpath/cpath,
// which seccomp cannot see); COMPAT.md's pledge section lists it.
var promiseCases = []Case{
	{ID: "pledge/empty/exit-only", Sandbox: pledged(""), Op: getpidOp(), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/getpid", Sandbox: pledged("stdio"), Op: getpidOp(), Plain: ok, OpenBSD: ok},
	{ID: "pledge/stdio/mmap-rw", Sandbox: pledged("stdio"), Op: mmapOp(unix.PROT_READ|unix.PROT_WRITE, "PROT_READ|PROT_WRITE"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/stdio/mmap-exec", Sandbox: pledged("stdio"), Op: mmapOp(unix.PROT_READ|unix.PROT_EXEC, "PROT_READ|PROT_EXEC"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/open-read", Sandbox: pledged("stdio"), Op: readOp("d/f"), Plain: ok, OpenBSD: killed, Linux: "EACCES"},
	{ID: "pledge/stdio/socket-inet", Sandbox: pledged("stdio"), Op: socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/kill-outside", Sandbox: pledged("stdio"), Op: killParentOp(), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/setpgid", Sandbox: pledged("stdio"), Op: setpgidOp(), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/setuid", Sandbox: pledged("stdio"), Op: setuidSelfOp(), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/fd-before", Sandbox: pledged("stdio"), Op: preFileRead("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/prot_exec/mmap-exec", Sandbox: pledged("stdio prot_exec"), Op: mmapOp(unix.PROT_READ|unix.PROT_EXEC, "PROT_READ|PROT_EXEC"), Plain: ok, OpenBSD: ok},

	{ID: "pledge/rpath/read", Sandbox: pledged("stdio rpath"), Op: readOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/rpath/readdir", Sandbox: pledged("stdio rpath"), Op: readdirOp("d"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/rpath/stat", Sandbox: pledged("stdio rpath"), Op: statOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/rpath/write", Sandbox: pledged("stdio rpath"), Op: writeOp("d/f"), Plain: ok, OpenBSD: killed, Linux: "EACCES"},
	{ID: "pledge/rpath/create", Sandbox: pledged("stdio rpath"), Op: createOp("d/new"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/wpath/write", Sandbox: pledged("stdio wpath"), Op: writeOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/wpath/read", Sandbox: pledged("stdio wpath"), Op: readOp("d/f"), Plain: ok, OpenBSD: killed, Linux: "EACCES"},
	{ID: "pledge/wpath/create", Sandbox: pledged("stdio wpath"), Op: createOp("d/new"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/cpath/create", Sandbox: pledged("stdio wpath cpath"), Op: createOp("d/new"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/cpath/mkdir", Sandbox: pledged("stdio cpath"), Op: mkdirOp("d/nd"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/cpath/unlink", Sandbox: pledged("stdio cpath"), Op: unlinkOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/cpath/rename", Sandbox: pledged("stdio cpath"), Op: renameOp("d/f", "d/f2"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/cpath/symlink", Sandbox: pledged("stdio cpath"), Op: symlinkOp("f", "d/s"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/cpath/mkfifo", Sandbox: pledged("stdio cpath"), Op: mkfifoOp("d/p"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/dpath/mkfifo", Sandbox: pledged("stdio dpath"), Op: mkfifoOp("d/p"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/dpath/mkdir", Sandbox: pledged("stdio dpath"), Op: mkdirOp("d/nd"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/fattr/chmod", Sandbox: pledged("stdio fattr"), Op: chmodOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/fattr/utimes", Sandbox: pledged("stdio fattr"), Op: utimesOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/stdio/chmod", Sandbox: pledged("stdio rpath wpath"), Op: chmodOp("d/f"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/chown/chown", Sandbox: pledged("stdio fattr chown"), Op: fchownSelfOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/flock/flock", Sandbox: pledged("stdio rpath flock"), Op: flockOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/flock/fcntl-lock", Sandbox: pledged("stdio rpath wpath flock"), Op: fcntlLockOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/rpath/flock", Sandbox: pledged("stdio rpath"), Op: flockOp("d/f"), Plain: ok, OpenBSD: killed},

	{ID: "pledge/inet/socket-inet", Sandbox: pledged("stdio inet"), Op: socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/inet/socket-inet6", Sandbox: pledged("stdio inet"), Op: socketOp(unix.AF_INET6, unix.SOCK_DGRAM, "AF_INET6 DGRAM"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/inet/socket-unix", Sandbox: pledged("stdio inet"), Op: socketOp(unix.AF_UNIX, unix.SOCK_STREAM, "AF_UNIX"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/unix/socket-unix", Sandbox: pledged("stdio unix"), Op: socketOp(unix.AF_UNIX, unix.SOCK_STREAM, "AF_UNIX"), Plain: ok, OpenBSD: ok},
	{ID: "pledge/unix/socket-inet", Sandbox: pledged("stdio unix"), Op: socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET"), Plain: ok, OpenBSD: killed},
	{ID: "pledge/inet/socket-packet", Sandbox: pledged("stdio inet unix dns"), Op: socketOp(unix.AF_PACKET, unix.SOCK_DGRAM, "AF_PACKET"), Plain: "*", OpenBSD: killed},

	{ID: "pledge/proc/kill-outside", Sandbox: pledged("stdio proc"), Op: killParentOp(), Plain: ok, OpenBSD: ok},
	{ID: "pledge/proc/setpgid", Sandbox: pledged("stdio proc"), Op: setpgidOp(), Plain: ok, OpenBSD: ok},
	{ID: "pledge/id/setuid", Sandbox: pledged("stdio id"), Op: setuidSelfOp(), Plain: ok, OpenBSD: ok},
	{ID: "pledge/exec/run", Sandbox: pledged("stdio proc exec"), Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: ok},
	// os/exec forks (clone) and the child's execve is the violation: the
	// forked child dies, the parent lives and sees it.
	{ID: "pledge/proc/exec-denied", Sandbox: pledged("stdio proc"), Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: "child:SIGSYS"},

	{ID: "pledge/tty/tcgets", Sandbox: pledged("stdio tty"), Op: ptyOp("ioctl TCGETS", tcgets), Plain: ok, OpenBSD: ok},
	// glibc's isatty() is ioctl(TCGETS); OpenBSD's libc uses fcntl(F_ISATTY).
	{ID: "pledge/stdio/tcgets", Sandbox: pledged("stdio"), Op: ptyOp("ioctl TCGETS", tcgets), Plain: ok, OpenBSD: killed, Linux: ok},
	// musl's isatty() is ioctl(TIOCGWINSZ), and its stdio makes it on the
	// first write to stdout; OpenBSD's tty promise holds TIOCGWINSZ.
	{ID: "pledge/stdio/tiocgwinsz", Sandbox: pledged("stdio"), Op: ptyOp("ioctl TIOCGWINSZ", tiocgwinsz), Plain: ok, OpenBSD: killed, Linux: ok},
	{ID: "pledge/stdio/tiocswinsz", Sandbox: pledged("stdio"), Op: ptyOp("ioctl TIOCSWINSZ", tiocswinsz), Plain: ok, OpenBSD: killed},
	{ID: "pledge/stdio/fionread", Sandbox: pledged("stdio"), Op: ptyOp("ioctl FIONREAD", fionread), Plain: ok, OpenBSD: ok},

	// A handler for the violation signal must not run: the child installs
	// one for SIGSYS and SIGABRT and still dies.
	{ID: "pledge/kill/handler-does-not-run", Sandbox: pledged("stdio"), Op: withHandler(socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET")), Plain: ok, OpenBSD: killed},
}

var termios unix.Termios
var fionreadN int32

func tiocgwinsz(tty int) error {
	_, err := unix.IoctlGetWinsize(tty, unix.TIOCGWINSZ)
	return err
}

func tiocswinsz(tty int) error {
	return unix.IoctlSetWinsize(tty, unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80})
}

func tcgets(tty int) error {
	_, err := unix.IoctlGetTermios(tty, unix.TCGETS)
	return err
}

func fionread(tty int) error {
	return ioctlOp("FIONREAD", unix.TIOCINQ, unsafe.Pointer(&fionreadN))(tty)
}

// withHandler installs handlers for the violation signals before the
// sandbox (signal.Notify makes Go's handler deliver them to a channel
// instead of crashing), then runs op: a kill must still end the process.
func withHandler(op Op) Op {
	return Op{Name: op.Name + " with SIGSYS/SIGABRT handlers", Pre: func(fx *Fixture) error {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGSYS, syscall.SIGABRT)
		go func() {
			s := <-c
			// Reaching this line would be a handler running.
			println("handler ran:", s.String())
			os.Exit(7)
		}()
		return nil
	}, Fn: op.Fn, C: cSub([]string{"with-handler"}, op)}
}

func TestPledgePromises(t *testing.T) { runCases(t, promiseCases) }

// errorCases: with "error", a violation returns ENOSYS instead of killing.
var errorCases = []Case{
	{ID: "error/socket-inet", Sandbox: pledged("stdio error"), Op: socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET"), Plain: ok, OpenBSD: "ENOSYS"},
	{ID: "error/open-read", Sandbox: pledged("stdio error"), Op: readOp("d/f"), Plain: ok, OpenBSD: "ENOSYS", Linux: "EACCES"},
	{ID: "error/open-write", Sandbox: pledged("stdio rpath error"), Op: writeOp("d/f"), Plain: ok, OpenBSD: "ENOSYS", Linux: "EACCES"},
	{ID: "error/allowed-still-works", Sandbox: pledged("stdio rpath error"), Op: readOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "error/kill-outside", Sandbox: pledged("stdio error"), Op: killParentOp(), Plain: ok, OpenBSD: "ENOSYS"},
	{ID: "error/mmap-exec", Sandbox: pledged("stdio error"), Op: mmapOp(unix.PROT_READ|unix.PROT_EXEC, "PROT_READ|PROT_EXEC"), Plain: ok, OpenBSD: "ENOSYS"},
	// Raising promises under "error" is silently masked: the call succeeds
	// and what was asked for stays denied.
	{ID: "error/raise-masked", Sandbox: pledged("stdio error"), Op: pledgeOp("stdio rpath error"), Plain: ok, OpenBSD: ok},
	{ID: "error/raise-still-denied", Sandbox: pledged("stdio error"), Op: then(pledgeOp("stdio rpath error"), readOp("d/f")), Plain: ok, OpenBSD: "ENOSYS", Linux: "EACCES"},
	// Dropping "error" turns later violations into kills.
	{ID: "error/dropped-kills", Sandbox: pledged("stdio error"), Op: then(pledgeOp("stdio"), socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET")), Plain: killed, OpenBSD: killed},
	// execpromises may not grow even under "error".
	{ID: "error/execpromises-raise", Sandbox: Sandbox{Pledges: []string{"stdio error"}, Exec: str("stdio")}, Op: execpromisesOp("stdio rpath"), Plain: ok, OpenBSD: "EPERM"},
}

func TestPledgeErrorMode(t *testing.T) { runCases(t, errorCases) }

// reduceCases: promises and execpromises may only shrink; parsing comes
// first (REFERENCE §1).
var reduceCases = []Case{
	{ID: "reduce/add-promise", Sandbox: pledged("stdio rpath"), Op: pledgeOp("stdio rpath wpath"), Plain: ok, OpenBSD: "EPERM"},
	{ID: "reduce/same", Sandbox: pledged("stdio rpath"), Op: pledgeOp("stdio rpath"), Plain: ok, OpenBSD: ok},
	{ID: "reduce/drop", Sandbox: pledged("stdio rpath"), Op: pledgeOp("stdio"), Plain: ok, OpenBSD: ok},
	{ID: "reduce/drop-enforced", Sandbox: pledged("stdio inet"), Op: then(pledgeOp("stdio"), socketOp(unix.AF_INET, unix.SOCK_STREAM, "AF_INET")), Plain: killed, OpenBSD: killed},
	{ID: "reduce/failed-raise-keeps", Sandbox: pledged("stdio rpath"), Op: then(expectErrno(pledgeOp("stdio rpath inet"), unix.EPERM), readOp("d/f")), Plain: "*", OpenBSD: ok},
	{ID: "reduce/unknown-word-first", Sandbox: pledged("stdio"), Op: pledgeOp("stdio bogus"), Plain: "EINVAL", OpenBSD: "EINVAL"},
	{ID: "reduce/execpromises-add", Sandbox: Sandbox{Pledges: []string{"stdio rpath"}, Exec: str("stdio")}, Op: execpromisesOp("stdio rpath"), Plain: ok, OpenBSD: "EPERM"},
	{ID: "reduce/execpromises-drop", Sandbox: Sandbox{Pledges: []string{"stdio rpath"}, Exec: str("stdio rpath")}, Op: execpromisesOp("stdio"), Plain: ok, OpenBSD: ok},
	{ID: "reduce/execpromises-null-keeps", Sandbox: Sandbox{Pledges: []string{"stdio rpath"}, Exec: str("stdio")}, Op: pledgeOp("stdio rpath"), Plain: ok, OpenBSD: ok},

	// parsing (OpenBSD pledge(2) and its kernel parser)
	{ID: "parse/unknown", Op: pledgeOp("stdio bogus"), Plain: "EINVAL", OpenBSD: "EINVAL"},
	{ID: "parse/leading-space", Op: pledgeOp(" stdio"), Plain: "EINVAL", OpenBSD: "EINVAL"},
	{ID: "parse/trailing-space", Op: pledgeOp("stdio "), Plain: ok, OpenBSD: ok},
	{ID: "parse/double-space", Op: pledgeOp("stdio  rpath"), Plain: ok, OpenBSD: ok},
	{ID: "parse/duplicates", Op: pledgeOp("stdio stdio rpath rpath"), Plain: ok, OpenBSD: ok},
	{ID: "parse/too-long", Op: pledgeOp("stdio" + spaces(1019)), Plain: "ENAMETOOLONG", OpenBSD: "ENAMETOOLONG"},
	{ID: "parse/longest", Op: pledgeOp("stdio" + spaces(1018)), Plain: ok, OpenBSD: ok},
	{ID: "parse/tab", Op: pledgeOp("stdio\trpath"), Plain: "EINVAL", OpenBSD: "EINVAL"},
	{ID: "parse/bad-execpromises-first", Sandbox: pledged("stdio"), Op: pledgeBothOp("stdio rpath", "bogus"), Plain: "EINVAL", OpenBSD: "EINVAL"},
}

// spaces returns n spaces: trailing spaces are legal, so "stdio"+spaces(n)
// is a valid promise string of 5+n bytes.
func spaces(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// expectErrno turns op's failure with exactly errno into success, and its
// success or any other failure into an error, for steps that must fail in
// that way before the step that matters. The other failure's errno is not
// wrapped: the case's outcome must not pass for the later step's.
func expectErrno(op Op, errno unix.Errno) Op {
	name := unix.ErrnoName(errno)
	return Op{Name: op.Name + " (must fail with " + name + ")", Pre: op.Pre, Fn: func(fx *Fixture) error {
		switch err := op.Fn(fx); {
		case errors.Is(err, errno):
			return nil
		case err == nil:
			return errUnexpectedSuccess
		default:
			return fmt.Errorf("want %s, got %v", name, err)
		}
	}, C: cSub([]string{"expect", name}, op)}
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errUnexpectedSuccess = constErr("unexpected success")

func TestPledgeReduceOnly(t *testing.T) { runCases(t, reduceCases) }

// execCases: exec and fork inheritance. os/exec forks a child that execs
// the probe, which then tries one operation.
//
// As on OpenBSD, the exec'd image runs unpledged without execpromises and
// under exactly them with them, even beyond the promises: the exec
// supervisor runs it in a fresh process (internal/sandbox, the broker).
var execCases = []Case{
	{ID: "exec/fork-inherits", Sandbox: pledged("stdio proc exec"), Op: probeOp("d/x", "tree"), Plain: ok, OpenBSD: ok},
	{ID: "exec/null-execpromises-unpledged", Sandbox: pledged("stdio proc exec"), Op: probeOp("d/x", "socket"), Plain: ok, OpenBSD: ok},
	{ID: "exec/execpromises-allow", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("stdio")}, Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: ok},
	{ID: "exec/execpromises-deny", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("stdio")}, Op: probeOp("d/x", "socket"), Plain: ok, OpenBSD: "child:SIGSYS"},
	{ID: "exec/execpromises-wider", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("stdio inet")}, Op: probeOp("d/x", "socket"), Plain: ok, OpenBSD: ok},
	// The promises lack rpath, the execpromises hold it.
	{ID: "exec/execpromises-wider-read", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("stdio rpath")}, Op: probeOp("d/x", "open", "d/f"), Plain: ok, OpenBSD: ok},
	{ID: "exec/execpromises-empty", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("")}, Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: ok},
}

func TestPledgeExec(t *testing.T) { runCases(t, execCases) }

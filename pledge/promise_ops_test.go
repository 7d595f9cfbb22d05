//go:build linux

package pledge

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
)

// opEnv holds what the operations act on, made in the child before it
// pledges.
type opEnv struct {
	dir  string // a fresh directory of this child's own
	file string // a regular file in dir
	fd   int    // file, open O_RDWR
	udp  int    // an AF_INET SOCK_DGRAM socket
	pty  int    // a pseudo-terminal master
	pair [2]int // an AF_UNIX socketpair
}

func newOpEnv(parent string) *opEnv {
	dir, err := os.MkdirTemp(parent, "case")
	must("mkdtemp", err)
	e := &opEnv{dir: dir, file: filepath.Join(dir, "file")}
	must("write", os.WriteFile(e.file, []byte("x"), 0o644))
	e.fd, err = unix.Open(e.file, unix.O_RDWR|unix.O_CLOEXEC, 0)
	must("open", err)
	e.udp, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	must("socket", err)
	e.pty, err = unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	must("open /dev/ptmx", err)
	e.pair, err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	must("socketpair", err)
	return e
}

type op func(e *opEnv) error

// Operations, each one syscall (or two where the first only sets up).
var (
	opGetpid   op = func(*opEnv) error { unix.Getpid(); return nil }
	opPipe     op = func(*opEnv) error { var p [2]int; return unix.Pipe2(p[:], unix.O_CLOEXEC) }
	opInet     op = func(*opEnv) error { return socketOp(unix.AF_INET, unix.SOCK_STREAM, 0) }
	opInetDgrm op = func(*opEnv) error { return socketOp(unix.AF_INET, unix.SOCK_DGRAM, 0) }
	opUnix     op = func(*opEnv) error { return socketOp(unix.AF_UNIX, unix.SOCK_STREAM, 0) }
	opRoute    op = func(*opEnv) error { return socketOp(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE) }
	opNetfilt  op = func(*opEnv) error { return socketOp(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER) }
	opRead     op = func(e *opEnv) error { return openRead(e.file) }
	opPasswd   op = func(*opEnv) error { return openRead("/etc/passwd") }
	opStat     op = func(e *opEnv) error { var st unix.Stat_t; return unix.Fstatat(unix.AT_FDCWD, e.file, &st, 0) }
	// opTmpfile is mkstemp and its unlink, in /tmp itself (tmppath's
	// directory, whatever TMPDIR says).
	opTmpfile op = func(*opEnv) error {
		name := fmt.Sprintf("/tmp/landpledge-tmppath-%d", unix.Getpid())
		fd, err := unix.Open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		unix.Close(fd)
		return unix.Unlink(name)
	}
	opWrite  op = func(e *opEnv) error { return openClose(e.file, unix.O_WRONLY) }
	opMkdir  op = func(e *opEnv) error { return unix.Mkdirat(unix.AT_FDCWD, filepath.Join(e.dir, "d"), 0o755) }
	opMkfifo op = func(e *opEnv) error {
		return unix.Mknodat(unix.AT_FDCWD, filepath.Join(e.dir, "fifo"), unix.S_IFIFO|0o600, 0)
	}
	opFchmod  op = func(e *opEnv) error { return unix.Fchmod(e.fd, 0o640) }
	opFchown  op = func(e *opEnv) error { return unix.Fchown(e.fd, os.Getuid(), os.Getgid()) }
	opFlock   op = func(e *opEnv) error { return unix.Flock(e.fd, unix.LOCK_SH) }
	opSetown  op = func(e *opEnv) error { _, err := unix.FcntlInt(uintptr(e.fd), unix.F_SETOWN, os.Getpid()); return err }
	opMcastTL op = func(e *opEnv) error {
		return unix.SetsockoptInt(e.udp, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 1)
	}
	opBindDev op = func(e *opEnv) error { return unix.SetsockoptString(e.udp, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, "lo") }
	opSendFd  op = func(e *opEnv) error {
		return unix.Sendmsg(e.pair[0], []byte("x"), unix.UnixRights(e.fd), nil, 0)
	}
	opRecvFd op = func(e *opEnv) error {
		if err := unix.Sendmsg(e.pair[0], []byte("x"), unix.UnixRights(e.fd), nil, 0); err != nil {
			return err
		}
		oob := make([]byte, unix.CmsgSpace(4))
		_, _, _, _, err := unix.Recvmsg(e.pair[1], make([]byte, 1), oob, 0)
		return err
	}
	// Setting the window size is tty's (reading it is stdio's: musl's isatty).
	opWinsz op = func(e *opEnv) error {
		return unix.IoctlSetWinsize(e.pty, unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80})
	}
	opSTI   op = func(e *opEnv) error { return ioctlOp(e.pty, unix.TIOCSTI, uintptr(unsafe.Pointer(&[]byte("x")[0]))) }
	opSetpg op = func(*opEnv) error { return unix.Setpgid(0, 0) }
	opSetid op = func(*opEnv) error { return unix.Setresuid(-1, -1, -1) }
	opExec  op = func(*opEnv) error {
		return unix.Exec("/nonexistent/landpledge", []string{"x"}, nil)
	}
	opMmapX op = func(*opEnv) error {
		b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err == nil {
			unix.Munmap(b)
		}
		return err
	}
	opAdjtime op = func(*opEnv) error { var tx unix.Timex; _, err := unix.Adjtimex(&tx); return err }
	opKill1   op = func(*opEnv) error { return unix.Kill(1, 0) }
	opSysinfo op = func(*opEnv) error { var si unix.Sysinfo_t; return unix.Sysinfo(&si) }
	opVMRead  op = func(*opEnv) error {
		_, _, e := unix.Syscall6(unix.SYS_PROCESS_VM_READV, uintptr(os.Getpid()), 0, 0, 0, 0, 0)
		return errnoOrNil(e)
	}
	opLandlock op = func(*opEnv) error {
		_, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
		return errnoOrNil(e)
	}
	opChroot op = func(*opEnv) error { return unix.Chroot("/") }
	opBpf    op = func(*opEnv) error {
		_, _, e := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, 0, 0)
		return errnoOrNil(e)
	}
	// Device ioctls of BSD promises that grant nothing on Linux; the filter
	// decides on the request alone, whatever the fd.
	opIoctlTape op = func(e *opEnv) error { return ioctlOp(e.fd, 0x80306d02, 0) } // MTIOCGET
	opIoctlSnd  op = func(e *opEnv) error { return ioctlOp(e.fd, 0x5000, 0) }     // SNDCTL_DSP_RESET
	opIoctlV4L  op = func(e *opEnv) error { return ioctlOp(e.fd, 0x80685600, 0) } // VIDIOC_QUERYCAP
	opIoctlBlk  op = func(e *opEnv) error { return ioctlOp(e.fd, 0x80081272, 0) } // BLKGETSIZE64
	opIoctlDRM  op = func(e *opEnv) error { return ioctlOp(e.fd, 0xc0406400, 0) } // DRM_IOCTL_VERSION
	opIoctlKVM  op = func(e *opEnv) error { return ioctlOp(e.fd, 0xae00, 0) }     // KVM_GET_API_VERSION
)

func socketOp(domain, typ, proto int) error {
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

func openClose(path string, flags int) error {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

func ioctlOp(fd int, req uint, arg uintptr) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), arg)
	return errnoOrNil(e)
}

// promiseCases: for every OpenBSD promise, an operation pledging "stdio"
// plus the promise (plus extra) allows, and a neighbouring operation it does
// not allow. grants says the allowed operation needs the promise itself
// (checked by a third child without it); promises that grant nothing on
// Linux have a stdio operation there and a device or subsystem operation
// OpenBSD's promise would cover as the denied one.
var promiseCases = []struct {
	promise, extra string
	allowed        op
	allowedWant    string // the allowed op's outcome: "ok", or the errno the kernel gave
	grants         bool
	denied         op
}{
	{"stdio", "", opPipe, "ok", true, opInet},
	{"rpath", "", opRead, "ok", true, opMkdir},
	{"wpath", "", opWrite, "ok", true, opFchmod},
	{"cpath", "", opMkdir, "ok", true, opMkfifo},
	{"dpath", "", opMkfifo, "ok", true, opMkdir},
	{"tmppath", "", opTmpfile, "ok", true, opMkdir},
	{"inet", "", opInet, "ok", true, opUnix},
	{"mcast", "inet", opMcastTL, "ok", true, opBindDev},
	{"fattr", "", opFchmod, "ok", true, opFchown},
	{"chown", "", opFchown, "ok", true, opFchmod},
	{"flock", "", opFlock, "ok", true, opSetown},
	{"unix", "", opUnix, "ok", true, opInet},
	{"dns", "", opInetDgrm, "ok", true, opMkdir},
	{"getpw", "", opPasswd, "ok", true, opInet},
	{"sendfd", "", opSendFd, "ok", false, opUnix},
	{"recvfd", "", opRecvFd, "ok", false, opUnix},
	{"tape", "", opGetpid, "ok", false, opIoctlTape},
	{"tty", "", opWinsz, "ok", true, opSTI},
	{"proc", "", opSetpg, "ok", true, opSetid},
	{"exec", "", opExec, "ENOENT", true, opMmapX},
	{"prot_exec", "", opMmapX, "ok", true, opExec},
	{"settime", "", opAdjtime, "ok", true, opSetid},
	{"ps", "", opGetpid, "ok", false, opKill1},
	{"vminfo", "", opSysinfo, "ok", false, opVMRead},
	{"id", "", opSetid, "ok", true, opSetpg},
	{"pf", "", opGetpid, "ok", false, opNetfilt},
	{"route", "", opRoute, "ok", true, opNetfilt},
	{"wroute", "", opGetpid, "ok", false, opRoute},
	{"audio", "", opGetpid, "ok", false, opIoctlSnd},
	{"video", "", opGetpid, "ok", false, opIoctlV4L},
	{"bpf", "", opGetpid, "ok", false, opBpf},
	{"unveil", "", opStat, "ok", true, opChroot},
	{"error", "", opGetpid, "ok", false, opInet},
	{"disklabel", "", opGetpid, "ok", false, opIoctlBlk},
	{"drm", "", opGetpid, "ok", false, opIoctlDRM},
	{"vmm", "", opGetpid, "ok", false, opIoctlKVM},
}

// withoutWant is what a promise's allowed operation gives without it, in
// error mode: ENOSYS from the filter, or EACCES where the filter lets the
// open through and the path layer (Landlock) refuses it by path, as for
// every open that neither creates nor truncates.
func withoutWant(p string) string {
	switch p {
	case "rpath", "wpath", "getpw":
		return "EACCES"
	}
	return "ENOSYS"
}

// TestPromiseOperations runs, per promise, up to three children: under
// "stdio <promise>" the allowed operation gives its outcome and the denied
// one kills with SIGSYS; with "error" added the denied one returns ENOSYS;
// and without the promise (in error mode) the allowed one returns ENOSYS,
// which shows the promise is what grants it.
func TestPromiseOperations(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	parent := sandboxtest.TempDir(t)
	covered := map[string]bool{}
	for _, c := range promiseCases {
		covered[c.promise] = true
	}
	for _, n := range promise.Names() {
		if !covered[n] {
			t.Errorf("promise %q has no case", n)
		}
	}
	for _, c := range promiseCases {
		promises := strings.TrimSpace("stdio " + c.extra + " " + c.promise)
		if c.promise == "stdio" {
			promises = "stdio"
		}
		t.Run(c.promise, func(t *testing.T) {
			if c.promise != "error" {
				t.Run("kill", func(t *testing.T) {
					res := sandboxtest.Run(t, func() {
						e := newOpEnv(parent)
						mustPledge(promises, "")
						sandboxtest.Report("allowed", c.allowed(e))
						c.denied(e)
						os.Stdout.WriteString("denied op returned\n")
					})
					res.WantSignal(t, syscall.SIGSYS)
					res.WantOutcome(t, "allowed", c.allowedWant)
				})
			}
			t.Run("error", func(t *testing.T) {
				res := sandboxtest.Run(t, func() {
					e := newOpEnv(parent)
					mustPledge(promises+" error", "")
					sandboxtest.Report("allowed", c.allowed(e))
					sandboxtest.Report("denied", c.denied(e))
				})
				res.WantExit(t, 0)
				res.WantOutcome(t, "allowed", c.allowedWant)
				res.WantOutcome(t, "denied", "ENOSYS")
			})
			// Without stdio the child could not even report (see
			// TestPledgeEmptyAllowsOnlyExit).
			if c.grants && c.promise != "stdio" {
				without := strings.TrimSpace("stdio " + c.extra)
				t.Run("without", func(t *testing.T) {
					res := sandboxtest.Run(t, func() {
						e := newOpEnv(parent)
						mustPledge(without+" error", "")
						sandboxtest.Report("allowed", c.allowed(e))
					})
					res.WantExit(t, 0)
					res.WantOutcome(t, "allowed", withoutWant(c.promise))
				})
			}
		})
	}
}

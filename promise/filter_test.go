//go:build linux && (amd64 || arm64)

package promise

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/seccomp"
)

// testPid stands in for the pledging process in the "to itself" checks.
const testPid = 4242

// hi32 is garbage in the high half of a register: the kernel ignores it
// for int arguments, so Word32 checks must too.
const hi32 = 0xdead_beef_0000_0000

var (
	allow     = seccomp.ActAllow
	kill      = seccomp.ActKillProcess
	actENOSYS = seccomp.ActErrno(unix.ENOSYS)
	eacces    = seccomp.ActErrno(unix.EACCES)
	eperm     = seccomp.ActErrno(unix.EPERM)
	notif     = seccomp.ActUserNotif
)

// compiled caches programs per (arch, promises, options).
var compiled = map[string]struct {
	f *seccomp.Filter
	p seccomp.Program
}{}

func program(t testing.TB, a seccomp.Arch, promises string, opts FilterOptions) (*seccomp.Filter, seccomp.Program) {
	t.Helper()
	key := fmt.Sprintf("%s/%q/%+v", a.Name, promises, opts)
	if c, ok := compiled[key]; ok {
		return c.f, c.p
	}
	ps, err := Parse(promises)
	if err != nil {
		t.Fatal(err)
	}
	f, err := BuildFilter(a, ps, opts)
	if err != nil {
		t.Fatalf("BuildFilter(%s, %q): %v", a.Name, promises, err)
	}
	p, err := f.Compile()
	if err != nil {
		t.Fatalf("Compile(%s, %q): %v", a.Name, promises, err)
	}
	compiled[key] = struct {
		f *seccomp.Filter
		p seccomp.Program
	}{f, p}
	return f, p
}

// run runs the compiled program on one syscall in user space (seccomp's
// BPF interpreter) and checks it agrees with the filter's plain-Go
// semantics.
func run(t *testing.T, a seccomp.Arch, promises string, opts FilterOptions, d seccomp.Data) seccomp.Action {
	t.Helper()
	f, p := program(t, a, promises, opts)
	got, _, err := p.Run(d)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := f.Decide(d); got != want {
		t.Fatalf("%s %q nr %d: program returns %v, filter semantics %v", a.Name, promises, d.Nr, got, want)
	}
	return got
}

type call struct {
	promises string
	name     string
	args     []uint64
	want     seccomp.Action
}

// The tight checks and one allowed/denied pair per promise. Names an arch
// lacks (open, creat, fork on arm64) are skipped there.
var calls_ = []call{
	// always, even under ""
	{"", "exit_group", nil, allow},
	{"", "getpid", nil, kill},
	{"", "prctl", []uint64{unix.PR_SET_NO_NEW_PRIVS, 1}, allow},
	{"", "seccomp", []uint64{unix.SECCOMP_SET_MODE_FILTER}, allow},
	{"", "prctl", []uint64{unix.PR_SET_NAME}, kill},

	// stdio: fds, memory without PROT_EXEC, threads, signals to itself
	{"stdio", "read", nil, allow},
	{"stdio", "getdents64", nil, kill},
	{"stdio", "mmap", []uint64{0, 4096, unix.PROT_READ | unix.PROT_WRITE, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS}, allow},
	{"stdio", "mmap", []uint64{0, 4096, unix.PROT_READ | unix.PROT_EXEC}, kill},
	{"stdio", "mmap", []uint64{0, 4096, 1<<32 | unix.PROT_READ}, allow}, // Word64: only PROT_EXEC matters
	{"stdio", "mmap", []uint64{0, 4096, hi32 | unix.PROT_EXEC}, kill},
	{"stdio", "mprotect", []uint64{0, 4096, unix.PROT_READ}, allow},
	{"stdio", "mprotect", []uint64{0, 4096, unix.PROT_EXEC}, kill},
	{"stdio", "pkey_mprotect", []uint64{0, 4096, unix.PROT_READ | unix.PROT_EXEC, 1}, kill},
	{"stdio", "clone", []uint64{0x50f00}, allow},             // Go: VM|FS|FILES|SIGHAND|SYSVSEM|THREAD
	{"stdio", "clone", []uint64{0x3d0f00}, allow},            // glibc pthread_create
	{"stdio", "clone", []uint64{hi32 | 0x50f00}, allow},      // clone reads the low 32 bits
	{"stdio", "clone", []uint64{uint64(unix.SIGCHLD)}, kill}, // fork
	{"stdio", "clone", []uint64{0x50f00 | unix.CLONE_NEWUSER}, kill},
	{"stdio", "clone", []uint64{0x50f00 | unix.CLONE_PTRACE}, kill},
	{"stdio", "clone", []uint64{unix.CLONE_VM | unix.CLONE_VFORK | uint64(unix.SIGCHLD)}, kill}, // posix_spawn
	{"stdio", "clone3", nil, actENOSYS},
	{"stdio", "kill", []uint64{testPid, uint64(unix.SIGURG)}, allow},
	{"stdio", "kill", []uint64{hi32 | testPid, uint64(unix.SIGURG)}, allow}, // pid_t is an int
	{"stdio", "kill", []uint64{0, uint64(unix.SIGTERM)}, allow},             // own process group
	{"stdio", "kill", []uint64{1, uint64(unix.SIGKILL)}, kill},
	{"stdio", "kill", []uint64{uint64(1<<64 - 1), uint64(unix.SIGKILL)}, kill}, // -1: everyone
	{"stdio", "tgkill", []uint64{testPid, testPid + 1, uint64(unix.SIGURG)}, allow},
	{"stdio", "tgkill", []uint64{testPid + 7, testPid + 8, uint64(unix.SIGURG)}, kill},
	{"stdio", "tkill", []uint64{testPid, uint64(unix.SIGURG)}, kill},
	{"stdio unveil", "tkill", []uint64{testPid + 3, psxSignal}, allow}, // psx (cgo) restricting a thread
	{"stdio unveil", "tkill", []uint64{testPid + 3, hi32 | psxSignal}, allow},
	{"stdio unveil", "tkill", []uint64{1, uint64(unix.SIGKILL)}, kill},
	{"stdio unveil", "tkill", []uint64{testPid, uint64(unix.SIGTERM)}, kill},
	{"stdio", "rt_sigqueueinfo", []uint64{1, uint64(unix.SIGUSR1)}, kill},
	{"stdio", "ioctl", []uint64{1, fionbio}, allow},
	{"stdio", "ioctl", []uint64{1, hi32 | fionread}, allow}, // cmd is unsigned int
	{"stdio", "ioctl", []uint64{1, unix.TCGETS}, allow},     // isatty
	{"stdio", "ioctl", []uint64{1, unix.TIOCGWINSZ}, allow}, // musl's isatty
	{"stdio", "ioctl", []uint64{1, unix.TIOCSWINSZ}, kill},  // needs tty
	{"stdio", "ioctl", []uint64{0, unix.TIOCSTI}, kill},
	{"stdio", "fcntl", []uint64{3, unix.F_GETFL}, allow},
	{"stdio", "fcntl", []uint64{3, unix.F_DUPFD_CLOEXEC, 10}, allow},
	{"stdio", "fcntl", []uint64{3, hi32 | unix.F_SETFD, 1}, allow},
	{"stdio", "fcntl", []uint64{3, unix.F_SETLK}, kill},  // needs flock
	{"stdio", "fcntl", []uint64{3, unix.F_SETOWN}, kill}, // needs proc
	{"stdio", "fcntl", []uint64{3, unix.F_NOTIFY}, kill}, // needs rpath
	{"stdio", "prctl", []uint64{unix.PR_SET_VMA, 0, 0x7f0000000000, 4096, 0}, allow},
	{"stdio", "prctl", []uint64{unix.PR_SET_DUMPABLE, 0}, allow},
	{"stdio", "prctl", []uint64{unix.PR_SET_DUMPABLE, 1}, kill},
	{"stdio", "prctl", []uint64{unix.PR_SET_DUMPABLE, 1 << 32}, kill}, // arg2 is unsigned long
	{"stdio", "prctl", []uint64{unix.PR_SET_PTRACER, 1}, kill},
	{"stdio", "prctl", []uint64{unix.PR_SET_MM}, kill},
	{"stdio", "prlimit64", []uint64{0, unix.RLIMIT_NOFILE, 0, 0x7fff0000}, allow},
	{"stdio", "prlimit64", []uint64{testPid, unix.RLIMIT_NOFILE, 0, 0x7fff0000}, allow},
	{"stdio", "prlimit64", []uint64{0, unix.RLIMIT_NOFILE, 0x7fff0000, 0}, kill},
	{"stdio", "prlimit64", []uint64{0, unix.RLIMIT_NOFILE, 1 << 32, 0}, kill}, // pointer: both halves
	{"stdio", "prlimit64", []uint64{1, unix.RLIMIT_NOFILE, 0, 0x7fff0000}, kill},
	{"stdio", "sendto", []uint64{3, 0x1000, 10, 0, 0, 0}, allow},
	{"stdio", "sendto", []uint64{3, 0x1000, 10, 0, 0x7fff0000, 16}, kill},
	{"stdio", "sendto", []uint64{3, 0x1000, 10, 0, 1 << 32, 16}, kill},
	{"stdio", "socketpair", []uint64{unix.AF_UNIX, unix.SOCK_STREAM}, allow},
	{"stdio", "socketpair", []uint64{unix.AF_INET, unix.SOCK_STREAM}, kill},
	{"stdio", "socketpair", []uint64{unix.AF_UNIX, unix.SOCK_SEQPACKET | unix.SOCK_CLOEXEC}, allow},
	{"stdio", "socketpair", []uint64{unix.AF_UNIX, unix.SOCK_DGRAM}, kill}, // sendmsg's msg_name reaches any socket
	{"stdio", "socketpair", []uint64{unix.AF_UNIX, hi32 | unix.SOCK_DGRAM}, kill},
	{"stdio unix", "socketpair", []uint64{unix.AF_UNIX, unix.SOCK_DGRAM | unix.SOCK_NONBLOCK}, allow},
	{"stdio", "socket", []uint64{unix.AF_UNIX, unix.SOCK_STREAM}, kill},
	{"stdio", "getsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_ERROR}, allow},
	{"stdio", "getsockopt", []uint64{3, unix.IPPROTO_TCP, unix.TCP_INFO}, kill},
	{"stdio", "newfstatat", []uint64{3, 0x1000, 0x2000, unix.AT_EMPTY_PATH}, allow},
	{"stdio", "newfstatat", []uint64{uint64(1<<64 - 100), 0x1000, 0x2000, 0}, kill},
	{"stdio", "statx", []uint64{3, 0x1000, unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, 0x2000}, allow},
	{"stdio", "statx", []uint64{3, 0x1000, 0, unix.STATX_BASIC_STATS, 0x2000}, kill},
	{"stdio", "fstat", nil, allow},
	{"stdio", "memfd_create", []uint64{0x1000, unix.MFD_CLOEXEC}, allow},
	{"stdio exec", "memfd_create", []uint64{0x1000, unix.MFD_CLOEXEC}, kill},
	{"stdio exec", "memfd_create", []uint64{0x1000, unix.MFD_CLOEXEC | unix.MFD_NOEXEC_SEAL}, allow},
	{"stdio", "personality", []uint64{0xffffffff}, allow},
	{"stdio", "personality", []uint64{0x0400000}, kill}, // READ_IMPLIES_EXEC
	{"stdio", "pidfd_open", []uint64{1, 0}, actENOSYS},
	{"stdio", "openat", []uint64{uint64(1<<64 - 100), 0x1000, unix.O_RDONLY | unix.O_CLOEXEC}, eacces},
	{"stdio", "openat2", nil, actENOSYS},
	{"stdio", "io_uring_setup", nil, actENOSYS},
	{"stdio", "ptrace", nil, kill},
	{"stdio", "setuid", []uint64{0}, kill},
	{"stdio", "execve", nil, kill},

	// rpath wpath cpath: the open flags
	{"stdio rpath", "openat", []uint64{3, 0x1000, unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK}, allow},
	{"stdio rpath", "openat", []uint64{3, 0x1000, hi32 | unix.O_RDONLY}, allow}, // flags is an int
	{"stdio rpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY}, eacces},
	{"stdio rpath", "openat", []uint64{3, 0x1000, unix.O_RDWR}, eacces},
	{"stdio rpath", "openat", []uint64{3, 0x1000, unix.O_RDONLY | unix.O_CREAT, 0o644}, eacces},
	{"stdio rpath", "openat", []uint64{3, 0x1000, unix.O_RDONLY | unix.O_TRUNC}, eacces},
	{"stdio rpath", "open", []uint64{0x1000, unix.O_RDONLY}, allow},
	{"stdio rpath", "open", []uint64{0x1000, unix.O_WRONLY}, eacces},
	{"stdio rpath", "getdents64", nil, allow},
	{"stdio rpath", "newfstatat", []uint64{uint64(1<<64 - 100), 0x1000, 0x2000, 0}, allow},
	{"stdio rpath", "unlinkat", nil, kill},
	{"stdio rpath", "truncate", nil, kill},
	{"stdio wpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY | unix.O_TRUNC | unix.O_APPEND}, allow},
	{"stdio wpath", "openat", []uint64{3, 0x1000, unix.O_RDONLY}, eacces},
	{"stdio wpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY | unix.O_CREAT, 0o644}, eacces},
	{"stdio wpath", "truncate", nil, allow},
	{"stdio wpath", "getdents64", nil, kill},
	{"stdio rpath wpath", "openat", []uint64{3, 0x1000, unix.O_RDWR}, allow},
	{"stdio rpath wpath", "openat", []uint64{3, 0x1000, unix.O_RDWR | unix.O_CREAT, 0o600}, eacces},
	{"stdio wpath cpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL, 0o644}, allow},
	{"stdio wpath cpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY | oTmpfile, 0o600}, allow},
	{"stdio wpath cpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY | unix.O_CREAT, 0o4755}, eacces},
	{"stdio wpath cpath", "openat", []uint64{3, 0x1000, unix.O_WRONLY | unix.O_CREAT, hi32 | 0o644}, allow}, // mode is umode_t
	{"stdio wpath cpath", "openat", []uint64{3, 0x1000, unix.O_RDWR | unix.O_CREAT, 0o644}, eacces},
	{"stdio wpath cpath", "creat", []uint64{0x1000, 0o644}, allow},
	{"stdio wpath cpath", "creat", []uint64{0x1000, 0o2755}, eacces},
	{"stdio rpath wpath cpath", "openat", []uint64{3, 0x1000, unix.O_RDWR | unix.O_CREAT, 0o644}, allow},
	{"stdio rpath cpath", "openat", []uint64{3, 0x1000, unix.O_RDONLY | unix.O_CREAT, 0o644}, allow},
	{"stdio cpath", "unlinkat", nil, allow},
	{"stdio cpath", "renameat2", nil, allow},
	{"stdio cpath", "openat", []uint64{3, 0x1000, unix.O_RDONLY}, eacces},
	{"stdio cpath", "mknodat", []uint64{3, 0x1000, unix.S_IFIFO | 0o644}, kill},
	{"stdio dpath", "mknodat", []uint64{3, 0x1000, unix.S_IFIFO | 0o644}, allow},
	{"stdio dpath", "mknodat", []uint64{3, 0x1000, unix.S_IFREG | 0o4755}, kill},
	{"stdio tmppath", "openat", []uint64{3, 0x1000, unix.O_RDWR | unix.O_CREAT, 0o600}, eacces},

	// fattr, chown, flock
	{"stdio fattr", "fchmodat", []uint64{3, 0x1000, 0o644}, allow},
	{"stdio fattr", "fchmodat", []uint64{3, 0x1000, 0o4755}, kill},
	{"stdio fattr", "fchmod", []uint64{3, 0o1777}, kill},
	{"stdio fattr", "utimensat", nil, allow},
	{"stdio fattr", "fchownat", []uint64{3, 0x1000, 0xffffffff, hi32 | 0xffffffff}, allow},
	{"stdio fattr", "fchownat", []uint64{3, 0x1000, 0, 0}, kill},
	{"stdio", "fchmodat", []uint64{3, 0x1000, 0o644}, kill},
	{"stdio chown", "fchownat", []uint64{3, 0x1000, 1000, 1000}, allow},
	{"stdio chown", "fchown", []uint64{3, 0, 0}, allow},
	{"stdio flock", "flock", nil, allow},
	{"stdio flock", "fcntl", []uint64{3, unix.F_SETLKW}, allow},
	{"stdio flock", "fcntl", []uint64{3, unix.F_OFD_SETLK}, allow},
	{"stdio", "flock", nil, kill},

	// networking
	{"stdio inet", "socket", []uint64{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC, 0}, allow},
	{"stdio inet", "socket", []uint64{unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_UDP}, allow},
	{"stdio inet", "socket", []uint64{hi32 | unix.AF_INET6, hi32 | unix.SOCK_DGRAM, 0}, allow},
	{"stdio inet", "socket", []uint64{unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP}, kill},
	{"stdio inet", "socket", []uint64{unix.AF_PACKET, unix.SOCK_RAW, 0}, kill},
	{"stdio inet", "socket", []uint64{unix.AF_UNIX, unix.SOCK_STREAM, 0}, kill},
	{"stdio inet", "socket", []uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE}, kill},
	{"stdio inet", "bind", nil, allow},
	{"stdio inet", "listen", nil, allow},
	{"stdio inet", "sendto", []uint64{3, 0x1000, 10, 0, 0x7fff0000, 16}, allow},
	{"stdio inet", "setsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_REUSEADDR}, allow},
	{"stdio inet", "setsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_KEEPALIVE}, allow},
	{"stdio inet", "setsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER}, kill},
	{"stdio inet", "setsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_BINDTODEVICE}, kill},
	{"stdio inet", "setsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_DEBUG}, kill},
	{"stdio inet", "setsockopt", []uint64{3, unix.IPPROTO_TCP, unix.TCP_NODELAY}, allow},
	{"stdio inet", "setsockopt", []uint64{3, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}, allow},
	{"stdio inet", "setsockopt", []uint64{3, unix.IPPROTO_TCP, unix.TCP_ULP}, kill},
	{"stdio inet", "setsockopt", []uint64{3, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}, allow},
	{"stdio inet", "setsockopt", []uint64{3, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP}, kill},
	{"stdio inet", "getsockopt", []uint64{3, unix.IPPROTO_TCP, unix.TCP_INFO}, allow},
	{"stdio inet mcast", "setsockopt", []uint64{3, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP}, allow},
	{"stdio inet mcast", "setsockopt", []uint64{3, unix.IPPROTO_IPV6, unix.IPV6_ADD_MEMBERSHIP}, allow},
	{"stdio unix", "socket", []uint64{unix.AF_UNIX, unix.SOCK_SEQPACKET | unix.SOCK_CLOEXEC, 0}, allow},
	{"stdio unix", "socket", []uint64{unix.AF_INET, unix.SOCK_STREAM, 0}, kill},
	{"stdio unix", "connect", nil, allow},
	{"stdio unix", "accept4", nil, allow},
	{"stdio unix", "setsockopt", []uint64{3, unix.SOL_SOCKET, unix.SO_PASSCRED}, allow},
	{"stdio unix", "setsockopt", []uint64{3, unix.IPPROTO_TCP, unix.TCP_NODELAY}, kill},
	{"stdio dns", "socket", []uint64{unix.AF_INET, unix.SOCK_DGRAM | unix.SOCK_CLOEXEC, 0}, allow},
	{"stdio dns", "socket", []uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE}, allow},
	{"stdio dns", "socket", []uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_AUDIT}, kill},
	{"stdio dns", "connect", nil, allow},
	{"stdio dns", "listen", nil, kill},
	{"stdio dns", "accept4", nil, kill},
	{"stdio route", "socket", []uint64{unix.AF_NETLINK, unix.SOCK_RAW | unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE}, allow},
	{"stdio route", "socket", []uint64{unix.AF_INET, unix.SOCK_DGRAM, 0}, kill},
	{"stdio route", "connect", nil, kill},
	{"stdio getpw", "socket", []uint64{unix.AF_UNIX, unix.SOCK_STREAM, 0}, eacces},
	{"stdio getpw", "socket", []uint64{unix.AF_INET, unix.SOCK_STREAM, 0}, kill},
	{"stdio wroute", "socket", []uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE}, kill},

	// tty, proc, exec, prot_exec, settime, id, unveil
	{"stdio tty", "ioctl", []uint64{0, unix.TCSETSW}, allow},
	{"stdio tty", "ioctl", []uint64{0, unix.TIOCGWINSZ}, allow},
	{"stdio tty", "ioctl", []uint64{0, unix.TIOCSTI}, kill},
	{"stdio tty", "ioctl", []uint64{0, unix.TIOCLINUX}, kill},
	{"stdio proc", "clone", []uint64{uint64(unix.SIGCHLD)}, allow},
	{"stdio proc", "clone", []uint64{unix.CLONE_VM | unix.CLONE_VFORK | uint64(unix.SIGCHLD)}, allow},
	{"stdio proc", "clone", []uint64{unix.CLONE_UNTRACED | uint64(unix.SIGCHLD)}, kill}, // never traced: escapes a supervisor
	{"stdio proc", "clone", []uint64{hi32 | unix.CLONE_UNTRACED | uint64(unix.SIGCHLD)}, kill},
	{"stdio proc", "clone", []uint64{unix.CLONE_PTRACE | uint64(unix.SIGCHLD)}, allow},
	{"stdio proc", "clone", []uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}, kill},
	{"stdio proc", "clone", []uint64{unix.CLONE_NEWNET | unix.CLONE_THREAD | unix.CLONE_SIGHAND | unix.CLONE_VM}, kill},
	{"stdio proc", "fork", nil, allow},
	{"stdio proc", "kill", []uint64{1, uint64(unix.SIGTERM)}, allow},
	{"stdio proc", "setsid", nil, allow},
	{"stdio proc", "fcntl", []uint64{3, unix.F_SETOWN}, allow},
	{"stdio proc", "prlimit64", []uint64{0, unix.RLIMIT_NOFILE, 0x7fff0000, 0}, allow},
	{"stdio proc", "pidfd_open", []uint64{1, 0}, allow},
	{"stdio proc", "ptrace", nil, kill},
	{"stdio proc", "unshare", nil, kill},
	{"stdio", "setsid", nil, kill},
	{"stdio exec", "execve", nil, allow},
	{"stdio exec", "execveat", nil, allow},
	{"stdio prot_exec", "mmap", []uint64{0, 4096, unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC}, allow},
	{"stdio prot_exec", "mprotect", []uint64{0, 4096, unix.PROT_READ | unix.PROT_EXEC}, allow},
	{"stdio settime", "clock_settime", nil, allow},
	{"stdio", "clock_settime", nil, kill},
	{"stdio id", "setresuid", nil, allow},
	{"stdio id", "prctl", []uint64{unix.PR_CAP_AMBIENT}, allow},
	{"stdio", "prctl", []uint64{unix.PR_CAP_AMBIENT}, kill},
	{"stdio unveil", "landlock_restrict_self", nil, allow},
	{"", "landlock_create_ruleset", nil, allow}, // a narrower pledge stacks a path layer
	{"", "landlock_restrict_self", nil, allow},

	// promises that add nothing on Linux
	{"stdio audio video bpf drm vmm tape disklabel pf ps vminfo sendfd recvfd", "ioctl", []uint64{3, 0xc0184800}, kill},
	{"stdio bpf", "bpf", nil, kill},

	// error: ENOSYS instead of the kill, no EACCES fallback
	{"stdio error", "socket", []uint64{unix.AF_INET, unix.SOCK_STREAM}, actENOSYS},
	{"stdio error", "openat", []uint64{3, 0x1000, unix.O_RDONLY}, actENOSYS},
	{"stdio error", "ptrace", nil, actENOSYS},
	{"stdio error", "read", nil, allow},
	{"error", "read", nil, actENOSYS},
}

func TestCalls(t *testing.T) {
	for _, a := range testArchs {
		for _, c := range calls_ {
			nr, ok := sysnums[a.Name][c.name]
			if !ok {
				continue
			}
			var d seccomp.Data
			d.Nr, d.Arch = int32(nr), a.AuditArch
			copy(d.Args[:], c.args)
			got := run(t, a, c.promises, FilterOptions{Pid: testPid}, d)
			if got != c.want {
				t.Errorf("%s %q: %s%v = %v, want %v", a.Name, c.promises, c.name, c.args, got, c.want)
			}
		}
	}
}

// TestEveryPromise checks the table is right in both directions at the
// grain of whole promises: for every grant, each of its unconditional
// syscalls is allowed with the grant's promises, and killed with stdio
// alone unless stdio or an always-rule allows it.
func TestEveryPromise(t *testing.T) {
	for _, a := range testArchs {
		for _, g := range promiseTable {
			if g.need == 0 {
				continue
			}
			with := (g.need | Stdio).String()
			for _, r := range g.rules {
				nr, ok := sysnums[a.Name][r.name]
				if !ok || len(r.conds) != 0 {
					continue
				}
				d := seccomp.Data{Nr: int32(nr), Arch: a.AuditArch}
				if g.unless == 0 {
					opts := FilterOptions{Pid: testPid, PathLayer: g.mode == withLayer}
					if got := run(t, a, with, opts, d); got != allow {
						t.Errorf("%s %q: %s = %v, want ALLOW", a.Name, with, r.name, got)
					}
				}
				if _, p := Explain(a, nr, d.Args); p == "stdio" || p == "" {
					continue
				}
				got := run(t, a, "stdio", FilterOptions{Pid: testPid}, d)
				if got == allow {
					t.Errorf("%s \"stdio\": %s is allowed, but the table gives it to %q", a.Name, r.name, g.need)
				}
			}
		}
	}
}

func TestForeignArchAndNumbers(t *testing.T) {
	for _, a := range testArchs {
		for _, promises := range []string{"", "stdio", allPromisesString()} {
			read := sysnums[a.Name]["read"]
			cases := []struct {
				d    seccomp.Data
				want seccomp.Action
			}{
				{seccomp.Data{Nr: int32(read), Arch: unix.AUDIT_ARCH_I386}, kill},
				{seccomp.Data{Nr: int32(read), Arch: unix.AUDIT_ARCH_ARM}, kill},
				{seccomp.Data{Nr: int32(a.MaxNr + 1), Arch: a.AuditArch}, actENOSYS},
				{seccomp.Data{Nr: 1000, Arch: a.AuditArch}, actENOSYS},
			}
			// -1 (a tracer's skipped call) is beyond the table, except on
			// amd64, where it has the x32 bit.
			minus1 := actENOSYS
			if a.X32Bit != 0 {
				minus1 = kill
			}
			cases = append(cases, struct {
				d    seccomp.Data
				want seccomp.Action
			}{seccomp.Data{Nr: -1, Arch: a.AuditArch}, minus1})
			if a.X32Bit != 0 {
				cases = append(cases, struct {
					d    seccomp.Data
					want seccomp.Action
				}{seccomp.Data{Nr: int32(a.X32Bit | read), Arch: a.AuditArch}, kill})
			}
			for _, c := range cases {
				if got := run(t, a, promises, FilterOptions{}, c.d); got != c.want {
					t.Errorf("%s %q: nr %#x arch %#x = %v, want %v", a.Name, promises, c.d.Nr, c.d.Arch, got, c.want)
				}
				if got := run(t, a, strings.TrimSpace(promises+" error"), FilterOptions{}, c.d); got != actENOSYS {
					t.Errorf("%s %q error: nr %#x arch %#x = %v, want ENOSYS", a.Name, promises, c.d.Nr, c.d.Arch, got)
				}
			}
		}
	}
}

// TestViolationOptions: an explicit violation action replaces the kill and
// the fallbacks (a trace keeps the probes'); a permissive one (LOG) still refuses the never list and
// foreign ABIs; Loader answers the start-up operations.
func TestViolationOptions(t *testing.T) {
	for _, a := range testArchs {
		nr := func(name string) int32 { return int32(sysnums[a.Name][name]) }
		d := func(name string, args ...uint64) seccomp.Data {
			x := seccomp.Data{Nr: nr(name), Arch: a.AuditArch}
			copy(x.Args[:], args)
			return x
		}
		cases := []struct {
			promises string
			opts     FilterOptions
			d        seccomp.Data
			want     seccomp.Action
		}{
			{"stdio", FilterOptions{Violation: eperm}, d("socket", unix.AF_INET), eperm},
			{"stdio", FilterOptions{Violation: eperm}, d("openat", 3, 0, unix.O_RDONLY), eperm},
			{"stdio", FilterOptions{Violation: eperm}, d("clone3"), actENOSYS},
			{"stdio", FilterOptions{Violation: eperm}, d("read"), allow},
			{"stdio", FilterOptions{Violation: eperm}, d("read"), allow},
			{"stdio", FilterOptions{Violation: seccomp.ActLog}, d("socket", unix.AF_INET), seccomp.ActLog},
			{"stdio", FilterOptions{Violation: seccomp.ActLog}, d("ptrace"), eperm},
			{"stdio", FilterOptions{Violation: seccomp.ActLog}, d("bpf"), eperm},
			{"stdio", FilterOptions{Violation: seccomp.ActLog}, seccomp.Data{Nr: nr("read"), Arch: unix.AUDIT_ARCH_I386}, kill},
			{"stdio", FilterOptions{Violation: seccomp.ActTrap}, d("socket", unix.AF_INET), seccomp.ActTrap},
			{"stdio", FilterOptions{Violation: seccomp.ActTrap}, d("openat", 3, 0, unix.O_RDONLY), seccomp.ActTrap},
			{"stdio", FilterOptions{Violation: seccomp.ActTrap}, d("ptrace"), seccomp.ActTrap},
			// A supervisor tracing violations (the pledge command) reports
			// them, but the probes get their fallback as under the kill.
			{"stdio getpw", FilterOptions{Violation: seccomp.ActTrace(1)}, d("socket", unix.AF_UNIX, unix.SOCK_STREAM), eacces},
			{"stdio", FilterOptions{Violation: seccomp.ActTrace(1)}, d("socket", unix.AF_UNIX, unix.SOCK_STREAM), seccomp.ActTrace(1)},
			{"stdio", FilterOptions{Violation: seccomp.ActTrace(1)}, d("pidfd_open", 1, 0), actENOSYS},
			{"stdio", FilterOptions{Violation: seccomp.ActTrace(1)}, d("openat", 3, 0, unix.O_RDONLY), seccomp.ActTrace(1)},
			{"stdio error", FilterOptions{Violation: eperm}, d("socket", unix.AF_INET), eperm},
			{"stdio", FilterOptions{Loader: notif}, d("openat", 3, 0, unix.O_RDONLY|unix.O_CLOEXEC), notif},
			{"stdio", FilterOptions{Loader: notif}, d("openat", 3, 0, unix.O_WRONLY), eacces},
			{"stdio", FilterOptions{Loader: notif}, d("mmap", 0, 4096, unix.PROT_READ|unix.PROT_EXEC), notif},
			{"stdio", FilterOptions{Loader: notif}, d("mmap", 0, 4096, unix.PROT_READ), allow},
			{"stdio", FilterOptions{Loader: notif}, d("execve"), notif},
			{"stdio", FilterOptions{Loader: notif}, d("faccessat"), notif},
			{"stdio", FilterOptions{Loader: notif}, d("socket", unix.AF_INET), kill},
			{"stdio rpath prot_exec exec", FilterOptions{Loader: notif}, d("openat", 3, 0, unix.O_RDONLY), allow},
			{"stdio rpath prot_exec exec", FilterOptions{Loader: notif}, d("mmap", 0, 4096, unix.PROT_EXEC), allow},
			{"stdio rpath prot_exec exec", FilterOptions{Loader: notif}, d("execve"), allow},
		}
		for _, c := range cases {
			if got := run(t, a, c.promises, c.opts, c.d); got != c.want {
				t.Errorf("%s %q %+v: nr %d%v = %v, want %v", a.Name, c.promises, c.opts, c.d.Nr, c.d.Args[:3], got, c.want)
			}
		}
	}
}

func TestBuildFilterErrors(t *testing.T) {
	if _, err := BuildFilter(seccomp.Arch{Name: "mips"}, Stdio, FilterOptions{}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("unknown arch: %v, want EINVAL", err)
	}
	if _, err := BuildFilter(seccomp.AMD64, 1<<40, FilterOptions{}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("unknown promise bit: %v, want EINVAL", err)
	}
	// Deterministic: the stacking code compares filters rule by rule.
	p := All &^ Error
	f1, _ := BuildFilter(seccomp.AMD64, p, FilterOptions{Pid: 7})
	f2, _ := BuildFilter(seccomp.AMD64, p, FilterOptions{Pid: 7})
	if fmt.Sprint(f1.Rules) != fmt.Sprint(f2.Rules) {
		t.Error("BuildFilter is not deterministic")
	}
	for i := 1; i < len(f1.Rules); i++ {
		if f1.Rules[i].Nr < f1.Rules[i-1].Nr {
			t.Fatalf("rules not in syscall order at %d", i)
		}
	}
	// Pid 0 means this process.
	f, _ := BuildFilter(seccomp.AMD64, Stdio, FilterOptions{})
	prog, _ := f.Compile()
	d := seccomp.Data{Nr: int32(sysnumAMD64["kill"]), Arch: unix.AUDIT_ARCH_X86_64}
	d.Args[0] = uint64(unix.Getpid())
	if got, _, _ := prog.Run(d); got != allow {
		t.Errorf("kill(getpid()) with Pid 0 = %v, want ALLOW", got)
	}
}

func TestExplain(t *testing.T) {
	cases := []struct {
		name          string
		args          []uint64
		wantPromise   string
		onlyOnArchAMD bool
	}{
		{"read", nil, "stdio", false},
		{"exit_group", nil, "", false},
		{"getdents64", nil, "rpath", false},
		{"openat", []uint64{3, 0, unix.O_RDONLY}, "rpath", false},
		{"openat", []uint64{3, 0, unix.O_WRONLY | unix.O_TRUNC}, "wpath", false},
		{"openat", []uint64{3, 0, unix.O_RDWR}, "rpath wpath", false},
		{"openat", []uint64{3, 0, unix.O_WRONLY | unix.O_CREAT, 0o644}, "wpath cpath", false},
		{"openat", []uint64{3, 0, unix.O_WRONLY | unix.O_CREAT, 0o4755}, "", false},
		{"mmap", []uint64{0, 4096, unix.PROT_READ}, "stdio", false},
		{"mmap", []uint64{0, 4096, unix.PROT_EXEC}, "prot_exec", false},
		{"socket", []uint64{unix.AF_INET, unix.SOCK_STREAM}, "inet", false},
		{"socket", []uint64{unix.AF_UNIX, unix.SOCK_STREAM}, "unix", false},
		{"socket", []uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE}, "dns", false},
		{"socket", []uint64{unix.AF_PACKET, unix.SOCK_RAW}, "", false},
		{"kill", []uint64{0, 15}, "stdio", false},
		{"kill", []uint64{1, 15}, "proc", false},
		{"clone", []uint64{0x50f00}, "stdio", false},
		{"clone", []uint64{uint64(unix.SIGCHLD)}, "proc", false},
		{"clone", []uint64{unix.CLONE_NEWNS}, "", false},
		{"ioctl", []uint64{0, unix.TIOCSWINSZ}, "tty", false},
		{"ioctl", []uint64{0, unix.TIOCSTI}, "", false},
		{"fcntl", []uint64{0, unix.F_SETLK}, "flock", false},
		{"fcntl", []uint64{0, unix.F_SETOWN}, "proc", false},
		{"execve", nil, "exec", false},
		{"landlock_add_rule", nil, "", false},
		{"setsockopt", []uint64{3, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL}, "mcast", false},
		{"ptrace", nil, "", false},
		{"clone3", nil, "", false},
		{"fork", nil, "proc", true},
	}
	for _, a := range testArchs {
		for _, c := range cases {
			nr, ok := sysnums[a.Name][c.name]
			if !ok {
				if !c.onlyOnArchAMD || a.Name == "amd64" {
					t.Errorf("%s lacks %s", a.Name, c.name)
				}
				continue
			}
			var args [6]uint64
			copy(args[:], c.args)
			name, p := Explain(a, nr, args)
			if name != c.name || p != c.wantPromise {
				t.Errorf("%s: Explain(%s%v) = %q, %q; want %q", a.Name, c.name, c.args, name, p, c.wantPromise)
			}
		}
	}
	if name, p := Explain(seccomp.AMD64, 999, [6]uint64{}); name != "" || p != "" {
		t.Errorf("Explain(999) = %q, %q", name, p)
	}
}

func allPromisesString() string {
	return (All &^ Error).String()
}

// shapeSets are the promise sets whose filter shape is reported and
// checked.
var shapeSets = []string{"", "stdio", "stdio rpath", "stdio rpath wpath cpath", "stdio inet dns", "stdio proc exec", "ALL", "ALL error"}

func expand(s string) string {
	return strings.Replace(s, "ALL", allPromisesString(), 1)
}

// TestConstantAction emulates the kernel's constant-action cache on the
// compiled programs: every syscall the filter allows without conditions
// must be ALLOW for any arguments (so the kernel skips BPF for it), every
// other unconditional rule constant too, and every conditional syscall
// must really look at its arguments.
func TestConstantAction(t *testing.T) {
	var sets []string
	sets = append(sets, shapeSets...)
	for _, n := range Names() {
		sets = append(sets, "stdio "+n)
	}
	for _, a := range testArchs {
		for _, s := range sets {
			f, prog := program(t, a, expand(s), FilterOptions{Pid: testPid})
			byNr := map[uint32][]seccomp.Rule{}
			for _, r := range f.Rules {
				byNr[r.Nr] = append(byNr[r.Nr], r)
			}
			allowed := 0
			for nr := uint32(0); nr <= a.MaxNr; nr++ {
				rules := byNr[nr]
				act, ok := prog.ConstantAction(a, nr)
				switch {
				case len(rules) == 0:
					if !ok || act != f.Default {
						t.Errorf("%s %q: nr %d without rules: constant %v %v, want %v", a.Name, s, nr, act, ok, f.Default)
					}
				case len(rules) == 1 && len(rules[0].Conds) == 0:
					if !ok || act != rules[0].Action {
						t.Errorf("%s %q: %s: constant %v %v, want constant %v", a.Name, s, syscallName(a, nr), act, ok, rules[0].Action)
					}
					if act == allow {
						allowed++
					}
				default:
					if ok {
						t.Errorf("%s %q: %s has conditions but the program returns %v without looking", a.Name, s, syscallName(a, nr), act)
					}
				}
			}
			if s != "" && allowed < 100 {
				t.Errorf("%s %q: only %d constant-ALLOW syscalls", a.Name, s, allowed)
			}
		}
	}
}

// TestFilterShape reports (with -v) the instruction count and the path
// lengths per promise set, and fails when the all-promises filter is not
// well under Cosmopolitan's 700-instruction budget or a hot syscall's path
// grows long.
func TestFilterShape(t *testing.T) {
	hot := []string{"openat", "mmap", "mprotect", "ioctl", "fcntl", "clone", "futex", "read", "socket", "setsockopt", "kill", "tgkill"}
	for _, a := range testArchs {
		for _, s := range shapeSets {
			_, prog := program(t, a, expand(s), FilterOptions{})
			st := prog.Stats(a)
			var paths []string
			for _, name := range hot {
				nr, ok := sysnums[a.Name][name]
				if !ok {
					continue
				}
				dispatch, worst := prog.PathLen(a, nr)
				paths = append(paths, fmt.Sprintf("%s %d/%d", name, dispatch, worst))
				if _, cached := prog.ConstantAction(a, nr); cached {
					continue // the kernel's cache serves it: the program never runs
				}
				if slices.Contains(hotSyscalls, name) && dispatch > 5+len(hotSyscalls) {
					t.Errorf("%s %q: hot %s is %d instructions from the start", a.Name, s, name, dispatch)
				}
				if dispatch > 16+len(hotSyscalls) {
					t.Errorf("%s %q: %s is %d instructions from the start", a.Name, s, name, dispatch)
				}
			}
			t.Logf("%s %-24q insns %3d, constant-ALLOW %3d, dispatch max %d mean %.1f, longest path %d; dispatch/worst: %s",
				a.Name, s, st.Insns, st.ConstAllow, st.MaxDispatch, st.MeanDispatch, st.MaxPath, strings.Join(paths, ", "))
			if st.Insns > 600 {
				t.Errorf("%s %q: %d instructions, want well under 700", a.Name, s, st.Insns)
			}
		}
	}
}

// BenchmarkBuildFilter measures parsing and compiling a pledge's filter
// (without loading it).
func BenchmarkBuildFilter(b *testing.B) {
	for _, s := range []string{"stdio", "stdio rpath", "stdio inet dns", "ALL"} {
		b.Run(strings.ReplaceAll(s, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				p, err := Parse(expand(s))
				if err != nil {
					b.Fatal(err)
				}
				f, err := BuildFilter(seccomp.Native(), p, FilterOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Compile(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

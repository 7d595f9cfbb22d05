//go:build linux && (amd64 || arm64)

package promise

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/seccomp"
)

// This file is THE promise table: which syscalls each promise allows on
// Linux, with the argument conditions where a promise is narrower than the
// syscall, plus the syscalls no promise allows (never) and the ones that
// answer ENOSYS in every mode (enosys). BuildFilter compiles it, Explain
// reads it back for violation messages, TestClassify checks that it covers
// every syscall of the amd64 and arm64 tables, and TestPromisesDoc renders
// it into docs/promises.md.
//
// Syscalls are named as the kernel names them (the lower-case SYS_ suffix
// of golang.org/x/sys); a name an architecture lacks (arm64 has no open,
// stat, fork...) is skipped there. Every constant used in a condition has
// the same value on amd64 and arm64 (both use the asm-generic headers for
// fcntl, socket, ioctl, prctl, clone and mman values; TestSharedConstants
// checks the arm64 values), so one table serves both.
//
// Arguments are compared at the width the kernel reads them: Word32 for int
// and unsigned int parameters (flags, commands, domains, pids, modes),
// Word64 for pointers and unsigned long parameters (mmap's prot, addresses).

// cond is one argument test of the table. When self is set, the test is
// arg == the pledging process's pid, filled in by BuildFilter (the table
// is built before the pid is known). When directory is set, the
// architecture's O_DIRECTORY is added to Mask and Val (its value differs:
// 0o200000 on amd64, 0o40000 on arm64; see oDirectory).
type cond struct {
	seccomp.Cond
	self      bool
	directory bool
}

// oDirectory is O_DIRECTORY per architecture: the generic 0o200000
// (include/uapi/asm-generic/fcntl.h) on amd64; arm64 overrides it with
// 0o40000 (arch/arm64/include/uapi/asm/fcntl.h).
var oDirectory = map[string]uint64{"amd64": 0o200000, "arm64": 0o40000}

// withDirectory is c that also requires O_DIRECTORY in the same argument.
func withDirectory(c cond) cond {
	c.directory = true
	return c
}

// archCond is c as compiled for arch.
func (c cond) archCond(arch string, pid uint64) seccomp.Cond {
	sc := c.Cond
	if c.self {
		sc.Val = pid
	}
	if c.directory {
		sc.Mask |= oDirectory[arch]
		sc.Val |= oDirectory[arch]
	}
	return sc
}

// sysRule allows syscall name when every cond holds (always, when conds is
// empty). doc says the condition in words for docs/promises.md.
type sysRule struct {
	name  string
	conds []cond
	doc   string
}

// grant is one row of the promise table: with every promise of need held
// and none of unless, the rules are allowed. need 0 is "always", even under
// pledge("").
type grant struct {
	need   Set
	unless Set
	rules  []sysRule
	// mode says whether the grant holds with a path layer in force
	// (FilterOptions.PathLayer), without one, or either way.
	mode layerMode
	// layerReads: the grant lets reads through for the path layer, so it
	// holds only where the layer decides them (not with
	// FilterOptions.SupervisedReads).
	layerReads bool
}

// layerMode is when a grant or fallback of the table applies.
type layerMode uint8

const (
	anyLayer  layerMode = iota
	withLayer           // only with a path layer (Landlock decides the path)
	noLayer             // only without one (the flags decide)
)

// applies reports whether a rule of mode m is in a filter built with or
// without a path layer.
func (m layerMode) applies(pathLayer bool) bool {
	return m == anyLayer || (m == withLayer) == pathLayer
}

// Condition builders, named after what they test.

func eq32(arg uint8, v uint64) cond {
	return cond{Cond: seccomp.Cond{Arg: arg, Width: seccomp.Word32, Op: seccomp.Eq, Val: v}}
}

func eq64(arg uint8, v uint64) cond {
	return cond{Cond: seccomp.Cond{Arg: arg, Width: seccomp.Word64, Op: seccomp.Eq, Val: v}}
}

func le32(arg uint8, v uint64) cond {
	return cond{Cond: seccomp.Cond{Arg: arg, Width: seccomp.Word32, Op: seccomp.Le, Val: v}}
}

func ge32(arg uint8, v uint64) cond {
	return cond{Cond: seccomp.Cond{Arg: arg, Width: seccomp.Word32, Op: seccomp.Ge, Val: v}}
}

// masked32 tests arg&mask == v on the low 32 bits.
func masked32(arg uint8, mask, v uint64) cond {
	return cond{Cond: seccomp.Cond{Arg: arg, Width: seccomp.Word32, Op: seccomp.MaskedEq, Mask: mask, Val: v}}
}

// masked64 tests arg&mask == v on all 64 bits.
func masked64(arg uint8, mask, v uint64) cond {
	return cond{Cond: seccomp.Cond{Arg: arg, Width: seccomp.Word64, Op: seccomp.MaskedEq, Mask: mask, Val: v}}
}

// isSelf tests arg == the pledging process's pid (pid_t, an int).
func isSelf(arg uint8) cond {
	c := eq32(arg, 0)
	c.self = true
	return c
}

// calls allows names unconditionally.
func calls(names ...string) []sysRule {
	rs := make([]sysRule, len(names))
	for i, n := range names {
		rs[i] = sysRule{name: n}
	}
	return rs
}

// when allows each of names when all conds hold.
func when(doc string, conds []cond, names ...string) []sysRule {
	rs := make([]sysRule, len(names))
	for i, n := range names {
		rs[i] = sysRule{name: n, conds: conds, doc: doc}
	}
	return rs
}

// oneOf allows name when its 32-bit argument arg equals one of vals: one
// rule per value (ioctl requests, fcntl commands, prctl options).
func oneOf(name, doc string, arg uint8, vals ...uint64) []sysRule {
	rs := make([]sysRule, len(vals))
	for i, v := range vals {
		rs[i] = sysRule{name: name, conds: []cond{eq32(arg, v)}, doc: doc}
	}
	return rs
}

// within allows name when lo <= arg <= hi (32-bit), with extra conds.
func within(name, doc string, arg uint8, lo, hi uint64, extra ...cond) sysRule {
	cs := append([]cond{}, extra...)
	if lo > 0 {
		cs = append(cs, ge32(arg, lo))
	}
	cs = append(cs, le32(arg, hi))
	return sysRule{name: name, conds: cs, doc: doc}
}

func join(groups ...[]sysRule) []sysRule {
	var all []sysRule
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// Values the conditions use that x/sys does not name or names only per
// architecture.
const (
	// oTmpfile is __O_TMPFILE, the bit that makes O_TMPFILE (which also
	// sets O_DIRECTORY, whose value differs between amd64 and arm64).
	oTmpfile = 0x400000
	// modeSpecial is S_ISUID|S_ISGID|S_ISVTX: OpenBSD's pledge ignores these
	// bits in chmod and creat; a filter cannot clear them, so it refuses.
	modeSpecial = 0o7000
	// cloneNamespaces are the CLONE_NEW* flags clone(2) can carry
	// (CLONE_NEWTIME only fits clone3, which is ENOSYS here).
	cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
		unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET
	// cloneNotForThreads are flags no thread library passes with
	// CLONE_THREAD: namespaces, tracing and vfork/parent tricks.
	cloneNotForThreads = cloneNamespaces | unix.CLONE_PTRACE | unix.CLONE_UNTRACED |
		unix.CLONE_VFORK | unix.CLONE_PARENT
	// sockTypeMask is SOCK_TYPE_MASK: socket(2) strips SOCK_NONBLOCK and
	// SOCK_CLOEXEC from type before looking at it, so the filter compares
	// only these bits.
	sockTypeMask = 0xf
	// personalityQuery is personality(0xffffffff), which only reads.
	personalityQuery = 0xffffffff
	// psxSignal is the signal libpsx (kernel.org/.../libcap/psx, psx.c:
	// psx_tracker.psx_sig = 33) sends each thread with tkill to make it
	// run a syscall, here landlock_restrict_self in cgo builds.
	psxSignal = 33
	// noID is (uid_t)-1: chown's "leave unchanged".
	noID = 0xffffffff
)

// Open-family conditions. flags is the open flags argument, mode the
// creation mode; access mode O_RDONLY (0) is a read, O_WRONLY a write,
// O_RDWR both; O_CREAT and O_TMPFILE create (cpath); O_TRUNC writes.
func openRules(name string, flags, mode uint8) []grant {
	const acc = unix.O_ACCMODE
	const mk = unix.O_CREAT | oTmpfile
	noSpecial := masked32(mode, modeSpecial, 0)
	r := func(doc string, cs ...cond) []sysRule { return []sysRule{{name: name, conds: cs, doc: doc}} }
	return []grant{
		{need: Rpath, rules: r("O_RDONLY without O_CREAT, O_TMPFILE, O_TRUNC",
			masked32(flags, acc|mk|unix.O_TRUNC, unix.O_RDONLY))},
		{need: Wpath, rules: r("O_WRONLY without O_CREAT, O_TMPFILE",
			masked32(flags, acc|mk, unix.O_WRONLY))},
		{need: Rpath | Wpath, rules: join(
			r("O_RDWR without O_CREAT, O_TMPFILE", masked32(flags, acc|mk, unix.O_RDWR)),
			r("O_RDONLY|O_TRUNC without O_CREAT, O_TMPFILE", masked32(flags, acc|mk, unix.O_RDONLY)))},
		{need: Rpath | Cpath, rules: r("O_RDONLY with O_CREAT, no O_TRUNC, mode without setuid/setgid/sticky",
			masked32(flags, acc|unix.O_TRUNC, unix.O_RDONLY), noSpecial)},
		{need: Wpath | Cpath, rules: r("O_WRONLY with O_CREAT or O_TMPFILE, mode without setuid/setgid/sticky",
			masked32(flags, acc, unix.O_WRONLY), noSpecial)},
		{need: Rpath | Wpath | Cpath, rules: join(
			r("O_RDWR or O_RDONLY|O_TRUNC with O_CREAT or O_TMPFILE, mode without setuid/setgid/sticky",
				masked32(flags, acc, unix.O_RDWR), noSpecial),
			r("O_RDWR or O_RDONLY|O_TRUNC with O_CREAT or O_TMPFILE, mode without setuid/setgid/sticky",
				masked32(flags, acc, unix.O_RDONLY), noSpecial))},
	}
}

// pathLayerOpenRules are the opens a path layer decides (withLayer): the
// flags a named path may need (promise/paths.go) pass the filter and
// Landlock decides the path. stdio: any open that neither creates nor
// truncates, for /dev/null, /etc/localtime, zoneinfo and the promises'
// named files (reads only when the layer decides them: not with "exec",
// see readsByLayer); O_PATH opens, which Landlock does not check, keep
// their own rules. cpath and tmppath: creating opens (tmppath's file in
// /tmp, cpath's anywhere), without O_TRUNC, which needs wpath (truncation
// is left to the flag rules). An open the flags alone rule out, such as
// O_CREAT without cpath or tmppath, still gets the violation.
func pathLayerOpenRules(name string, flags, mode uint8) []grant {
	const acc = unix.O_ACCMODE
	const mk = unix.O_CREAT | oTmpfile
	const keep = acc | mk | unix.O_TRUNC | unix.O_PATH
	noSpecial := masked32(mode, modeSpecial, 0)
	r := func(doc string, cs ...cond) []sysRule { return []sysRule{{name: name, conds: cs, doc: doc}} }
	const layerDoc = "; the path layer decides the path"
	return []grant{
		{need: Stdio, unless: Exec, mode: withLayer, layerReads: true, rules: r("O_RDONLY without O_CREAT, O_TMPFILE, O_TRUNC, O_PATH"+layerDoc,
			masked32(flags, keep, unix.O_RDONLY))},
		{need: Stdio, mode: withLayer, rules: join(
			r("O_WRONLY or O_RDWR without O_CREAT, O_TMPFILE, O_TRUNC, O_PATH"+layerDoc, masked32(flags, keep, unix.O_WRONLY)),
			r("O_WRONLY or O_RDWR without O_CREAT, O_TMPFILE, O_TRUNC, O_PATH"+layerDoc, masked32(flags, keep, unix.O_RDWR)))},
		{need: Cpath, mode: withLayer, rules: r("O_CREAT or O_TMPFILE without O_TRUNC, mode without setuid/setgid/sticky"+layerDoc,
			masked32(flags, unix.O_TRUNC, 0), noSpecial)},
		{need: Tmppath, mode: withLayer, rules: r("O_CREAT or O_TMPFILE without O_TRUNC, mode without setuid/setgid/sticky; the path layer keeps it to /tmp",
			masked32(flags, unix.O_TRUNC, 0), noSpecial)},
	}
}

var (
	// protNoExec: mmap, mprotect and pkey_mprotect take prot as unsigned
	// long, argument 2 in all three.
	protNoExec = []cond{masked64(2, unix.PROT_EXEC, 0)}
	// cloneThread: a thread (CLONE_THREAD, which the kernel only accepts
	// with CLONE_SIGHAND and CLONE_VM) and nothing of cloneNotForThreads.
	// clone reads only the low 32 bits of its flags (lower_32_bits in
	// kernel/fork.c).
	cloneThread = []cond{masked32(0, unix.CLONE_THREAD|cloneNotForThreads, unix.CLONE_THREAD)}
	// cloneTraceable: any process or thread, but no new namespace and no
	// CLONE_UNTRACED, which keeps the child from being traced: under a
	// supervisor (the pledge command, the library's exec supervisor) such a
	// child would run unsupervised, outlive PTRACE_O_EXITKILL and exec
	// without execpromises. No program but the kernel's own threads uses
	// it. CLONE_PTRACE only asks for what the supervisor does anyway.
	cloneTraceable = []cond{masked32(0, cloneNamespaces|unix.CLONE_UNTRACED, 0)}
)

// stdioIoctls are FIONREAD FIONBIO FIOCLEX FIONCLEX as on OpenBSD, plus
// TCGETS and TCGETS2: isatty(3) is tcgetattr on Linux (F_ISATTY, a fcntl,
// on OpenBSD), and glibc's stdio asks it for every stream.
// stdioIoctls: FIO* and the reads with which libcs implement isatty():
// glibc's TCGETS (TCGETS2), and musl's TIOCGWINSZ, which musl's stdio
// also makes on the first write to stdout to choose line buffering, so a
// musl program under plain stdio would die at its first printf.
var stdioIoctls = []uint64{fionread, fionbio, fioclex, fionclex, unix.TCGETS, unix.TCGETS2, unix.TIOCGWINSZ}

// The FIO* requests of asm-generic/ioctls.h, which x/sys does not name on
// Linux (FIONREAD is its TIOCINQ).
const (
	fionread = 0x541b
	fionbio  = 0x5421
	fionclex = 0x5450
	fioclex  = 0x5451
)

// ttyIoctls are termios, window size, process group and pty set-up.
// TIOCSTI (fakes input) and TIOCLINUX (console selection) are in no list.
var ttyIoctls = []uint64{
	unix.TCSETS, unix.TCSETSW, unix.TCSETSF, unix.TCSETS2, unix.TCSETSW2, unix.TCSETSF2,
	unix.TCSBRK, unix.TCXONC, unix.TCFLSH, unix.TIOCOUTQ,
	unix.TIOCGWINSZ, unix.TIOCSWINSZ, unix.TIOCGPGRP, unix.TIOCSPGRP, unix.TIOCGSID,
	unix.TIOCGPTN, unix.TIOCSPTLCK, unix.TIOCGPTPEER,
}

// stdioPrctls read or name the process's own state or harden it.
var stdioPrctls = []uint64{
	unix.PR_GET_PDEATHSIG, unix.PR_GET_DUMPABLE, unix.PR_GET_KEEPCAPS,
	unix.PR_SET_NAME, unix.PR_GET_NAME, unix.PR_CAPBSET_READ,
	unix.PR_SET_TIMERSLACK, unix.PR_GET_TIMERSLACK, unix.PR_GET_CHILD_SUBREAPER,
	unix.PR_GET_THP_DISABLE, unix.PR_GET_SPECULATION_CTRL, unix.PR_SET_SPECULATION_CTRL,
	unix.PR_GET_TAGGED_ADDR_CTRL, unix.PR_GET_SHADOW_STACK_STATUS, unix.PR_GET_AUXV,
	unix.PR_SET_VMA, // Go 1.25+ and glibc name anonymous mappings
}

// alwaysPrctls are what a later Pledge needs to stack a narrower filter:
// stacking can only narrow, so they are allowed under every promise set.
var alwaysPrctls = []uint64{unix.PR_SET_NO_NEW_PRIVS, unix.PR_GET_NO_NEW_PRIVS, unix.PR_GET_SECCOMP, unix.PR_SET_SECCOMP}

// socketLevelOpts returns the SOL_SOCKET rules of the networking promises
// for name (setsockopt). level and optname are ints (arguments 1 and 2). Ranges are
// runs of options without privileged or code-loading members: SO_DEBUG,
// SO_BINDTODEVICE, SO_ATTACH_FILTER/BPF, SO_MARK, TCP_ULP (kTLS) and raw
// socket options stay out.
func socketLevelOpts(name string) []sysRule {
	const doc = "SOL_SOCKET: SO_REUSEADDR..SO_SNDTIMEO, SO_TIMESTAMP(NS), SO_PASSSEC, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW"
	lvl := eq32(1, unix.SOL_SOCKET)
	return join(
		[]sysRule{within(name, doc, 2, unix.SO_REUSEADDR, unix.SO_SNDTIMEO_OLD, lvl)},
		[]sysRule{within(name, doc, 2, unix.SO_RCVTIMEO_NEW, unix.SO_SNDTIMEO_NEW, lvl)},
		pairs(name, doc, unix.SOL_SOCKET, unix.SO_TIMESTAMP_OLD, unix.SO_PASSSEC, unix.SO_TIMESTAMPNS_OLD),
	)
}

// pairs allows name(fd, level, opt) for each opt.
func pairs(name, doc string, level uint64, opts ...uint64) []sysRule {
	rs := make([]sysRule, len(opts))
	for i, o := range opts {
		rs[i] = sysRule{name: name, conds: []cond{eq32(1, level), eq32(2, o)}, doc: doc}
	}
	return rs
}

func ipOpts(name string) []sysRule {
	const doc = "IPPROTO_TCP options up to TCP_FASTOPEN_CONNECT; IP_TOS..IP_FREEBIND, IP_BIND_ADDRESS_NO_PORT; IPV6_UNICAST_HOPS, IPV6_MTU_DISCOVER..IPV6_V6ONLY, IPV6_RECVPKTINFO, IPV6_TCLASS"
	return join(
		[]sysRule{within(name, doc, 2, 1, unix.TCP_FASTOPEN_CONNECT, eq32(1, unix.IPPROTO_TCP))},
		[]sysRule{within(name, doc, 2, unix.IP_TOS, unix.IP_FREEBIND, eq32(1, unix.IPPROTO_IP))},
		pairs(name, doc, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT),
		[]sysRule{within(name, doc, 2, unix.IPV6_MTU_DISCOVER, unix.IPV6_V6ONLY, eq32(1, unix.IPPROTO_IPV6))},
		pairs(name, doc, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, unix.IPV6_RECVPKTINFO, unix.IPV6_TCLASS),
	)
}

// ipGetsockopt: reading options only informs, so the IP protocol levels
// are allowed whole (SOL_SOCKET is stdio's).
var ipGetsockopt = oneOf("getsockopt", "IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6", 1,
	unix.IPPROTO_IP, unix.IPPROTO_TCP, unix.IPPROTO_UDP, unix.IPPROTO_IPV6)

// mcastOpts are the multicast options: IP_MULTICAST_IF..IP_MULTICAST_ALL
// (32..49, incl. the protocol-independent MCAST_* ones) and
// IPV6_MULTICAST_IF..IPV6_DROP_MEMBERSHIP plus MCAST_* on IPPROTO_IPV6.
func mcastOpts() []sysRule {
	const doc = "IP_MULTICAST_IF..IP_MULTICAST_ALL, IPV6_MULTICAST_IF..IPV6_DROP_MEMBERSHIP, MCAST_JOIN_GROUP..MCAST_MSFILTER"
	return []sysRule{
		within("setsockopt", doc, 2, unix.IP_MULTICAST_IF, unix.IP_MULTICAST_ALL, eq32(1, unix.IPPROTO_IP)),
		within("setsockopt", doc, 2, unix.IPV6_MULTICAST_IF, unix.IPV6_DROP_MEMBERSHIP, eq32(1, unix.IPPROTO_IPV6)),
		within("setsockopt", doc, 2, unix.MCAST_JOIN_GROUP, unix.MCAST_MSFILTER, eq32(1, unix.IPPROTO_IPV6)),
	}
}

// socketOf allows socket(domain, type) for each type (type compared without
// SOCK_NONBLOCK/SOCK_CLOEXEC), with extra conditions.
func socketOf(doc string, domain uint64, types []uint64, extra ...cond) []sysRule {
	rs := make([]sysRule, len(types))
	for i, t := range types {
		cs := append([]cond{eq32(0, domain), masked32(1, sockTypeMask, t)}, extra...)
		rs[i] = sysRule{name: "socket", conds: cs, doc: doc}
	}
	return rs
}

// socketpairOf allows socketpair(AF_UNIX, type) for each type (compared
// without SOCK_NONBLOCK/SOCK_CLOEXEC).
func socketpairOf(doc string, types ...uint64) []sysRule {
	rs := make([]sysRule, len(types))
	for i, t := range types {
		rs[i] = sysRule{name: "socketpair", conds: []cond{eq32(0, unix.AF_UNIX), masked32(1, sockTypeMask, t)}, doc: doc}
	}
	return rs
}

var (
	inetSockets = join(
		socketOf("AF_INET, AF_INET6; SOCK_STREAM, SOCK_DGRAM", unix.AF_INET, []uint64{unix.SOCK_STREAM, unix.SOCK_DGRAM}),
		socketOf("AF_INET, AF_INET6; SOCK_STREAM, SOCK_DGRAM", unix.AF_INET6, []uint64{unix.SOCK_STREAM, unix.SOCK_DGRAM}))
	// routeSockets: a NETLINK_ROUTE socket lets net.Interfaces and glibc's
	// getaddrinfo(AI_ADDRCONFIG) read addresses; changing routes over it
	// still needs CAP_NET_ADMIN.
	routeSockets = socketOf("AF_NETLINK, NETLINK_ROUTE; SOCK_RAW, SOCK_DGRAM", unix.AF_NETLINK,
		[]uint64{unix.SOCK_RAW, unix.SOCK_DGRAM}, eq32(2, unix.NETLINK_ROUTE))
	unixSockets = socketOf("AF_UNIX; SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET", unix.AF_UNIX,
		[]uint64{unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_SEQPACKET})
)

// promiseTable is the promise table proper, tried in this order by Explain
// (narrowest first where rules overlap).
var promiseTable = join2(
	[]grant{
		{need: 0, rules: join(
			// Dying and returning from a signal handler are never a new
			// capability; uretprobe and uprobe are only called by the
			// kernel's uprobe trampolines (and the kernel lets them pass
			// seccomp since 6.13). A later Pledge needs seccomp and the
			// no_new_privs prctls to stack a narrower filter, and the
			// Landlock calls to stack a narrower path layer: each can only
			// restrict the caller (a rule needs a descriptor the process
			// already holds).
			calls("exit", "exit_group", "rt_sigreturn", "seccomp", "uretprobe", "uprobe",
				"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"),
			oneOf("prctl", "PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_SECCOMP", 0, alwaysPrctls...),
		)},
		{need: Stdio, rules: join(
			calls(
				// file descriptors already open
				"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
				"preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3",
				"fstat", "fsync", "fdatasync", "syncfs", "sync", "sync_file_range", "ftruncate",
				"fallocate", "fadvise64", "readahead", "sendfile", "splice", "tee", "vmsplice",
				"copy_file_range", "cachestat", "pipe", "pipe2",
				// waiting
				"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1",
				"epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
				"signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
				// memory (mmap/mprotect: below)
				"munmap", "mremap", "madvise", "msync", "mincore", "brk", "mlock", "munlock",
				"mlock2", "mlockall", "munlockall", "membarrier", "mbind", "get_mempolicy",
				"set_mempolicy", "set_mempolicy_home_node", "map_shadow_stack", "mseal",
				"memfd_secret", "pkey_alloc", "pkey_free",
				// signals and timers of this process
				"rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigtimedwait",
				"rt_sigsuspend", "sigaltstack", "pause", "alarm", "getitimer", "setitimer",
				"timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
				"restart_syscall",
				// time
				"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
				"clock_nanosleep", "times", "getrusage",
				// identity and system information, read only
				"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
				"getresuid", "getresgid", "getgroups", "getpgid", "getpgrp", "getsid", "capget",
				"uname", "sysinfo", "getcpu", "getrlimit", "getpriority", "ioprio_get", "umask",
				"sched_getaffinity", "sched_yield", "sched_getparam", "sched_getscheduler",
				"sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
				"sched_getattr",
				// threads
				"futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
				"set_robust_list", "set_tid_address", "rseq", "rseq_slice_yield", "arch_prctl",
				// children already made (waiting only reaches own children)
				"wait4", "waitid",
				// sockets already open (sendto: below); the control messages
				// of sendmsg/recvmsg are behind a pointer (see sendfd)
				"recvfrom", "recvmsg", "recvmmsg", "sendmsg", "sendmmsg", "getsockname",
				"getpeername", "shutdown",
				"getrandom",
			),
			when("prot without PROT_EXEC", protNoExec, "mmap", "mprotect", "pkey_mprotect"),
			when("threads only: CLONE_THREAD, no CLONE_NEW*, CLONE_PTRACE, CLONE_UNTRACED, CLONE_VFORK, CLONE_PARENT", cloneThread, "clone"),
			when("to itself", []cond{isSelf(0)}, "kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"),
			when("to its own process group (pid 0)", []cond{eq32(0, 0)}, "kill"),
			oneOf("ioctl", "FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, TCGETS, TCGETS2, TIOCGWINSZ (isatty)", 1, stdioIoctls...),
			[]sysRule{within("fcntl", "F_DUPFD..F_SETFL, F_GETOWN, F_GETSIG, F_GETOWN_EX, F_DUPFD_CLOEXEC..F_GET_SEALS", 1, unix.F_DUPFD, unix.F_SETFL)},
			oneOf("fcntl", "F_DUPFD..F_SETFL, F_GETOWN, F_GETSIG, F_GETOWN_EX, F_DUPFD_CLOEXEC..F_GET_SEALS", 1, unix.F_GETOWN, unix.F_GETSIG, unix.F_GETOWN_EX),
			[]sysRule{within("fcntl", "F_DUPFD..F_SETFL, F_GETOWN, F_GETSIG, F_GETOWN_EX, F_DUPFD_CLOEXEC..F_GET_SEALS", 1, unix.F_DUPFD_CLOEXEC, unix.F_GET_SEALS)},
			oneOf("prctl", "PR_SET_NAME, PR_SET_VMA, PR_SET_TIMERSLACK, PR_SET_SPECULATION_CTRL and reads of its own state", 0, stdioPrctls...),
			when("PR_SET_DUMPABLE 0", []cond{eq32(0, unix.PR_SET_DUMPABLE), eq64(1, 0)}, "prctl"),
			when("reading its own limits (pid 0 or itself, new_limit NULL)", []cond{eq32(0, 0), eq64(2, 0)}, "prlimit64"),
			when("reading its own limits (pid 0 or itself, new_limit NULL)", []cond{isSelf(0), eq64(2, 0)}, "prlimit64"),
			when("without an address (dest_addr NULL)", []cond{eq64(4, 0)}, "sendto"),
			// A connected pair of stream or seqpacket sockets has no way
			// out: a stream socket refuses sendmsg's msg_name (EISCONN),
			// seqpacket ignores it. A datagram socket sends to whatever
			// address msg_name holds (/dev/log, systemd's notify socket,
			// abstract names), and that address is behind a pointer the
			// filter cannot read; OpenBSD wants NULL there under stdio.
			// So a datagram pair needs "unix".
			socketpairOf("AF_UNIX; SOCK_STREAM, SOCK_SEQPACKET", unix.SOCK_STREAM, unix.SOCK_SEQPACKET),
			when("SOL_SOCKET", []cond{eq32(1, unix.SOL_SOCKET)}, "getsockopt"),
			// glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH) or statx;
			// the path behind the pointer cannot be checked, so a path
			// with AT_EMPTY_PATH stats a file's metadata without rpath.
			when("with AT_EMPTY_PATH (fstat)", []cond{masked32(3, unix.AT_EMPTY_PATH, unix.AT_EMPTY_PATH)}, "newfstatat"),
			when("with AT_EMPTY_PATH (fstat)", []cond{masked32(2, unix.AT_EMPTY_PATH, unix.AT_EMPTY_PATH)}, "statx"),
			when("robust futex list of itself (pid 0)", []cond{eq32(0, 0)}, "get_robust_list"),
			when("query only (0xffffffff)", []cond{eq32(0, personalityQuery)}, "personality"),
			// An executable memfd is exec'd through execveat(fd, "",
			// AT_EMPTY_PATH) or /proc/self/fd/N, and Landlock does not
			// check files on internal mounts: with "exec" held, only
			// memfds sealed non-executable may be made.
			when("with MFD_NOEXEC_SEAL", []cond{masked32(1, unix.MFD_NOEXEC_SEAL, unix.MFD_NOEXEC_SEAL)}, "memfd_create"),
		)},
		{need: Stdio, unless: Exec, rules: calls("memfd_create")},
	},
	openRules("openat", 2, 3),
	openRules("open", 1, 2),
	pathLayerOpenRules("openat", 2, 3),
	pathLayerOpenRules("open", 1, 2),
	[]grant{
		// mkstemp's cleanup: unlink in /tmp, kept there by the path layer
		// (unlinkat without AT_REMOVEDIR: rmdir needs cpath, as on OpenBSD).
		{need: Tmppath, mode: withLayer, rules: join(
			calls("unlink"),
			when("without AT_REMOVEDIR; the path layer keeps it to /tmp", []cond{masked32(2, unix.AT_REMOVEDIR, 0)}, "unlinkat"),
		)},
		{need: Wpath | Cpath, rules: when("mode without setuid/setgid/sticky", []cond{masked32(1, modeSpecial, 0)}, "creat")},
		{need: Rpath, rules: join(
			calls("stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2",
				"readlink", "readlinkat", "getdents", "getdents64", "chdir", "fchdir", "getcwd",
				"statfs", "fstatfs", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
				"llistxattr", "flistxattr", "getxattrat", "listxattrat", "file_getattr",
				"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch"),
			oneOf("fcntl", "F_NOTIFY", 1, unix.F_NOTIFY),
		)},
		{need: Wpath, rules: calls("truncate", "getcwd")},
		{need: Cpath, rules: calls("mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
			"rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat")},
		{need: Dpath, rules: join(
			when("mode without setuid/setgid/sticky", []cond{masked32(1, modeSpecial, 0)}, "mknod"),
			when("mode without setuid/setgid/sticky", []cond{masked32(2, modeSpecial, 0)}, "mknodat"),
		)},
		{need: Fattr, rules: join(
			calls("utime", "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr",
				"fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "setxattrat",
				"removexattrat", "file_setattr"),
			when("mode without setuid/setgid/sticky", []cond{masked32(1, modeSpecial, 0)}, "chmod", "fchmod"),
			when("mode without setuid/setgid/sticky", []cond{masked32(2, modeSpecial, 0)}, "fchmodat", "fchmodat2"),
			when("owner and group unchanged (-1)", []cond{eq32(1, noID), eq32(2, noID)}, "chown", "fchown", "lchown"),
			when("owner and group unchanged (-1)", []cond{eq32(2, noID), eq32(3, noID)}, "fchownat"),
		)},
		{need: Chown, rules: calls("chown", "fchown", "lchown", "fchownat")},
		{need: Flock, rules: join(
			calls("flock"),
			[]sysRule{
				within("fcntl", "F_GETLK, F_SETLK, F_SETLKW, F_OFD_*, F_SETLEASE, F_GETLEASE", 1, unix.F_GETLK, unix.F_SETLKW),
				within("fcntl", "F_GETLK, F_SETLK, F_SETLKW, F_OFD_*, F_SETLEASE, F_GETLEASE", 1, unix.F_OFD_GETLK, unix.F_OFD_SETLKW),
				within("fcntl", "F_GETLK, F_SETLK, F_SETLKW, F_OFD_*, F_SETLEASE, F_GETLEASE", 1, unix.F_SETLEASE, unix.F_GETLEASE),
			},
		)},
		{need: Inet, rules: join(
			inetSockets,
			calls("bind", "listen", "accept", "accept4", "connect", "sendto"),
			socketLevelOpts("setsockopt"), ipOpts("setsockopt"), ipGetsockopt,
		)},
		{need: Mcast, rules: mcastOpts()},
		{need: Unix, rules: join(
			unixSockets,
			socketpairOf("AF_UNIX; SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET", unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_SEQPACKET),
			calls("bind", "listen", "accept", "accept4", "connect", "sendto"),
			socketLevelOpts("setsockopt"),
		)},
		// dns on Linux: client sockets. The server address is behind a
		// pointer, so lookups cannot be held to port 53.
		{need: DNS, rules: join(
			inetSockets, routeSockets,
			calls("connect", "bind", "sendto"),
			socketLevelOpts("setsockopt"), ipOpts("setsockopt"), ipGetsockopt,
		)},
		{need: Route, rules: join(routeSockets, calls("bind", "sendto"))},
		{need: Tty, rules: oneOf("ioctl", "termios (TCSETS*, TCSBRK, TCXONC, TCFLSH), TIOCOUTQ, TIOC[GS]WINSZ, TIOC[GS]PGRP, TIOCGSID, TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER", 1, ttyIoctls...)},
		{need: Proc, rules: join(
			calls("fork", "vfork", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
				"pidfd_open", "pidfd_send_signal", "process_madvise", "process_mrelease",
				"setsid", "setpgid", "setpriority", "sched_setparam", "sched_setscheduler",
				"sched_setaffinity", "sched_setattr", "ioprio_set", "setrlimit", "prlimit64",
				"migrate_pages", "move_pages"),
			when("no CLONE_NEW* namespace flags, no CLONE_UNTRACED", cloneTraceable, "clone"),
			oneOf("fcntl", "F_SETOWN, F_SETSIG, F_SETOWN_EX", 1, unix.F_SETOWN, unix.F_SETSIG, unix.F_SETOWN_EX),
			oneOf("prctl", "PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER", 0, unix.PR_SET_PDEATHSIG, unix.PR_SET_CHILD_SUBREAPER),
		)},
		// The exec broker (internal/sandbox) runs each image a process
		// execs in a fresh process and parks the one that exec'd: it
		// closes its descriptors, unblocks its signals and waits in
		// pause(2), injected into it under its filters. None of them is a
		// new capability, and "exec" without "stdio" needs them too.
		{need: Exec, rules: calls("execve", "execveat", "close_range", "rt_sigprocmask", "pause")},
		{need: ProtExec, rules: calls("mmap", "mprotect", "pkey_mprotect")},
		{need: Settime, rules: calls("clock_settime", "settimeofday", "adjtimex", "clock_adjtime")},
		{need: ID, rules: join(
			calls("setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
				"setfsuid", "setfsgid", "setgroups", "capset", "setrlimit", "prlimit64"),
			oneOf("prctl", "PR_SET_KEEPCAPS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_GET/SET_SECUREBITS", 0,
				unix.PR_SET_KEEPCAPS, unix.PR_CAPBSET_DROP, unix.PR_CAP_AMBIENT, unix.PR_GET_SECUREBITS, unix.PR_SET_SECUREBITS),
		)},
		// Committing the veil restricts every thread: with cgo, the psx
		// package signals each thread with tkill(tid, psxSignal). A tid
		// cannot be checked against the process, so only the signal is:
		// unveil keeps tkill with psx's signal and no other.
		{need: Unveil, rules: []sysRule{{name: "tkill", conds: []cond{eq32(1, psxSignal)}, doc: "psx's signal 33 only"}}},
		// OpenBSD's unveil(2) resolves its path in the kernel; ours
		// resolves it in user space (stat, readlink, getcwd), opens
		// O_PATH descriptors for the Landlock rules, and lists the
		// directories it splits (O_DIRECTORY opens cannot read files).
		// psx (cgo builds) lists /proc/self/task the same way. So
		// unveil reveals metadata and directory entries, never content.
		{need: Unveil, rules: join(
			calls("stat", "lstat", "newfstatat", "statx", "readlink", "readlinkat", "getcwd", "getdents", "getdents64"),
			when("O_PATH", []cond{masked32(2, unix.O_PATH, unix.O_PATH)}, "openat"),
			when("O_RDONLY|O_DIRECTORY without O_CREAT, O_TMPFILE, O_TRUNC",
				[]cond{withDirectory(masked32(2, unix.O_ACCMODE|unix.O_CREAT|oTmpfile|unix.O_TRUNC, unix.O_RDONLY))}, "openat"),
		)},
	},
)

func join2(groups ...[]grant) []grant {
	var all []grant
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// hotSyscalls are the calls programs make most whose rules test their
// arguments, so that the kernel's constant-action cache cannot serve them
// and the filter runs for each: the compiled filter checks them first, in
// this order (seccomp.Filter.Hot). opens and fstat (glibc's newfstatat
// with AT_EMPTY_PATH) lead; Go's runtime preempts with tgkill to itself
// and maps memory; libc's stdio asks fcntl and ioctl (isatty).
// Each costs every other call the cache does not serve one instruction,
// so the list stays short.
var hotSyscalls = []string{"openat", "newfstatat", "fcntl", "mmap", "ioctl", "mprotect", "tgkill"}

// promiseNotes say, per promise, what differs from OpenBSD on Linux; for
// promises without rules, why they grant nothing more. Rendered into
// docs/promises.md next to the rules.
var promiseNotes = map[Set]string{
	Stdio:     "with a path layer (Landlock), OpenBSD's named paths open by name (/dev/null, /etc/localtime, /usr/share/zoneinfo) and any other open that neither creates nor truncates fails with EACCES where OpenBSD kills; without Landlock opens are decided by their flags and those the promises do not allow fail with EACCES. newfstatat/statx with AT_EMPTY_PATH and a non-empty path stat any file. memfd_create needs MFD_NOEXEC_SEAL when exec is held.",
	Tmppath:   "with a path layer: create (O_CREAT, no O_TRUNC), read, write and unlink files in /tmp and below, not directories; without Landlock nothing more (seccomp cannot see that a path is in /tmp).",
	Inet:      "the address of bind/connect/sendto is behind a pointer: any address of the allowed families.",
	Mcast:     "only the multicast socket options; the socket itself needs inet.",
	DNS:       "Linux cannot hold lookups to port 53 (the address is behind a pointer): dns allows UDP/TCP client sockets of AF_INET/AF_INET6 and a NETLINK_ROUTE socket (glibc's getaddrinfo with AI_ADDRCONFIG); its files open by name with a path layer, else they need rpath.",
	Getpw:     "socket(AF_UNIX) (glibc's nscd and systemd-userdb clients) fails with EACCES instead of killing, so libc falls back to the files, which open by name with a path layer (else they need rpath).",
	Sendfd:    "nothing more on Linux: SCM_RIGHTS travels in sendmsg's control message, behind a pointer; sendmsg is allowed under stdio.",
	Recvfd:    "nothing more on Linux: SCM_RIGHTS travels in recvmsg's control message, behind a pointer; recvmsg is allowed under stdio.",
	Tape:      "nothing more on Linux: tape ioctls are not allowed.",
	Tty:       "/dev/tty opens by name with a path layer; without Landlock it needs rpath/wpath.",
	Proc:      "kill, tkill and signal queueing to any process; pidfd_open without proc fails with ENOSYS instead of killing (Go's os package probes it).",
	Ps:        "nothing more on Linux: process information comes from /proc files, which need rpath.",
	Vminfo:    "nothing more on Linux: sysinfo is under stdio; the rest is in /proc files, which need rpath.",
	Pf:        "nothing more on Linux: no pf device; netfilter needs CAP_NET_ADMIN.",
	Route:     "a NETLINK_ROUTE socket to read interfaces and routes (net.Interfaces); changing routes over it still needs CAP_NET_ADMIN.",
	Wroute:    "nothing more on Linux: OpenBSD's routing-table selection (SO_RTABLE) has no unprivileged Linux equivalent.",
	Audio:     "nothing more on Linux: sound device ioctls are not allowed.",
	Video:     "nothing more on Linux: video device ioctls are not allowed.",
	Bpf:       "nothing more on Linux: OpenBSD's bpf is the packet-filter device; Linux bpf(2) is never allowed.",
	Unveil:    "keeps tkill with signal 33, with which the psx package (cgo builds) runs landlock_restrict_self on every thread (a tid cannot be checked, so signal 33 can reach other processes of the user while unveil is held); and what user-space path resolution needs: the stat family, readlink, getcwd, O_PATH opens and listing directories (O_RDONLY|O_DIRECTORY opens, getdents64): metadata and names, never file content.",
	Error:     "changes the action: violations return ENOSYS instead of killing.",
	Disklabel: "nothing more on Linux: disk label ioctls are not allowed.",
	Drm:       "nothing more on Linux: DRM ioctls are not allowed.",
	Vmm:       "nothing more on Linux: no vmm device; /dev/kvm ioctls are not allowed.",
	Exec:      "an exec'd image runs in a fresh process (the exec supervisor's broker) unpledged and unveiled, or under exactly the execpromises; the process that exec'd waits for it (close_range, rt_sigprocmask and pause are its own).",
	Settime:   "these need CAP_SYS_TIME too; adjtimex reads need settime because its mode is behind a pointer.",
}

// enosys are the syscalls that return ENOSYS in every mode, whatever the
// promises: libc then falls back to a call whose arguments a filter can
// check, or the call is long gone from the kernel.
var enosys = map[string]string{
	"clone3":            "flags are behind a pointer; libc falls back to clone",
	"openat2":           "flags are behind a pointer (struct open_how); libc falls back to openat",
	"io_uring_setup":    "io_uring runs operations no filter sees; programs fall back to plain syscalls",
	"io_uring_enter":    "io_uring runs operations no filter sees",
	"io_uring_register": "io_uring runs operations no filter sees",
	"_sysctl":           "removed in Linux 5.5",
	"create_module":     "removed in Linux 2.6",
	"get_kernel_syms":   "removed in Linux 2.6",
	"query_module":      "removed in Linux 2.6",
	"nfsservctl":        "removed in Linux 3.1",
	"getpmsg":           "never implemented",
	"putpmsg":           "never implemented",
	"afs_syscall":       "never implemented",
	"tuxcall":           "never implemented",
	"security":          "never implemented",
	"vserver":           "never implemented",
	"epoll_ctl_old":     "never implemented",
	"epoll_wait_old":    "never implemented",
}

// never are the syscalls no promise allows, with the reason.
var never = map[string]string{}

func init() {
	for _, g := range []struct {
		reason string
		names  []string
	}{
		{"reads or writes other processes (the ptrace family)", []string{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"}},
		{"user-space page-fault handling, a race amplifier for kernel exploits", []string{"userfaultfd"}},
		{"loads eBPF programs into the kernel", []string{"bpf"}},
		{"kernel performance events", []string{"perf_event_open"}},
		{"kernel keyrings are shared beyond the process", []string{"keyctl", "add_key", "request_key"}},
		{"replaces or stops the running kernel", []string{"kexec_load", "kexec_file_load", "reboot"}},
		{"loads kernel modules", []string{"init_module", "finit_module", "delete_module"}},
		{"changes or reads mounts and escapes unveil", []string{"mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "open_tree_attr", "mount_setattr", "statmount", "listmount"}},
		{"enters or makes namespaces", []string{"unshare", "setns", "listns"}},
		{"opens files by handle, past every path check", []string{"name_to_handle_at", "open_by_handle_at"}},
		{"system administration", []string{"swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "sethostname", "setdomainname", "vhangup", "syslog", "fanotify_init", "fanotify_mark", "lookup_dcookie"}},
		{"x86 I/O ports and segments, for 32-bit code", []string{"iopl", "ioperm", "modify_ldt", "set_thread_area", "get_thread_area"}},
		{"obsolete: loads an a.out library as code, or reads filesystem tables", []string{"uselib", "sysfs", "ustat", "remap_file_pages"}},
		{"kernel AIO submits operations behind a pointer; POSIX AIO in libc uses threads", []string{"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents"}},
		{"System V IPC objects are shared by key with every process of the IPC namespace", []string{"semget", "semop", "semtimedop", "semctl", "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl"}},
		{"POSIX message queues live in a filesystem unveil cannot see", []string{"mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"}},
		{"Linux security module attributes", []string{"lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"}},
	} {
		for _, n := range g.names {
			never[n] = g.reason
		}
	}
}

// fallback is an answer other than the violation for a call no rule
// allowed: an errno where killing would break programs for a call OpenBSD
// allows by path (which seccomp cannot see) or that libraries probe. It
// replaces a kill; an explicit FilterOptions.Violation (errno, trap, log)
// is kept. A probe (a call libc or the Go runtime makes on its own and
// falls back from, not one the program asked for) also replaces a
// supervisor's trace (the pledge command): the program degrades as it
// would under the kill, without a violation line nor, under -k, a death.
type fallback struct {
	need  Set
	rule  sysRule
	errno syscall.Errno
	mode  layerMode
	probe bool
}

var fallbacks = []fallback{
	{0, sysRule{name: "openat", doc: "OpenBSD allows some paths without rpath/wpath/cpath"}, unix.EACCES, noLayer, false},
	{0, sysRule{name: "open", doc: "OpenBSD allows some paths without rpath/wpath/cpath"}, unix.EACCES, noLayer, false},
	{0, sysRule{name: "creat", doc: "OpenBSD allows some paths without rpath/wpath/cpath"}, unix.EACCES, noLayer, false},
	// With a path layer the named paths get their own rules; what is left
	// without O_CREAT is a read the layer does not decide (rpath missing
	// under "exec") or a truncation without wpath: EACCES, as a veil would
	// answer. A creating open the promises do not allow is a violation.
	{0, sysRule{name: "openat", conds: []cond{masked32(2, unix.O_CREAT|oTmpfile, 0)}, doc: "without O_CREAT: reads the path layer leaves to rpath, truncation without wpath"}, unix.EACCES, withLayer, false},
	{0, sysRule{name: "open", conds: []cond{masked32(1, unix.O_CREAT|oTmpfile, 0)}, doc: "without O_CREAT: reads the path layer leaves to rpath, truncation without wpath"}, unix.EACCES, withLayer, false},
	{0, sysRule{name: "pidfd_open", doc: "Go's os package probes pidfd support"}, unix.ENOSYS, anyLayer, true},
	{Getpw, sysRule{name: "socket", conds: []cond{eq32(0, unix.AF_UNIX)}, doc: "AF_UNIX: nscd and systemd-userdb clients fall back to /etc files"}, unix.EACCES, anyLayer, true},
	{DNS, sysRule{name: "socket", conds: []cond{eq32(0, unix.AF_UNIX)}, doc: "AF_UNIX: glibc's getaddrinfo asks nscd first, then reads /etc/hosts and asks DNS"}, unix.EACCES, anyLayer, true},
}

func init() {
	// glibc stats its named files before reading them (nss_database
	// reloads nsswitch.conf when its mtime changes, res_init does the same
	// with resolv.conf): OpenBSD names the stat of resolv.conf too. A
	// stat cannot be held to those paths, so under getpw and dns it is
	// answered EACCES instead of the kill, and glibc goes on with the
	// defaults and the files it opens (by name, with a path layer).
	for _, p := range []Set{Getpw, DNS} {
		for _, name := range []string{"stat", "lstat", "newfstatat", "statx"} {
			fallbacks = append(fallbacks, fallback{p, sysRule{name: name, doc: "glibc stats nsswitch.conf and resolv.conf before reading them"}, unix.EACCES, anyLayer, true})
		}
	}
}

// loaderRules are what a dynamically linked program's start-up (ld.so)
// needs that the promises may not allow: reading and mapping libraries as
// code, checking /etc/ld.so.preload, and the exec itself. With
// FilterOptions.Loader set, they return that action instead of the
// violation.
var loaderRules = join(
	when("O_RDONLY without O_CREAT, O_TMPFILE, O_TRUNC", []cond{masked32(2, unix.O_ACCMODE|unix.O_CREAT|oTmpfile|unix.O_TRUNC, unix.O_RDONLY)}, "openat"),
	when("O_RDONLY without O_CREAT, O_TMPFILE, O_TRUNC", []cond{masked32(1, unix.O_ACCMODE|unix.O_CREAT|oTmpfile|unix.O_TRUNC, unix.O_RDONLY)}, "open"),
	calls("mmap", "mprotect", "pkey_mprotect", "access", "faccessat", "faccessat2", "execve", "execveat"),
)

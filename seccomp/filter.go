package seccomp

import (
	"fmt"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// Arch describes one syscall ABI as a filter sees it in struct seccomp_data.
type Arch struct {
	// Name is the GOARCH name ("amd64", "arm64").
	Name string
	// AuditArch is the value the kernel puts in seccomp_data.arch for this
	// ABI (syscall_get_arch(): AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64). Any
	// other value is a foreign ABI reached by another entry path (int 0x80
	// on amd64 gives AUDIT_ARCH_I386, with different numbers).
	AuditArch uint32
	// X32Bit is __X32_SYSCALL_BIT (0x40000000) on amd64: the x32 ABI
	// shares AUDIT_ARCH_X86_64 and is told apart only by this bit in nr.
	// Zero where the ABI has no such alias.
	X32Bit uint32
	// MaxNr is the highest syscall number the caller's table knows.
	// Larger numbers (syscalls newer than the table) get Filter.Unknown.
	MaxNr uint32
}

// BadArchNr returns a syscall number that every compiled filter for a
// answers with its BadArch action without looking at anything else: an x32
// number on amd64 (the x32 check comes right after the arch check). A
// ptrace supervisor that rewrites a stopped call to it makes the kernel,
// which re-runs the filter after a trace stop, apply BadArch: with
// ActKillProcess, the uncatchable SIGSYS of a seccomp kill. ok is false
// where the ABI has no such alias.
func (a Arch) BadArchNr() (nr uint32, ok bool) {
	if a.X32Bit == 0 {
		return 0, false
	}
	return a.X32Bit | unix.SYS_GETPID, true
}

// lastNr is the highest syscall number in golang.org/x/sys v0.50.0's
// zsysnum_linux_amd64.go and zsysnum_linux_arm64.go (SYS_RSEQ_SLICE_YIELD;
// since Linux 5.1 both tables take new syscalls at the same numbers).
const lastNr = 471

// AMD64 is the x86-64 ABI (AUDIT_ARCH_X86_64, x32 alias bit 0x40000000).
var AMD64 = Arch{Name: "amd64", AuditArch: unix.AUDIT_ARCH_X86_64, X32Bit: 0x40000000, MaxNr: lastNr}

// ARM64 is the AArch64 ABI (AUDIT_ARCH_AARCH64). Its 32-bit compat ABI
// (AArch32) reports AUDIT_ARCH_ARM and so fails the arch check.
var ARM64 = Arch{Name: "arm64", AuditArch: unix.AUDIT_ARCH_AARCH64, MaxNr: lastNr}

// archs lists the ABIs this package can build filters for, by GOARCH.
var archs = map[string]Arch{"amd64": AMD64, "arm64": ARM64}

// Native returns the ABI of the running binary, or an Arch with only Name
// set (AuditArch 0, which Compile rejects) on an architecture this package
// has no table for.
func Native() Arch {
	if a, ok := archs[runtime.GOARCH]; ok {
		return a
	}
	return Arch{Name: runtime.GOARCH}
}

// Width is how many bits of a syscall argument a Cond compares. Registers
// are 64 bits wide and seccomp_data.args holds all of them, but a kernel
// parameter declared int or unsigned int only sees the low 32 bits: a
// filter comparing all 64 bits of such an argument could be bypassed (or
// break callers) with garbage in the high half.
type Width uint8

const (
	// Word32 compares the low 32 bits only (the kernel reads an int).
	Word32 Width = iota + 1
	// Word64 compares both halves (pointers, sizes, unsigned long flags).
	Word64
)

// Op is a comparison of a syscall argument with Cond.Val. Orderings are
// unsigned, like the BPF_JGT/BPF_JGE jumps they compile to.
type Op uint8

const (
	Eq       Op = iota + 1 // arg == Val
	Ne                     // arg != Val
	Lt                     // arg < Val
	Le                     // arg <= Val
	Gt                     // arg > Val
	Ge                     // arg >= Val
	MaskedEq               // arg&Mask == Val
	MaskedNe               // arg&Mask != Val
)

var opNames = map[Op]string{Eq: "==", Ne: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=", MaskedEq: "&==", MaskedNe: "&!="}

func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Cond is one test of one syscall argument (seccomp_data.args[Arg], 0..5).
// Mask is used by MaskedEq and MaskedNe only. With Word32, Mask and Val
// are truncated to their low 32 bits too.
type Cond struct {
	Arg   uint8
	Width Width
	Op    Op
	Mask  uint64
	Val   uint64
}

func (c Cond) String() string {
	w := 64
	if c.Width == Word32 {
		w = 32
	}
	if c.Op == MaskedEq || c.Op == MaskedNe {
		return fmt.Sprintf("arg%d/%d&%#x %s %#x", c.Arg, w, c.Mask, c.Op.String()[1:], c.Val)
	}
	return fmt.Sprintf("arg%d/%d %s %#x", c.Arg, w, c.Op, c.Val)
}

// Holds reports whether the condition is true for the argument value arg:
// the plain-Go statement of what the compiled BPF tests.
func (c Cond) Holds(arg uint64) bool {
	a, m, v := arg, c.Mask, c.Val
	if c.Width == Word32 {
		a, m, v = a&0xffffffff, m&0xffffffff, v&0xffffffff
	}
	switch c.Op {
	case Eq:
		return a == v
	case Ne:
		return a != v
	case Lt:
		return a < v
	case Le:
		return a <= v
	case Gt:
		return a > v
	case Ge:
		return a >= v
	case MaskedEq:
		return a&m == v
	case MaskedNe:
		return a&m != v
	}
	return false
}

// effective returns the mask and value actually compared: Eq and Ne
// compare every bit of the width, Word32 drops the high halves.
func (c Cond) effective() (mask, val uint64) {
	mask, val = c.Mask, c.Val
	if c.Op != MaskedEq && c.Op != MaskedNe {
		mask = ^uint64(0)
	}
	if c.Width == Word32 {
		mask &= 0xffffffff
		val &= 0xffffffff
	}
	return mask, val
}

// Action is a raw SECCOMP_RET_* value: the action in the high 16 bits, its
// data (errno, trace message) in the low 16 (SECCOMP_RET_DATA).
type Action uint32

// The actions of include/uapi/linux/seccomp.h. When stacked filters
// disagree the kernel takes the lowest action (as a signed value), so
// KillProcess beats everything and Allow loses to everything.
const (
	// ActKillProcess kills the whole process with SIGSYS, no handler runs
	// (SECCOMP_RET_KILL_PROCESS, Linux 4.14).
	ActKillProcess Action = unix.SECCOMP_RET_KILL_PROCESS
	// ActKillThread kills only the calling thread (SECCOMP_RET_KILL_THREAD).
	ActKillThread Action = unix.SECCOMP_RET_KILL_THREAD
	// ActTrap sends a catchable SIGSYS to the thread (SECCOMP_RET_TRAP).
	ActTrap Action = unix.SECCOMP_RET_TRAP
	// ActLog allows the syscall after logging it (SECCOMP_RET_LOG, 4.14).
	ActLog Action = unix.SECCOMP_RET_LOG
	// ActAllow runs the syscall (SECCOMP_RET_ALLOW); the only action the
	// constant-action cache records.
	ActAllow Action = unix.SECCOMP_RET_ALLOW
	// ActUserNotif suspends the syscall and asks the listener fd's holder
	// (SECCOMP_RET_USER_NOTIF, 5.0); ENOSYS when there is no listener.
	ActUserNotif Action = unix.SECCOMP_RET_USER_NOTIF
)

// ActErrno makes the syscall fail with errno e without running it
// (SECCOMP_RET_ERRNO | e; the kernel caps the data at MAX_ERRNO 4095).
func ActErrno(e syscall.Errno) Action {
	return Action(unix.SECCOMP_RET_ERRNO) | Action(uint32(e)&unix.SECCOMP_RET_DATA)
}

// ActTrace hands the syscall to a ptrace tracer with PTRACE_O_TRACESECCOMP,
// which reads data with PTRACE_GETEVENTMSG (SECCOMP_RET_TRACE); ENOSYS
// when no tracer is attached.
func ActTrace(data uint16) Action { return Action(unix.SECCOMP_RET_TRACE) | Action(data) }

// actionNames names the action part (SECCOMP_RET_ACTION_FULL) of an Action.
var actionNames = map[Action]string{
	ActKillProcess: "KILL_PROCESS",
	ActKillThread:  "KILL_THREAD",
	ActTrap:        "TRAP",
	ActErrno(0):    "ERRNO",
	ActUserNotif:   "USER_NOTIF",
	ActTrace(0):    "TRACE",
	ActLog:         "LOG",
	ActAllow:       "ALLOW",
}

// String names the action the way the kernel headers do, with its data:
// "ALLOW", "KILL_PROCESS", "ERRNO(EPERM)", "TRACE(7)".
func (a Action) String() string {
	kind := a & unix.SECCOMP_RET_ACTION_FULL
	data := uint32(a & unix.SECCOMP_RET_DATA)
	name, ok := actionNames[kind]
	switch {
	case !ok:
		return fmt.Sprintf("Action(%#x)", uint32(a))
	case kind == ActErrno(0):
		if n := unix.ErrnoName(syscall.Errno(data)); n != "" {
			return name + "(" + n + ")"
		}
		return fmt.Sprintf("%s(%d)", name, data)
	case data != 0:
		return fmt.Sprintf("%s(%d)", name, data)
	}
	return name
}

// Rule says: when syscall Nr is called and every Cond holds, the filter
// returns Action. A Rule without Conds is unconditional; the compiled
// program reaches its return without loading any argument.
type Rule struct {
	Nr     uint32
	Conds  []Cond
	Action Action
}

// Filter is a whole seccomp filter as data. Rules for the same Nr are tried
// in the order given and the first whose Conds all hold decides; an
// unconditional rule ends the list for its Nr. When none matches, a known
// number gets Default.
type Filter struct {
	Arch  Arch
	Rules []Rule
	// Default is the action for numbers <= Arch.MaxNr without a matching rule.
	Default Action
	// Unknown is the action for numbers above Arch.MaxNr: syscalls newer
	// than the caller's table, normally ActErrno(ENOSYS) so that libc
	// falls back to an older call the table knows.
	Unknown Action
	// BadArch is the action for a foreign seccomp_data.arch and for x32
	// numbers (nr >= Arch.X32Bit), whose numbering the table does not
	// describe.
	BadArch Action
	// Hot are syscall numbers whose argument checks the program reaches
	// first, with one comparison each right after the number is loaded,
	// before the search tree: the calls a program makes most that the
	// constant-action cache cannot serve (their rules test arguments),
	// hottest first (gVisor's HotSyscalls). Numbers without argument
	// checks are ignored: the cache serves them without running the
	// program. Each costs every other uncached call one instruction.
	Hot []uint32
}

// Data is struct seccomp_data, what a filter sees of a syscall: nr at
// offset 0, arch at 4, instruction_pointer at 8, args[i] at 16+8*i.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// Decide is the plain-Go statement of the filter's semantics: the action
// the compiled program returns for d. Tests compare it with Program.Run.
func (f *Filter) Decide(d Data) Action {
	nr := uint32(d.Nr)
	switch {
	case d.Arch != f.Arch.AuditArch:
		return f.BadArch
	case f.Arch.X32Bit != 0 && nr >= f.Arch.X32Bit:
		return f.BadArch
	case nr > f.Arch.MaxNr:
		return f.Unknown
	}
	for _, r := range f.Rules {
		if r.Nr != nr {
			continue
		}
		all := true
		for _, c := range r.Conds {
			all = all && c.Holds(d.Args[c.Arg])
		}
		if all {
			return r.Action
		}
	}
	return f.Default
}

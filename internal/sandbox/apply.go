package sandbox

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
	"golang.org/x/sys/unix"
)

// Sandbox is what Apply does to a stopped, single-threaded tracee, in this
// order: no_new_privs, the Landlock domain, closing descriptors, resource
// limits, priority, the seccomp filter. The order is the kernel's:
// landlock_restrict_self(2) and seccomp(2) need no_new_privs (or
// CAP_SYS_ADMIN); Landlock needs its rule descriptors open; limits come
// after the calls that need fds (RLIMIT_NOFILE); the filter comes last so
// that it does not judge the set-up calls. Limits and priority are set by
// the tracee on itself: prlimit(2) and setpriority(2) on another process
// need matching ids or CAP_SYS_RESOURCE/CAP_SYS_NICE, which the tracer
// may lack once the tracee runs as another user.
type Sandbox struct {
	// Landlock, when set, is enforced with landlock_create_ruleset,
	// landlock_add_rule for each rule and landlock_restrict_self; its
	// rule fds must be open in the TRACEE (inherited from the
	// supervisor) under the same numbers, and they and the ruleset fd
	// are closed afterwards in the tracee.
	Landlock *landlock.Domain
	// Ruleset, when set, is the number in the tracee of a Landlock
	// ruleset the supervisor built (landlock.Domain.Ruleset), enforced
	// with landlock_restrict_self(*Ruleset, RulesetFlags) alone and then
	// closed: one call instead of one per rule. Not with Landlock.
	Ruleset      *int
	RulesetFlags uint32
	// CloseFrom, when > 0, closes every descriptor >= CloseFrom with
	// close_range(CloseFrom, ~0U, 0) after Landlock (which needs its fds).
	CloseFrom int
	// Rlimits are set with prlimit64(0, resource, &limit, NULL).
	Rlimits []Rlimit
	// Nice, when non-zero, is set with setpriority(PRIO_PROCESS, 0, Nice).
	Nice int
	// Filter, when set, is loaded with seccomp(SECCOMP_SET_MODE_FILTER,
	// FilterFlags, &sock_fprog). TSYNC is not needed at an exec stop: the
	// process has one thread.
	Filter      []unix.SockFilter
	FilterFlags uint
}

// Rlimit is one resource limit (RLIMIT_*, struct rlimit64).
type Rlimit struct {
	Resource int
	Cur, Max uint64
}

// Inject applies sb to pid, a stopped single-threaded tracee (see
// supervise.Injector for the stops that allow it), and puts its registers
// and memory back; see Sandbox for the order. The first failing call ends
// it with an error naming the call (and the path for a rule) and wrapping
// the errno; the tracee is then partly sandboxed, and the caller must kill
// it (supervise.Config.Setup's and Exec's errors do).
func Inject(pid int, sb *Sandbox) error {
	in, err := supervise.NewInjector(pid)
	if err != nil {
		return err
	}
	if err := apply(in, sb); err != nil {
		return err
	}
	return in.Restore()
}

func apply(in *supervise.Injector, sb *Sandbox) error {
	if _, err := in.Syscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if sb.Landlock != nil {
		if err := injectLandlock(in, sb.Landlock); err != nil {
			return err
		}
	}
	if sb.Ruleset != nil {
		fd := uint64(*sb.Ruleset)
		if _, err := in.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, uint64(sb.RulesetFlags)); err != nil {
			return fmt.Errorf("landlock_restrict_self(%#x): %w", sb.RulesetFlags, err)
		}
		if _, err := in.Syscall(unix.SYS_CLOSE, fd); err != nil {
			return fmt.Errorf("close(%d): %w", fd, err)
		}
	}
	if sb.CloseFrom > 0 {
		if _, err := in.Syscall(unix.SYS_CLOSE_RANGE, uint64(sb.CloseFrom), uint64(^uint32(0)), 0); err != nil {
			return fmt.Errorf("close_range(%d, ~0U): %w", sb.CloseFrom, err)
		}
	}
	for _, r := range sb.Rlimits {
		var lim [16]byte
		binary.LittleEndian.PutUint64(lim[0:], r.Cur)
		binary.LittleEndian.PutUint64(lim[8:], r.Max)
		addr, err := in.Stage(lim[:])
		if err != nil {
			return err
		}
		if _, err := in.Syscall(unix.SYS_PRLIMIT64, 0, uint64(r.Resource), addr, 0); err != nil {
			return fmt.Errorf("prlimit64(%d, {%d, %d}): %w", r.Resource, r.Cur, r.Max, err)
		}
	}
	if sb.Nice != 0 {
		if _, err := in.Syscall(unix.SYS_SETPRIORITY, unix.PRIO_PROCESS, 0, uint64(int64(sb.Nice))); err != nil {
			return fmt.Errorf("setpriority(PRIO_PROCESS, 0, %d): %w", sb.Nice, err)
		}
	}
	if sb.Filter != nil {
		if err := injectFilter(in, sb.Filter, sb.FilterFlags); err != nil {
			return err
		}
	}
	return nil
}

func injectLandlock(in *supervise.Injector, l *landlock.Domain) error {
	addr, err := in.Stage(l.Attr.KernelAttr())
	if err != nil {
		return err
	}
	rfd, err := in.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, addr, uint64(len(l.Attr.KernelAttr())), 0)
	if err != nil {
		return fmt.Errorf("landlock_create_ruleset(fs=%#x net=%#x scoped=%#x): %w",
			l.Attr.HandledAccessFS, l.Attr.HandledAccessNet, l.Attr.Scoped, err)
	}
	// One staging area for all the rules: one write instead of one each.
	const stride = 16 // keeps every struct 8-byte aligned
	buf := make([]byte, stride*len(l.Rules))
	for i, r := range l.Rules {
		copy(buf[stride*i:], r.KernelAttr())
	}
	base, err := in.Stage(buf)
	if err != nil {
		return err
	}
	for i, r := range l.Rules {
		_, err := in.Syscall(unix.SYS_LANDLOCK_ADD_RULE, rfd, unix.LANDLOCK_RULE_PATH_BENEATH, base+stride*uint64(i), 0)
		if err != nil {
			return fmt.Errorf("landlock_add_rule(PATH_BENEATH, %#x) %s: %w", r.Access, r.Path, err)
		}
	}
	if _, err := in.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, rfd, uint64(l.RestrictFlags)); err != nil {
		return fmt.Errorf("landlock_restrict_self(%#x): %w", l.RestrictFlags, err)
	}
	fds := []int{int(rfd)}
	for _, r := range l.Rules {
		fds = append(fds, r.Fd)
	}
	for _, run := range fdRuns(fds) {
		if _, err := in.Syscall(unix.SYS_CLOSE_RANGE, uint64(run[0]), uint64(run[1]), 0); err != nil {
			return fmt.Errorf("close_range(%d, %d): %w", run[0], run[1], err)
		}
	}
	return nil
}

// fdRuns groups fds into runs of consecutive numbers [first, last], so that
// closing them takes one close_range per run and touches no other fd.
func fdRuns(fds []int) [][2]int {
	fds = slices.Clone(fds)
	slices.Sort(fds)
	fds = slices.Compact(fds)
	var runs [][2]int
	for _, fd := range fds {
		if n := len(runs); n > 0 && runs[n-1][1]+1 == fd {
			runs[n-1][1] = fd
			continue
		}
		runs = append(runs, [2]int{fd, fd})
	}
	return runs
}

func injectFilter(in *supervise.Injector, prog []unix.SockFilter, flags uint) error {
	code := unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(prog)*int(unsafe.Sizeof(prog[0])))
	paddr, err := in.Stage(code)
	if err != nil {
		return err
	}
	// struct sock_fprog: unsigned short len; (6 bytes padding) struct
	// sock_filter *filter.
	var fprog [16]byte
	binary.LittleEndian.PutUint16(fprog[0:], uint16(len(prog)))
	binary.LittleEndian.PutUint64(fprog[8:], paddr)
	faddr, err := in.Stage(fprog[:])
	if err != nil {
		return err
	}
	if _, err := in.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uint64(flags), faddr); err != nil {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, %#x) of %d instructions: %w", flags, len(prog), err)
	}
	return nil
}

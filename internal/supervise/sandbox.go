package supervise

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

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
	// landlock_add_rule for each rule and landlock_restrict_self; the
	// ruleset fd and the rule fds are closed afterwards in the tracee.
	Landlock *Landlock
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

// Landlock is a ruleset to enforce on the tracee.
type Landlock struct {
	// Attr is struct landlock_ruleset_attr; AttrSize how many of its
	// bytes to pass (the kernel refuses non-zero fields it does not know
	// with E2BIG, and accepts a longer struct whose tail is zero).
	Attr     unix.LandlockRulesetAttr
	AttrSize uintptr
	// Rules are LANDLOCK_RULE_PATH_BENEATH rules on descriptors that are
	// open in the TRACEE (e.g. inherited from the supervisor), already
	// masked to what the kernel accepts (landlock_add_rule(2) refuses
	// rights the ruleset does not handle and directory rights on a
	// non-directory with EINVAL, and an empty access with ENOMSG).
	Rules []PathBeneath
	// RestrictFlags are landlock_restrict_self(2)'s flags: the
	// LANDLOCK_RESTRICT_SELF_LOG_* audit bits (ABI 7, Linux 6.15), e.g.
	// LOG_NEW_EXEC_ON so that programs exec'd later log their denials too
	// (by default only the executable that created the domain does). The
	// kernel refuses flags it does not know with EINVAL: mask them to the
	// running ABI (landlock.RestrictFlags).
	RestrictFlags uint32
}

// Rlimit is one resource limit (RLIMIT_*, struct rlimit64).
type Rlimit struct {
	Resource int
	Cur, Max uint64
}

// PathBeneath is struct landlock_path_beneath_attr.
type PathBeneath struct {
	Access uint64 // allowed_access: LANDLOCK_ACCESS_FS_* rights
	Fd     int    // parent_fd, in the tracee
	Path   string // for error messages
}

// pathBeneathSize is sizeof(struct landlock_path_beneath_attr): it is
// __attribute__((packed)), __u64 then __s32 (include/uapi/linux/landlock.h).
const pathBeneathSize = 12

// Apply applies sb to the tracee; see Sandbox for the order. The first
// failing call ends it with an error naming the call (and the path for a
// rule) and wrapping the errno; the tracee is then partly sandboxed, and
// the caller must kill it (Config.Setup's error does).
func (in *Injector) Apply(sb *Sandbox) error {
	if _, err := in.Syscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if sb.Landlock != nil {
		if err := in.landlock(sb.Landlock); err != nil {
			return err
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
		if err := in.loadFilter(sb.Filter, sb.FilterFlags); err != nil {
			return err
		}
	}
	return nil
}

func (in *Injector) landlock(l *Landlock) error {
	attr := unsafe.Slice((*byte)(unsafe.Pointer(&l.Attr)), unsafe.Sizeof(l.Attr))[:l.AttrSize]
	addr, err := in.Stage(attr)
	if err != nil {
		return err
	}
	rfd, err := in.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, addr, uint64(l.AttrSize), 0)
	if err != nil {
		return fmt.Errorf("landlock_create_ruleset(fs=%#x net=%#x scoped=%#x): %w",
			l.Attr.Handled_access_fs, l.Attr.Handled_access_net, l.Attr.Scoped, err)
	}
	// One staging area for all the rules: one write instead of one each.
	buf := make([]byte, 16*len(l.Rules))
	for i, r := range l.Rules {
		binary.LittleEndian.PutUint64(buf[16*i:], r.Access)
		binary.LittleEndian.PutUint32(buf[16*i+8:], uint32(int32(r.Fd)))
	}
	base, err := in.Stage(buf)
	if err != nil {
		return err
	}
	for i, r := range l.Rules {
		_, err := in.Syscall(unix.SYS_LANDLOCK_ADD_RULE, rfd, unix.LANDLOCK_RULE_PATH_BENEATH, base+16*uint64(i), 0)
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

func (in *Injector) loadFilter(prog []unix.SockFilter, flags uint) error {
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

package pledge

import (
	"fmt"
	"strings"
)

// The declarations every platform shares (pledge.go and unveil.go on
// Linux, pledge_nolinux.go elsewhere implement them), so that a ported
// program builds everywhere without build tags of its own.

// Environment switches that make violations findable while porting a
// program. They are read by every Pledge call, so a program can be run under
// them without being rebuilt.
const (
	// EnvLog, when set to "1", loads every filter with
	// SECCOMP_FILTER_FLAG_LOG: the kernel then writes an audit record
	// (type=1326 SECCOMP, visible in dmesg or the audit log) for every
	// syscall the filter does not allow, with the syscall number and the
	// action, including the ones that only return an errno under "error".
	// Without the flag the kernel logs only the kills.
	EnvLog = "LANDPLEDGE_LOG"
	// EnvErrno, when set to an errno name such as "EPERM", makes a violating
	// call return that errno instead of killing the process (and instead of
	// ENOSYS under "error"). The call is still denied; only the penalty
	// changes, so a program being ported runs on and reports which call
	// failed. Syscalls that return ENOSYS in every mode (unknown numbers,
	// clone3, openat2) keep ENOSYS so libc keeps falling back.
	EnvErrno = "LANDPLEDGE_ERRNO"
)

// EnvBestEffort, when set to "1" in the environment at program start,
// turns best effort on (see SetBestEffort) without a code change.
const EnvBestEffort = "LANDPLEDGE_BEST_EFFORT"

// EnvUnveilStrict, set to "1", makes an Unveil that would not be enforced
// until a later commit (see Unveil) fail with EPERM instead of warning.
const EnvUnveilStrict = "LANDPLEDGE_UNVEIL_STRICT"

// EnvExecSupervisor, set to a pid in the environment of a program that
// imports this package, makes the package's init run the exec supervisor
// for that process instead of the program (and exit). Pledge sets it when
// it re-executes the program as the supervisor; the init functions of the
// packages this one imports have run by then, the program's own have not.
const EnvExecSupervisor = "LANDPLEDGE_EXEC_SUPERVISOR" // sandbox.EnvExecSupervisor (TestEnvNames)

// State is the pledge state of this process as recorded by this package.
// On OpenBSD it is what the kernel accepted: Promises and Execpromises as
// pledged (under "error" an addition is dropped, as the kernel drops it),
// and the Linux mechanics (Filters, ExecSupervisor, PathLayer, Layers)
// zero. Elsewhere, with best effort on, it is what was asked, ExecErr is
// set when "exec" was promised, and nothing is enforced (Enforced).
type State struct {
	// Pledged is true once a Pledge call with non-nil promises succeeded.
	Pledged bool
	// Promises is the set in force (meaningful only when Pledged).
	Promises Promises
	// ExecSet is true once execpromises were set (Pledge or
	// PledgeExecpromises); Execpromises is the set then.
	ExecSet      bool
	Execpromises Promises
	// Filters is the number of seccomp filters this package has stacked.
	Filters int
	// ExecSupervisor is the pid of the supervisor that runs the programs
	// this process executes as OpenBSD does (see Pledge): unpledged
	// without execpromises, under exactly Execpromises with them; 0 when
	// none runs.
	ExecSupervisor int
	// ExecErr is why "exec" is held without that supervisor, so that
	// exec'd programs keep Promises: it could not start and best effort
	// is on, this architecture has none (errors.Is(err, unix.ENOSYS)), or
	// the process is traced already (errors.Is(err, unix.EPERM); see
	// Pledge); nil otherwise.
	ExecErr error
	// PathLayer is true when a path layer (Landlock) decides the path
	// promises: OpenBSD's named paths (/dev/null, /etc/localtime, tty,
	// getpw, dns, tmppath files) open by name, and other opens that the
	// flags allow fail with EACCES by path. False without Landlock (or
	// when the layer could not be stacked, PathErr): opens are then
	// decided by their flags alone and the named paths need rpath/wpath.
	PathLayer bool
	// PathErr is why the last pledge has no path layer, nil when it has.
	PathErr error
	// Layers is the number of Landlock layers this package has enforced
	// (the veil and the path layers; the kernel allows 16 in all,
	// inherited ones included).
	Layers int
}

// NotEnforcedError is Pledge's error when the environment kept part of a
// pledge from being enforced (no /proc for the exec supervisor, ptrace
// refused, the veil's Landlock domain refused): Pledge then enforced the
// rest and dropped what it could not enforce, so the process is never less
// restricted than it asked. Errs say what was dropped and why; errors.Is
// sees their causes.
type NotEnforcedError struct {
	Promises string   // as asked
	Enforced Promises // the promises in force now
	Errs     []error
}

func (e *NotEnforcedError) Error() string {
	msg := fmt.Sprintf("pledge %q: enforced as %q:", e.Promises, e.Enforced.String())
	for _, err := range e.Errs {
		msg += " " + err.Error() + ";"
	}
	return strings.TrimSuffix(msg, ";")
}

func (e *NotEnforcedError) Unwrap() []error { return e.Errs }

//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// state is process-wide, like the kernel's: every goroutine sees one set of
// promises, and pledges are serialized so that the subset checks and the
// filter loads happen in the same order.
var (
	mu    sync.Mutex
	state State
	// loaded is the full filter the current promises compile to: later
	// pledges stack only what differs from it (see stackFilter).
	loaded *seccomp.Filter
)

// CurrentState returns the promises and execpromises in force, and whether
// an exec supervisor enforces the execpromises (see Pledge).
func CurrentState() State {
	mu.Lock()
	defer mu.Unlock()
	return state
}

// Pledge restricts the process to promises, as OpenBSD's pledge(2) with both
// arguments non-NULL (golang.org/x/sys/unix semantics: "" is the empty set,
// not NULL).
//
// Both strings are parsed first (EINVAL for an unknown word or a leading
// space, ENAMETOOLONG beyond 1023 bytes). Promises may only shrink: adding one
// returns EPERM, except under "error", where the addition is silently dropped.
// execpromises, once set, may only shrink too (EPERM even under "error").
//
// The first pledge whose promises lack "unveil" commits and locks the unveil
// state before the filter is loaded. The filter is a seccomp-BPF program
// installed on every thread (SECCOMP_FILTER_FLAG_TSYNC) after setting
// no_new_privs; a later pledge stacks a narrower filter, since a seccomp
// filter cannot be removed. A syscall the promises do not allow kills the
// process with SECCOMP_RET_KILL_PROCESS (wait status: killed by SIGSYS; no
// handler runs), or returns ENOSYS under "error".
//
// Exec and execpromises, as on OpenBSD: when promises hold "exec", the
// first such Pledge starts an exec supervisor (this program re-executed,
// EnvExecSupervisor; the init functions of this package's dependencies
// run in it, the program's own do not), which traces this process with
// ptrace and runs every program this process or its descendants execute
// in a fresh process of its own, outside this process's filters and veil:
// without execpromises (PledgePromises) unpledged and unveiled, with them
// under exactly them, even where they exceed promises, with this
// process's veil; the loader of such a program gets a window for its own
// files until its ELF entry point. The process that exec'd stands in for
// the program (same pid for its parent; it holds no descriptor, passes on
// its signals and ends as the program ends); the program's pid is another
// (COMPAT.md). This process and the ones it forks keep exactly promises.
// If the supervisor dies, every process it traces and every program it
// started are killed. The supervisor must start before any filter or veil
// is enforced (the first Pledge, or Unveil calls not yet committed):
// otherwise, or when ptrace is refused (Yama), Pledge drops "exec" and
// returns a *NotEnforcedError, unless best effort is on (SetBestEffort,
// EnvBestEffort); then exec'd programs keep promises and
// CurrentState().ExecErr says why. A process traced already (by the
// pledge command, a debugger, or the supervisor that runs it under
// execpromises) keeps "exec" without execpromises, its exec'd programs
// staying within its promises and its tracer's rules (ExecErr and one
// line on stderr say so), and drops it with execpromises. Only amd64 has
// the supervisor; elsewhere ExecErr is set and exec'd programs keep
// promises. See exec.go and docs/supervisor.md.
func Pledge(promises, execpromises string) error {
	return pledge(&promises, &execpromises)
}

// PledgePromises is Pledge with execpromises NULL: execpromises are left as
// they are.
func PledgePromises(promises string) error {
	return pledge(&promises, nil)
}

// PledgeExecpromises is Pledge with promises NULL: the promises in force are
// left as they are and no filter is loaded; only the execpromises change.
func PledgeExecpromises(execpromises string) error {
	return pledge(nil, &execpromises)
}

func pledge(promises, execpromises *string) error {
	// OpenBSD parses both strings before looking at the current state.
	want, wantExec, err := parseBoth(promises, execpromises)
	if err != nil {
		return err
	}
	violation, flags, err := fromEnv()
	if err != nil {
		return err
	}

	mu.Lock()
	defer mu.Unlock()

	if promises == nil && execpromises != nil && errors.Is(state.ExecErr, errTraced) && state.Promises.Has(promise.Exec) {
		// Traced, "exec" kept without execpromises (exec.go): setting
		// them drops "exec", with a pledge of the promises in force.
		cur := state.Promises.String()
		promises, want = &cur, state.Promises
	}
	if promises != nil && state.Pledged {
		if extra := want &^ state.Promises; extra != 0 {
			if !state.Promises.Has(promise.Error) {
				return fmt.Errorf("pledge %q: promise %q not in current %q: %w",
					*promises, extra.String(), state.Promises.String(), unix.EPERM)
			}
			// Under "error" OpenBSD masks the request to what is held.
			want &= state.Promises
		}
	}
	if execpromises != nil && state.ExecSet {
		if extra := wantExec &^ state.Execpromises; extra != 0 {
			return fmt.Errorf("pledge execpromises %q: promise %q not in current %q: %w",
				*execpromises, extra.String(), state.Execpromises.String(), unix.EPERM)
		}
	}

	if promises != nil && !haveFilter && !UnveilStatus().BestEffort {
		// No promise table here (arch_linux.go): fail before any change.
		return fmt.Errorf("pledge %q: %w", *promises, errNoFilter)
	}
	if promises != nil && state.Filters == 0 {
		// UnveilStatus (also read by ensureSupervisor) asks the kernel for
		// the Landlock ABI once: ask while the filter still allows it.
		UnveilStatus()
	}
	execSet, exec := state.ExecSet, state.Execpromises
	if execpromises != nil {
		execSet, exec = true, wantExec
	}
	// From here on a failure is the environment's, not the arguments':
	// never leave the process less restricted than it asked. What cannot
	// be enforced is dropped from the promises, the rest is enforced, and
	// the error says what was dropped (notEnforced).
	var dropped []error
	if promises != nil {
		// The exec supervisor starts before any filter or veil.
		if err := ensureSupervisor(want); errors.Is(err, errTraced) {
			var why error
			if want, why = tracedExec(want, execSet, err); why != nil {
				dropped = append(dropped, why)
			}
		} else if err != nil {
			if !UnveilStatus().BestEffort {
				want &^= promise.Exec
				dropped = append(dropped, fmt.Errorf("promise \"exec\" dropped (exec'd programs could not be supervised): %w", err))
			} else {
				// Best effort: exec'd programs keep the promises, without a
				// loader window; CurrentState().ExecErr says why.
				state.ExecErr = err
			}
		}
		if !want.Has(promise.Unveil) {
			// The veil must be in force before the filter takes the
			// Landlock syscalls away. The named paths of this pledge
			// bypass it, as on OpenBSD.
			if err := commitVeil(namedRules(want, ^uint64(0))...); err != nil {
				want &^= pathPromises
				dropped = append(dropped, fmt.Errorf("the path promises dropped (the veil could not be enforced): %w", err))
			}
		}
		pathLayer, err := applyPathLayer(want)
		if err != nil {
			dropped = append(dropped, fmt.Errorf("opens are decided by their flags, not by path (no path layer): %w", err))
		}
		sent := want
		if err := tellSupervisor(&sent, pathLayer, exec, execSet, violation, flags); err != nil {
			return fmt.Errorf("pledge %q: %w", *promises, err)
		}
		if err := stackFilter(want, violation, flags, pathLayer); err != nil {
			return fmt.Errorf("pledge %q: %w", *promises, err)
		}
		state.PathLayer = pathLayer
		state.Pledged = true
		state.Promises = want
	} else if err := tellSupervisor(nil, false, exec, execSet, violation, flags); err != nil {
		return err
	}
	if execpromises != nil {
		state.ExecSet = true
		state.Execpromises = wantExec
	}
	if len(dropped) > 0 {
		return &NotEnforcedError{Promises: *promises, Enforced: want, Errs: dropped}
	}
	return nil
}

// pathPromises are the promises that open, create or execute files: without
// the veil they were given with, none of them may stay (OpenBSD: dropping
// every one of them also clears the unveil state).
const pathPromises = promise.Rpath | promise.Wpath | promise.Cpath | promise.Dpath |
	promise.Tmppath | promise.Exec | promise.Unix | promise.Unveil

// fromEnv reads EnvErrno and EnvLog: the violation action to pass to
// promise.BuildFilter (zero lets it choose: kill, or ENOSYS under "error") and extra
// seccomp(2) flags.
func fromEnv() (seccomp.Action, uint, error) {
	var violation seccomp.Action
	if name := os.Getenv(EnvErrno); name != "" {
		e := errnoByName(name)
		if e == 0 {
			return 0, 0, fmt.Errorf("pledge: %s=%q is not an errno name: %w", EnvErrno, name, unix.EINVAL)
		}
		violation = seccomp.ActErrno(e)
	}
	var flags uint
	if os.Getenv(EnvLog) == "1" {
		flags |= seccomp.FlagLog
	}
	return violation, flags, nil
}

// errnoByName maps "EPERM" to unix.EPERM using x/sys's errno name table
// (which has no reverse lookup).
func errnoByName(name string) syscall.Errno {
	name = strings.ToUpper(name)
	for e := syscall.Errno(1); e < 256; e++ {
		if unix.ErrnoName(e) == name {
			return e
		}
	}
	return 0
}

// stackFilter builds the filter for p and loads it on every thread. The
// kernel runs every stacked filter and keeps the most severe result, so a
// later filter only has to decide the syscalls on which p differs from the
// filter already loaded; for all others it may allow, leaving the decision
// to the earlier filter. That keeps each added filter small (the kernel
// allows 32768 instructions over the whole stack).
func stackFilter(p Promises, violation seccomp.Action, flags uint, pathLayer bool) error {
	if !haveFilter {
		return nil // best effort (pledge checked): no filter to load
	}
	opts := promise.FilterOptions{Violation: violation, PathLayer: pathLayer}
	if sup != nil {
		// The exec supervisor decides the loader operations: for this
		// process as the filter would without them, for exec'd images
		// in their loader window.
		opts = sandbox.Policy{Promises: p, Violation: violation, Flags: flags, PathLayer: pathLayer}.FilterOptions(0)
	}
	full, err := promise.BuildFilter(seccomp.Native(), p, opts)
	if err != nil {
		return err
	}
	f := full
	if loaded != nil {
		f = deltaFilter(loaded, full)
	}
	prog, err := f.Compile()
	if err != nil {
		return fmt.Errorf("compile filter for %q: %w", p.String(), err)
	}
	if _, err := seccomp.Load(prog, seccomp.FlagTSync|flags); err != nil {
		return fmt.Errorf("load filter for %q: %w", p.String(), err)
	}
	loaded = full
	state.Filters++
	return nil
}

// deltaFilter returns a filter that, stacked on a loaded filter compiled
// from old, gives the same results as stacking next itself, with rules only
// for the syscalls whose rules differ. When the default, unknown or
// foreign-arch actions differ (e.g. "error" was dropped, so denials now
// kill), every syscall is affected and next is returned whole.
func deltaFilter(old, next *seccomp.Filter) *seccomp.Filter {
	if old.Arch != next.Arch || old.Default != next.Default ||
		old.Unknown != next.Unknown || old.BadArch != next.BadArch {
		return next
	}
	oldRules, nextRules := rulesByNr(old.Rules), rulesByNr(next.Rules)
	delta := &seccomp.Filter{
		Arch:    next.Arch,
		Default: seccomp.ActAllow,
		Unknown: seccomp.ActAllow,
		BadArch: seccomp.ActAllow,
		// The hot checks first in the delta too (Compile keeps only those
		// of numbers the delta has rules for).
		Hot: next.Hot,
	}
	for _, nr := range nrsInOrder(old.Rules, next.Rules) {
		rules := nextRules[nr]
		if reflect.DeepEqual(rules, oldRules[nr]) {
			continue
		}
		delta.Rules = append(delta.Rules, rules...)
		// Where next's rules fall through, next applies its default; the
		// delta's default is ALLOW, so say it explicitly.
		if len(rules) == 0 || len(rules[len(rules)-1].Conds) != 0 {
			delta.Rules = append(delta.Rules, seccomp.Rule{Nr: nr, Action: next.Default})
		}
	}
	return delta
}

func rulesByNr(rules []seccomp.Rule) map[uint32][]seccomp.Rule {
	m := make(map[uint32][]seccomp.Rule)
	for _, r := range rules {
		m[r.Nr] = append(m[r.Nr], r)
	}
	return m
}

// nrsInOrder lists each syscall number of a and b once, in first-seen order,
// so the delta filter is deterministic.
func nrsInOrder(a, b []seccomp.Rule) []uint32 {
	seen := make(map[uint32]bool)
	var nrs []uint32
	for _, rules := range [][]seccomp.Rule{a, b} {
		for _, r := range rules {
			if !seen[r.Nr] {
				seen[r.Nr] = true
				nrs = append(nrs, r.Nr)
			}
		}
	}
	return nrs
}

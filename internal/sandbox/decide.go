package sandbox

import (
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// Proc is what the supervisor knows of one supervised process: the filters
// it holds, oldest first, and the files its current image's loader may
// open and map as code before the entry point.
type Proc struct {
	Layers []Layer
	Image  *Image
	// exec is what the images it execs get (the exec supervisor's
	// broker): nil runs them unpledged.
	exec *execRule
}

// Decider answers the seccomp stops of a supervisor (supervise.Config's
// Seccomp) from the kernel's account of each call and the supervisor's own
// state, never from a trace tag or the tracee's memory:
//
//  1. the call's arch must be the native one (the filters kill every other,
//     so a stop from another arch is not ours: kill);
//  2. the process's layers are run on the call in user space, as the
//     kernel runs a filter stack (stack);
//  3. a loader operation while the process is starting is granted when it
//     touches only the image's own files (Image.grant), otherwise the
//     layers answer it as they do after start-up;
//  4. the answer is the action: ALLOW runs the call (the stop was another
//     filter's), a violation goes to OnViolation, ERRNO fails the call, and
//     anything else kills.
type Decider struct {
	Arch seccomp.Arch
	// Proc finds the Proc of a stop's supervise Data; nil kills.
	Proc func(data any) *Proc
	// OnViolation is told of a call outside the promises (the filter's
	// violation action, Policy.Report) and returns Deny or Kill; nil
	// denies.
	OnViolation func(st *supervise.Stop) supervise.Verdict
	// OnLayerDenied is told of an open the path layer refused (EACCES)
	// that the filter traced for it (Policy.Report) and returns Deny (the
	// EACCES stays) or Kill; nil leaves the EACCES.
	OnLayerDenied func(st *supervise.Stop) supervise.Verdict

	mu    sync.Mutex
	named map[promise.Set]*namedReads // by promise set, resolved once
}

// Seccomp decides one stop.
func (d *Decider) Seccomp(st *supervise.Stop) supervise.Decision {
	kill := supervise.Decision{Verdict: supervise.Kill}
	proc := d.Proc(st.Data)
	if proc == nil || st.Info.Arch != d.Arch.AuditArch {
		return kill
	}
	data := seccomp.Data{Nr: int32(st.Info.Nr), Arch: st.Info.Arch, IP: st.Info.IP, Args: st.Info.Args}
	if stack(proc.Layers, data, loaded) == actLoader {
		if dec, ok := d.loaderOp(proc, st); ok {
			return dec
		}
	}
	return d.plainAnswer(proc, st)
}

// plainAnswer is what the process's filters answer without the loader
// tags: the answer once no window grants anything.
func (d *Decider) plainAnswer(proc *Proc, st *supervise.Stop) supervise.Decision {
	data := seccomp.Data{Nr: int32(st.Info.Nr), Arch: st.Info.Arch, IP: st.Info.IP, Args: st.Info.Args}
	act := stack(proc.Layers, data, loaded)
	if act == actLoader {
		act = stack(proc.Layers, data, plain)
	}
	dec := d.answer(act, st)
	killNr := d.killNr(proc.Layers)
	if dec.Verdict == supervise.Kill {
		dec.KillNr = killNr
	}
	if at := dec.AtExit; at != nil {
		dec.AtExit = func(pid int, rval int64) supervise.Decision {
			r := at(pid, rval)
			if r.Verdict == supervise.Kill {
				r.KillNr = killNr
			}
			return r
		}
	}
	return dec
}

// loaderOp decides a loader operation the filters traced: an open runs
// and its descriptor is checked (the image's own files while starting,
// the named paths a path layer leaves to the supervisor); the other
// operations only while starting (Image.grant). ok is false when nothing
// grants it.
func (d *Decider) loaderOp(proc *Proc, st *supervise.Stop) (supervise.Decision, bool) {
	img := proc.Image
	if !st.Starting {
		img = nil
	}
	switch promise.SyscallName(d.Arch, uint32(st.Info.Nr)) {
	case "open", "openat":
		named := d.namedReads(proc)
		if img == nil && named == nil {
			return supervise.Decision{}, false
		}
		check := func(pid int, rval int64) supervise.Decision {
			if rval < 0 {
				return supervise.Decision{Verdict: supervise.Allow} // nothing was opened
			}
			p, f := strconv.Itoa(pid), strconv.FormatInt(rval, 10)
			switch {
			case img != nil && img.hasFd(p, f), named != nil && named.has(p, f):
				return supervise.Decision{Verdict: supervise.Allow}
			case st.Starting:
				// EACCES, as Landlock answers: ld.so tries its next
				// candidate (other errnos end its search).
				return supervise.Decision{Verdict: supervise.Deny, Errno: unix.EACCES}
			}
			return d.plainAnswer(proc, st)
		}
		return supervise.Decision{Verdict: supervise.Allow, AtExit: check}, true
	}
	if img != nil {
		return img.grant(d.Arch, st)
	}
	return supervise.Decision{}, false
}

// namedReads are the named paths the supervisor gives reads of, when path
// layers are in force but do not decide reads (promise.PathLayerHandles):
// those of the promises every layer holds. nil when there are none.
func (d *Decider) namedReads(proc *Proc) *namedReads {
	all, layered := promise.All, false
	for _, l := range proc.Layers {
		all &= l.Promises
		layered = layered || l.PathLayer
	}
	if !layered || len(proc.Layers) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.named[all]; ok {
		return n
	}
	if d.named == nil {
		d.named = map[promise.Set]*namedReads{}
	}
	n := namedReadsOf(all)
	d.named[all] = n
	return n
}

func loaded(l Layer) seccomp.Program { return l.Loaded }
func plain(l Layer) seccomp.Program  { return l.Plain }

// killNr is a syscall number the layers answer with KILL_PROCESS without
// looking further (their BadArch action, checked by running them), for
// supervise.Decision.KillNr; 0 when there is none.
func (d *Decider) killNr(layers []Layer) uint64 {
	nr, ok := d.Arch.BadArchNr()
	if !ok || stack(layers, seccomp.Data{Nr: int32(nr), Arch: d.Arch.AuditArch}, loaded) != seccomp.ActKillProcess {
		return 0
	}
	return uint64(nr)
}

// answer turns the layers' action into a decision.
func (d *Decider) answer(act seccomp.Action, st *supervise.Stop) supervise.Decision {
	switch {
	case act == seccomp.ActAllow || act&unix.SECCOMP_RET_ACTION_FULL == seccomp.ActLog:
		return supervise.Decision{Verdict: supervise.Allow}
	case act == actLayer:
		// The path layer decides; a refusal (EACCES) is reported like a
		// violation, and killed for under -k.
		at := func(_ int, rval int64) supervise.Decision {
			if rval != -int64(unix.EACCES) || d.OnLayerDenied == nil {
				return supervise.Decision{Verdict: supervise.Allow}
			}
			return supervise.Decision{Verdict: d.OnLayerDenied(st), Errno: unix.EACCES}
		}
		return supervise.Decision{Verdict: supervise.Allow, AtExit: at}
	case act == actViolation:
		v := supervise.Deny
		if d.OnViolation != nil {
			v = d.OnViolation(st)
		}
		return supervise.Decision{Verdict: v}
	case act&unix.SECCOMP_RET_ACTION_FULL == seccomp.ActErrno(0):
		return supervise.Decision{Verdict: supervise.Deny, Errno: unix.Errno(act & unix.SECCOMP_RET_DATA)}
	}
	return supervise.Decision{Verdict: supervise.Kill}
}

// stack is what the kernel answers for d from a stack of filters, oldest
// first (kernel/seccomp.c seccomp_run_filters): every filter runs, the
// action with the lowest value as a signed number wins (KILL_PROCESS first,
// ALLOW last), and among equal actions the newest filter's data wins. A
// program that cannot run counts as a kill.
func stack(layers []Layer, d seccomp.Data, prog func(Layer) seccomp.Program) seccomp.Action {
	ret := seccomp.ActAllow
	for i := len(layers) - 1; i >= 0; i-- {
		act, _, err := prog(layers[i]).Run(d)
		if err != nil {
			return seccomp.ActKillProcess
		}
		if actionOnly(act) < actionOnly(ret) {
			ret = act
		}
	}
	return ret
}

func actionOnly(a seccomp.Action) int32 { return int32(uint32(a) & unix.SECCOMP_RET_ACTION_FULL) }

package sandbox

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
)

// The exec broker. OpenBSD pledges an image, not a process tree: after
// pledge(p, NULL) an exec'd program runs unpledged and unveiled, and with
// execpromises it runs under exactly them (even beyond p), keeping the
// veil. Linux filters and Landlock domains are inherited by every image
// and never removed, so S runs each image a supervised process X execs in
// a fresh process C of its own, started outside every sandbox of X:
//
//  1. X's execve runs as a real one, under X's filters and X's veil: the
//     kernel answers every error a real exec gives (ENOENT, EACCES outside
//     the veil's x or without the file's x bit, ENOEXEC, E2BIG, ...) and
//     X's program goes on as after a failed exec; nothing else happens.
//  2. At X's exec stop (the new image is in place and has not run an
//     instruction) S reads X's state from the kernel (carry.go) and
//     starts C with it (supervise: Attached.Spawn): the same file, argv,
//     environment, descriptors, working directory, umask, limits, signal
//     mask and ignored signals, nice value, ids and groups, and X's
//     process group (a session of its own when X has one).
//  3. Without execpromises C is let go: it has exactly S's restrictions,
//     which are P's before its first pledge, and S is only its parent.
//     With them, C is kept: S injects the caller's veil (veil.go) and the
//     execpromises filter before the image runs (no_new_privs first, so
//     set-id bits give nothing, as EACCES would on OpenBSD) and supervises
//     it like any image under execpromises, loader window included; what
//     C execs in turn is brokered again under the same execpromises
//     (OpenBSD keeps them across the exec).
//  4. X never runs its new image: it is parked and stands in for C
//     (standin.go); C runs only once X is parked (supervise.Park.After),
//     so never while X holds a descriptor.
//
// If any of 2 and 3 fails, X is killed (its exec is past the point of no
// return) and S says why on stderr.

// execStop is the supervise Config.Exec of S: pid has just exec'd.
func (x *execSuper) execStop(pid int, d any) (any, error) {
	p := x.proc(d)
	if p == nil {
		return nil, errors.New("exec of an unknown process")
	}
	park, err := x.broker(pid, p)
	if err != nil {
		warnf("exec supervisor: %s[%d]: running its new image: %v (killed)", supervise.Comm(pid), pid, err)
		return nil, err
	}
	return park, nil
}

// broker starts C for X = pid, whose Proc is p, and returns X's Park.
func (x *execSuper) broker(pid int, p *Proc) (*supervise.Park, error) {
	if err := x.refuseInterpreter(pid, p); err != nil {
		return nil, err
	}
	car, err := carry(pid)
	if err != nil {
		return nil, err
	}
	defer car.close()
	sp := car.spawn(x.sid)
	si := &standIn{att: x.att, x: pid, self: int32(os.Getpid()), group: !sp.Setsid && sp.Pgid == car.pgid}
	sp.Watch = si.watch()
	rule := p.exec
	var dom *landlock.Domain
	if rule == nil {
		if !car.privileged {
			sp.Verify = car.verify
		}
	} else {
		var closeDom func()
		// The image is the file X exec'd: its loader files are /proc/X/exe's.
		if dom, closeDom, err = rule.domain(x.images.ImageOf(pid), x.abi); err != nil {
			return nil, fmt.Errorf("the veil: %w", err)
		}
		if dom != nil {
			// Built here, passed to C as one descriptor: C only
			// enforces it (landlock_restrict_self).
			rs, err := dom.Ruleset()
			closeDom()
			if err != nil {
				return nil, fmt.Errorf("the image's Landlock domain: %w", err)
			}
			defer rs.Close()
			sp.Pass = []int{rs.Fd()}
		} else {
			closeDom()
		}
		// Traced and with no_new_privs: set-id bits give nothing, so
		// the image is exec'd as any other.
		sp.Keep, sp.NoNewPrivs, sp.Privileged = true, true, false
	}
	// What is pending for X now has not reached C: from the stub's fork
	// on, signals to X's process group reach it too (Spawned.Signals).
	si.early = pending(pid)
	c, err := x.att.Spawn(sp)
	if err != nil {
		return nil, err
	}
	si.c = c.Pid
	// C runs once X is parked (Park.After): never while X holds anything.
	after := func() {
		if err := x.att.Let(c); err != nil {
			warnf("exec supervisor: %s[%d]: %v", supervise.Comm(pid), pid, err)
		}
	}
	if rule != nil {
		proc, err := x.keep(c, rule, dom)
		if err != nil {
			unix.Kill(c.Pid, unix.SIGKILL)
			var ws unix.WaitStatus
			unix.Wait4(c.Pid, &ws, unix.WALL, nil)
			return nil, err
		}
		after = func() { x.att.Adopt(c.Pid, proc, sp.Watch) }
	}
	return &supervise.Park{Data: p, Signal: si.signal, Ended: si.xEnded, After: after}, nil
}

// keep sandboxes C (stopped before its image's first instruction, the
// ruleset of dom passed to it) under rule, and returns its Proc for
// Adopt.
func (x *execSuper) keep(c *supervise.Spawned, rule *execRule, dom *landlock.Domain) (*Proc, error) {
	l := rule.filter.Layer(c.Pid)
	sb := &Sandbox{Filter: l.Loaded, FilterFlags: rule.filter.Policy.Flags}
	if dom != nil {
		sb.Ruleset, sb.RulesetFlags = &c.Passed[0], dom.RestrictFlags
	}
	if err := Inject(c.Pid, sb); err != nil {
		return nil, err
	}
	return &Proc{Layers: []Layer{l}, Image: x.images.ImageOf(c.Pid), exec: rule}, nil
}

//go:build linux

// Command pledge runs a program pledged and unveiled, like OpenBSD's
// pledge(2) and unveil(2) and with the flags of Cosmopolitan's pledge
// command:
//
//	pledge -p "stdio rpath" -v r:/etc cat /etc/os-release
//
// The program runs under exactly the promises given once it has started: a
// ptrace supervisor (package internal/supervise) grants the loader's
// start-up needs (opening and mapping libraries) only between each exec and
// the new image's entry point, and prints one line for each violation:
//
//	pledge: cat[4242] socket(AF_INET, SOCK_STREAM) needs promise "inet"
//
// See docs/command.md.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/seccomp"
)

// canLearn: --learn runs (learn.go).
const canLearn = true

func run(args []string) int {
	c, status, done := parseAndAnswer(args)
	if done {
		return status
	}
	have := haveFeatures()
	for _, f := range []string{"pledge", "unveil"} {
		if have[f] == nil || (f == "unveil" && c.NoUnveil) {
			continue
		}
		if !c.BestEffort {
			warn("kernel lacks %s (%v); refusing to run unsandboxed (--best-effort runs anyway)", f, have[f])
			return exCannotRun
		}
		if !c.Quiet {
			warn("kernel lacks %s (%v); running without it (--best-effort)", f, have[f])
		}
	}
	if c.Learn {
		return learnRun(c, have) // learn.go
	}
	return supervised(c, have)
}

// supervised runs the program under the supervisor and returns its exit
// status, a signal death as 128+N like shells. The command computes
// everything itself (the filter, compiled meanwhile on another goroutine
// for any pid;
// the program's path and the veil, seen from the chroot), starts the
// program directly under PTRACE_TRACEME and sandboxes it at its first
// stop, before it runs an instruction (setUp). Nothing is left to a second
// Go process: its runtime start under ptrace was most of the start-up
// cost.
func supervised(c *config, have map[string]error) int {
	p, err := pledge.ParsePromises(c.Promises)
	if err != nil {
		warn("promises %q: %v", c.Promises, err)
		return exCannotRun
	}
	filtered := have["pledge"] == nil
	// The filter is compiled once, for any pid (its "to itself"
	// conditions name the program's pid, unknown until the fork), while
	// the veil is planned and the program execs; the first stop only
	// patches the pid in.
	// With Landlock the program's domain holds the path layer of its
	// promises (paths.go), and the filter leaves named paths to it.
	layered := have["unveil"] == nil
	filter := func() compiledFilter { return compiledFilter{} }
	if filtered {
		filter = inBackground(func() compiledFilter { return compileFilter(c, p, layered) })
	}
	env := os.Environ()
	var prog string
	var ll *landlockPlan
	code := 0
	err = inRoot(c.Chroot, func() error {
		var err error
		if prog, err = exec.LookPath(c.Argv[0]); err != nil {
			code = exNotFound
			if errors.Is(err, os.ErrPermission) {
				code = exCannotRun
			}
			return fmt.Errorf("%s: %w", c.Argv[0], unwrapExecErr(err))
		}
		if layered {
			ll, err = planLandlock(c, prog, p, env, pledge.UnveilStatus().ABI)
		}
		return err
	})
	defer ll.close()
	if err != nil {
		warn("%v", err)
		return max(code, exCannotRun)
	}
	cmd := programCmd(c, prog, env)
	decider := &sandbox.Decider{
		Arch: seccomp.Native(),
		Proc: func(d any) *sandbox.Proc { p, _ := d.(*sandbox.Proc); return p },
		OnViolation: func(st *supervise.Stop) supervise.Verdict {
			report(c, st)
			if c.Kill {
				return supervise.Kill
			}
			return supervise.Deny
		},
	}
	// Opens the path layer refused, reported from their own stops (the
	// audit reader then skips them).
	var reported reportedDenials
	decider.OnLayerDenied = func(st *supervise.Stop) supervise.Verdict {
		var who *denialWho
		if ll != nil {
			who = ll.who
		}
		line, path, promised := layerDenial(st, who)
		reported.add(st.Tgid, path)
		if !c.Quiet && (!st.Starting || c.Verbose || c.Kill) {
			warn("%s", line)
		}
		if c.Kill && promised {
			return supervise.Kill
		}
		return supervise.Deny
	}
	// The loader window of every image the program execs is computed
	// from the command's own environment, never from the one a program
	// passes to execve.
	images := &sandbox.Resolver{Env: env}
	cfg := supervise.Config{
		Seccomp: decider.Seccomp,
		// Every image keeps the program's filter (it is inherited);
		// each gets its own loader window.
		Exec: func(pid int, d any) (any, error) {
			p, _ := d.(*sandbox.Proc)
			if p == nil {
				return nil, errors.New("unknown process")
			}
			return &sandbox.Proc{Layers: p.Layers, Image: images.ImageOf(pid)}, nil
		},
		Inherit: func(d any) any {
			p, _ := d.(*sandbox.Proc)
			if p == nil {
				return nil
			}
			return &sandbox.Proc{Layers: p.Layers}
		},
	}
	if c.Verbose {
		cfg.Logf = func(format string, args ...any) { warn(format, args...) }
	}
	// Landlock denials are read from the audit log when the command may
	// (landlockaudit.go); lines are single writes to stderr, as the
	// supervisor's are, so they never interleave.
	// The reader is set up while the program starts (a netlink round
	// trip); Setup waits for it, before the program runs.
	var domain *landlock.Domain
	if ll != nil {
		domain = ll.domain
	}
	audit := func() *landlockAudit { return nil }
	if domain != nil && !c.Quiet {
		audit = inBackground(func() *landlockAudit {
			return startLandlockAudit(c.Verbose, ll.who, &reported, func(l string) { warn("%s", l) })
		})
		defer func() { audit().finish() }() // after the program's exit: its last denials
	}
	cfg.Setup = func(pid int) (any, error) {
		defer ll.close() // the program had its own copies, closed in it by now
		var logFlags uint32
		if a := audit(); a != nil {
			a.setProgram(pid)
			logFlags = landlockLogFlags(ll.abi)
		}
		proc := &sandbox.Proc{}
		var prog seccomp.Program
		if filtered {
			f := filter()
			if f.err != nil {
				return nil, f.err
			}
			layer := f.c.Layer(pid)
			proc.Layers = []sandbox.Layer{layer}
			prog = layer.Loaded
		}
		if err := setUp(c, pid, sandboxFor(c, domain, prog, logFlags)); err != nil {
			return nil, err
		}
		proc.Image = images.ImageOf(pid)
		return proc, nil
	}
	ws, err := supervise.Run(cmd, cfg)
	if err != nil {
		return runFailed(c, err)
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// runFailed says why supervise.Run could not run the program: 126.
func runFailed(c *config, err error) int {
	var se *supervise.SetupError
	if errors.As(err, &se) {
		warn("%s: %v (the program was killed before it ran)", c.Argv[0], se.Err)
	} else {
		warn("%s: %v", c.Argv[0], unwrapStartErr(err))
	}
	return exCannotRun
}

// unwrapStartErr gives the errno of a failed start (fork/exec PATH: EACCES)
// as the message, like a shell's "Permission denied".
func unwrapStartErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// report prints one violation line, unless -q. A denial during start-up
// (between an exec and the entry point: the loader's probes, library
// constructors) shows only with --verbose, or when -k kills for it.
func report(c *config, st *supervise.Stop) {
	v := violationOf(st)
	switch {
	case c.Quiet:
	case st.Starting && c.Kill:
		warn("%s (during start-up)", describe(v))
	case st.Starting:
		if c.Verbose {
			warn("%s (denied during start-up)", describe(v))
		}
	default:
		warn("%s", describe(v))
	}
}

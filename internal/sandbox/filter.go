package sandbox

import (
	"errors"
	"fmt"
	"sync"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// The data of the SECCOMP_RET_TRACE actions of the filters this package
// builds. The supervisor never takes them from a stop: when several filters
// answer SECCOMP_RET_TRACE the kernel keeps the data of the newest, and a
// sandboxed process may stack filters of its own (seccomp(2) is allowed
// under every promise set, so that pledges can narrow). It runs its own copy
// of each filter on the call instead (Decider), and these values only tell
// its own results apart.
const (
	violationTag uint16 = 1
	loaderTag    uint16 = 2
	layerTag     uint16 = 3
)

var (
	actViolation = seccomp.ActTrace(violationTag)
	actLoader    = seccomp.ActTrace(loaderTag)
	// actLayer: an open that passes for the path layer to decide, traced
	// under Report so that a refusal can be reported.
	actLayer = seccomp.ActTrace(layerTag)
)

// Policy is what one filter of a supervised process does.
type Policy struct {
	Promises promise.Set
	// Report makes violations stop at the supervisor (SECCOMP_RET_TRACE),
	// which reports each and denies it or kills (the pledge command).
	// Otherwise the kernel answers them: Violation, or the promises'
	// default (kill; ENOSYS under "error").
	Report    bool
	Violation seccomp.Action
	// Flags are seccomp(2) flags to load the filter with (FlagLog).
	Flags uint
	// PathLayer says a path layer for Promises is in force
	// (promise.FilterOptions.PathLayer).
	PathLayer bool
	// SupervisedReads leaves reads to the flags and the supervisor
	// (promise.FilterOptions.SupervisedReads): the exec broker's images.
	SupervisedReads bool
}

// FilterOptions are the options of the filter a supervised process loads
// itself (package pledge under the exec supervisor): the one S compiles
// from a "self" request.
func (p Policy) FilterOptions(pid int) promise.FilterOptions { return p.options(pid, true) }

// options are the promise.FilterOptions of the filter for pid: with the
// loader operations traced (the filter the kernel runs) or not (what they
// get once the loader window has closed).
func (p Policy) options(pid int, loader bool) promise.FilterOptions {
	o := promise.FilterOptions{Violation: p.Violation, Pid: pid, PathLayer: p.PathLayer, SupervisedReads: p.SupervisedReads}
	if p.Report {
		o.Violation = actViolation
		o.LayerAction = actLayer
	}
	if loader {
		o.Loader = actLoader
	}
	return o
}

// Layer is one seccomp filter a supervised process holds, as the supervisor
// knows it: the program the kernel runs, and the same promises without the
// loader operations, which answer those once the loader window is shut.
// Both are compiled for the pid the filter's "to itself" conditions name
// (the process that loaded it; its children and exec'd images keep it).
type Layer struct {
	Loaded   seccomp.Program
	Plain    seccomp.Program
	Flags    uint
	Promises promise.Set
	// PathLayer: a path layer for Promises was in force when the filter
	// was loaded.
	PathLayer bool
}

// Compiled is a Policy compiled once for every pid (seccomp.CompileParam):
// Layer(pid) only patches the pid in.
type Compiled struct {
	Policy        Policy
	loaded, plain *seccomp.ParamProgram
}

// Compile compiles p for the native architecture, the two programs
// concurrently (the pledge command waits for them at its program's first
// stop).
func Compile(p Policy) (*Compiled, error) {
	c := &Compiled{Policy: p}
	var errs [2]error
	var wg sync.WaitGroup
	for i, f := range []struct {
		dst    **seccomp.ParamProgram
		loader bool
	}{{&c.loaded, true}, {&c.plain, false}} {
		wg.Go(func() {
			*f.dst, errs[i] = promise.CompilePidFilter(seccomp.Native(), p.Promises, p.options(0, f.loader))
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("compiling the filter for %q: %w", p.Promises.String(), err)
	}
	return c, nil
}

// Layer is the filter for pid.
func (c *Compiled) Layer(pid int) Layer {
	return Layer{Loaded: c.loaded.Program(uint32(pid)), Plain: c.plain.Program(uint32(pid)), Flags: c.Policy.Flags, Promises: c.Policy.Promises, PathLayer: c.Policy.PathLayer}
}

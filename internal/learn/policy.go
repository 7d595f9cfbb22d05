//go:build linux

package learn

import (
	"fmt"
	"slices"
	"sort"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/unveil"
)

// Policy is a learned policy and what the report says about it.
type Policy struct {
	Promises promise.Set
	Unveils  []Unveil
	// Why gives, for each promise learned (not stdio, not the starting
	// ones), a call that needs it, rendered.
	Why map[promise.Set]string
	// Probes are the paths opened or executed only to find that they do
	// not exist (ENOENT): not unveiled.
	Probes []string
	// NotAllowed are calls no promise allows (the rerun gets EPERM and a
	// line); Conflicts calls the learned promises exclude (an Unless).
	NotAllowed, Conflicts []string
	// Notes say how unveils were placed and collapsed.
	Notes []string
	// Incomplete says why the run was not observed in full; empty when
	// it was.
	Incomplete []string
	// Programs are the programs of the tree: the command's program and
	// every image exec'd.
	Programs []string
	// Stops and Exits are what observing cost (SolveOptions).
	Stops, Exits int
}

// SolveOptions are what a policy starts from and leaves out.
type SolveOptions struct {
	// Start and StartUnveils are the -p and -v given with --learn: the
	// policy includes them.
	Start        promise.Set
	StartUnveils []Unveil
	// Auto are what the command unveils by itself for the rerun (the
	// program and its loader files, the loaders of the programs unveiled
	// with 'x'); they are left out of the policy.
	Auto []Unveil
	// AutoFor, when set, gives what the command would unveil by itself for
	// programs unveiled with 'x' (execNeeds); Solve adds them to Auto.
	AutoFor func(programs []string) []Unveil
	Stat    Stat
	// Stops and Exits are the observer's ptrace stops, for the report:
	// seccomp stops, and how many of those calls stopped again at their
	// exit.
	Stops, Exits int
}

// Solve chooses the smallest promise set that allows every call recorded
// (stdio always: pledge("") allows nothing but exiting) and the unveils
// its ways need.
func (r *Recorder) Solve(o SolveOptions) *Policy {
	reqs := make([]*Req, 0, len(r.order))
	for _, k := range r.order {
		reqs = append(reqs, r.reqs[k])
	}
	base := o.Start | promise.Stdio
	s := solve(reqs, base)
	p := &Policy{Promises: s.set, Why: map[promise.Set]string{}, Incomplete: slices.Clone(r.incomplete),
		Programs: slices.Clone(r.programs), Stops: o.Stops, Exits: o.Exits}
	for q, req := range why(reqs, s.set, base) {
		p.Why[q] = req.describeFor(s.set)
	}
	for _, q := range s.unsatisfiable {
		p.Conflicts = append(p.Conflicts, q.describe())
	}
	var accs []Access
	for _, q := range reqs {
		if c, ok := q.chosen(s.set); ok {
			accs = append(accs, c.Unveil...)
		}
	}
	auto := slices.Clone(o.Auto)
	if o.AutoFor != nil {
		auto = append(auto, o.AutoFor(execPaths(accs))...)
	}
	p.Unveils, p.Notes = r.unveils(accs, o.StartUnveils, auto, o.Stat)
	for path := range r.probes {
		p.Probes = append(p.Probes, path)
	}
	sort.Strings(p.Probes)
	for _, c := range r.notAllowed {
		p.NotAllowed = append(p.NotAllowed, fmt.Sprintf("%s[%d] %s", c.Who.Comm, c.Who.Pid, c.Desc()))
	}
	sort.Strings(p.NotAllowed)
	return p
}

// execPaths are the paths the accesses unveil with 'x'.
func execPaths(accs []Access) []string {
	var out []string
	for _, a := range accs {
		if a.Perm&unveil.PermExec != 0 && !slices.Contains(out, a.Path) {
			out = append(out, a.Path)
		}
	}
	return out
}

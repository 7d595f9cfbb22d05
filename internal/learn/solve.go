//go:build linux

package learn

import (
	"fmt"
	"math/bits"
	"slices"
	"syscall"

	"github.com/landpledge/landpledge/promise"
)

// preference breaks ties between promise sets of the same size: the
// earlier promise is the narrower one where the table lets either allow a
// call. rpath before unveil (stat, getcwd, listing a directory: unveil
// also lets the program change its veil), dns before inet (a lookup's
// client socket: dns cannot listen or accept), route and unix before
// both, proc before id (prlimit64 and setrlimit: id also changes
// identities). Promises not listed come after, in canonical order.
var preference = []promise.Set{
	promise.Stdio, promise.Rpath, promise.Wpath, promise.Cpath, promise.Tmppath, promise.Dpath,
	promise.Fattr, promise.Flock, promise.Chown, promise.Getpw, promise.Tty, promise.Route,
	promise.Unix, promise.DNS, promise.Inet, promise.Mcast, promise.Proc, promise.ID,
	promise.Exec, promise.ProtExec, promise.Unveil,
}

// rank is q's place in preference (a single promise).
func rank(q promise.Set) int {
	if i := slices.Index(preference, q); i >= 0 {
		return i
	}
	return len(preference) + bits.TrailingZeros64(uint64(q))
}

// maxSearch bounds the promises the exact search combines; beyond it the
// search adds, one at a time, the promise that satisfies the most
// requirements (never seen in practice: a run needs a handful).
const maxSearch = 20

// solved is the outcome of choosing promises.
type solved struct {
	set promise.Set
	// unsatisfiable are requirements no set containing the forced
	// promises allows (a conflict with an Unless).
	unsatisfiable []*Req
}

// choices are the ways of q a solution may use: its fallbacks only when
// every instance could have done with them.
func (q *Req) usable() []Choice {
	if q.calls <= 0 {
		return q.Choices
	}
	var out []Choice
	for _, c := range q.Choices {
		if c.Errno == 0 {
			out = append(out, c)
		}
	}
	return out
}

// satisfied reports whether promises p allow requirement q.
func (q *Req) satisfied(p promise.Set) bool {
	for _, c := range q.usable() {
		if c.Holds(p) {
			return true
		}
	}
	return false
}

// solve finds the smallest promise set containing base that satisfies
// every requirement, ties broken by preference. Requirements that no set
// containing base can satisfy are returned apart.
func solve(reqs []*Req, base promise.Set) solved {
	var out solved
	base = forced(reqs, base)
	// open are the requirements base does not satisfy; live every one a
	// solution must (still) satisfy: adding a promise can break one that an
	// exclusion (Unless) names.
	var open, live []*Req
	for _, q := range reqs {
		switch {
		case !satisfiable(q, base):
			out.unsatisfiable = append(out.unsatisfiable, q)
			continue
		case !q.satisfied(base):
			open = append(open, q)
		}
		live = append(live, q)
	}
	var universe []promise.Set
	for _, q := range open {
		for _, c := range q.usable() {
			for n := c.Need &^ base; n != 0; n &= n - 1 {
				if b := n & -n; !slices.Contains(universe, b) {
					universe = append(universe, b)
				}
			}
		}
	}
	slices.SortFunc(universe, func(a, b promise.Set) int { return rank(a) - rank(b) })
	if len(universe) <= maxSearch {
		for k := 0; k <= len(universe); k++ {
			if s, ok := firstCover(live, base, universe, k); ok {
				out.set = s
				return out
			}
		}
	}
	out.set = greedy(open, base, universe)
	for _, q := range live {
		if !q.satisfied(out.set) {
			out.unsatisfiable = append(out.unsatisfiable, q)
		}
	}
	return out
}

// forced adds to base the promises of every requirement that has one way
// only, until none is left: every solution holds them, and they decide
// which other ways an exclusion (Unless) rules out.
func forced(reqs []*Req, base promise.Set) promise.Set {
	for changed := true; changed; {
		changed = false
		for _, q := range reqs {
			if u := q.usable(); len(u) == 1 && !base.Has(u[0].Need) && u[0].Unless&base == 0 {
				base |= u[0].Need
				changed = true
			}
		}
	}
	return base
}

// satisfiable reports whether some superset of base satisfies q (a way
// whose exclusions base does not hold).
func satisfiable(q *Req, base promise.Set) bool {
	for _, c := range q.usable() {
		if c.Unless&base == 0 {
			return true
		}
	}
	return false
}

// firstCover tries the k-element subsets of universe in preference order
// (lexicographic by rank) and returns the first that, with base, satisfies
// every requirement.
func firstCover(reqs []*Req, base promise.Set, universe []promise.Set, k int) (promise.Set, bool) {
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	for {
		s := base
		for _, i := range idx {
			s |= universe[i]
		}
		if all(reqs, s) {
			return s, true
		}
		// The next combination.
		i := k - 1
		for i >= 0 && idx[i] == len(universe)-k+i {
			i--
		}
		if i < 0 {
			return 0, false
		}
		idx[i]++
		for j := i + 1; j < k; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
}

func all(reqs []*Req, s promise.Set) bool {
	for _, q := range reqs {
		if !q.satisfied(s) {
			return false
		}
	}
	return true
}

// greedy adds the promise that satisfies the most open requirements until
// none is left open.
func greedy(reqs []*Req, s promise.Set, universe []promise.Set) promise.Set {
	for !all(reqs, s) {
		best, most := promise.Set(0), -1
		for _, u := range universe {
			if s.Has(u) {
				continue
			}
			n := 0
			for _, q := range reqs {
				if !q.satisfied(s) && q.satisfied(s|u) {
					n++
				}
			}
			if n > most {
				best, most = u, n
			}
		}
		if best == 0 {
			// No single promise helps: add a whole way of the first open one.
			for _, q := range reqs {
				if !q.satisfied(s) {
					best = q.usable()[0].Need
					break
				}
			}
		}
		s |= best
	}
	return s
}

// chosen is the way a solution uses for q: the first usable one that
// holds, ways without unveils first (a named path over rpath and an
// unveil when both are held).
func (q *Req) chosen(p promise.Set) (Choice, bool) {
	for _, pass := range []bool{true, false} {
		for _, c := range q.usable() {
			if c.Holds(p) && (len(c.Unveil) == 0) == pass {
				return c, true
			}
		}
	}
	return Choice{}, false
}

// why finds, for each promise of p not in base, a requirement that needs
// it: one that p without it does not satisfy. A smallest set has one for
// each. The best evidence comes first: a path the promise lets the
// program use (what a porter recognises), then any call it grants, then
// one whose fallback (an errno) it allows.
func why(reqs []*Req, p, base promise.Set) map[promise.Set]*Req {
	rank := func(c Choice) int {
		switch {
		case c.Errno != 0:
			return 2
		case len(c.Unveil) == 0:
			return 1
		}
		return 0
	}
	out := map[promise.Set]*Req{}
	best := map[promise.Set]int{}
	for n := p &^ base; n != 0; n &= n - 1 {
		q := n & -n
		for _, r := range reqs {
			c, ok := r.chosen(p)
			if _, seen := out[q]; ok && !r.satisfied(p&^q) && (!seen || rank(c) < best[q]) {
				out[q], best[q] = r, rank(c)
			}
		}
	}
	return out
}

// describe renders a requirement for the report.
func (q *Req) describe() string {
	s := q.Desc
	if s == "" {
		s = "?"
	}
	if q.Who.Comm != "" {
		s = fmt.Sprintf("%s[%d] %s", q.Who.Comm, q.Who.Pid, s)
	}
	if q.Count > 1 {
		s += fmt.Sprintf(" (and %d more)", q.Count-1)
	}
	return s
}

// describeFor is describe, saying when p allows q only by the table's
// fallback (the call fails quietly with an errno, and the program goes
// on without it).
func (q *Req) describeFor(p promise.Set) string {
	if c, ok := q.chosen(p); ok && c.Errno != 0 {
		return q.describe() + ": fails with " + errnoName(c.Errno) + " under it, and the program does without"
	}
	return q.describe()
}

// errnoNames name the errnos of the table's fallbacks.
var errnoNames = map[syscall.Errno]string{syscall.EACCES: "EACCES", syscall.ENOSYS: "ENOSYS", syscall.EPERM: "EPERM"}

func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return e.Error()
}

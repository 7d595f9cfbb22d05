//go:build linux && (amd64 || arm64)

package promise

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/seccomp"
)

// The promise table read the other way round, for the pledge command's
// learn mode (`pledge --learn`): which promises each call a program made
// would need (Alternatives), and the filter that lets a program run while
// it is watched (LearnFilter). One fact, one place: both come from the
// same rows as BuildFilter and Explain.

// LearnOptions say how the calls Alternatives explains will be filtered.
type LearnOptions struct {
	// Pid is the pid the "to itself" conditions compare with: the process
	// whose filter the caller is inherited from (the command's program).
	Pid int
	// PathLayer: a path layer is in force (FilterOptions.PathLayer).
	PathLayer bool
}

// ruleRef is one rule of the table with the row it belongs to.
type ruleRef struct {
	g *grant
	r *sysRule
}

var (
	byNameOnce sync.Once
	byName     map[string][]ruleRef
)

// rulesNamed are the table's rules for syscall name, in table order.
func rulesNamed(name string) []ruleRef {
	byNameOnce.Do(func() {
		byName = map[string][]ruleRef{}
		for i := range promiseTable {
			g := &promiseTable[i]
			for j := range g.rules {
				byName[g.rules[j].name] = append(byName[g.rules[j].name], ruleRef{g, &g.rules[j]})
			}
		}
	})
	return byName[name]
}

// Alternatives lists every row of the promise table that allows syscall nr
// of arch with these arguments, in table order (Explain's answer is the
// first), then the probe fallbacks that answer it: the syscall's name and
// the ways. No ways: no promise allows it. A way with Need 0 and no Unless:
// every pledge allows it.
func Alternatives(arch seccomp.Arch, nr uint32, args [6]uint64, o LearnOptions) (string, []Alt) {
	name := syscallName(arch, nr)
	if name == "" {
		return "", nil
	}
	var alts []Alt
	for _, ref := range rulesNamed(name) {
		g := ref.g
		if !g.mode.applies(o.PathLayer) || !holdsFor(arch.Name, ref.r.conds, args, o.Pid) {
			continue
		}
		alts = appendAlt(alts, Alt{Need: g.need, Unless: g.unless, Layer: g.mode == withLayer})
	}
	for _, f := range fallbacks {
		if f.probe && f.rule.name == name && f.mode.applies(o.PathLayer) && holdsFor(arch.Name, f.rule.conds, args, o.Pid) {
			alts = appendAlt(alts, Alt{Need: f.need, Errno: f.errno})
		}
	}
	return name, alts
}

// appendAlt adds a unless a way already there asks no more (a subset of
// its promises, no more exclusions, the same errno): the table's rows
// overlap (an O_RDONLY open matches rpath's row and "rpath wpath"'s), and
// only the smallest ways matter.
func appendAlt(alts []Alt, a Alt) []Alt {
	for _, b := range alts {
		if b.asksNoMore(a) {
			return alts
		}
	}
	kept := alts[:0]
	for _, b := range alts {
		if !a.asksNoMore(b) {
			kept = append(kept, b)
		}
	}
	return append(kept, a)
}

// asksNoMore reports whether a holds wherever b does (a subset of its
// promises, no more exclusions), with the same errno.
func (a Alt) asksNoMore(b Alt) bool {
	return a.Errno == b.Errno && b.Need.Has(a.Need) && a.Unless&^b.Unless == 0
}

// holdsFor evaluates conditions on concrete arguments, "to itself" ones
// against pid.
func holdsFor(arch string, cs []cond, args [6]uint64, pid int) bool {
	for _, c := range cs {
		if c.self && pid == 0 {
			return false
		}
		if !c.archCond(arch, uint64(uint32(pid))).Holds(args[c.Arg]) {
			return false
		}
	}
	return true
}

// LearnFilter is the filter a program runs under while the pledge command
// learns its policy: it denies nothing a pledge could allow and stops at
// the supervisor (trace) for every call some promise set could refuse.
// What every pledge of stdio allows (the always-allowed calls and stdio's
// rows, with their conditions, but not the rows a path layer or a missing
// "exec" decides) is allowed without a stop: learn mode counts stdio as
// always needed, since pledge("") allows nothing but exiting. The
// always-ENOSYS calls (clone3, openat2, io_uring...) answer ENOSYS, as they
// do under every pledge, so that the program takes the fallback a pledged
// run will take and that fallback is what is learned; numbers above the
// table too. Everything else, foreign ABIs included, is traced. pid is the
// program the "to itself" conditions name.
func LearnFilter(arch seccomp.Arch, trace seccomp.Action, pid int) (*seccomp.Filter, error) {
	nums, ok := sysnums[arch.Name]
	if !ok {
		return nil, unix.EINVAL
	}
	b := newBuilder(arch, nums, pid)
	for name := range enosys {
		b.add(sysRule{name: name}, seccomp.ActErrno(unix.ENOSYS))
	}
	for _, g := range promiseTable {
		if Stdio.Has(g.need) && g.unless == 0 && g.mode.applies(false) {
			for _, r := range g.rules {
				b.add(r, seccomp.ActAllow)
			}
		}
	}
	f := &seccomp.Filter{Arch: arch, Default: trace, Unknown: seccomp.ActErrno(unix.ENOSYS), BadArch: trace}
	for _, rules := range b.byNr {
		f.Rules = append(f.Rules, rules...)
	}
	return f, nil
}

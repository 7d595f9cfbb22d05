//go:build linux && (amd64 || arm64)

package promise

import (
	"slices"

	"github.com/landpledge/landpledge/seccomp"
)

// ArchCond is the condition as BuildFilter compiles it for arch with pid.
func (c ViewCond) ArchCond(arch string, pid uint32) seccomp.Cond {
	return cond{Cond: c.Cond, self: c.Self, directory: c.Directory}.archCond(arch, uint64(pid))
}

// Table returns a copy of the promise table.
func Table() View {
	v := View{MaxLen: maxPromiseLen}
	for _, g := range promiseTable {
		v.Grants = append(v.Grants, ViewGrant{Need: g.need, Unless: g.unless, Rules: viewRules(g.rules),
			WithLayer: g.mode == withLayer, NoLayer: g.mode == noLayer})
	}
	for n := range enosys {
		v.Enosys = append(v.Enosys, n)
	}
	for n := range never {
		v.Never = append(v.Never, n)
	}
	slices.Sort(v.Enosys)
	slices.Sort(v.Never)
	for _, f := range fallbacks {
		v.Fallbacks = append(v.Fallbacks, ViewFallback{Need: f.need, Rule: viewRule(f.rule), Errno: f.errno,
			WithLayer: f.mode == withLayer, NoLayer: f.mode == noLayer})
	}
	v.Loader = viewRules(loaderRules)
	v.Hot = slices.Clone(hotSyscalls)
	return v
}

func viewRules(rs []sysRule) []ViewRule {
	out := make([]ViewRule, len(rs))
	for i, r := range rs {
		out[i] = viewRule(r)
	}
	return out
}

func viewRule(r sysRule) ViewRule {
	vr := ViewRule{Syscall: r.name, Doc: r.doc}
	for _, c := range r.conds {
		vr.Conds = append(vr.Conds, ViewCond{Cond: c.Cond, Self: c.self, Directory: c.directory})
	}
	return vr
}

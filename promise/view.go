package promise

import (
	"slices"
	"syscall"

	"github.com/landpledge/landpledge/seccomp"
)

// A read-only view of the promise table for generators of other
// languages' copies of it (libpledge's C data, libpledge/internal/ctable).
// It copies the table out; nothing here changes what BuildFilter,
// Explain or the docs do. The C runtime applies the view the way
// BuildFilter applies the table, and libpledge's differential test keeps
// the two equal.

// View is the whole table: the grants in table order (the order
// BuildFilter adds their rules in), the always-ENOSYS and never lists
// (sorted by name), the fallbacks in order and the loader rules.
type View struct {
	Grants    []ViewGrant
	Enosys    []string
	Never     []string
	Fallbacks []ViewFallback
	Loader    []ViewRule
	// MaxLen is the longest promise string Parse accepts (longer ones are
	// ENAMETOOLONG).
	MaxLen int
}

// ViewGrant is one row of the table: its rules are allowed when every
// promise of Need is held and none of Unless.
type ViewGrant struct {
	Need, Unless Set
	Rules        []ViewRule
}

// ViewRule allows (or answers, for fallbacks and loader rules) syscall
// Syscall when every condition holds.
type ViewRule struct {
	Syscall string
	Conds   []ViewCond
	Doc     string
}

// ViewCond is one argument test. Self: Val is the pledging process's pid
// (BuildFilter fills it in from FilterOptions.Pid). Directory: the
// architecture's O_DIRECTORY is added to Mask and Val (ArchCond).
type ViewCond struct {
	seccomp.Cond
	Self      bool
	Directory bool
}

// ArchCond is the condition as BuildFilter compiles it for arch with pid.
func (c ViewCond) ArchCond(arch string, pid uint32) seccomp.Cond {
	return cond{Cond: c.Cond, self: c.Self, directory: c.Directory}.archCond(arch, uint64(pid))
}

// ViewFallback answers Errno instead of a kill for Rule when Need is held.
type ViewFallback struct {
	Need  Set
	Rule  ViewRule
	Errno syscall.Errno
}

// Table returns a copy of the promise table.
func Table() View {
	v := View{MaxLen: maxPromiseLen}
	for _, g := range promiseTable {
		v.Grants = append(v.Grants, ViewGrant{Need: g.need, Unless: g.unless, Rules: viewRules(g.rules)})
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
		v.Fallbacks = append(v.Fallbacks, ViewFallback{Need: f.need, Rule: viewRule(f.rule), Errno: f.errno})
	}
	v.Loader = viewRules(loaderRules)
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

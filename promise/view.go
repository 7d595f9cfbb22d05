//go:build linux

package promise

import (
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
	// Hot are the syscalls whose argument checks a filter reaches first,
	// hottest first (seccomp.Filter.Hot, as BuildFilter sets it).
	Hot []string
	// MaxLen is the longest promise string Parse accepts (longer ones are
	// ENAMETOOLONG).
	MaxLen int
}

// ViewGrant is one row of the table: its rules are allowed when every
// promise of Need is held and none of Unless.
type ViewGrant struct {
	Need, Unless Set
	Rules        []ViewRule
	// WithLayer and NoLayer say that the row holds only in a filter
	// built with a path layer (FilterOptions.PathLayer), or only without
	// one; neither: either way.
	WithLayer, NoLayer bool
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

// ViewFallback answers Errno instead of a kill for Rule when Need is held.
type ViewFallback struct {
	Need  Set
	Rule  ViewRule
	Errno syscall.Errno
	// WithLayer and NoLayer: as in ViewGrant.
	WithLayer, NoLayer bool
}

// AppliesTo reports whether the row is in a filter built with or without
// a path layer (FilterOptions.PathLayer).
func (g ViewGrant) AppliesTo(pathLayer bool) bool {
	return layerApplies(g.WithLayer, g.NoLayer, pathLayer)
}

// AppliesTo: as ViewGrant.AppliesTo.
func (f ViewFallback) AppliesTo(pathLayer bool) bool {
	return layerApplies(f.WithLayer, f.NoLayer, pathLayer)
}

func layerApplies(withLayer, noLayer, pathLayer bool) bool {
	return !(withLayer && !pathLayer) && !(noLayer && pathLayer)
}

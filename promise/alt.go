//go:build linux

package promise

import "syscall"

// Alt is one way the promise table lets a call through: every promise of
// Need held and none of Unless. An Alt with Errno set is not a grant but a
// fallback of the table: with Need held the call fails with Errno, quietly,
// instead of being a violation (a library probe that must degrade, such as
// glibc's nscd socket under getpw); whether the program then does the same
// is for the caller to judge.
type Alt struct {
	Need, Unless Set
	// Layer is set when the grant holds only with a path layer in force
	// (Landlock then decides the path).
	Layer bool
	Errno syscall.Errno
}

// Holds reports whether promises p satisfy a.
func (a Alt) Holds(p Set) bool { return p.Has(a.Need) && p&a.Unless == 0 }

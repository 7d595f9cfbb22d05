//go:build !linux

package unveil

// Without Landlock this package has its pure parts only: permissions
// (Perm, ParsePerm), entries and plans (Entry, Plan, MakePlan) and Status,
// the report package pledge returns from UnveilStatus on every platform.
// State, the Landlock engine, exists on Linux only. What Status says
// elsewhere:
//
//   - OpenBSD: the kernel's unveil(2) enforces every entry from the first
//     call on: Enforced once something was unveiled, Entries as asked
//     (paths as given, Kind not filled in), ABI 0 and Plan nil (no
//     Landlock), Unenforced 0.
//   - Every other system: nothing is enforced; Err says why (it matches
//     errors.ErrUnsupported), Unenforced is AllRights() and
//     AbstractUnixOpen is true, as on a Linux kernel without Landlock.

// Status is what the veil does, for reports; the fields are those of the
// Linux Status (state.go).
type Status struct {
	ABI              int   // running Landlock ABI; 0 without Landlock
	Err              error // why the veil is not enforced, or nil
	BestEffort       bool
	Locked           bool
	Enforced         bool    // the kernel enforces Entries
	Entries          []Entry // as unveiled
	Unenforced       uint64  // the Landlock rights not enforced (see state.go)
	AbstractUnixOpen bool    // abstract unix sockets outside the veil are reachable
	Plan             *Plan   // Landlock rules applied; always nil here
}

// UnenforcedNames lists Unenforced by Landlock name, and
// SCOPE_ABSTRACT_UNIX_SOCKET when AbstractUnixOpen.
func (st Status) UnenforcedNames() []string {
	names := RightNames(st.Unenforced)
	if st.AbstractUnixOpen {
		names = append(names, "SCOPE_ABSTRACT_UNIX_SOCKET")
	}
	return names
}

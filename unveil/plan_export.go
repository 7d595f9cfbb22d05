//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/landlock"
)

// planFor is the plan and ruleset attributes Commit enforces for the
// current entries on Landlock ABI abi; Prepare computes the same for a
// process other than this one.
func (s *State) planFor(abi int) (*Plan, landlock.RulesetAttr) {
	handled := landlock.HandledAccessFS(abi)
	plan := MakePlan(withInterpreters(s.classify()), handled, readDir)
	return plan, landlock.RulesetAttr{
		HandledAccessFS: handled,
		// OpenBSD has no abstract unix sockets: under a veil every unix
		// socket is a path that must be unveiled. Landlock's scoping
		// (ABI 6) keeps the abstract namespace to this domain, so a
		// veiled process cannot reach abstract sockets bound outside it.
		Scoped: landlock.ScopeAbstractUnixSocket & landlock.HandledScopes(abi),
	}
}

// openRule opens the path of rule r O_PATH|O_CLOEXEC, as Commit adds it:
// an entry of a split directory without following a final symlink, and
// not at all if it is one (a link out of the tree must carry no rights to
// its target); an unveiled path following symlinks. It returns -1 for a
// rule to skip: a symlink entry, or a path that vanished since planning
// (it can only have lost rights). The mode is the opened file's.
func openRule(r Rule) (int, uint32, error) {
	flags := unix.O_PATH | unix.O_CLOEXEC
	if r.Child {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := unix.Open(r.Path, flags, 0)
	if err != nil {
		if err == unix.ENOENT {
			return -1, 0, nil
		}
		return -1, 0, &os.PathError{Op: "open", Path: r.Path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "fstat", Path: r.Path, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		unix.Close(fd)
		return -1, 0, nil
	}
	return fd, st.Mode, nil
}

// Prepared is what Commit enforces, computed without enforcing it: the
// plan and the Landlock domain built from it, with each rule's path already
// opened. Commit enforces it on this process; the pledge command hands the
// domain to the supervisor, which injects it into its program.
type Prepared struct {
	ABI  int
	Plan *Plan
	// Domain's rules are the plan's rules as Commit adds them, each with
	// an O_PATH|O_CLOEXEC fd opened the way openRule opens it and its
	// access masked as landlock_add_rule(2) accepts it (to the handled
	// rights, to landlock.AccessFSFile on a non-directory; rules left
	// with no access dropped).
	landlock.Domain
}

// ErrNothingUnveiled is Prepare's answer when nothing was unveiled:
// Commit would enforce nothing (OpenBSD hides nothing then).
var ErrNothingUnveiled = errors.New("nothing unveiled")

// Prepare computes what Commit would enforce now, on the same code path
// (the same classification, MakePlan, ruleset attributes and opening of
// each rule's path), without enforcing anything and without locking s.
// Without Landlock the error wraps ENOSYS, whatever the best-effort
// setting: the caller decides. The caller closes the Prepared's fds.
func (s *State) Prepare() (*Prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prepare()
}

// prepare is Prepare with s.mu held.
func (s *State) prepare() (*Prepared, error) {
	if len(s.entries) == 0 {
		return nil, ErrNothingUnveiled
	}
	abi, err := s.queryABI()
	if err != nil {
		return nil, fmt.Errorf("unveil: %w", err)
	}
	plan, attr := s.planFor(abi)
	p := &Prepared{ABI: abi, Plan: plan, Domain: landlock.Domain{Attr: attr}}
	for _, r := range plan.Rules {
		fd, mode, err := openRule(r)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("unveil: %w", err)
		}
		if fd < 0 {
			continue
		}
		access := r.Access & attr.HandledAccessFS
		if mode&unix.S_IFMT != unix.S_IFDIR {
			access &= landlock.AccessFSFile
		}
		if access == 0 {
			unix.Close(fd)
			continue
		}
		p.Rules = append(p.Rules, landlock.PathRule{Path: r.Path, Fd: fd, Access: access})
	}
	return p, nil
}

//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/landpledge/landpledge/landlock"
	"golang.org/x/sys/unix"
)

// State is a process's unveil state: the accumulated entries and the lock.
// It is safe for concurrent use.
type State struct {
	mu         sync.Mutex
	entries    []Entry // requested, in order; Kind is filled in at commit
	locked     bool
	enforced   bool
	bestEffort bool
	abiFunc    func() (int, error)
	abi        int
	abiErr     error
	abiKnown   bool
	plan       *Plan
}

// New returns an empty, unlocked State that asks the kernel for the
// Landlock ABI with landlock.ABI.
func New() *State { return &State{abiFunc: landlock.ABI} }

// SetABIFunc replaces the Landlock ABI lookup, so tests can simulate a
// kernel without Landlock or with an older ABI. Call it before Unveil.
func (s *State) SetABIFunc(f func() (int, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abiFunc, s.abiKnown = f, false
}

// SetBestEffort decides what happens without Landlock: false (the default)
// makes Unveil fail with ENOSYS; true makes Unveil and Commit succeed
// without enforcing anything (Status then says ABI 0, not enforced).
func (s *State) SetBestEffort(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bestEffort = on
}

// queryABI returns the running Landlock ABI, asked once. Without Landlock
// the error wraps ENOSYS (so it also matches errors.ErrUnsupported) and the
// kernel's own answer.
func (s *State) queryABI() (int, error) {
	if !s.abiKnown {
		s.abi, s.abiErr = s.abiFunc()
		if s.abiErr == nil && s.abi < 1 {
			s.abiErr = fmt.Errorf("landlock ABI %d", s.abi)
		}
		if s.abiErr != nil {
			s.abi = 0
			s.abiErr = fmt.Errorf("no Landlock: %w (%w)", unix.ENOSYS, s.abiErr)
		}
		s.abiKnown = true
	}
	return s.abi, s.abiErr
}

// Unveil adds path with permissions perms, as unveil(2) does before the
// veil is committed. Errors are *os.PathError{Op: "unveil"} wrapping the
// errno: EPERM after the lock; ENAMETOOLONG for permissions longer than 4
// characters; EINVAL for an empty path or a bad permission character;
// ENOENT (or ENOTDIR) when a directory on the way does not exist (a missing
// final name is fine); ENOSYS without Landlock unless best effort is on.
// A relative path is taken relative to the current directory now; symlinks
// on the way and in the final name are resolved now. Unveiling the same
// (resolved) path again replaces its permissions. There is no limit on the
// number of entries (OpenBSD: E2BIG beyond 128).
func (s *State) Unveil(path, perms string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return pathError(path, unix.EPERM)
	}
	// Our order: the permissions' length (OpenBSD copies them into a
	// 5-byte buffer: ENAMETOOLONG), the empty path (EINVAL), the letters
	// (EINVAL).
	p, permErr := ParsePerm(perms)
	if errors.Is(permErr, unix.ENAMETOOLONG) {
		return pathError(path, permErr)
	}
	if path == "" {
		return pathError(path, unix.EINVAL)
	}
	if permErr != nil {
		return pathError(path, permErr)
	}
	if _, err := s.queryABI(); err != nil && !s.bestEffort {
		return pathError(path, err)
	}
	resolved, err := resolve(path)
	if err != nil {
		return pathError(path, err)
	}
	for i := range s.entries {
		if s.entries[i].Path == resolved {
			s.entries[i].Perm = p
			return nil
		}
	}
	s.entries = append(s.entries, Entry{Path: resolved, Perm: p})
	return nil
}

// maxSymlinks bounds symlink resolution of a dangling final name, as
// MAXSYMLINKS does in namei.
const maxSymlinks = 40

// resolve makes path absolute against the current directory and resolves
// symlinks the way namei does for unveil(2): every directory on the way
// must exist; the final name may be missing, and a final symlink is
// followed even when its target does not exist yet.
func resolve(path string) (string, error) {
	if !filepath.IsAbs(path) {
		cwd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		// No filepath.Join: it would clean "link/.." lexically, while the
		// kernel resolves ".." after following the link.
		path = cwd + "/" + path
	}
	for range maxSymlinks {
		r, err := filepath.EvalSymlinks(path)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, unix.ENOENT) {
			return "", errnoOf(err)
		}
		trimmed := strings.TrimRight(path, "/")
		dir, name := filepath.Split(trimmed)
		if name == "." || name == ".." || name == "" {
			return "", unix.ENOENT
		}
		rdir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return "", errnoOf(err) // a missing intermediate directory: ENOENT
		}
		if fi, err := os.Stat(rdir); err != nil {
			return "", errnoOf(err)
		} else if !fi.IsDir() {
			return "", unix.ENOTDIR
		}
		full := filepath.Join(rdir, name)
		fi, err := os.Lstat(full)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return full, nil // missing final name
		}
		// A dangling symlink: unveil the name it points to.
		target, err := os.Readlink(full)
		if err != nil {
			return "", errnoOf(err)
		}
		if !filepath.IsAbs(target) {
			target = rdir + "/" + target
		}
		path = target
	}
	return "", unix.ELOOP
}

// errnoOf returns the errno inside err, or err itself.
func errnoOf(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// Locked reports whether Unveil is locked (after Commit).
func (s *State) Locked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locked
}

// Commit locks the state (later Unveil calls fail with EPERM) and, if
// anything was unveiled and the veil is not enforced yet, enforces it: it
// plans the rules (MakePlan), creates a Landlock ruleset handling every
// filesystem right the running ABI knows, adds the rules, and restricts
// every thread of the process (landlock.Ruleset.RestrictSelf, which sets
// no_new_privs first). Calling it again is a no-op once enforced; after a
// failure it tries again. Without Landlock and with best effort on, it only
// locks.
//
// extra are rules the caller adds to the veil's ruleset, masked to what it
// handles (the named paths of the pledge that commits, which bypass unveil
// on OpenBSD); Commit does not close their descriptors.
func (s *State) Commit(extra ...landlock.PathRule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked = true
	if s.enforced || len(s.entries) == 0 {
		return nil
	}
	if _, err := s.queryABI(); err != nil {
		if s.bestEffort {
			return nil
		}
		return fmt.Errorf("unveil: %w", err)
	}
	prep, err := s.prepare()
	if err != nil {
		return err
	}
	defer prep.Close()
	d := prep.Domain
	for _, r := range extra {
		if r.Access &= d.Attr.HandledAccessFS; r.Access != 0 {
			d.Rules = append(d.Rules, r)
		}
	}
	if err := d.Enforce(); err != nil {
		return fmt.Errorf("unveil: %w", err)
	}
	s.plan, s.enforced = prep.Plan, true
	return nil
}

// classify finds out what each entry is now. A name whose parent directory
// has gone is dropped: nothing is left to hang its rights on.
func (s *State) classify() []Entry {
	out := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		var ok bool
		if e.Kind, ok = kindOf(e.Path); ok {
			out = append(out, e)
		}
	}
	return out
}

// kindOf is what path is now; ok is false when it is missing and so is
// its parent directory.
func kindOf(path string) (Kind, bool) {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return KindDir, true
	case err == nil:
		return KindFile, true
	}
	pfi, perr := os.Stat(filepath.Dir(path))
	return KindMissing, perr == nil && pfi.IsDir()
}

// readDir lists a directory it opens with O_DIRECTORY, which can open
// nothing but a directory: under pledge, the "unveil" promise allows
// exactly such opens (and O_PATH ones), not reading files.
func readDir(dir string) ([]os.DirEntry, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	return f.ReadDir(-1)
}

// Status is what the veil does, for reports (the pledge command prints it).
type Status struct {
	ABI        int   // running Landlock ABI; 0 without Landlock
	Err        error // why Landlock is unavailable, or nil
	BestEffort bool
	Locked     bool
	Enforced   bool    // a Landlock domain was applied by Commit
	Entries    []Entry // as unveiled, with what each path is now (Kind)
	// Unenforced is the set of rights the permission table uses that the
	// running ABI cannot enforce (all of them without Landlock): e.g.
	// REFER before ABI 2 (then rename/link across directories is always
	// refused with EXDEV), TRUNCATE before ABI 3, IOCTL_DEV before ABI 5,
	// RESOLVE_UNIX before ABI 9 (then connect(2) to a unix socket is not
	// restricted).
	Unenforced uint64
	// AbstractUnixOpen is true when the running ABI cannot keep abstract
	// unix sockets bound outside the veil out of reach (scoping needs
	// ABI 6).
	AbstractUnixOpen bool
	Plan             *Plan // the rules applied; nil before an enforcing Commit
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

// entriesNow are the entries with what each path is now (Kind).
func (s *State) entriesNow() []Entry {
	out := slices.Clone(s.entries)
	for i := range out {
		out[i].Kind, _ = kindOf(out[i].Path)
	}
	return out
}

// Status reports the state of the veil.
func (s *State) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	abi, err := s.queryABI()
	return Status{
		ABI:              abi,
		Err:              err,
		BestEffort:       s.bestEffort,
		Locked:           s.locked,
		Enforced:         s.enforced,
		Entries:          s.entriesNow(),
		Unenforced:       landlock.Unsupported(AllRights(), abi),
		AbstractUnixOpen: landlock.UnsupportedScopes(landlock.ScopeAbstractUnixSocket, abi) != 0,
		Plan:             s.plan,
	}
}

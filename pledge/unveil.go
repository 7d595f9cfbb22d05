//go:build linux

package pledge

import (
	"fmt"
	"os"
	"sync"

	"github.com/landpledge/landpledge/landlock"
	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/unveil"
)

// veil is the process's one unveil state: Landlock domains are per process
// (all threads), so the state must be too.
var veil = newVeil()

func newVeil() *unveil.State {
	s := unveil.New()
	s.SetBestEffort(os.Getenv(EnvBestEffort) == "1")
	return s
}

// Unveil is OpenBSD's unveil(2) (golang.org/x/sys/unix signature): it makes
// path available with permissions, any of "r" (read), "w" (write),
// "x" (execute), "c" (create/remove), or "" (hide). Unveil calls accumulate;
// Landlock enforces them on every thread at the commit: UnveilBlock, or the
// first Pledge whose promises lack "unveil". Until then nothing is hidden
// (OpenBSD hides everything at the first call).
//
// Errors are *os.PathError wrapping EPERM (locked), ENAMETOOLONG, EINVAL,
// ENOENT/ENOTDIR, or ENOSYS (also errors.ErrUnsupported) when the kernel has
// no Landlock and best effort is off. See package unveil for the mapping to
// Landlock rights and COMPAT.md for the differences from OpenBSD.
//
// An Unveil after a pledge that kept "unveil" is not enforced until
// UnveilBlock or a pledge without "unveil" (OpenBSD enforces it at once;
// Linux cannot add to an enforced Landlock domain): the first such call
// prints one line on stderr saying so, and with EnvUnveilStrict=1 it fails
// with EPERM instead (for CI).
func Unveil(path, permissions string) error {
	if err := pendingAfterPledge(path, permissions); err != nil {
		return err
	}
	return veil.Unveil(path, permissions)
}

// warnedPending is set once the pending-veil line was printed.
var warnedPending sync.Once

// pendingAfterPledge warns (once), or fails under EnvUnveilStrict, when
// Unveil is called after a pledge and the veil is not enforced: nothing
// will commit it unless the program calls UnveilBlock or pledges again.
func pendingAfterPledge(path, permissions string) error {
	mu.Lock()
	pledged := state.Pledged
	mu.Unlock()
	if !pledged || veil.Locked() {
		return nil // before any pledge the commit comes with it; locked: EPERM anyway
	}
	if os.Getenv(EnvUnveilStrict) == "1" {
		return &os.PathError{Op: "unveil", Path: path, Err: fmt.Errorf("not enforced until UnveilBlock() (%s=1): %w", EnvUnveilStrict, unix.EPERM)}
	}
	warnedPending.Do(func() {
		fmt.Fprintf(os.Stderr, "pledge: unveil(%q, %q) after a pledge is not enforced until UnveilBlock() or a pledge without \"unveil\": Linux cannot add to an enforced Landlock domain (%s=1 makes this an error)\n",
			path, permissions, EnvUnveilStrict)
	})
	return nil
}

// UnveilBlock is unveil(NULL, NULL): it locks the unveil state (later
// Unveil calls fail with EPERM) and, if anything was unveiled, enforces the
// veil on every thread of the process. With nothing unveiled it only locks,
// as on OpenBSD.
func UnveilBlock() error {
	mu.Lock()
	defer mu.Unlock()
	return commitVeil()
}

// commitVeil is THE commit function shared by UnveilBlock and Pledge: if
// anything was unveiled and the veil is not enforced yet, it builds the
// Landlock ruleset, with extra rules (the named paths of the pledge that
// commits, which bypass unveil as on OpenBSD), and restricts every thread;
// in every case it locks unveil. Safe to call more than once.
//
// With an exec supervisor running, the entries are sent to it first (the
// images exec'd with execpromises keep the veil); if that fails nothing
// is committed: the caller then drops the path promises.
func commitVeil(extra ...landlock.PathRule) error {
	st := veil.Status()
	wasEnforced := st.Enforced
	if sup != nil && !wasEnforced && !st.Locked && len(st.Entries) > 0 {
		if err := sup.Veil(st.Entries); err != nil {
			return err
		}
	}
	if err := veil.Commit(extra...); err != nil {
		return err
	}
	if !wasEnforced && veil.Status().Enforced {
		state.Layers++
	}
	return nil
}

// SetBestEffort chooses what happens on a kernel without Landlock: off (the
// default) makes Unveil fail with ENOSYS; on makes Unveil and UnveilBlock
// succeed without enforcing anything, which UnveilStatus then shows
// (ABI 0, Enforced false). EnvBestEffort=1 turns it on at start-up.
func SetBestEffort(on bool) { veil.SetBestEffort(on) }

// UnveilStatus reports the Landlock ABI, whether the veil is locked and
// enforced, the rules applied, the rights granted beyond the entries for
// names that do not exist yet, and the rights the running ABI cannot
// enforce (Status.UnenforcedNames), so the command can print them.
func UnveilStatus() unveil.Status { return veil.Status() }

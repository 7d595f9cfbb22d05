//go:build linux

package pledge

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
)

// Path promises (promise/paths.go): each pledge whose path rights differ
// from the last one's stacks a Landlock layer that handles what its
// promises do not allow everywhere and grants the named paths, and its
// filter lets the opens a named path may need through. A reduce-only
// pledge that changes no path right adds no layer. Without Landlock, and
// when a layer cannot be stacked, the filter decides opens by their flags,
// as before: never a weaker sandbox.

var (
	// named holds the named paths of the first pledge, opened before its
	// filter: later pledges only narrow, and may by then be unable to open
	// anything O_PATH.
	named *sandbox.NamedFiles
	// lastLayer identifies the last path layer stacked (sandbox.LayerKey).
	lastLayer string
)

// errLayerLimit is the answer when the kernel refuses one more Landlock
// layer: at most 16 are stacked, inherited ones included.
var errLayerLimit = fmt.Errorf("Landlock allows at most 16 layers, inherited ones included: %w", unix.E2BIG)

// errNoSignals: a layer after the first filter needs libpsx's signals to
// reach every thread (cgo builds before Landlock ABI 8), which that filter
// refuses unless "unveil" is held.
var errNoSignals = errors.New("a path layer after the first filter needs libpsx's tkill, which the filter refuses (cgo build; TSYNC needs Landlock ABI 8)")

// namedRules are the named paths of p as Landlock rules within handled,
// from the descriptors opened at the first pledge (opened now if this is
// it). None without Landlock.
func namedRules(p Promises, handled uint64) []landlock.PathRule {
	if UnveilStatus().ABI < 1 {
		return nil
	}
	if named == nil {
		named = sandbox.OpenNamed(p)
	}
	return named.Rules(p, handled)
}

// applyPathLayer stacks the path layer of a pledge of p, unless it would be
// the last one again, and reports whether a path layer decides p's opens
// by path. Called with mu held, before p's filter is loaded.
func applyPathLayer(p Promises) (bool, error) {
	st := UnveilStatus()
	if st.ABI < 1 {
		state.PathErr = fmt.Errorf("no Landlock: %w", errors.Join(st.Err, unix.ENOSYS))
		return false, nil // best effort, or Unveil would have failed: flags only, as asked
	}
	namedRules(p, 0) // open them at the first pledge
	d := sandbox.PathLayer(p, st.ABI, named)
	if d == nil {
		state.PathErr = nil
		return true, nil // p allows everything by path: nothing to deny
	}
	key := sandbox.LayerKey(d)
	if key == lastLayer {
		state.PathErr = nil
		return true, nil
	}
	err := stackLayer(d, st.ABI)
	state.PathErr = err
	if errors.Is(err, errNoSignals) {
		// Stricter, not weaker: the flags decide, and the state says why.
		return false, nil
	}
	if err != nil {
		return false, err
	}
	lastLayer = key
	state.Layers++
	return true, nil
}

// stackLayer enforces d on every thread, unless the filter in force would
// kill the process on the way (libpsx's tkill, cgo builds before ABI 8,
// when the last pledge dropped "unveil").
func stackLayer(d *landlock.Domain, abi int) error {
	if state.Filters > 0 && !state.Promises.Has(promise.Unveil) && landlock.RestrictNeedsSignals(abi) {
		return fmt.Errorf("Landlock ABI %d: %w", abi, errNoSignals)
	}
	if err := d.Enforce(); err != nil {
		if errors.Is(err, unix.E2BIG) {
			return fmt.Errorf("%w (%v)", errLayerLimit, err)
		}
		return err
	}
	return nil
}

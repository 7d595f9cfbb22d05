package pledge

import (
	"fmt"

	"github.com/landpledge/landpledge/promise"
)

// Promises is a set of pledge promises; package promise owns the names, the
// parsing and the promise table.
type Promises = promise.Set

// ParsePromises parses a promise string by OpenBSD's rules (promise.Parse):
// EINVAL for an unknown word or a leading space, ENAMETOOLONG beyond 1023
// bytes.
func ParsePromises(s string) (Promises, error) { return promise.Parse(s) }

// parseBoth parses the strings of a pledge call, each when given, before
// anything looks at the current state (OpenBSD's order).
func parseBoth(promises, execpromises *string) (want, wantExec Promises, err error) {
	if promises != nil {
		if want, err = ParsePromises(*promises); err != nil {
			return 0, 0, fmt.Errorf("pledge %q: %w", *promises, err)
		}
	}
	if execpromises != nil {
		if wantExec, err = ParsePromises(*execpromises); err != nil {
			return 0, 0, fmt.Errorf("pledge execpromises %q: %w", *execpromises, err)
		}
	}
	return want, wantExec, nil
}

package pledge

import "github.com/landpledge/landpledge/promise"

// Promises is a set of pledge promises; package promise owns the names, the
// parsing and the promise table.
type Promises = promise.Set

// ParsePromises parses a promise string by OpenBSD's rules (promise.Parse):
// EINVAL for an unknown word or a leading space, ENAMETOOLONG beyond 1023
// bytes.
func ParsePromises(s string) (Promises, error) { return promise.Parse(s) }

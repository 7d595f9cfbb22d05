//go:build !amd64

package supervise

// Spawn is implemented for amd64 only (see inject_other.go).
func (a *Attached) Spawn(sp *Spawn) (*Spawned, error) { return nil, errNoInject }

// Let fails: see errNoInject.
func (a *Attached) Let(c *Spawned) error { return errNoInject }

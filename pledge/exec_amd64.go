//go:build linux

package pledge

// execSupervised is true where the exec supervisor exists (see exec.go).
const execSupervised = true

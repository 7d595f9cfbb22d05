//go:build !amd64

package supervise

import "syscall"

// Parking is implemented for amd64 only (see inject_other.go): the broker
// then kills the process at its exec stop (fail closed).

func park(tid int) (uint64, error) { return 0, errNoInject }

func exitAt(tid int, at uint64, code int) error { return errNoInject }

func defaultAction(tid int, sig syscall.Signal) error { return errNoInject }

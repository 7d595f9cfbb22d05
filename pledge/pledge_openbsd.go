package pledge

import "golang.org/x/sys/unix"

// On OpenBSD the package is a thin pass-through to the kernel's pledge(2)
// and unveil(2) as golang.org/x/sys/unix has them: the kernel's semantics
// (the veil is enforced from the first Unveil, a violation is killed with
// SIGABRT) and its errors, unwrapped. passthrough.go records what the
// kernel accepted for CurrentState and UnveilStatus.
var kernel = &kernelCalls{
	pledge:             unix.Pledge,
	pledgePromises:     unix.PledgePromises,
	pledgeExecpromises: unix.PledgeExecpromises,
	unveil:             unix.Unveil,
	unveilBlock:        unix.UnveilBlock,
}

// errUnsupported is never returned on OpenBSD.
var errUnsupported error

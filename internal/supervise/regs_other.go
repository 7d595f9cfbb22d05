//go:build !amd64

package supervise

import "golang.org/x/sys/unix"

// The register and breakpoint code exists for amd64 only (arm64 would use
// a BRK instruction for the entry breakpoint and NT_ARM_SYSTEM_CALL for the
// syscall number). Elsewhere the package builds, but Setup's injection
// fails (errNoInject), so no program is ever run unsandboxed, and these
// stubs fail closed: no entry breakpoint means no loader grants.

func setEntryBreakpoint(tid int, entry uint64) (byte, error) { return 0, errNoInject }

func entryBreakpointHit(tid int, entry uint64) bool { return false }

func clearEntryBreakpoint(tid int, entry uint64, orig byte, rewind bool) error { return errNoInject }

// syscallOf cannot decode the registers here: it reports a number no
// table has, so nothing is explained or allowed by it.
func syscallOf(r *unix.PtraceRegs) (uint32, [6]uint64) { return ^uint32(0), [6]uint64{} }

// canRewriteSyscall is false: skipSyscall and setSyscall cannot change the
// call here, so seccompStop kills the tracee instead of letting a denied
// call run.
const canRewriteSyscall = false

func skipSyscall(r *unix.PtraceRegs, errno unix.Errno) {}

func setSyscall(r *unix.PtraceRegs, nr uint64) {}

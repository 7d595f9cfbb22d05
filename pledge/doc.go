// Package pledge is OpenBSD's pledge(2) and unveil(2) for Linux, with the
// signatures and errnos of golang.org/x/sys/unix on OpenBSD: unveil maps to
// Landlock, and the promises of pledge compile (package promise) to one
// seccomp-BPF filter per call, installed on every thread.
//
// The package builds on every GOOS/GOARCH with the same API, so that a
// ported program needs no build tags of its own:
//
//   - Linux amd64: everything (Landlock, seccomp, the exec supervisor,
//     which runs exec'd programs unpledged or under exactly the
//     execpromises, as on OpenBSD).
//   - Linux arm64: the same without the exec supervisor: exec'd programs
//     keep the promises (CurrentState().ExecErr says so).
//   - Other Linux architectures: Unveil works (Landlock); there is no
//     promise table, so Pledge with promises fails with ENOSYS (it matches
//     errors.ErrUnsupported) before changing anything, unless best effort
//     is on: then it commits the veil and loads no filter.
//   - OpenBSD: a thin pass-through to unix.Pledge, unix.PledgePromises,
//     unix.PledgeExecpromises, unix.Unveil and unix.UnveilBlock, with the
//     kernel's semantics and errors; CurrentState and UnveilStatus report
//     what the kernel accepted.
//   - Every other system: every call fails with an error matching
//     errors.ErrUnsupported (after the argument checks: EINVAL,
//     ENAMETOOLONG), unless best effort is on (SetBestEffort,
//     EnvBestEffort); then the calls succeed without enforcing anything,
//     and State.Enforced and Status.Enforced say so.
package pledge

//go:build linux && !amd64

package pledge

// execSupervised is false: internal/supervise's breakpoint, register and
// injection code is amd64 only, so Pledge with execpromises keeps the
// behaviour without a supervisor (exec'd programs run under the promises)
// and CurrentState().ExecErr says so.
const execSupervised = false

//go:build linux && !cgo

package landlock

// psxReadsProcTask: without cgo, psx.Syscall3/6 are
// syscall.AllThreadsSyscall/6, which reach the other threads through the Go
// runtime's own list of threads and touch no file.
const psxReadsProcTask = false

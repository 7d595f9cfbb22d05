//go:build linux && cgo

package landlock

// psxReadsProcTask: with cgo, psx.Syscall3/6 run libpsx, which (since
// libcap 1.2.72) performs the call on the calling thread first and then
// lists /proc/<pid>/task from that same thread to signal the others. After
// landlock_restrict_self on the first thread that listing is subject to the
// new domain, and when it fails libpsx SIGKILLs the whole process ("failed
// to read /proc/<pid>/task - aborting"; go-landlock issue #39, kernel
// bugzilla 220644). See allowProcTask.
const psxReadsProcTask = true

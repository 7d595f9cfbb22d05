//go:build linux

package promise

import "github.com/landpledge/landpledge/seccomp"

// FilterOptions tune BuildFilter.
type FilterOptions struct {
	// Violation is the action for what the promises do not allow. Zero
	// means SECCOMP_RET_KILL_PROCESS (the whole process dies with SIGSYS
	// and no handler runs, like OpenBSD's uncatchable abort), or
	// ERRNO(ENOSYS) when the promises hold "error", as on OpenBSD.
	// (SECCOMP_RET_KILL_THREAD is 0 and so cannot be chosen here: killing
	// one thread of a Go program leaves the rest running without it.)
	Violation seccomp.Action
	// Loader, when nonzero, is returned instead of Violation for the
	// operations a program's start-up needs that the promises may not
	// allow (open for read, access, mmap/mprotect with PROT_EXEC,
	// execve/execveat), so that a supervisor can grant them only between
	// an exec and the new image's entry point.
	Loader seccomp.Action
	// PathLayer says that a path layer (promise/paths.go, built by
	// internal/sandbox) is in force for these promises: the opens a named
	// path may need pass the filter and Landlock decides the path.
	// Without it opens are decided by their flags alone, and those the
	// promises do not allow fail with EACCES (OpenBSD may allow them by
	// path).
	PathLayer bool
	// SupervisedReads, with PathLayer, leaves reads to the flags and a
	// supervisor, as when the promises hold "exec" (see readsByLayer):
	// an open for reading that rpath does not allow is a loader operation
	// (Loader), which the supervisor grants for the image's own files
	// during its start-up and for the named paths by the opened file's
	// identity. The exec broker builds its images' filters so, so that
	// its loader window sees every read of their start-up (a file on an
	// internal mount, such as a memfd, passes any Landlock layer). The
	// path layer then handles no reads (PathLayerHandlesSupervised).
	SupervisedReads bool
	// LayerAction, when nonzero, is returned instead of ALLOW for the
	// opens that pass only for the path layer to decide (the pledge
	// command traces them to report the ones Landlock refuses).
	LayerAction seccomp.Action
	// Pid is the process the "to itself" conditions of kill, tgkill,
	// rt_sigqueueinfo, rt_tgsigqueueinfo and prlimit64 compare with;
	// zero means os.Getpid(). The kernel reads these pids as pid_t in the
	// caller's pid namespace, as getpid(2) returns them.
	Pid int
}

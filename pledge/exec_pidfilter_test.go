package pledge

import (
	"slices"
	"testing"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
	"golang.org/x/sys/unix"
)

var eperm = seccomp.ActErrno(unix.EPERM)

// pidFilterPids span the pid range (pid_max is at most 2^22) and beyond.
var pidFilterPids = []int{1, 2, 99, 4242, 32768, 65535, 1 << 22, 0x7fffffff}

// TestInjectFilter checks the exec supervisor's per-image filter: an
// execpromises layer as S receives it compiles to a pid-patchable program,
// and the program it injects for a pid is the one compiled for that pid.
func TestInjectFilter(t *testing.T) {
	_, l, err := parseLayerRequest(layerRequest("exec", promise.Stdio|promise.Rpath, eperm, 0))
	if err != nil {
		t.Fatal(err)
	}
	if l.inject, err = promise.CompilePidFilter(seccomp.Native(), l.promises, l.injectOptions(0)); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pidFilterPids {
		got, err := l.injectFilter(pid)
		if err != nil {
			t.Fatal(err)
		}
		f, err := promise.BuildFilter(seccomp.Native(), l.promises, promise.FilterOptions{Violation: eperm, Loader: seccomp.ActTrace(execLoaderTag), Pid: pid})
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.Compile()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pid %d: injected program differs from the one compiled for it", pid)
		}
	}
}

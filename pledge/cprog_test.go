//go:build linux

package pledge

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// C programs run under the filter the way OpenBSD pledges a program it
// does not build: a Go child pledges with execpromises and execve()s the
// program, which the exec supervisor runs in a fresh process under
// exactly those execpromises (its loader gets the window for its own
// files: libraries need neither rpath nor prot_exec). There is no C API;
// this also covers the exec path. Static glibc adds "rpath" for its
// readlink of /proc/self/exe at start-up.

// cBuild describes one way to compile a helper.
type cBuild struct {
	name     string
	cc       string
	flags    []string
	promises string
}

var cBuilds = []cBuild{
	{"glibc-dynamic", "gcc", nil, "stdio"},
	// Static glibc reads /proc/self/exe with readlink at start-up, which
	// needs "rpath"; static musl needs nothing.
	{"glibc-static", "gcc", []string{"-static"}, "stdio rpath"},
	{"musl-static", "musl-gcc", []string{"-static"}, "stdio"},
	{"musl-dynamic", "musl-gcc", nil, "stdio"},
}

// compilerFeature is the sandboxtest feature that says cc is installed.
var compilerFeature = map[string]string{"gcc": "cc", "musl-gcc": "musl"}

// buildC compiles testdata/src with cc into dir (in the parent only; the
// child finds the binary in the shared directory). A missing compiler skips
// the case, saying which one, unless LANDPLEDGE_REQUIRE names it: .ci/run
// installs gcc and musl-tools and requires both.
func buildC(t *testing.T, dir, src string, b cBuild) string {
	t.Helper()
	bin := filepath.Join(dir, strings.TrimSuffix(src, ".c")+"-"+b.name)
	if sandboxtest.InChild() {
		return bin
	}
	sandboxtest.Require(t, compilerFeature[b.cc])
	abs, err := filepath.Abs(filepath.Join("testdata", src))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-O1", "-pthread", "-o", bin, abs}, b.flags...)
	if out, err := exec.Command(b.cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", b.cc, strings.Join(args, " "), err, out)
	}
	return bin
}

// execPledged pledges the child "stdio exec" with execpromises promises
// and execs bin, which then runs under exactly promises.
func execPledged(promises, bin string) {
	mustPledge("stdio exec", promises)
	err := syscall.Exec(bin, []string{bin}, os.Environ())
	must("exec "+bin, err)
}

var surviveSteps = []string{"malloc", "pthread", "clock_nanosleep", "clock_gettime", "getrandom",
	"fstat", "statx", "close_range", "getrlimit", "membarrier", "getpid", "time"}

// TestCProgramsSurvive: glibc (dynamic and static) and musl programs run
// under the promises they need: malloc, threads, sleeping, getrandom, fstat,
// statx, close_range, prlimit64 reads and membarrier.
func TestCProgramsSurvive(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	for _, b := range cBuilds {
		t.Run(b.name, func(t *testing.T) {
			bin := buildC(t, dir, "survive.c", b)
			if !sandboxtest.InChild() {
				// Unpledged baseline: the helper itself works.
				if out, err := exec.Command(bin).CombinedOutput(); err != nil {
					t.Fatalf("unpledged %s: %v\n%s", bin, err, out)
				}
			}
			res := sandboxtest.Run(t, func() { execPledged(b.promises, bin) })
			res.WantExit(t, 0)
			for _, s := range surviveSteps {
				res.WantOutcome(t, s, "ok")
			}
		})
	}
}

// TestCProgramStartsUnderExec: a dynamic program exec'd with execpromises
// "stdio" starts: the exec supervisor gives its loader the window for its
// own files (ld.so.cache, libc), which "stdio" allows neither to read
// (rpath) nor to map as code (prot_exec). Its main then runs under
// exactly "stdio". Without execpromises it runs unpledged, as on
// OpenBSD: its /proc/self/status says no filter, no no_new_privs.
func TestCProgramStartsUnderExec(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	bin := buildC(t, dir, "survive.c", cBuilds[0])
	t.Run("execpromises", func(t *testing.T) {
		res := sandboxtest.Run(t, func() { execPledged("stdio", bin) })
		res.WantExit(t, 0)
		for _, s := range surviveSteps {
			res.WantOutcome(t, s, "ok")
		}
	})
	t.Run("unpledged", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			mustPledgePromises("stdio exec")
			must("exec", syscall.Exec("/bin/grep", []string{"grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status"}, os.Environ()))
		})
		res.WantExit(t, 0)
		wantLines(t, res, "NoNewPrivs:\t0", "Seccomp:\t0")
	})
}

// TestEscapeInt80: the i386 entry point from a 64-bit process is a foreign
// audit arch; the filter gives it its BadArch action, never the amd64 rule
// for the same number.
func TestEscapeInt80(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("int $0x80 exists only on amd64")
	}
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	static := cBuild{"static", "gcc", []string{"-static"}, "stdio rpath exec"}
	bin := buildC(t, dir, "int80.c", static)
	if !sandboxtest.InChild() {
		out, err := exec.Command(bin).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "int80=") || strings.Contains(string(out), "int80=-") {
			t.Fatalf("unpledged int $0x80 getpid should work (IA32 emulation): %v\n%s", err, out)
		}
	}
	for _, promises := range []string{static.promises, static.promises + " error"} {
		t.Run(strings.ReplaceAll(promises, " ", "_"), func(t *testing.T) {
			want := expectAction(t, promises, badArchAction)
			res := sandboxtest.Run(t, func() { execPledged(promises, bin) })
			if want.signal != 0 {
				res.WantSignal(t, want.signal)
			} else {
				res.WantExit(t, 0)
				if !strings.Contains(res.Stdout, "int80=-"+want.errnoNumber()+"\n") {
					t.Errorf("want int80=-%s (%s):\n%s", want.errnoNumber(), want.errno, res)
				}
			}
			if !strings.Contains(res.Stdout, "start\n") {
				t.Errorf("the helper did not start:\n%s", res)
			}
		})
	}
}

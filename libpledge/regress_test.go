//go:build linux

package libpledge

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestRegress runs the cases of OpenBSD's regress/sys/kern/pledge and
// regress/sys/kern/unveil that have a Linux meaning, written anew in C
// against libpledge (test/regress.c): each in a forked child on a fresh
// fixture, with exact errnos, signals and exit statuses.
func TestRegress(t *testing.T) { runCaseProgram(t, "regress", 50) }

// runCaseProgram runs each case of a test program built on
// test/caselib.h (at least min of them, as its -l lists them) in a
// subtest, with the exec supervisor helper of this build.
func runCaseProgram(t *testing.T, prog string, min int) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	bin := testProgram(t, prog)
	out, err := exec.Command(bin, "-l").Output()
	if err != nil {
		t.Fatalf("%s -l: %v", prog, err)
	}
	names := strings.Fields(string(out))
	if len(names) < min {
		t.Fatalf("%s lists %d cases, want at least %d", prog, len(names), min)
	}
	helper := supervisorPath(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, name)
			cmd.Env = append(cmd.Environ(), "LANDPLEDGE_SUPERVISOR="+helper)
			res := sandboxtest.RunCommand(t, cmd)
			if res.Outcome(name) != "ok" || res.ExitCode != 0 {
				t.Errorf("%s: %s\n%s", name, res.Outcome(name), res)
			}
		})
	}
}

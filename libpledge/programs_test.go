//go:build linux

package libpledge

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestPrograms runs what real OpenBSD programs (openrsync, mandoc,
// lowdown, sqlbox) were seen to do with pledge and unveil when built
// against libpledge, each pattern rewritten as a few lines of our own C
// (test/programs.c), in a forked child with exact outcomes.
func TestPrograms(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	bin := testProgram(t, "programs")
	out, err := exec.Command(bin, "-l").Output()
	if err != nil {
		t.Fatalf("programs -l: %v", err)
	}
	helper := supervisorPath(t)
	for _, name := range strings.Fields(string(out)) {
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

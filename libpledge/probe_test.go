//go:build linux

package libpledge

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestProbe: the enforcement probe (test/probe.c), an LD_PRELOAD module
// run with real programs built against libpledge.so to show that their
// pledge is enforced while their own tests pass, does what it says on our
// own program (test/probed.c): after the last pledge, at every way a
// process ends, socket(AF_INET) kills it unless the promises allow it;
// nothing happens in a process that never pledged.
func TestProbe(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	probe := testProgram(t, "probe.so")
	prog := testProgram(t, "probed")
	cases := []struct {
		name   string
		args   []string
		env    []string
		signal syscall.Signal // how probed ends, or 0 for exit 0
		stdout string
		log    []string // the probe's lines, without "probe PID: "
	}{
		{name: "unpledged", args: nil},
		{name: "return", args: []string{"p=stdio rpath", "p=stdio"}, signal: syscall.SIGSYS,
			log: []string{`after pledge("stdio"): socket(AF_INET, SOCK_STREAM)`}},
		{name: "exit", args: []string{"p=stdio", "exit"}, signal: syscall.SIGSYS,
			log: []string{`after pledge("stdio"): socket(AF_INET, SOCK_STREAM)`}},
		{name: "_exit", args: []string{"p=stdio", "_exit"}, signal: syscall.SIGSYS,
			log: []string{`after pledge("stdio"): socket(AF_INET, SOCK_STREAM)`}},
		{name: "inet", args: []string{"p=stdio inet"},
			log: []string{`after pledge("stdio inet"): socket(AF_INET, SOCK_STREAM)`, "socket: ok"}},
		// The privsep shape (sqlbox): only a forked child pledges, and
		// it ends with _exit.
		{name: "forked-child", args: []string{"fork", "p=stdio rpath", "_exit"}, stdout: "child: SIGSYS\n",
			log: []string{`after pledge("stdio rpath"): socket(AF_INET, SOCK_STREAM)`}},
		{name: "errno", args: []string{"p=stdio", "exit"}, env: []string{"LANDPLEDGE_ERRNO=EPERM"},
			log: []string{`after pledge("stdio"): socket(AF_INET, SOCK_STREAM)`, "socket: EPERM"}},
		{name: "error", args: []string{"p=stdio error", "exit"},
			log: []string{`after pledge("stdio error"): socket(AF_INET, SOCK_STREAM)`, "socket: ENOSYS"}},
	}
	// The program alone: it never violates its own pledges.
	for _, c := range cases {
		cmd := exec.Command(prog, c.args...)
		cmd.Env = withoutSupervisorEnv()
		res := sandboxtest.RunCommand(t, cmd)
		if res.Signal != 0 || res.ExitCode != 0 {
			t.Errorf("%s without the probe: %s", c.name, res)
		}
	}
	prefix := regexp.MustCompile(`^probe [0-9]+: `)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logf := filepath.Join(t.TempDir(), "probe.log")
			cmd := exec.Command(prog, c.args...)
			cmd.Env = append(append(withoutSupervisorEnv(), "LD_PRELOAD="+probe, "PLEDGE_PROBE_LOG="+logf), c.env...)
			res := sandboxtest.RunCommand(t, cmd)
			if c.signal != 0 {
				res.WantSignal(t, c.signal)
			} else {
				res.WantExit(t, 0)
			}
			if res.Stdout != c.stdout {
				t.Errorf("stdout %q, want %q", res.Stdout, c.stdout)
			}
			b, err := os.ReadFile(logf)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				if l != "" {
					got = append(got, prefix.ReplaceAllString(l, ""))
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.log, "\n") {
				t.Errorf("probe log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.log, "\n"))
			}
		})
	}
}

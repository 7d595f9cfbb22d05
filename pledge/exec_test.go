//go:build amd64

package pledge

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// The exec supervisor (exec.go): a child pledges with execpromises and runs
// real programs; the parent checks their exact outcomes.

// secretFile is a readable file in a directory both parent and child see.
func secretFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(sandboxtest.TempDir(t), "secret")
	if !sandboxtest.InChild() {
		if err := os.WriteFile(path, []byte("secret\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// runProgram runs argv with its output captured (os/exec's pipes need
// only "stdio"; stdin is our own, since opening /dev/null needs rpath) and
// prints what happened as "NAME: exit=N signal=S" and its output lines as
// "NAME out: ...".
func runProgram(name string, argv ...string) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		fmt.Printf("%s: exit=0\n", name)
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			fmt.Printf("%s: signal=%s\n", name, unix.SignalName(ws.Signal()))
		} else {
			fmt.Printf("%s: exit=%d\n", name, ws.ExitStatus())
		}
	default:
		fmt.Printf("%s: error=%v\n", name, err)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l != "" {
			fmt.Printf("%s out: %s\n", name, l)
		}
	}
}

// tracerPid is TracerPid of /proc/self/status.
func tracerPid() int {
	b, err := os.ReadFile("/proc/self/status")
	must("read /proc/self/status", err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

func wantLines(t *testing.T, res *sandboxtest.Result, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains("\n"+res.Stdout, "\n"+l+"\n") {
			t.Errorf("missing line %q in:\n%s", l, res)
		}
	}
}

// TestExecpromisesCat: cat is exec'd by a process pledged "stdio rpath
// proc exec prot_exec" with execpromises "stdio": its loader opens and maps
// libc, then its own open of the file fails with EACCES (the table's answer
// to an open without rpath), while the pledged parent still reads it. With
// execpromises "stdio rpath" cat reads it.
func TestExecpromisesCat(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := secretFile(t)
	cases := []struct {
		exec string
		want []string
	}{
		{"stdio", []string{"cat: exit=1", "cat out: /bin/cat: " + file + ": Permission denied"}},
		{"stdio rpath", []string{"cat: exit=0", "cat out: secret"}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.exec, " ", "_"), func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				mustPledge("stdio rpath proc exec prot_exec", c.exec)
				st := CurrentState()
				fmt.Printf("supervised=%v traced=%v\n", st.ExecSupervisor != 0, tracerPid() == st.ExecSupervisor)
				runProgram("cat", "/bin/cat", file)
				sandboxtest.Report("parent-read", openRead(file))
			})
			res.WantExit(t, 0)
			res.WantOutcome(t, "parent-read", "ok")
			wantLines(t, res, append([]string{"supervised=true traced=true"}, c.want...)...)
		})
	}
}

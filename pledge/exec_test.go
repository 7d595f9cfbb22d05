//go:build linux && amd64

package pledge

import (
	"bufio"
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

// buildExecHelper builds one helper into dir in the parent (the child finds
// it there): the dynamic C helper with gcc, the static Go helper with go
// build and CGO_ENABLED=0.
func buildExecHelper(t *testing.T, dir, kind string) string {
	t.Helper()
	bin := filepath.Join(dir, kind)
	if sandboxtest.InChild() {
		return bin
	}
	var cmd *exec.Cmd
	switch kind {
	case "dynamic-C":
		sandboxtest.Require(t, "cc")
		cmd = exec.Command("gcc", "-O1", "-o", bin, "testdata/exec_mmap.c")
	case "static-Go":
		cmd = exec.Command("go", "build", "-buildvcs=false", "-o", bin, "./testdata/exec_gohelper")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	return bin
}

// TestExecpromisesMmapExec: a dynamic C program and a static Go program
// exec'd under execpromises "stdio" start (the C program's loader maps libc
// as code) and are then killed by their mmap(PROT_EXEC), although the
// parent's promises hold prot_exec.
func TestExecpromisesMmapExec(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	for _, kind := range []string{"dynamic-C", "static-Go"} {
		t.Run(kind, func(t *testing.T) {
			bin := buildExecHelper(t, dir, kind)
			res := sandboxtest.Run(t, func() {
				mustPledge("stdio rpath proc exec prot_exec", "stdio")
				runProgram("helper", bin)
				sandboxtest.Report("parent-mmap-exec", mmapExec())
			})
			res.WantExit(t, 0)
			res.WantOutcome(t, "parent-mmap-exec", "ok")
			wantLines(t, res, "helper: signal=SIGSYS", "helper out: started")
			if strings.Contains(res.Stdout, "helper out: mmap") {
				t.Errorf("the helper's mmap(PROT_EXEC) returned:\n%s", res)
			}
		})
	}
}

// mmapExec maps one anonymous page PROT_READ|PROT_EXEC, the call that
// needs "prot_exec", and unmaps it.
func mmapExec() error {
	b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err == nil {
		unix.Munmap(b)
	}
	return err
}

// TestExecpromisesGrandchild: a shell exec'd under execpromises "stdio
// rpath proc exec" (dash needs rpath for getcwd and its PATH search) runs
// the dynamic C helper; the helper's image inherits the execpromises filter
// (no second one is stacked), its loader starts it, and its
// mmap(PROT_EXEC) kills it.
func TestExecpromisesGrandchild(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	bin := buildExecHelper(t, sandboxtest.TempDir(t), "dynamic-C")
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio rpath proc exec prot_exec", "stdio rpath proc exec")
		runProgram("sh", "/bin/sh", "-c", bin+"; echo status $?")
	})
	res.WantExit(t, 0)
	wantLines(t, res, "sh: exit=0", "sh out: started", "sh out: status 159")
}

// TestExecpromisesNarrowed: PledgeExecpromises narrows what the next
// exec'd program gets.
func TestExecpromisesNarrowed(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := secretFile(t)
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio rpath proc exec prot_exec", "stdio rpath")
		runProgram("wide", "/bin/cat", file)
		sandboxtest.Report("narrow", PledgeExecpromises("stdio"))
		runProgram("narrow", "/bin/cat", file)
		sandboxtest.Report("widen", PledgeExecpromises("stdio rpath"))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "narrow", "ok")
	res.WantOutcome(t, "widen", "EPERM")
	wantLines(t, res, "wide: exit=0", "wide out: secret", "narrow: exit=1", "narrow out: /bin/cat: "+file+": Permission denied")
}

// TestExecpromisesOwnViolations: the supervised process itself gets
// exactly what its promises say for the loader operations its filter
// hands to the supervisor: an open without rpath fails with EACCES (the
// table's fallback), access(2) and mmap(PROT_EXEC) kill it with SIGSYS;
// under "error" they return ENOSYS, with LANDPLEDGE_ERRNO=EPERM EPERM.
func TestExecpromisesOwnViolations(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := secretFile(t)
	cases := []struct {
		name, promises, env string
		open, access        string // "" when the call kills
	}{
		{"kill", "stdio proc exec", "", "EACCES", ""},
		{"error", "stdio proc exec error", "", "ENOSYS", "ENOSYS"},
		{"errno-env", "stdio proc exec", EnvErrno + "=EPERM", "EPERM", "EPERM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var env []string
			if c.env != "" {
				env = append(env, c.env)
			}
			res := sandboxtest.Run(t, func() {
				mustPledge(c.promises, "stdio")
				fmt.Printf("supervised=%v\n", CurrentState().ExecSupervisor != 0)
				sandboxtest.Report("open", openRead(file))
				sandboxtest.Report("access", unix.Access(file, unix.R_OK))
				sandboxtest.Report("mmap-exec", mmapExec())
			}, env...)
			wantLines(t, res, "supervised=true")
			res.WantOutcome(t, "open", c.open)
			if c.access == "" {
				res.WantSignal(t, syscall.SIGSYS)
				if res.Outcome("access") != "" {
					t.Errorf("access should have killed:\n%s", res)
				}
				return
			}
			res.WantExit(t, 0)
			res.WantOutcome(t, "access", c.access)
			res.WantOutcome(t, "mmap-exec", c.access)
		})
	}
}

// TestExecSupervisorDeathKills: when the supervisor dies, the process it
// traces is killed (PTRACE_O_EXITKILL) before it makes another traced call.
func TestExecSupervisorDeathKills(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	file := secretFile(t)
	res := sandboxtest.Run(t, func() {
		mustPledge("stdio proc exec", "stdio")
		fmt.Println("killing the supervisor")
		must("kill", unix.Kill(CurrentState().ExecSupervisor, unix.SIGKILL))
		// A traced call: it waits for the tracer, whose exit kills us;
		// without a tracer it would fail with ENOSYS.
		sandboxtest.Report("open-after", openRead(file))
	})
	res.WantSignal(t, syscall.SIGKILL)
	wantLines(t, res, "killing the supervisor")
	if res.Outcome("open-after") != "" {
		t.Errorf("the process ran on after its supervisor died:\n%s", res)
	}
}

// TestExecNoSupervisor: without "exec" nothing is started and nothing
// traces the process; with "exec" (execpromises NULL too) the supervisor
// traces it, so that exec'd images get their loader window.
func TestExecNoSupervisor(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	cases := map[string]struct {
		pledge     func() error
		supervised bool
	}{
		"execpromises-NULL": {func() error { return PledgePromises("stdio rpath proc exec") }, true},
		"no-exec":           {func() error { return Pledge("stdio rpath proc", "stdio") }, false},
		"exec-only-call":    {func() error { return PledgeExecpromises("stdio") }, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				sandboxtest.Report("pledge", c.pledge())
				st := CurrentState()
				fmt.Printf("traced=%v supervised=%v\n", tracerPid() != 0 && tracerPid() == st.ExecSupervisor, st.ExecSupervisor != 0)
			})
			res.WantExit(t, 0)
			res.WantOutcome(t, "pledge", "ok")
			wantLines(t, res, fmt.Sprintf("traced=%v supervised=%v", c.supervised, c.supervised))
		})
	}
}

// TestExecSupervisorCannotStart: when the exec supervisor cannot start
// (here: the veil, committed first, does not let this program be
// executed again), Pledge fails closed: it drops "exec", enforces the
// rest and says so (NotEnforcedError, wrapping the cause). Under best
// effort it keeps "exec" and says why in ExecErr.
func TestExecSupervisorCannotStart(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	for _, bestEffort := range []bool{false, true} {
		t.Run(fmt.Sprintf("best-effort=%v", bestEffort), func(t *testing.T) {
			dir := sandboxtest.TempDir(t)
			res := sandboxtest.Run(t, func() {
				SetBestEffort(bestEffort)
				if err := Unveil(dir, "r"); err != nil {
					panic(err)
				}
				if err := UnveilBlock(); err != nil {
					panic(err)
				}
				err := Pledge("stdio proc exec", "stdio")
				var ne *NotEnforcedError
				fmt.Printf("not-enforced=%v cause-eacces=%v\n", errors.As(err, &ne), errors.Is(err, unix.EACCES))
				st := CurrentState()
				fmt.Printf("promises=%q supervisor=%v exec-err=%v\n",
					st.Promises.String(), st.ExecSupervisor != 0, errors.Is(st.ExecErr, unix.EACCES))
				_, _, errno := unix.RawSyscall(unix.SYS_EXECVE, 0, 0, 0)
				sandboxtest.Report("execve", errnoOrNil(errno))
			})
			if !bestEffort {
				// Without "exec" the execve is a violation: killed.
				res.WantSignal(t, unix.SIGSYS)
				wantLines(t, res, "not-enforced=true cause-eacces=true", `promises="stdio proc" supervisor=false exec-err=false`)
				return
			}
			res.WantExit(t, 0)
			wantLines(t, res, "not-enforced=false cause-eacces=false", `promises="stdio proc exec" supervisor=false exec-err=true`)
			res.WantOutcome(t, "execve", "EFAULT")
		})
	}
}

// TestExecSupervisorOnlyForParent: the supervisor mode of a program is
// triggered by an environment variable, so it attaches to nothing but the
// process that started it: asked to supervise another process, it answers
// EPERM and leaves that process untraced.
func TestExecSupervisorOnlyForParent(t *testing.T) {
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ackR, ackW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := exec.Command(os.Args[0])
	s.Env = append(os.Environ(), EnvExecSupervisor+"="+strconv.Itoa(other.Process.Pid))
	s.ExtraFiles = []*os.File{ctlR, ackW}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ctlR.Close()
	ackW.Close()
	fmt.Fprintln(ctlW, "attach")
	answer, _ := bufio.NewReader(ackR).ReadString('\n')
	err = s.Wait()
	if !strings.HasPrefix(answer, fmt.Sprintf("err %d ", int(unix.EPERM))) {
		t.Errorf("answer %q, want EPERM", answer)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("supervisor exit: %v, want status 2", err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", other.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(status, []byte("\nTracerPid:\t0\n")) {
		t.Errorf("the other process is traced:\n%s", status)
	}
}

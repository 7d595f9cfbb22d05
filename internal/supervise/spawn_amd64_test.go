package supervise

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// brokerRun attaches to a shell that waits for a line and then execs
// argv (exec "$@"), and answers that exec with hook (Config.Exec for the
// image the shell exec'd). It returns the shell's wait status (this test
// is its parent and its tracer: the supervisor reaps it) and its stdout.
func brokerRun(t *testing.T, hook func(a *Attached, pid int) (any, error), argv ...string) (unix.WaitStatus, string) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("/bin/sh", append([]string{"-c", `read x; exec "$@"`, "sh"}, argv...)...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var att *Attached
	var released atomic.Bool
	cfg := Config{
		Logf: t.Logf,
		Exec: func(pid int, d any) (any, error) {
			if !released.Load() {
				return d, nil // the shell's own exec (see TestAttachFollowsExec)
			}
			return hook(att, pid)
		},
	}
	attached, done := make(chan error, 1), make(chan error, 1)
	var ws unix.WaitStatus
	go func() {
		a, err := Attach(cmd.Process.Pid, cfg)
		att = a
		attached <- err
		if err == nil {
			ws, err = a.Wait()
		}
		done <- err
	}()
	if err := <-attached; err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	released.Store(true)
	stdin.Write([]byte("go\n"))
	stdin.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return ws, string(b)
}

// nulList reads /proc/PID/cmdline or environ.
func nulList(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
}

// spawnFor is a Spawn of the image pid exec'd, with our stdout as its
// stdout and the state given by change; C's end ends pid the same way.
func spawnFor(t *testing.T, a *Attached, pid int, change func(sp *Spawn)) (*Spawn, *Watch) {
	exe, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Error(err)
	}
	cwd, err := unix.Open(".", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Error(err)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Error(err)
	}
	out, err := unix.PidfdGetfd(pidfd, 1, 0)
	if err != nil {
		t.Error(err)
	}
	unix.Close(pidfd)
	st, _ := ProcStatus(strconv.Itoa(pid))
	ids := func(k string) [3]uint32 { v := parseIDs(st[k]); return [3]uint32(v[:3]) }
	bnd, _ := strconv.ParseUint(st["CapBnd"], 16, 64)
	sp := &Spawn{
		Exe: exe, Argv: nulList(t, "/proc/"+strconv.Itoa(pid)+"/cmdline"), Env: []string{"SPAWNED=1"},
		Fds: []int{-1, out, out}, Cwd: cwd, Umask: 0o022, Uid: ids("Uid"), Gid: ids("Gid"),
		Groups: parseIDs(st["Groups"]), CapBnd: bnd,
	}
	w := &Watch{Ended: func(_ int, ws unix.WaitStatus) { a.EndAs(pid, ws) }}
	sp.Watch = w
	if change != nil {
		change(sp)
	}
	return sp, w
}

// TestSpawnCarriesState: a process the broker spawns for an image gets
// the state it is given (umask, a resource limit, the signal mask and
// ignored signals, the nice value, the descriptors, the environment,
// argv, the name) and runs the image's own file, once the process that
// exec'd is parked (it holds no descriptor); that one ends as C ends: its
// parent sees C's exit status.
func TestSpawnCarriesState(t *testing.T) {
	// The shell reads its own status with builtins: while it waits for a
	// child, its mask is sigsuspend's.
	script := `umask; ulimit -n; while read -r k v; do case $k in SigBlk:|SigIgn:) echo "$k $v";; esac; done < /proc/$$/status; cut -d' ' -f19 /proc/$$/stat; cat /proc/$$/comm; echo "$SPAWNED $0 $1"; exit 7`
	var parkedFds int
	ws, out := brokerRun(t, func(a *Attached, pid int) (any, error) {
		sp, _ := spawnFor(t, a, pid, func(sp *Spawn) {
			sp.Umask, sp.Nice, sp.Comm = 0o027, 3, "named"
			sp.Rlimits = []Rlimit{{Resource: unix.RLIMIT_NOFILE, Cur: 64, Max: 64}}
			sp.SigMask = 1 << (unix.SIGUSR2 - 1)
			sp.SigIgn = 1 << (unix.SIGUSR1 - 1)
		})
		c, err := a.Spawn(sp)
		if err != nil {
			t.Errorf("Spawn: %v", err)
			return nil, err
		}
		return &Park{After: func() { a.Let(c) }, Ended: func(int, unix.WaitStatus) {
			ents, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
			parkedFds = len(ents)
		}}, nil
	}, "/bin/sh", "-c", script, "zero", "one")
	if !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("the stand-in's status %v, want exit 7", ws)
	}
	want := "0027\n64\nSigBlk: 0000000000000800\nSigIgn: 0000000000000200\n3\nnamed\n1 zero one\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("the spawned image printed\n%s\nwant it to start with\n%s", out, want)
	}
	// C's parent is the supervisor, here this test process: its fds are
	// many; the point is that the parked process has none.
	if parkedFds != 0 {
		t.Errorf("the parked process held %d descriptors at its end, want 0", parkedFds)
	}
}

// TestParkEndsAsSignal: C killed by a signal kills the parked process with
// the same signal, without a core file of its own.
func TestParkEndsAsSignal(t *testing.T) {
	for _, c := range []struct {
		name   string
		script string
		sig    syscall.Signal
	}{
		{"self-term", `kill -TERM $$`, unix.SIGTERM},
		{"self-segv", `ulimit -c 0; kill -SEGV $$`, unix.SIGSEGV},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws, _ := brokerRun(t, func(a *Attached, pid int) (any, error) {
				sp, _ := spawnFor(t, a, pid, nil)
				c, err := a.Spawn(sp)
				if err != nil {
					return nil, err
				}
				return &Park{After: func() { a.Let(c) }}, nil
			}, "/bin/sh", "-c", c.script)
			st := ws
			if !st.Signaled() || st.Signal() != c.sig || st.CoreDump() {
				t.Errorf("the stand-in's status %v, want killed by %v without a core dump", st, c.sig)
			}
		})
	}
}

// TestSpawnExecFails: when the file cannot be exec'd (here: not
// executable), Spawn returns the errno execveat gave and leaves nothing
// behind; the exec'ing process is then killed by the supervisor (the
// Exec hook's error).
func TestSpawnExecFails(t *testing.T) {
	plain := t.TempDir() + "/plain"
	if err := os.WriteFile(plain, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var spawnErr error
	var left bool
	ws, _ := brokerRun(t, func(a *Attached, pid int) (any, error) {
		sp, _ := spawnFor(t, a, pid, nil)
		fd, err := unix.Open(plain, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		sp.Exe = fd
		_, spawnErr = a.Spawn(sp)
		left = len(a.s.children) != 0
		if spawnErr == nil {
			spawnErr = errors.New("no error")
		}
		return nil, spawnErr
	}, "/bin/true")
	if !errors.Is(spawnErr, unix.EACCES) {
		t.Errorf("Spawn of a non-executable file: %v, want EACCES", spawnErr)
	}
	if left {
		t.Errorf("a failed Spawn left a child")
	}
	if st := ws; !st.Signaled() || st.Signal() != unix.SIGKILL {
		t.Errorf("the exec'ing process: %v, want killed (SIGKILL)", st)
	}
}

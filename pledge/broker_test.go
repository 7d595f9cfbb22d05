//go:build linux && amd64

package pledge

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// The exec broker (issue 11; internal/sandbox): an image a pledged process
// execs runs in a fresh process, unpledged and unveiled without
// execpromises, under exactly them with them; the process that exec'd
// stands in for it. Children pledge; the parent checks exact outcomes.

// brokerHelpers are the programs of these tests, built once per test in
// the parent (the child finds them in the shared directory).
type brokerHelpers struct {
	c, cStatic, minish, gohelper string
}

func buildBrokerHelpers(t *testing.T, dir string) brokerHelpers {
	t.Helper()
	h := brokerHelpers{
		c:        filepath.Join(dir, "broker"),
		cStatic:  filepath.Join(dir, "broker-static"),
		minish:   filepath.Join(dir, "minish"),
		gohelper: filepath.Join(dir, "broker_gohelper"),
	}
	if sandboxtest.InChild() {
		return h
	}
	sandboxtest.Require(t, "cc")
	for _, cmd := range []*exec.Cmd{
		exec.Command("gcc", "-O1", "-o", h.c, "testdata/broker.c"),
		exec.Command("gcc", "-O1", "-static", "-o", h.cStatic, "testdata/broker.c"),
		exec.Command("gcc", "-O1", "-o", h.minish, "testdata/minish.c"),
		exec.Command("go", "build", "-buildvcs=false", "-o", h.gohelper, "./testdata/broker_gohelper"),
	} {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
		}
	}
	return h
}

// TestBrokerUnpledged: pledged "stdio rpath proc exec" with execpromises
// NULL, a C and a Go program exec'd run unpledged, as on OpenBSD: each
// makes a TCP connection over 127.0.0.1 and writes a file (neither inet
// nor wpath/cpath is promised), and the Go one pledges itself wider than
// its parent ("stdio rpath wpath cpath inet proc exec"), with an exec
// supervisor of its own that runs /bin/true (openrsync's shape: a child
// pledged "stdio exec" runs "openrsync --server", which pledges for
// itself). TestBrokerExecpromises is the control: the same programs
// under execpromises are refused.
func TestBrokerUnpledged(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	for _, c := range []struct {
		name string
		argv []string
		want []string
	}{
		{"C", []string{h.c, "net-file"}, []string{"net=ok", "file=ok"}},
		{"Go", []string{h.gohelper, "wider"}, []string{"pledge=ok", "supervisor=true", "net=ok", "file=ok", "exec=ok"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, "written-"+c.name)
			res := sandboxtest.Run(t, func() {
				mustPledgePromises("stdio rpath proc exec")
				runProgram("helper", append(c.argv, file)...)
			})
			res.WantExit(t, 0)
			want := []string{"helper: exit=0"}
			for _, l := range c.want {
				want = append(want, "helper out: "+l)
			}
			wantLines(t, res, want...)
			if b, err := os.ReadFile(file); err != nil || string(b) != "written\n" {
				t.Errorf("the helper's file: %q, %v", b, err)
			}
		})
	}
}

// TestBrokerExecpromises: with execpromises "stdio rpath" the exec'd
// program reads a file and its socket is a violation (killed), also when
// the promises lack rpath ("stdio proc exec": execpromises exceed the
// promises, as OpenBSD allows), where the pledger itself cannot read it.
func TestBrokerExecpromises(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	file := secretFile(t)
	for _, promises := range []string{"stdio rpath proc exec", "stdio proc exec"} {
		for _, prog := range []struct{ name, bin string }{{"C", h.c}, {"Go", h.gohelper}} {
			t.Run(strings.ReplaceAll(promises, " ", "_")+"/"+prog.name, func(t *testing.T) {
				res := sandboxtest.Run(t, func() {
					mustPledge(promises, "stdio rpath")
					sandboxtest.Report("parent-read", openRead(file))
					runProgram("helper", prog.bin, "read-net", file)
				})
				res.WantExit(t, 0)
				parent := "ok"
				if !strings.Contains(promises, "rpath") {
					parent = "EACCES"
				}
				res.WantOutcome(t, "parent-read", parent)
				wantLines(t, res, "helper: signal=SIGSYS", "helper out: read=ok")
				if strings.Contains(res.Stdout, "socket=") {
					t.Errorf("the socket returned:\n%s", res)
				}
			})
		}
	}
}

// TestBrokerUnveil: after Unveil(dir, "r") and the program "rx", committed
// by the pledge, a program exec'd without execpromises reads outside dir
// (OpenBSD clears the veil at exec), with execpromises it does not
// (EACCES: OpenBSD keeps the veil); inside dir it reads in both. The
// pledger itself cannot read outside (the control), and exec of a file
// the veil does not grant "x" fails with EACCES, as a real exec does.
func TestBrokerUnveil(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	veiled := filepath.Join(dir, "veiled")
	inside := filepath.Join(veiled, "inside")
	noX := filepath.Join(veiled, "prog")
	outside := secretFile(t)
	if !sandboxtest.InChild() {
		must("mkdir", os.Mkdir(veiled, 0o755))
		must("write", os.WriteFile(inside, []byte("in\n"), 0o644))
		b, err := os.ReadFile(h.cStatic)
		must("read", err)
		must("write", os.WriteFile(noX, b, 0o755))
	}
	for _, c := range []struct {
		name    string
		exec    *string
		outside string
	}{
		{"null", nil, "exit=0"},
		{"execpromises", ptr("stdio rpath"), "exit=13"}, // EACCES
	} {
		t.Run(c.name, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				must("unveil", Unveil(veiled, "r"))
				must("unveil", Unveil(h.cStatic, "rx"))
				if c.exec == nil {
					mustPledgePromises("stdio rpath proc exec")
				} else {
					mustPledge("stdio rpath proc exec", *c.exec)
				}
				sandboxtest.Report("parent-outside", openRead(outside))
				runProgram("outside", h.cStatic, "read", outside)
				runProgram("inside", h.cStatic, "read", inside)
				err := exec.Command(noX, "exit", "0").Run()
				sandboxtest.Report("no-x", err)
			})
			res.WantExit(t, 0)
			res.WantOutcome(t, "parent-outside", "EACCES")
			res.WantOutcome(t, "no-x", "EACCES")
			wantLines(t, res, "outside: "+c.outside, "inside: exit=0")
		})
	}
}

// shellSession is what a shell does, run plainly in the test and pledged
// in the child, whose output must be the same: a pipeline (two exec'd
// programs and a pipe between them), exit statuses (non-zero, killed by a
// signal), and a program signalled through the pid the parent knows
// (sigqueue with a value, then SIGTERM, which it handles and exits 3).
func shellSession(sigwait string) string {
	var out strings.Builder
	say := func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }
	status := func(name string, err error) {
		var ee *exec.ExitError
		switch {
		case err == nil:
			say("%s: exit=0", name)
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
			say("%s: signal=%s", name, unix.SignalName(ee.Sys().(syscall.WaitStatus).Signal()))
		case errors.As(err, &ee):
			say("%s: exit=%d", name, ee.ExitCode())
		default:
			say("%s: error=%v", name, err)
		}
	}
	producer := exec.Command("/bin/sh", "-c", `printf 'a\nc\nb\n'; exit 4`)
	consumer := exec.Command("/usr/bin/sort", "-r")
	pr, pw, err := os.Pipe()
	if err != nil {
		return err.Error()
	}
	var sorted bytes.Buffer
	producer.Stdin, producer.Stdout, producer.Stderr = os.Stdin, pw, os.Stderr
	consumer.Stdin, consumer.Stdout, consumer.Stderr = pr, &sorted, os.Stderr
	status("producer-start", producer.Start())
	status("consumer-start", consumer.Start())
	pw.Close()
	pr.Close()
	status("producer", producer.Wait())
	status("consumer", consumer.Wait())
	say("sorted: %q", sorted.String())
	for _, script := range []string{"exit 3", "kill -TERM $$", "kill -HUP $$"} {
		c := exec.Command("/bin/sh", "-c", script)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stderr, os.Stderr
		status(script, c.Run())
	}
	helper := exec.Command(sigwait, "sigwait")
	helper.Stdin, helper.Stderr = os.Stdin, os.Stderr
	stdout, err := helper.StdoutPipe()
	if err != nil {
		return err.Error()
	}
	status("sigwait-start", helper.Start())
	lines := bufio.NewReader(stdout)
	line := func() string { l, _ := lines.ReadString('\n'); return strings.TrimSpace(l) }
	say("sigwait: %s", line())
	pid := helper.Process.Pid
	// sigqueue(pid, SIGUSR1, 42): rt_sigqueueinfo with SI_QUEUE.
	var info [128]byte
	*(*int32)(unsafe.Pointer(&info[0])) = int32(unix.SIGUSR1)
	*(*int32)(unsafe.Pointer(&info[8])) = -1 // SI_QUEUE
	*(*int32)(unsafe.Pointer(&info[16])) = int32(os.Getpid())
	*(*int32)(unsafe.Pointer(&info[24])) = 42
	_, _, e := unix.Syscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(unix.SIGUSR1), uintptr(unsafe.Pointer(&info[0])))
	if e != 0 {
		say("sigqueue: %v", e)
	}
	say("sigwait: %s", line())
	if err := helper.Process.Signal(unix.SIGTERM); err != nil {
		say("kill: %v", err)
	}
	say("sigwait: %s", line())
	status("sigwait", helper.Wait())
	return out.String()
}

// TestBrokerShell: a shell-shaped Go program (fork, exec, a pipe between
// two exec'd children, wait, signals to a child's pid) has exactly the
// output and statuses of an unsandboxed run, pledged without
// execpromises; and a C shell in miniature, exec'd under execpromises
// holding "proc exec" (so each program it runs is brokered again, under
// the same execpromises), has exactly its unsandboxed output.
func TestBrokerShell(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	t.Run("Go", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			mustPledgePromises("stdio rpath proc exec")
			fmt.Print(shellSession(h.c))
		})
		res.WantExit(t, 0)
		if plain := shellSession(h.c); res.Stdout != plain {
			t.Errorf("pledged:\n%s\nwant (unsandboxed):\n%s", res.Stdout, plain)
		}
		if !strings.Contains(res.Stdout, "sigwait: usr1 code=-1 value=42\n") || !strings.Contains(res.Stdout, "sigwait: exit=3\n") {
			t.Errorf("the signals did not reach the image:\n%s", res)
		}
	})
	t.Run("C", func(t *testing.T) {
		res := sandboxtest.Run(t, func() {
			mustPledge("stdio proc exec", "stdio rpath proc exec")
			must("exec", syscall.Exec(h.minish, []string{h.minish}, os.Environ()))
		})
		res.WantExit(t, 0)
		plain, err := exec.Command(h.minish).Output()
		if err != nil {
			t.Fatal(err)
		}
		if res.Stdout != string(plain) {
			t.Errorf("under execpromises:\n%s\nwant (unsandboxed):\n%s", res.Stdout, plain)
		}
	})
}

// TestBrokerStandInHoldsNoFds: the image closes its end of a pipe and
// waits; the reader sees EOF although the image and its stand-in (the
// pid its parent knows) are still there: the stand-in holds no
// descriptor. Then the image ends as told, and so does the stand-in.
func TestBrokerStandInHoldsNoFds(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio rpath proc exec")
		r, w, err := os.Pipe()
		must("pipe", err)
		cmd := exec.Command(h.c, "close-wait")
		cmd.Stdout, cmd.Stderr = w, os.Stderr
		stdin, err := cmd.StdinPipe()
		must("stdin", err)
		must("start", cmd.Start())
		w.Close()
		// The image runs once the stand-in is parked; it closes its end
		// at once and then waits for its stdin.
		n, err := r.Read(make([]byte, 1))
		fmt.Printf("read=%d %v\n", n, err)
		fds, err := os.ReadDir("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/fd")
		fmt.Printf("stand-in fds=%d %v\n", len(fds), err)
		stdin.Close()
		sandboxtest.Report("wait", cmd.Wait())
	})
	res.WantExit(t, 0)
	wantLines(t, res, "read=0 EOF", "stand-in fds=0 <nil>")
	res.WantOutcome(t, "wait", "ok")
}

// TestBrokerStandInProc: what cannot be the same (COMPAT.md): the image's
// pid is not the one its parent knows (the stand-in's), and its parent is
// the supervisor; the stand-in's /proc shows the image's file and argv,
// and no descriptor.
func TestBrokerStandInProc(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio rpath proc exec")
		cmd := exec.Command(h.c, "ids")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		must("stdin", err)
		stdout, err := cmd.StdoutPipe()
		must("stdout", err)
		must("start", cmd.Start())
		var pid, ppid int
		_, err = fmt.Fscanf(bufio.NewReader(stdout), "pid=%d ppid=%d\n", &pid, &ppid)
		must("read", err)
		standIn := "/proc/" + strconv.Itoa(cmd.Process.Pid)
		exe, _ := os.Readlink(standIn + "/exe")
		argv, _ := os.ReadFile(standIn + "/cmdline")
		fds, _ := os.ReadDir(standIn + "/fd")
		fmt.Printf("pid-differs=%v ppid-is-supervisor=%v\n", pid != cmd.Process.Pid, ppid == CurrentState().ExecSupervisor)
		fmt.Printf("stand-in exe=%v cmdline=%q fds=%d\n", exe == h.c, argv, len(fds))
		stdin.Close()
		sandboxtest.Report("wait", cmd.Wait())
	})
	res.WantExit(t, 0)
	wantLines(t, res, "pid-differs=true ppid-is-supervisor=true",
		fmt.Sprintf("stand-in exe=true cmdline=%q fds=0", h.c+"\x00ids\x00"))
	res.WantOutcome(t, "wait", "ok")
}

// TestBrokerNoLeakedFds: the image has exactly the descriptors its caller
// passed on, none of the supervisor's (its request and answer pipes, in
// particular: an image that could read P's requests to S could keep S
// from learning P's narrower pledges). The caller here has only 0, 1, 2.
func TestBrokerNoLeakedFds(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	for _, e := range []*string{nil, ptr("stdio rpath")} {
		name := "null"
		if e != nil {
			name = "execpromises"
		}
		t.Run(name, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				// Only 0, 1, 2 go to what this process runs.
				must("close_range", unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC))
				if e == nil {
					mustPledgePromises("stdio rpath proc exec")
				} else {
					mustPledge("stdio rpath proc exec", *e)
				}
				runProgram("helper", h.c, "fds")
			})
			res.WantExit(t, 0)
			// os/exec gives the program 0 (ours), 1 and 2 (its pipe).
			wantLines(t, res, "helper: exit=0", "helper out: fds=0,1,2")
		})
	}
}

// groupSignal runs the C helper's "rt" mode in a process group of its
// own, sends SIGRTMIN to the whole group, then SIGRTMIN+2 to the pid it
// knows, and returns what the helper printed: how many SIGRTMIN it had
// queued (real-time signals queue, so each delivery counts).
func groupSignal(helper string) string {
	cmd := exec.Command(helper, "rt")
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err.Error()
	}
	if err := cmd.Start(); err != nil {
		return err.Error()
	}
	r := bufio.NewReader(stdout)
	var out strings.Builder
	l, _ := r.ReadString('\n')
	out.WriteString(l)
	const sigrtmin = 34 // glibc's SIGRTMIN
	syscall.Kill(-cmd.Process.Pid, sigrtmin)
	syscall.Kill(cmd.Process.Pid, sigrtmin+2)
	l, _ = r.ReadString('\n')
	out.WriteString(l)
	cmd.Wait()
	return out.String()
}

// TestBrokerGroupSignalTwice: what the stand-in cannot make the same
// (COMPAT.md): a signal sent to the whole process group reaches the image
// directly and again through the stand-in, which cannot tell it from one
// sent to its pid. Shown with a queued real-time signal: twice under the
// broker, once plainly (the control).
func TestBrokerGroupSignalTwice(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	res := sandboxtest.Run(t, func() {
		mustPledgePromises("stdio rpath proc exec")
		fmt.Print(groupSignal(h.c))
	})
	res.WantExit(t, 0)
	if plain := groupSignal(h.c); plain != "ready\ncount=1\n" {
		t.Fatalf("plainly: %q, want one SIGRTMIN", plain)
	}
	if res.Stdout != "ready\ncount=2\n" {
		t.Errorf("under the broker: %q, want the group's SIGRTMIN twice\n%s", res.Stdout, res)
	}
}

// openPty opens a pseudo-terminal: its master and its slave.
func openPty(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestBrokerJobControl: in a terminal, a pledged job-control shell (this
// child, the session leader) runs a program in the foreground; Ctrl-Z on
// the terminal stops it, and the shell's waitpid(WUNTRACED) on the pid it
// knows (the stand-in) says so; fg (tcsetpgrp and SIGCONT to the job's
// process group) resumes it, and it reads the terminal and ends; Ctrl-C
// then kills a second job, reported as killed by SIGINT. The
// program runs unpledged (untraced), or under execpromises (traced by
// the supervisor, whose group-stop is seen as a PTRACE_EVENT_STOP).
func TestBrokerJobControl(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	for _, e := range []*string{nil, ptr("stdio")} {
		name := "null"
		if e != nil {
			name = "execpromises"
		}
		t.Run(name, func(t *testing.T) { jobControl(t, h, e) })
	}
}

func jobControl(t *testing.T, h brokerHelpers, e *string) {
	var master, slave *os.File
	transcript := make(chan string, 1)
	if !sandboxtest.InChild() {
		master, slave = openPty(t)
		defer master.Close()
		defer slave.Close()
		go func() {
			var all strings.Builder
			buf := make([]byte, 4096)
			step := 0
			for {
				n, err := master.Read(buf)
				all.Write(buf[:n])
				s := all.String()
				switch {
				case step == 0 && strings.Contains(s, "started"):
					master.Write([]byte{0x1a}) // Ctrl-Z
					step++
				case step == 1 && strings.Contains(s, "resumed"):
					master.Write([]byte("go\n"))
					step++
				case step == 2 && strings.Count(s, "started") == 2:
					master.Write([]byte{0x03}) // Ctrl-C
					step++
				}
				if err != nil || strings.Contains(s, "done\n") || strings.Contains(s, "done\r\n") {
					transcript <- s
					return
				}
			}
		}()
	}
	res := sandboxtest.RunWith(t, func() {
		signal.Ignore(unix.SIGTTOU) // tcsetpgrp from the background
		if e == nil {
			mustPledgePromises("stdio rpath tty proc exec")
		} else {
			mustPledge("stdio rpath tty proc exec", *e)
		}
		cmd := exec.Command(h.c, "tstp")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
		must("start", cmd.Start())
		pid := cmd.Process.Pid
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil)
		must("wait4", err)
		fmt.Printf("stopped=%v sig=%v\n", ws.Stopped(), ws.StopSignal())
		must("tcsetpgrp", unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pid))
		must("kill", syscall.Kill(-pid, syscall.SIGCONT))
		fmt.Println("resumed")
		_, err = syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil)
		must("wait4", err)
		fmt.Printf("exited=%v status=%d\n", ws.Exited(), ws.ExitStatus())
		// A second job, interrupted by Ctrl-C.
		cmd = exec.Command(h.c, "tstp")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
		must("start", cmd.Start())
		_, err = syscall.Wait4(cmd.Process.Pid, &ws, syscall.WUNTRACED, nil)
		must("wait4", err)
		fmt.Printf("signaled=%v sig=%v\n", ws.Signaled(), ws.Signal())
		must("tcsetpgrp", unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, syscall.Getpgrp()))
		fmt.Println("done")
	}, func(cmd *exec.Cmd) {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	})
	res.WantExit(t, 0)
	out := <-transcript
	for _, want := range []string{"stopped=true sig=stopped", "got go", "exited=true status=0", "signaled=true sig=interrupt", "done"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal shows no %q:\n%s", want, out)
		}
	}
}

// TestBrokerChainAndParallel: 50 brokered execs in a row (a program that
// execs itself, under execpromises holding "exec": each exec is brokered
// again) and 20 at once end with the right statuses, and the supervisor
// has as many descriptors and children afterwards as before (its census).
// Without execpromises the chain's first image runs unsupervised, so only
// its first exec is brokered.
func TestBrokerChainAndParallel(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	dir := sandboxtest.TempDir(t)
	h := buildBrokerHelpers(t, dir)
	for _, e := range []*string{nil, ptr("stdio rpath proc exec")} {
		name := "null"
		if e != nil {
			name = "execpromises"
		}
		t.Run(name, func(t *testing.T) {
			res := sandboxtest.Run(t, func() {
				if e == nil {
					mustPledgePromises("stdio rpath proc exec")
				} else {
					mustPledge("stdio rpath proc exec", *e)
				}
				census := func(when string) {
					fds, children, err := sup.Census()
					must("census", err)
					fmt.Printf("%s: fds=%d children=%d\n", when, fds, children)
				}
				census("before")
				err := exec.Command(h.c, "chain", "50", "7").Run()
				var ee *exec.ExitError
				fmt.Printf("chain: %v\n", errors.As(err, &ee) && ee.ExitCode() == 7)
				var wg sync.WaitGroup
				codes := make([]int, 20)
				for i := range codes {
					wg.Add(1)
					go func() {
						defer wg.Done()
						err := exec.Command(h.c, "exit", strconv.Itoa(i)).Run()
						if errors.As(err, &ee) {
							codes[i] = ee.ExitCode()
						} else if err != nil {
							codes[i] = -1
						}
					}()
				}
				wg.Wait()
				fmt.Printf("parallel: %v\n", codes)
				census("after")
			})
			res.WantExit(t, 0)
			wantLines(t, res, "chain: true", "parallel: [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19]")
			before, after := lineWith(res.Stdout, "before: "), lineWith(res.Stdout, "after: ")
			if before == "" || before != after {
				t.Errorf("the supervisor's census changed: %q, then %q\n%s", before, after, res)
			}
		})
	}
}

// lineWith is the rest of the first line of out starting with prefix.
func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	return ""
}

// TestBrokerSetuid: a set-user-ID program exec'd without execpromises gets
// its privileges, as on OpenBSD (the broker execs it untraced when the
// supervisor is not privileged: the kernel ignores set-id bits under such
// a tracer); with execpromises it runs without them (no_new_privs, set in
// the fresh process before its exec). The pledging program runs as nobody;
// the test makes a set-user-ID root copy of the C helper, so it needs
// root. The control: run plainly as nobody, the copy has euid 0.
func TestBrokerSetuid(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	if os.Geteuid() != 0 {
		t.Skip("making a set-user-ID root program needs root (the root run of .ci/run does this)")
	}
	dir, err := os.MkdirTemp("", "broker-setuid-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	h := buildBrokerHelpers(t, dir)
	suid := filepath.Join(dir, "suid")
	b, err := os.ReadFile(h.c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(suid, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	asNobody := func(argv ...string) string {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%v: %v\n%s", argv, err, out)
		}
		return string(out)
	}
	if out := asNobody(suid, "euid"); out != "euid=0\n" {
		t.Skipf("the set-user-ID bit is not honoured here (a nosuid mount?): %q", out)
	}
	for _, c := range []struct{ e, want string }{
		{"-", "pledge=ok\neuid=0\nrun=ok\n"},
		{"stdio rpath", "pledge=ok\neuid=65534\nrun=ok\n"},
	} {
		if out := asNobody(h.gohelper, "setuid", c.e, suid); out != c.want {
			t.Errorf("execpromises %q: %q, want %q", c.e, out, c.want)
		}
	}
}

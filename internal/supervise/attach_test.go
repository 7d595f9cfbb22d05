package supervise

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAttachFollowsExec attaches to a running shell blocked in read(2),
// lets it fork and exec /bin/true, and checks that the forked process got
// its creator's Data through Inherit, that Exec saw the new image with
// that Data before it ran, and that an Exec error kills the image unrun
// (the shell sees SIGKILL: status 137).
func TestAttachFollowsExec(t *testing.T) {
	for _, c := range []struct {
		name    string
		hookErr error
		status  string
	}{
		{"ok", nil, "status 0"},
		{"hook-fails", unix.EPERM, "status 137"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := os.CreateTemp(t.TempDir(), "stdout")
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			cmd := exec.Command("/bin/sh", "-c", "read x; /bin/true; echo status $?")
			cmd.Stdout, cmd.Stderr = out, os.Stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var calls []any // the Data Exec saw for processes the shell started
			cfg := Config{
				Logf:    t.Logf,
				Data:    "sh",
				Inherit: func(d any) any { return d.(string) + "/forked" },
				Exec: func(pid int, d any) (any, error) {
					if pid == cmd.Process.Pid {
						// The shell's own execve may still be finishing
						// when Start returns (the vfork parent resumes
						// once the child has released its memory), so
						// Attach can see its exec stop: that is an exec
						// too, of an image that has not run.
						return d, nil
					}
					calls = append(calls, d)
					return "exec'd", c.hookErr
				},
			}
			attached, done := make(chan error, 1), make(chan error, 1)
			var ws unix.WaitStatus
			// Attach locks its goroutine's thread for good: its own goroutine.
			go func() {
				a, err := Attach(cmd.Process.Pid, cfg)
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
			if tracer := tracerOf(cmd.Process.Pid); tracer == 0 {
				t.Errorf("the shell is not traced after Attach")
			}
			stdin.Write([]byte("go\n"))
			stdin.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Errorf("shell status %v, want exit 0", ws)
			}
			b, err := os.ReadFile(out.Name())
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(b)); got != c.status {
				t.Errorf("shell printed %q, want %q", got, c.status)
			}
			if len(calls) != 1 || calls[0] != "sh/forked" {
				t.Errorf("Exec calls with Data %v, want one for the forked child with Data \"sh/forked\"", calls)
			}
		})
	}
}

// TestAttachRefused: a process that is traced already cannot be attached
// (one tracer per process): EPERM, and the process runs on untraced by us.
func TestAttachRefused(t *testing.T) {
	cmd := exec.Command("/bin/sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	errc := make(chan error, 1)
	go func() {
		// The first tracer: seize from a thread of its own.
		if _, err := Attach(cmd.Process.Pid, Config{}); err != nil {
			errc <- err
			return
		}
		errc <- nil
		select {} // stay the tracer until the test ends (the thread is locked)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	_, err := Attach(cmd.Process.Pid, Config{})
	if !errors.Is(err, unix.EPERM) {
		t.Fatalf("second Attach = %v, want EPERM", err)
	}
}

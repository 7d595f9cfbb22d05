package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/unveil"
)

// Client is P's side of the exec supervisor (see protocol.go): started
// with StartExecSupervisor, told about each filter before P loads it.
type Client struct {
	cmd *exec.Cmd
	ctl *os.File
	ack *bufio.Reader
	// exec is the execpromises policy S has (set when sent).
	exec    Policy
	execSet bool
}

// StartExecSupervisor starts exe (this program, or the helper) as the
// supervisor of this process and waits until it traces every thread. It
// must run before any filter or veil of this process is enforced: S must
// not inherit a filter (ptrace is never allowed) and a veil may not let
// exe be executed. On an error nothing is left running.
func StartExecSupervisor(exe string) (*Client, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("exec supervisor: %w", err)
	}
	ackR, ackW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("exec supervisor: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), EnvExecSupervisor+"="+strconv.Itoa(os.Getpid()))
	cmd.ExtraFiles = []*os.File{ctlR, ackW} // ctlFd, ackFd
	cmd.Stderr = os.Stderr
	// In this process's session, where the images it starts must join
	// their callers' process groups; S puts itself in a process group of
	// its own and ignores the terminal's signals (ServeExecSupervisor).
	err = cmd.Start()
	ctlR.Close()
	ackW.Close()
	if err != nil {
		ctlW.Close()
		ackR.Close()
		return nil, fmt.Errorf("starting the exec supervisor %s: %w", exe, err)
	}
	c := &Client{cmd: cmd, ctl: ctlW, ack: bufio.NewReader(ackR)}
	// Yama's ptrace_scope 1 lets only ancestors trace, unless the tracee
	// names its tracer; EINVAL without Yama.
	if err := unix.Prctl(unix.PR_SET_PTRACER, uintptr(cmd.Process.Pid), 0, 0, 0); err != nil && err != unix.EINVAL {
		c.stop()
		return nil, fmt.Errorf("exec supervisor: prctl(PR_SET_PTRACER, %d): %w", cmd.Process.Pid, err)
	}
	if err := c.request(reqAttach); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// Pid is the supervisor's process id.
func (c *Client) Pid() int { return c.cmd.Process.Pid }

// stop ends a supervisor that failed to start.
func (c *Client) stop() {
	c.ctl.Close()
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// request sends one line and waits for its answer.
func (c *Client) request(line string) error {
	if _, err := fmt.Fprintln(c.ctl, line); err != nil {
		return fmt.Errorf("exec supervisor: %s: %w", line, err)
	}
	answer, err := c.ack.ReadString('\n')
	if err != nil {
		return fmt.Errorf("exec supervisor: %s: no answer: %w", line, err)
	}
	return parseAnswer(line, strings.TrimSuffix(answer, "\n"))
}

// Self tells S about a filter this process is about to load, before it
// loads it, so that S never judges with promises wider than the kernel's.
func (c *Client) Self(p Policy) error { return c.request(layerLine(reqSelf, p)) }

// Exec tells S the execpromises for the images exec'd from now on, when
// they changed.
func (c *Client) Exec(p Policy) error {
	if c.execSet && c.exec == p {
		return nil
	}
	if err := c.request(layerLine(reqExec, p)); err != nil {
		return err
	}
	c.exec, c.execSet = p, true
	return nil
}

// Veil sends S the entries of this process's veil right before it
// enforces it, then commit: the images exec'd with execpromises keep
// that veil. Entries are as unveil.State resolved them.
func (c *Client) Veil(entries []unveil.Entry) error {
	for _, e := range entries {
		if err := c.request(veilLine(e.Path, e.Perm)); err != nil {
			return err
		}
	}
	return c.request(reqCommit)
}

// Census asks S how many descriptors it has open and how many children it
// has (a diagnostic: that nothing leaks).
func (c *Client) Census() (fds, children int, err error) {
	if _, err := fmt.Fprintln(c.ctl, reqCensus); err != nil {
		return 0, 0, fmt.Errorf("exec supervisor: census: %w", err)
	}
	answer, err := c.ack.ReadString('\n')
	if err != nil {
		return 0, 0, fmt.Errorf("exec supervisor: census: no answer: %w", err)
	}
	if _, err := fmt.Sscanf(answer, "ok %d %d\n", &fds, &children); err != nil {
		return 0, 0, parseAnswer(reqCensus, strings.TrimSuffix(answer, "\n"))
	}
	return fds, children, nil
}

package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
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
	// Its own session: a terminal's Ctrl-C or hang-up must not kill S (and
	// so, by PTRACE_O_EXITKILL, this process when it handles the signal).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
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

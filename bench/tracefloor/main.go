// Command tracefloor is the floor of a ptrace supervisor written in Go,
// for docs/command.md's start-up analysis: it starts its arguments under
// PTRACE_TRACEME on a locked thread, as the pledge command does, and
// continues every stop until the program ends. No sandbox, no planning.
// ctrace/ctrace.c is the same in C.
//
//	cd bench && go build -o /tmp/tracefloor ./tracefloor
//	gcc -O2 -o /tmp/ctrace tracefloor/ctrace/ctrace.c
//	hyperfine -N '/tmp/ctrace /bin/true' '/tmp/tracefloor /bin/true' \
//	    'bwrap --ro-bind / / --dev /dev -- /bin/true'
package main

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

func main() {
	runtime.LockOSThread()
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		os.Exit(126)
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, syscall.WALL, nil)
	syscall.PtraceCont(pid, 0)
	for {
		if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil {
			os.Exit(1)
		}
		if ws.Exited() {
			os.Exit(ws.ExitStatus())
		}
		if ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		syscall.PtraceCont(pid, 0)
	}
}

//go:build !linux && !openbsd

package main

// On a system with neither pledge(2) and unveil(2) nor Landlock and
// seccomp the command parses the same command line (flags.go) and refuses
// to run the program unsandboxed: exit 126. With --best-effort it runs it
// anyway, as os/exec starts it (the command passes only the standard
// descriptors; -N changes nothing), after a warning unless -q; -T always
// fails. What only a sandboxing kernel would apply to the program (-u -g
// -c -n and the rlimits) is refused with 126 rather than dropped.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
)

// The resources of -C -M -O -P -F (flags.go): none here (refused).
const (
	rlimitCPU = -1 - iota
	rlimitAS
	rlimitNOFILE
	rlimitNPROC
	rlimitFSIZE
)

// errNoSandbox is why the command does not run a program here.
var errNoSandbox = fmt.Errorf("no pledge(2) and unveil(2), nor Landlock and seccomp, on %s/%s: %w",
	runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)

// kernelFeatures are what -T tests: neither exists here.
var kernelFeatures = map[string]func() error{
	"pledge": func() error { return errNoSandbox },
	"unveil": func() error { return errNoSandbox },
}

// canLearn: learning watches every call through the Linux supervisor
// (ptrace and seccomp); nothing here can.
const canLearn = false

func run(args []string) int {
	c, status, done := parseAndAnswer(args)
	if done {
		return status
	}
	if !c.BestEffort {
		warn("%v; refusing to run unsandboxed (--best-effort runs anyway)", errNoSandbox)
		return exCannotRun
	}
	for _, f := range []struct {
		set  bool
		flag string
	}{
		{c.UID >= 0, "-u"}, {c.GID >= 0, "-g"}, {c.Chroot != "", "-c"},
		{c.Nice, "-n"}, {len(c.Rlimits) > 0, "-C/-M/-O/-P/-F"},
	} {
		if f.set {
			warn("%s cannot be applied on %s/%s; refusing to run", f.flag, runtime.GOOS, runtime.GOARCH)
			return exCannotRun
		}
	}
	if !c.Quiet {
		warn("%v; running unsandboxed (--best-effort)", errNoSandbox)
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if code := ee.ExitCode(); code >= 0 {
			return code
		}
		return 128 + signalOf(ee.ProcessState)
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		warn("%s: not found", c.Argv[0])
		return exNotFound
	}
	warn("%s: %v", c.Argv[0], err)
	return exCannotRun
}

// signalOf is the number of the signal that killed a program, as shells
// add it to 128, read through reflection: the wait status type and its
// Signal method differ per system (plan9 has none; then 0).
func signalOf(ps *os.ProcessState) int {
	m := reflect.ValueOf(ps.Sys()).MethodByName("Signal")
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 || !m.Type().Out(0).ConvertibleTo(reflect.TypeFor[int]()) {
		return 0
	}
	return int(m.Call(nil)[0].Convert(reflect.TypeFor[int]()).Int())
}

func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pledge: "+format+"\n", args...)
}

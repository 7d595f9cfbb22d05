package main

// On OpenBSD the command runs the program natively, with the kernel's own
// pledge(2) and unveil(2) and no supervisor: it parses the same command
// line (flags.go), chroots (-c), finds the program, unveils each -v path
// and the program itself ("x", unless a -v names it), applies -N, the
// rlimits, -n, -g and -u, calls pledge(NULL, promises), so that the
// program starts under exactly the promises with the veil (execpromises
// keep the unveils across execve), and execs it. The exit status is then
// the program's own: the kernel kills a violation with SIGABRT (134 in a
// shell) whether or not -k is given, and logs it itself, so -k and -q
// change nothing. The command unveils nothing else: a dynamically linked
// program needs its libraries unveiled ("r" on /usr/lib, /usr/local/lib)
// and "rpath prot_exec" for ld.so, as on OpenBSD without the command.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"

	"golang.org/x/sys/unix"
)

// The resources of -C -M -O -P -F (flags.go). OpenBSD has no RLIMIT_AS;
// memory from mmap(2), which malloc(3) uses, counts against RLIMIT_DATA.
const (
	rlimitCPU    = unix.RLIMIT_CPU
	rlimitAS     = unix.RLIMIT_DATA
	rlimitNOFILE = unix.RLIMIT_NOFILE
	rlimitNPROC  = unix.RLIMIT_NPROC
	rlimitFSIZE  = unix.RLIMIT_FSIZE
)

// kernelFeatures are what -T tests: OpenBSD has both (golang.org/x/sys
// refuses the calls before OpenBSD 6.4, which the command then reports).
var kernelFeatures = map[string]func() error{
	"pledge": func() error { return nil },
	"unveil": func() error { return nil },
}

// canLearn: learning watches every call through the Linux supervisor
// (ptrace and seccomp); nothing here can.
const canLearn = false

func run(args []string) int {
	c, status, done := parseAndAnswer(args)
	if done {
		return status
	}
	code, err := runNative(c)
	warn("%v", err)
	return code
}

// runNative sandboxes this process as the program will run and execs it;
// it returns only when something failed, with the exit status to use.
func runNative(c *config) (int, error) {
	if c.Chroot != "" {
		if err := unix.Chroot(c.Chroot); err != nil {
			return exCannotRun, &os.PathError{Op: "chroot", Path: c.Chroot, Err: err}
		}
		if err := unix.Chdir("/"); err != nil {
			return exCannotRun, &os.PathError{Op: "chdir", Path: "/", Err: err}
		}
	}
	prog, err := exec.LookPath(c.Argv[0])
	if err != nil {
		code := exNotFound
		if errors.Is(err, os.ErrPermission) {
			code = exCannotRun
		}
		return code, fmt.Errorf("%s: %w", c.Argv[0], err)
	}
	if !c.NoUnveil && len(c.Unveils) > 0 {
		unveils := slices.Clone(c.Unveils)
		if !slices.ContainsFunc(unveils, func(u unveilArg) bool { return u.Path == prog }) {
			unveils = append(unveils, unveilArg{Perm: "x", Path: prog})
		}
		for _, u := range unveils {
			if c.Verbose {
				warn("unveil %s %s", permOrNone(u.Perm), u.Path)
			}
			if err := unix.Unveil(u.Path, u.Perm); err != nil {
				return exCannotRun, fmt.Errorf("unveil(%q, %q): %w", u.Path, u.Perm, err)
			}
		}
	}
	if !c.KeepFds {
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return exCannotRun, fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
		}
		for fd := 3; uint64(fd) < rl.Cur; fd++ {
			unix.CloseOnExec(fd) // EBADF for the ones not open
		}
	}
	for _, r := range c.Rlimits {
		if err := unix.Setrlimit(r.Resource, &unix.Rlimit{Cur: r.Cur, Max: r.Max}); err != nil {
			return exCannotRun, fmt.Errorf("setrlimit(%d, %d, %d): %w", r.Resource, r.Cur, r.Max, err)
		}
	}
	if c.Nice {
		if err := unix.Setpriority(unix.PRIO_PROCESS, 0, 20); err != nil { // PRIO_MAX
			return exCannotRun, fmt.Errorf("setpriority: %w", err)
		}
	}
	if c.GID >= 0 {
		if err := unix.Setgroups([]int{c.GID}); err != nil {
			return exCannotRun, fmt.Errorf("setgroups(%d): %w", c.GID, err)
		}
		if err := unix.Setgid(c.GID); err != nil {
			return exCannotRun, fmt.Errorf("setgid(%d): %w", c.GID, err)
		}
	}
	if c.UID >= 0 {
		if err := unix.Setuid(c.UID); err != nil {
			return exCannotRun, fmt.Errorf("setuid(%d): %w", c.UID, err)
		}
	}
	if c.Verbose {
		warn("pledge(NULL, %q)", c.Promises)
	}
	if err := unix.PledgeExecpromises(c.Promises); err != nil {
		return exCannotRun, fmt.Errorf("pledge(NULL, %q): %w", c.Promises, err)
	}
	err = unix.Exec(prog, c.Argv, os.Environ())
	if errors.Is(err, unix.ENOENT) {
		return exNotFound, fmt.Errorf("%s: %w", prog, err)
	}
	return exCannotRun, fmt.Errorf("%s: %w", prog, err)
}

func permOrNone(p string) string {
	if p == "" {
		return `""`
	}
	return p
}

func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pledge: "+format+"\n", args...)
}

// Command pledge runs a program pledged and unveiled, like OpenBSD's
// pledge(2) and unveil(2) and with the flags of Cosmopolitan's pledge
// command:
//
//	pledge -p "stdio rpath" -v r:/etc cat /etc/os-release
//
// The program runs under exactly the promises given once it has started: a
// ptrace supervisor (package internal/supervise) grants the loader's
// start-up needs (opening and mapping libraries) only between each exec and
// the new image's entry point, and prints one line for each violation:
//
//	pledge: cat[4242] socket(AF_INET, SOCK_STREAM) needs promise "inet"
//
// See docs/command.md.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/seccomp"
)

func main() {
	if raw, ok := os.LookupEnv(stage2Env); ok {
		stage2(raw) // never returns
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	c, err := parseArgs(args)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "pledge: %s\n(pledge -h for help)\n", ue.msg)
		return exUsage
	}
	if err != nil {
		warn("%v", err)
		return exUsage
	}
	if c.Help {
		fmt.Print(usage())
		return 0
	}
	if c.Test != "" {
		if err := kernelFeatures[c.Test](); err != nil {
			if c.Verbose {
				warn("-T %s: %v", c.Test, err)
			}
			return 1
		}
		return 0
	}
	have := haveFeatures()
	for _, f := range []string{"pledge", "unveil"} {
		if have[f] == nil || (f == "unveil" && c.NoUnveil) {
			continue
		}
		if !c.BestEffort {
			warn("kernel lacks %s (%v); refusing to run unsandboxed (--best-effort runs anyway)", f, have[f])
			return exCannotRun
		}
		if !c.Quiet {
			warn("kernel lacks %s (%v); running without it (--best-effort)", f, have[f])
		}
	}
	return supervised(c, have["pledge"] == nil)
}

// supervised runs stage 2 (and so the program) under the supervisor and
// returns the program's exit status, a signal death as 128+N like shells.
func supervised(c *config, filtered bool) int {
	self, err := os.Executable()
	if err != nil {
		warn("finding myself: %v", err)
		return exCannotRun
	}
	raw, err := jsonConfig(c)
	if err != nil {
		warn("%v", err)
		return exCannotRun
	}
	cmd := exec.Command(self)
	cmd.Args = []string{"pledge"} // stage 2 reads its config from the environment
	cmd.Env = append(os.Environ(), stage2Env+"="+raw)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cfg := supervise.Config{
		ViolationTag: violationTag,
		LoaderTag:    loaderTag,
		KillNr:       -1,
		OnViolation: func(v *supervise.Violation) supervise.Verdict {
			report(c, v)
			if c.Kill {
				return supervise.Kill
			}
			return supervise.Deny
		},
	}
	if c.Kill && filtered {
		cfg.KillNr = killNr(c)
	}
	ws, err := supervise.Run(cmd, cfg)
	if err != nil {
		warn("supervising %s: %v", c.Argv[0], err)
		return exCannotRun
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// report prints one violation line, unless -q. Start-up denials are the
// loader's probes (and the program cannot act on them yet): only
// --verbose shows them.
func report(c *config, v *supervise.Violation) {
	switch {
	case c.Quiet:
	case v.StartUp:
		if c.Verbose {
			warn("%s (denied during start-up)", describe(v))
		}
	default:
		warn("%s", describe(v))
	}
}

// killNr finds a syscall number the program's filter answers with
// SECCOMP_RET_KILL_PROCESS, so that -k kills the way seccomp kills
// (uncatchable SIGSYS). The filter's BadArch action covers x32 numbers on
// amd64; -1 when there is none (the supervisor then sends SIGKILL).
func killNr(c *config) int64 {
	p, err := pledge.ParsePromises(c.Promises)
	if err != nil {
		return -1
	}
	f, err := buildFilter(p)
	if err != nil || f.Arch.X32Bit == 0 {
		return -1
	}
	nr := f.Arch.X32Bit | unix.SYS_GETPID
	if f.Decide(seccomp.Data{Nr: int32(nr), Arch: f.Arch.AuditArch}) != seccomp.ActKillProcess {
		return -1
	}
	return int64(nr)
}

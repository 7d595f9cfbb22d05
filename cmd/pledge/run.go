package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// Exit statuses when the program cannot be run, as shells use them (POSIX
// "Command Search and Execution").
const (
	exCannotRun = 126
	exNotFound  = 127
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// parseAndAnswer is what run does first on every platform: it parses the
// command line and answers the calls that run no program (a usage error:
// 64; -h; -T, from kernelFeatures; --learn where it cannot run: 126). done says the command is answered,
// with status; otherwise c is the program's configuration.
func parseAndAnswer(args []string) (c *config, status int, done bool) {
	c, err := parseArgs(args)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "pledge: %s\n(pledge -h for help)\n", ue.msg)
		return nil, exUsage, true
	}
	if err != nil {
		warn("%v", err)
		return nil, exUsage, true
	}
	if c.Help {
		fmt.Print(usage())
		return nil, 0, true
	}
	if c.Test != "" {
		if err := kernelFeatures[c.Test](); err != nil {
			if c.Verbose {
				warn("-T %s: %v", c.Test, err)
			}
			return nil, 1, true
		}
		return nil, 0, true
	}
	if c.Learn && !canLearn {
		warn("--learn needs the Linux supervisor; not on %s/%s", runtime.GOOS, runtime.GOARCH)
		return nil, exCannotRun, true
	}
	return c, 0, false
}

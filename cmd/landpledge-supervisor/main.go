//go:build linux

// Command landpledge-supervisor is libpledge's exec supervisor: the
// helper that libpledge's pledge() starts when the promises hold "exec",
// as package pledge re-executes its own program for a Go process (see
// internal/sandbox, protocol.go, for the protocol, and libpledge's
// README). It serves only the process named by LANDPLEDGE_EXEC_SUPERVISOR,
// which must be its parent; `make -C libpledge install` puts it in
// LIBEXECDIR/landpledge, where the library looks for it.
package main

import (
	"fmt"
	"os"

	"github.com/landpledge/landpledge/internal/sandbox"
)

func main() {
	pid := os.Getenv(sandbox.EnvExecSupervisor)
	if pid == "" || len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "usage: %s=PID %s (started by libpledge's pledge(), not by hand)\n",
			sandbox.EnvExecSupervisor, os.Args[0])
		os.Exit(2)
	}
	os.Exit(sandbox.ServeExecSupervisor(pid))
}

//go:build linux

package libpledge

import (
	"testing"
)

// TestPrograms runs what real OpenBSD programs (openrsync, mandoc,
// lowdown, sqlbox) were seen to do with pledge and unveil when built
// against libpledge, each pattern rewritten as a few lines of our own C
// (test/programs.c), in a forked child with exact outcomes.
func TestPrograms(t *testing.T) { runCaseProgram(t, "programs", 7) }

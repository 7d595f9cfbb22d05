//go:build linux

package main

import (
	"testing"
)

// The promise table's probes (glibc's nscd socket under getpw, Go's
// pidfd_open) get their fallback errno under the command too: GNU ls -la
// looks up owners through nscd first, and under "stdio rpath getpw" that
// must neither print a line nor, with -k, kill ls.
func TestProbesUnderCommand(t *testing.T) {
	dir, _ := shared(t)
	for _, kill := range []bool{false, true} {
		name := "eperm"
		args := []string{"-p", "stdio rpath getpw", "-v", "r:" + dir, "ls", "-la", dir}
		if kill {
			name, args = "kill", append([]string{"-k"}, args...)
		}
		t.Run(name, func(t *testing.T) {
			r := runPledge(t, args...)
			r.wantExit(t, 0)
			if r.stderr != "" {
				t.Fatalf("a probe was reported: %s", r)
			}
		})
	}
}

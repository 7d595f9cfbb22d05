package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/pledge"
)

// FuzzParseArgs: any command line gives a config or a usage error (exit
// 64), never a panic, and never a weaker sandbox than asked: every promise
// in the config was written on the command line (or is the default when
// no -p was given), every unveil names a path that was written there with
// valid permissions, and a program to run is always there. The seeds run
// as an ordinary test; fuzz with
// go test -run '^$' -fuzz FuzzParseArgs ./cmd/pledge.
// The arguments are one string split on NUL.
func FuzzParseArgs(f *testing.F) {
	for _, seed := range [][]string{
		{"-p", "stdio rpath", "-v", "r:/etc", "cat", "/etc/os-release"},
		{"-pstdio", "-kq", "--", "-p", "x"},
		{"-p", "stdio", "-p", "inet dns", "-v", "/tmp", "-v", "rwc:/tmp/x", "curl"},
		{"--promises=stdio", "--unveil", "x:/bin/sh", "sh"},
		{"-p", " stdio", "cat"},
		{"-p", "stdio foo", "cat"},
		{"-p", "", "true"},
		{"-v", "", "true"},
		{"-v", "rwxcr:/tmp", "true"},
		{"-T", "pledge"},
		{"-T", "nope"},
		{"-C", "1", "-M", "1g", "-O", "10", "-P", "5", "-F", "1k", "-n", "-N", "true"},
		{"-u", "nosuchuser", "true"},
		{"-g", "0", "-u", "0", "-c", "/", "true"},
		{"--verbose", "--best-effort", "-V", "true"},
		{"-h"},
		{"-z"},
		{"--kill=yes", "true"},
		{"-p"},
		{},
		{"-", "x"},
	} {
		f.Add(strings.Join(seed, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		c, err := parseArgs(args)
		if err != nil {
			if ue := (*usageError)(nil); !errors.As(err, &ue) {
				t.Fatalf("parseArgs(%q): %v is not a usage error", args, err)
			}
			return
		}
		if c.Help || c.Test != "" {
			return
		}
		if len(c.Argv) == 0 {
			t.Fatalf("parseArgs(%q): no program, no error", args)
		}
		p, err := pledge.ParsePromises(c.Promises)
		if err != nil {
			t.Fatalf("parseArgs(%q): promises %q do not parse: %v", args, c.Promises, err)
		}
		// Only the words before the program are options; a short-option
		// group containing 'p' may be a -p.
		asked := false
		for _, a := range args[:len(args)-len(c.Argv)] {
			asked = asked || strings.HasPrefix(a, "--promises") ||
				!strings.HasPrefix(a, "--") && strings.HasPrefix(a, "-") && strings.Contains(a, "p")
		}
		if !asked && c.Promises != defaultPromises {
			t.Fatalf("parseArgs(%q): promises %q without -p, want the default %q", args, c.Promises, defaultPromises)
		}
		for _, name := range strings.Fields(p.String()) {
			if c.Promises != defaultPromises && !strings.Contains(joined, name) {
				t.Fatalf("parseArgs(%q): promise %q was never asked for", args, name)
			}
		}
		for _, u := range c.Unveils {
			if !validPerm(u.Perm) {
				t.Fatalf("parseArgs(%q): unveil %q with bad permissions %q", args, u.Path, u.Perm)
			}
			if u.Path == "" || !strings.Contains(joined, u.Path) {
				t.Fatalf("parseArgs(%q): unveil of %q, which is not on the command line", args, u.Path)
			}
		}
	})
}

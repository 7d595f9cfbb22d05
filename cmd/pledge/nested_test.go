//go:build linux && amd64

package main

import (
	"regexp"
	"testing"
)

// TestNestedPledge: a program run by the command that pledges itself with
// "exec" cannot have an exec supervisor of its own (the command traces
// it). Without execpromises it keeps "exec" and says why on one line; its
// exec'd programs keep its promises and the command's -p, and start (the
// command gives them their loader window). With execpromises, which it
// could not give them, "exec" is dropped (NotEnforcedError): its exec'd
// child dies at the execve.
func TestNestedPledge(t *testing.T) {
	p := "stdio rpath prot_exec proc exec"
	t.Run("null", func(t *testing.T) {
		r := runPledge(t, "-V", "-p", p, bin.nested, "null")
		r.wantExit(t, 0)
		want := "pledge-err=false not-enforced=false exec-err=true supervisor=false promises=\"stdio rpath proc exec prot_exec\"\necho=\"hi\\n\" <nil>\n"
		if r.stdout != want {
			t.Errorf("stdout %q, want %q\n%s", r.stdout, want, r)
		}
		r.wantLine(t, `pledge: TracerPid [0-9]+: this process is traced already .*`)
	})
	t.Run("execpromises", func(t *testing.T) {
		r := runPledge(t, "-V", "-p", p, bin.nested, "execpromises")
		r.wantExit(t, 0)
		want := "pledge-err=true not-enforced=true exec-err=false supervisor=false promises=\"stdio rpath proc prot_exec\"\necho=\"\" signal: bad system call\n"
		if r.stdout != want {
			t.Errorf("stdout %q, want %q\n%s", r.stdout, want, r)
		}
		if regexp.MustCompile(`this process is traced already`).MatchString(r.stderr) {
			t.Errorf("a line about keeping exec, which was dropped:\n%s", r)
		}
	})
}

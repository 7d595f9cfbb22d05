package sandbox

import (
	"bufio"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

func mustParse(t *testing.T, s string) promise.Set {
	t.Helper()
	p, err := promise.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExecSupervisorRequests: the supervisor takes from P only what P may
// ask: execpromises that shrink, violations that kill or fail with an
// errno, known promise bits. A pledged P that writes to the pipe cannot
// widen its exec'd programs beyond what it was allowed to set.
func TestExecSupervisorRequests(t *testing.T) {
	pol := func(s string, v seccomp.Action) Policy { return Policy{Promises: mustParse(t, s), Violation: v} }
	lines := []string{
		layerLine(reqExec, pol("stdio rpath", 0)),
		layerLine(reqExec, pol("stdio rpath inet", 0)),
		layerLine(reqExec, pol("stdio", 0)),
		layerLine(reqSelf, pol("stdio proc exec", 0)),
		layerLine(reqSelf, pol("stdio", seccomp.ActAllow)),
		layerLine(reqExec, pol("stdio", seccomp.ActErrno(unix.EPERM))),
		"self 1099511627776 0 0 0", // bit 40: no promise
		"exec 1 0 0",
		"exec 1 0 0 2",
		"bogus 1 2 3",
	}
	want := []string{"ok", "EPERM", "ok", "ok", "EINVAL", "ok", "EINVAL", "EINVAL", "EINVAL", "EINVAL"}
	x := &execSuper{pid: 4242}
	var got []string
	x.serve(bufio.NewReader(strings.NewReader(strings.Join(lines, "\n")+"\n")), func(err error) {
		got = append(got, sandboxtest.ErrnoName(err))
	})
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("answers %v, want %v", got, want)
	}
	if x.exec == nil || x.exec.Policy != pol("stdio", seccomp.ActErrno(unix.EPERM)) || len(x.self) != 1 {
		t.Errorf("state after the requests: exec %+v, %d self layers", x.exec, len(x.self))
	}
}

// Answers carry the errno across the pipe, and the client turns them back
// into errors that wrap it.
func TestAnswerRoundTrip(t *testing.T) {
	for _, err := range []error{nil, unix.EPERM, unix.EINVAL} {
		line := answerLine(err)
		back := parseAnswer("req", line)
		if (err == nil) != (back == nil) || (err != nil && sandboxtest.ErrnoName(back) != sandboxtest.ErrnoName(err)) {
			t.Errorf("%v -> %q -> %v", err, line, back)
		}
	}
	if err := parseAnswer("req", "what"); sandboxtest.ErrnoName(err) != "EPROTO" {
		t.Errorf("a garbled answer gives %v, want EPROTO", err)
	}
}

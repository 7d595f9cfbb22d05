package sandbox

import (
	"bufio"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
	"github.com/landpledge/landpledge/unveil"
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
	abi, _ := landlock.ABI()
	x := &execSuper{pid: 4242, abi: abi}
	var got []string
	x.serve(bufio.NewReader(strings.NewReader(strings.Join(lines, "\n")+"\n")), func(err error) {
		got = append(got, sandboxtest.ErrnoName(err))
	})
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("answers %v, want %v", got, want)
	}
	// S builds the images' filter with a path layer and supervised reads
	// wherever Landlock is there (veil.go).
	wantExec := pol("stdio", seccomp.ActErrno(unix.EPERM))
	wantExec.PathLayer = abi >= 1
	wantExec.SupervisedReads = wantExec.PathLayer
	if x.exec == nil || x.exec.Policy != wantExec || len(x.self) != 1 {
		t.Errorf("state after the requests: exec %+v, %d self layers", x.exec, len(x.self))
	}
	// With a path layer, the named paths of each execpromises filter were
	// opened when it came.
	if x.exec != nil && wantExec.PathLayer && (x.named[x.exec] == nil || x.rule().named != x.named[x.exec]) {
		t.Errorf("no named paths opened for the execpromises")
	}
	for _, n := range x.named {
		n.Close()
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

// The veil requests: entries (hex paths, permission letters or "-"), then
// commit once; after it the veil is locked (EPERM), and bad lines are
// EINVAL. The committed entries are the rule an image exec'd with
// execpromises gets.
func TestVeilRequests(t *testing.T) {
	odd := "/srv/a dir/with\nnewline"
	lines := []string{
		veilLine("/etc", unveil.PermRead),
		veilLine(odd, unveil.PermRead|unveil.PermWrite|unveil.PermCreate),
		veilLine("/hidden", 0),
		"veil r 2f", // "/" in hex
		"veil r nothex",
		"veil q 2f",
		"veil r 6574", // "et": not absolute
		"veil r",
		reqCommit,
		veilLine("/late", unveil.PermRead),
		reqCommit,
	}
	want := "ok ok ok ok EINVAL EINVAL EINVAL EINVAL ok EPERM EPERM"
	x := &execSuper{pid: 4242}
	var got []string
	x.serve(bufio.NewReader(strings.NewReader(strings.Join(lines, "\n")+"\n")), func(err error) {
		got = append(got, sandboxtest.ErrnoName(err))
	})
	if strings.Join(got, " ") != want {
		t.Errorf("answers %v, want %s", got, want)
	}
	wantVeil := []veilEntry{{"/etc", unveil.PermRead}, {odd, unveil.PermRead | unveil.PermWrite | unveil.PermCreate}, {"/hidden", 0}, {"/", unveil.PermRead}}
	if !x.committed || len(x.veil) != len(wantVeil) {
		t.Fatalf("veil %v (committed %v), want %v", x.veil, x.committed, wantVeil)
	}
	for i := range wantVeil {
		if x.veil[i] != wantVeil[i] {
			t.Errorf("veil entry %d: %v, want %v", i, x.veil[i], wantVeil[i])
		}
	}
	if r := x.rule(); r != nil {
		t.Errorf("no execpromises: the rule is %+v, want nil (images run unpledged)", r)
	}
}

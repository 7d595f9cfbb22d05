package compat_test

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/promise"
)

// FuzzParsePromises: any string gives a promise set or EINVAL/ENAMETOOLONG,
// never a panic, and never a weaker sandbox than asked: a set is returned
// only when every word is a promise name, it holds exactly those words'
// promises, and its String re-parses to the same set. Parsing has no side
// effects, so it runs in the test process.
func FuzzParsePromises(f *testing.F) {
	for _, s := range []string{"", "stdio", "stdio rpath", " stdio", "stdio ", "stdio  rpath", "bogus", "stdio\trpath", "error unveil"} {
		f.Add(s)
	}
	known := map[string]bool{}
	for _, n := range promise.Names() {
		known[n] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pledge.ParsePromises(s)
		words := strings.Split(s, " ")
		valid := len(s) <= 1023 && !strings.HasPrefix(s, " ")
		for _, w := range words {
			if w != "" && !known[w] {
				valid = false
			}
		}
		if err != nil {
			if valid {
				t.Fatalf("ParsePromises(%q): %v, want a set (every word is a promise)", s, err)
			}
			want := unix.EINVAL
			if len(s) > 1023 {
				want = unix.ENAMETOOLONG
			}
			if !errors.Is(err, want) {
				t.Fatalf("ParsePromises(%q): %v, want %v", s, err, want)
			}
			return
		}
		if !valid {
			t.Fatalf("ParsePromises(%q) = %q, want an error", s, p.String())
		}
		var union pledge.Promises
		for _, w := range words {
			if w == "" {
				continue
			}
			q, err := pledge.ParsePromises(w)
			if err != nil {
				t.Fatalf("ParsePromises(%q): %v", w, err)
			}
			union |= q
		}
		if p != union {
			t.Fatalf("ParsePromises(%q) = %q, want exactly its words %q", s, p.String(), union.String())
		}
		back, err := pledge.ParsePromises(p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePromises(%q).String() = %q re-parses to %q, %v", s, p.String(), back.String(), err)
		}
	})
}

// envUnveilServer makes the test binary an unveil server (see TestMain):
// Unveil runs in that separate process, never in the test runner, and is
// never committed there.
const envUnveilServer = "COMPAT_UNVEIL_SERVER"

// unveilServer reads hex-encoded permission strings, one per line, calls
// pledge.Unveil(dir, perms) for each and answers with the outcome. It never
// calls UnveilBlock or Pledge, so nothing is ever enforced; re-unveiling the
// same path replaces its permissions, so the state does not grow.
func unveilServer(dir string) {
	// Drop descriptors inherited by accident (the fuzzing engine's pipes
	// to its workers are not close-on-exec): holding them would keep the
	// engine waiting for a worker that has exited. Everything Go opens
	// itself is close-on-exec, so only inherited ones are closed.
	for fd := 3; fd < 1024; fd++ {
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for in.Scan() {
		perms, err := hex.DecodeString(in.Text())
		if err != nil {
			fmt.Println("bad-request")
			continue
		}
		fmt.Println(sandboxtest.ErrnoName(pledge.Unveil(dir, string(perms))))
	}
	os.Exit(0)
}

// unveilClient talks to one unveil server per test binary.
var unveilClient struct {
	once sync.Once
	err  error
	mu   sync.Mutex
	in   io.Writer
	out  *bufio.Scanner
}

func unveilPerms(t *testing.T, perms string) string {
	t.Helper()
	c := &unveilClient
	c.once.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			c.err = err
			return
		}
		dir, err := os.MkdirTemp("", "compat-unveil-")
		if err != nil {
			c.err = err
			return
		}
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), envUnveilServer+"="+dir)
		w, _ := cmd.StdinPipe()
		r, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if c.err = cmd.Start(); c.err == nil {
			c.in, c.out = w, bufio.NewScanner(r)
		}
	})
	if c.err != nil {
		t.Fatalf("starting the unveil server: %v", c.err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.in, hex.EncodeToString([]byte(perms)))
	if !c.out.Scan() {
		t.Fatalf("unveil server died on %q", perms)
	}
	return c.out.Text()
}

// FuzzUnveilPerms: Unveil accepts exactly the subsets of "rwxc" (duplicates
// allowed, at most 4 bytes, as OpenBSD); longer strings are ENAMETOOLONG,
// other bytes EINVAL.
func FuzzUnveilPerms(f *testing.F) {
	for _, s := range append(append([]string{}, permCombos...), "rr", "rwxcx", "z", "R", "r\x00", "rwxcrwxc", " r") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, perms string) {
		got := unveilPerms(t, perms)
		want := ok
		switch {
		case len(perms) > 4:
			want = "ENAMETOOLONG"
		case strings.Trim(perms, "rwxc") != "":
			want = "EINVAL"
		}
		if got != want {
			t.Fatalf("Unveil(dir, %q) = %s, want %s", perms, got, want)
		}
	})
}

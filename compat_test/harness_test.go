package compat_test

// The run-compare harness, after OpenBSD's regress/sys/kern/unveil: every
// case runs in a fresh child process twice, once plain and once sandboxed,
// and the pair of outcomes is checked against the expected pair. Cases are
// data (one table per area); this file only knows how to run them.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/pledge"
)

// Outcomes are strings so that tables read like the man pages:
//
//	"ok"           the operation succeeded
//	"EACCES", ...  it failed with that errno (sandboxtest.ErrnoName)
//	"SIGSYS"       the process was killed by that signal: landpledge's
//	               violation (SECCOMP_RET_KILL_PROCESS). OpenBSD kills with an
//	               uncatchable SIGABRT instead; the tables write the Linux
//	               signal in the OpenBSD column too, because the meaning
//	               (killed, no handler runs) is the same and COMPAT.md's
//	               pledge section owns the signal difference once.
//	"child:X"      a program the case started had outcome X (its exit
//	               status carried an errno, or it or a descendant was killed)
const (
	ok     = "ok"
	killed = "SIGSYS"
)

// Case is one conformance case.
type Case struct {
	// ID names the case in test output and in COMPAT.md ("compat:ID").
	ID string
	// Sandbox is applied in the sandboxed run only.
	Sandbox Sandbox
	// Op is what both runs do.
	Op Op
	// Plain is the outcome without the sandbox; "*" when it depends on the
	// machine or user (the sandboxed outcome is always exact).
	Plain string
	// OpenBSD is the outcome OpenBSD gives under the same sandbox.
	OpenBSD string
	// Linux, when set, is landpledge's outcome where it differs from
	// OpenBSD's. Such a case must be listed in COMPAT.md.
	Linux string
}

// Want is the sandboxed outcome the suite asserts.
func (c Case) Want() string {
	if c.Linux != "" {
		return c.Linux
	}
	return c.OpenBSD
}

// Sandbox is what the sandboxed run applies, in this order: the unveils,
// UnveilBlock if Block, then each pledge in Pledges (all must succeed).
type Sandbox struct {
	Unveil []Veil
	Block  bool
	// Pledges are successive promise strings; each is passed to Pledge
	// with Exec when Exec is non-nil, else to PledgePromises (execpromises
	// NULL).
	Pledges []string
	Exec    *string
}

// Veil is one unveil call. Path is relative to the fixture root unless it
// is absolute or ".".
type Veil struct{ Path, Perms string }

// Op is an operation run in both runs. Pre runs before the sandbox in both
// runs (to open fds or start processes the sandbox must not cover).
//
// C is the same operation for libpledge's C driver (libpledge/test/
// cdriver.c), as prefix words ("open", "d/f", "0"; "then", OP, OP): a case
// whose Op has C also runs plain and sandboxed through the C library, and
// must give the same outcomes as the Go library. Ops without C are not
// driven from C (none of the tables has one today).
type Op struct {
	Name string
	Pre  func(fx *Fixture) error
	Fn   func(fx *Fixture) error
	C    []string
}

func (s Sandbox) needs() []string {
	var f []string
	if len(s.Unveil) > 0 || s.Block {
		f = append(f, "landlock")
	}
	if len(s.Pledges) > 0 {
		f = append(f, "seccomp")
	}
	return f
}

func (s Sandbox) apply(fx *Fixture) error {
	for _, v := range s.Unveil {
		if err := pledge.Unveil(fx.path(v.Path), v.Perms); err != nil {
			return fmt.Errorf("unveil %s %q: %w", v.Path, v.Perms, err)
		}
	}
	if s.Block {
		if err := pledge.UnveilBlock(); err != nil {
			return fmt.Errorf("unveil block: %w", err)
		}
	}
	for _, p := range s.Pledges {
		var err error
		if s.Exec != nil {
			err = pledge.Pledge(p, *s.Exec)
		} else {
			err = pledge.PledgePromises(p)
		}
		if err != nil {
			return fmt.Errorf("pledge %q: %w", p, err)
		}
	}
	return nil
}

// str returns a pointer to s, for Sandbox.Exec.
func str(s string) *string { return &s }

// envBase passes the parent's temporary directory to the child.
const envBase = "COMPAT_BASE"

// runCases runs each case as a parallel subtest named by its ID.
func runCases(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			runCase(t, c)
		})
	}
}

// runCase runs c plain and sandboxed, each in a fresh child, through the
// Go library and, when the Op has C words, through libpledge's C driver.
func runCase(t *testing.T, c Case) {
	sides := []string{"plain", "sandboxed"}
	if c.Op.C != nil {
		sides = append(sides, "c-plain", "c-sandboxed")
	}
	for _, side := range sides {
		t.Run(side, func(t *testing.T) {
			sandboxed := side == "sandboxed" || side == "c-sandboxed"
			if sandboxed {
				for _, f := range c.Sandbox.needs() {
					sandboxtest.Require(t, f)
				}
			}
			var res *sandboxtest.Result
			if strings.HasPrefix(side, "c-") {
				if sandboxtest.InChild() {
					t.SkipNow()
				}
				res = runC(t, c, sandboxed)
			} else {
				base := ""
				if !sandboxtest.InChild() {
					base = t.TempDir()
				}
				res = sandboxtest.Run(t, func() { runChild(c, sandboxed) }, envBase+"="+base)
			}
			got := outcome(t, res)
			want := c.Plain
			if sandboxed {
				want = c.Want()
			}
			if want == "*" || got == want {
				return
			}
			switch {
			case strings.HasPrefix(side, "c-"):
				t.Errorf("%s through libpledge (%s): got %s, want %s as the Go library gives: fix libpledge or its driver (a divergence between the two is a failure)\n%s",
					c.ID, side, got, want, res)
			case !sandboxed:
				t.Errorf("%s without sandbox: got %s, want %s\n%s", c.ID, got, want, res)
			case c.Linux != "":
				t.Errorf("%s: COMPAT.md says landpledge gives %s here (OpenBSD: %s), got %s: fix the library or update the case and its COMPAT.md row\n%s",
					c.ID, c.Linux, c.OpenBSD, got, res)
			default:
				t.Errorf("%s: got %s, OpenBSD gives %s: fix the library, or record the divergence (Case.Linux and a COMPAT.md row naming compat:%s)\n%s",
					c.ID, got, c.OpenBSD, c.ID, res)
			}
		})
	}
}

// outcome reads a child's result: its reported op outcome, or the signal
// that killed it.
func outcome(t *testing.T, res *sandboxtest.Result) string {
	t.Helper()
	if res.Signal != 0 {
		return unix.SignalName(res.Signal)
	}
	if o := res.Outcome("op"); o != "" && res.ExitCode == 0 {
		return o
	}
	t.Fatalf("child reported no outcome\n%s", res)
	return ""
}

// runChild is the child's side: build a fresh fixture, run Pre, apply the
// sandbox when asked, run the op and report its outcome.
func runChild(c Case, sandboxed bool) {
	fx, err := newFixture(os.Getenv(envBase))
	if err == nil && c.Op.Pre != nil {
		err = c.Op.Pre(fx)
	}
	if err == nil && sandboxed {
		err = c.Sandbox.apply(fx)
	}
	if err != nil {
		fmt.Printf("sandboxtest: setup=%s\n", sandboxtest.ErrnoName(err))
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(3)
	}
	out := outcomeOf(c.Op.Fn(fx))
	fmt.Printf("sandboxtest: op=%s\n", out)
}

// outcomeOf names an op's result. A program the op ran reports through its
// exit status: 0 ok, 1..99 an errno, 100+N killed by signal N (probe.c), or
// it was killed itself.
func outcomeOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled():
			return "child:" + unix.SignalName(ws.Signal())
		case ws.ExitStatus() >= 100:
			return "child:" + unix.SignalName(syscall.Signal(ws.ExitStatus()-100))
		default:
			return "child:" + sandboxtest.ErrnoName(syscall.Errno(ws.ExitStatus()))
		}
	}
	return sandboxtest.ErrnoName(err)
}

// Fixture is the file tree every case starts from, made fresh in each child
// under the parent's temporary directory:
//
//	d/f        regular file "data\n", 0644
//	d/sub/g    regular file, 0644
//	d/empty/   empty directory
//	d/x        the probe program, 0755
//	d/lnk      symlink to ../e/h (pointing out of d)
//	e/h        regular file, 0644
//	e/x        the probe program, 0755
//
// The child's working directory is the root.
type Fixture struct {
	Root string
	// Fds and Procs hold what Pre opened or started before the sandbox.
	Fds   map[string]int
	Procs map[string]*exec.Cmd
	Pipes map[string]io.WriteCloser
}

func newFixture(base string) (*Fixture, error) {
	if base == "" {
		return nil, errors.New(envBase + " not set")
	}
	root, err := makeFixture(base)
	if err != nil {
		return nil, err
	}
	fx := &Fixture{Root: root, Fds: map[string]int{}, Procs: map[string]*exec.Cmd{}, Pipes: map[string]io.WriteCloser{}}
	return fx, os.Chdir(root)
}

// makeFixture makes the fixture tree in a new directory under base.
func makeFixture(base string) (string, error) {
	root, err := os.MkdirTemp(base, "fx-")
	if err != nil {
		return "", err
	}
	probe, err := os.ReadFile(os.Getenv(envProbe))
	if err != nil {
		probe = []byte("#!/bin/false\n") // cases needing it fail on their own
	}
	type entry struct {
		name string
		mode os.FileMode
		data []byte
		link string
	}
	for _, e := range []entry{
		{name: "d", mode: os.ModeDir | 0o755},
		{name: "d/sub", mode: os.ModeDir | 0o755},
		{name: "d/empty", mode: os.ModeDir | 0o755},
		{name: "e", mode: os.ModeDir | 0o755},
		{name: "d/f", mode: 0o644, data: []byte("data\n")},
		{name: "d/sub/g", mode: 0o644, data: []byte("g\n")},
		{name: "e/h", mode: 0o644, data: []byte("h\n")},
		{name: "d/x", mode: 0o755, data: probe},
		{name: "e/x", mode: 0o755, data: probe},
		{name: "d/lnk", link: "../e/h"},
	} {
		p := filepath.Join(root, e.name)
		switch {
		case e.link != "":
			err = os.Symlink(e.link, p)
		case e.mode.IsDir():
			err = os.Mkdir(p, e.mode.Perm())
		default:
			err = os.WriteFile(p, e.data, e.mode.Perm())
		}
		if err != nil {
			return "", err
		}
	}
	return root, nil
}

// path makes a fixture-relative name absolute; absolute names and "." are
// kept as they are.
func (fx *Fixture) path(name string) string {
	if name == "." || strings.HasPrefix(name, "/") {
		return name
	}
	return filepath.Join(fx.Root, name)
}

// runC runs c through libpledge's C driver: the fixture is made here, the
// driver applies the sandbox with libpledge when sandboxed.
func runC(t *testing.T, c Case, sandboxed bool) *sandboxtest.Result {
	t.Helper()
	driver := program(t, envCDriver)
	root, err := makeFixture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-r", root, "-p", os.Getenv(envProbe)}
	if sandboxed {
		args = append(args, "-s")
		for _, v := range c.Sandbox.Unveil {
			args = append(args, "-u", v.Path, v.Perms)
		}
		if c.Sandbox.Block {
			args = append(args, "-b")
		}
		for _, p := range c.Sandbox.Pledges {
			args = append(args, "-P", p)
		}
		if c.Sandbox.Exec != nil {
			args = append(args, "-e", *c.Sandbox.Exec)
		}
	}
	args = append(append(args, "--"), c.Op.C...)
	cmd := exec.Command(driver, args...)
	cmd.Env = append(os.Environ(), "LANDPLEDGE_SUPERVISOR="+os.Getenv(envSupervisor))
	return sandboxtest.RunCommand(t, cmd)
}

// run executes the probe (or another program) with the child's own stdio,
// so that os/exec opens nothing (it would open /dev/null for a nil stdin,
// which needs rpath).
func run(path string, args ...string) error {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// TestEveryCaseDrivenFromC: every conformance and escape case also runs
// through libpledge (Op.C), so that the C library is held to the same
// outcomes as the Go one.
func TestEveryCaseDrivenFromC(t *testing.T) {
	for _, c := range allCases() {
		if c.Op.C == nil {
			t.Errorf("case %s (%s) has no C words (Op.C): libpledge's driver cannot run it", c.ID, c.Op.Name)
		}
	}
}

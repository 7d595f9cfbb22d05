//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/learn"
	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
)

// Learn mode on real programs: each is run unsandboxed, then learned
// (pledge --learn -o FILE), then rerun under what was learned, both with
// the printed command line and with --policy FILE. The learning run must
// do what the unsandboxed one did; the reruns too, with no violation
// line; each promise learned must be needed (without it the rerun fails
// or prints a line); and a file the program did not touch, outside what
// was learned, must stay unreadable under the policy.

// learnProg is one program of the learn tests.
type learnProg struct {
	argv []string
	dir  string   // working directory
	env  []string // added to the test's environment
	// reset puts the program's world back as it was before the first run
	// (removes what a run made); nil when a run changes nothing.
	reset func(t *testing.T)
	// output is what a run produced besides stdout (an archive's
	// listing); nil when stdout is all.
	output func(t *testing.T) string
}

// progRun is one run of a program, as the tests compare them.
type progRun struct {
	code           int
	stdout, stderr string
	output         string // learnProg.output after the run
}

func (r progRun) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s--- output:\n%s", r.code, r.stdout, r.stderr, r.output)
}

// same reports whether r did what want did.
func (r progRun) same(want progRun) bool {
	return r.code == want.code && r.stdout == want.stdout && r.output == want.output
}

// pledgeLine matches a line of the command (a violation, a denial).
var pledgeLine = regexp.MustCompile(`(?m)^pledge: `)

// exec runs argv (through the command when pre is not empty: pre are the
// command's words) in the program's world.
func (lp *learnProg) exec(t *testing.T, pre []string) progRun {
	t.Helper()
	if lp.reset != nil {
		lp.reset(t)
	}
	argv := append(append([]string{}, pre...), lp.argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = lp.dir, append(os.Environ(), lp.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%q: %v", argv, err)
	}
	r := progRun{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signaled() {
		r.code = 128 + int(ws.Signal())
	}
	if lp.output != nil {
		r.output = lp.output(t)
	}
	return r
}

// learned is what learning a program gave.
type learned struct {
	run    progRun
	policy *learn.File
	file   string // the policy file
	rerun  string // the command line the report prints
}

// learnIt learns lp with extra flags for --learn.
func learnIt(t *testing.T, lp *learnProg, flags ...string) learned {
	t.Helper()
	file := filepath.Join(t.TempDir(), "policy")
	r := lp.exec(t, append(append([]string{bin.pledge, "--learn", "-o", file}, flags...), "--"))
	fh, err := os.Open(file)
	if err != nil {
		t.Fatalf("no policy file: %v\n%s", err, r)
	}
	defer fh.Close()
	f, err := learn.ParseFile(fh)
	if err != nil {
		t.Fatalf("policy file: %v\n%s", err, r)
	}
	_, after, ok := strings.Cut(r.stderr, "\nrerun with:\n  ")
	if !ok {
		t.Fatalf("no command line in the report:\n%s", r)
	}
	line, _, _ := strings.Cut(after, "\n")
	return learned{run: r, policy: f, file: file, rerun: line}
}

// writePolicy writes f to a new file.
func writePolicy(t *testing.T, f *learn.File) string {
	t.Helper()
	var b strings.Builder
	if err := f.Format(&b, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "policy")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// checkLearned runs the checks every learned program must pass; secret is
// a file lp does not touch.
func checkLearned(t *testing.T, lp *learnProg, secret string) learned {
	t.Helper()
	plain := lp.exec(t, nil)
	if plain.code != 0 {
		t.Fatalf("the program fails unsandboxed: %s", plain)
	}
	l := learnIt(t, lp)
	t.Logf("learned:\n%s", l.run.stderr)
	if !l.run.same(plain) {
		t.Fatalf("learning changed what the program does:\nplain: %s\nlearning: %s", plain, l.run)
	}
	if !strings.Contains(l.run.stderr, ": observed in full\n") {
		t.Errorf("the run is not reported complete:\n%s", l.run.stderr)
	}
	t.Run("rerun", func(t *testing.T) {
		// The printed command line, through sh, as a user pastes it.
		sh := *lp
		sh.argv = []string{"sh", "-c", l.rerun}
		checkRerun(t, sh.exec(t, nil), plain, l.rerun)
		checkRerun(t, lp.exec(t, []string{bin.pledge, "--policy", l.file, "--"}), plain, "--policy "+l.file)
	})
	t.Run("minimal", func(t *testing.T) {
		for q := promise.Set(1); q <= promise.All; q <<= 1 {
			if !l.policy.Promises.Has(q) {
				continue
			}
			less := &learn.File{Promises: l.policy.Promises &^ q, Unveils: l.policy.Unveils}
			r := lp.exec(t, []string{bin.pledge, "--policy", writePolicy(t, less), "--"})
			if r.same(plain) && !pledgeLine.MatchString(r.stderr) {
				t.Errorf("without %q the program still runs as it did and nothing is reported: %q is not needed\n%s", q, q, r)
			}
		}
	})
	t.Run("unveils hold", func(t *testing.T) {
		for _, u := range l.policy.Unveils {
			if secret == u.Path || strings.HasPrefix(secret, strings.TrimSuffix(u.Path, "/")+"/") {
				t.Fatalf("the policy unveils %s %s, which covers %s, a file the program does not touch", u.Perm, u.Path, secret)
			}
		}
		r := (&learnProg{dir: lp.dir, env: lp.env, argv: []string{bin.chelper, "open", secret}}).exec(t, []string{bin.pledge, "--policy", l.file, "--"})
		if got := outcome(r.stdout, "open"); got != "EACCES" {
			t.Errorf("open(%s) under the policy: %q, want EACCES\n%s", secret, got, r)
		}
	})
	return l
}

func checkRerun(t *testing.T, r, plain progRun, how string) {
	t.Helper()
	if !r.same(plain) || pledgeLine.MatchString(r.stderr) {
		t.Errorf("%s: the rerun does not do what the program did, or reports something:\nplain: %s\nrerun: %s", how, plain, r)
	}
}

// outcome is the chelper's report of op.
func outcome(stdout, op string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "sandboxtest: "+op+"="); ok {
			return v
		}
	}
	return ""
}

// world makes a directory with files for a program to use, and a secret
// file in a directory of its own.
func world(t *testing.T, files map[string]string) (dir, secret string) {
	t.Helper()
	dir = t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret = filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("not for you\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, secret
}

func requireLearn(t *testing.T, progs ...string) {
	t.Helper()
	if bin.err != nil {
		t.Fatalf("building the command and helpers: %v", bin.err)
	}
	sandboxtest.Require(t, "learn-programs")
	for _, p := range progs {
		if !slices.Contains(sandboxtest.LearnPrograms, p) {
			t.Fatalf("%s is not in sandboxtest.LearnPrograms (the feature learn-programs): add it there", p)
		}
	}
}

func TestLearnLs(t *testing.T) {
	requireLearn(t, "ls")
	// A directory of its own: ls -la shows "..", which the test's other
	// temporary directories change.
	top, secret := world(t, map[string]string{"d/a": "1\n", "d/b": "22\n", "d/sub/c": "333\n"})
	dir := filepath.Join(top, "d")
	lp := &learnProg{argv: []string{"ls", "-la", dir}, dir: dir}
	l := checkLearned(t, lp, secret)
	// ls lists the directory and looks up owners: rpath and getpw (nscd's
	// socket gets getpw's fallback, not unix).
	if want := promise.Stdio | promise.Rpath | promise.Getpw; l.policy.Promises != want {
		t.Errorf("promises %q, want %q", l.policy.Promises, want)
	}
	if !slices.Contains(l.policy.Unveils, learn.Unveil{Perm: "r", Path: dir}) {
		t.Errorf("%s not unveiled r: %v", dir, l.policy.Unveils)
	}
}

func TestLearnSort(t *testing.T) {
	requireLearn(t, "sort")
	dir, secret := world(t, map[string]string{"in.txt": "pear\napple\nfig\n"})
	lp := &learnProg{argv: []string{"sort", filepath.Join(dir, "in.txt")}, dir: dir}
	l := checkLearned(t, lp, secret)
	if !l.policy.Promises.Has(promise.Rpath) {
		t.Errorf("promises %q lack rpath", l.policy.Promises)
	}
}

func TestLearnTar(t *testing.T) {
	requireLearn(t, "tar", "gzip")
	dir, secret := world(t, map[string]string{"src/one": "1\n", "src/two": "2\n"})
	out, err := os.CreateTemp("", "learn-tar-*.tgz") // in /tmp itself
	if err != nil {
		t.Fatal(err)
	}
	out.Close()
	archive := out.Name()
	t.Cleanup(func() { os.Remove(archive) })
	lp := &learnProg{argv: []string{"tar", "czf", archive, "-C", dir, "src"}, dir: dir,
		reset: func(t *testing.T) { os.Remove(archive) },
		output: func(t *testing.T) string {
			b, err := exec.Command("tar", "tzf", archive).CombinedOutput()
			if err != nil {
				return fmt.Sprintf("no archive: %v %s", err, b)
			}
			return string(b)
		}}
	l := checkLearned(t, lp, secret)
	// tar runs gzip (through sh): the tree's policy.
	for _, q := range []promise.Set{promise.Proc, promise.Exec, promise.Wpath, promise.Cpath} {
		if !l.policy.Promises.Has(q) {
			t.Errorf("promises %q lack %q", l.policy.Promises, q)
		}
	}
	if !slices.ContainsFunc(l.policy.Unveils, func(u learn.Unveil) bool { return u.Path == archive && strings.Contains(u.Perm, "c") }) {
		t.Errorf("the archive is not unveiled for creation: %v", l.policy.Unveils)
	}
}

// A shell that forks and execs: the policy is the whole tree's, and the
// report names its programs.
func TestLearnShellTree(t *testing.T) {
	requireLearn(t, "sh", "ls", "wc")
	dir, secret := world(t, map[string]string{"a": "", "b": "", "c": ""})
	lp := &learnProg{argv: []string{"sh", "-c", "ls | wc -l"}, dir: dir}
	l := checkLearned(t, lp, secret)
	first, _, _ := strings.Cut(l.run.stderr, "\n")
	// ls and wc run at once: either may exec first.
	if !regexp.MustCompile(`^pledge --learn: the policy of (\S+) and what it ran \(3 programs: \S+, (ls, wc|wc, ls)\): observed in full$`).MatchString(first) {
		t.Errorf("the report does not name the tree: %q", first)
	}
	for _, q := range []promise.Set{promise.Proc, promise.Exec, promise.Rpath} {
		if !l.policy.Promises.Has(q) {
			t.Errorf("promises %q lack %q", l.policy.Promises, q)
		}
	}
	for _, prog := range []string{"ls", "wc"} {
		path, _ := exec.LookPath(prog)
		real, _ := filepath.EvalSymlinks(path)
		if !slices.ContainsFunc(l.policy.Unveils, func(u learn.Unveil) bool { return u.Path == real && strings.Contains(u.Perm, "x") }) {
			t.Errorf("%s is not unveiled x: %v", real, l.policy.Unveils)
		}
	}
}

// python3 is the system's, not a version manager's shim on PATH.
func TestLearnPython(t *testing.T) {
	python := "/usr/bin/python3"
	requireLearn(t, python)
	dir, secret := world(t, map[string]string{"s.py": "import json, sys\nprint(json.dumps({'args': sys.argv[1:], 'n': sum(range(10))}))\n"})
	lp := &learnProg{argv: []string{python, "s.py", "x", "y"}, dir: dir}
	checkLearned(t, lp, secret)
}

func TestLearnGit(t *testing.T) {
	requireLearn(t, "git", "sh")
	dir, secret := world(t, map[string]string{"repo/a.txt": "hello\n", "repo/b.txt": "world\n", "home/.keep": ""})
	repo := filepath.Join(dir, "repo")
	env := []string{"HOME=" + filepath.Join(dir, "home"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=learn", "GIT_AUTHOR_EMAIL=learn@example.org", "GIT_COMMITTER_NAME=learn",
		"GIT_COMMITTER_EMAIL=learn@example.org", "GIT_AUTHOR_DATE=2020-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2020-01-01T00:00:00Z"}
	lp := &learnProg{argv: []string{"sh", "-c", "git init -q && git add . && git commit -q -m first && git log --oneline"}, dir: repo, env: env,
		reset: func(t *testing.T) {
			if err := os.RemoveAll(filepath.Join(repo, ".git")); err != nil {
				t.Fatal(err)
			}
		}}
	l := checkLearned(t, lp, secret)
	if !slices.ContainsFunc(l.policy.Unveils, func(u learn.Unveil) bool { return u.Path == repo && u.Perm == "rwc" }) {
		t.Errorf("the repository (where .git is made) is not unveiled rwc: %v", l.policy.Unveils)
	}
}

var netgo = sync.OnceValues(func() (string, error) {
	out := filepath.Join(bin.dir, "netgo")
	return out, build(exec.Command("go", "build", "-buildvcs=false", "-o", out, "./testdata/netgo"), "CGO_ENABLED=0")
})

// A Go program of our own that serves and fetches over 127.0.0.1.
func TestLearnGoNet(t *testing.T) {
	requireLearn(t)
	prog, err := netgo()
	if err != nil {
		t.Fatal(err)
	}
	dir, secret := world(t, nil)
	l := checkLearned(t, &learnProg{argv: []string{prog}, dir: dir}, secret)
	if !l.policy.Promises.Has(promise.Inet) {
		t.Errorf("promises %q lack inet", l.policy.Promises)
	}
}

// The learned Go code, built into the program, pledges it as the command
// would: the program runs as before, and a file outside the policy is
// out of its reach.
func TestLearnGoCode(t *testing.T) {
	requireLearn(t)
	prog, err := netgo()
	if err != nil {
		t.Fatal(err)
	}
	dir, secret := world(t, nil)
	l := learnIt(t, &learnProg{argv: []string{prog}, dir: dir})
	_, code, ok := strings.Cut(l.run.stderr, "\nas Go (github.com/landpledge/landpledge/pledge):\n")
	code, _, ok2 := strings.Cut(code, "\nas C (")
	if !ok || !ok2 {
		t.Fatalf("no Go code in the report:\n%s", l.run.stderr)
	}
	src := "package main\n\nimport (\n\t\"log\"\n\n\t\"github.com/landpledge/landpledge/pledge\"\n)\n\n" +
		"func init() {\n\tpolicy = func() {\n" + code + "\n\t}\n}\n"
	gen := filepath.Join(t.TempDir(), "zpolicy.go")
	os.WriteFile(gen, []byte(src), 0o644)
	here, _ := filepath.Abs("testdata/netgo/zpolicy.go")
	overlay := filepath.Join(t.TempDir(), "overlay.json")
	os.WriteFile(overlay, []byte(fmt.Sprintf(`{"Replace": {%q: %q}}`, here, gen)), 0o644)
	pledged := filepath.Join(t.TempDir(), "netgo-pledged")
	if err := build(exec.Command("go", "build", "-buildvcs=false", "-overlay", overlay, "-o", pledged, "./testdata/netgo"), "CGO_ENABLED=0"); err != nil {
		t.Fatalf("the Go code does not build: %v\n%s", err, src)
	}
	plain := (&learnProg{argv: []string{prog}, dir: dir}).exec(t, nil)
	self := (&learnProg{argv: []string{pledged, secret}, dir: dir}).exec(t, nil)
	want := plain.stdout + "read " + secret + ": open " + secret + ": permission denied\n"
	if self.code != 0 || self.stdout != want {
		t.Errorf("the program pledged by the learned Go code:\n%s\nwant stdout %q\ncode:\n%s", self, want, src)
	}
}

// libpledgeDir is where libpledge's sources are: LANDPLEDGE_LIBPLEDGE, or
// the repository's libpledge/.
func libpledgeDir() string {
	if d := os.Getenv("LANDPLEDGE_LIBPLEDGE"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../libpledge")
	return d
}

// A C program using libpledge: learned from outside, then built with the
// learned policy as C code, which must pledge it as the command would;
// that build, a program pledging itself with libpledge, is learned and
// rerun under the command like the others.
func TestLearnLibpledge(t *testing.T) {
	requireLearn(t, "gcc", "make")
	lib := libpledgeDir()
	if _, err := os.Stat(filepath.Join(lib, "pledge.h")); err != nil {
		t.Fatalf("libpledge (the C library) is not at %s (LANDPLEDGE_LIBPLEDGE=DIR points at a copy): %v", lib, err)
	}
	tmp := t.TempDir()
	if out, err := exec.Command("make", "-C", lib, "BUILD="+filepath.Join(tmp, "build"), filepath.Join(tmp, "build", "libpledge.a")).CombinedOutput(); err != nil {
		t.Fatalf("building libpledge: %v\n%s", err, out)
	}
	plain := filepath.Join(tmp, "learnc")
	if err := build(exec.Command("gcc", "-O1", "-o", plain, "testdata/learnc.c")); err != nil {
		t.Fatal(err)
	}
	dir, secret := world(t, map[string]string{"in.txt": "one\ntwo\n"})
	in := filepath.Join(dir, "in.txt")
	l := learnIt(t, &learnProg{argv: []string{plain, in}, dir: dir})
	_, code, ok := strings.Cut(l.run.stderr, "\nas C (libpledge, <pledge.h>):\n")
	if !ok {
		t.Fatalf("no C code in the report:\n%s", l.run.stderr)
	}
	os.WriteFile(filepath.Join(tmp, "learned.h"), []byte(code), 0o644)
	pledged := filepath.Join(tmp, "learnc-pledged")
	if err := build(exec.Command("gcc", "-O1", "-DLEARNED", "-I", tmp, "-I", lib, "-o", pledged, "testdata/learnc.c",
		filepath.Join(tmp, "build", "libpledge.a"))); err != nil {
		t.Fatalf("the C code does not build: %v\n%s", err, code)
	}
	self := (&learnProg{argv: []string{pledged, in, secret}, dir: dir}).exec(t, nil)
	if want := "2 lines\nread " + secret + ": Permission denied\n"; self.code != 0 || self.stdout != want {
		t.Errorf("the program pledged by the learned C code:\n%s\nwant stdout %q\ncode:\n%s", self, want, code)
	}
	checkLearned(t, &learnProg{argv: []string{pledged, in}, dir: dir}, secret)
}

// Paths opened only to find they do not exist are reported apart, as
// comments, and not unveiled; the rerun gets ENOENT as before.
func TestLearnProbes(t *testing.T) {
	requireLearn(t)
	missing := filepath.Join(t.TempDir(), "no", "such", "file")
	lp := &learnProg{argv: []string{bin.chelper, "open", missing}}
	l := learnIt(t, lp)
	if outcome(l.run.stdout, "open") != "ENOENT" {
		t.Fatalf("open of a missing file: %s", l.run)
	}
	if !strings.Contains(l.run.stderr, "# unveil r "+missing+"   (ENOENT probe)\n") {
		t.Errorf("the probe is not reported:\n%s", l.run.stderr)
	}
	for _, u := range l.policy.Unveils {
		if strings.HasPrefix(missing, u.Path) {
			t.Errorf("the probe is unveiled: %v", u)
		}
	}
	r := lp.exec(t, []string{bin.pledge, "--policy", l.file, "--"})
	if outcome(r.stdout, "open") != "ENOENT" || pledgeLine.MatchString(r.stderr) {
		t.Errorf("rerun: %s", r)
	}
}

// -p and -v given with --learn are a starting point the policy includes.
func TestLearnStartingPoint(t *testing.T) {
	requireLearn(t, "cat")
	dir, _ := world(t, map[string]string{"f": "x\n"})
	l := learnIt(t, &learnProg{argv: []string{"cat", filepath.Join(dir, "f")}}, "-p", "stdio inet", "-v", "rw:"+dir)
	if !l.policy.Promises.Has(promise.Inet | promise.Rpath) {
		t.Errorf("promises %q, want inet (given) and rpath (learned)", l.policy.Promises)
	}
	if len(l.policy.Unveils) == 0 || l.policy.Unveils[0] != (learn.Unveil{Perm: "rw", Path: dir}) {
		t.Errorf("unveils %v, want the given rw:%s first", l.policy.Unveils, dir)
	}
	for _, u := range l.policy.Unveils[1:] {
		if strings.HasPrefix(u.Path, dir) {
			t.Errorf("unveils %v: %s is covered by the given rw:%s", l.policy.Unveils, u.Path, dir)
		}
	}
}

// A descendant still running when the program exits is killed, as under
// the command: the run was not observed in full, and the report says so.
func TestLearnIncomplete(t *testing.T) {
	requireLearn(t, "sh", "sleep")
	l := learnIt(t, &learnProg{argv: []string{"sh", "-c", "sleep 30 & echo started"}})
	if !strings.Contains(l.run.stderr, ": NOT observed in full\n") || !strings.Contains(l.run.stderr, "still running") {
		t.Errorf("the report does not say the run was incomplete:\n%s", l.run.stderr)
	}
}

func TestLearnUsage(t *testing.T) {
	requireLearn(t)
	policy := writePolicy(t, &learn.File{Promises: promise.Stdio})
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("promises stdio\nallow everything\n"), 0o644)
	for _, c := range []struct {
		args []string
		line string
	}{
		{[]string{"-o", "x", "true"}, `pledge: -o FILE is for --learn`},
		{[]string{"--learn", "-k", "true"}, `pledge: -k cannot be used with --learn`},
		{[]string{"--policy", policy, "-p", "stdio", "true"}, `pledge: --policy FILE takes the place of -p and -v .*`},
		{[]string{"--policy", bad, "true"}, `pledge: --policy .*: line 2: unknown keyword "allow" .*`},
		{[]string{"--policy", "/no/such/policy", "true"}, `pledge: --policy: open /no/such/policy: no such file or directory`},
	} {
		r := runPledge(t, c.args...)
		r.wantExit(t, exUsage)
		r.wantLine(t, c.line)
	}
	// A policy file runs a program like -p and -v.
	r := runPledge(t, "--policy", policy, "--", bin.chelper, "socket")
	r.wantExit(t, 0)
	r.wantOutcome(t, "socket", "EPERM")
	r.wantLine(t, `pledge: chelper\[\d+\] socket\(AF_INET, SOCK_STREAM\) needs promise "inet"`)
}

// The rerun repeats the learning run's other flags.
func TestRerunFlags(t *testing.T) {
	c, err := parseArgs([]string{"--learn", "-N", "-n", "-u", "65534", "-O", "64", "-F", "1m", "-C", "5", "--", "true"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rerunFlags(c), " ")
	if want := "-N -n -u 65534 -O 64 -F 1048576 -C 5"; got != want {
		t.Errorf("rerun flags %q, want %q", got, want)
	}
}

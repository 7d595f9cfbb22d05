//go:build linux

package main

// Learn mode: `pledge --learn [-o FILE] [-p PROMISES] [-v ...] -- PROGRAM`
// runs the program once under the supervisor with a filter that denies
// nothing (promise.LearnFilter): every call some promise set could refuse
// stops at the supervisor, which attributes it through the promise table
// (promise.Alternatives) and, for the calls that name a path, lets it run
// to its exit to see what the kernel answered (learnstop.go). At the exit
// the recorded calls become the smallest policy (internal/learn), printed
// as a policy file, the command line that reruns the program under it,
// and Go and C code. docs/command.md, "Learn mode", says what it costs and
// what it cannot see.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/ldso"
	"github.com/landpledge/landpledge/internal/learn"
	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// learnTraceTag is the SECCOMP_RET_DATA of the learn filter's trace; like
// the command's own tags it is never read back (a stop's data may be the
// program's own filter's).
const learnTraceTag = 1

// learnRun runs the program once, observed, and reports its policy. The
// exit status is the program's (exCannotRun when the policy file cannot
// be written).
func learnRun(c *config, have map[string]error) int {
	if have["pledge"] != nil {
		warn("--learn needs seccomp: %v", have["pledge"])
		return exCannotRun
	}
	prog, err := exec.LookPath(c.Argv[0])
	if err != nil {
		warn("%s: %v", c.Argv[0], unwrapExecErr(err))
		if errors.Is(err, os.ErrPermission) {
			return exCannotRun
		}
		return exNotFound
	}
	env := os.Environ()
	l := newLearner(c, prog, env, have["unveil"] == nil)
	if !l.layered && !c.Quiet {
		warn("the kernel lacks Landlock (%v): the policy is learned for a command without a path layer", have["unveil"])
	}
	ws, err := supervise.Run(programCmd(c, prog, env), l.config())
	if err != nil {
		return runFailed(c, err)
	}
	l.finish()
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if err := l.report(); err != nil {
		warn("%v", err)
		return exCannotRun
	}
	return code
}

// learner is the state of one learning run, owned by the supervisor's
// thread while the program runs.
type learner struct {
	c       *config
	arch    seccomp.Arch
	layered bool // a path layer will be in force under the policy
	main    int  // the program's pid: the "to itself" of its filter
	images  *sandbox.Resolver
	rec     *learn.Recorder
	named   []promise.NamedPath
	// procs are the processes seen, by tgid, for the sockets still open
	// at the end.
	procs map[int]*lproc
	// stops counts the seccomp stops, exits the calls also stopped at
	// their exit: what learning cost in ptrace stops.
	stops, exits int
	// filter and auto are computed while the program execs (start):
	// the learn filter for any pid, and what the command unveils by
	// itself for the program.
	filter func() (*seccomp.ParamProgram, error)
	auto   func() []learn.Unveil
	env    []string
}

// lproc is what the learner keeps of one process (supervise Data).
type lproc struct {
	comm  string
	image *sandbox.Image // its current image's own files
	// lastExec is the path of its newest execve, to tell an interpreter
	// the kernel ran for a #! script from the script.
	lastExec string
	socks    map[int]*sockUse // AF_UNIX sockets by descriptor
}

// sockUse is an AF_UNIX socket whose fallback (EACCES under getpw or dns)
// would do if every connect on it failed.
type sockUse struct {
	req          *learn.Req
	failed, used bool
}

func newLearner(c *config, prog string, env []string, layered bool) *learner {
	l := &learner{c: c, arch: seccomp.Native(), layered: layered, images: &sandbox.Resolver{Env: env}, procs: map[int]*lproc{}, env: env}
	l.filter = background(func() (*seccomp.ParamProgram, error) {
		return seccomp.CompileParam(func(pid uint32) (*seccomp.Filter, error) {
			return promise.LearnFilter(l.arch, seccomp.ActTrace(learnTraceTag), int(pid))
		})
	})
	auto := background(func() ([]learn.Unveil, error) {
		needs, _ := autoUnveil(prog, env)
		return needsToUnveils(needs), nil
	})
	l.auto = func() []learn.Unveil { a, _ := auto(); return a }
	if layered {
		l.named = resolvedNamed()
	}
	l.rec = learn.New(learn.Config{Named: l.named})
	return l
}

// background starts fn on a goroutine of its own and returns a function
// that waits for its result: work that overlaps the program's exec.
func background[T any](fn func() (T, error)) func() (T, error) {
	type result struct {
		v   T
		err error
	}
	c := make(chan result, 1)
	go func() {
		v, err := fn()
		c <- result{v, err}
	}()
	return sync.OnceValues(func() (T, error) {
		r := <-c
		return r.v, r.err
	})
}

// resolvedNamed are the promise table's named paths as the kernel will
// report files opened there: symlinks resolved (/etc/resolv.conf may be a
// link elsewhere); missing ones are left out, as the path layer skips them.
func resolvedNamed() []promise.NamedPath {
	var out []promise.NamedPath
	for _, np := range promise.AllNamedPaths() {
		real, err := filepath.EvalSymlinks(np.Path)
		if err != nil {
			continue
		}
		np.Path = real
		out = append(out, np)
	}
	return out
}

// config is the supervisor's configuration for learning.
func (l *learner) config() supervise.Config {
	cfg := supervise.Config{Seccomp: l.stop, Setup: l.setup, Exec: l.exec, Inherit: l.inherit}
	if l.c.Verbose {
		cfg.Logf = func(format string, args ...any) { warn(format, args...) }
	}
	return cfg
}

// setup sandboxes the program at its first stop with the learn filter and
// what the command line asks besides (descriptors, limits, priority), as
// the rerun will have them; like the command, it refuses a program that
// gained privileges at its execve.
func (l *learner) setup(pid int) (any, error) {
	if err := checkNoNewPrivileges(pid); err != nil {
		return nil, err
	}
	pp, err := l.filter()
	if err != nil {
		return nil, err
	}
	if err := sandbox.Inject(pid, sandboxFor(l.c, nil, pp.Program(uint32(pid)), 0)); err != nil {
		return nil, err
	}
	l.main = pid
	p := &lproc{comm: supervise.Comm(pid), image: l.images.ImageOf(pid), socks: map[int]*sockUse{}}
	l.procs[pid] = p
	l.rec.Program(exeOf(pid))
	return p, nil
}

// exec gives a process its new image: its own files, its name; the
// program it now runs is part of the tree, and when the kernel ran an
// interpreter for a #! script, that interpreter needs 'x' too.
func (l *learner) exec(pid int, d any) (any, error) {
	old, _ := d.(*lproc)
	p := &lproc{comm: supervise.Comm(pid), image: l.images.ImageOf(pid), socks: map[int]*sockUse{}}
	if old != nil {
		p.socks = old.socks
	}
	l.procs[pid] = p
	exe := exeOf(pid)
	l.rec.Program(exe)

	if old != nil && old.lastExec != "" && exe != "" && exe != ldso.RealPath(old.lastExec) {
		l.rec.Path(learn.PathEvent{Who: learn.Who{Comm: p.comm, Pid: pid}, Op: learn.OpExec, Path: exe,
			Desc: func() string { return "the interpreter of " + old.lastExec }})
	}
	return p, nil
}

// inherit gives a new process its creator's name and a copy of its
// socket table (a fork copies the descriptors).
func (l *learner) inherit(d any) any {
	old, _ := d.(*lproc)
	if old == nil {
		return &lproc{socks: map[int]*sockUse{}}
	}
	p := &lproc{comm: old.comm, socks: make(map[int]*sockUse, len(old.socks))}
	for fd, s := range old.socks {
		p.socks[fd] = s
	}
	return p
}

// exeOf is the file process pid executes, "" when unknown.
func exeOf(pid int) string {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return ""
	}
	return exe
}

// finish settles what is known only at the end: whether the AF_UNIX
// sockets' fallbacks would have done, and whether descendants were still
// running when the program exited (the command kills them then, so what
// they would have done next was not seen).
func (l *learner) finish() {
	for _, p := range l.procs {
		for _, s := range p.socks {
			s.settle()
		}
	}
	if tracedLeft() {
		l.rec.Incomplete("descendants still running when the program exited were killed, as the command kills them")
	}
}

// settle says once whether the socket's fallback would have done.
func (s *sockUse) settle() {
	if s.req != nil {
		s.req.Fallback(s.failed && !s.used)
		s.req = nil
	}
}

// tracedLeft reports whether some tracee is still alive once the program
// has exited: a tracee is a child of its tracer for wait(2), so wait4
// reaps those that have exited and finds the others, without scanning
// /proc.
func tracedLeft() bool {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
		switch {
		case err == unix.EINTR:
		case err != nil:
			return false // ECHILD: none left
		case pid == 0:
			return true // alive, running
		case !ws.Exited() && !ws.Signaled():
			return true // alive, stopped
		}
	}
}

// report solves the policy and prints it (stderr, unless -q) and writes
// it to -o's file.
func (l *learner) report() error {
	start, _ := promise.Parse(l.c.Promises)
	var startUnveils []learn.Unveil
	for _, u := range l.c.Unveils {
		startUnveils = append(startUnveils, learn.Unveil{Perm: u.Perm, Path: ldso.RealPath(u.Path)})
	}
	var library []learn.Unveil
	pol := l.rec.Solve(learn.SolveOptions{
		Stops: l.stops, Exits: l.exits,
		Start: start, StartUnveils: startUnveils, Auto: l.auto(), Stat: statNow,
		AutoFor: func(programs []string) []learn.Unveil {
			library = execUnveils(programs, l.env)
			return library
		},
	})
	in := learn.ReportInput{Policy: pol, Command: os.Args[0], Flags: rerunFlags(l.c), Argv: l.c.Argv, File: l.c.Output, Library: library}
	if !l.c.Quiet {
		fmt.Fprint(os.Stderr, learn.Report(in))
	}
	if l.c.Output == "" {
		return nil
	}
	var b strings.Builder
	comments := append([]string{"landpledge policy: " + learn.PolicyCommandLine(in.Command, in.Flags, l.c.Output, l.c.Argv),
		"learned by pledge --learn from: " + shellWords(l.c.Argv)}, pol.Comments()...)
	pol.File().Format(&b, comments)
	for _, p := range pol.Probes {
		b.WriteString("# " + learn.UnveilLine(learn.Unveil{Perm: "r", Path: p}) + "   (ENOENT probe)\n")
	}
	if err := os.WriteFile(l.c.Output, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing the policy: %w", err)
	}
	return nil
}

func shellWords(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = learn.ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// needsToUnveils are the command's automatic unveils as policy unveils,
// one per path (the programs exec'd share their loader and libc).
func needsToUnveils(needs []ldso.Need) []learn.Unveil {
	var out []learn.Unveil
	at := map[string]int{}
	for _, n := range needs {
		path := ldso.RealPath(n.Path)
		if i, ok := at[path]; ok {
			out[i].Perm = unionPerm(out[i].Perm, n.Perm)
			continue
		}
		at[path] = len(out)
		out = append(out, learn.Unveil{Perm: n.Perm, Path: path})
	}
	return out
}

// execUnveils are what the command unveils by itself for the programs a
// policy unveils with 'x': their interpreters and libraries (execNeeds).
func execUnveils(programs []string, env []string) []learn.Unveil {
	var args []unveilArg
	for _, p := range programs {
		args = append(args, unveilArg{Perm: "x", Path: p})
	}
	needs, _ := execNeeds(args, env)
	return needsToUnveils(needs)
}

// rerunFlags are the flags of the learning run that the rerun repeats:
// everything but the policy itself and learning's own.
func rerunFlags(c *config) []string {
	var f []string
	if c.KeepFds {
		f = append(f, "-N")
	}
	if c.Nice {
		f = append(f, "-n")
	}
	if c.UID >= 0 {
		f = append(f, "-u", strconv.Itoa(c.UID))
	}
	if c.GID >= 0 {
		f = append(f, "-g", strconv.Itoa(c.GID))
	}
	for _, r := range c.Rlimits {
		f = append(f, "-"+string(rlimitFlag[r.Resource]), strconv.FormatUint(r.Cur, 10))
	}
	return f
}

// rlimitFlag is the flag letter of each resource limit, read from the
// flag table (flags.go).
var rlimitFlag = func() map[int]byte {
	m := map[int]byte{}
	for _, f := range flags {
		var c config
		if f.short != 0 && f.arg != "" && f.set(&c, new([]string), "1") == nil && len(c.Rlimits) == 1 {
			m[c.Rlimits[0].Resource] = f.short
		}
	}
	return m
}()

// statNow says whether path exists now and is a directory.
func statNow(path string) (bool, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, false
	}
	return true, fi.IsDir()
}

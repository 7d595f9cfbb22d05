//go:build linux

package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// The tests run the built command on real programs from the machine and on
// two helpers built here: a static Go binary and a dynamic C binary. The
// command sandboxes only its own child, so the test runner itself is never
// pledged; each case checks the exact exit status and the exact lines.

var bin struct {
	dir, pledge, gohelper, chelper, nested string
	err                                    error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pledge-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755)
	bin.dir = dir
	bin.pledge = filepath.Join(dir, "pledge")
	bin.gohelper = filepath.Join(dir, "gohelper")
	bin.chelper = filepath.Join(dir, "chelper")
	bin.nested = filepath.Join(dir, "nested")
	bin.err = errors.Join(
		build(exec.Command("go", "build", "-buildvcs=false", "-o", bin.nested, "./testdata/nested"), "CGO_ENABLED=0"),
		build(exec.Command("go", "build", "-buildvcs=false", "-o", bin.pledge, ".")),
		build(exec.Command("go", "build", "-buildvcs=false", "-o", bin.gohelper, "./testdata/gohelper"), "CGO_ENABLED=0"),
		build(exec.Command("gcc", "-O1", "-o", bin.chelper, "testdata/chelper.c")),
	)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func build(cmd *exec.Cmd, env ...string) error {
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %v\n%s", cmd.Args, err, out)
	}
	return nil
}

// result is one run of the command.
type result struct {
	code           int // exit status as a shell sees it
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runPledge runs the built command with args and returns what it did.
func runPledge(t *testing.T, args ...string) result {
	t.Helper()
	return runPledgeWith(t, nil, args...)
}

func (r result) wantExit(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}

// wantLine fails unless some stderr line matches the regexp exactly.
func (r result) wantLine(t *testing.T, re string) {
	t.Helper()
	rx := regexp.MustCompile("^" + re + "$")
	for _, l := range strings.Split(r.stderr, "\n") {
		if rx.MatchString(l) {
			return
		}
	}
	t.Errorf("no stderr line matches %q\n%s", re, r)
}

// wantOutcome fails unless the program reported want for key (the
// helpers print sandboxtest's report lines).
func (r result) wantOutcome(t *testing.T, key, want string) {
	t.Helper()
	if got := sandboxtest.Outcomes(t, r.stdout)[key]; got != want {
		t.Errorf("%s: want %s, got %q\n%s", key, want, got, r)
	}
}

// shared makes a directory with a file "f" that nobody may read too.
func shared(t *testing.T) (dir, file string) {
	dir = t.TempDir()
	file = filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello pledge\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

func TestCatWithAndWithoutUnveil(t *testing.T) {
	dir, file := shared(t)
	t.Run("unveiled", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath", "-v", "r:"+dir, "cat", file)
		r.wantExit(t, 0)
		if r.stdout != "hello pledge\n" {
			t.Fatalf("stdout %q", r.stdout)
		}
	})
	t.Run("not unveiled", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath", "cat", file)
		r.wantExit(t, 1)
		r.wantLine(t, regexp.QuoteMeta("cat: "+file+": Permission denied"))
	})
	t.Run("no unveiling at all", func(t *testing.T) {
		r := runPledge(t, "-V", "-p", "stdio rpath", "cat", file)
		r.wantExit(t, 0)
	})
}

// The README's first command: /etc/os-release is a symlink into /usr/lib
// on Debian, reached because it is named under the -v directory.
func TestReadmeCommand(t *testing.T) {
	r := runPledge(t, "-p", "stdio rpath", "-v", "r:/etc", "cat", "/etc/os-release")
	r.wantExit(t, 0)
	if !strings.Contains(r.stdout, "NAME=") {
		t.Fatalf("no os-release contents: %s", r)
	}
}

func TestLsUnveiledDir(t *testing.T) {
	dir, _ := shared(t)
	r := runPledge(t, "-p", "stdio rpath", "-v", "r:"+dir, "ls", "-la", dir)
	r.wantExit(t, 0)
	if !regexp.MustCompile(`(?m)^-rw-r--r-- .* f$`).MatchString(r.stdout) {
		t.Fatalf("ls -la lacks f: %s", r)
	}
}

// A shell runs a second program: only with proc and exec, and the second
// program also starts under loader-only grants and then runs pledged.
func TestShellRunsSecondProgram(t *testing.T) {
	dir, file := shared(t)
	script := "cat " + file + "; echo status=$?"
	t.Run("proc exec", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath proc exec", "-v", "r:"+dir, "-v", "rx:/usr/bin/cat", "sh", "-c", script)
		r.wantExit(t, 0)
		if r.stdout != "hello pledge\nstatus=0\n" {
			t.Fatalf("stdout: %s", r)
		}
	})
	t.Run("no exec", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath proc", "-v", "r:"+dir, "-v", "rx:/usr/bin/cat", "sh", "-c", script)
		r.wantExit(t, 0)
		r.wantLine(t, `pledge: sh\[\d+\] execve\("/usr/bin/cat"\) needs promise "exec"`)
		if r.stdout != "status=126\n" {
			t.Fatalf("stdout: %s", r)
		}
	})
	t.Run("no proc", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath exec", "-v", "r:"+dir, "-v", "rx:/usr/bin/cat", "sh", "-c", script)
		r.wantExit(t, 2) // dash: "Cannot fork"
		// dash starts a command with vfork(2) (strace -f shows it).
		r.wantLine(t, `pledge: sh\[\d+\] vfork\(\) needs promise "proc"`)
	})
}

// A #! script starts: the kernel execs its interpreter, which is unveiled
// with its libraries; the script itself is the program.
func TestScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hello.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho from script\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runPledge(t, "-p", "stdio rpath", script)
	r.wantExit(t, 0)
	if r.stdout != "from script\n" {
		t.Fatalf("stdout: %s", r)
	}
}

// After start-up, a program pledged "stdio" cannot open a file, map
// executable memory or exec, whether static (Go) or dynamic (C): the
// loader's grants end at the entry point. The same operations succeed with
// the promises that allow them, so the denials are the promises' doing.
func TestAfterStartNoLoaderFreedoms(t *testing.T) {
	dir, file := shared(t)
	helpers := map[string]string{"static Go": bin.gohelper, "dynamic C": bin.chelper}
	checkLinkage(t, bin.gohelper, false)
	checkLinkage(t, bin.chelper, true)
	// The open passes the filter for the path layer to decide (a named
	// path could need it): Landlock's EACCES, reported all the same.
	ops := []struct {
		op, arg, promise, line, denied string
	}{
		{"open", file, "rpath", `openat\("` + regexp.QuoteMeta(file) + `", O_RDONLY\) needs promise "rpath"`, "EACCES"},
		{"mmapexec", "", "prot_exec", `mmap\(PROT_READ\|PROT_EXEC, MAP_PRIVATE\|MAP_ANONYMOUS\) needs promise "prot_exec"`, "EPERM"},
		{"exec", "/bin/true", "exec", `execve\("/bin/true"\) needs promise "exec"`, "EPERM"},
	}
	for hname, helper := range helpers {
		name := filepath.Base(helper)
		for _, o := range ops {
			base := []string{"-v", "r:" + dir, "-v", "rx:/bin/true"}
			t.Run(hname+"/"+o.op+"/denied", func(t *testing.T) {
				r := runPledge(t, append(base, "-p", "stdio", helper, o.op, o.arg)...)
				r.wantExit(t, 0)
				r.wantOutcome(t, o.op, o.denied)
				r.wantLine(t, `pledge: `+name+`\[\d+\] `+o.line)
			})
			t.Run(hname+"/"+o.op+"/killed", func(t *testing.T) {
				// rpath: the Go runtime reads /proc/self/cgroup at start.
				r := runPledge(t, append(base, "-k", "-p", "stdio rpath", helper, o.op, o.arg)...)
				if o.op == "open" {
					r.wantExit(t, 0) // allowed by rpath: the control below
					r.wantOutcome(t, o.op, "ok")
					return
				}
				r.wantExit(t, 128+int(syscall.SIGSYS))
				r.wantLine(t, `pledge: `+name+`\[\d+\] `+o.line)
				if strings.Contains(r.stdout, "sandboxtest:") {
					t.Errorf("the program went on after the violation: %s", r)
				}
			})
			t.Run(hname+"/"+o.op+"/allowed", func(t *testing.T) {
				r := runPledge(t, append(base, "-p", "stdio rpath "+o.promise, helper, o.op, o.arg)...)
				r.wantExit(t, 0)
				if o.op == "exec" {
					if r.stdout != "" {
						t.Fatalf("exec did not replace the helper: %s", r)
					}
					return
				}
				r.wantOutcome(t, o.op, "ok")
			})
		}
	}
}

func checkLinkage(t *testing.T, path string, dynamic bool) {
	t.Helper()
	if bin.err != nil {
		return
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	has := false
	for _, p := range f.Progs {
		has = has || p.Type == elf.PT_INTERP
	}
	if has != dynamic {
		t.Fatalf("%s: PT_INTERP present=%v, want %v", path, has, dynamic)
	}
}

// The violation line names the program, its pid, the call with decoded
// arguments and the missing promise.
func TestViolationLines(t *testing.T) {
	_, file := shared(t)
	cases := []struct{ name, op, arg, line, errno string }{
		{"inet", "socket", "", `socket\(AF_INET, SOCK_STREAM\) needs promise "inet"`, "EPERM"},
		// The path layer's refusal: Landlock's EACCES.
		{"wpath", "write", file, `openat\("` + regexp.QuoteMeta(file) + `", O_WRONLY\) needs promise "wpath"`, "EACCES"},
		{"proc", "fork", "", `clone\(CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\) needs promise "proc"`, "EPERM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runPledge(t, "-p", "stdio rpath", "-v", "rw:"+file, bin.chelper, c.op, c.arg)
			r.wantExit(t, 0)
			r.wantOutcome(t, c.op, c.errno)
			r.wantLine(t, `pledge: chelper\[\d+\] `+c.line)
		})
	}
	t.Run("quiet", func(t *testing.T) {
		r := runPledge(t, "-q", "-p", "stdio rpath", bin.chelper, "socket")
		r.wantExit(t, 0)
		r.wantOutcome(t, "socket", "EPERM")
		if r.stderr != "" {
			t.Fatalf("-q printed: %s", r)
		}
	})
}

func TestExitStatusPassThrough(t *testing.T) {
	t.Run("exit 7", func(t *testing.T) {
		runPledge(t, "sh", "-c", "exit 7").wantExit(t, 7)
	})
	t.Run("SIGTERM", func(t *testing.T) {
		runPledge(t, "-p", "stdio rpath proc", "sh", "-c", "kill -TERM $$").wantExit(t, 128+int(syscall.SIGTERM))
	})
	t.Run("SIGTERM to itself without proc", func(t *testing.T) {
		// The filter's "to itself" conditions carry the program's pid,
		// patched into the filter compiled before the fork.
		r := runPledge(t, "-p", "stdio rpath", "sh", "-c", "kill -TERM $$")
		r.wantExit(t, 128+int(syscall.SIGTERM))
		if r.stderr != "" {
			t.Fatalf("signalling itself is a violation:\n%s", r)
		}
	})
	t.Run("signal to another process without proc", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio rpath", "sh", "-c", "kill -0 1")
		r.wantExit(t, 1)
		r.wantLine(t, `pledge: sh\[\d+\] kill\(1, 0\) needs promise "proc"`)
	})
	t.Run("not found", func(t *testing.T) {
		r := runPledge(t, "no-such-program-here")
		r.wantExit(t, 127)
		r.wantLine(t, `pledge: no-such-program-here: not found`)
	})
}

func TestKernelTest(t *testing.T) {
	for _, what := range []string{"pledge", "unveil"} {
		t.Run(what, func(t *testing.T) {
			runPledge(t, "-T", what).wantExit(t, 0)
		})
	}
}

// Bad command lines exit 64 with a message, and the program never runs.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	prog := []string{"sh", "-c", "touch " + marker}
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown flag", []string{"-Z"}, `pledge: unknown option -Z`},
		{"unknown long flag", []string{"--frobnicate"}, `pledge: unknown option --frobnicate`},
		{"bad promise", []string{"-p", "stdio bogus"}, `pledge: bad promises "stdio bogus .*": promise "bogus": invalid argument`},
		{"leading space", []string{"-p", " stdio"}, `pledge: bad promises " stdio .*": promise "": invalid argument`},
		{"bad limit", []string{"-M", "lots"}, `pledge: bad limit "lots": .*`},
		{"bad -T", []string{"-T", "magic"}, `pledge: -T "magic": want pledge or unveil`},
		{"missing unveil dir", []string{"-v", "r:/no/such/dir/x"}, `pledge: -v r:/no/such/dir/x: .*no such file or directory`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runPledge(t, append(append(append([]string{}, c.args...), "-p", "stdio rpath wpath cpath proc exec", "-v", "rwcx:/"), prog...)...)
			// The valid -p after the bad one must not rescue it: -p values join.
			r.wantExit(t, exUsage)
			r.wantLine(t, c.msg)
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the program ran: %v", err)
			}
		})
	}
	t.Run("no program", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio")
		r.wantExit(t, exUsage)
		r.wantLine(t, `pledge: no program given`)
	})
}

// runPledgeWith is runPledge with the test's own open file as fd 3 (none
// when extra is nil).
func runPledgeWith(t *testing.T, extra *os.File, args ...string) result {
	t.Helper()
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	if bin.err != nil {
		t.Fatalf("building the command and helpers: %v", bin.err)
	}
	cmd := exec.Command(bin.pledge, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if extra != nil {
		cmd.ExtraFiles = []*os.File{extra}
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running pledge: %v", err)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Fatalf("the command itself died of %v (it must pass signals through as 128+N)\n%s%s", ws.Signal(), out.String(), errb.String())
	}
	return result{ws.ExitStatus(), out.String(), errb.String()}
}

// inheritedByChildren lists this process's fds without FD_CLOEXEC (what
// the test runner itself inherited) and those in with.
func inheritedByChildren(t *testing.T, with ...int) []int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := append([]int{}, with...)
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && fl&unix.FD_CLOEXEC == 0 {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	return slices.Compact(fds)
}

// The program gets exactly the descriptors it inherits: with -N the
// command's (an extra file as fd 3 included), without -N only 0-2; never
// the Landlock rule fds the supervisor opened for it, nor the ruleset fd.
// ls lists /proc/self/fd with one fd of its own, the lowest free one.
func TestFdsInherited(t *testing.T) {
	extra, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	// Many rules: every entry of / and /usr is split off.
	base := []string{"-p", "stdio rpath", "-v", "r:/proc", "-v", "r:/usr", "-v", "rw:/usr/share", "-v", "r:/etc"}
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			args := base
			want := []int{0, 1, 2}
			if keep {
				args = append([]string{"-N"}, base...)
				want = inheritedByChildren(t, 0, 1, 2, 3)
			}
			r := runPledgeWith(t, extra, append(args, "ls", "/proc/self/fd")...)
			r.wantExit(t, 0)
			var got []int
			for _, f := range strings.Fields(r.stdout) {
				n, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("ls output: %s", r)
				}
				got = append(got, n)
			}
			slices.Sort(got)
			// ls's own directory fd: the lowest number not inherited.
			own := 0
			for slices.Contains(want, own) {
				own++
			}
			want = append(want, own)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("fds %v, want %v\n%s", got, want, r)
			}
		})
	}
}

// A set-user-ID program that would gain privileges at its execve is
// refused: no_new_privs is injected after that execve. Run by root, a copy
// of touch set-user-ID to nobody would; it is killed before it runs, so
// it creates nothing. Run by nobody (an unprivileged tracer), the kernel
// does not honour the bit (LSM_UNSAFE_PTRACE) and the program runs.
func TestSetuidProgram(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	prog := filepath.Join(dir, "suid-touch")
	b, err := os.ReadFile("/usr/bin/touch")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, b, 0o755); err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(prog, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(prog, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "ran")
	r := runPledge(t, "-p", "stdio rpath wpath cpath fattr", "-v", "rwc:"+dir, prog, marker)
	_, serr := os.Stat(marker)
	if !root {
		r.wantExit(t, 0)
		if serr != nil {
			t.Fatalf("the program did not run: %v", serr)
		}
		return
	}
	r.wantExit(t, exCannotRun)
	r.wantLine(t, `pledge: `+regexp.QuoteMeta(prog)+`: Uid "0\\t65534\\t65534\\t65534": the program is set-user-ID.*: refused \(the program was killed before it ran\)`)
	if !errors.Is(serr, os.ErrNotExist) {
		t.Fatalf("the program ran: %v", serr)
	}
}

// -n and the rlimits reach the program (the program sets them on itself
// at its first stop, injected: prlimit on another process needs
// CAP_SYS_RESOURCE, which root may lack in a container).
func TestNiceAndLimits(t *testing.T) {
	// Field 19 of /proc/self/stat is the nice value; only shell builtins.
	r := runPledge(t, "-n", "-O", "64", "-F", "1m", "-p", "stdio rpath", "-v", "r:/proc", "sh", "-c",
		"ulimit -n; ulimit -f; read -r l < /proc/self/stat; set -- $l; shift 18; echo $1")
	r.wantExit(t, 0)
	if r.stdout != "64\n2048\n19\n" {
		t.Fatalf("stdout: %s", r)
	}
}

// The path promises under the command, as in the library: /dev/null opens
// by name under stdio although nothing unveils it; an open of a file the
// veil grants but the promises do not fails with EACCES and its line names
// the promise; one the veil does not grant says so.
func TestNamedPathsCommand(t *testing.T) {
	dir, file := shared(t)
	t.Run("devnull", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio", "-v", "r:"+dir, bin.chelper, "write", os.DevNull)
		r.wantExit(t, 0)
		r.wantOutcome(t, "write", "ok")
	})
	t.Run("needs-rpath", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio", "-v", "r:"+dir, bin.chelper, "open", file)
		r.wantExit(t, 0)
		r.wantOutcome(t, "open", "EACCES")
		r.wantLine(t, `pledge: chelper\[\d+\] openat\("`+regexp.QuoteMeta(file)+`", O_RDONLY\) needs promise "rpath"`)
	})
	t.Run("hostname", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio", "-v", "r:/etc", "/bin/cat", "/etc/hostname")
		r.wantExit(t, 1)
		r.wantLine(t, `pledge: cat\[\d+\] openat\("/etc/hostname", O_RDONLY\) needs promise "rpath"`)
	})
	t.Run("not-unveiled", func(t *testing.T) {
		r := runPledge(t, "-p", "stdio", "-v", "r:"+dir, bin.chelper, "open", "/etc/hostname")
		r.wantExit(t, 0)
		r.wantOutcome(t, "open", "EACCES")
		r.wantLine(t, `pledge: chelper\[\d+\] openat\("/etc/hostname", O_RDONLY\) denied: not unveiled for "r"`)
	})
	t.Run("killed", func(t *testing.T) {
		r := runPledge(t, "-k", "-p", "stdio", "-v", "r:"+dir, bin.chelper, "open", file)
		r.wantExit(t, 128+int(syscall.SIGSYS))
		r.wantLine(t, `pledge: chelper\[\d+\] openat\("`+regexp.QuoteMeta(file)+`", O_RDONLY\) needs promise "rpath"`)
	})
}

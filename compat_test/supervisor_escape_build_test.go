package compat_test

// Building and running the programs of the supervisor escape tests
// (supervisor_escape_test.go): our own small C programs under
// testdata/escape, built once by TestMain with gcc.

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// escapeProgs are the programs buildEscape makes in one directory.
type escapeProgs struct {
	// victim is an ordinary dynamic program whose DT_NEEDED libevil.so
	// attacks from its constructor (testdata/escape/victim.c, evil.c).
	victim string
	// audit.so is an LD_AUDIT module printing a marker (audit.c);
	// preload.so the attacker's LD_PRELOAD bytes (preload.c).
	audit, preload string
	// helper runs the sendmsg and clone cases (helper.c).
	helper string
}

func escapePrograms(t testing.TB) escapeProgs {
	dir := program(t, envEscape)
	return escapeProgs{
		victim:  filepath.Join(dir, "victim"),
		audit:   filepath.Join(dir, "audit.so"),
		preload: filepath.Join(dir, "preload.so"),
		helper:  filepath.Join(dir, "helper"),
	}
}

// buildEscape compiles testdata/escape into dir/escape.
//
// libevil.so's soname is its absolute path, so the victim's DT_NEEDED
// names it by path and ld.so opens it without searching. A
// -Wl,-rpath,'$ORIGIN' victim cannot start under "stdio": glibc's ld.so
// resolves $ORIGIN with readlink("/proc/self/exe"), which needs rpath
// (EPERM during start-up, then "libevil.so: cannot open shared object
// file"); and any RPATH search stats the hwcaps subdirectories
// (newfstatat: rpath), which under the library's execpromises "stdio"
// would kill the victim before its constructor runs. The victim has no
// RPATH at all: libc comes from ld.so.cache.
func buildEscape(dir string) (string, error) {
	if runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("the supervisor is amd64 only; GOARCH is %s", runtime.GOARCH)
	}
	out := filepath.Join(dir, "escape")
	if err := os.Mkdir(out, 0o755); err != nil {
		return "", err
	}
	src := func(name string) string { return filepath.Join("testdata", "escape", name) }
	lib := filepath.Join(out, "libevil.so")
	cflags := []string{"-O1", "-Wall", "-Wextra", "-Werror"}
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-Wl,-soname," + lib, "-o", lib, src("evil.c")},
		{"-o", filepath.Join(out, "victim"), src("victim.c"), lib},
		{"-shared", "-fPIC", "-nostdlib", "-o", filepath.Join(out, "audit.so"), src("audit.c")},
		{"-shared", "-fPIC", "-o", filepath.Join(out, "preload.so"), src("preload.c")},
		{"-o", filepath.Join(out, "helper"), src("helper.c")},
	} {
		cmd := exec.Command("gcc", append(cflags, args...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("gcc %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	return out, nil
}

// entryByte is the first byte of the instruction at path's ELF entry
// point: what the supervisor's int3 replaces there.
func entryByte(t testing.TB, path string) byte {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Vaddr <= f.Entry && f.Entry < p.Vaddr+p.Filesz {
			b := make([]byte, 1)
			if _, err := p.ReadAt(b, int64(f.Entry-p.Vaddr)); err != nil {
				t.Fatal(err)
			}
			return b[0]
		}
	}
	t.Fatalf("%s: entry %#x in no PT_LOAD segment", path, f.Entry)
	return 0
}

// escSpec is one run of a program, plainly or under the pledge command.
type escSpec struct {
	// pledge are the command's flags; nil runs the program plainly.
	pledge []string
	argv   []string
	// env is added to the test's environment (the command passes its
	// environment on to the program).
	env   []string
	stdin *os.File
	// extra are the descriptors 3, 4, ... (the command closes them in the
	// program unless -N).
	extra []*os.File
	// ctty: stdin is a terminal that becomes the controlling terminal of
	// a new session (setsid, TIOCSCTTY) for the command or the program.
	ctty bool
}

// escResult is what a run did; code is the exit status as a shell sees it
// (128+N for a death by signal N).
type escResult struct {
	code           int
	stdout, stderr string
}

func (r escResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

func runEsc(t *testing.T, s escSpec) escResult {
	t.Helper()
	argv := s.argv
	if s.pledge != nil {
		argv = append(append(append([]string{program(t, envPledgeCmd)}, s.pledge...), "--"), s.argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = s.stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.ExtraFiles = s.extra
	// A process that outlives the run (the escapes of clone) may hold the
	// output pipes open: it writes and exits once the command is reaped.
	cmd.WaitDelay = 2 * time.Minute
	if s.ctty {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%v: %v", argv, err)
	}
	r := escResult{stdout: stdout.String(), stderr: stderr.String()}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		r.code = 128 + int(ws.Signal())
	} else {
		r.code = ws.ExitStatus()
	}
	return r
}

func (r escResult) want(t *testing.T, code int, stdout string) {
	t.Helper()
	if r.code != code || r.stdout != stdout {
		t.Errorf("want exit %d and stdout\n%s\ngot %s", code, stdout, r)
	}
}

// commandLines are the stderr lines of the pledge command itself.
func (r escResult) commandLines() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "pledge: ") {
			out = append(out, l)
		}
	}
	return out
}

// wantLines fails unless the command printed exactly one line per regexp,
// in this order (the regexps match whole lines).
func (r escResult) wantLines(t *testing.T, res ...string) {
	t.Helper()
	got := r.commandLines()
	okay := len(got) == len(res)
	for i := 0; okay && i < len(res); i++ {
		okay = regexp.MustCompile("^" + res[i] + "$").MatchString(got[i])
	}
	if !okay {
		t.Errorf("want the command's lines to match\n%s\ngot %s", strings.Join(res, "\n"), r)
	}
}

// latePipe is a pipe whose write end a program inherits as fd 3
// (ESC_LATE_FD): a process that outlives the sandbox writes "late" to it.
type latePipe struct{ r, w *os.File }

func newLatePipe(t *testing.T) *latePipe {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return &latePipe{r, w}
}

// read closes the test's write end and reads until every process holding
// the pipe is gone: what was written by a process that outlived the run.
func (p *latePipe) read(t *testing.T) string {
	t.Helper()
	p.w.Close()
	b, err := io.ReadAll(p.r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package compat_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// Programs the tests build once in the parent process and hand to every
// child through the environment (children inherit the parent's environment,
// see sandboxtest.Run). An empty value means the build failed; the reason is
// in the matching *_ERR variable, and only the cases needing that program
// fail.
const (
	envProbe     = "COMPAT_PROBE"     // testdata/probe.c, static and libc-free
	envPledgeCmd = "COMPAT_PLEDGE"    // ../cmd/pledge
	envFetchdemo = "COMPAT_FETCHDEMO" // ./fetchdemo
	envEscape    = "COMPAT_ESCAPE"    // testdata/escape: a directory (supervisor_escape_build_test.go)
	// libpledge's C driver of the cases (libpledge/test/cdriver.c), linked
	// with the C library, and the exec supervisor helper it starts.
	envCDriver    = "COMPAT_CDRIVER"
	envSupervisor = "COMPAT_SUPERVISOR"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envUnveilServer); dir != "" {
		unveilServer(dir)
	}
	if sandboxtest.InChild() {
		sandboxtest.Main(m)
		return
	}
	dir, err := os.MkdirTemp("", "compat-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat_test:", err)
		os.Exit(2)
	}
	// The directory must be readable and its programs executable by the
	// children, which may run as another user than the one building only
	// when CI switches users between runs; MkdirTemp's 0700 is enough then.
	build(envProbe, func() (string, error) { return buildProbe(dir) })
	build(envPledgeCmd, func() (string, error) {
		return goBuild(dir, "pledge", "../cmd/pledge")
	})
	build(envFetchdemo, func() (string, error) {
		return goBuild(dir, "fetchdemo", "./fetchdemo")
	})
	build(envEscape, func() (string, error) { return buildEscape(dir) })
	build(envCDriver, func() (string, error) { return buildCDriver(dir) })
	build(envSupervisor, func() (string, error) {
		return goBuild(dir, "landpledge-supervisor", "../cmd/landpledge-supervisor")
	})
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build runs mk and records its result in the environment under key.
func build(key string, mk func() (string, error)) {
	path, err := mk()
	if err != nil {
		os.Setenv(key+"_ERR", err.Error())
		os.Setenv(key, "")
		return
	}
	os.Setenv(key, path)
}

// buildProbe compiles testdata/probe.c with gcc into a static binary that
// needs no loader, no libc and no file access to start.
func buildProbe(dir string) (string, error) {
	if runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("probe.c is x86_64 assembly; GOARCH is %s", runtime.GOARCH)
	}
	out := filepath.Join(dir, "probe")
	cmd := exec.Command("gcc", "-static", "-nostdlib", "-O1", "-fno-stack-protector",
		"-o", out, "testdata/probe.c")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc probe.c: %v\n%s", err, b)
	}
	return out, nil
}

// buildCDriver builds libpledge and its test programs with make (only a C
// compiler and make are needed) and returns the C driver of the cases.
func buildCDriver(dir string) (string, error) {
	b := filepath.Join(dir, "libpledge")
	cmd := exec.Command("make", "-s", "-C", "../libpledge", "BUILD="+b, "all", "tests")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make -C ../libpledge: %v\n%s", err, out)
	}
	return filepath.Join(b, "test", "cdriver"), nil
}

// goBuild builds the Go command in pkgDir (relative to compat_test) into dir.
func goBuild(dir, name, pkgDir string) (string, error) {
	if _, err := os.Stat(pkgDir); err != nil {
		return "", fmt.Errorf("%s not in the tree yet: %w", pkgDir, err)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkgDir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkgDir, err, b)
	}
	return out, nil
}

// program returns the path of a program built by TestMain, failing t (with
// the build error) when it could not be built.
func program(t testing.TB, key string) string {
	t.Helper()
	if p := os.Getenv(key); p != "" {
		return p
	}
	t.Fatalf("%s was not built: %s", key, os.Getenv(key+"_ERR"))
	return ""
}

//go:build linux

package libpledge

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/libpledge/internal/ctable"
)

// The tests build the C library and its test programs once, with make
// into a temporary directory, and the exec supervisor helper with go
// build; every test that needs them finds them through these variables
// (an empty value means the build failed, and the reason is in
// buildErr).
var (
	buildDir   string // BUILD of the Makefile: libpledge.a, test/...
	supervisor string // the landpledge-supervisor helper
	buildErr   error
	superErr   error
	tmpRoot    string // removed when the test binary ends
)

func TestMain(m *testing.M) {
	if sandboxtest.InChild() {
		sandboxtest.Main(m)
		return
	}
	dir, err := os.MkdirTemp("", "libpledge-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "libpledge:", err)
		os.Exit(2)
	}
	tmpRoot = dir
	buildDir, buildErr = buildC(dir)
	supervisor, superErr = buildSupervisor(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildC runs make for the library and the test programs.
func buildC(dir string) (string, error) {
	if _, err := exec.LookPath("make"); err != nil {
		return "", err
	}
	b := filepath.Join(dir, "build")
	cmd := exec.Command("make", "-s", "BUILD="+b, "all", "tests")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make: %v\n%s", err, out)
	}
	return b, nil
}

// buildSupervisor builds cmd/landpledge-supervisor as make install does.
func buildSupervisor(dir string) (string, error) {
	out := filepath.Join(dir, "landpledge-supervisor")
	cmd := exec.Command("go", "build", "-o", out, "../cmd/landpledge-supervisor")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ../cmd/landpledge-supervisor: %v\n%s", err, b)
	}
	return out, nil
}

// testProgram returns the path of a C test program, failing t when the
// build failed (skipping it when the machine has no C compiler).
func testProgram(t testing.TB, name string) string {
	t.Helper()
	sandboxtest.Require(t, "cc")
	if buildErr != nil {
		t.Fatalf("building libpledge: %v", buildErr)
	}
	return filepath.Join(buildDir, "test", name)
}

func supervisorPath(t testing.TB) string {
	t.Helper()
	if superErr != nil {
		t.Fatalf("%v", superErr)
	}
	return supervisor
}

// TestGeneratedTables fails when the checked-in C data is not what the Go
// packages generate now: run `go generate ./libpledge`.
func TestGeneratedTables(t *testing.T) {
	files, err := ctable.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v (run go generate ./libpledge)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./libpledge", name)
		}
	}
	if runtime.GOOS != "linux" {
		t.Skip("the C library is Linux only")
	}
}

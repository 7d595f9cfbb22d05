package compat_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// jsExec is the go command's runner for js/wasm programs (Node.js).
func jsExec(t *testing.T) string {
	t.Helper()
	sandboxtest.Require(t, "node")
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "go_js_wasm_exec")
}

// withoutBestEffort is the environment without LANDPLEDGE_BEST_EFFORT.
func withoutBestEffort() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "LANDPLEDGE_BEST_EFFORT=")
	})
}

// TestUnsupportedPlatform runs the code for systems with neither pledge(2)
// and unveil(2) nor Landlock and seccomp, on js/wasm under Node.js: the
// pledge package's tests there (TestUnsupportedAPI: every call fails with
// errors.ErrUnsupported, best effort enforces nothing), and the pledge
// command, which refuses with 126 unless --best-effort.
func TestUnsupportedPlatform(t *testing.T) {
	run := jsExec(t)
	t.Run("package", func(t *testing.T) {
		cmd := exec.Command("go", "test", "-count=1", "-exec="+run, "./pledge")
		cmd.Dir = ".."
		cmd.Env = append(withoutBestEffort(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOOS=js GOARCH=wasm go test ./pledge: %v\n%s", err, out)
		}
	})
	t.Run("command", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "pledge.wasm")
		if out, err := goFor("js/wasm", "build", "-o", bin, "./cmd/pledge"); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		const none = "no pledge(2) and unveil(2), nor Landlock and seccomp, on js/wasm: unsupported operation"
		for _, c := range []struct {
			args   string
			code   int
			stderr string
		}{
			{"-p stdio /bin/true", 126, "pledge: " + none + "; refusing to run unsandboxed (--best-effort runs anyway)\n"},
			{"-T pledge", 1, ""},
			{"--verbose -T unveil", 1, "pledge: -T unveil: " + none + "\n"},
			// The errno text is js's own.
			{"-p bogus /bin/true", 64, "pledge: bad promises \"bogus\": promise \"bogus\": Invalid argument\n(pledge -h for help)\n"},
			{"--learn /bin/true", 126, "pledge: --learn needs the Linux supervisor; not on js/wasm\n"},
			{"--best-effort -u 0 /bin/true", 126, "pledge: -u cannot be applied on js/wasm; refusing to run\n"},
			{"--best-effort -C 1 /bin/true", 126, "pledge: -C/-M/-O/-P/-F cannot be applied on js/wasm; refusing to run\n"},
			// Run anyway; js has no processes to start.
			{"--best-effort /bin/true", 126, "pledge: " + none + "; running unsandboxed (--best-effort)\n" +
				"pledge: /bin/true: fork/exec /bin/true: not implemented on js\n"},
			{"--best-effort -q /bin/true", 126, "pledge: /bin/true: fork/exec /bin/true: not implemented on js\n"},
		} {
			t.Run(strings.ReplaceAll(c.args, " ", "_"), func(t *testing.T) {
				cmd := exec.Command(run, append([]string{bin}, strings.Fields(c.args)...)...)
				cmd.Env = withoutBestEffort()
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if code != c.code || stderr.String() != c.stderr || stdout.Len() != 0 {
					t.Errorf("pledge %s: exit %d, want %d\nstderr:\n%s\nwant:\n%s\nstdout:\n%s", c.args, code, c.code, &stderr, c.stderr, &stdout)
				}
			})
		}
	})
}

//go:build linux

package libpledge

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// The build and the installed library as a user sees them: make install
// into a prefix, then programs built with pkg-config, dynamically and
// statically, the README's example, the <unistd.h> overlay that lets
// portable OpenBSD software find pledge and unveil, and pledge.h in C99
// and C++.

// installed runs make install into a fresh prefix once per test binary.
var installOnce struct {
	prefix string
	err    error
	done   bool
}

func install(t *testing.T) string {
	t.Helper()
	sandboxtest.Require(t, "cc")
	sandboxtest.Require(t, "pkg-config")
	if !installOnce.done {
		installOnce.done = true
		// In the test binary's directory (TestMain's), which outlives
		// this test: the other tests use the installed prefix too.
		dir := filepath.Join(tmpRoot, "install")
		prefix := filepath.Join(dir, "prefix")
		build := filepath.Join(dir, "build")
		// GOBUILDFLAGS empty: the helper is built as the tests build it,
		// from the build cache, not -trimpath'ed from scratch.
		cmd := exec.Command("make", "-s", "BUILD="+build, "PREFIX="+prefix, "GOBUILDFLAGS=", "install")
		if out, err := cmd.CombinedOutput(); err != nil {
			installOnce.err = err
			t.Fatalf("make install: %v\n%s", err, out)
		}
		installOnce.prefix = prefix
	}
	if installOnce.err != nil {
		t.Fatalf("make install failed: %v", installOnce.err)
	}
	return installOnce.prefix
}

func pkgConfig(t *testing.T, prefix string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("pkg-config", append(args, "libpledge")...)
	cmd.Env = append(os.Environ(), "PKG_CONFIG_PATH="+filepath.Join(prefix, "lib", "pkgconfig"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pkg-config %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

func cc(t *testing.T, compiler string, args ...string) {
	t.Helper()
	if out, err := exec.Command(compiler, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", compiler, strings.Join(args, " "), err, out)
	}
}

// TestInstall: make install puts everything where the issue says, with a
// versioned soname, and the library's ABI is the three functions.
func TestInstall(t *testing.T) {
	prefix := install(t)
	for _, f := range []string{
		"include/pledge.h", "include/libpledge/unistd.h", "lib/libpledge.a",
		"lib/libpledge.so", "lib/libpledge.so.0", "lib/libpledge.so.0.1.0",
		"lib/pkgconfig/libpledge.pc", "libexec/landpledge/landpledge-supervisor",
	} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("installed: %v", err)
		}
	}
	if target, err := os.Readlink(filepath.Join(prefix, "lib/libpledge.so")); err != nil || target != "libpledge.so.0" {
		t.Errorf("lib/libpledge.so -> %q (%v), want libpledge.so.0", target, err)
	}
	out, err := exec.Command("readelf", "-d", "-W", filepath.Join(prefix, "lib/libpledge.so.0.1.0")).Output()
	if err != nil || !strings.Contains(string(out), "Library soname: [libpledge.so.0]") {
		t.Errorf("soname: %v\n%s", err, out)
	}
	syms, err := exec.Command("nm", "-D", "--defined-only", filepath.Join(prefix, "lib/libpledge.so")).Output()
	if err != nil {
		t.Fatalf("nm: %v", err)
	}
	var exported []string
	for _, l := range strings.Split(string(syms), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[1] == "T" {
			exported = append(exported, strings.Split(f[2], "@")[0])
		}
	}
	if strings.Join(exported, " ") != "landpledge_state pledge unveil" {
		t.Errorf("libpledge.so exports %v, want landpledge_state pledge unveil", exported)
	}
	if got := strings.Join(pkgConfig(t, prefix, "--cflags"), " "); !strings.Contains(got, "-I"+prefix+"/include/libpledge") {
		t.Errorf("pkg-config --cflags = %q: the overlay directory is missing", got)
	}
}

// readmeExample is the C example of README.md, between its markers.
func readmeExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- libpledge example -->\n```c\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no libpledge example (<!-- libpledge example --> then a c block)")
	}
	if n := strings.Count(string(m[1]), "\n"); n > 12 {
		t.Errorf("README's C example has %d lines", n)
	}
	return string(m[1])
}

// TestBuildWithPkgConfig builds programs against the installed library
// with the README's two lines (dynamic, static) and runs them: the
// example, and a program that execs through the supervisor installed in
// LIBEXECDIR, found without LANDPLEDGE_SUPERVISOR.
func TestBuildWithPkgConfig(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	sandboxtest.Require(t, "landlock")
	prefix := install(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "example.c")
	if err := os.WriteFile(src, []byte(readmeExample(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	dyn, static := filepath.Join(dir, "example"), filepath.Join(dir, "example-static")
	cc(t, "cc", append([]string{"-Wall", "-Werror", "-o", dyn, src}, pkgConfig(t, prefix, "--cflags", "--libs")...)...)
	cc(t, "cc", append([]string{"-static", "-Wall", "-Werror", "-o", static, src}, pkgConfig(t, prefix, "--cflags", "--libs", "--static")...)...)
	for _, bin := range []string{dyn, static} {
		cmd := exec.Command(bin)
		cmd.Env = append(withoutSupervisorEnv(), "LD_LIBRARY_PATH="+filepath.Join(prefix, "lib"))
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != "/etc/passwd: readable\n/usr/bin/env: hidden\n" {
			t.Errorf("%s: %v\n%s", filepath.Base(bin), err, out)
		}
	}
	if out, err := exec.Command("ldd", static).CombinedOutput(); err == nil && !strings.Contains(string(out), "not a dynamic") {
		t.Errorf("the static example is dynamic:\n%s", out)
	}

	// exec through the installed helper.
	execSrc := filepath.Join(dir, "exec.c")
	os.WriteFile(execSrc, []byte(`#include <err.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pledge.h>
int main(void) {
	if (pledge("stdio rpath proc exec", "stdio rpath") == -1) err(1, "pledge");
	struct landpledge_state st;
	landpledge_state(&st);
	printf("supervisor %s\n", st.exec_supervisor ? "yes" : "no");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) { execl("/bin/echo", "echo", "exec ok", (char *)0); _exit(127); }
	int s;
	waitpid(p, &s, 0);
	return WIFEXITED(s) ? WEXITSTATUS(s) : 100 + WTERMSIG(s);
}
`), 0o644)
	execBin := filepath.Join(dir, "exec")
	cc(t, "cc", append([]string{"-Wall", "-Werror", "-o", execBin, execSrc}, pkgConfig(t, prefix, "--cflags", "--libs")...)...)
	cmd := exec.Command(execBin)
	cmd.Env = append(withoutSupervisorEnv(), "LD_LIBRARY_PATH="+filepath.Join(prefix, "lib"))
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "supervisor yes\nexec ok\n" {
		t.Errorf("exec through the installed supervisor: %v\n%s", err, out)
	}
}

func withoutSupervisorEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANDPLEDGE_") {
			env = append(env, kv)
		}
	}
	return env
}

// TestPortableBuild: portable OpenBSD software finds pledge and unveil
// with only pkg-config's flags: oconfigure's feature tests (test-pledge.c,
// test-unveil.c: only <unistd.h>, -Werror, linked with LDFLAGS), autoconf's
// AC_CHECK_FUNCS (its own prototype, linked with LIBS), and a program
// using them under HAVE_PLEDGE/HAVE_UNVEIL builds unchanged.
func TestPortableBuild(t *testing.T) {
	prefix := install(t)
	dir := t.TempDir()
	cflags := pkgConfig(t, prefix, "--cflags")
	libs := pkgConfig(t, prefix, "--libs")
	// oconfigure's COMP and warnings.
	comp := []string{"-g", "-W", "-Wall", "-Wextra", "-Wmissing-prototypes", "-Wstrict-prototypes",
		"-Wwrite-strings", "-Wno-unused-parameter", "-Wno-unused", "-Werror"}
	tests := map[string]string{
		"test-pledge.c": "#include <unistd.h>\n\nint\nmain(void)\n{\n\treturn !!pledge(\"stdio\", NULL);\n}\n",
		"test-unveil.c": "#include <unistd.h>\n\nint\nmain(void)\n{\n\treturn -1 != unveil(NULL, NULL);\n}\n",
	}
	for name, src := range tests {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(src), 0o644)
		out := strings.TrimSuffix(p, ".c")
		args := append(append(append(append([]string{}, comp...), cflags...), "-o", out, p), libs...)
		cc(t, "cc", args...)
		// Also strict C99 and pedantic: the overlay's #include_next.
		cc(t, "cc", append(append(append([]string{"-std=c99", "-pedantic", "-Wall", "-Werror"}, cflags...), "-o", out+"-c99", p), libs...)...)
	}
	// autoconf: AC_CHECK_FUNCS([pledge unveil]) with LIBS=-lpledge.
	for _, fn := range []string{"pledge", "unveil"} {
		p := filepath.Join(dir, "conftest-"+fn+".c")
		os.WriteFile(p, []byte("/* confdefs.h */\n#ifdef __cplusplus\nextern \"C\"\n#endif\nchar "+fn+
			" ();\nint\nmain (void)\n{\nreturn "+fn+" ();\n  ;\n  return 0;\n}\n"), 0o644)
		cc(t, "cc", append([]string{"-o", strings.TrimSuffix(p, ".c"), "-g", "-O2", p}, libs...)...)
	}
	// The program, unchanged, with config.h as oconfigure writes it.
	os.WriteFile(filepath.Join(dir, "config.h"), []byte("#define HAVE_PLEDGE 1\n#define HAVE_UNVEIL 1\n"), 0o644)
	src, err := os.ReadFile("examples/ported.c")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ported.c"), src, 0o644)
	cc(t, "cc", append(append(append(append([]string{}, comp...), cflags...), "-I"+dir, "-o", filepath.Join(dir, "ported"), filepath.Join(dir, "ported.c")), libs...)...)
	if sandboxtest.Have(t, "seccomp") && sandboxtest.Have(t, "landlock") {
		cmd := exec.Command(filepath.Join(dir, "ported"), dir)
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(prefix, "lib"))
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "pledged\n" {
			t.Errorf("ported: %v\n%s", err, out)
		}
	}
}

// TestHeader: pledge.h compiles as C99 and as C++, alone and next to
// <unistd.h> (the overlay's and the system's).
func TestHeader(t *testing.T) {
	sandboxtest.Require(t, "cc")
	dir := t.TempDir()
	src := "#include <unistd.h>\n#include <pledge.h>\n#include <unistd.h>\nint main(void) { struct landpledge_state st; landpledge_state(&st); return pledge(st.promises, 0) + unveil(0, 0); }\n"
	alone := "#include <pledge.h>\nint main(void) { return pledge(\"stdio\", 0) + unveil(0, 0); }\n"
	for name, s := range map[string]string{"both.c": src, "alone.c": alone} {
		os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644)
		for _, inc := range [][]string{{"-I."}, {"-I.", "-Ioverlay"}} {
			cc(t, "cc", append(inc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", filepath.Join(dir, name))...)
			if sandboxtest.Have(t, "c++") {
				cpp := filepath.Join(dir, strings.TrimSuffix(name, ".c")+".cc")
				os.WriteFile(cpp, []byte(s), 0o644)
				cc(t, "c++", append(inc, "-std=c++11", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", cpp)...)
			}
		}
	}
}

// TestMuslBuild: the library builds with musl too, and a static musl
// program linked with it pledges.
func TestMuslBuild(t *testing.T) {
	sandboxtest.Require(t, "musl")
	sandboxtest.Require(t, "seccomp")
	dir := t.TempDir()
	build := filepath.Join(dir, "build")
	if out, err := exec.Command("make", "-s", "CC=musl-gcc", "BUILD="+build, "all").CombinedOutput(); err != nil {
		t.Fatalf("make CC=musl-gcc: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "m.c")
	os.WriteFile(src, []byte(`#include <pledge.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
	if (pledge("stdio", 0) != 0) return 1;
	if (write(1, "pledged\n", 8) != 8) return 2;
	socket(AF_INET, SOCK_STREAM, 0);
	return 3;
}
`), 0o644)
	bin := filepath.Join(dir, "m")
	cc(t, "musl-gcc", "-static", "-I.", "-o", bin, src, filepath.Join(build, "libpledge.a"))
	res := sandboxtest.RunCommand(t, exec.Command(bin))
	res.WantSignal(t, 31)
	if res.Stdout != "pledged\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
}

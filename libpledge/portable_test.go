//go:build linux

package libpledge

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestPortableBuildLinkOrder: the flags README gives for portable OpenBSD
// software work where the program's own build puts them, with a linker
// that drops a shared library named before the objects that use it
// (--as-needed, which Debian's and Ubuntu's gcc pass; forced here so that
// every toolchain shows it):
//
//   - oconfigure: the feature tests link with LDFLAGS, but Makefiles link
//     `$(LDFLAGS)` before the program's own archive (sqlbox's regress
//     programs: `... $(LDFLAGS) libsqlbox.a $(LDADD)`) or not at all
//     (openrsync's unit tests: `$(OBJS) $(LDADD)`): the libraries go in
//     LDADD too;
//   - mandoc's configure compiles and runs test-pledge.c with CFLAGS only,
//     libraries before the source: CFLAGS carries them after
//     -Wl,--no-as-needed, and the same CFLAGS still compile objects under
//     -Werror.
func TestPortableBuildLinkOrder(t *testing.T) {
	prefix := install(t)
	dir := t.TempDir()
	cflags := pkgConfig(t, prefix, "--cflags")
	libs := pkgConfig(t, prefix, "--libs")
	asNeeded := "-Wl,--as-needed"
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	concat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	run := func(bin string) {
		t.Helper()
		if !sandboxtest.Have(t, "seccomp") {
			return
		}
		cmd := exec.Command(bin)
		cmd.Env = append(withoutSupervisorEnv(), "LD_LIBRARY_PATH="+filepath.Join(prefix, "lib"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", filepath.Base(bin), err, out)
		}
	}

	// The program's own archive calls pledge; main only calls the archive.
	lib := write("box.c", "#include <unistd.h>\nint box_start(void);\nint\nbox_start(void)\n{\n\treturn pledge(\"stdio\", NULL);\n}\n")
	main := write("main.c", "int box_start(void);\nint\nmain(void)\n{\n\treturn box_start() == -1;\n}\n")
	obj := filepath.Join(dir, "box.o")
	cc(t, "cc", concat([]string{"-Wall", "-Werror", "-c", "-o", obj}, cflags, []string{lib})...)
	archive := filepath.Join(dir, "libbox.a")
	if out, err := exec.Command("ar", "rcs", archive, obj).CombinedOutput(); err != nil {
		t.Fatalf("ar: %v\n%s", err, out)
	}
	// $(CC) -o $@ main.c $(LDFLAGS) libbox.a $(LDADD), LDFLAGS = LDADD = libs.
	bin := filepath.Join(dir, "archive-after-ldflags")
	cc(t, "cc", concat([]string{asNeeded, "-o", bin, main}, libs, []string{archive}, libs)...)
	run(bin)
	// $(CC) -o $@ main.c $(OBJS) $(LDADD): no LDFLAGS at all.
	bin = filepath.Join(dir, "objects-and-ldadd")
	cc(t, "cc", concat([]string{asNeeded, "-o", bin, main, obj}, libs)...)
	run(bin)

	// mandoc: ${CC} ${CFLAGS} -Wno-unused -Werror -o test-pledge test-pledge.c,
	// then ./test-pledge; CFLAGS keeps mandoc's own warnings.
	mandocCFLAGS := concat([]string{"-g", "-W", "-Wall", "-Wmissing-prototypes", "-Wstrict-prototypes",
		"-Wwrite-strings", "-Wno-unused-parameter"}, cflags, []string{"-Wl,--no-as-needed"}, libs)
	test := write("test-pledge.c", "#include <unistd.h>\n\nint\nmain(void)\n{\n\treturn !!pledge(\"stdio\", NULL);\n}\n")
	bin = strings.TrimSuffix(test, ".c")
	cc(t, "cc", concat([]string{asNeeded}, mandocCFLAGS, []string{"-Wno-unused", "-Werror", "-o", bin, test})...)
	run(bin)
	cc(t, "cc", concat(mandocCFLAGS, []string{"-Wno-unused", "-Werror", "-c", "-o", filepath.Join(dir, "test-pledge.o"), test})...)
}

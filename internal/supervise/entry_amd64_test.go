package supervise

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// forkerLib is a shared library whose constructor forks: ld.so runs it
// before the program's entry point, while the supervisor's int3 is there.
// The parent waits for the child and prints how it ended; both then go on
// to the program's entry point.
const forkerLib = `
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
__attribute__((constructor)) static void forker(void) {
	pid_t pid = fork();
	if (pid < 0) { printf("fork failed\n"); fflush(stdout); return; }
	if (pid == 0) return;
	int st;
	if (waitpid(pid, &st, 0) < 0) { printf("waitpid failed\n"); fflush(stdout); return; }
	if (WIFEXITED(st)) printf("child exited %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st)) printf("child killed by signal %d\n", WTERMSIG(st));
	fflush(stdout);
}
`

// forkerMain opens a file for reading, a loader operation the test
// filter traces: denied with EPERM once the process has started.
const forkerMain = `
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
int main(void) {
	int fd = open("/etc/hostname", O_RDONLY);
	printf("main open=%s\n", fd >= 0 ? "ok" : errno == EPERM ? "EPERM" : "other");
	return 0;
}
`

// TestForkBeforeEntry checks that a process forked before its parent's
// entry point does not keep the parent's int3: the child (a copy of the
// parent's memory) runs through the entry point and exits 0 instead of
// dying by SIGTRAP, and the parent still reaches its own entry point (its
// loader phase ends: an open for reading after it is denied).
func TestForkBeforeEntry(t *testing.T) {
	sandboxtest.Require(t, "cc")
	dir := t.TempDir()
	build := func(name, src string, args ...string) string {
		c := filepath.Join(dir, name+".c")
		if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name)
		if b, err := exec.Command("gcc", append(args, "-o", out, c)...).CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", name, err, b)
		}
		return out
	}
	lib := build("libforker.so", forkerLib, "-shared", "-fPIC")
	prog := build("forker", forkerMain)
	bpf, err := testFilter().Compile()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog)
	cmd.Env = []string{"LD_PRELOAD=" + lib}
	ws, out, _ := supervised(t, cmd, false, func(pid int) error { return loadFilterAt(pid, bpf) })
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("program status %v, output %q", ws, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"main open=EPERM", "child exited 0", "main open=EPERM"}
	if !slices.Equal(lines, want) {
		t.Fatalf("want the child's main, its status, the parent's main: %q; got %q", want, lines)
	}
}

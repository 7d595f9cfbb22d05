//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
)

// A program that closes the library's descriptor of a named path and gets
// its number for another file must not have a later layer grant that file
// the named path's rights: the rule is dropped (the path denied) instead.
// This runs in the test process: nothing here restricts it.
func TestNamedFilesReusedDescriptor(t *testing.T) {
	n := OpenNamed(promise.Stdio)
	defer n.Close()
	handled := LandlockRights(promise.ReadFile | promise.WriteFile)
	rule := func() *landlock.PathRule {
		for _, r := range n.Rules(promise.Stdio, handled) {
			if r.Path == "/dev/null" {
				return &r
			}
		}
		return nil
	}
	if rule() == nil {
		t.Fatal("no /dev/null rule before the descriptor is reused")
	}
	fd := n.fds["/dev/null"]
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := unix.Open(secret, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// What the program does: its close(fd), then an open that gets fd.
	if err := unix.Dup3(other, fd, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(other)
	// The control: the descriptor the rule would carry is now the secret.
	var st, want unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Stat(secret, &want) != nil || idOf(&st) != idOf(&want) {
		t.Fatalf("descriptor %d is not the other file after dup3", fd)
	}
	if r := rule(); r != nil {
		t.Errorf("a layer grants %#x on descriptor %d, now %s, as /dev/null", r.Access, r.Fd, secret)
	}
}

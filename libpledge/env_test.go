//go:build linux

package libpledge

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestLogSwitch: LANDPLEDGE_LOG=1 makes libpledge load its filters with
// SECCOMP_FILTER_FLAG_LOG, so a violation answered ENOSYS under "error"
// (a socket: an open would pass the filter for the path layer to decide)
// leaves an audit record (type=1326) naming the syscall, as the Go
// library's (pledge's TestPledgeLogSwitch). The record is read from the
// audit netlink group, which needs CAP_AUDIT_READ (root; the feature
// audit).
func TestLogSwitch(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	run := func(t *testing.T) (*sandboxtest.Result, int) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(testProgram(t, "cdriver"), "-r", dir, "-p", "/nonexistent", "-s", "-P", "stdio error", "--",
			"socket", fmt.Sprint(unix.AF_INET), fmt.Sprint(unix.SOCK_STREAM))
		cmd.Env = append(os.Environ(), "LANDPLEDGE_LOG=1")
		res := sandboxtest.RunCommand(t, cmd)
		res.WantExit(t, 0)
		res.WantOutcome(t, "op", "ENOSYS")
		return res, cmd.Process.Pid
	}
	t.Run("loads", func(t *testing.T) { run(t) })
	t.Run("record", func(t *testing.T) {
		sandboxtest.Require(t, "audit")
		fd := sandboxtest.AuditLog(t)
		_, pid := run(t)
		sandboxtest.WantSeccompRecord(t, fd,
			fmt.Sprintf(" pid=%d ", pid), fmt.Sprintf(" syscall=%d ", unix.SYS_SOCKET), " code=0x50000")
	})
}

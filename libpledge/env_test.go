//go:build linux

package libpledge

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

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
		fd, err := auditReadlog()
		if err != nil {
			t.Fatalf("joining the audit log: %v", err)
		}
		defer unix.Close(fd)
		_, pid := run(t)
		want := []string{fmt.Sprintf(" pid=%d ", pid), fmt.Sprintf(" syscall=%d ", unix.SYS_SOCKET), " code=0x50000"}
		buf := make([]byte, 1<<16)
		for {
			n, err := unix.Read(fd, buf)
			if err != nil {
				t.Fatalf("no seccomp audit record %q for the ENOSYS answer: %v", want, err)
			}
			for msgs := buf[:n]; len(msgs) >= unix.NLMSG_HDRLEN; {
				h := (*unix.NlMsghdr)(unsafe.Pointer(&msgs[0]))
				if h.Len < unix.NLMSG_HDRLEN || int(h.Len) > len(msgs) {
					break
				}
				text := " " + string(msgs[unix.NLMSG_HDRLEN:h.Len]) + " "
				found := h.Type == unix.AUDIT_SECCOMP
				for _, w := range want {
					found = found && strings.Contains(text, w)
				}
				if found {
					t.Logf("audit: %s", strings.TrimSpace(text))
					return
				}
				msgs = msgs[min(int((h.Len+unix.NLMSG_ALIGNTO-1)&^(unix.NLMSG_ALIGNTO-1)), len(msgs)):]
			}
		}
	})
}

// auditReadlog joins AUDIT_NLGRP_READLOG; reads fail after 10 s rather
// than wait for ever for a record that does not come.
func auditReadlog() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return -1, err
	}
	const readlog = 1 // AUDIT_NLGRP_READLOG
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (readlog - 1)}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	tv := unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

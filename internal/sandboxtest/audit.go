package sandboxtest

import (
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// auditNlgrpReadlog is AUDIT_NLGRP_READLOG (include/uapi/linux/audit.h):
// the audit netlink multicast group that receives every audit record.
const auditNlgrpReadlog = 1

// joinAuditLog joins the audit log group; it needs CAP_AUDIT_READ.
func joinAuditLog() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (auditNlgrpReadlog - 1)}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// AuditLog joins the kernel's audit log (the feature "audit": Require it
// first) and returns the descriptor, closed when t ends. Reads time out
// after 10 s, so that a record that never comes fails instead of hanging.
func AuditLog(t *testing.T) int {
	t.Helper()
	fd, err := joinAuditLog()
	if err == nil {
		tv := unix.Timeval{Sec: 10}
		if err = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		t.Fatalf("joining the audit log: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// WantSeccompRecord fails unless the audit log fd (AuditLog) brings an
// AUDIT_SECCOMP record (type=1326) whose text holds every part of want.
// kauditd sends records asynchronously, so it reads until one comes.
func WantSeccompRecord(t *testing.T, fd int, want ...string) {
	t.Helper()
	buf := make([]byte, 1<<16)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			t.Fatalf("no seccomp audit record %q: %v", want, err)
		}
		for msgs := buf[:n]; len(msgs) >= unix.NLMSG_HDRLEN; {
			h := (*unix.NlMsghdr)(unsafe.Pointer(&msgs[0]))
			if h.Len < unix.NLMSG_HDRLEN || int(h.Len) > len(msgs) {
				break
			}
			text := " " + string(msgs[unix.NLMSG_HDRLEN:h.Len]) + " "
			if h.Type == unix.AUDIT_SECCOMP && containsAll(text, want) {
				t.Logf("audit: %s", strings.TrimSpace(text))
				return
			}
			// The last message of a datagram may lack its padding.
			msgs = msgs[min(int((h.Len+unix.NLMSG_ALIGNTO-1)&^(unix.NLMSG_ALIGNTO-1)), len(msgs)):]
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

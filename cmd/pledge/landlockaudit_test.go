//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestDescribeDenial renders records as the kernel writes them (copied from
// this machine: an open under `cat`, an exec under `sh`, a hex-encoded
// path) and blockers that no unveil letter grants.
func TestDescribeDenial(t *testing.T) {
	syscallRec := func(nr int, comm string) map[string]string {
		return auditFields(fmt.Sprintf(`arch=c000003e syscall=%d success=no exit=-13 a0=ffffff9c a1=7ffe9dcc0ac0 a2=0 a3=0 items=0 ppid=12178 pid=12184 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=%s exe="/usr/bin/cat" key=(null)`, nr, comm))
	}
	cases := []struct {
		access string
		sc     map[string]string
		want   string
	}{
		{`domain=1ac3f93b8 blockers=fs.read_file path="/etc/shadow" dev="vda" ino=817`, syscallRec(unix.SYS_OPENAT, `"cat"`),
			`cat[12184] openat "/etc/shadow" denied: not unveiled for "r"`},
		{`domain=1ac3f93b8 blockers=fs.execute path="/usr/bin/ls" dev="vda" ino=9`, syscallRec(unix.SYS_EXECVE, `"sh"`),
			`sh[12184] execve "/usr/bin/ls" denied: not unveiled for "x"`},
		// A path with a space and a comm with a quote are hex-encoded.
		{`domain=1 blockers=fs.write_file,fs.truncate path=2F746D702F612062 dev="vda" ino=3`, syscallRec(unix.SYS_OPENAT, `6D7920226361742022`),
			`my "cat "[12184] openat "/tmp/a b" denied: not unveiled for "w"`},
		{`domain=1 blockers=fs.make_reg path="/tmp" dev="vda" ino=3`, syscallRec(unix.SYS_OPENAT, `"cat"`),
			`cat[12184] openat "/tmp" denied: not unveiled for "c"`},
		{`domain=1 blockers=fs.read_dir,fs.execute path="/x" dev="vda" ino=3`, nil,
			`?[?] ? "/x" denied: not unveiled for "rx"`},
		{`domain=1 blockers=scope.abstract_unix_socket path=@sock`, syscallRec(unix.SYS_CONNECT, `"nc"`),
			`nc[12184] connect denied: by the veil (scope.abstract_unix_socket)`},
		{`domain=1 blockers=fs.change_topology name="/mnt"`, syscallRec(unix.SYS_MOUNT, `"m"`),
			`m[12184] mount denied: by the veil (fs.change_topology)`},
	}
	for _, c := range cases {
		if got := describeDenial(auditFields(c.access), c.sc, nil); got != c.want {
			t.Errorf("describeDenial(%s)\n got %s\nwant %s", c.access, got, c.want)
		}
	}
}

// TestAuditFields: a user message's msg='...' keeps its spaces.
func TestAuditFields(t *testing.T) {
	f := auditFields(`pid=3077 uid=0 msg='landpledge drain 1' res=1`)
	if f["pid"] != "3077" || f["msg"] != "landpledge drain 1" || f["res"] != "1" {
		t.Errorf("auditFields = %q", f)
	}
	serial, body, ok := auditHeader(`audit(1795796425.801:3351): domain=1 blockers=fs.read_file`)
	if serial != "3351" || body != "domain=1 blockers=fs.read_file" || !ok {
		t.Errorf("auditHeader = %q, %q, %v", serial, body, ok)
	}
}

// TestLandlockDenialLines runs real programs that Landlock denies a file.
// Where the command can read the audit log group (root: CAP_AUDIT_READ;
// the feature audit, which LANDPLEDGE_REQUIRE can make a must) it
// prints one line per denial, for the program itself and for a program it
// execs (LOG_NEW_EXEC_ON), none with -q; where it cannot (as nobody), the
// program runs the same and no line is printed. Landlock logs only while
// the kernel's audit is enabled: as root the test enables it for its
// duration if it is off (and turns it off again).
func TestLandlockDenialLines(t *testing.T) {
	canRead := sandboxtest.Have(t, "audit")
	if canRead {
		enableAudit(t)
	}
	t.Setenv("LC_ALL", "C") // no locale files to probe (they would be denied too)
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	if err := os.WriteFile(f, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	denied := regexp.QuoteMeta("cat: " + f + ": Permission denied")
	line := `pledge: cat\[\d+\] openat ` + regexp.QuoteMeta(fmt.Sprintf("%q", f)) + ` denied: not unveiled for "r"`
	cases := []struct {
		name  string
		args  []string
		lines []string // stderr, in any order
	}{
		{"cat", []string{"-p", "stdio rpath", "cat", f}, []string{denied, line}},
		{"quiet", []string{"-q", "-p", "stdio rpath", "cat", f}, []string{denied}},
		{"execd", []string{"-p", "stdio rpath proc exec", "-v", "x:/usr/bin/cat", "sh", "-c", "cat " + f}, []string{denied, line}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.lines
			if !canRead {
				want = c.lines[:1]
			}
			r := runPledge(t, c.args...)
			r.wantExit(t, 1)
			r.wantExactLines(t, want)
		})
	}
}

// wantExactLines fails unless stderr is exactly lines matching the
// regexps, one each, in any order. The command's own lines ("pledge: ...")
// are one write each, but the program may write one line in several pieces
// (glibc's error(3)), so a command line can land inside a program line:
// those are found and cut out wherever they are before the rest is matched
// line by line.
func (r result) wantExactLines(t *testing.T, res []string) {
	t.Helper()
	rest := r.stderr
	var left []string
	for _, re := range res {
		if !strings.HasPrefix(re, "pledge: ") {
			left = append(left, re)
			continue
		}
		loc := regexp.MustCompile(re + "\n").FindStringIndex(rest)
		if loc == nil {
			t.Errorf("no stderr line matches %q\n%s", re, r)
			continue
		}
		rest = rest[:loc[0]] + rest[loc[1]:]
	}
	got := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
	if rest == "" {
		got = nil
	}
next:
	for _, l := range got {
		for i, re := range left {
			if regexp.MustCompile("^" + re + "$").MatchString(l) {
				left = append(left[:i], left[i+1:]...)
				continue next
			}
		}
		t.Errorf("unexpected stderr line %q (want lines %q)\n%s", l, res, r)
	}
	if len(left) > 0 {
		t.Errorf("no stderr line matches %q\n%s", left, r)
	}
}

// enableAudit turns the kernel's audit on (AUDIT_SET, enabled=1) when it is
// off, and off again when the test ends: Landlock writes no record
// otherwise. It needs CAP_AUDIT_CONTROL, which root has.
func enableAudit(t *testing.T) {
	on, err := auditEnabled()
	if err != nil {
		t.Fatalf("AUDIT_GET: %v", err)
	}
	if on {
		return
	}
	if err := setAuditEnabled(1); err != nil {
		t.Fatalf("enabling audit: %v", err)
	}
	t.Logf("audit enabled for the test")
	t.Cleanup(func() {
		if err := setAuditEnabled(0); err != nil {
			t.Errorf("disabling audit again: %v", err)
		}
	})
}

func setAuditEnabled(v uint32) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 5}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	// struct audit_status: __u32 mask (AUDIT_STATUS_ENABLED = 1), enabled.
	msg := make([]byte, unix.NLMSG_HDRLEN+8)
	*(*unix.NlMsghdr)(unsafe.Pointer(&msg[0])) = unix.NlMsghdr{Len: uint32(len(msg)), Type: unix.AUDIT_SET, Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK, Seq: 1}
	binary.NativeEndian.PutUint32(msg[unix.NLMSG_HDRLEN:], 1)
	binary.NativeEndian.PutUint32(msg[unix.NLMSG_HDRLEN+4:], v)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 1024)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return err
		}
		h := (*unix.NlMsghdr)(unsafe.Pointer(&buf[0]))
		if n >= unix.NLMSG_HDRLEN+4 && h.Type == unix.NLMSG_ERROR {
			if e := int32(binary.NativeEndian.Uint32(buf[unix.NLMSG_HDRLEN:])); e != 0 {
				return os.NewSyscallError("AUDIT_SET", unix.Errno(-e))
			}
			return nil
		}
	}
}

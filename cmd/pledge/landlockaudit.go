//go:build linux

package main

// Landlock denials (EACCES on a path) are reported like seccomp violations,
// one line each:
//
//	pledge: cat[4242] openat "/etc/shadow" denied: not unveiled for "r"
//
// Landlock (ABI 7, Linux 6.15) writes an AUDIT_LANDLOCK_ACCESS record for
// each denial to the audit subsystem (security/landlock/audit.c,
// Documentation/admin-guide/LSM/landlock.rst), and the command reads the
// records from the audit netlink multicast group. That takes three things
// the command does not decide:
//   - CAP_AUDIT_READ, to join AUDIT_NLGRP_READLOG (root has it);
//   - the kernel's audit being enabled (audit_enabled: auditd running,
//     `auditctl -e 1` or audit=1 at boot): landlock_log_denial returns
//     early otherwise, so there is nothing to read;
//   - the domain logging the program's denials: by default only the
//     executable that created the domain logs (here the program, which the
//     supervisor makes call landlock_restrict_self itself); the command
//     asks for LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON so that the programs
//     it execs log too.
// Without the first two, nothing is reported and the program runs the
// same. The records are read on a goroutine of their own: the supervisor
// never waits for them.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
	"github.com/landpledge/landpledge/unveil"
)

// auditNlgrpReadlog is AUDIT_NLGRP_READLOG (include/uapi/linux/audit.h):
// the multicast group that receives a copy of every audit record, without
// the printk rate limit; joining it needs CAP_AUDIT_READ.
const auditNlgrpReadlog = 1

// drainBound is how long the command waits at most, after the program has
// exited, for the records of its last denials. The wait normally ends much
// sooner, when the command's own marker record comes back (see finish).
const drainBound = 500 * time.Millisecond

// landlockLogFlags are the landlock_restrict_self(2) flags the command asks
// for when it reads the records: programs exec'd after the domain was
// created log their denials too (LOG_NEW_EXEC_ON), masked to what ABI abi
// accepts (the kernel refuses unknown flags with EINVAL).
func landlockLogFlags(abi int) uint32 {
	return unix.LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON & landlock.RestrictFlags(abi)
}

// landlockAudit reads the Landlock denial records of one program and its
// descendants from the audit multicast group and prints a line for each.
type landlockAudit struct {
	f        *os.File
	print    func(line string)
	who      *denialWho
	reported *reportedDenials
	marker   string // the text of finish's AUDIT_USER record
	prog     atomic.Int64
	done     chan struct{}

	// Owned by the reader goroutine.
	ours    map[string]bool // Landlock domain ids created by the program
	pending map[string]*auditEvent
	order   []string // pending serials, oldest first
}

// auditEvent is the records of one audit event (one serial) that matter:
// the Landlock denials and the syscall record, which names the process.
type auditEvent struct {
	denials []map[string]string
	syscall map[string]string
}

// maxPendingEvents bounds the events kept while waiting for their end
// (AUDIT_EOE); the oldest is reported first when more arrive.
const maxPendingEvents = 256

// startLandlockAudit joins the audit group and starts reading, or returns
// nil when the records cannot be read here: no CAP_AUDIT_READ, or the
// kernel's audit is disabled (then --verbose says why).
// who attributes a denial to the veil or to the promises.
// reported are the refusals already reported from their own stops.
func startLandlockAudit(verbose bool, who *denialWho, reported *reportedDenials, print func(string)) *landlockAudit {
	if on, err := auditEnabled(); err == nil && !on {
		if verbose {
			warn("Landlock denials are not reported: the kernel's audit is disabled (auditctl -e 1 enables it)")
		}
		return nil
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_AUDIT)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (auditNlgrpReadlog - 1)})
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		if verbose {
			warn("Landlock denials are not reported: joining the audit log group: %v (needs CAP_AUDIT_READ)", err)
		}
		return nil
	}
	a := &landlockAudit{
		f:        os.NewFile(uintptr(fd), "audit"), // non-blocking: the poller gives it deadlines
		print:    print,
		who:      who,
		reported: reported,
		marker:   "landpledge-drain-" + strconv.Itoa(os.Getpid()),
		done:     make(chan struct{}),
		ours:     map[string]bool{},
		pending:  map[string]*auditEvent{},
	}
	go a.read()
	return a
}

// setProgram names the program's pid: the Landlock domain it creates (the
// supervisor makes it call landlock_restrict_self) is the command's.
func (a *landlockAudit) setProgram(pid int) {
	if a != nil {
		a.prog.Store(int64(pid))
	}
}

// finish waits for the records of the program's last denials and stops
// reading. Each denial's record was queued by the kernel before the denied
// call returned, so before the program exited; kauditd sends the queue in
// order, so once a record queued now comes back, every earlier one has
// been read. That record is an AUDIT_USER message of the command's own
// (needs CAP_AUDIT_WRITE; a filter rule may drop it): if it does not come
// back, reading stops after drainBound.
func (a *landlockAudit) finish() {
	if a == nil {
		return
	}
	a.sendMarker()
	a.f.SetReadDeadline(time.Now().Add(drainBound))
	<-a.done
	a.f.Close()
}

func (a *landlockAudit) sendMarker() {
	text := []byte(a.marker + "\x00") // the kernel overwrites the last byte with a NUL
	msg := make([]byte, unix.NLMSG_HDRLEN+len(text))
	h := (*unix.NlMsghdr)(unsafe.Pointer(&msg[0]))
	*h = unix.NlMsghdr{Len: uint32(len(msg)), Type: unix.AUDIT_USER, Flags: unix.NLM_F_REQUEST}
	copy(msg[unix.NLMSG_HDRLEN:], text)
	rc, err := a.f.SyscallConn()
	if err != nil {
		return
	}
	rc.Write(func(fd uintptr) bool {
		unix.Sendto(int(fd), msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}) // on failure the bound ends the wait
		return true
	})
}

// read is the reader goroutine: it ends at the marker, at finish's
// deadline or on a read error, reporting what is still pending.
func (a *landlockAudit) read() {
	defer close(a.done)
	defer a.flushAll()
	buf := make([]byte, 1<<16)
	for {
		n, err := a.f.Read(buf)
		if err != nil {
			return
		}
		for msgs := buf[:n]; len(msgs) >= unix.NLMSG_HDRLEN; {
			h := (*unix.NlMsghdr)(unsafe.Pointer(&msgs[0]))
			if h.Len < unix.NLMSG_HDRLEN || int(h.Len) > len(msgs) {
				break
			}
			if a.record(h.Type, string(msgs[unix.NLMSG_HDRLEN:h.Len])) {
				return
			}
			// The last message of a datagram may lack its padding.
			msgs = msgs[min(int((h.Len+unix.NLMSG_ALIGNTO-1)&^(unix.NLMSG_ALIGNTO-1)), len(msgs)):]
		}
	}
}

// record takes one audit record ("audit(SECS.MS:SERIAL): key=value ...")
// and reports true when it is finish's marker.
func (a *landlockAudit) record(typ uint16, text string) bool {
	serial, body, ok := auditHeader(text)
	if !ok {
		return false
	}
	switch typ {
	case unix.AUDIT_USER:
		return strings.Contains(body, "msg='"+a.marker+"'") && auditFields(body)["pid"] == strconv.Itoa(os.Getpid())
	case unix.AUDIT_LANDLOCK_DOMAIN:
		// "domain=ID status=allocated mode=enforcing pid=CREATOR ...",
		// logged with the domain's first denial, in the same event.
		f := auditFields(body)
		if f["status"] == "allocated" && f["pid"] == strconv.FormatInt(a.prog.Load(), 10) {
			a.ours[f["domain"]] = true
		}
	case unix.AUDIT_LANDLOCK_ACCESS:
		ev := a.event(serial)
		ev.denials = append(ev.denials, auditFields(body))
	case unix.AUDIT_SYSCALL:
		if ev := a.pending[serial]; ev != nil {
			ev.syscall = auditFields(body)
		}
	case unix.AUDIT_EOE:
		a.flush(serial)
	}
	return false
}

func (a *landlockAudit) event(serial string) *auditEvent {
	if ev := a.pending[serial]; ev != nil {
		return ev
	}
	if len(a.order) >= maxPendingEvents {
		a.flush(a.order[0])
	}
	ev := &auditEvent{}
	a.pending[serial] = ev
	a.order = append(a.order, serial)
	return ev
}

// flush reports the denials of one event made by the program's domain:
// a domain the program nests inside (its own landlock_restrict_self) or
// another process's domain is not the command's to explain.
func (a *landlockAudit) flush(serial string) {
	ev := a.pending[serial]
	if ev == nil {
		return
	}
	delete(a.pending, serial)
	for i, s := range a.order {
		if s == serial {
			a.order = append(a.order[:i], a.order[i+1:]...)
			break
		}
	}
	for _, d := range ev.denials {
		path, _ := auditString(d["path"])
		if a.ours[d["domain"]] && !a.reported.has(ev.syscall["pid"], path) {
			a.print(describeDenial(d, ev.syscall, a.who))
		}
	}
}

func (a *landlockAudit) flushAll() {
	for len(a.order) > 0 {
		a.flush(a.order[0])
	}
}

// auditHeader splits "audit(1795796425.801:3351): body" into the event's
// serial and the body.
func auditHeader(text string) (serial, body string, ok bool) {
	head, body, ok := strings.Cut(text, "): ")
	if !ok || !strings.HasPrefix(head, "audit(") {
		return "", "", false
	}
	_, serial, ok = strings.Cut(head, ":")
	return serial, body, ok
}

// auditFields parses an audit record's key=value fields. Values are bare,
// "quoted", or hex-encoded: the kernel hex-encodes an untrusted string
// (paths, comm) that has a quote, a space or a control character
// (audit_log_untrustedstring), so a value never contains a space, except
// in the msg='...' of a user message, which is kept whole.
func auditFields(body string) map[string]string {
	f := map[string]string{}
	for body != "" {
		var tok string
		if k, rest, ok := strings.Cut(body, "='"); ok && !strings.Contains(k, " ") {
			v, after, _ := strings.Cut(rest, "'")
			f[k], body = v, strings.TrimLeft(after, " ")
			continue
		}
		tok, body, _ = strings.Cut(body, " ")
		if k, v, ok := strings.Cut(tok, "="); ok {
			f[k] = v
		}
	}
	return f
}

// auditString decodes an untrusted string field: "text" or hex bytes.
func auditString(v string) (string, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1], true
	}
	if b, err := hex.DecodeString(v); err == nil && v != "" {
		return string(b), true
	}
	return "", false
}

// describeDenial renders one AUDIT_LANDLOCK_ACCESS record as a line without
// the "pledge: " prefix, like describe does a seccomp violation:
//
//	cat[4242] openat "/etc/shadow" denied: not unveiled for "r"
//
// The process and the call come from the event's AUDIT_SYSCALL record
// (pid is the thread group's, comm the kernel's, so both are right even
// after the process has exited); the path is the kernel's, already
// resolved (nothing is read from the target); the permission is the one
// unveil letter (or letters) granting the blocked rights, from unveil's
// permission table, or, where the veil grants them and the path layer
// refused them, the promise that would (who):
//
//	cat[4242] openat "/etc/hostname" denied: needs promise "rpath"
func describeDenial(d, sc map[string]string, who *denialWho) string {
	proc := "?[?]"
	call := "?"
	if sc != nil {
		comm, _ := auditString(sc["comm"])
		proc = comm + "[" + sc["pid"] + "]"
		if nr, err := strconv.ParseUint(sc["syscall"], 10, 32); err == nil {
			var args [6]uint64
			for i := range 4 {
				args[i], _ = strconv.ParseUint(sc["a"+strconv.Itoa(i)], 16, 64)
			}
			if name, _ := promise.Explain(seccomp.Native(), uint32(nr), args); name != "" {
				call = name
			} else {
				call = "syscall_" + sc["syscall"]
			}
		}
	}
	obj := ""
	path, ok := auditString(d["path"])
	if ok {
		obj = " " + strconv.Quote(path)
	}
	reason := denialReason(d["blockers"])
	if r := who.reason(path, blockedRights(d["blockers"])); ok && r != "" {
		reason = r
	}
	return fmt.Sprintf("%s %s%s denied: %s", proc, call, obj, reason)
}

// blockedRights are the filesystem rights of a blockers= list; 0 when it
// names anything else too.
func blockedRights(blockers string) uint64 {
	var rights uint64
	for _, b := range strings.Split(blockers, ",") {
		r := fsRight(b)
		if r == 0 {
			return 0
		}
		rights |= r
	}
	return rights
}

// denialReason explains a blockers= list ("fs.read_file,fs.write_file"):
// the unveil permission that grants the blocked filesystem rights, else
// the blockers as the kernel names them (scope.abstract_unix_socket:
// unveil scopes abstract unix sockets to the veil; no letter grants it).
func denialReason(blockers string) string {
	var rights uint64
	var other []string
	for _, b := range strings.Split(blockers, ",") {
		if r := fsRight(b); r != 0 {
			rights |= r
		} else {
			other = append(other, b)
		}
	}
	if p, ok := unveil.PermFor(rights); ok && rights != 0 && len(other) == 0 {
		return fmt.Sprintf("not unveiled for %q", p.String())
	}
	return "by the veil (" + blockers + ")"
}

// fsRight maps a blocker name to its Landlock right: the kernel names
// LANDLOCK_ACCESS_FS_READ_FILE "fs.read_file" (fs_access_strings in
// security/landlock/audit.c), unveil.RightNames "READ_FILE". 0 for a
// blocker that is no filesystem right.
func fsRight(blocker string) uint64 {
	name, ok := strings.CutPrefix(blocker, "fs.")
	if !ok {
		return 0
	}
	for bit := range 64 {
		if n := unveil.RightNames(1 << bit); len(n) == 1 && strings.EqualFold(n[0], name) {
			return 1 << bit
		}
	}
	return 0
}

// auditEnabled asks the kernel whether audit is enabled (AUDIT_GET,
// struct audit_status.enabled: 0 off, 1 on, 2 on and locked). It needs
// CAP_AUDIT_CONTROL; the error is returned otherwise and the caller then
// reads the group anyway.
func auditEnabled() (bool, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 1}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return false, err
	}
	req := make([]byte, unix.NLMSG_HDRLEN)
	*(*unix.NlMsghdr)(unsafe.Pointer(&req[0])) = unix.NlMsghdr{Len: unix.NLMSG_HDRLEN, Type: unix.AUDIT_GET, Flags: unix.NLM_F_REQUEST, Seq: 1}
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return false, err
	}
	buf := make([]byte, 1024)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return false, err
		}
		if n < unix.NLMSG_HDRLEN+8 {
			return false, fmt.Errorf("AUDIT_GET: short reply of %d bytes", n)
		}
		h := (*unix.NlMsghdr)(unsafe.Pointer(&buf[0]))
		body := buf[unix.NLMSG_HDRLEN:n]
		switch h.Type {
		case unix.NLMSG_ERROR:
			if e := int32(binary.NativeEndian.Uint32(body)); e != 0 {
				return false, os.NewSyscallError("AUDIT_GET", unix.Errno(-e))
			}
		case unix.AUDIT_GET:
			// struct audit_status: __u32 mask, enabled, ...
			return binary.NativeEndian.Uint32(body[4:]) != 0, nil
		}
	}
}

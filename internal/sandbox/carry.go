package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
)

// What an exec'd image keeps of the process that exec'd it, read from the
// kernel at the exec stop of that process (X), where the new image is in
// place and has not run an instruction: its execve ran as a real one
// (under X's own filters and veil), so the kernel has already closed the
// close-on-exec descriptors, reset the handled signals to their default,
// written the new argv and environment, opened the file (its
// interpreter, for a #! script) and named the image. The exec broker
// gives the same state to the fresh process C that runs the image:
//
//   - the file: /proc/X/exe, opened O_PATH (the very file X's exec
//     opened, not a path);
//   - argv and the environment: /proc/X/cmdline and /proc/X/environ,
//     the kernel's copy in X's new image, read once;
//   - the descriptors: each one in /proc/X/fd, duplicated with
//     pidfd_getfd (the same open file), at the same number;
//   - the working directory: /proc/X/cwd, opened O_PATH (the root must
//     be ours: a pledged process cannot chroot);
//   - umask, signal mask, ignored signals, ids, groups and the
//     capability bounding set: /proc/X/status; resource limits:
//     /proc/X/limits; nice, process group and session: /proc/X/stat;
//     the name: /proc/X/comm.
//
// Nothing is read from X's memory but through these files, which the
// kernel fills in from what it wrote there itself.

// carried is X's state, with descriptors of our own to the files.
type carried struct {
	pid       int
	exe       int // O_PATH
	argv, env []string
	comm      string
	fds       []int // fds[i]: our copy of X's descriptor i, -1 for none
	cwd       int   // O_PATH
	umask     uint32
	rlimits   []supervise.Rlimit
	sigMask   uint64
	sigIgn    uint64
	nice      int
	uid, gid  [3]uint32
	groups    []uint32
	capBnd    uint64
	pgid, sid int
	// privileged: the file has set-id bits or file capabilities, which an
	// exec may honour.
	privileged bool
	// caps are X's capability sets as the kernel computed them at its
	// exec (CapInh CapPrm CapEff CapBnd CapAmb): C may hold no more.
	caps map[string]uint64
}

// capSets are the capability sets of /proc/PID/status.
var capSets = []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}

// carry reads X's state; on an error nothing stays open.
func carry(pid int) (c *carried, err error) {
	proc := "/proc/" + strconv.Itoa(pid)
	c = &carried{pid: pid, exe: -1, cwd: -1}
	defer func() {
		if err != nil {
			c.close()
			c = nil
		}
	}()
	if c.exe, err = unix.Open(proc+"/exe", unix.O_PATH|unix.O_CLOEXEC, 0); err != nil {
		return c, &os.PathError{Op: "open", Path: proc + "/exe", Err: err}
	}
	if c.cwd, err = unix.Open(proc+"/cwd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		return c, &os.PathError{Op: "open", Path: proc + "/cwd", Err: err}
	}
	if err := sameRoot(proc); err != nil {
		return c, err
	}
	if c.argv, err = nulList(proc + "/cmdline"); err != nil {
		return c, err
	}
	if c.env, err = nulList(proc + "/environ"); err != nil {
		return c, err
	}
	comm, err := os.ReadFile(proc + "/comm")
	if err != nil {
		return c, err
	}
	c.comm = strings.TrimSuffix(string(comm), "\n")
	if err := c.readStatus(pid); err != nil {
		return c, err
	}
	if c.rlimits, err = readLimits(proc + "/limits"); err != nil {
		return c, err
	}
	if err := c.readStat(proc + "/stat"); err != nil {
		return c, err
	}
	c.privileged = grantsPrivileges(c.exe)
	return c, c.takeFds(pid, proc)
}

// close closes our descriptors.
func (c *carried) close() {
	for _, fd := range append([]int{c.exe, c.cwd}, c.fds...) {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	c.exe, c.cwd, c.fds = -1, -1, nil
}

// sameRoot fails unless X's root directory is ours: the broker cannot give
// a process another root without privileges, and a pledged process cannot
// have changed its own (chroot is never allowed).
func sameRoot(proc string) error {
	var theirs, ours unix.Stat_t
	if err := unix.Stat(proc+"/root", &theirs); err != nil {
		return &os.PathError{Op: "stat", Path: proc + "/root", Err: err}
	}
	if err := unix.Stat("/proc/self/root", &ours); err != nil {
		return &os.PathError{Op: "stat", Path: "/proc/self/root", Err: err}
	}
	if idOf(&theirs) != idOf(&ours) {
		return fmt.Errorf("%s is not the supervisor's root directory: %w", proc+"/root", unix.EPERM)
	}
	return nil
}

// nulList reads a NUL-separated, NUL-terminated list (cmdline, environ).
func nulList(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return []string{}, nil
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00"), nil
}

func (c *carried) readStatus(pid int) error {
	st, err := supervise.ProcStatus(strconv.Itoa(pid))
	if err != nil {
		return err
	}
	var errs []error
	hex := func(key string) uint64 {
		v, err := strconv.ParseUint(st[key], 16, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("status %s %q: %w", key, st[key], err))
		}
		return v
	}
	um, err := strconv.ParseUint(st["Umask"], 8, 32)
	errs = append(errs, err)
	c.umask = uint32(um)
	c.sigMask, c.sigIgn, c.capBnd = hex("SigBlk"), hex("SigIgn"), hex("CapBnd")
	c.caps = map[string]uint64{}
	for _, k := range capSets {
		c.caps[k] = hex(k)
	}
	ids := func(key string) [3]uint32 {
		f := idList(st[key])
		if len(f) < 3 {
			errs = append(errs, fmt.Errorf("status %s %q", key, st[key]))
			return [3]uint32{}
		}
		return [3]uint32(f[:3])
	}
	c.uid, c.gid, c.groups = ids("Uid"), ids("Gid"), idList(st["Groups"])
	return errors.Join(errs...)
}

// idList parses the decimal ids of a status line ("Uid", "Groups").
func idList(s string) []uint32 {
	ids := []uint32{}
	for _, f := range strings.Fields(s) {
		if n, err := strconv.ParseUint(f, 10, 32); err == nil {
			ids = append(ids, uint32(n))
		}
	}
	return ids
}

// readLimits parses /proc/PID/limits: a header, then one line per
// resource in the kernel's order (RLIMIT_CPU = 0 ...), the name padded to
// 26 columns, then the soft and the hard limit ("unlimited" or a number).
// Readable whoever X runs as, unlike prlimit(2) on another process.
func readLimits(path string) ([]supervise.Rlimit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var out []supervise.Rlimit
	for i, l := range lines[1:] {
		if len(l) < 26 {
			return nil, fmt.Errorf("%s: line %q", path, l)
		}
		f := strings.Fields(l[26:])
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: line %q", path, l)
		}
		r := supervise.Rlimit{Resource: i}
		for j, v := range []*uint64{&r.Cur, &r.Max} {
			if f[j] == "unlimited" {
				*v = unix.RLIM_INFINITY
				continue
			}
			n, err := strconv.ParseUint(f[j], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: line %q: %w", path, l, err)
			}
			*v = n
		}
		out = append(out, r)
	}
	return out, nil
}

// readStat reads the process group, session and nice value of
// /proc/PID/stat (fields 5, 6 and 19; the name, field 2, is in
// parentheses and may hold anything).
func (c *carried) readStat(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return fmt.Errorf("%s: %q", path, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 17 {
		return fmt.Errorf("%s: %q", path, b)
	}
	var e1, e2, e3 error
	c.pgid, e1 = strconv.Atoi(f[2])
	c.sid, e2 = strconv.Atoi(f[3])
	c.nice, e3 = strconv.Atoi(f[16])
	return errors.Join(e1, e2, e3)
}

// grantsPrivileges reports whether exec'ing the file may grant privileges:
// set-user-ID, set-group-ID (with group execute) or file capabilities.
func grantsPrivileges(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return true
	}
	if st.Mode&unix.S_ISUID != 0 || st.Mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP {
		return true
	}
	_, err := unix.Getxattr("/proc/self/fd/"+strconv.Itoa(fd), "security.capability", nil)
	return err == nil || (err != unix.ENODATA && err != unix.ENOTSUP)
}

// takeFds duplicates each of X's descriptors (pidfd_getfd: the same open
// file, close-on-exec here). X is stopped and, after its exec, has one
// thread and a descriptor table of its own: nothing changes it meanwhile.
func (c *carried) takeFds(pid int, proc string) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return os.NewSyscallError("pidfd_open", err)
	}
	defer unix.Close(pidfd)
	f, err := os.Open(proc + "/fd")
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		num, err := strconv.Atoi(n)
		if err != nil || num < 0 {
			continue
		}
		for len(c.fds) <= num {
			c.fds = append(c.fds, -1)
		}
		fd, err := unix.PidfdGetfd(pidfd, num, 0)
		if err != nil {
			return fmt.Errorf("pidfd_getfd(%d, %d): %w", pid, num, err)
		}
		c.fds[num] = fd
	}
	return nil
}

// spawn is what Attached.Spawn starts: C with X's state, in X's process
// group when X is in our session (the supervisor stays in the session of
// the process it supervises), else in a session of its own.
func (c *carried) spawn(sid int) *supervise.Spawn {
	sp := &supervise.Spawn{
		Exe: c.exe, Argv: c.argv, Env: c.env, Comm: c.comm, Fds: c.fds, Cwd: c.cwd,
		Umask: c.umask, Rlimits: c.rlimits, SigMask: c.sigMask, SigIgn: c.sigIgn, Nice: c.nice,
		Uid: c.uid, Gid: c.gid, Groups: c.groups, CapBnd: c.capBnd, Privileged: c.privileged,
	}
	if c.sid == sid {
		sp.Pgid = c.pgid
	} else {
		sp.Setsid = true
	}
	return sp
}

// verify checks C, stopped before its image runs, against X: the same
// ids and groups, and no capability X lacks. The broker's own state (its
// creds, its bounding set) could otherwise leak into C; this fails closed.
func (c *carried) verify(pid int) error {
	st, err := supervise.ProcStatus(strconv.Itoa(pid))
	if err != nil {
		return err
	}
	for k, want := range map[string][3]uint32{"Uid": c.uid, "Gid": c.gid} {
		if ids := idList(st[k]); len(ids) < 3 || [3]uint32(ids[:3]) != want {
			return fmt.Errorf("the new process's %s %q differs from the caller's: %w", k, st[k], unix.EPERM)
		}
	}
	if g := idList(st["Groups"]); !slices.Equal(g, c.groups) {
		return fmt.Errorf("the new process's groups %q differ from the caller's: %w", st["Groups"], unix.EPERM)
	}
	for _, k := range capSets {
		v, err := strconv.ParseUint(st[k], 16, 64)
		if err != nil || v&^c.caps[k] != 0 {
			return fmt.Errorf("the new process's %s %q exceeds the caller's %#x: %w", k, st[k], c.caps[k], unix.EPERM)
		}
	}
	return nil
}

//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/learn"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/promise"
)

// Each stop of a learning run is attributed and allowed: learn mode
// denies nothing. The calls that name a path run to their exit
// (supervise.Decision.AtExit) so that the kernel's answer says whether the
// path exists, what was opened (the kernel's own path of the new
// descriptor) and what was created. Paths are read from the program's
// memory: learn mode decides nothing from them.

var allowCall = supervise.Decision{Verdict: supervise.Allow}

// learnHandler handles the stops of one syscall.
type learnHandler func(l *learner, st *supervise.Stop, p *lproc, name string) supervise.Decision

// learnCalls are the syscalls that need more than their promise.
var learnCalls = map[string]learnHandler{}

func init() {
	for _, n := range []string{"open", "openat", "creat"} {
		learnCalls[n] = (*learner).open
	}
	for _, n := range []string{"execve", "execveat"} {
		learnCalls[n] = (*learner).execve
	}
	for n := range pathOps {
		learnCalls[n] = (*learner).pathOp
	}
	for _, n := range []string{"stat", "lstat", "newfstatat", "statx"} {
		learnCalls[n] = (*learner).stat
	}
	for _, n := range []string{"mmap", "mprotect", "pkey_mprotect", "access", "faccessat", "faccessat2"} {
		learnCalls[n] = (*learner).loaderOp
	}
	learnCalls["socket"] = (*learner).socket
	learnCalls["connect"] = (*learner).connect
	learnCalls["bind"] = (*learner).bind
	learnCalls["pidfd_open"] = (*learner).pidfdOpen
	learnCalls["clone"] = (*learner).clone
}

// stop attributes one seccomp stop of the program or a descendant.
func (l *learner) stop(st *supervise.Stop) supervise.Decision {
	p, _ := st.Data.(*lproc)
	if p == nil {
		p = &lproc{socks: map[int]*sockUse{}}
	}
	if p.comm == "" {
		p.comm = supervise.Comm(st.Tgid)
	}
	if _, ok := l.procs[st.Tgid]; !ok {
		l.procs[st.Tgid] = p
	}
	if st.Info.Arch != l.arch.AuditArch {
		l.rec.Incomplete("calls of another ABI (int 0x80, x32 numbers): the promise table cannot name them, and every policy kills them")
		return allowCall
	}
	l.stops++
	name := promise.SyscallName(l.arch, uint32(st.Info.Nr))
	h, ok := learnCalls[name]
	if !ok {
		l.call(st, p, name)
		return allowCall
	}
	d := h(l, st, p, name)
	if at := d.AtExit; at != nil {
		d.AtExit = func(pid int, rval int64) supervise.Decision {
			l.exits++
			return at(pid, rval)
		}
	}
	return d
}

func (l *learner) opts() promise.LearnOptions {
	return promise.LearnOptions{Pid: l.main, PathLayer: l.layered}
}

func (l *learner) who(st *supervise.Stop, p *lproc) learn.Who {
	return learn.Who{Comm: p.comm, Pid: st.Tgid}
}

// desc renders the stopped call for the report, when asked (while the
// program is still stopped).
func desc(st *supervise.Stop, name string) func() string {
	return func() string { return name + "(" + decodeArgs(name, violationOf(st)) + ")" }
}

// alts are the ways the promise table allows the stopped call.
func (l *learner) alts(st *supervise.Stop) []promise.Alt {
	_, alts := promise.Alternatives(l.arch, uint32(st.Info.Nr), st.Info.Args, l.opts())
	if alts == nil {
		alts = []promise.Alt{} // no way: recorded as not allowed
	}
	return alts
}

// call records the stopped call's promise requirement.
func (l *learner) call(st *supervise.Stop, p *lproc, name string) *learn.Req {
	return l.rec.Call(learn.Call{Who: l.who(st, p), Name: name, Desc: desc(st, name), Alts: l.alts(st)})
}

// oTmpfile is __O_TMPFILE (O_TMPFILE without O_DIRECTORY).
const oTmpfile = 0x400000

// open records an open: a plain read at its entry (readAtEntry), any
// other at its exit (openCall.exit). A plain read needs no promise of its
// own (every pledge lets it through for the path layer or the loader
// window to decide), and while an image starts, its loader's reads of the
// image's own files need nothing at all.
func (l *learner) open(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	o := l.openOf(st, p, name)
	switch {
	case o.starting && o.loaderOwn():
		// While an image starts, its loader's reads of its own files and
		// its failed searches need nothing: when the path already says so,
		// the call runs without a second stop.
		return allowCall
	case o.flags&unix.O_PATH != 0:
		// An O_PATH descriptor opens nothing Landlock checks.
		o.callOnly(o.desc)
		return allowCall
	case o.read:
		if ev, ok := l.readAtEntry(st, o.who, o.dirfd, o.arg, o.flags); ok {
			l.rec.Path(ev)
			return allowCall
		}
	case o.flags&unix.O_CREAT != 0:
		// Whether O_CREAT will make the file is known only now.
		var ok bool
		if o.path, ok = l.argPath(st, o.dirfd, o.arg); !ok {
			o.callOnly(o.desc)
			return allowCall
		}
		o.existed = exists(o.path)
	}
	return supervise.Decision{Verdict: supervise.Allow, AtExit: o.exit}
}

// openCall is one open being learned, from its entry to its exit.
type openCall struct {
	l        *learner
	st       *supervise.Stop
	p        *lproc
	who      learn.Who
	name     string
	desc     func() string
	dirfd    int32
	arg      int
	flags    uint64
	alts     []promise.Alt // nil for a plain read
	read     bool          // it only reads
	starting bool          // a read while its image starts
	path     string        // its argument, when read at the entry
	existed  bool          // with O_CREAT: whether the file was there
}

// openOf reads an open's arguments: the dirfd, path and flags arguments of
// open, openat or creat.
func (l *learner) openOf(st *supervise.Stop, p *lproc, name string) *openCall {
	a := st.Info.Args
	o := &openCall{l: l, st: st, p: p, who: l.who(st, p), name: name, desc: memo(desc(st, name)),
		dirfd: unix.AT_FDCWD, flags: a[1]}
	switch name {
	case "openat":
		o.dirfd, o.arg, o.flags = int32(a[0]), 1, a[2]
	case "creat":
		o.flags = unix.O_CREAT | unix.O_WRONLY | unix.O_TRUNC
	}
	o.flags &= 0xffffffff
	o.read = o.flags&(unix.O_ACCMODE|unix.O_CREAT|unix.O_TRUNC|oTmpfile|unix.O_PATH) == unix.O_RDONLY
	o.starting = st.Starting && o.read
	if !o.read {
		o.alts = l.alts(st)
	}
	return o
}

// loaderOwn reports whether the open's path is one of its starting
// image's own files, or does not exist.
func (o *openCall) loaderOwn() bool {
	path, ok := o.l.argPath(o.st, o.dirfd, o.arg)
	return ok && (o.p.image.Holds(path) || !exists(path))
}

// callOnly records the open's flags' requirement without a path.
func (o *openCall) callOnly(d func() string) {
	o.l.rec.Call(learn.Call{Who: o.who, Name: o.name, Desc: d, Alts: o.alts})
}

// exit records the open at its exit: the kernel's path of the file it
// opened and whether O_CREAT made it, or the argument resolved when it
// failed (read now if it was not at the entry: the thread is still
// stopped, its working directory and dirfd as they were).
func (o *openCall) exit(pid int, rval int64) supervise.Decision {
	ev := learn.PathEvent{Who: o.who, Desc: o.desc, Op: learn.OpOpen, Flags: o.flags, Dir: o.flags&unix.O_DIRECTORY != 0, Alts: o.alts}
	switch {
	case o.starting && (rval < 0 || o.p.image.Holds(fdLink(pid, rval))):
		return allowCall // the loader's search and its own files: the window's
	case rval < 0:
		if o.path == "" {
			o.path, _ = o.l.argPath(o.st, o.dirfd, o.arg)
		}
		ev.Err, ev.Path = syscall.Errno(-rval), resolveAll(o.path)
	default:
		ev.Path, ev.Created = opened(pid, rval)
		ev.Created = ev.Created || (o.flags&unix.O_CREAT != 0 && !o.existed)
	}
	if ev.Path == "" {
		o.callOnly(o.desc)
		return allowCall
	}
	o.l.rec.Path(ev)
	return allowCall
}

// readAtEntry records an open that only reads from what the filesystem
// says while the thread is stopped at its entry: the file the path
// resolves to, or why it does not resolve (ENOENT: a probe). Such an open
// changes nothing, so nothing can change its answer but another process
// in the moment between this stop and the kernel's lookup; it saves the
// exit stop, the cost of most opens. Paths under /proc keep the exit stop:
// their magic links (/proc/PID/fd/N, /dev/fd) resolve only in the kernel.
// ok is false when the exit stop must decide.
func (l *learner) readAtEntry(st *supervise.Stop, who learn.Who, dirfd int32, arg int, flags uint64) (learn.PathEvent, bool) {
	path, ok := l.argPath(st, dirfd, arg)
	if !ok || path == "/proc" || strings.HasPrefix(path, "/proc/") {
		return learn.PathEvent{}, false
	}
	ev := learn.PathEvent{Who: who, Desc: memo(desc(st, promise.SyscallName(l.arch, uint32(st.Info.Nr)))), Op: learn.OpOpen, Flags: flags}
	real, err := filepath.EvalSymlinks(path)
	var fi os.FileInfo
	if err == nil {
		fi, err = os.Stat(real)
	}
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.ELOOP // EvalSymlinks' "too many links"
		}
		ev.Err, ev.Path = errno, resolveAll(path)
		return ev, errno != syscall.EACCES
	}
	ev.Path, ev.Dir = real, fi.IsDir()
	return ev, !strings.HasPrefix(real, "/proc/")
}

// memo calls d at most once.
func memo(d func() string) func() string {
	var s string
	done := false
	return func() string {
		if !done {
			s, done = d(), true
		}
		return s
	}
}

func fdLink(pid int, fd int64) string {
	return "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.FormatInt(fd, 10)
}

// opened is the kernel's path of descriptor fd of pid, "" when it is not
// a file of a path (a pipe, a socket) or cannot be read, and whether it is
// already gone (O_TMPFILE): made by the run, so its directory is what the
// policy names.
func opened(pid int, fd int64) (string, bool) {
	k, err := os.Readlink(fdLink(pid, fd))
	if err != nil || !strings.HasPrefix(k, "/") {
		return "", false
	}
	if k, ok := strings.CutSuffix(k, " (deleted)"); ok {
		return k, true
	}
	return k, false
}

// execve records an exec: its path needs 'x' (Landlock checks the
// resolved file), unless it does not exist (a PATH search's probe). The
// kernel's answer is the exec stop (learner.exec), not a syscall exit.
func (l *learner) execve(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	dirfd, arg := int32(unix.AT_FDCWD), 0
	if name == "execveat" {
		dirfd, arg = int32(st.Info.Args[0]), 1
	}
	ev := learn.PathEvent{Who: l.who(st, p), Desc: memo(desc(st, name)), Op: learn.OpExec, Alts: l.alts(st)}
	path, ok := l.argPath(st, dirfd, arg)
	if !ok {
		l.rec.Call(learn.Call{Who: ev.Who, Name: name, Desc: ev.Desc, Alts: ev.Alts})
		return allowCall
	}
	p.lastExec = path
	ev.Path = resolveAll(path)
	if !exists(path) {
		ev.Err = unix.ENOENT
	}
	l.rec.Path(ev)
	return allowCall
}

// pathOpArg is one path of a call that adds or removes names: its dirfd's
// argument (-1: none, AT_FDCWD) and its own, and what it does there.
type pathOpArg struct {
	dirfd, path int
	op          learn.Op
}

// pathOps are the calls that add, remove or truncate names.
var pathOps = map[string][]pathOpArg{
	"mkdir":     {{-1, 0, learn.OpMkdir}},
	"mkdirat":   {{0, 1, learn.OpMkdir}},
	"unlink":    {{-1, 0, learn.OpUnlink}},
	"unlinkat":  {{0, 1, learn.OpUnlink}},
	"rmdir":     {{-1, 0, learn.OpRmdir}},
	"rename":    {{-1, 0, learn.OpRenameFrom}, {-1, 1, learn.OpRenameTo}},
	"renameat":  {{0, 1, learn.OpRenameFrom}, {2, 3, learn.OpRenameTo}},
	"renameat2": {{0, 1, learn.OpRenameFrom}, {2, 3, learn.OpRenameTo}},
	"link":      {{-1, 1, learn.OpLink}},
	"linkat":    {{2, 3, learn.OpLink}},
	"symlink":   {{-1, 1, learn.OpSymlink}},
	"symlinkat": {{1, 2, learn.OpSymlink}},
	"mknod":     {{-1, 0, learn.OpMknod}},
	"mknodat":   {{0, 1, learn.OpMknod}},
	"truncate":  {{-1, 0, learn.OpTruncate}},
}

// pathOp records a call that adds, removes or truncates names, at its
// exit.
func (l *learner) pathOp(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	a := st.Info.Args
	who, d, alts := l.who(st, p), memo(desc(st, name)), l.alts(st)
	var evs []learn.PathEvent
	for _, pa := range pathOps[name] {
		dirfd := int32(unix.AT_FDCWD)
		if pa.dirfd >= 0 {
			dirfd = int32(a[pa.dirfd])
		}
		path, ok := l.argPath(st, dirfd, pa.path)
		if !ok {
			continue
		}
		op := pa.op
		if name == "unlinkat" && a[2]&unix.AT_REMOVEDIR != 0 {
			op = learn.OpRmdir
		}
		path = resolveParent(path)
		if op == learn.OpTruncate {
			path = resolveAll(path)
		}
		evs = append(evs, learn.PathEvent{Who: who, Desc: d, Op: op, Path: path})
	}
	if len(evs) == 0 {
		l.rec.Call(learn.Call{Who: who, Name: name, Desc: d, Alts: alts})
		return allowCall
	}
	evs[0].Alts = alts
	at := func(_ int, rval int64) supervise.Decision {
		for _, ev := range evs {
			if rval < 0 {
				ev.Err = syscall.Errno(-rval)
			}
			l.rec.Path(ev)
		}
		return allowCall
	}
	return supervise.Decision{Verdict: supervise.Allow, AtExit: at}
}

// stat records a stat: rpath (Landlock does not check it, so no unveil);
// under getpw or dns glibc's stat of their named files may get the table's
// probe fallback instead (EACCES, after which glibc reads the file anyway).
func (l *learner) stat(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	q := l.call(st, p, name)
	if !q.FallbackOpen() {
		return allowCall // a stat of another file has ruled it out already
	}
	arg := 0
	if name == "newfstatat" || name == "statx" {
		arg = 1
	}
	if path, err := supervise.ReadString(st.Pid, st.Info.Args[arg], maxPathReport); err == nil {
		q.Fallback(l.namedBy(path, promise.Getpw|promise.DNS))
	}
	return allowCall
}

// namedBy reports whether path is a named path of one of the promises in
// ps.
func (l *learner) namedBy(path string, ps promise.Set) bool {
	for _, np := range l.named {
		if np.Path == path && np.Need&ps != 0 && !np.Tree {
			return true
		}
	}
	return false
}

// loaderOp records what the loader window may grant: while an image
// starts, mapping or protecting its own files as code and checking them
// with access need no promise (the window grants them, and answers the
// other access checks itself).
func (l *learner) loaderOp(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	a := st.Info.Args
	if st.Starting {
		switch name {
		case "mmap":
			if a[2]&unix.PROT_EXEC != 0 && a[3]&unix.MAP_ANONYMOUS == 0 && p.image.Holds(fdLink(st.Tgid, int64(int32(a[4])))) {
				return allowCall
			}
		case "mprotect", "pkey_mprotect":
			if p.image.MapsCover(st.Tgid, a[0], a[1]) {
				return allowCall
			}
		default: // access, faccessat, faccessat2
			return allowCall
		}
	}
	l.call(st, p, name)
	return allowCall
}

// socket records a socket; an AF_UNIX one is followed, so that its
// fallback (EACCES under getpw or dns) is known to do when every connect
// on it failed: glibc's nscd client, where no nscd runs.
func (l *learner) socket(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	q := l.call(st, p, name)
	if st.Info.Args[0]&0xffffffff != unix.AF_UNIX {
		return allowCall
	}
	at := func(_ int, rval int64) supervise.Decision {
		if rval < 0 {
			q.Fallback(true) // it failed anyway
			return allowCall
		}
		if old := p.socks[int(rval)]; old != nil {
			old.settle()
		}
		p.socks[int(rval)] = &sockUse{req: q}
		return allowCall
	}
	return supervise.Decision{Verdict: supervise.Allow, AtExit: at}
}

// connect records a connect, and the fate of a followed AF_UNIX socket:
// its own requirement is the socket's (unix allows the connect too, and
// under the fallback the socket fails and no connect is made).
func (l *learner) connect(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	s := p.socks[int(int32(st.Info.Args[0]))]
	if s == nil {
		l.call(st, p, name)
		return allowCall
	}
	at := func(_ int, rval int64) supervise.Decision {
		switch rval {
		case 0, -int64(unix.EINPROGRESS), -int64(unix.EAGAIN):
			s.used = true
		default:
			s.failed = true
		}
		return allowCall
	}
	return supervise.Decision{Verdict: supervise.Allow, AtExit: at}
}

// bind records a bind; a unix socket bound to a path makes a name in its
// directory.
func (l *learner) bind(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	a := st.Info.Args
	alts, who, d := l.alts(st), l.who(st, p), memo(desc(st, name))
	if s := p.socks[int(int32(a[0]))]; s != nil {
		s.used = true
	}
	path := unixPath(st.Pid, a[1], a[2])
	if path == "" {
		l.rec.Call(learn.Call{Who: who, Name: name, Desc: d, Alts: alts})
		return allowCall
	}
	if !strings.HasPrefix(path, "/") {
		if cwd, err := os.Readlink("/proc/" + strconv.Itoa(st.Pid) + "/cwd"); err == nil {
			path = filepath.Join(cwd, path)
		}
	}
	ev := learn.PathEvent{Who: who, Desc: d, Op: learn.OpBind, Path: resolveParent(path), Alts: alts}
	at := func(_ int, rval int64) supervise.Decision {
		if rval < 0 {
			ev.Err = syscall.Errno(-rval)
		}
		l.rec.Path(ev)
		return allowCall
	}
	return supervise.Decision{Verdict: supervise.Allow, AtExit: at}
}

// unixPath is the path of a struct sockaddr_un at addr (len bytes) in the
// memory of tid, "" for another family or an abstract name.
func unixPath(tid int, addr, length uint64) string {
	if addr == 0 || length <= 2 || length > 110 {
		return ""
	}
	buf := make([]byte, length)
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	if n, err := unix.ProcessVMReadv(tid, local, remote, 0); err != nil || n != len(buf) {
		return ""
	}
	if binary.NativeEndian.Uint16(buf) != unix.AF_UNIX || buf[2] == 0 {
		return ""
	}
	path, _, _ := strings.Cut(string(buf[2:]), "\x00")
	return path
}

// pidfdOpen records pidfd_open: without proc it gets the table's probe
// fallback (ENOSYS), from which Go's os package (its prober) falls back.
func (l *learner) pidfdOpen(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	l.call(st, p, name).Fallback(true)
	return allowCall
}

// clone records a clone; a child made with CLONE_UNTRACED escapes the
// supervisor, and what it does is not seen.
func (l *learner) clone(st *supervise.Stop, p *lproc, name string) supervise.Decision {
	l.call(st, p, name)
	if st.Info.Args[0]&unix.CLONE_UNTRACED != 0 {
		l.rec.Incomplete("a process made with CLONE_UNTRACED ran unobserved (every policy refuses that clone)")
	}
	return allowCall
}

// argPath reads path argument i of the stopped call and makes it absolute
// against dirfd (AT_FDCWD: the thread's working directory), /proc/self and
// its kin naming the caller. ok is false (and the run incomplete) when the
// program's memory cannot be read there.
func (l *learner) argPath(st *supervise.Stop, dirfd int32, i int) (string, bool) {
	s, err := supervise.ReadString(st.Pid, st.Info.Args[i], maxPathReport)
	if err != nil {
		l.rec.Incomplete("a path argument could not be read from the program's memory")
		return "", false
	}
	base := "/proc/" + strconv.Itoa(st.Pid) + "/cwd"
	if dirfd != unix.AT_FDCWD {
		base = "/proc/" + strconv.Itoa(st.Tgid) + "/fd/" + strconv.Itoa(int(dirfd))
	}
	if s == "" || !strings.HasPrefix(s, "/") {
		dir, err := os.Readlink(base)
		if err != nil {
			return "", false
		}
		s = filepath.Join(dir, s)
	}
	return selfPath(filepath.Clean(s), st.Tgid, st.Pid), true
}

// selfPaths are the names that mean the caller itself, and what they
// mean for process tgid, thread tid.
var selfPaths = []struct {
	prefix string
	to     func(tgid, tid string) string
}{
	{"/proc/self", func(tg, _ string) string { return "/proc/" + tg }},
	{"/proc/thread-self", func(tg, t string) string { return "/proc/" + tg + "/task/" + t }},
	{"/dev/fd", func(tg, _ string) string { return "/proc/" + tg + "/fd" }},
	{"/dev/stdin", func(tg, _ string) string { return "/proc/" + tg + "/fd/0" }},
	{"/dev/stdout", func(tg, _ string) string { return "/proc/" + tg + "/fd/1" }},
	{"/dev/stderr", func(tg, _ string) string { return "/proc/" + tg + "/fd/2" }},
}

// selfPath rewrites a path through /proc/self (or /dev/fd, which links
// there) to name the caller, not the supervisor, before it is resolved.
func selfPath(p string, tgid, tid int) string {
	for _, s := range selfPaths {
		if rest, ok := strings.CutPrefix(p, s.prefix); ok && (rest == "" || rest[0] == '/') {
			return s.to(strconv.Itoa(tgid), strconv.Itoa(tid)) + rest
		}
	}
	return p
}

// resolveAll resolves the symlinks of an absolute path as far as it
// exists: the file Landlock checks.
func resolveAll(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	return resolveParent(p)
}

// resolveParent resolves the symlinks above a name, not the name itself
// (unlink, rename and mkdir act on the name).
func resolveParent(p string) string {
	dir, base := filepath.Split(p)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(real, base)
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// pathDecoders name the path argument (and dirfd, -1 for none) of calls
// diag.go does not decode, so that the report's evidence shows the path:
// "statfs("/tmp")" rather than "statfs()". Violation lines gain them too.
var pathDecoders = map[string][2]int{
	"stat": {-1, 0}, "lstat": {-1, 0}, "statfs": {-1, 0}, "readlink": {-1, 0}, "readlinkat": {0, 1},
	"truncate": {-1, 0}, "getxattr": {-1, 0}, "lgetxattr": {-1, 0}, "listxattr": {-1, 0}, "llistxattr": {-1, 0},
	"inotify_add_watch": {-1, 1}, "utimensat": {0, 1}, "symlink": {-1, 1}, "symlinkat": {1, 2},
	"link": {-1, 1}, "linkat": {2, 3}, "renameat": {0, 1}, "mknod": {-1, 0}, "mknodat": {0, 1},
	"fchownat": {0, 1}, "chown": {-1, 0}, "lchown": {-1, 0}, "fchmodat2": {0, 1},
}

func init() {
	for name, a := range pathDecoders {
		if _, ok := argDecoders[name]; ok {
			continue
		}
		argDecoders[name] = func(v *violation) string {
			if a[0] < 0 {
				return pathArg(v, a[1])
			}
			return dirfdPrefix(v.Args[a[0]]) + pathArg(v, a[1])
		}
	}
}

//go:build linux

// Package learn turns what a program did into the smallest pledge policy
// that lets it do it again: the model behind `pledge --learn`. It makes no
// system call; the pledge command observes the program (every call some
// promise set could refuse, every path it opens, executes, creates or
// removes) and records each as a Call or a PathEvent here. Solve then
// finds the smallest promise set that allows every call (promise.Alternatives,
// the promise table read the other way round) and the unveils the calls
// need under it, collapsed (Threshold, temporary names, the command's own
// automatic unveils left out); Policy renders it as a policy file, a
// command line, Go and C code.
//
// What the command enforces decides what is recorded: a path the promise
// table names (/dev/null, /etc/passwd under getpw, files in /tmp under
// tmppath) needs its promise and no unveil; stat, access, readlink and
// chdir need rpath and no unveil (Landlock does not check them); an open
// that failed before any permission check (ENOENT: a probe) needs no
// unveil either.
package learn

import (
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/unveil"
)

// Who is one process of the learned tree, for the evidence lines.
type Who struct {
	Comm string
	Pid  int
}

// Call is one call the program made that some promise set could refuse.
type Call struct {
	Who  Who
	Name string // the syscall, as the promise table names it
	// Desc renders the call for the report (its decoded arguments); it is
	// called only for the first call of each kind, while the caller can
	// still read the program's memory.
	Desc func() string
	// Alts are the ways the promise table allows it (promise.Alternatives).
	Alts []promise.Alt
}

// Choice is one way to allow a requirement: the promises of Alt, and the
// unveils it then needs.
type Choice struct {
	promise.Alt
	Unveil []Access
}

// Access is an unveil a choice needs: Perm on Path (absolute, the kernel's
// path with symlinks resolved).
type Access struct {
	Path string
	Perm unveil.Perm
}

// Req is one kind of call the policy must allow, with how many calls were
// of that kind and the first one's description.
type Req struct {
	Choices []Choice
	Desc    string
	Who     Who
	Count   int
	// calls counts the instances whose fallback is not known to be
	// harmless; a fallback choice is acceptable only when that is zero.
	calls int
}

// FallbackOpen reports whether the fallback choices may still do: no
// earlier instance of r ruled them out (the caller can then skip finding
// out for this one).
func (r *Req) FallbackOpen() bool { return r.calls <= 1 }

// Fallback says whether the fallback choices (an errno instead of the
// call, promise.Alt.Errno) would do for one instance of r: the program
// gave the call up anyway (glibc's nscd socket whose connect failed),
// or the table's probe is harmless by design (pidfd_open).
func (r *Req) Fallback(ok bool) {
	if ok {
		r.calls--
	}
}

// Op is what a path call did to its path.
type Op uint8

// The path operations, each with what it needs on the path (needs).
const (
	OpOpen       Op = iota // open, openat, creat: Flags says the access
	OpExec                 // execve, execveat, and the interpreter the kernel ran
	OpMkdir                // mkdir: the parent makes a directory
	OpUnlink               // unlink: the name is removed
	OpRmdir                // rmdir: the parent removes a directory
	OpRenameFrom           // rename's source: removed from its directory
	OpRenameTo             // rename's target: made in its directory
	OpLink                 // link's new name
	OpSymlink              // symlink's new name
	OpMknod                // mknod: a FIFO or device
	OpBind                 // bind of a unix socket to a path
	OpTruncate             // truncate(2)
)

// PathEvent is one path call, as the kernel answered it.
type PathEvent struct {
	Who Who
	// Desc renders the call for the report (see Call.Desc).
	Desc func() string
	Op   Op
	// Path is absolute: the kernel's path of the opened file after a
	// successful open, else the argument resolved against the caller's
	// working directory or dirfd.
	Path string
	// Flags are the open flags (OpOpen), Created whether O_CREAT made the
	// file, Dir whether the opened file is a directory.
	Flags   uint64
	Created bool
	Dir     bool
	Err     syscall.Errno // 0: it succeeded
	// Alts are the call's own ways through the filter (its flags), when
	// they matter: nil for an open that only reads, which every pledge
	// lets through for the path layer or the loader window to decide.
	Alts []promise.Alt
}

// Config is what a Recorder needs to know of the machine.
type Config struct {
	// Named are the promise table's named paths with their Path resolved
	// (symlinks followed), as the kernel reports opened files.
	Named []promise.NamedPath
}

// Recorder collects what one run did. Not safe for concurrent use.
type Recorder struct {
	cfg        Config
	reqs       map[string]*Req
	order      []string
	created    map[string]bool
	probes     map[string]bool
	notAllowed map[string]Call
	noWay      []string
	programs   []string
	incomplete []string
}

// New returns an empty Recorder.
func New(cfg Config) *Recorder {
	return &Recorder{cfg: cfg, reqs: map[string]*Req{}, created: map[string]bool{},
		probes: map[string]bool{}, notAllowed: map[string]Call{}}
}

// Call records a call; it returns its kind, on which the caller may say
// whether the fallback would do (Req.Fallback). A call no promise allows
// is kept apart: the policy cannot allow it (the rerun gets EPERM and a
// line).
func (r *Recorder) Call(c Call) *Req {
	if len(c.Alts) == 0 {
		if _, ok := r.notAllowed[c.Name]; !ok {
			r.notAllowed[c.Name] = Call{Who: c.Who, Name: c.Name, Desc: memo(c.Desc)}
		}
		return &Req{}
	}
	choices := make([]Choice, len(c.Alts))
	for i, a := range c.Alts {
		choices[i] = Choice{Alt: a}
	}
	return r.need(c.Who, c.Name, c.Desc, choices)
}

// memo calls desc once and keeps the text.
func memo(desc func() string) func() string {
	s := desc()
	return func() string { return s }
}

// need records one requirement.
func (r *Recorder) need(who Who, key string, desc func() string, choices []Choice) *Req {
	key += "\x00" + choicesKey(choices)
	q, ok := r.reqs[key]
	if !ok {
		q = &Req{Choices: choices, Who: who}
		if desc != nil {
			q.Desc = desc()
		}
		r.reqs[key] = q
		r.order = append(r.order, key)
	}
	q.Count++
	q.calls++
	return q
}

// choicesKey identifies a list of choices (it is built at every call a
// run makes: numbers, not names).
func choicesKey(cs []Choice) string {
	b := make([]byte, 0, 32*len(cs))
	for _, c := range cs {
		b = strconv.AppendUint(b, uint64(c.Need), 16)
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(c.Unless), 16)
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(c.Errno), 10)
		for _, a := range c.Unveil {
			b = append(b, ';')
			b = strconv.AppendUint(b, uint64(a.Perm), 16)
			b = append(b, a.Path...)
		}
		b = append(b, '|')
	}
	return string(b)
}

// Program records a program of the tree (the command's program, each
// image exec'd), by its path.
func (r *Recorder) Program(path string) {
	if !slices.Contains(r.programs, path) {
		r.programs = append(r.programs, path)
	}
}

// Incomplete records why the run was not observed in full.
func (r *Recorder) Incomplete(why string) {
	if !slices.Contains(r.incomplete, why) {
		r.incomplete = append(r.incomplete, why)
	}
}

// probeErrnos are the failures that come before any permission check: the
// path lookup itself failed, as it will under the policy, whatever the veil
// says (Landlock never hides that a name does not exist). Only errnos every
// syscall package names: this package builds wherever the command's flags
// do (--policy), Windows included.
var probeErrnos = map[syscall.Errno]bool{
	syscall.ENOENT: true, syscall.ENOTDIR: true, syscall.ELOOP: true, syscall.ENAMETOOLONG: true,
	syscall.EEXIST: true, syscall.EISDIR: true, syscall.ENXIO: true, syscall.ENODEV: true,
	syscall.EROFS: true, syscall.ENOTEMPTY: true, syscall.EXDEV: true,
	syscall.EINVAL: true,
}

// Path records a path call: its own ways through the filter, and what its
// path needs, unless the lookup failed before any permission check (then
// only opens and execs are kept, as probes).
func (r *Recorder) Path(ev PathEvent) {
	desc := ev.Desc
	if desc == nil {
		desc = func() string { return opNames[ev.Op] + "(" + ev.Path + ")" }
	}
	if ev.Alts != nil {
		r.Call(Call{Who: ev.Who, Name: opNames[ev.Op], Desc: desc, Alts: ev.Alts})
	}
	if probeErrnos[ev.Err] {
		if (ev.Op == OpOpen || ev.Op == OpExec) && ev.Err == syscall.ENOENT {
			r.probes[ev.Path] = true
		}
		return
	}
	if ev.Err == 0 {
		r.noteCreated(ev)
	}
	for _, n := range pathNeeds(ev) {
		r.need(ev.Who, "path "+n.path, desc, r.choicesFor(n))
	}
}

// noteCreated remembers the names a successful call made: they did not
// exist before the run, so the policy names their directory instead
// (unveils.go).
func (r *Recorder) noteCreated(ev PathEvent) {
	switch ev.Op {
	case OpOpen:
		if ev.Created {
			r.created[ev.Path] = true
		}
	case OpMkdir, OpRenameTo, OpLink, OpSymlink, OpMknod, OpBind:
		r.created[ev.Path] = true
	}
}

// opNames name the path operations' filter requirements.
var opNames = [...]string{
	OpOpen: "open", OpExec: "execve", OpMkdir: "mkdir", OpUnlink: "unlink", OpRmdir: "rmdir",
	OpRenameFrom: "rename", OpRenameTo: "rename", OpLink: "link", OpSymlink: "symlink",
	OpMknod: "mknod", OpBind: "bind", OpTruncate: "truncate",
}

// need is what one path call asks of one path: the accesses the path
// layer checks there and the unveil permission that grants them.
type pathNeed struct {
	path   string
	access promise.PathAccess
	perm   unveil.Perm
	// name: the access is the name's own (a file's content, a name with
	// 'c'); otherwise path is the directory the operation changes.
	name bool
}

// pathNeeds are what ev needs, by operation: opens and execs need the
// file, truncate the file's write right, and the other operations their
// directory's right to add or remove names (Landlock checks those on the
// directory; OpenBSD's 'c' on a file name covers only regular files, so a
// removed name keeps 'c' on the name and everything else goes on the
// directory).
func pathNeeds(ev PathEvent) []pathNeed {
	dir := parentDir(ev.Path)
	switch ev.Op {
	case OpOpen:
		return []pathNeed{openNeed(ev)}
	case OpExec:
		return []pathNeed{{ev.Path, promise.Execute, unveil.PermExec, true}}
	case OpTruncate:
		return []pathNeed{{ev.Path, promise.WriteFile, unveil.PermWrite, true}}
	case OpUnlink:
		return []pathNeed{{ev.Path, promise.RemoveFile, unveil.PermCreate, true}}
	case OpMkdir:
		return []pathNeed{{dir, promise.MakeDir, unveil.PermCreate, false}}
	case OpRmdir:
		return []pathNeed{{dir, promise.RemoveDir, unveil.PermCreate, false}}
	case OpRenameFrom:
		return []pathNeed{{dir, promise.RemoveFile | promise.Rename, unveil.PermCreate, false}}
	case OpRenameTo, OpLink:
		return []pathNeed{{dir, promise.CreateFile | promise.Rename, unveil.PermCreate, false}}
	case OpSymlink:
		return []pathNeed{{dir, promise.MakeSymlink, unveil.PermCreate, false}}
	case OpMknod:
		return []pathNeed{{dir, promise.MakeFifo, unveil.PermCreate, false}}
	case OpBind:
		return []pathNeed{{dir, promise.MakeSocket, unveil.PermCreate, false}}
	}
	return nil
}

// openNeed is what a successful open needs on its file: reading or
// listing, writing, and creating it when O_CREAT did.
func openNeed(ev PathEvent) pathNeed {
	n := pathNeed{path: ev.Path, name: true}
	switch ev.Flags & 3 { // O_ACCMODE
	case 0:
		n.access, n.perm = promise.ReadFile, unveil.PermRead
		if ev.Dir {
			n.access = promise.ListDir
		}
	case 1:
		n.access, n.perm = promise.WriteFile, unveil.PermWrite
	default:
		n.access, n.perm = promise.ReadFile|promise.WriteFile, unveil.PermRead|unveil.PermWrite
	}
	if ev.Created {
		n.access |= promise.CreateFile
		n.perm |= unveil.PermCreate
	}
	return n
}

// choicesFor are the ways to let n through the path layer: the named
// paths that grant its accesses (no unveil), then the promises that grant
// them everywhere with the unveil n needs. A name the table gives one
// promise (getpw's /etc/passwd, tty's /dev/tty) is that promise's only:
// the program is doing what the promise is for, as OpenBSD's programs
// pledge it. Only /tmp, whose tree holds every program's files, is left to
// the solver to weigh against rpath/wpath/cpath and an unveil (tmppath
// when it is enough, promise/paths.go).
func (r *Recorder) choicesFor(n pathNeed) []Choice {
	var named []Choice
	tree := false
	for _, np := range r.cfg.Named {
		if np.Access&n.access == n.access && covers(np, n.path) {
			named = append(named, Choice{Alt: promise.Alt{Need: np.Need}})
			tree = tree || np.Tree
		}
	}
	if len(named) > 0 && !tree {
		return named
	}
	generic := Choice{Alt: promise.Alt{Need: promise.Allowing(n.access)}, Unveil: []Access{{n.path, n.perm}}}
	return append(named, generic)
}

// covers reports whether the named path np is path or, for a tree, above
// it.
func covers(np promise.NamedPath, path string) bool {
	return path == np.Path || (np.Tree && strings.HasPrefix(path, strings.TrimSuffix(np.Path, "/")+"/"))
}

// parentDir is the directory of an absolute path ("/" for "/x").
func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

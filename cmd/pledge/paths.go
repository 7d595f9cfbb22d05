//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/ldso"
	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
	"github.com/landpledge/landpledge/unveil"
)

// The program's Landlock domain: the veil and the path layer of its
// promises in one layer (sandbox.ImageDomain), so that the program gets
// one domain, the same one the library would enforce in two.

// landlockPlan is the program's Landlock domain and what its descriptors
// belong to.
type landlockPlan struct {
	domain *landlock.Domain // nil: nothing to enforce
	abi    int
	veil   *unveil.Prepared // nil under -V
	named  *sandbox.NamedFiles
	loader []landlock.PathRule // the loader's files without a veil
	who    *denialWho
}

// planLandlock plans the program's domain: the veil (unless -V) and the
// path layer of promises p, seen from the root the program runs in.
func planLandlock(c *config, prog string, p promise.Set, env []string, abi int) (*landlockPlan, error) {
	lp := &landlockPlan{abi: abi, named: sandbox.OpenNamed(p)}
	var loader []ldso.Need
	if !c.NoUnveil {
		veil, auto, err := planVeil(c, prog, env)
		if err != nil {
			lp.close()
			return nil, err
		}
		lp.veil, loader = veil, auto
	} else {
		loader, _ = ldso.ProgramNeeds(prog, env)
	}
	lp.loader = sandbox.OpenLoader(loader)
	var before []landlock.PathRule
	lp.domain, before = sandbox.ImageDomain(lp.veil, p, abi, lp.named, lp.loader, false)
	lp.who = &denialWho{veil: before, layered: true, promises: p}
	if lp.veil == nil {
		lp.who.veil = nil
	}
	if err := inheritable(lp.domain); err != nil {
		lp.close()
		return nil, err
	}
	return lp, nil
}

// close closes every descriptor of the plan; the domain cannot be
// enforced afterwards. Safe to call more than once.
func (lp *landlockPlan) close() {
	if lp == nil {
		return
	}
	if lp.veil != nil {
		lp.veil.Close()
	}
	lp.named.Close()
	for i := range lp.loader {
		if lp.loader[i].Fd >= 0 {
			unix.Close(lp.loader[i].Fd)
			lp.loader[i].Fd = -1
		}
	}
}

// inheritable clears close-on-exec on the domain's rule descriptors: the
// program inherits them, and Setup closes them in it after
// landlock_add_rule. Nothing else is exec'd by the command meanwhile.
func inheritable(d *landlock.Domain) error {
	if d == nil {
		return nil
	}
	for _, r := range d.Rules {
		if _, err := unix.FcntlInt(uintptr(r.Fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("fcntl(F_SETFD) %s: %w", r.Path, err)
		}
	}
	return nil
}

// denialWho says which layer of the program's domain a Landlock denial of
// rights at path comes from: the veil when its rules (before the promises
// narrowed them) do not grant them there, else the promises.
type denialWho struct {
	veil     []landlock.PathRule // nil: no veil (-V)
	layered  bool
	promises promise.Set
}

// reason explains the denial of rights at path, or "" when it cannot tell.
func (w *denialWho) reason(path string, rights uint64) string {
	if w == nil || !w.layered || rights == 0 {
		return ""
	}
	if w.veil != nil && !veilGrants(w.veil, path, rights) {
		return ""
	}
	if need := promise.Allowing(sandbox.AccessOf(rights)); need != 0 {
		return fmt.Sprintf("needs promise %q", need.String())
	}
	return ""
}

// veilGrants reports whether the rules grant every right of rights at path:
// the union of the rules on path and on the directories above it.
func veilGrants(rules []landlock.PathRule, path string, rights uint64) bool {
	var have uint64
	for _, r := range rules {
		if r.Path == path || strings.HasPrefix(path, strings.TrimSuffix(r.Path, "/")+"/") {
			have |= r.Access
		}
	}
	return have&rights == rights
}

// openRights are the Landlock rights an open with flags needs on its
// file, for attributing a refusal: read and write by the access mode, and
// creating a regular file with O_CREAT.
func openRights(flags uint64) uint64 {
	var r uint64
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		r = landlock.AccessFSReadFile
	case unix.O_WRONLY:
		r = landlock.AccessFSWriteFile
	default:
		r = landlock.AccessFSReadFile | landlock.AccessFSWriteFile
	}
	if flags&unix.O_CREAT != 0 {
		r |= landlock.AccessFSMakeReg
	}
	return r
}

// reportedDenials are the Landlock refusals the supervisor reported from
// the open's own stop, by "pid path", so that the audit reader does not
// report them a second time.
type reportedDenials struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *reportedDenials) add(pid int, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[strconv.Itoa(pid)+" "+path] = true
}

// has reports (and forgets) whether pid's refusal at path was reported.
func (r *reportedDenials) has(pid, path string) bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := pid + " " + path
	ok := r.seen[key]
	delete(r.seen, key)
	return ok
}

// layerDenial renders an open the path layer refused, seen at its own stop
// (st): "needs promise" from the promise table when the veil grants the
// file, else "not unveiled for". The path is read from the program's
// memory and resolved against its cwd or dirfd through /proc, for the
// report only. It returns the line, the resolved path and whether the
// promises (rather than the veil) refused it.
func layerDenial(st *supervise.Stop, who *denialWho) (string, string, bool) {
	v := violationOf(st)
	dirfd, addr, flags := int32(unix.AT_FDCWD), v.Args[0], v.Args[1]
	if name := promise.SyscallName(seccomp.Native(), v.Nr); name == "openat" {
		dirfd, addr, flags = int32(v.Args[0]), v.Args[1], v.Args[2]
	}
	path, _ := supervise.ReadString(v.Pid, addr, maxPathReport)
	abs := path
	if !strings.HasPrefix(path, "/") {
		base := fmt.Sprintf("/proc/%d/cwd", v.Pid)
		if dirfd != unix.AT_FDCWD {
			base = fmt.Sprintf("/proc/%d/fd/%d", v.Pid, dirfd)
		}
		if dir, err := os.Readlink(base); err == nil {
			abs = filepath.Join(dir, path)
		}
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rights := openRights(flags)
	if who != nil && who.veil != nil && !veilGrants(who.veil, abs, rights) {
		p, _ := unveil.PermFor(rights)
		who := fmt.Sprintf("%s[%d]", supervise.Comm(v.Tgid), v.Pid)
		name := promise.SyscallName(seccomp.Native(), v.Nr)
		return fmt.Sprintf("%s %s(%s) denied: not unveiled for %q", who, name, decodeArgs(name, v), p.String()), abs, false
	}
	return describe(v), abs, true
}

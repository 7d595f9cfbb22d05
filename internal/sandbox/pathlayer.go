package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/ldso"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/unveil"
)

// Path layers: the Landlock side of the path promises (promise/paths.go).
// A pledge's layer handles what its promises do not allow everywhere
// (promise.PathLayerHandles) and grants it back on the named paths; the
// filter built with promise.FilterOptions.PathLayer then lets the opens a
// named path may need through, and Landlock decides the path. The veil,
// committed by the first pledge without "unveil", gets the named paths of
// that pledge as rules of its own, so that they bypass it as on OpenBSD.

// pathRights maps each promise.PathAccess to the Landlock rights it is.
// Writing carries TRUNCATE and IOCTL_DEV: a veil handles both (unveil's
// "w"), a path layer neither (the filter decides truncation by wpath and
// ioctls by the tty promise).
var pathRights = [...]struct {
	access promise.PathAccess
	rights uint64
}{
	{promise.ReadFile, landlock.AccessFSReadFile},
	{promise.ListDir, landlock.AccessFSReadDir},
	{promise.WriteFile, landlock.AccessFSWriteFile | landlock.AccessFSTruncate | landlock.AccessFSIoctlDev},
	{promise.CreateFile, landlock.AccessFSMakeReg},
	{promise.MakeDir, landlock.AccessFSMakeDir},
	{promise.MakeSymlink, landlock.AccessFSMakeSym},
	{promise.MakeFifo, landlock.AccessFSMakeFifo},
	{promise.MakeDevice, landlock.AccessFSMakeChar | landlock.AccessFSMakeBlock},
	{promise.MakeSocket, landlock.AccessFSMakeSock},
	{promise.RemoveFile, landlock.AccessFSRemoveFile},
	{promise.RemoveDir, landlock.AccessFSRemoveDir},
	{promise.Rename, landlock.AccessFSRefer},
	{promise.Execute, landlock.AccessFSExecute},
}

// LandlockRights is the set of Landlock rights of accesses a.
func LandlockRights(a promise.PathAccess) uint64 {
	var r uint64
	for _, pr := range pathRights {
		if a&pr.access != 0 {
			r |= pr.rights
		}
	}
	return r
}

// LayerHandled is what a path layer handles: the rights of what p does not
// allow everywhere, those a path layer decides (never TRUNCATE nor
// IOCTL_DEV) and ABI abi knows. libpledge's generated tables hold it.
func LayerHandled(p promise.Set, abi int) uint64 {
	return handledRights(promise.PathLayerHandles(p), abi)
}

// handledRights are the Landlock rights of a, those a path layer decides
// (never TRUNCATE nor IOCTL_DEV), that ABI abi knows.
func handledRights(a promise.PathAccess, abi int) uint64 {
	h := LandlockRights(a) &^ (landlock.AccessFSTruncate | landlock.AccessFSIoctlDev)
	return h & landlock.HandledAccessFS(abi)
}

// PathLayer is the Landlock layer of a pledge of promises p on ABI abi:
// it handles what p does not allow everywhere and grants the named paths
// of p their accesses (named must hold them: opened for p or wider). keep
// are rules the caller adds as they are (the pledge command's loader
// files). It is nil when it would handle nothing (p allows everything by
// path). Its rules' descriptors are named's and keep's.
func PathLayer(p promise.Set, abi int, named *NamedFiles, keep ...landlock.PathRule) *landlock.Domain {
	return pathLayer(p, LayerHandled(p, abi), named, keep...)
}

// pathLayer is PathLayer handling handled.
func pathLayer(p promise.Set, handled uint64, named *NamedFiles, keep ...landlock.PathRule) *landlock.Domain {
	if handled == 0 {
		return nil
	}
	d := &landlock.Domain{Attr: landlock.RulesetAttr{HandledAccessFS: handled}}
	d.Rules = named.Rules(p, handled)
	for _, r := range keep {
		if r.Access &= handled; r.Access != 0 {
			d.Rules = append(d.Rules, r)
		}
	}
	return d
}

// NamedFiles are the named paths of a promise set opened O_PATH once, so
// that later, narrower pledges can build their layers from them: by then
// the filter may allow no O_PATH open. Missing paths are skipped.
type NamedFiles struct {
	fds  map[string]int
	dirs map[string]bool
	// ids are the files the descriptors were opened on: the program may
	// close one of the library's descriptors and get its number for
	// another file, which a later layer must not then grant a named
	// path's rights.
	ids map[string]fileID
}

// OpenNamed opens the named paths of p (promise.NamedPaths) O_PATH and
// close-on-exec. The descriptors stay open until Close.
func OpenNamed(p promise.Set) *NamedFiles {
	n := &NamedFiles{fds: map[string]int{}, dirs: map[string]bool{}, ids: map[string]fileID{}}
	for _, np := range promise.NamedPaths(p) {
		if _, ok := n.fds[np.Path]; ok {
			continue
		}
		fd, err := unix.Open(np.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil {
			unix.Close(fd)
			continue
		}
		n.fds[np.Path], n.dirs[np.Path], n.ids[np.Path] = fd, st.Mode&unix.S_IFMT == unix.S_IFDIR, idOf(&st)
	}
	return n
}

// Close closes the descriptors.
func (n *NamedFiles) Close() {
	for _, fd := range n.fds {
		unix.Close(fd)
	}
	clear(n.fds)
}

// Rules are the named paths of p that n holds, as rules with their rights
// masked to handled, to a file's rights on a non-directory, and merged
// per path. A descriptor that no longer refers to the file it was opened
// on (the program closed it and its number was reused) gives no rule:
// the named path is then denied, never another file granted. The
// descriptors remain n's.
func (n *NamedFiles) Rules(p promise.Set, handled uint64) []landlock.PathRule {
	var rules []landlock.PathRule
	for _, np := range promise.NamedPaths(p) {
		fd, ok := n.fds[np.Path]
		access := LandlockRights(np.Access) & handled
		if !n.dirs[np.Path] {
			access &= landlock.AccessFSFile
		}
		if !ok || access == 0 || !n.still(np.Path) {
			continue
		}
		if i := slices.IndexFunc(rules, func(r landlock.PathRule) bool { return r.Path == np.Path }); i >= 0 {
			rules[i].Access |= access
			continue
		}
		rules = append(rules, landlock.PathRule{Fd: fd, Access: access, Path: np.Path})
	}
	return rules
}

// still reports whether n's descriptor of path is still on the file it
// was opened on.
func (n *NamedFiles) still(path string) bool {
	var st unix.Stat_t
	return unix.Fstat(n.fds[path], &st) == nil && idOf(&st) == n.ids[path]
}

// LayerKey identifies what a path layer enforces (its handled rights and
// rules by path), so that a pledge whose layer would be the same as the
// last one adds none.
func LayerKey(d *landlock.Domain) string {
	if d == nil {
		return ""
	}
	rules := make([]string, len(d.Rules))
	for i, r := range d.Rules {
		rules[i] = r.Path + "=" + strconv.FormatUint(r.Access, 16)
	}
	slices.Sort(rules)
	return strconv.FormatUint(d.Attr.HandledAccessFS, 16) + " " + strings.Join(rules, " ")
}

// StripPromiseRights narrows a veil's domain to promises p in place, for a
// single layer that is both (the pledge command's): every rule loses the
// rights a path layer for p would deny, but the rules keep says to leave
// (the program's own loader files), and the named paths of p (from named)
// are added with their rights within the veil's handled rights. Rules
// left empty are dropped; every descriptor stays its owner's (the veil's,
// named's), to close.
func StripPromiseRights(d *landlock.Domain, p promise.Set, abi int, named *NamedFiles, keep func(path string) bool) {
	stripRights(d, p, LayerHandled(p, abi), named, keep)
}

// stripRights is StripPromiseRights stripping strip.
func stripRights(d *landlock.Domain, p promise.Set, strip uint64, named *NamedFiles, keep func(path string) bool) {
	var rules []landlock.PathRule
	for _, r := range d.Rules {
		if !keep(r.Path) {
			r.Access &^= strip
		}
		if r.Access != 0 {
			rules = append(rules, r)
		}
	}
	d.Rules = append(rules, named.Rules(p, d.Attr.HandledAccessFS)...)
}

// namedReads are the named paths a process may open for reading, when no
// path layer decides its reads (it holds "exec"; promise.PathLayerHandles):
// the supervisor then lets such opens run and checks the descriptor, by
// identity for files and by the kernel's path of the open file
// (/proc/PID/fd/N) for trees, as Landlock would decide a rule on the tree.
type namedReads struct {
	files map[fileID]bool
	trees []string
}

// namedReadsOf resolves the readable named paths of p.
func namedReadsOf(p promise.Set) *namedReads {
	n := &namedReads{files: map[fileID]bool{}}
	for _, np := range promise.NamedPaths(p) {
		if np.Access&promise.ReadFile == 0 {
			continue
		}
		if np.Tree {
			if real, err := realDir(np.Path); err == nil {
				n.trees = append(n.trees, real)
			}
			continue
		}
		var st unix.Stat_t
		if unix.Stat(np.Path, &st) == nil {
			n.files[idOf(&st)] = true
		}
	}
	return n
}

// realDir is dir with symlinks resolved, if it is a directory.
func realDir(dir string) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", unix.ENOTDIR
	}
	return filepath.EvalSymlinks(dir)
}

// has reports whether the open file fd of pid is one of the named reads.
func (n *namedReads) has(pid, fd string) bool {
	link := "/proc/" + pid + "/fd/" + fd
	var st unix.Stat_t
	if unix.Stat(link, &st) != nil {
		return false
	}
	if n.files[idOf(&st)] {
		return true
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR && len(n.trees) == 0 {
		return false
	}
	target, err := os.Readlink(link)
	if err != nil {
		return false
	}
	for _, t := range n.trees {
		if target == t || strings.HasPrefix(target, t+"/") {
			return true
		}
	}
	return false
}

// AccessOf is the promise.PathAccess that Landlock rights are (the inverse
// of LandlockRights), for explaining a denial.
func AccessOf(rights uint64) promise.PathAccess {
	var a promise.PathAccess
	for _, pr := range pathRights {
		if rights&pr.rights != 0 {
			a |= pr.access
		}
	}
	return a
}

// ImageDomain is the Landlock domain of an image that runs under promises
// p with a veil (veil, prepared by package unveil; nil: none) on ABI abi,
// in one layer: the veil's rules narrowed to what p allows by path
// (StripPromiseRights), the named paths of p (named) bypassing it, and
// the loader's files (loader, OpenLoader) with their reads, so that the
// image starts under any promises (its loader opens them in the window
// the supervisor grants, which the layer must not refuse). The pledge
// command gives its program this domain, the exec broker each image it
// runs under execpromises. It also returns a copy of the veil's rules
// before the promises narrowed them, for denial lines. Every descriptor
// stays its owner's. nil when nothing is handled.
//
// supervisedReads says the image's filter leaves reads to its supervisor
// (Policy.SupervisedReads): the layer then handles none.
func ImageDomain(veil *unveil.Prepared, p promise.Set, abi int, named *NamedFiles, loader []landlock.PathRule, supervisedReads bool) (*landlock.Domain, []landlock.PathRule) {
	a := promise.PathLayerHandles(p)
	if supervisedReads {
		a = promise.PathLayerHandlesSupervised(p)
	}
	handled := handledRights(a, abi)
	if veil == nil {
		return pathLayer(p, handled, named, loader...), nil
	}
	before := append([]landlock.PathRule(nil), veil.Rules...)
	d := veil.Domain
	stripRights(&d, p, handled, named, func(string) bool { return false })
	d.Rules = append(d.Rules, loader...)
	return &d, before
}

// OpenLoader opens the loader's files (package ldso's resolution of a
// program) O_PATH as rules granting their reads. Files that cannot be
// opened, and what is not a regular file, are skipped.
func OpenLoader(needs []ldso.Need) []landlock.PathRule {
	var rules []landlock.PathRule
	seen := map[string]bool{}
	for _, n := range needs {
		if seen[n.Path] {
			continue
		}
		seen[n.Path] = true
		fd, err := unix.Open(n.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			continue
		}
		rules = append(rules, landlock.PathRule{Fd: fd, Access: landlock.AccessFSReadFile, Path: n.Path})
	}
	return rules
}

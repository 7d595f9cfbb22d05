package promise

// Path promises. OpenBSD decides opens, creations and removals by path
// (kern_pledge.c pledge_namei): rpath, wpath, cpath, dpath and exec allow
// them anywhere (the veil aside), and a few named paths are allowed to any
// pledged process or with one promise, whatever the others say and
// bypassing unveil. seccomp cannot see paths; Landlock can. This file is
// the table of both, as data: what each promise lets a process do by path
// everywhere (Everywhere), and the named paths (NamedPaths). A path layer
// (internal/sandbox) turns them into a Landlock layer, and BuildFilter with
// FilterOptions.PathLayer lets through the open flags that a named path may
// need, leaving the path to Landlock.

// PathAccess is a set of things a process may do with a file or a tree by
// path, as a promise or a named path grants them. Each is one Landlock
// filesystem right (internal/sandbox maps them).
type PathAccess uint16

// The accesses, each the operation it allows.
const (
	ReadFile    PathAccess = 1 << iota // open a file for reading
	ListDir                            // open a directory, list it
	WriteFile                          // open a file for writing
	CreateFile                         // create a regular file (O_CREAT, link, rename onto)
	MakeDir                            // mkdir
	MakeSymlink                        // symlink
	MakeFifo                           // mkfifo, mknod of a FIFO
	MakeDevice                         // mknod of a device (needs CAP_MKNOD too)
	MakeSocket                         // bind of a unix socket to a path
	RemoveFile                         // unlink, rename away
	RemoveDir                          // rmdir, rename of a directory
	Rename                             // rename or link across directories
	Execute                            // execve

	numPathAccess = iota
)

// pathAccessNames name the accesses in docs, indexed by bit.
var pathAccessNames = [numPathAccess]string{
	"read", "list", "write", "create", "mkdir", "symlink", "mkfifo", "mknod",
	"bind", "unlink", "rmdir", "rename", "exec",
}

// String lists the accesses of a, comma-separated.
func (a PathAccess) String() string {
	s := ""
	for i, n := range pathAccessNames {
		if a&(1<<i) != 0 {
			if s != "" {
				s += ","
			}
			s += n
		}
	}
	return s
}

// AllPathAccess is every access a path layer can handle.
const AllPathAccess PathAccess = 1<<numPathAccess - 1

// pathGrants say what each promise allows by path, anywhere (OpenBSD's
// pledge_namei: the ni_pledge bits of each namei caller). O_TRUNC and
// truncate(2) are write, decided by the filter's flag rules (wpath) rather
// than by Landlock: handling Landlock's TRUNCATE would make every open of
// a file walk its path. Binding a unix socket is "unix", not cpath, as on
// OpenBSD (unp_bind).
var pathGrants = []struct {
	need   Set
	access PathAccess
}{
	{Rpath, ReadFile | ListDir},
	{Wpath, WriteFile},
	{Cpath, CreateFile | MakeDir | MakeSymlink | RemoveFile | RemoveDir | Rename},
	{Dpath, MakeFifo | MakeDevice},
	{Unix, MakeSocket},
	{Exec, Execute},
}

// Everywhere is what promises p allow by path on every file, before the
// veil.
func Everywhere(p Set) PathAccess {
	var a PathAccess
	for _, g := range pathGrants {
		if p.Has(g.need) {
			a |= g.access
		}
	}
	return a
}

// NamedPath is a file or tree OpenBSD lets a pledged process use by its
// name, with one promise (Need) or with any (Need 0): the access it allows
// there whatever the other promises say, and bypassing unveil. Tree covers
// everything below Path; otherwise Path is one file.
type NamedPath struct {
	Path   string
	Access PathAccess
	Tree   bool
	Need   Set
}

// namedPaths is OpenBSD's list (pledge_namei's whitelists), as the files
// glibc and musl read on Linux for the same purposes. Missing files are
// skipped by the layer. /etc/shadow and its kind are never named: OpenBSD's
// getpw refuses spwd.db too.
var namedPaths = []NamedPath{
	// daemon(3), os/exec's nil stdio.
	{Path: "/dev/null", Access: ReadFile | WriteFile},
	// tzset(3), Go's time package.
	{Path: "/etc/localtime", Access: ReadFile},
	{Path: "/usr/share/zoneinfo", Access: ReadFile | ListDir, Tree: true},
	// readpassphrase(3), getpass(3).
	{Path: "/dev/tty", Access: ReadFile | WriteFile, Need: Tty},
	// getpwnam(3) and friends: glibc's and musl's files databases (glibc
	// asks nsswitch.conf which databases to use).
	{Path: "/etc/passwd", Access: ReadFile, Need: Getpw},
	{Path: "/etc/group", Access: ReadFile, Need: Getpw},
	{Path: "/etc/nsswitch.conf", Access: ReadFile, Need: Getpw},
	// The resolver: OpenBSD names resolv.conf, hosts and services; glibc
	// also reads protocols (getprotobyname), nsswitch.conf, gai.conf
	// (getaddrinfo's address sorting) and host.conf (gethostbyname's
	// multi/order options).
	{Path: "/etc/resolv.conf", Access: ReadFile, Need: DNS},
	{Path: "/etc/hosts", Access: ReadFile, Need: DNS},
	{Path: "/etc/services", Access: ReadFile, Need: DNS},
	{Path: "/etc/protocols", Access: ReadFile, Need: DNS},
	{Path: "/etc/nsswitch.conf", Access: ReadFile, Need: DNS},
	{Path: "/etc/gai.conf", Access: ReadFile, Need: DNS},
	{Path: "/etc/host.conf", Access: ReadFile, Need: DNS},
	// mkstemp(3) and unlink in /tmp. OpenBSD compares the canonical path
	// with the prefix "/tmp/", so files in subdirectories count too, but
	// making or removing a directory needs cpath: the same here. Reading
	// and writing files that exist in /tmp without creating them is
	// allowed too (Landlock checks the open, not how the file came to be).
	{Path: "/tmp", Access: ReadFile | WriteFile | CreateFile | RemoveFile, Tree: true, Need: Tmppath},
}

// NamedPaths returns the named paths a process pledged with p may use:
// those of any pledge and those of the promises in p, in table order.
func NamedPaths(p Set) []NamedPath {
	var out []NamedPath
	for _, np := range namedPaths {
		if p.Has(np.Need) {
			out = append(out, np)
		}
	}
	return out
}

// AllNamedPaths returns the whole table, for docs.
func AllNamedPaths() []NamedPath { return append([]NamedPath(nil), namedPaths...) }

// readsByLayer reports whether a path layer for p decides opens for
// reading. Not when p holds "exec": an exec'd image keeps the layers, and
// its loader must read its own libraries, which no layer can name in
// advance (the exec supervisor grants them per image, see
// internal/sandbox); the filter then decides reads by rpath, as without
// Landlock, and the supervisor gives the named paths their reads.
func readsByLayer(p Set) bool { return !p.Has(Exec) }

// PathLayerHandles is what a path layer for p must deny except where it
// grants: every access p does not allow everywhere, but never execution
// (execve is the filter's: "exec") and not reads when the layer cannot
// decide them (readsByLayer).
func PathLayerHandles(p Set) PathAccess {
	h := AllPathAccess &^ Everywhere(p) &^ Execute
	if !readsByLayer(p) {
		h &^= ReadFile | ListDir
	}
	return h
}

// PathLayerHandlesSupervised is PathLayerHandles for a layer whose reads a
// supervisor decides (FilterOptions.SupervisedReads): it handles none.
func PathLayerHandlesSupervised(p Set) PathAccess { return PathLayerHandles(p) &^ (ReadFile | ListDir) }

// Allowing is the promises that allow accesses a by path everywhere, for
// messages ("needs promise rpath"): for each access the first promise of
// the table that allows it. 0 when no promise does.
func Allowing(a PathAccess) Set {
	var p Set
	for _, g := range pathGrants {
		if a&g.access != 0 {
			p |= g.need
			a &^= g.access
		}
	}
	return p
}

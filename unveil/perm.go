// Package unveil implements OpenBSD's unveil(2) model on Linux Landlock.
//
// Calls to State.Unveil accumulate (path, permissions) entries, checked and
// resolved the way OpenBSD's sys_unveil does; nothing is enforced until
// State.Commit, which computes a plan of Landlock path-beneath rules (Plan,
// a pure function of the entries and the directory contents) and restricts
// every thread of the process with it. Where Landlock cannot express
// OpenBSD's rules exactly (it only adds rights along a path, and only names
// existing files) the plan errs on the side of fewer rights, except for
// names that do not exist yet, whose rights must go on the parent directory;
// COMPAT.md lists each divergence with its test.
//
// The package knows nothing of seccomp or pledge promises.
package unveil

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/landpledge/landpledge/landlock"
)

// Perm is a set of unveil(2) permissions, one bit per letter of the
// permissions string.
type Perm uint8

// The unveil(2) permission letters (sys/kern/kern_unveil.c,
// unveil_parsepermissions: UNVEIL_READ, UNVEIL_WRITE, UNVEIL_EXEC,
// UNVEIL_CREATE).
const (
	PermRead   Perm = 1 << iota // 'r': read files, list directories
	PermWrite                   // 'w': write and truncate files
	PermExec                    // 'x': execute files
	PermCreate                  // 'c': create and remove names
)

// maxPermLen is the longest permissions string OpenBSD accepts: sys_unveil
// copies it into a 5-byte buffer (4 letters and the NUL) and copyinstr
// fails with ENAMETOOLONG beyond that.
const maxPermLen = 4

// createRights is what 'c' grants on a directory: every way to add or
// remove a name. REFER makes rename(2)/link(2) across directories possible;
// Landlock requires it at both ends, as OpenBSD requires 'c' at both ends.
const createRights = landlock.AccessFSMakeChar | landlock.AccessFSMakeDir |
	landlock.AccessFSMakeReg | landlock.AccessFSMakeSock | landlock.AccessFSMakeFifo |
	landlock.AccessFSMakeBlock | landlock.AccessFSMakeSym |
	landlock.AccessFSRemoveFile | landlock.AccessFSRemoveDir | landlock.AccessFSRefer

// permTable is THE mapping from unveil permission letters to Landlock
// rights (one row per letter, in OpenBSD's canonical order). A rule on a
// non-directory keeps only the landlock.AccessFSFile part of a row.
// docs/unveil.md shows it (TestPermTableDocs keeps the two in step).
var permTable = [...]struct {
	perm   Perm
	letter byte
	rights uint64
}{
	{PermRead, 'r', landlock.AccessFSReadFile | landlock.AccessFSReadDir},
	// IOCTL_DEV only ever applies to character and block devices, so in
	// effect it is granted on device files only: an unveiled terminal with
	// 'w' keeps its termios ioctls. RESOLVE_UNIX: OpenBSD checks connect(2)
	// to a unix socket against UNVEIL_WRITE (unp_connect).
	{PermWrite, 'w', landlock.AccessFSWriteFile | landlock.AccessFSTruncate |
		landlock.AccessFSIoctlDev | landlock.AccessFSResolveUnix},
	// execve(2) also opens the file for reading (fs/exec.c, open_exec:
	// O_RDONLY), so Landlock's file_open hook wants READ_FILE too. OpenBSD
	// programs unveil helpers with "x" alone, so 'x' carries READ_FILE: the
	// file's content becomes readable, which OpenBSD would refuse
	// (COMPAT.md; TestExecNeedsRead).
	{PermExec, 'x', landlock.AccessFSExecute | landlock.AccessFSReadFile},
	{PermCreate, 'c', createRights},
}

// nameRights is what a non-existent name with 'c' needs on its parent
// directory beyond its file rights: creating it as a regular file and
// removing it again (also renaming onto it from the same directory). It is
// deliberately less than createRights: these rights reach every entry
// below the parent, so mkdir, symlink, devices, sockets, fifos and
// cross-directory moves (REFER) of the name are not granted.
const nameRights = landlock.AccessFSMakeReg | landlock.AccessFSRemoveFile

// ParsePerm parses an unveil(2) permissions string: any of the letters
// r, w, x, c (in any order, repeats allowed), or "" for none. A string
// longer than 4 bytes gives ENAMETOOLONG and any other character EINVAL,
// as sys_unveil does.
func ParsePerm(s string) (Perm, error) {
	if len(s) > maxPermLen {
		return 0, fmt.Errorf("permissions %q longer than %d: %w", s, maxPermLen, syscall.ENAMETOOLONG)
	}
	var p Perm
next:
	for i := 0; i < len(s); i++ {
		for _, row := range permTable {
			if s[i] == row.letter {
				p |= row.perm
				continue next
			}
		}
		return 0, fmt.Errorf("permissions %q: bad character %q: %w", s, s[i], syscall.EINVAL)
	}
	return p, nil
}

// String gives the permissions in canonical order ("rwxc"), "" for none.
func (p Perm) String() string {
	var b strings.Builder
	for _, row := range permTable {
		if p&row.perm != 0 {
			b.WriteByte(row.letter)
		}
	}
	return b.String()
}

// Rights returns the Landlock rights p grants on a directory tree, before
// masking to what the running ABI handles.
func (p Perm) Rights() uint64 {
	var r uint64
	for _, row := range permTable {
		if p&row.perm != 0 {
			r |= row.rights
		}
	}
	return r
}

// PermFor returns the fewest permission letters whose rights include every
// Landlock right in access (the earliest letters on a tie, so READ_FILE
// alone gives 'r', not 'x'), for explaining a Landlock denial in unveil's
// terms; ok is false when no letters grant them all (a right no letter
// maps to, such as a scope or network right).
func PermFor(access uint64) (p Perm, ok bool) {
	all := PermRead | PermWrite | PermExec | PermCreate
	best, bestLen := Perm(0), len(permTable)+1
	for cand := Perm(0); cand <= all; cand++ {
		if n := len(cand.String()); cand.Rights()&access == access && n < bestLen {
			best, bestLen = cand, n
		}
	}
	return best, bestLen <= len(permTable)
}

// AllRights is every Landlock right some permission letter maps to.
func AllRights() uint64 { return Perm(PermRead | PermWrite | PermExec | PermCreate).Rights() }

// rightNames gives the LANDLOCK_ACCESS_FS_* names (without the prefix) of
// include/uapi/linux/landlock.h, for reports.
var rightNames = [...]struct {
	right uint64
	name  string
}{
	{landlock.AccessFSExecute, "EXECUTE"},
	{landlock.AccessFSWriteFile, "WRITE_FILE"},
	{landlock.AccessFSReadFile, "READ_FILE"},
	{landlock.AccessFSReadDir, "READ_DIR"},
	{landlock.AccessFSRemoveDir, "REMOVE_DIR"},
	{landlock.AccessFSRemoveFile, "REMOVE_FILE"},
	{landlock.AccessFSMakeChar, "MAKE_CHAR"},
	{landlock.AccessFSMakeDir, "MAKE_DIR"},
	{landlock.AccessFSMakeReg, "MAKE_REG"},
	{landlock.AccessFSMakeSock, "MAKE_SOCK"},
	{landlock.AccessFSMakeFifo, "MAKE_FIFO"},
	{landlock.AccessFSMakeBlock, "MAKE_BLOCK"},
	{landlock.AccessFSMakeSym, "MAKE_SYM"},
	{landlock.AccessFSRefer, "REFER"},
	{landlock.AccessFSTruncate, "TRUNCATE"},
	{landlock.AccessFSIoctlDev, "IOCTL_DEV"},
	{landlock.AccessFSResolveUnix, "RESOLVE_UNIX"},
}

// RightNames lists the names of the Landlock FS rights in access (e.g.
// "READ_FILE"), in the kernel's bit order.
func RightNames(access uint64) []string {
	var names []string
	for _, rn := range rightNames {
		if access&rn.right != 0 {
			names = append(names, rn.name)
		}
	}
	return names
}

// pathError wraps errno the way a failed unveil(2) call is reported.
func pathError(path string, err error) error {
	return &os.PathError{Op: "unveil", Path: path, Err: err}
}

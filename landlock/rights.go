//go:build linux

package landlock

import "golang.org/x/sys/unix"

// Filesystem access rights, bit for bit the LANDLOCK_ACCESS_FS_* values of
// include/uapi/linux/landlock.h. A ruleset "handles" a right (denies it by
// default); a path-beneath rule gives it back for a file or a directory tree.
const (
	// AccessFSExecute: execute a file (ABI 1).
	AccessFSExecute uint64 = unix.LANDLOCK_ACCESS_FS_EXECUTE
	// AccessFSWriteFile: open a file with write access (ABI 1). Note that
	// truncation is a separate right from ABI 3 on.
	AccessFSWriteFile uint64 = unix.LANDLOCK_ACCESS_FS_WRITE_FILE
	// AccessFSReadFile: open a file with read access (ABI 1).
	AccessFSReadFile uint64 = unix.LANDLOCK_ACCESS_FS_READ_FILE
	// AccessFSReadDir: open a directory or list its content (ABI 1).
	AccessFSReadDir uint64 = unix.LANDLOCK_ACCESS_FS_READ_DIR
	// AccessFSRemoveDir: remove an empty directory or rename one (ABI 1).
	AccessFSRemoveDir uint64 = unix.LANDLOCK_ACCESS_FS_REMOVE_DIR
	// AccessFSRemoveFile: unlink or rename a non-directory (ABI 1).
	AccessFSRemoveFile uint64 = unix.LANDLOCK_ACCESS_FS_REMOVE_FILE
	// AccessFSMakeChar: create (mknod, rename or link) a character device (ABI 1).
	AccessFSMakeChar uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_CHAR
	// AccessFSMakeDir: create or rename a directory (ABI 1).
	AccessFSMakeDir uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_DIR
	// AccessFSMakeReg: create, rename or link a regular file (ABI 1).
	AccessFSMakeReg uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_REG
	// AccessFSMakeSock: create, rename or link a unix domain socket (ABI 1).
	AccessFSMakeSock uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_SOCK
	// AccessFSMakeFifo: create, rename or link a named pipe (ABI 1).
	AccessFSMakeFifo uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_FIFO
	// AccessFSMakeBlock: create, rename or link a block device (ABI 1).
	AccessFSMakeBlock uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK
	// AccessFSMakeSym: create, rename or link a symbolic link (ABI 1).
	AccessFSMakeSym uint64 = unix.LANDLOCK_ACCESS_FS_MAKE_SYM
	// AccessFSRefer: link or rename a file into a different directory
	// (ABI 2). Before ABI 2 such reparenting is always denied; from ABI 2 it
	// is denied unless this right is handled and granted at both ends.
	AccessFSRefer uint64 = unix.LANDLOCK_ACCESS_FS_REFER
	// AccessFSTruncate: truncate(2), ftruncate(2), creat(2) or open with
	// O_TRUNC (ABI 3). Checked when the file is opened.
	AccessFSTruncate uint64 = unix.LANDLOCK_ACCESS_FS_TRUNCATE
	// AccessFSIoctlDev: ioctl(2) on character and block devices opened
	// after enforcement (ABI 5).
	AccessFSIoctlDev uint64 = unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	// AccessFSResolveUnix: connect(2) or sendmsg(2) to a pathname unix
	// domain socket (ABI 9).
	AccessFSResolveUnix uint64 = unix.LANDLOCK_ACCESS_FS_RESOLVE_UNIX
)

// AccessFSFile is the set of rights a rule on a non-directory may carry.
// The kernel (security/landlock/fs.c, ACCESS_FILE) rejects a path-beneath
// rule on a file with any other right with EINVAL, because the other rights
// are about directory entries; AddPathBeneath masks to this set instead.
const AccessFSFile = AccessFSExecute | AccessFSWriteFile | AccessFSReadFile |
	AccessFSTruncate | AccessFSIoctlDev

// Network access rights, the LANDLOCK_ACCESS_NET_* values (ABI 4). A net
// port rule gives them back for one TCP port.
const (
	// AccessNetBindTCP: bind a TCP socket to a local port (ABI 4).
	AccessNetBindTCP uint64 = unix.LANDLOCK_ACCESS_NET_BIND_TCP
	// AccessNetConnectTCP: connect a TCP socket to a remote port (ABI 4).
	AccessNetConnectTCP uint64 = unix.LANDLOCK_ACCESS_NET_CONNECT_TCP
)

// Scopes, the LANDLOCK_SCOPE_* values (ABI 6). A scoped domain cannot reach
// out of itself through these IPC channels; there are no rules for them.
const (
	// ScopeAbstractUnixSocket: deny connecting to an abstract unix socket
	// created by a process outside the domain (ABI 6).
	ScopeAbstractUnixSocket uint64 = unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
	// ScopeSignal: deny sending a signal to a process outside the domain;
	// kill(2) then fails with EPERM (ABI 6).
	ScopeSignal uint64 = unix.LANDLOCK_SCOPE_SIGNAL
)

// abiFeatures is what one Landlock ABI version adds over the previous one
// (Documentation/userspace-api/landlock.rst, "Previous limitations", and
// the "ABI version" notes of include/uapi/linux/landlock.h). Index = ABI.
var abiFeatures = [...]struct {
	fs, net, scoped uint64
	restrictFlags   uint32 // flags landlock_restrict_self(2) accepts
}{
	1: {fs: AccessFSExecute | AccessFSWriteFile | AccessFSReadFile | AccessFSReadDir |
		AccessFSRemoveDir | AccessFSRemoveFile | AccessFSMakeChar | AccessFSMakeDir |
		AccessFSMakeReg | AccessFSMakeSock | AccessFSMakeFifo | AccessFSMakeBlock |
		AccessFSMakeSym}, // Linux 5.13
	2: {fs: AccessFSRefer},                             // Linux 5.19
	3: {fs: AccessFSTruncate},                          // Linux 6.2
	4: {net: AccessNetBindTCP | AccessNetConnectTCP},   // Linux 6.7
	5: {fs: AccessFSIoctlDev},                          // Linux 6.10
	6: {scoped: ScopeAbstractUnixSocket | ScopeSignal}, // Linux 6.12
	7: {restrictFlags: unix.LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF | // Linux 6.15
		unix.LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON |
		unix.LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF},
	8: {restrictFlags: unix.LANDLOCK_RESTRICT_SELF_TSYNC}, // Linux 7.0
	9: {fs: AccessFSResolveUnix},                          // Linux 7.1
}

// MaxKnownABI is the newest Landlock ABI this package knows the rights of.
// A newer kernel is treated as this version: it enforces everything we ask.
const MaxKnownABI = len(abiFeatures) - 1

// cumulative ORs together what ABIs 1..abi add, as picked by get.
func cumulative[T uint64 | uint32](abi int, get func(i int) T) T {
	var set T
	for i := 1; i <= min(abi, MaxKnownABI); i++ {
		set |= get(i)
	}
	return set
}

// HandledAccessFS returns every filesystem right Landlock ABI abi knows;
// handling all of them makes everything not granted by a rule denied.
// abi < 1 gives 0; abi > MaxKnownABI gives the MaxKnownABI set.
func HandledAccessFS(abi int) uint64 {
	return cumulative(abi, func(i int) uint64 { return abiFeatures[i].fs })
}

// HandledAccessNet returns every network right ABI abi knows (0 below ABI 4).
func HandledAccessNet(abi int) uint64 {
	return cumulative(abi, func(i int) uint64 { return abiFeatures[i].net })
}

// HandledScopes returns every scope ABI abi knows (0 below ABI 6).
func HandledScopes(abi int) uint64 {
	return cumulative(abi, func(i int) uint64 { return abiFeatures[i].scoped })
}

// RestrictFlags returns the landlock_restrict_self(2) flags ABI abi accepts:
// the audit LOG_* flags from ABI 7, RESTRICT_SELF_TSYNC from ABI 8.
func RestrictFlags(abi int) uint32 {
	return cumulative(abi, func(i int) uint32 { return abiFeatures[i].restrictFlags })
}

// Unsupported returns the filesystem rights in fs that ABI abi cannot
// enforce: the kernel would reject them in handled_access_fs (EINVAL), so a
// caller drops them and reports them as not enforced.
func Unsupported(fs uint64, abi int) uint64 { return fs &^ HandledAccessFS(abi) }

// UnsupportedNet is Unsupported for network rights.
func UnsupportedNet(net uint64, abi int) uint64 { return net &^ HandledAccessNet(abi) }

// UnsupportedScopes is Unsupported for scopes.
func UnsupportedScopes(scoped uint64, abi int) uint64 { return scoped &^ HandledScopes(abi) }

//go:build !linux

// Package landlock is a thin layer over the Landlock LSM system calls of
// Linux. Elsewhere there is no Landlock: the package has only the right
// constants, the values of include/uapi/linux/landlock.h, so that package
// unveil's pure planning (unveil.Perm, unveil.Plan) builds, and reports,
// on every platform. TestStubRights (stub_test.go) checks them against
// golang.org/x/sys on Linux.
package landlock

// Filesystem access rights (see rights.go).
const (
	AccessFSExecute     uint64 = 0x1
	AccessFSWriteFile   uint64 = 0x2
	AccessFSReadFile    uint64 = 0x4
	AccessFSReadDir     uint64 = 0x8
	AccessFSRemoveDir   uint64 = 0x10
	AccessFSRemoveFile  uint64 = 0x20
	AccessFSMakeChar    uint64 = 0x40
	AccessFSMakeDir     uint64 = 0x80
	AccessFSMakeReg     uint64 = 0x100
	AccessFSMakeSock    uint64 = 0x200
	AccessFSMakeFifo    uint64 = 0x400
	AccessFSMakeBlock   uint64 = 0x800
	AccessFSMakeSym     uint64 = 0x1000
	AccessFSRefer       uint64 = 0x2000
	AccessFSTruncate    uint64 = 0x4000
	AccessFSIoctlDev    uint64 = 0x8000
	AccessFSResolveUnix uint64 = 0x10000
)

// AccessFSFile is the set of rights a rule on a non-directory may carry
// (see rights.go).
const AccessFSFile = AccessFSExecute | AccessFSWriteFile | AccessFSReadFile |
	AccessFSTruncate | AccessFSIoctlDev

// Network access rights and scopes (see rights.go).
const (
	AccessNetBindTCP        uint64 = 0x1
	AccessNetConnectTCP     uint64 = 0x2
	ScopeAbstractUnixSocket uint64 = 0x1
	ScopeSignal             uint64 = 0x2
)

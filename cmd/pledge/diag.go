//go:build linux

package main

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// maxPathReport bounds how much of a path argument a report reads from the
// target (PATH_MAX).
const maxPathReport = 4096

// violation is one call outside the promises, as the report shows it.
type violation struct {
	Pid, Tgid int
	Nr        uint32
	Args      [6]uint64
}

func violationOf(st *supervise.Stop) *violation {
	return &violation{Pid: st.Pid, Tgid: st.Tgid, Nr: uint32(st.Info.Nr), Args: st.Info.Args}
}

// describe renders a violation as one line without the "pledge: " prefix:
//
//	cat[4242] socket(AF_INET, SOCK_STREAM) needs promise "inet"
//
// The promise comes from promise.Explain, the promise table's own answer.
func describe(v *violation) string {
	name, promise := promise.Explain(seccomp.Native(), v.Nr, v.Args)
	if name == "" {
		name = "syscall_" + strconv.FormatUint(uint64(v.Nr), 10)
	}
	call := name + "(" + decodeArgs(name, v) + ")"
	who := fmt.Sprintf("%s[%d]", supervise.Comm(v.Tgid), v.Pid)
	switch {
	case promise == "":
		return fmt.Sprintf("%s %s is not allowed by any promise", who, call)
	default:
		return fmt.Sprintf("%s %s needs promise %q", who, call, promise)
	}
}

// argDecoders render the key arguments of the syscalls that violations are
// usually about; others print as name().
var argDecoders = map[string]func(v *violation) string{
	"socket":     func(v *violation) string { return socketArgs(v.Args[0], v.Args[1]) },
	"socketpair": func(v *violation) string { return socketArgs(v.Args[0], v.Args[1]) },
	"open":       func(v *violation) string { return pathArg(v, 0) + ", " + openFlags(v.Args[1]) },
	"creat":      func(v *violation) string { return pathArg(v, 0) },
	"openat": func(v *violation) string {
		return dirfdPrefix(v.Args[0]) + pathArg(v, 1) + ", " + openFlags(v.Args[2])
	},
	"openat2":  func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"execve":   func(v *violation) string { return pathArg(v, 0) },
	"execveat": func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"mmap":     func(v *violation) string { return protFlags(v.Args[2]) + ", " + mmapFlags(v.Args[3]) },
	"mprotect": func(v *violation) string { return protFlags(v.Args[2]) },
	"pkey_mprotect": func(v *violation) string {
		return protFlags(v.Args[2])
	},
	"ioctl": func(v *violation) string {
		return strconv.FormatUint(v.Args[0], 10) + ", " + ioctlName(v.Args[1])
	},
	"clone":     func(v *violation) string { return flagNames(v.Args[0]&^0xff, cloneFlags) },
	"kill":      func(v *violation) string { return signedArg(v.Args[0]) + ", " + sigName(v.Args[1]) },
	"tgkill":    func(v *violation) string { return signedArg(v.Args[1]) + ", " + sigName(v.Args[2]) },
	"unlink":    func(v *violation) string { return pathArg(v, 0) },
	"unlinkat":  func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"mkdir":     func(v *violation) string { return pathArg(v, 0) },
	"mkdirat":   func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"rmdir":     func(v *violation) string { return pathArg(v, 0) },
	"rename":    func(v *violation) string { return pathArg(v, 0) + ", " + pathArg(v, 1) },
	"renameat2": func(v *violation) string { return pathArg(v, 1) + ", " + pathArg(v, 3) },
	"chmod": func(v *violation) string {
		return pathArg(v, 0) + ", 0" + strconv.FormatUint(v.Args[1]&0o7777, 8)
	},
	"fchmodat": func(v *violation) string {
		return pathArg(v, 1) + ", 0" + strconv.FormatUint(v.Args[2]&0o7777, 8)
	},
	"access":    func(v *violation) string { return pathArg(v, 0) },
	"faccessat": func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"faccessat2": func(v *violation) string {
		return dirfdPrefix(v.Args[0]) + pathArg(v, 1)
	},
	"newfstatat": func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"statx":      func(v *violation) string { return dirfdPrefix(v.Args[0]) + pathArg(v, 1) },
	"chdir":      func(v *violation) string { return pathArg(v, 0) },
	"setuid":     func(v *violation) string { return signedArg(v.Args[0]) },
	"setgid":     func(v *violation) string { return signedArg(v.Args[0]) },
	"prctl":      func(v *violation) string { return strconv.FormatUint(v.Args[0]&0xffffffff, 10) },
}

func decodeArgs(name string, v *violation) string {
	if d, ok := argDecoders[name]; ok {
		return d(v)
	}
	return ""
}

// pathArg reads a path argument from the target, for the report only.
func pathArg(v *violation, i int) string {
	if v.Args[i] == 0 {
		return "NULL"
	}
	s, err := supervise.ReadString(v.Pid, v.Args[i], maxPathReport)
	if err != nil && s == "" {
		return fmt.Sprintf("%#x", v.Args[i])
	}
	return strconv.Quote(s)
}

func dirfdPrefix(fd uint64) string {
	if int32(fd) == unix.AT_FDCWD {
		return ""
	}
	return strconv.Itoa(int(int32(fd))) + ", "
}

func signedArg(a uint64) string { return strconv.Itoa(int(int32(a))) }

type flagName struct {
	bit  uint64
	name string
}

// flagNames renders the set bits of v by the table, with leftovers in hex.
func flagNames(v uint64, table []flagName) string {
	var parts []string
	for _, f := range table {
		if f.bit != 0 && v&f.bit == f.bit {
			parts = append(parts, f.name)
			v &^= f.bit
		}
	}
	if v != 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

var socketDomains = map[uint64]string{
	unix.AF_UNIX: "AF_UNIX", unix.AF_INET: "AF_INET", unix.AF_INET6: "AF_INET6",
	unix.AF_NETLINK: "AF_NETLINK", unix.AF_PACKET: "AF_PACKET", unix.AF_VSOCK: "AF_VSOCK",
	unix.AF_BLUETOOTH: "AF_BLUETOOTH", unix.AF_ALG: "AF_ALG", unix.AF_KEY: "AF_KEY",
}

var socketTypes = map[uint64]string{
	unix.SOCK_STREAM: "SOCK_STREAM", unix.SOCK_DGRAM: "SOCK_DGRAM", unix.SOCK_RAW: "SOCK_RAW",
	unix.SOCK_SEQPACKET: "SOCK_SEQPACKET", unix.SOCK_RDM: "SOCK_RDM",
}

var socketTypeFlags = []flagName{{unix.SOCK_CLOEXEC, "SOCK_CLOEXEC"}, {unix.SOCK_NONBLOCK, "SOCK_NONBLOCK"}}

func socketArgs(domain, typ uint64) string {
	d, ok := socketDomains[domain&0xffffffff]
	if !ok {
		d = strconv.FormatUint(domain&0xffffffff, 10)
	}
	const typeMask = 0xf // SOCK_TYPE_MASK
	t, ok := socketTypes[typ&typeMask]
	if !ok {
		t = strconv.FormatUint(typ&typeMask, 10)
	}
	if fl := (typ & 0xffffffff) &^ typeMask; fl != 0 {
		t += "|" + flagNames(fl, socketTypeFlags)
	}
	return d + ", " + t
}

var openFlagTable = []flagName{
	{unix.O_CREAT, "O_CREAT"}, {unix.O_EXCL, "O_EXCL"}, {unix.O_NOCTTY, "O_NOCTTY"},
	{unix.O_TRUNC, "O_TRUNC"}, {unix.O_APPEND, "O_APPEND"}, {unix.O_NONBLOCK, "O_NONBLOCK"},
	{unix.O_TMPFILE, "O_TMPFILE"}, {unix.O_DIRECTORY, "O_DIRECTORY"}, {unix.O_NOFOLLOW, "O_NOFOLLOW"},
	{unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_PATH, "O_PATH"}, {unix.O_SYNC, "O_SYNC"},
	{unix.O_DSYNC, "O_DSYNC"}, {unix.O_NOATIME, "O_NOATIME"}, {unix.O_DIRECT, "O_DIRECT"},
	{unix.O_LARGEFILE, "O_LARGEFILE"},
}

var openAccModes = [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}

func openFlags(f uint64) string {
	f &= 0xffffffff
	s := openAccModes[f&unix.O_ACCMODE]
	rest := f &^ unix.O_ACCMODE
	// O_TMPFILE includes O_DIRECTORY; name it once.
	if rest&unix.O_TMPFILE == unix.O_TMPFILE {
		s += "|O_TMPFILE"
		rest &^= unix.O_TMPFILE
	}
	if rest != 0 {
		s += "|" + flagNames(rest, openFlagTable)
	}
	return s
}

var protTable = []flagName{{unix.PROT_READ, "PROT_READ"}, {unix.PROT_WRITE, "PROT_WRITE"}, {unix.PROT_EXEC, "PROT_EXEC"}}

func protFlags(p uint64) string {
	if p&0xffffffff == 0 {
		return "PROT_NONE"
	}
	return flagNames(p&0xffffffff, protTable)
}

var mmapTable = []flagName{
	{unix.MAP_SHARED, "MAP_SHARED"}, {unix.MAP_PRIVATE, "MAP_PRIVATE"}, {unix.MAP_FIXED, "MAP_FIXED"},
	{unix.MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {unix.MAP_NORESERVE, "MAP_NORESERVE"},
	{unix.MAP_DENYWRITE, "MAP_DENYWRITE"}, {unix.MAP_STACK, "MAP_STACK"},
}

func mmapFlags(f uint64) string { return flagNames(f&0xffffffff, mmapTable) }

var cloneFlags = []flagName{
	{unix.CLONE_VM, "CLONE_VM"}, {unix.CLONE_FS, "CLONE_FS"}, {unix.CLONE_FILES, "CLONE_FILES"},
	{unix.CLONE_SIGHAND, "CLONE_SIGHAND"}, {unix.CLONE_PIDFD, "CLONE_PIDFD"}, {unix.CLONE_PTRACE, "CLONE_PTRACE"},
	{unix.CLONE_VFORK, "CLONE_VFORK"}, {unix.CLONE_PARENT, "CLONE_PARENT"}, {unix.CLONE_THREAD, "CLONE_THREAD"},
	{unix.CLONE_NEWNS, "CLONE_NEWNS"}, {unix.CLONE_SYSVSEM, "CLONE_SYSVSEM"}, {unix.CLONE_SETTLS, "CLONE_SETTLS"},
	{unix.CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"}, {unix.CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
	{unix.CLONE_UNTRACED, "CLONE_UNTRACED"}, {unix.CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"},
	{unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {unix.CLONE_NEWUTS, "CLONE_NEWUTS"}, {unix.CLONE_NEWIPC, "CLONE_NEWIPC"},
	{unix.CLONE_NEWUSER, "CLONE_NEWUSER"}, {unix.CLONE_NEWPID, "CLONE_NEWPID"}, {unix.CLONE_NEWNET, "CLONE_NEWNET"},
	{unix.CLONE_IO, "CLONE_IO"},
}

// ioctlNames are the requests worth naming in a report: pledge's stdio and
// tty sets and the dangerous terminal ones (REFERENCE §1, §8).
var ioctlNames = map[uint64]string{
	// <asm-generic/ioctls.h>; x/sys/unix has no FIO* names on Linux.
	0x541b: "FIONREAD", 0x5421: "FIONBIO", 0x5451: "FIOCLEX", 0x5450: "FIONCLEX",
	unix.TCGETS: "TCGETS", unix.TCSETS: "TCSETS", unix.TCSETSW: "TCSETSW", unix.TCSETSF: "TCSETSF",
	unix.TIOCGWINSZ: "TIOCGWINSZ", unix.TIOCSWINSZ: "TIOCSWINSZ", unix.TIOCSTI: "TIOCSTI",
	unix.TIOCLINUX: "TIOCLINUX", unix.TIOCGPGRP: "TIOCGPGRP", unix.TIOCSPGRP: "TIOCSPGRP",
	unix.TIOCSCTTY: "TIOCSCTTY", unix.TIOCNOTTY: "TIOCNOTTY", unix.TIOCGSID: "TIOCGSID",
}

func ioctlName(req uint64) string {
	if n, ok := ioctlNames[req&0xffffffff]; ok {
		return n
	}
	return fmt.Sprintf("%#x", req&0xffffffff)
}

func sigName(s uint64) string {
	if n := unix.SignalName(unix.Signal(s & 0xffffffff)); n != "" {
		return n
	}
	return strconv.FormatUint(s&0xffffffff, 10)
}

package compat_test

// The escape suite: one test per bypass class of REFERENCE §8, each trying
// the escape plainly and from a sandbox that should stop it, with the exact
// outcome. For classes OpenBSD has no equivalent of, the OpenBSD column
// holds the confinement OpenBSD's pledge/unveil would give the nearest
// equivalent operation (killed for a syscall no promise allows, ENOENT for
// a path outside every unveil).

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// everything is every promise except "error" (which would turn kills into
// ENOSYS) and "unveil" (which would keep the veil open): the widest pledge.
// Syscalls no promise allows must still be refused under it.
const everything = "stdio rpath wpath cpath dpath tmppath inet mcast fattr chown flock unix dns getpw " +
	"sendfd recvfd tape tty proc exec prot_exec settime ps vminfo id pf route wroute audio video bpf vmm drm disklabel"

// rawOp issues one raw syscall; a negative kernel return is the errno.
func rawOp(name string, nr uintptr, args ...uintptr) Op {
	var a [6]uintptr
	copy(a[:], args)
	return simple(name, func(*Fixture) error {
		_, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if e != 0 {
			return e
		}
		return nil
	}).c(rawWords("raw", nr, a)...)
}

// rawWords are the C driver's words for a raw syscall; pointer arguments
// do not carry over, so such ops name a C op of their own instead.
func rawWords(kind string, nr uintptr, a [6]uintptr) []string {
	w := []string{kind, fmt.Sprintf("%#x", nr)}
	for _, v := range a {
		w = append(w, fmt.Sprintf("%#x", v))
	}
	return w
}

// rawFdOp is rawOp for syscalls returning a new fd, closed again.
func rawFdOp(name string, nr uintptr, args ...uintptr) Op {
	var a [6]uintptr
	copy(a[:], args)
	return simple(name, func(*Fixture) error {
		fd, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if e != 0 {
			return e
		}
		unix.Close(int(fd))
		return nil
	}).c(rawWords("rawfd", nr, a)...)
}

func escapeX32Cases() []Case {
	// __X32_SYSCALL_BIT | getpid: x32 numbers index another table; the
	// plain result shows whether this kernel has CONFIG_X86_X32_ABI.
	return []Case{
		{ID: "escape/x32/getpid", Sandbox: pledged(everything), Op: rawOp("x32 getpid", unix.SYS_GETPID|0x40000000),
			Plain: "*", OpenBSD: killed},
		{ID: "escape/x32/socket", Sandbox: pledged("stdio"), Op: rawOp("x32 socket", unix.SYS_SOCKET|0x40000000, unix.AF_INET, unix.SOCK_STREAM),
			Plain: "*", OpenBSD: killed},
	}
}

func escapeIOUringCases() []Case {
	var params [120]byte // struct io_uring_params
	return []Case{
		{ID: "escape/io_uring/setup", Sandbox: pledged(everything),
			Op:    rawFdOp("io_uring_setup", unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params))).c("io_uring_setup"),
			Plain: "*", OpenBSD: killed, Linux: "ENOSYS"},
	}
}

// pauseSibling starts the probe blocked on its stdin before the sandbox: a
// process outside it. It exits when the child (holding the pipe) exits.
func pauseSibling(fx *Fixture) error {
	cmd := exec.Command(os.Getenv(envProbe), "pause")
	w, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	fx.Procs["sibling"], fx.Pipes["sibling"] = cmd, w
	return nil
}

func siblingOp(name string, fn func(pid int) error) Op {
	return Op{Name: name, Pre: pauseSibling, Fn: func(fx *Fixture) error { return fn(fx.Procs["sibling"].Process.Pid) }}
}

// ptraceAttach attaches to pid, waits for it to stop and detaches. It uses
// PTRACE_SEIZE and PTRACE_INTERRUPT rather than PTRACE_ATTACH: ATTACH's
// SIGSTOP can arrive after the first stop was reported and leave the
// sibling group-stopped after the detach, holding the test's pipes open.
func ptraceAttach(pid int) error {
	runtime.LockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		return err
	}
	if err := unix.PtraceInterrupt(pid); err != nil {
		return fmt.Errorf("PTRACE_INTERRUPT: %v", err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return fmt.Errorf("wait: %v", err)
	}
	return unix.PtraceDetach(pid)
}

func escapePtraceCases() []Case {
	return []Case{
		{ID: "escape/ptrace/sibling-pledge", Sandbox: pledged(everything), Op: siblingOp("ptrace attach sibling", ptraceAttach).c("sibling-ptrace"), Plain: ok, OpenBSD: killed},
		// Landlock alone: a sandboxed process may not trace one outside
		// its domain (Landlock's ptrace hook, every ABI); OpenBSD's unveil
		// does not restrict ptrace.
		{ID: "escape/ptrace/sibling-unveil", Sandbox: unveiled("d", "r"), Op: siblingOp("ptrace attach sibling", ptraceAttach).c("sibling-ptrace"), Plain: ok, OpenBSD: ok, Linux: "EPERM"},
	}
}

var vmBuf = make([]byte, 8)

func processVMWritevSelf(*Fixture) error {
	src := []byte("escaped!")
	local := []unix.Iovec{{Base: &src[0], Len: uint64(len(src))}}
	remote := []unix.RemoteIovec{{Base: uintptr(unsafe.Pointer(&vmBuf[0])), Len: len(vmBuf)}}
	_, err := unix.ProcessVMWritev(unix.Getpid(), local, remote, 0)
	return err
}

// procSelfMemWrite opens /proc/self/mem for writing and writes into this
// process's own memory.
func procSelfMemWrite(*Fixture) error {
	fd, err := unix.Open("/proc/self/mem", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Pwrite(fd, []byte("escaped!"), int64(uintptr(unsafe.Pointer(&vmBuf[0]))))
	return err
}

func procSelfMemOp() Op { return simple("write /proc/self/mem", procSelfMemWrite).c("proc-self-mem") }

func escapeProcessMemoryCases() []Case {
	return []Case{
		{ID: "escape/process_vm_writev/self", Sandbox: pledged(everything), Op: simple("process_vm_writev self", processVMWritevSelf).c("vm-writev-self"), Plain: ok, OpenBSD: killed},
		{ID: "escape/proc-self-mem/pledge", Sandbox: pledged("stdio rpath"), Op: procSelfMemOp(), Plain: ok, OpenBSD: killed, Linux: "EACCES"},
		{ID: "escape/proc-self-mem/unveil", Sandbox: Sandbox{Unveil: []Veil{{"d", "rwc"}}, Pledges: []string{everything}},
			Op: procSelfMemOp(), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		// With wpath and no unveil nothing stands between the process and
		// its own memory file: OpenBSD has no /proc.
		{ID: "escape/proc-self-mem/wpath-no-unveil", Sandbox: pledged(everything),
			Op: procSelfMemOp(), Plain: ok, OpenBSD: "ENOENT", Linux: ok},
	}
}

func escapeUserfaultfdCases() []Case {
	const uffdUserModeOnly = 1 // UFFD_USER_MODE_ONLY: allowed unprivileged
	return []Case{
		{ID: "escape/userfaultfd", Sandbox: pledged(everything),
			Op:    rawFdOp("userfaultfd", unix.SYS_USERFAULTFD, unix.O_CLOEXEC|uffdUserModeOnly),
			Plain: ok, OpenBSD: killed},
	}
}

func escapePersonalityCases() []Case {
	const readImpliesExec = 0x0400000 // READ_IMPLIES_EXEC, include/uapi/linux/personality.h
	return []Case{
		{ID: "escape/personality/read-implies-exec", Sandbox: pledged(everything),
			Op: rawOp("personality(READ_IMPLIES_EXEC)", unix.SYS_PERSONALITY, readImpliesExec), Plain: ok, OpenBSD: killed},
	}
}

var stiByte = byte('x')

func escapeTIOCSTICases() []Case {
	var sub = byte(2) // TIOCL_SETSEL-like subcode; any subcode is refused on a pty
	return []Case{
		// Plain success depends on CAP_SYS_ADMIN and dev.tty.legacy_tiocsti.
		{ID: "escape/tiocsti", Sandbox: pledged("stdio tty"), Op: ptyOp("ioctl TIOCSTI", ioctlOp("TIOCSTI", unix.TIOCSTI, unsafe.Pointer(&stiByte))),
			Plain: "*", OpenBSD: killed},
		{ID: "escape/tioclinux", Sandbox: pledged("stdio tty"), Op: ptyOp("ioctl TIOCLINUX", ioctlOp("TIOCLINUX", unix.TIOCLINUX, unsafe.Pointer(&sub))),
			Plain: "*", OpenBSD: killed},
	}
}

// memfdExec copies the probe into a memfd and execveat()s it with
// AT_EMPTY_PATH: a program that never had a path, so Landlock's EXECUTE
// right (checked on the file's path) has nothing to check. On success the
// probe replaces this process and reports "ok" itself.
func memfdExec(fx *Fixture) error {
	fd, err := unix.MemfdCreate("probe", unix.MFD_CLOEXEC)
	if err != nil {
		return err
	}
	if _, err := unix.Write(fd, probeImage); err != nil {
		return fmt.Errorf("write memfd: %v", err)
	}
	argv0, _ := unix.BytePtrFromString("probe")
	argv1, _ := unix.BytePtrFromString("report")
	argv := []*byte{argv0, argv1, nil}
	envv := []*byte{nil}
	empty, _ := unix.BytePtrFromString("")
	_, _, e := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
	return e
}

// probeImage is the probe's bytes, read before the sandbox.
var probeImage []byte

func readProbe(*Fixture) (err error) {
	probeImage, err = os.ReadFile(os.Getenv(envProbe))
	return err
}

func escapeMemfdExecCases() []Case {
	op := Op{Name: "memfd_create+execveat", Pre: readProbe, Fn: memfdExec, C: []string{"memfd-exec"}}
	return []Case{
		{ID: "escape/memfd-exec/pledge", Sandbox: pledged(everything), Op: op, Plain: ok, OpenBSD: killed},
		// Unveil alone does not stop it (no x anywhere, yet the memfd runs):
		// memfds live on an internal mount Landlock does not restrict.
		{ID: "escape/memfd-exec/unveil-only", Sandbox: unveiled("d", "rwc"), Op: op,
			Plain: ok, OpenBSD: "EACCES", Linux: ok},
	}
}

func escapeKernelInterfacesCases() []Case {
	const (
		bpfMapCreate          = 0
		keyctlGetKeyringID    = 0
		keySpecProcessKeyring = ^uintptr(1) // -2
	)
	nowhere, _ := unix.BytePtrFromString("/nonexistent-compat")
	return []Case{
		{ID: "escape/bpf", Sandbox: pledged(everything), Op: rawOp("bpf(BPF_MAP_CREATE, NULL, 0)", unix.SYS_BPF, bpfMapCreate, 0, 0), Plain: "*", OpenBSD: killed},
		{ID: "escape/keyctl", Sandbox: pledged(everything), Op: rawOp("keyctl(GET_KEYRING_ID, PROCESS, create)", unix.SYS_KEYCTL, keyctlGetKeyringID, keySpecProcessKeyring, 1), Plain: ok, OpenBSD: killed},
		{ID: "escape/add_key", Sandbox: pledged(everything), Op: rawOp("add_key(NULL...)", unix.SYS_ADD_KEY, 0, 0, 0, 0, 0), Plain: "*", OpenBSD: killed},
		{ID: "escape/kexec_load", Sandbox: pledged(everything), Op: rawOp("kexec_load(0,0,NULL,0)", unix.SYS_KEXEC_LOAD, 0, 0, 0, 0), Plain: "*", OpenBSD: killed},
		// Harmless arguments: the plain call fails on the missing path
		// or the missing privilege; the filter decides on the number.
		{ID: "escape/mount", Sandbox: pledged(everything), Op: rawOp("mount(NULL, /nonexistent, NULL, MS_REMOUNT)", unix.SYS_MOUNT, 0, uintptr(unsafe.Pointer(nowhere)), 0, unix.MS_REMOUNT, 0).c("mount-nowhere"), Plain: "*", OpenBSD: killed},
		{ID: "escape/umount2", Sandbox: pledged(everything), Op: rawOp("umount2(/nonexistent)", unix.SYS_UMOUNT2, uintptr(unsafe.Pointer(nowhere)), 0).c("umount2-nowhere"), Plain: "*", OpenBSD: killed},
		{ID: "escape/unshare", Sandbox: pledged(everything), Op: rawOp("unshare(CLONE_NEWUTS)", unix.SYS_UNSHARE, unix.CLONE_NEWUTS), Plain: "*", OpenBSD: killed},
		{ID: "escape/setns", Sandbox: pledged(everything), Op: setnsOp(), Plain: "*", OpenBSD: killed},
		{ID: "escape/open_by_handle_at", Sandbox: pledged(everything), Op: openByHandleOp(), Plain: "*", OpenBSD: killed},
	}
}

// underEverything pledges everything with execpromises everything: an
// exec'd probe runs under the same filter (without execpromises it would
// run unpledged, as on OpenBSD).
var underEverything = Sandbox{Pledges: []string{everything}, Exec: str(everything)}

func escapeCloneNamespacesCases() []Case {
	return []Case{
		// The probe, exec'd under execpromises "everything" (so that it
		// runs under the filter), clones with CLONE_NEWUSER; plain
		// success depends on user namespace policy.
		{ID: "escape/clone/newuser", Sandbox: underEverything, Op: probeOp("d/x", "clone-newuser"), Plain: "*", OpenBSD: "child:SIGSYS"},
		// clone3's flags are behind a pointer the filter cannot read: it
		// must fail with ENOSYS so libc falls back to clone, which is
		// checked (issue 3).
		{ID: "escape/clone3/newuser", Sandbox: underEverything, Op: probeOp("d/x", "clone3-newuser"), Plain: "*", OpenBSD: "child:ENOSYS"},
	}
}

func setnsOp() Op {
	return Op{
		Name: "setns(/proc/self/ns/uts)",
		Pre: func(fx *Fixture) error {
			fd, err := unix.Open("/proc/self/ns/uts", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			fx.Fds["ns"] = fd
			return err
		},
		Fn: func(fx *Fixture) error { return unix.Setns(fx.Fds["ns"], unix.CLONE_NEWUTS) },
		C:  []string{"setns-uts"},
	}
}

// openByHandleOp gets a handle for d/f before the sandbox (name_to_handle_at
// needs no privilege) and opens it afterwards: open_by_handle_at bypasses
// every path check, hence CAP_DAC_READ_SEARCH plainly and never under pledge.
func openByHandleOp() Op {
	var h unix.FileHandle
	return Op{
		Name: "open_by_handle_at",
		Pre: func(fx *Fixture) error {
			var err error
			h, _, err = unix.NameToHandleAt(unix.AT_FDCWD, fx.path("d/f"), 0)
			if err != nil {
				return err
			}
			fd, err := unix.Open(fx.Root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			fx.Fds["mount"] = fd
			return err
		},
		Fn: func(fx *Fixture) error {
			fd, err := unix.OpenByHandleAt(fx.Fds["mount"], h, unix.O_RDONLY|unix.O_CLOEXEC)
			if err == nil {
				unix.Close(fd)
			}
			return err
		},
		C: []string{"open-by-handle"},
	}
}

func escapeRenameLinkCases() []Case {
	return []Case{
		{ID: "escape/rename/out", Sandbox: unveiled("d", "rwc"), Op: renameOp("d/f", "e/f"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		{ID: "escape/rename/in", Sandbox: unveiled("d", "rwc"), Op: renameOp("e/h", "d/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		{ID: "escape/link/out", Sandbox: unveiled("d", "rwc"), Op: linkOp("d/f", "e/l"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		// Linking a file from outside into the tree is refused as a
		// reparenting (Landlock REFER): EXDEV, where rename says EACCES.
		{ID: "escape/link/in", Sandbox: unveiled("d", "rwc"), Op: linkOp("e/h", "d/l"), Plain: ok, OpenBSD: "ENOENT", Linux: "EXDEV"},
		{ID: "escape/rename/to-readonly", Sandbox: unveiled("d", "rwc", "e", "rw"), Op: renameOp("d/f", "e/f"), Plain: ok, OpenBSD: "EACCES"},
		{ID: "escape/rename/between-unveiled", Sandbox: unveiled("d", "rwc", "e", "rwc"), Op: renameOp("d/f", "e/f"), Plain: ok, OpenBSD: ok},
		{ID: "escape/link/between-unveiled", Sandbox: unveiled("d", "rwc", "e", "rwc"), Op: linkOp("d/f", "e/l"), Plain: ok, OpenBSD: ok},
	}
}

func escapeSymlinkCases() []Case {
	return []Case{
		{ID: "escape/symlink/existing-out", Sandbox: unveiled("d", "r"), Op: readOp("d/lnk"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		{ID: "escape/symlink/made-out", Sandbox: unveiled("d", "rwc"),
			Op: then(symlinkOp("../e/h", "d/s"), readOp("d/s")), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		{ID: "escape/symlink/absolute-out", Sandbox: unveiled("d", "rwc"),
			Op: simple("symlink d/s -> abs e/h; open d/s", func(fx *Fixture) error {
				return then(symlinkOp(fx.path("e/h"), "d/s"), readOp("d/s")).Fn(fx)
			}).c(cSub([]string{"then"}, symlinkOp("e/h", "d/s").c("symlink-abs", "e/h", "d/s"), readOp("d/s"))...),
			Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	}
}

func escapeDotdotCases() []Case {
	return []Case{
		{ID: "escape/dotdot/dirfd", Sandbox: unveiled("d", "r"), Op: openatOp("d", "../e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		{ID: "escape/dotdot/dirfd-before", Sandbox: unveiled("d", "r"), Op: openatPreOp("d", "../e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
		{ID: "escape/dotdot/deep", Sandbox: unveiled("d/sub", "r"), Op: openatOp("d/sub", "../../e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	}
}

// abstractListener binds a listening abstract unix socket before the
// sandbox: its owner is outside the sandbox's Landlock domain.
func abstractConnect() Op {
	var name string
	return Op{
		Name: "connect abstract unix socket bound outside",
		Pre: func(fx *Fixture) error {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			name = fmt.Sprintf("@landpledge-compat-%d", unix.Getpid())
			if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
				return err
			}
			fx.Fds["listener"] = fd
			return unix.Listen(fd, 1)
		},
		Fn: func(fx *Fixture) error {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("setup: %v", err)
			}
			defer unix.Close(fd)
			return unix.Connect(fd, &unix.SockaddrUnix{Name: name})
		},
		C: []string{"abstract-connect"},
	}
}

func escapeScopingCases() []Case {
	sandboxUnix := Sandbox{Unveil: []Veil{{"d", "r"}}, Pledges: []string{"stdio unix proc"}}
	return []Case{
		// OpenBSD has no abstract unix sockets: under a veil every unix
		// socket is an unveiled path. The veil scopes the abstract
		// namespace (Landlock ABI 6), so a socket bound outside the
		// sandbox is out of reach (EPERM).
		{ID: "escape/abstract-unix/outside", Sandbox: sandboxUnix, Op: abstractConnect(), Plain: ok, OpenBSD: "EPERM"},
		{ID: "escape/signal/outside-stdio", Sandbox: pledged("stdio"), Op: siblingOp("kill(sibling, SIGCONT)", sigcont).c("sibling-sigcont"), Plain: ok, OpenBSD: killed},
		// "proc" allows signalling any process the user may signal, on
		// OpenBSD as here (no Landlock signal scoping on purpose).
		{ID: "escape/signal/outside-proc", Sandbox: sandboxUnix, Op: siblingOp("kill(sibling, SIGCONT)", sigcont).c("sibling-sigcont"), Plain: ok, OpenBSD: ok},
		{ID: "escape/signal/self", Sandbox: sandboxUnix, Op: simple("kill(self, SIGCONT)", func(*Fixture) error { return unix.Kill(unix.Getpid(), unix.SIGCONT) }).c("kill-self-sigcont"), Plain: ok, OpenBSD: ok},
	}
}

func sigcont(pid int) error { return unix.Kill(pid, unix.SIGCONT) }

func escapeInheritedFdsCases() []Case {
	return []Case{
		// Documented: a descriptor opened before the sandbox keeps working
		// (OpenBSD and Landlock both check at open time).
		{ID: "escape/fd-before/unveil", Sandbox: unveiled("d", "r"), Op: preFileRead("e/h"), Plain: ok, OpenBSD: ok},
		{ID: "escape/fd-before/pledge", Sandbox: pledged("stdio"), Op: preFileRead("e/h"), Plain: ok, OpenBSD: ok},
		{ID: "escape/dirfd-before/unveil", Sandbox: unveiled("d", "r"), Op: openatPreOp("e", "h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	}
}

func TestEscapeX32(t *testing.T) { runCases(t, escapeX32Cases()) }

func TestEscapeIOUring(t *testing.T) { runCases(t, escapeIOUringCases()) }

func TestEscapePtrace(t *testing.T) { runCases(t, escapePtraceCases()) }

func TestEscapeProcessMemory(t *testing.T) { runCases(t, escapeProcessMemoryCases()) }

func TestEscapeUserfaultfd(t *testing.T) { runCases(t, escapeUserfaultfdCases()) }

func TestEscapePersonality(t *testing.T) { runCases(t, escapePersonalityCases()) }

func TestEscapeTIOCSTI(t *testing.T) { runCases(t, escapeTIOCSTICases()) }

func TestEscapeMemfdExec(t *testing.T) { runCases(t, escapeMemfdExecCases()) }

func TestEscapeKernelInterfaces(t *testing.T) { runCases(t, escapeKernelInterfacesCases()) }

func TestEscapeCloneNamespaces(t *testing.T) { runCases(t, escapeCloneNamespacesCases()) }

func TestEscapeRenameLink(t *testing.T) { runCases(t, escapeRenameLinkCases()) }

func TestEscapeSymlink(t *testing.T) { runCases(t, escapeSymlinkCases()) }

func TestEscapeDotdot(t *testing.T) { runCases(t, escapeDotdotCases()) }

func TestEscapeScoping(t *testing.T) { runCases(t, escapeScopingCases()) }

func TestEscapeInheritedFds(t *testing.T) { runCases(t, escapeInheritedFdsCases()) }

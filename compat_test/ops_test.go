package compat_test

// Operations the case tables use. Each returns the raw error (errno-wrapping)
// of the one call it is about; setup failures inside an op are reported as
// "error:..." outcomes, which no table expects.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/pledge"
)

func openOp(name string, flags int) Op {
	return Op{Name: fmt.Sprintf("open(%s, %#x)", name, flags), Fn: func(fx *Fixture) error {
		fd, err := unix.Open(fx.path(name), flags|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}, C: []string{"open", name, strconv.Itoa(flags)}}
}

func readOp(name string) Op   { return openOp(name, unix.O_RDONLY) }
func writeOp(name string) Op  { return openOp(name, unix.O_WRONLY) }
func createOp(name string) Op { return openOp(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL) }

func simple(name string, fn func(fx *Fixture) error) Op { return Op{Name: name, Fn: fn} }

// c gives o its words for the C driver (Op.C).
func (o Op) c(words ...string) Op {
	o.C = words
	return o
}

// cSub is the words of a combinator over ops, nil when one of them has
// none (the combination is then not driven from C).
func cSub(head []string, ops ...Op) []string {
	words := append([]string{}, head...)
	for _, o := range ops {
		if o.C == nil {
			return nil
		}
		words = append(words, o.C...)
	}
	return words
}

func unlinkOp(name string) Op {
	return simple("unlink "+name, func(fx *Fixture) error { return unix.Unlink(fx.path(name)) }).c("unlink", name)
}
func mkdirOp(name string) Op {
	return simple("mkdir "+name, func(fx *Fixture) error { return unix.Mkdir(fx.path(name), 0o755) }).c("mkdir", name)
}
func rmdirOp(name string) Op {
	return simple("rmdir "+name, func(fx *Fixture) error { return unix.Rmdir(fx.path(name)) }).c("rmdir", name)
}
func renameOp(from, to string) Op {
	return simple("rename "+from+" "+to, func(fx *Fixture) error { return unix.Rename(fx.path(from), fx.path(to)) }).c("rename", from, to)
}
func linkOp(from, to string) Op {
	return simple("link "+from+" "+to, func(fx *Fixture) error { return unix.Link(fx.path(from), fx.path(to)) }).c("link", from, to)
}
func symlinkOp(target, name string) Op {
	return simple("symlink "+target+" "+name, func(fx *Fixture) error { return unix.Symlink(target, fx.path(name)) }).c("symlink", target, name)
}
func mkfifoOp(name string) Op {
	return simple("mkfifo "+name, func(fx *Fixture) error { return unix.Mkfifo(fx.path(name), 0o644) }).c("mkfifo", name)
}
func truncateOp(name string) Op {
	return simple("truncate "+name, func(fx *Fixture) error { return unix.Truncate(fx.path(name), 1) }).c("truncate", name)
}
func statOp(name string) Op {
	return simple("stat "+name, func(fx *Fixture) error {
		var st unix.Stat_t
		return unix.Stat(fx.path(name), &st)
	}).c("stat", name)
}
func chmodOp(name string) Op {
	return simple("chmod "+name, func(fx *Fixture) error { return unix.Chmod(fx.path(name), 0o600) }).c("chmod", name)
}
func chdirOp(name string) Op {
	return simple("chdir "+name, func(fx *Fixture) error { return unix.Chdir(fx.path(name)) }).c("chdir", name)
}
func accessOp(name string, mode uint32, modeName string) Op {
	return simple("access "+name+" "+modeName, func(fx *Fixture) error { return unix.Access(fx.path(name), mode) }).
		c("access", name, strconv.Itoa(int(mode)))
}

// realpathOp resolves name in user space (lstat + readlink), which is all
// realpath(3) is on Linux.
func realpathOp(name string) Op {
	return simple("realpath "+name, func(fx *Fixture) error {
		_, err := filepath.EvalSymlinks(fx.path(name))
		return err
	}).c("realpath", name)
}

// readdirOp lists a directory: open(O_DIRECTORY) then getdents64.
func readdirOp(name string) Op {
	return simple("readdir "+name, func(fx *Fixture) error {
		fd, err := unix.Open(fx.path(name), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		buf := make([]byte, 4096)
		_, err = unix.Getdents(fd, buf)
		return err
	}).c("readdir", name)
}

// openatOp opens rel relative to a directory fd opened by the op itself,
// after the sandbox is in force.
func openatOp(dir, rel string) Op {
	return simple("openat("+dir+", "+rel+")", func(fx *Fixture) error {
		dfd, err := unix.Open(fx.path(dir), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("setup: %v", err)
		}
		defer unix.Close(dfd)
		fd, err := unix.Openat(dfd, rel, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}).c("openat", dir, rel)
}

// preDirfd opens dir before the sandbox; fn runs after it with that fd.
func preDirfd(name, dir string, fn func(dfd int) error) Op {
	return Op{
		Name: name,
		Pre: func(fx *Fixture) error {
			fd, err := unix.Open(fx.path(dir), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			fx.Fds["dir"] = fd
			return err
		},
		Fn: func(fx *Fixture) error { return fn(fx.Fds["dir"]) },
	}
}

func openatPreOp(dir, rel string) Op {
	return preDirfd("openat(fd of "+dir+" opened before, "+rel+")", dir, func(dfd int) error {
		fd, err := unix.Openat(dfd, rel, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}).c("openat-pre", dir, rel)
}

func fchdirPreOp(dir, rel string) Op {
	return preDirfd("fchdir(fd of "+dir+" opened before); open "+rel, dir, func(dfd int) error {
		if err := unix.Fchdir(dfd); err != nil {
			return fmt.Errorf("fchdir: %v", err)
		}
		fd, err := unix.Open(rel, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}).c("fchdir-pre", dir, rel)
}

// chdirThenOpen changes into dir, then opens rel (e.g. "../e/h").
func chdirThenOpen(dir, rel string) Op {
	return simple("chdir "+dir+"; open "+rel, func(fx *Fixture) error {
		if err := unix.Chdir(fx.path(dir)); err != nil {
			return fmt.Errorf("chdir: %v", err)
		}
		fd, err := unix.Open(rel, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}).c("chdir-open", dir, rel)
}

// preFileRead opens name for reading before the sandbox and reads it after.
func preFileRead(name string) Op {
	return Op{
		Name: "read fd of " + name + " opened before",
		Pre: func(fx *Fixture) error {
			fd, err := unix.Open(fx.path(name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			fx.Fds["file"] = fd
			return err
		},
		Fn: func(fx *Fixture) error {
			_, err := unix.Pread(fx.Fds["file"], make([]byte, 8), 0)
			return err
		},
		C: []string{"pre-read", name},
	}
}

// probeOp runs the probe program at name (fixture-relative) with args.
func probeOp(name string, args ...string) Op {
	return simple(fmt.Sprintf("exec %s %v", name, args), func(fx *Fixture) error {
		return run(fx.path(name), args...)
	}).c(append([]string{"probe", name, strconv.Itoa(len(args))}, args...)...)
}

func unveilOp(path, perms string) Op {
	return simple(fmt.Sprintf("Unveil(%s, %q)", path, perms), func(fx *Fixture) error {
		return pledge.Unveil(fx.path(path), perms)
	}).c("unveil", path, perms)
}

func unveilBlockOp() Op {
	return simple("UnveilBlock()", func(*Fixture) error { return pledge.UnveilBlock() }).c("unveil-block")
}

func pledgeOp(promises string) Op {
	return simple(fmt.Sprintf("PledgePromises(%q)", promises), func(*Fixture) error { return pledge.PledgePromises(promises) }).
		c("pledge", promises)
}

func pledgeBothOp(promises, exec string) Op {
	return simple(fmt.Sprintf("Pledge(%q, %q)", promises, exec), func(*Fixture) error { return pledge.Pledge(promises, exec) }).
		c("pledge2", promises, exec)
}

func execpromisesOp(exec string) Op {
	return simple(fmt.Sprintf("PledgeExecpromises(%q)", exec), func(*Fixture) error { return pledge.PledgeExecpromises(exec) }).
		c("execpromises", exec)
}

// then runs a after b succeeded; a's setup failure is reported as such.
func then(first, second Op) Op {
	return Op{Name: first.Name + "; " + second.Name, Pre: first.Pre, Fn: func(fx *Fixture) error {
		if err := first.Fn(fx); err != nil {
			return fmt.Errorf("first step %s: %v", first.Name, err)
		}
		return second.Fn(fx)
	}, C: cSub([]string{"then"}, first, second)}
}

func socketOp(domain, typ int, name string) Op {
	return simple("socket "+name, func(*Fixture) error {
		fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}).c("socket", strconv.Itoa(domain), strconv.Itoa(typ))
}

func getpidOp() Op {
	return simple("getpid", func(*Fixture) error {
		if unix.Getpid() <= 0 {
			return fmt.Errorf("bad pid")
		}
		return nil
	}).c("getpid")
}

// killParentOp signals the parent (the test runner, outside the sandbox)
// with signal 0: no signal is delivered, only the permission is checked.
func killParentOp() Op {
	return simple("kill(getppid(), 0)", func(*Fixture) error { return unix.Kill(unix.Getppid(), 0) }).c("kill-parent")
}

func setpgidOp() Op {
	return simple("setpgid(0, 0)", func(*Fixture) error { return unix.Setpgid(0, 0) }).c("setpgid")
}

// mmapOp maps one anonymous page with prot.
func mmapOp(prot int, name string) Op {
	return simple("mmap "+name, func(*Fixture) error {
		b, err := unix.Mmap(-1, 0, 4096, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err == nil {
			unix.Munmap(b)
		}
		return err
	}).c("mmap", strconv.Itoa(prot))
}

// setuidSelfOp calls setuid(getuid()) on this thread only (a raw syscall:
// Go's Setuid would run it on every thread, which is the same to seccomp).
func setuidSelfOp() Op {
	return simple("setuid(getuid())", func(*Fixture) error {
		_, _, e := unix.RawSyscall(unix.SYS_SETUID, uintptr(unix.Getuid()), 0, 0)
		if e != 0 {
			return e
		}
		return nil
	}).c("setuid-self")
}

func flockOp(name string) Op {
	return simple("flock "+name, func(fx *Fixture) error {
		return withFd(fx, name, unix.O_RDONLY, func(fd int) error { return unix.Flock(fd, unix.LOCK_EX) })
	}).c("flock", name)
}

func fcntlLockOp(name string) Op {
	return simple("fcntl F_SETLK "+name, func(fx *Fixture) error {
		return withFd(fx, name, unix.O_RDWR, func(fd int) error {
			lk := unix.Flock_t{Type: unix.F_WRLCK}
			return unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk)
		})
	}).c("fcntl-lock", name)
}

// withFd opens name before the sandbox would matter: it is opened inside
// the op, so callers pair it with the promises that allow the open.
func withFd(fx *Fixture, name string, flags int, fn func(fd int) error) error {
	fd, err := unix.Open(fx.path(name), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("setup open: %v", err)
	}
	defer unix.Close(fd)
	return fn(fd)
}

func utimesOp(name string) Op {
	return simple("utimes "+name, func(fx *Fixture) error {
		return unix.UtimesNano(fx.path(name), []unix.Timespec{{Sec: 1}, {Sec: 1}})
	}).c("utimes", name)
}

func fchownSelfOp(name string) Op {
	return simple("chown "+name+" to own uid", func(fx *Fixture) error {
		return unix.Chown(fx.path(name), os.Getuid(), os.Getgid())
	}).c("chown-self", name)
}

// ptyOp opens a pseudo-terminal pair before the sandbox and runs fn on the
// terminal side after it.
func ptyOp(name string, fn func(tty int) error) Op {
	return Op{
		Name: name,
		Pre: func(fx *Fixture) error {
			m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
				return err
			}
			// TIOCGPTPEER opens the peer without a path lookup.
			s, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
			if e != 0 {
				return e
			}
			fx.Fds["ptmx"], fx.Fds["tty"] = m, int(s)
			return nil
		},
		Fn: func(fx *Fixture) error { return fn(fx.Fds["tty"]) },
		C:  []string{"pty-ioctl", strings.TrimPrefix(name, "ioctl ")},
	}
}

func ioctlOp(name string, req uint, arg unsafe.Pointer) func(tty int) error {
	return func(tty int) error {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(tty), uintptr(req), uintptr(arg))
		if e != 0 {
			return e
		}
		return nil
	}
}

var _ = syscall.Errno(0)

// errnoFromRaw turns a raw kernel return (-errno) into an error.
func errnoFromRaw(r int64) error {
	if r < 0 {
		return syscall.Errno(-r)
	}
	return fmt.Errorf("unexpected return %d", r)
}

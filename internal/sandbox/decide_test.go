package sandbox

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/seccomp"
)

const testPid = 4242

func layerFor(t *testing.T, p Policy) Layer {
	t.Helper()
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c.Layer(testPid)
}

// stopOf is a seccomp stop of syscall nr with args, its SECCOMP_RET_DATA
// set to tag (what the tracee's own filter could choose).
func stopOf(nr uint64, tag uint32, starting bool, args ...uint64) *supervise.Stop {
	st := &supervise.Stop{Pid: testPid, Tgid: testPid, Starting: starting}
	st.Info = supervise.SyscallInfo{Op: unix.PTRACE_SYSCALL_INFO_SECCOMP, Arch: seccomp.Native().AuditArch, Nr: nr, RetData: tag}
	copy(st.Info.Args[:], args)
	return st
}

// TestDecideIgnoresTags: the decision comes from running the process's own
// filters on the call, whatever SECCOMP_RET_DATA the stop carries: a
// socket under "stdio" is a violation with every tag (the loader's
// included), a read is allowed with every tag (the stop came from the
// tracee's own filter), and an open for reading is a loader operation
// only while starting.
func TestDecideIgnoresTags(t *testing.T) {
	cmd := layerFor(t, Policy{Promises: mustParse(t, "stdio"), Report: true})
	img := &Image{files: map[fileID]bool{}}
	for _, tag := range []uint32{0, uint32(violationTag), uint32(loaderTag), 3, 0xffff} {
		for _, starting := range []bool{false, true} {
			var violations int
			d := &Decider{
				Arch: seccomp.Native(),
				Proc: func(any) *Proc { return &Proc{Layers: []Layer{cmd}, Image: img} },
				OnViolation: func(*supervise.Stop) supervise.Verdict {
					violations++
					return supervise.Deny
				},
			}
			cases := []struct {
				name      string
				st        *supervise.Stop
				verdict   supervise.Verdict
				violation bool
				checkFd   bool
				errno     unix.Errno
			}{
				{"socket", stopOf(unix.SYS_SOCKET, tag, starting, unix.AF_INET, unix.SOCK_STREAM), supervise.Deny, true, false, 0},
				{"connect", stopOf(unix.SYS_CONNECT, tag, starting, 3, 0x1000, 16), supervise.Deny, true, false, 0},
				{"kill-other", stopOf(unix.SYS_KILL, tag, starting, 1, uint64(unix.SIGTERM)), supervise.Deny, true, false, 0},
				{"ioctl-tiocsti", stopOf(unix.SYS_IOCTL, tag, starting, 0, unix.TIOCSTI), supervise.Deny, true, false, 0},
				{"read", stopOf(unix.SYS_READ, tag, starting, 0, 0x1000, 1), supervise.Allow, false, false, 0},
				{"openat-read", stopOf(unix.SYS_OPENAT, tag, starting, uint64(1<<32-100), 0x1000, unix.O_RDONLY), map[bool]supervise.Verdict{true: supervise.Allow, false: supervise.Deny}[starting], !starting, starting, 0},
				{"mmap-anon-exec", stopOf(unix.SYS_MMAP, tag, starting, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, uint64(1<<64-1)), supervise.Deny, true, false, 0},
			}
			for _, c := range cases {
				before := violations
				dec := d.Seccomp(c.st)
				if dec.Verdict != c.verdict || (violations > before) != c.violation || (dec.AtExit != nil) != c.checkFd || dec.Errno != c.errno {
					t.Errorf("tag %d starting=%v %s: %+v (violation reported: %v), want verdict %v violation %v checkFd %v errno %v",
						tag, starting, c.name, dec, violations > before, c.verdict, c.violation, c.checkFd, c.errno)
				}
			}
		}
	}
}

// TestDecideForeignArch: a stop whose arch is not the native one is never
// ours (the filters kill every other arch): the process is killed.
func TestDecideForeignArch(t *testing.T) {
	cmd := layerFor(t, Policy{Promises: mustParse(t, "stdio"), Report: true})
	d := &Decider{Arch: seccomp.Native(), Proc: func(any) *Proc { return &Proc{Layers: []Layer{cmd}} }}
	st := stopOf(3, uint32(loaderTag), true)
	st.Info.Arch = unix.AUDIT_ARCH_I386
	if dec := d.Seccomp(st); dec.Verdict != supervise.Kill {
		t.Errorf("i386 stop: %+v, want Kill", dec)
	}
	if dec := (&Decider{Arch: seccomp.Native(), Proc: func(any) *Proc { return nil }}).Seccomp(stopOf(unix.SYS_READ, 0, false)); dec.Verdict != supervise.Kill {
		t.Errorf("unknown process: %+v, want Kill", dec)
	}
}

// TestDecideLibrary: under the library's filters (violations are the
// kernel's), a loader operation after start-up gets exactly what the
// filters give it without the loader tags: EACCES for an open (the
// fallback), a kill with the filters' own kill number for a code mapping;
// stacked filters answer as the kernel's stack does (the narrowest).
func TestDecideLibrary(t *testing.T) {
	wide := layerFor(t, Policy{Promises: mustParse(t, "stdio rpath prot_exec")})
	narrow := layerFor(t, Policy{Promises: mustParse(t, "stdio")})
	d := &Decider{Arch: seccomp.Native(), Proc: func(any) *Proc { return &Proc{Layers: []Layer{wide, narrow}} }}
	fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	open := d.Seccomp(stopOf(unix.SYS_OPENAT, uint32(loaderTag), false, uint64(1<<32-100), 0x1000, unix.O_RDONLY))
	if open.Verdict != supervise.Deny || open.Errno != unix.EACCES {
		t.Errorf("open after start-up: %+v, want Deny EACCES", open)
	}
	mmap := d.Seccomp(stopOf(unix.SYS_MMAP, uint32(loaderTag), false, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE, uint64(fd)))
	nr, _ := seccomp.Native().BadArchNr()
	if mmap.Verdict != supervise.Kill || mmap.KillNr != uint64(nr) {
		t.Errorf("code mapping after start-up: %+v, want Kill through %d", mmap, nr)
	}
	one := &Decider{Arch: seccomp.Native(), Proc: func(any) *Proc { return &Proc{Layers: []Layer{wide}} }}
	if dec := one.Seccomp(stopOf(unix.SYS_OPENAT, 0, false, uint64(1<<32-100), 0x1000, unix.O_RDONLY)); dec.Verdict != supervise.Allow {
		t.Errorf("open under rpath alone: %+v, want Allow", dec)
	}
}

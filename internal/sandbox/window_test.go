package sandbox

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/seccomp"
)

func statID(t *testing.T, path string) fileID {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return idOf(&st)
}

func TestParseMapsLine(t *testing.T) {
	m, ok := parseMapsLine("7f2a1c000000-7f2a1c021000 r-xp 00002000 fd:01 1315   /usr/lib/x86_64-linux-gnu/libc.so.6")
	want := mapping{start: 0x7f2a1c000000, end: 0x7f2a1c021000, dev: unix.Mkdev(0xfd, 1), ino: 1315}
	if !ok || m != want {
		t.Errorf("got %+v %v, want %+v", m, ok, want)
	}
	if _, ok := parseMapsLine("7f2a1c000000-7f2a1c021000 rw-p 00000000 00:00 0"); !ok {
		t.Error("an anonymous mapping does not parse")
	}
	for _, bad := range []string{"", "xyz-1 r-xp 0 fd:01 1", "1-2 r-xp 0 fd01 1", "1-2 r-xp 0 fd:01 x"} {
		if _, ok := parseMapsLine(bad); ok {
			t.Errorf("%q parses", bad)
		}
	}
}

// The window's checks read the kernel's view of this very process: a
// descriptor is one of the image's files by identity, whatever its name;
// a range is covered only by mappings of the image's files.
func TestWindowChecks(t *testing.T) {
	dir := t.TempDir()
	own, other := filepath.Join(dir, "own.so"), filepath.Join(dir, "other.so")
	for _, p := range []string{own, other} {
		if err := os.WriteFile(p, make([]byte, 3*4096), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	im := &Image{files: map[fileID]bool{statID(t, own): true}}
	pid := os.Getpid()
	proc := "/proc/" + strconv.Itoa(pid)
	openFd := func(p string) int {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return fd
	}
	ownFd, linkFd, otherFd := openFd(own), openFd(link), openFd(other)
	for fd, want := range map[int]bool{ownFd: true, linkFd: true, otherFd: false} {
		if got := im.hasFd(strconv.Itoa(pid), strconv.Itoa(fd)); got != want {
			t.Errorf("hasFd(%d) = %v, want %v", fd, got, want)
		}
	}
	mapped := func(fd int) []byte {
		b, err := unix.Mmap(fd, 0, 3*4096, unix.PROT_READ, unix.MAP_PRIVATE)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Munmap(b) })
		return b
	}
	ownMap, otherMap := mapped(ownFd), mapped(otherFd)
	anon, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(anon)
	addr := func(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }
	for _, c := range []struct {
		name       string
		addr, size uint64
		want       bool
	}{
		{"own", addr(ownMap), 3 * 4096, true},
		{"own-part", addr(ownMap) + 4096, 100, true},
		{"own-beyond", addr(ownMap), 4 * 4096, false},
		{"other", addr(otherMap), 4096, false},
		{"anonymous", addr(anon), 4096, false},
	} {
		if got := im.mapsCover(proc, c.addr, c.size); got != c.want {
			t.Errorf("mapsCover %s = %v, want %v", c.name, got, c.want)
		}
	}
	grant := func(name string, nr uint64, args ...uint64) (supervise.Decision, bool) {
		t.Helper()
		st := stopOf(nr, 0, true, args...)
		st.Pid, st.Tgid = pid, pid
		return im.grant(seccomp.Native(), st)
	}
	exec := uint64(unix.PROT_READ | unix.PROT_EXEC)
	if d, ok := grant("mmap own", unix.SYS_MMAP, 0, 4096, exec, unix.MAP_PRIVATE, uint64(ownFd), 0); !ok || d.Verdict != supervise.Allow {
		t.Errorf("mmap of own file: %+v %v", d, ok)
	}
	if _, ok := grant("mmap other", unix.SYS_MMAP, 0, 4096, exec, unix.MAP_PRIVATE, uint64(otherFd), 0); ok {
		t.Error("mmap of another file granted")
	}
	if _, ok := grant("mmap anon", unix.SYS_MMAP, 0, 4096, exec, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, uint64(ownFd), 0); ok {
		t.Error("anonymous code mapping granted")
	}
	if _, ok := grant("mprotect other", unix.SYS_MPROTECT, addr(otherMap), 4096, exec); ok {
		t.Error("mprotect of another file's mapping granted")
	}
	if d, ok := grant("mprotect own", unix.SYS_MPROTECT, addr(ownMap), 4096, exec); !ok || d.Verdict != supervise.Allow {
		t.Errorf("mprotect of own mapping: %+v %v", d, ok)
	}
	cstr := func(s string) uint64 {
		b := append([]byte(s), 0)
		t.Cleanup(func() { runtime.KeepAlive(b) })
		return uint64(uintptr(unsafe.Pointer(&b[0])))
	}
	for path, want := range map[string]supervise.Decision{
		own:                      {Verdict: supervise.Allow},
		other:                    {Verdict: supervise.Deny, Errno: unix.ENOENT},
		filepath.Join(dir, "no"): {Verdict: supervise.Deny, Errno: unix.ENOENT},
	} {
		if d, ok := grant("access", unix.SYS_FACCESSAT, uint64(1<<32-100), cstr(path), unix.R_OK); !ok || d.Verdict != want.Verdict || d.Errno != want.Errno {
			t.Errorf("access(%s) = %+v %v, want %+v", path, d, ok, want)
		}
	}
}

// An image is its executable's loader needs: /bin/ls's libc and the loader
// cache, never a file the loader does not open.
func TestResolveImage(t *testing.T) {
	ls, err := os.Executable() // the test binary: its libraries if dynamic
	if err != nil {
		t.Fatal(err)
	}
	for _, exe := range []string{"/bin/ls", ls} {
		im := resolveImage(exe, nil)
		if !im.has(exe) {
			t.Errorf("%s: the executable is not in its image", exe)
		}
		if im.has("/etc/passwd") || im.has("/etc/hostname") {
			t.Errorf("%s: its image has files the loader never opens", exe)
		}
	}
	if im := resolveImage("/bin/ls", nil); !im.has("/etc/ld.so.cache") {
		t.Error("/bin/ls: no ld.so.cache in its image")
	}
}

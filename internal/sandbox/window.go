package sandbox

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/ldso"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// The loader window. Between an exec and the new image's entry point the
// dynamic loader opens libraries for reading and maps them as code, which
// the promises may not allow (no rpath, no prot_exec). Code of the image
// runs in that window too (library constructors, LD_PRELOAD and LD_AUDIT
// modules), so the window grants only what the loader of THIS image needs:
// opening and mapping as code the files the supervisor resolved itself
// from the executable (/proc/PID/exe: its ELF interpreter, its DT_NEEDED
// closure, ld.so.cache and ld.so.preload; package ldso), with the
// supervisor's own environment, never the tracee's. Files are compared by
// identity (st_dev, st_ino), read from the kernel (/proc/PID/fd/N,
// /proc/PID/maps), never from a path string:
//
//   - open/openat: the call runs, and the descriptor it returns is checked
//     at the syscall's exit; any other file is closed again in the tracee
//     and the call fails with EACCES, as Landlock answers (ld.so then tries
//     its next candidate);
//   - mmap with PROT_EXEC: its fd must be one of the image's files; an
//     anonymous executable mapping is never granted;
//   - mprotect/pkey_mprotect with PROT_EXEC: every mapping in the range
//     must be a mapping of one of the image's files;
//   - access/faccessat/faccessat2 (ld.so's check of /etc/ld.so.preload):
//     run when the path names one of the image's files, otherwise answered
//     ENOENT without running (nothing of the supervisor's own view of the
//     filesystem is revealed).
//
// A check made at one stop must not be raced, so the window relies on the
// process having one thread and sharing its descriptors and memory with
// no one: supervise ends the start-up at its first thread and kills a
// sharing process it creates. Anything not granted is answered as after
// start-up.

// fileID is a file's identity as the kernel reports it.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID { return fileID{uint64(st.Dev), st.Ino} }

// Image is one exec'd image's own files: what its loader may open for
// reading and map as code before the entry point.
type Image struct {
	Exe   string // the executable's path, for messages
	files map[fileID]bool
	// paths are the files' paths as ldso resolved them (for a path
	// layer's rules: OpenLoader).
	paths []ldso.Need
}

func (im *Image) has(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && im.files[idOf(&st)]
}

// Resolver computes the Image of each exec'd program. It caches by the
// executable's identity and the loader cache's, so that a shell running
// the same program again resolves nothing. Safe for concurrent use.
type Resolver struct {
	// Env is the environment whose LD_LIBRARY_PATH the loader's search is
	// computed with: the supervisor's own (the user's, for the command),
	// never the tracee's, which a sandboxed program chooses when it execs.
	Env []string

	mu    sync.Mutex
	cache map[imageKey]*Image
}

// imageKey identifies an executable and the loader cache it was resolved
// with, by identity, size and modification time.
type imageKey struct {
	exe, cache         fileID
	exeSize, exeMtime  int64
	cacheSize, cacheMt int64
}

// ImageOf resolves the image pid has just exec'd (pid stopped at its exec
// stop, or at the first stop of the command's program). On an error it
// returns an Image with the files found so far: fewer grants, never more.
func (r *Resolver) ImageOf(pid int) *Image {
	exe := "/proc/" + strconv.Itoa(pid) + "/exe"
	var es, cs unix.Stat_t
	if err := unix.Stat(exe, &es); err != nil {
		return &Image{Exe: exe, files: map[fileID]bool{}}
	}
	key := imageKey{exe: idOf(&es), exeSize: es.Size, exeMtime: es.Mtim.Nano()}
	if unix.Stat("/etc/ld.so.cache", &cs) == nil {
		key.cache, key.cacheSize, key.cacheMt = idOf(&cs), cs.Size, cs.Mtim.Nano()
	}
	r.mu.Lock()
	im, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return im
	}
	im = resolveImage(exe, r.Env)
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[imageKey]*Image{}
	}
	r.cache[key] = im
	r.mu.Unlock()
	return im
}

// resolveImage resolves exe with package ldso, the same resolution the
// pledge command auto-unveils.
func resolveImage(exe string, env []string) *Image {
	im := &Image{Exe: ldso.RealPath(exe), files: map[fileID]bool{}}
	needs, _ := ldso.ProgramNeeds(exe, env)
	// The supervisor's own LD_PRELOAD (the user's, for the command) names
	// modules the loader maps into every image: absolute paths only, as
	// the loader takes them from the environment of a secure program.
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "LD_PRELOAD="); ok {
			for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ' ' }) {
				if strings.HasPrefix(p, "/") {
					needs = append(needs, ldso.Need{Path: p, Perm: "r", Why: "LD_PRELOAD of the supervisor"})
				}
			}
		}
	}
	for _, n := range needs {
		var st unix.Stat_t
		if unix.Stat(n.Path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			im.files[idOf(&st)] = true
			im.paths = append(im.paths, n)
		}
	}
	return im
}

// grant decides a loader operation of a starting process other than an
// open (Decider.loaderOp checks those); ok is false when the window does
// not grant it (the layers then answer it as after start-up).
func (im *Image) grant(arch seccomp.Arch, st *supervise.Stop) (supervise.Decision, bool) {
	allow := supervise.Decision{Verdict: supervise.Allow}
	a := st.Info.Args
	proc := "/proc/" + strconv.Itoa(st.Pid)
	switch promise.SyscallName(arch, uint32(st.Info.Nr)) {
	case "mmap":
		fd := int32(a[4])
		if a[3]&unix.MAP_ANONYMOUS == 0 && fd >= 0 && im.has(proc+"/fd/"+strconv.Itoa(int(fd))) {
			return allow, true
		}
	case "mprotect", "pkey_mprotect":
		if im.mapsCover(proc, a[0], a[1]) {
			return allow, true
		}
	case "access":
		return im.access(proc, st.Pid, unix.AT_FDCWD, a[0]), true
	case "faccessat", "faccessat2":
		return im.access(proc, st.Pid, int(int32(a[0])), a[1]), true
	}
	return supervise.Decision{}, false
}

// hasFd reports whether the open file fd of pid is one of the image's.
func (im *Image) hasFd(pid, fd string) bool { return im.has("/proc/" + pid + "/fd/" + fd) }

// access runs an access check of one of the image's own files and answers
// every other ENOENT without running it. The path is read from the
// tracee's memory only to recognise the image's own files: a wrong read
// can only answer ENOENT, or run access(2) on one of those files.
func (im *Image) access(proc string, pid, dirfd int, pathAddr uint64) supervise.Decision {
	enoent := supervise.Decision{Verdict: supervise.Deny, Errno: unix.ENOENT}
	path, err := supervise.ReadString(pid, pathAddr, unix.PathMax)
	if err != nil || path == "" {
		return enoent
	}
	switch {
	case strings.HasPrefix(path, "/"):
		path = proc + "/root" + path
	case dirfd == unix.AT_FDCWD:
		path = proc + "/cwd/" + path
	default:
		path = proc + "/fd/" + strconv.Itoa(dirfd) + "/" + path
	}
	if !im.has(path) {
		return enoent
	}
	return supervise.Decision{Verdict: supervise.Allow}
}

// mapsCover reports whether every page of [addr, addr+length) is mapped
// from one of the image's files (/proc/PID/maps: the kernel's list of the
// process's mappings with each file's device and inode).
func (im *Image) mapsCover(proc string, addr, length uint64) bool {
	page := uint64(os.Getpagesize())
	end := (addr + length + page - 1) &^ (page - 1)
	if end < addr {
		return false
	}
	b, err := os.ReadFile(proc + "/maps")
	if err != nil {
		return false
	}
	at := addr
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() && at < end {
		m, ok := parseMapsLine(sc.Text())
		if !ok || m.end <= at {
			continue
		}
		if m.start > at || m.ino == 0 || !im.files[fileID{m.dev, m.ino}] {
			return false
		}
		at = m.end
	}
	return at >= end
}

// mapping is one line of /proc/PID/maps.
type mapping struct {
	start, end uint64
	dev, ino   uint64
}

// parseMapsLine parses "start-end perms offset major:minor inode path".
func parseMapsLine(line string) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return mapping{}, false
	}
	lo, hi, ok1 := strings.Cut(f[0], "-")
	maj, mnr, ok2 := strings.Cut(f[3], ":")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	ma, err3 := strconv.ParseUint(maj, 16, 32)
	mi, err4 := strconv.ParseUint(mnr, 16, 32)
	ino, err5 := strconv.ParseUint(f[4], 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil {
		return mapping{}, false
	}
	return mapping{start: start, end: end, dev: unix.Mkdev(uint32(ma), uint32(mi)), ino: ino}, true
}

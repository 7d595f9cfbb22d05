package unveil

import (
	"path/filepath"
	"runtime"
	"strings"
)

// ELFInterpreters are the ELF interpreters (the PT_INTERP of dynamic
// programs) of the C libraries a Linux system runs, glibc's and musl's, by
// GOARCH. libpledge's generated tables carry the same list.
var ELFInterpreters = map[string][]string{
	"amd64": {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-musl-x86_64.so.1"},
	"arm64": {"/lib/ld-linux-aarch64.so.1", "/lib/ld-musl-aarch64.so.1"},
}

// OpenBSD's exec reads a dynamic program's interpreter (exec_elf.c,
// elf_load_file: UNVEIL_READ), so a veil with "r" on ld.so and "x" on a
// program execs it. Linux's execve opens the interpreter with open_exec,
// which Landlock checks for EXECUTE: the same veil would refuse every
// dynamic program with EACCES. So the veil gives each interpreter that it
// lets read but not execute an entry of its own, with the permissions it
// has there and "x" (interpreterEntries). Exec'ing such an interpreter
// directly (ld.so PROGRAM runs any file it can read) is the one thing
// this "x" must not allow, and OpenBSD refuses it: the exec supervisor,
// which starts every image a pledged process execs, refuses the images
// whose file is one of ImpliedInterpreters (internal/sandbox).

// interpreterEntries are the entries the veil of entries implies for the
// interpreters of this architecture that exist, resolved as open_exec
// follows them (Landlock checks the file's own hierarchy).
func interpreterEntries(entries []Entry) []Entry {
	var out []Entry
	for _, path := range ELFInterpreters[runtime.GOARCH] {
		real, err := filepath.EvalSymlinks(path)
		if err != nil || hasPath(out, real) {
			continue
		}
		perm, ok := permAt(entries, real)
		if ok && perm&PermRead != 0 && perm&PermExec == 0 {
			out = append(out, Entry{Path: real, Perm: perm | PermExec, Kind: KindFile})
		}
	}
	return out
}

// withInterpreters is entries with interpreterEntries in place of (or
// after) their own entries.
func withInterpreters(entries []Entry) []Entry {
	extra := interpreterEntries(entries)
	if len(extra) == 0 {
		return entries
	}
	out := make([]Entry, 0, len(entries)+len(extra))
	for _, e := range entries {
		if !hasPath(extra, e.Path) {
			out = append(out, e)
		}
	}
	return append(out, extra...)
}

// ImpliedInterpreters are the resolved paths of the interpreters whose "x"
// the veil of entries implies (interpreterEntries).
func ImpliedInterpreters(entries []Entry) []string {
	var out []string
	for _, e := range interpreterEntries(entries) {
		out = append(out, e.Path)
	}
	return out
}

// permAt is the permission OpenBSD's unveil gives path: its own entry's,
// else the nearest directory entry above it; ok is false when nothing
// covers it.
func permAt(entries []Entry, path string) (Perm, bool) {
	best := -1
	for i, e := range entries {
		covers := e.Path == path || e.Path == "/" ||
			(strings.HasPrefix(path, e.Path) && path[len(e.Path)] == '/')
		if covers && (best < 0 || len(e.Path) > len(entries[best].Path)) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return entries[best].Perm, true
}

func hasPath(es []Entry, path string) bool {
	for _, e := range es {
		if e.Path == path {
			return true
		}
	}
	return false
}

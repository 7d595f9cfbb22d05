package compat_test

import (
	"testing"

	"golang.org/x/sys/unix"
)

// unveiled is the sandbox "unveil each (path, perms) pair, then
// UnveilBlock".
func unveiled(pairs ...string) Sandbox {
	s := Sandbox{Block: true}
	for i := 0; i+1 < len(pairs); i += 2 {
		s.Unveil = append(s.Unveil, Veil{pairs[i], pairs[i+1]})
	}
	return s
}

// unveilCases are the cases of OpenBSD's regress/sys/kern/unveil that have a
// Linux meaning (REFERENCE §2), on the fixture tree (see Fixture).
//
// The two divergences that recur (COMPAT.md's unveil section owns the why):
// Landlock denies with EACCES where OpenBSD hides with ENOENT, and Landlock
// does not restrict path lookups that do not open the file (stat, access,
// chdir, chmod, readlink), so those succeed.
var unveilCases = []Case{
	// r/w/c on a directory
	{ID: "unveil/r/read", Sandbox: unveiled("d", "r"), Op: readOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/r/read-nested", Sandbox: unveiled("d", "r"), Op: readOp("d/sub/g"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/r/readdir", Sandbox: unveiled("d", "r"), Op: readdirOp("d"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/r/write", Sandbox: unveiled("d", "r"), Op: writeOp("d/f"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/r/truncate", Sandbox: unveiled("d", "r"), Op: truncateOp("d/f"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/r/create", Sandbox: unveiled("d", "r"), Op: createOp("d/new"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/r/exec", Sandbox: unveiled("d", "r"), Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/r/chmod", Sandbox: unveiled("d", "r"), Op: chmodOp("d/f"), Plain: ok, OpenBSD: "EACCES", Linux: ok},
	{ID: "unveil/r/stat", Sandbox: unveiled("d", "r"), Op: statOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/w/readdir", Sandbox: unveiled("d", "w"), Op: readdirOp("d"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/w/read", Sandbox: unveiled("d", "w"), Op: readOp("d/f"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/w/write", Sandbox: unveiled("d", "w"), Op: writeOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rw/truncate", Sandbox: unveiled("d", "rw"), Op: truncateOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rw/create", Sandbox: unveiled("d", "rw"), Op: createOp("d/new"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/unlink", Sandbox: unveiled("d", "rw"), Op: unlinkOp("d/f"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/mkdir", Sandbox: unveiled("d", "rw"), Op: mkdirOp("d/nd"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/rmdir", Sandbox: unveiled("d", "rw"), Op: rmdirOp("d/empty"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/rename", Sandbox: unveiled("d", "rw"), Op: renameOp("d/f", "d/f2"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/link", Sandbox: unveiled("d", "rw"), Op: linkOp("d/f", "d/l"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/symlink", Sandbox: unveiled("d", "rw"), Op: symlinkOp("f", "d/s"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rw/mkfifo", Sandbox: unveiled("d", "rw"), Op: mkfifoOp("d/p"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/rwc/create", Sandbox: unveiled("d", "rwc"), Op: createOp("d/new"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/unlink", Sandbox: unveiled("d", "rwc"), Op: unlinkOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/mkdir", Sandbox: unveiled("d", "rwc"), Op: mkdirOp("d/nd"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/rmdir", Sandbox: unveiled("d", "rwc"), Op: rmdirOp("d/empty"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/rename", Sandbox: unveiled("d", "rwc"), Op: renameOp("d/f", "d/f2"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/rename-subdir", Sandbox: unveiled("d", "rwc"), Op: renameOp("d/f", "d/sub/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/link", Sandbox: unveiled("d", "rwc"), Op: linkOp("d/f", "d/l"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/symlink", Sandbox: unveiled("d", "rwc"), Op: symlinkOp("f", "d/s"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rwc/mkfifo", Sandbox: unveiled("d", "rwc"), Op: mkfifoOp("d/p"), Plain: ok, OpenBSD: ok},
	// A hard link needs the file readable and "c" where it is made
	// (openrsync's --link-dest: "/" "r", the destination "rwc"); Landlock
	// refuses a link that gives the file rights it did not have.
	{ID: "unveil/link/from-read-only", Sandbox: unveiled("e", "r", "d", "rwc"), Op: linkOp("e/h", "d/l"), Plain: ok, OpenBSD: ok, Linux: "EXDEV"},
	{ID: "unveil/link/to-narrower", Sandbox: unveiled("d", "rwc", "e", "rc"), Op: linkOp("d/f", "e/l"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/rx/exec", Sandbox: unveiled("d", "rx"), Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/x/exec", Sandbox: unveiled("d", "x"), Op: probeOp("d/x", "exit"), Plain: ok, OpenBSD: ok},
	// Linux execve opens the image for reading (FMODE_READ) and Landlock then
	// wants READ_FILE as well as EXECUTE, so "x" carries READ_FILE.
	{ID: "unveil/x/read", Sandbox: unveiled("d", "x"), Op: readOp("d/f"), Plain: ok, OpenBSD: "EACCES", Linux: ok},

	// outside every unveil: hidden on OpenBSD (ENOENT)
	{ID: "unveil/outside/read", Sandbox: unveiled("d", "r"), Op: readOp("e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/outside/readdir", Sandbox: unveiled("d", "r"), Op: readdirOp("e"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/outside/create", Sandbox: unveiled("d", "rwc"), Op: createOp("e/new"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/outside/stat", Sandbox: unveiled("d", "r"), Op: statOp("e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: ok},
	{ID: "unveil/outside/chdir", Sandbox: unveiled("d", "r"), Op: chdirOp("e"), Plain: ok, OpenBSD: "ENOENT", Linux: ok},
	{ID: "unveil/outside/realpath", Sandbox: unveiled("d", "r"), Op: realpathOp("e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: ok},
	{ID: "unveil/outside/exec", Sandbox: unveiled("d", "rx"), Op: probeOp("e/x", "exit"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},

	// "" hides a subtree; the most specific unveil wins, also to narrow
	{ID: "unveil/hide/read", Sandbox: unveiled("d", "r", "d/sub", ""), Op: readOp("d/sub/g"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/hide/sibling", Sandbox: unveiled("d", "r", "d/sub", ""), Op: readOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/narrow/create", Sandbox: unveiled("d", "rwc", "d/sub", "r"), Op: createOp("d/sub/new"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/narrow/read", Sandbox: unveiled("d", "rwc", "d/sub", "r"), Op: readOp("d/sub/g"), Plain: ok, OpenBSD: ok},
	// Narrowing is emulated by moving d's rights onto its entries; d itself
	// cannot keep MAKE_REG without passing it down to d/sub, so new names
	// directly in a split directory cannot be created.
	{ID: "unveil/narrow/sibling-create", Sandbox: unveiled("d", "rwc", "d/sub", "r"), Op: createOp("d/new"), Plain: ok, OpenBSD: ok, Linux: "EACCES"},
	{ID: "unveil/narrow/sibling-write", Sandbox: unveiled("d", "rwc", "d/sub", "r"), Op: writeOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/widen/create", Sandbox: unveiled("d", "r", "d/sub", "rwc"), Op: createOp("d/sub/new"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/replace", Sandbox: unveiled("d", "rwc", "d", "r"), Op: writeOp("d/f"), Plain: ok, OpenBSD: "EACCES"},

	// single files and names that do not exist yet
	{ID: "unveil/file/read", Sandbox: unveiled("d/f", "r"), Op: readOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/file/sibling", Sandbox: unveiled("d/f", "r"), Op: readOp("d/sub/g"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/file/write", Sandbox: unveiled("d/f", "r"), Op: writeOp("d/f"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/missing/create", Sandbox: unveiled("d/new", "rwc"), Op: createOp("d/new"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/missing/create-write-read", Sandbox: unveiled("d/new", "rwc"),
		Op: then(createOp("d/new"), then(writeOp("d/new"), readOp("d/new"))), Plain: ok, OpenBSD: ok},
	{ID: "unveil/missing/unlink-after-create", Sandbox: unveiled("d/new", "rwc"),
		Op: then(createOp("d/new"), unlinkOp("d/new")), Plain: ok, OpenBSD: ok},

	// climbing out with .., dirfds, chdir and symlinks
	{ID: "unveil/dotdot/path", Sandbox: unveiled("d", "r"), Op: readOp("d/../e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/dotdot/dirfd", Sandbox: unveiled("d", "r"), Op: openatOp("d", "../e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/dotdot/chdir", Sandbox: unveiled("d", "r"), Op: chdirThenOpen("d", "../e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/dirfd-before/inside", Sandbox: unveiled("d", "r"), Op: openatPreOp("d", "f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/dirfd-before/outside", Sandbox: unveiled("d", "r"), Op: openatPreOp("e", "h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/fchdir-before/outside", Sandbox: unveiled("d", "r"), Op: fchdirPreOp("e", "h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/symlink/out", Sandbox: unveiled("d", "r"), Op: readOp("d/lnk"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/fd-before", Sandbox: unveiled("d", "r"), Op: preFileRead("e/h"), Plain: ok, OpenBSD: ok},

	// unveil of / and .
	{ID: "unveil/root/read", Sandbox: unveiled("/", "r"), Op: readOp("e/h"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/root/create", Sandbox: unveiled("/", "r"), Op: createOp("e/new"), Plain: ok, OpenBSD: "EACCES"},
	{ID: "unveil/dot/read", Sandbox: unveiled(".", "r"), Op: readOp("e/h"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/dot/create", Sandbox: unveiled(".", "r"), Op: createOp("e/new"), Plain: ok, OpenBSD: "EACCES"},

	// when the veil takes effect, and the lock
	{ID: "unveil/pending/not-enforced", Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}}}, Op: readOp("e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: ok},
	{ID: "unveil/block-only/not-veiled", Sandbox: Sandbox{Block: true}, Op: readOp("e/h"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/block/locked", Sandbox: unveiled("d", "r"), Op: unveilOp("e", "r"), Plain: ok, OpenBSD: "EPERM"},
	{ID: "unveil/block-only/locked", Sandbox: Sandbox{Block: true}, Op: unveilOp("e", "r"), Plain: ok, OpenBSD: "EPERM"},
	{ID: "unveil/pledge/commits", Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}}, Pledges: []string{"stdio rpath"}},
		Op: readOp("e/h"), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},
	{ID: "unveil/pledge/inside", Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}}, Pledges: []string{"stdio rpath"}},
		Op: readOp("d/f"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/pledge/locks", Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}}, Pledges: []string{"stdio rpath"}},
		Op: unveilOp("e", "r"), Plain: ok, OpenBSD: "EPERM"},
	{ID: "unveil/pledge-unveil/still-open", Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}}, Pledges: []string{"stdio rpath unveil"}},
		Op: unveilOp("e", "r"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/pledge-unveil/then-block", Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}}, Pledges: []string{"stdio rpath unveil"}},
		Op: then(unveilBlockOp(), readOp("e/h")), Plain: ok, OpenBSD: "ENOENT", Linux: "EACCES"},

	// inheritance across exec (os/exec forks, then execs the probe).
	// OpenBSD clears the veil at exec unless execpromises are set. Pledged
	// with "exec", the exec supervisor runs the image in a fresh process
	// outside the veil; unveiled only (no supervisor), the Landlock domain
	// is inherited and survives exec.
	{ID: "unveil/exec/inherits", Sandbox: unveiled("d", "r", "d/x", "rx"), Op: probeOp("d/x", "open", "e/h"),
		Plain: ok, OpenBSD: ok, Linux: "child:EACCES"},
	{ID: "unveil/exec/pledged-clears",
		Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}, {"d/x", "rx"}}, Pledges: []string{"stdio rpath proc exec"}},
		Op:      probeOp("d/x", "open", "e/h"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/exec/inherits-inside", Sandbox: unveiled("d", "r", "d/x", "rx"), Op: probeOp("d/x", "open", "d/f"),
		Plain: ok, OpenBSD: ok},
	// A dynamic program under a veil with "r" on its ELF interpreter and
	// "x" on the program (mandoc's pager: unveil "/" r, the pager x):
	// OpenBSD's exec reads ld.so, Linux's executes it; the veil implies
	// that "x" (unveil.ImpliedInterpreters), and the exec supervisor
	// refuses an exec of ld.so itself, which would run any readable file
	// outside the sandbox: the exec'ing process is killed past its exec.
	{ID: "unveil/exec/dynamic-r-on-interpreter",
		Sandbox: Sandbox{Unveil: []Veil{{"/", "r"}, {"/usr/bin/true", "x"}}, Pledges: []string{"stdio rpath proc exec"}},
		Op:      probeOp("/usr/bin/true"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/exec/dynamic-r-on-interpreter-execpromises",
		Sandbox: Sandbox{Unveil: []Veil{{"/", "r"}, {"/usr/bin/true", "x"}}, Pledges: []string{"stdio rpath proc exec"}, Exec: str("stdio rpath")},
		Op:      probeOp("/usr/bin/true"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/exec/interpreter-itself",
		Sandbox: Sandbox{Unveil: []Veil{{"/", "r"}, {"/usr/bin/true", "x"}}, Pledges: []string{"stdio rpath proc exec"}},
		Op:      probeOp("/lib64/ld-linux-x86-64.so.2", "/usr/bin/true"), Plain: ok, OpenBSD: "EACCES", Linux: "child:SIGKILL"},
	// Unveiled only, there is no supervisor and nothing to escape to: the
	// image inherits the veil, and the process could map the file as code
	// itself.
	{ID: "unveil/exec/interpreter-itself-unpledged",
		Sandbox: unveiled("/", "r", "/usr/bin/true", "x"),
		Op:      probeOp("/lib64/ld-linux-x86-64.so.2", "/usr/bin/true"), Plain: ok, OpenBSD: "EACCES", Linux: ok},
	{ID: "unveil/exec/interpreter-itself-unveiled",
		Sandbox: Sandbox{Unveil: []Veil{{"/", "r"}, {"/usr/bin/true", "x"}, {"/lib64/ld-linux-x86-64.so.2", "rx"}}, Pledges: []string{"stdio rpath proc exec"}},
		Op:      probeOp("/lib64/ld-linux-x86-64.so.2", "/usr/bin/true"), Plain: ok, OpenBSD: ok},
	{ID: "unveil/exec/execpromises-keep-veil",
		Sandbox: Sandbox{Unveil: []Veil{{"d", "r"}, {"d/x", "rx"}}, Pledges: []string{"stdio rpath proc exec"}, Exec: str("stdio rpath")},
		Op:      probeOp("d/x", "open", "e/h"), Plain: ok, OpenBSD: "child:ENOENT", Linux: "child:EACCES"},
}

func TestUnveil(t *testing.T) { runCases(t, unveilCases) }

// permCombos are the 16 subsets of "rwxc", in OpenBSD's spelling.
var permCombos = []string{"", "r", "w", "x", "c", "rw", "rx", "rc", "wx", "wc", "xc", "rwx", "rwc", "rxc", "wxc", "rwxc"}

var accessModes = []struct {
	name string
	mode uint32
}{{"R_OK", unix.R_OK}, {"W_OK", unix.W_OK}, {"X_OK", unix.X_OK}, {"F_OK", unix.F_OK}}

// accessCases is the access(2) table: for each of the 16 permission sets
// unveiled on the file d/x (mode 0755, owned by the running user, so every
// mode succeeds plain), which of R_OK W_OK X_OK F_OK succeed.
//
// OpenBSD's access() looks the path up like stat, needing "r" whatever the
// mode: with "r" every mode succeeds (the file's own mode bits decide),
// without it EACCES, and "" hides the file (ENOENT). Landlock has no hook on
// access(2) (nor faccessat2), so on Linux every mode succeeds.
func accessCases() []Case {
	var cases []Case
	for _, perms := range permCombos {
		for _, m := range accessModes {
			want, linux := ok, ""
			switch {
			case perms == "":
				want, linux = "ENOENT", ok
			case !contains(perms, 'r'):
				want, linux = "EACCES", ok
			}
			name := perms
			if name == "" {
				name = `""`
			}
			cases = append(cases, Case{
				ID:      "unveil/access/" + name + "/" + m.name,
				Sandbox: unveiled("d/x", perms),
				Op:      accessOp("d/x", m.mode, m.name),
				Plain:   ok, OpenBSD: want, Linux: linux,
			})
		}
	}
	return cases
}

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

func TestUnveilAccess(t *testing.T) { runCases(t, accessCases()) }

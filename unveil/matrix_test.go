//go:build linux

package unveil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"golang.org/x/sys/unix"
)

// matrixPerms are the columns of every row below, in this order.
var matrixPerms = []string{"r", "w", "x", "c", "rw", "rwc", "rwxc", ""}

// A matrix row: one operation, and per target one expected outcome per
// permission column ("ok" or the errno name). The targets:
//
//	dir:     the directory w is unveiled; the operation acts on names in w
//	         (and in w2, unveiled the same way, for the cross-directory rename).
//	nested:  the same with w two levels below the unveiled directory.
//	file:    every existing file in w is unveiled by itself; w and w2 are not.
//	missing: the operation acts on names that do not exist at the commit, each
//	         unveiled; it first creates what it needs (the first failing
//	         step is what is reported).
type matrixRow struct {
	op                         string
	dir, nested, file, missing string
}

// The expectations follow from the rights table and Landlock's rules: open
// for read needs READ_FILE, for write WRITE_FILE; truncate(2) TRUNCATE;
// creating a name MAKE_<type> on its directory and then, for open(O_CREAT),
// the open rights on the new file; unlink REMOVE_FILE; rmdir REMOVE_DIR;
// rename/link within a directory MAKE_REG (+REMOVE_FILE for rename); across
// directories also REFER at both ends, and a denial due to REFER alone is
// EXDEV; execve EXECUTE; listing READ_DIR.
var matrix = []matrixRow{
	//                 r      w      x      c      rw     rwc    rwxc   ""
	// 'x' carries READ_FILE, which execve(2) needs (see "exec" below).
	{op: "read",
		dir:     "ok     EACCES ok     EACCES ok     ok     ok     EACCES",
		nested:  "ok     EACCES ok     EACCES ok     ok     ok     EACCES",
		file:    "ok     EACCES ok     EACCES ok     ok     ok     EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES"},
	{op: "write",
		dir:     "EACCES ok     EACCES EACCES ok     ok     ok     EACCES",
		nested:  "EACCES ok     EACCES EACCES ok     ok     ok     EACCES",
		file:    "EACCES ok     EACCES EACCES ok     ok     ok     EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES"},
	{op: "truncate",
		dir:     "EACCES ok     EACCES EACCES ok     ok     ok     EACCES",
		nested:  "EACCES ok     EACCES EACCES ok     ok     ok     EACCES",
		file:    "EACCES ok     EACCES EACCES ok     ok     ok     EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES"},
	// 'c' alone makes the file (MAKE_REG) but the open for writing fails.
	{op: "create",
		dir:     "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES ok     ok     EACCES"},
	{op: "unlink",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		missing: "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES"},
	{op: "mkdir",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES"},
	{op: "rmdir",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES"},
	{op: "rename",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		missing: "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES"},
	// A missing name gets no REFER (it would reach all of its parent).
	{op: "rename-across",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES",
		missing: "EACCES EACCES EACCES EXDEV  EACCES EXDEV  EXDEV  EACCES"},
	{op: "link",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		missing: "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES"},
	{op: "symlink",
		dir:     "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		nested:  "EACCES EACCES EACCES ok     EACCES ok     ok     EACCES",
		file:    "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES"},
	// execve(2) opens the file for reading too (open_exec: O_RDONLY, so
	// FMODE_READ), and Landlock's file_open hook then wants READ_FILE as
	// well as EXECUTE; 'x' carries both (COMPAT.md; TestExecNeedsRead).
	{op: "exec",
		dir:     "EACCES EACCES ok     EACCES EACCES EACCES ok     EACCES",
		nested:  "EACCES EACCES ok     EACCES EACCES EACCES ok     EACCES",
		file:    "EACCES EACCES ok     EACCES EACCES EACCES ok     EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES EACCES ok     EACCES"},
	{op: "list",
		dir:     "ok     EACCES EACCES EACCES ok     ok     ok     EACCES",
		nested:  "ok     EACCES EACCES EACCES ok     ok     ok     EACCES",
		file:    "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES",
		missing: "EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES"},
}

func (r matrixRow) want(target string, col int) string {
	s := map[string]string{"dir": r.dir, "nested": r.nested, "file": r.file, "missing": r.missing}[target]
	return strings.Fields(s)[col]
}

// existingOps act on the fixture made by makeFixture in w (and w2).
var existingOps = map[string]func(w, w2 string) error{
	"read":          func(w, _ string) error { return readFile(w + "/f_read") },
	"write":         func(w, _ string) error { return writeExisting(w + "/f_write") },
	"truncate":      func(w, _ string) error { return unix.Truncate(w+"/f_trunc", 0) },
	"create":        func(w, _ string) error { return create(w + "/new") },
	"unlink":        func(w, _ string) error { return unix.Unlink(w + "/f_unlink") },
	"mkdir":         func(w, _ string) error { return unix.Mkdir(w+"/newdir", 0o755) },
	"rmdir":         func(w, _ string) error { return unix.Rmdir(w + "/d_rmdir") },
	"rename":        func(w, _ string) error { return unix.Rename(w+"/f_ren", w+"/f_ren2") },
	"rename-across": func(w, w2 string) error { return unix.Rename(w+"/f_xren", w2+"/f_xren") },
	"link":          func(w, _ string) error { return unix.Link(w+"/f_link", w+"/f_link2") },
	"symlink":       func(w, _ string) error { return unix.Symlink("f_read", w+"/sym") },
	"exec":          func(w, _ string) error { return execStatus(w + "/exe") },
	"list":          func(w, _ string) error { _, err := os.ReadDir(w); return err },
}

// fixtureFiles are the files makeFixture creates in w (besides exe).
var fixtureFiles = []string{"f_read", "f_write", "f_trunc", "f_unlink", "f_ren", "f_xren", "f_link"}

func makeFixture(t *testing.T, w, w2 string) {
	mkdirAll(t, w, w2, w+"/d_rmdir")
	for _, f := range fixtureFiles {
		writeFile(t, filepath.Join(w, f), "data", 0o644)
	}
	writeFile(t, w+"/exe", string(trueELF(t)), 0o755)
}

// missingOps act on names that do not exist yet, all unveiled: m_<op>
// (and m_<op>2 for a second name) in w, and m_rename-across in w2.
var missingOps = map[string]func(w, w2 string) error{
	"read": func(w, _ string) error {
		return all(func() error { return writeNew(w+"/m_read", 0o600) },
			func() error { return readFile(w + "/m_read") })
	},
	"write": func(w, _ string) error { return writeNew(w+"/m_write", 0o600) },
	"truncate": func(w, _ string) error {
		return all(func() error { return writeNew(w+"/m_truncate", 0o600) }, func() error { return unix.Truncate(w+"/m_truncate", 0) })
	},
	"create": func(w, _ string) error { return create(w + "/m_create") },
	"unlink": func(w, _ string) error {
		return all(func() error { return mknod(w + "/m_unlink") }, func() error { return unix.Unlink(w + "/m_unlink") })
	},
	"mkdir": func(w, _ string) error { return unix.Mkdir(w+"/m_mkdir", 0o755) },
	"rmdir": func(w, _ string) error {
		return all(func() error { return unix.Mkdir(w+"/m_rmdir", 0o755) }, func() error { return unix.Rmdir(w + "/m_rmdir") })
	},
	"rename": func(w, _ string) error {
		return all(func() error { return mknod(w + "/m_rename") }, func() error { return unix.Rename(w+"/m_rename", w+"/m_rename2") })
	},
	"rename-across": func(w, w2 string) error {
		return all(func() error { return mknod(w + "/m_rename-across") },
			func() error { return unix.Rename(w+"/m_rename-across", w2+"/m_rename-across") })
	},
	"link": func(w, _ string) error {
		return all(func() error { return mknod(w + "/m_link") }, func() error { return unix.Link(w+"/m_link", w+"/m_link2") })
	},
	"symlink": func(w, _ string) error { return unix.Symlink("x", w+"/m_symlink") },
	"exec": func(w, _ string) error {
		return all(func() error { return os.WriteFile(w+"/m_exec", tinyELF, 0o755) }, func() error { return execStatus(w + "/m_exec") })
	},
	"list": func(w, _ string) error { _, err := os.ReadDir(w); return err },
}

// tinyELF is made once per process (the child writes it after the commit).
var tinyELF []byte

func all(steps ...func() error) error {
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func readFile(p string) error {
	_, err := os.ReadFile(p)
	return err
}

func writeExisting(p string) error {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString("more")
	return err
}

// create makes a new file the usual way: open(O_CREAT|O_EXCL|O_WRONLY).
func create(p string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// writeNew creates p with open(O_CREAT|O_WRONLY) and writes to it.
func writeNew(p string, mode os.FileMode) error { return os.WriteFile(p, []byte("data"), mode) }

// mknod creates an empty regular file without opening it: only MAKE_REG.
func mknod(p string) error { return unix.Mknod(p, unix.S_IFREG|0o600, 0) }

func TestPermissionMatrix(t *testing.T) {
	tinyELF = trueELF(t)
	for _, target := range []string{"dir", "nested", "file", "missing"} {
		for col, perm := range matrixPerms {
			name := perm
			if name == "" {
				name = "none"
			}
			t.Run(target+"/"+name, func(t *testing.T) {
				root := sandboxDir(t)
				w, w2 := root+"/d", root+"/e"
				if target == "nested" {
					w, w2 = w+"/n/n", w2+"/n/n"
				}
				ops := existingOps
				if target == "missing" {
					ops = missingOps
				}
				var entries []string
				switch target {
				case "dir", "nested":
					entries = []string{root + "/d", perm, root + "/e", perm}
				case "file":
					for _, f := range append(fixtureFiles, "exe") {
						entries = append(entries, w+"/"+f, perm)
					}
				case "missing":
					for op := range missingOps {
						entries = append(entries, w+"/m_"+op, perm, w+"/m_"+op+"2", perm)
					}
					entries = append(entries, w2+"/m_rename-across", perm)
				}
				if !sandboxtest.InChild() {
					if target == "missing" {
						mkdirAll(t, w, w2)
					} else {
						makeFixture(t, w, w2)
					}
				}
				res := sandboxtest.Run(t, func() {
					commit(entries...)
					for _, row := range matrix {
						sandboxtest.Report(row.op, ops[row.op](w, w2))
					}
				})
				res.WantExit(t, 0)
				for _, row := range matrix {
					res.WantOutcome(t, row.op, row.want(target, col))
				}
			})
		}
	}
}

package ldso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// The tests check the resolver against the kernel and ld.so themselves:
// each crafted program is also run, and the resolver must name exactly
// the interpreter the kernel started (nothing when the kernel refused)
// and the libraries ld.so loaded (nothing for a name ld.so failed on).
// Each case's control shows the file is hostile to the old resolver:
// debug/elf (what it read) sees the path it would have unveiled.

// built holds the C programs the tests patch: hello prints "ran"; needer
// also has a DT_NEEDED on libpad (a long name, to be overwritten in
// place) found through DT_RUNPATH $ORIGIN; rpather the same through
// DT_RPATH "$ORIGIN:/RPATHPAD...".
var built struct {
	dir, hello, needer, rpather, lib string
	err                              error
}

const (
	padName  = "libpadpadpadpadpadpadpadpadpadpadpadpad.so"
	rpathPad = "$ORIGIN:/RPATHPADPADPADPADPADPADPADPADPADPADPADPAD"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ldso-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755)
	built.dir = dir
	built.hello = filepath.Join(dir, "hello")
	built.needer = filepath.Join(dir, "needer")
	built.rpather = filepath.Join(dir, "rpather")
	built.lib = filepath.Join(dir, padName)
	src := filepath.Join(dir, "hello.c")
	libsrc := filepath.Join(dir, "pad.c")
	os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { puts(\"ran\"); return 0; }\n"), 0o644)
	os.WriteFile(libsrc, []byte("int pad(void) { return 1; }\n"), 0o644)
	gcc := func(args ...string) error {
		cmd := exec.Command("gcc", args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %v\n%s", cmd.Args, err, out)
		}
		return nil
	}
	built.err = errors.Join(
		gcc("-O1", "-o", built.hello, src),
		gcc("-O1", "-shared", "-fPIC", "-o", built.lib, "-Wl,-soname,"+padName, libsrc),
		gcc("-O1", "-o", built.needer, src, "-Wl,--no-as-needed", "-Wl,--enable-new-dtags", "-L"+dir, "-l:"+padName, "-Wl,-rpath,$ORIGIN"),
		gcc("-O1", "-o", built.rpather, src, "-Wl,--no-as-needed", "-Wl,--disable-new-dtags", "-L"+dir, "-l:"+padName, "-Wl,-rpath,"+rpathPad),
	)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needBuilt(t *testing.T) {
	t.Helper()
	if built.err != nil {
		t.Fatalf("building the test programs: %v", built.err)
	}
}

// The ELF patches below work on the 64-bit little-endian programs gcc
// builds here.

type phdr struct {
	at  int // offset of the entry in the file
	typ elf.ProgType
}

func phdrs(t *testing.T, b []byte) []phdr {
	t.Helper()
	if elf.Class(b[elf.EI_CLASS]) != elf.ELFCLASS64 {
		t.Fatal("not a 64-bit ELF")
	}
	le := binary.LittleEndian
	phoff, phent, phnum := int(le.Uint64(b[32:])), int(le.Uint16(b[54:])), int(le.Uint16(b[56:]))
	var out []phdr
	for i := 0; i < phnum; i++ {
		at := phoff + i*phent
		out = append(out, phdr{at, elf.ProgType(le.Uint32(b[at:]))})
	}
	return out
}

// phdrOf is the index of the first (last when last) program header of type typ.
func phdrOf(t *testing.T, b []byte, typ elf.ProgType, last bool) int {
	t.Helper()
	found := -1
	for i, p := range phdrs(t, b) {
		if p.typ == typ {
			found = i
			if !last {
				break
			}
		}
	}
	if found < 0 {
		t.Fatalf("no %v program header", typ)
	}
	return found
}

// setPhdr makes program header i of type typ with its file bytes at off
// (p_filesz size); p_vaddr is kept, so ld.so's reading of the header
// through memory still finds mapped bytes.
func setPhdr(t *testing.T, b []byte, i int, typ elf.ProgType, off, size uint64) {
	at := phdrs(t, b)[i].at
	le := binary.LittleEndian
	le.PutUint32(b[at:], uint32(typ))
	le.PutUint64(b[at+8:], off)
	le.PutUint64(b[at+32:], size)
}

// withString appends s to b and returns its offset.
func withString(b *[]byte, s string) uint64 {
	off := uint64(len(*b))
	*b = append(*b, s...)
	return off
}

// setInterp points the first PT_INTERP at the bytes s.
func setInterp(s string) func(*testing.T, []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		off := withString(&b, s)
		setPhdr(t, b, phdrOf(t, b, elf.PT_INTERP, false), elf.PT_INTERP, off, uint64(len(s)))
		return b
	}
}

// addInterp turns the last PT_NOTE into a second PT_INTERP naming s.
func addInterp(s string) func(*testing.T, []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		off := withString(&b, s+"\x00")
		setPhdr(t, b, phdrOf(t, b, elf.PT_NOTE, true), elf.PT_INTERP, off, uint64(len(s)+1))
		return b
	}
}

func patchHeader(at int, v uint16) func(*testing.T, []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		binary.LittleEndian.PutUint16(b[at:], v)
		return b
	}
}

// oldInterps is what the old resolver read as interpreters: every
// PT_INTERP, through debug/elf.
func oldInterps(path string) []string {
	f, err := elf.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			out = append(out, string(bytes.TrimRight(b, "\x00")))
		}
	}
	return out
}

// writeProg writes b as an executable in dir.
func writeProg(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func interpOf(needs []Need) []string {
	var out []string
	for _, n := range needs {
		if strings.HasPrefix(n.Why, "ELF interpreter of ") || strings.HasPrefix(n.Why, "#! interpreter of ") {
			out = append(out, n.Path)
		}
	}
	return out
}

// The interpreter is the kernel's: hello with its program headers
// patched, run for real in a directory of decoys, and resolved.
func TestInterpAsKernel(t *testing.T) {
	needBuilt(t)
	base, err := os.ReadFile(built.hello)
	if err != nil {
		t.Fatal(err)
	}
	ldso, ok := firstInterp(built.hello)
	if !ok || len(oldInterps(built.hello)) != 1 {
		t.Fatalf("hello has no single PT_INTERP: %q", oldInterps(built.hello))
	}
	started := error(nil)
	cases := []struct {
		name   string
		patch  func(*testing.T, []byte) []byte
		kernel error    // execve's errno, nil when the kernel starts the program
		interp string   // the interpreter then
		old    []string // what the old resolver unveiled (the control), when it differs
		strict bool     // the kernel runs it, but this package refuses to vouch for it
	}{
		{"as built", nil, started, ldso, nil, false},
		{"second PT_INTERP /", addInterp("/"), started, ldso, []string{ldso, "/"}, false},
		{"second PT_INTERP dir", addInterp("d"), started, ldso, []string{ldso, "d"}, false},
		{"second PT_INTERP symlink to /", addInterp("r"), started, ldso, []string{ldso, "r"}, false},
		{"first PT_INTERP /", setInterp("/\x00"), syscall.EACCES, "", []string{"/"}, false},
		{"dir", setInterp("d\x00"), syscall.EACCES, "", []string{"d"}, false},
		{"symlink to /", setInterp("r\x00"), syscall.EACCES, "", []string{"r"}, false},
		{"dot dot", setInterp("d/..\x00"), syscall.EACCES, "", []string{"d/.."}, false},
		{"FIFO", setInterp("f\x00"), syscall.EACCES, "", []string{"f"}, false},
		{"device", setInterp("dev\x00"), syscall.EACCES, "", []string{"dev"}, false},
		{"no x bit", setInterp("nox\x00"), syscall.EACCES, "", []string{"nox"}, false},
		{"not ELF", setInterp("n\x00"), syscall.ELIBBAD, "", []string{"n"}, false},
		{"ELFCLASS32", setInterp("c\x00"), syscall.ELIBBAD, "", []string{"c"}, false},
		{"other machine", setInterp("m\x00"), syscall.ELIBBAD, "", []string{"m"}, false},
		// getname_kernel does not refuse "" as getname does: open_exec("")
		// opens the working directory, which may_open refuses.
		{"empty name", setInterp("\x00\x00"), syscall.EACCES, "", []string{""}, false},
		{"missing", setInterp("nothing-here\x00"), syscall.ENOENT, "", nil, false},
		{"no NUL", setInterp("l.so"), syscall.ENOEXEC, "", []string{"l.so"}, false},
		{"one byte", setInterp("\x00"), syscall.ENOEXEC, "", []string{""}, false},
		{"over PATH_MAX", setInterp(strings.Repeat("/", 4096) + "\x00"), syscall.ENOEXEC, "", nil, false},
		{"up to the first NUL", setInterp("l.so\x00/\x00"), started, "l.so", []string{"l.so\x00/"}, false},
		{"ET_EXEC interpreter", setInterp("e\x00"), started, "e", nil, false},
		{"past EOF", func(t *testing.T, b []byte) []byte {
			setPhdr(t, b, phdrOf(t, b, elf.PT_INTERP, false), elf.PT_INTERP, uint64(len(b))+4096, 8)
			return b
		}, syscall.EIO, "", nil, false},
		{"negative offset", func(t *testing.T, b []byte) []byte {
			setPhdr(t, b, phdrOf(t, b, elf.PT_INTERP, false), elf.PT_INTERP, 1<<63, 8)
			return b
		}, syscall.EINVAL, "", nil, false},
		{"e_phnum 0xffff", patchHeader(56, 0xffff), syscall.ENOEXEC, "", nil, false},
		{"e_phentsize 57", patchHeader(54, 57), syscall.ENOEXEC, "", nil, false},
		{"e_machine other", patchHeader(18, uint16(otherMachine)), syscall.ENOEXEC, "", nil, false},
		{"truncated", func(t *testing.T, b []byte) []byte { return b[:200] }, syscall.ENOEXEC, "", nil, false},
		// The kernel reads headers natively whatever EI_DATA says, and its
		// 64-bit loader checks e_machine only.
		{"EI_DATA big-endian", patchByte(elf.EI_DATA, byte(elf.ELFDATA2MSB)), started, "", nil, true},
		{"EI_CLASS 32", patchByte(elf.EI_CLASS, byte(elf.ELFCLASS32)), started, "", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testDir(t)
			decoys(t, dir)
			b := slices.Clone(base)
			if c.patch != nil {
				b = c.patch(t, b)
			}
			prog := writeProg(t, dir, "prog", b)
			if c.old != nil {
				if got := oldInterps(prog); !slices.Equal(got, c.old) {
					t.Fatalf("control: debug/elf reads PT_INTERPs %q, want %q", got, c.old)
				}
			}
			r := run(t, dir, prog)
			if !errors.Is(r.err, c.kernel) || (c.kernel == nil && r.err != nil) {
				t.Fatalf("control: the kernel's execve: %v, want %v", r.err, c.kernel)
			}
			if c.name == "as built" || strings.HasPrefix(c.name, "second") || c.strict {
				if r.code != 0 || r.output != "ran\n" {
					t.Fatalf("control: the program did not run: exit %d %q", r.code, r.output)
				}
			}
			t.Chdir(dir)
			needs, err := ProgramNeeds(prog, nil)
			checkNeeds(t, prog, needs)
			got := interpOf(needs)
			switch {
			case c.kernel != nil || c.strict:
				if len(needs) != 1 || err == nil {
					t.Fatalf("the exec fails, yet needs %+v, err %v", needs, err)
				}
			case !slices.Equal(got, []string{c.interp}):
				t.Fatalf("interpreters %q, want %q (err %v)", got, c.interp, err)
			}
			t.Logf("needs %v, err %v", needs, err)
		})
	}
}

func patchByte(at int, v byte) func(*testing.T, []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		b[at] = v
		return b
	}
}

// More PT_INTERPs than a gcc program has notes, written from scratch:
// only the first one counts, whatever the others name.
func TestManyInterps(t *testing.T) {
	dir := testDir(t)
	decoys(t, dir)
	t.Chdir(dir)
	interps := []string{"l.so", "/", "d", "r", "f", "dev", "n", "", "r/etc"}
	prog := writeProg(t, dir, "prog", fakeELF{interps: interps}.bytes())
	if got := oldInterps(prog); !slices.Equal(got, interps) {
		t.Fatalf("control: debug/elf reads %q", got)
	}
	needs, _ := ProgramNeeds(prog, nil)
	checkNeeds(t, prog, needs)
	if got := interpOf(needs); !slices.Equal(got, []string{"l.so"}) {
		t.Fatalf("interpreters %q, want only the first", got)
	}
}

// #! lines: the kernel's parse, its depth limit, and what it can exec.
func TestShebangAsKernel(t *testing.T) {
	started := error(nil)
	long := strings.Repeat("a", 300)
	cases := []struct {
		name    string
		script  string
		kernel  error
		interps []string
		old     string // the old resolver's interpreter (the control), when it differs
	}{
		{"plain", "#!/bin/sh\nexit 0\n", started, []string{"/bin/sh"}, ""},
		{"blanks", "#! \t /bin/sh \t \nexit 0\n", started, []string{"/bin/sh"}, ""},
		{"argument", "#!/bin/sh -e\nexit 0\n", started, []string{"/bin/sh"}, ""},
		{"NUL ends the name", "#!/bin/sh\x00junk\nexit 0\n", started, []string{"/bin/sh"}, "/bin/sh\x00junk"},
		{"no newline, blank-padded", "#!/bin/sh" + strings.Repeat(" ", 300), started, []string{"/bin/sh"}, ""},
		{"CR is part of the name", "#!/bin/sh\r\nexit 0\n", syscall.ENOENT, nil, "/bin/sh\r"},
		{"dir", "#!d\n", syscall.EACCES, nil, "d"},
		{"root", "#!/\n", syscall.EACCES, nil, "/"},
		{"symlink to /", "#!r\n", syscall.EACCES, nil, "r"},
		{"FIFO", "#!f\n", syscall.EACCES, nil, "f"},
		{"device", "#!dev\n", syscall.EACCES, nil, "dev"},
		{"no x bit", "#!nox\n", syscall.EACCES, nil, "nox"},
		{"neither ELF nor script", "#!n\n", syscall.ENOEXEC, nil, "n"},
		{"32-bit ELF (compat_binfmt_elf)", "#!c\n", started, []string{"c"}, ""},
		{"ELF of another machine", "#!m\n", syscall.ENOEXEC, nil, "m"},
		{"empty", "#!\n", syscall.ENOEXEC, nil, ""},
		{"blanks only", "#!  \t \n", syscall.ENOEXEC, nil, ""},
		{"NUL name", "#!\x00/bin/sh\n", syscall.EACCES, nil, "\x00/bin/sh"}, // open_exec(""): the working directory
		{"truncated name", "#!/" + long, syscall.ENOEXEC, nil, "/" + long},
		{"name past the buffer", "#!" + strings.Repeat(" ", 260) + "/bin/sh\n", syscall.ENOEXEC, nil, "/bin/sh"},
		{"static ELF", "#!l.so\n", started, []string{"l.so"}, ""},
		{"ET_EXEC", "#!e\n", started, []string{"e"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testDir(t)
			decoys(t, dir)
			prog := writeProg(t, dir, "script", []byte(c.script))
			if c.old != "" {
				if got := oldShebang(c.script); got != c.old {
					t.Fatalf("control: the old parse gives %q, want %q", got, c.old)
				}
			}
			r := run(t, dir, prog)
			if !errors.Is(r.err, c.kernel) || (c.kernel == nil && r.err != nil) {
				t.Fatalf("control: the kernel's execve: %v, want %v", r.err, c.kernel)
			}
			t.Chdir(dir)
			needs, err := ProgramNeeds(prog, nil)
			checkNeeds(t, prog, needs)
			if c.kernel != nil {
				if len(needs) != 1 || err == nil {
					t.Fatalf("the exec fails, yet needs %+v, err %v", needs, err)
				}
				return
			}
			if got := interpOf(needs); !slices.Equal(got[:min(len(got), len(c.interps))], c.interps) {
				t.Fatalf("interpreters %q, want %q first", got, c.interps)
			}
		})
	}
}

// oldShebang is the old resolver's parse: the first blank-separated field
// of the first line.
func oldShebang(s string) string {
	line, _, _ := strings.Cut(s[2:], "\n")
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// exec_binprm allows five #! rewrites; a sixth is ELOOP (the old resolver
// stopped at four).
func TestShebangDepth(t *testing.T) {
	for _, levels := range []int{1, 5, 6, 9} {
		t.Run(fmt.Sprint(levels), func(t *testing.T) {
			dir := testDir(t)
			for i := 0; i < levels; i++ {
				next := fmt.Sprintf("s%d", i+1)
				if i == levels-1 {
					next = "/bin/true"
				}
				writeProg(t, dir, fmt.Sprintf("s%d", i), []byte("#!"+next+"\n"))
			}
			prog := filepath.Join(dir, "s0")
			r := run(t, dir, prog)
			want := error(nil)
			if levels > maxRewrites {
				want = syscall.ELOOP
			}
			if !errors.Is(r.err, want) || (want == nil && (r.err != nil || r.code != 0)) {
				t.Fatalf("control: the kernel's execve: %v exit %d, want %v", r.err, r.code, want)
			}
			t.Chdir(dir)
			needs, err := ProgramNeeds(prog, nil)
			checkNeeds(t, prog, needs)
			scripts := 0
			for _, n := range needs {
				if strings.HasPrefix(n.Why, "#! interpreter of ") {
					scripts++
				}
			}
			if want != nil {
				if len(needs) != 1 || !errors.Is(err, syscall.ELOOP) {
					t.Fatalf("needs %+v, err %v; want only the program and ELOOP", needs, err)
				}
			} else if scripts != levels || err != nil {
				t.Fatalf("%d #! interpreters (err %v), want %d: %+v", scripts, err, levels, needs)
			}
		})
	}
}

// DT_NEEDED names, patched in place into needer's string table, run for
// real: the resolver returns the file ld.so loaded for the name, and
// nothing for a name ld.so failed on.
func TestNeededAsLdso(t *testing.T) {
	needBuilt(t)
	base, err := os.ReadFile(built.needer)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		want  string // the file ld.so loads for it, relative to the directory; "" for none
		noRun bool   // ld.so would block on it: no control run
	}{
		{padName, padName, false},
		{"l.so", "l.so", false},
		{"./l.so", "l.so", false},
		{"$ORIGIN/l.so", "l.so", false},
		{"${ORIGIN}/l.so", "l.so", false},
		{"$ORIGINX/l.so", "", false},
		{"/", "", false},
		{"d", "", false},
		{"./d", "", false},
		{"r", "", false},
		{"r/", "", false},
		{".", "", false},
		{"..", "", false},
		{"n", "", false},
		{"./n", "", false},
		{"dev", "", false},
		{"c", "", false},
		{"./c", "", false},
		{"m", "", false},
		{"e", "", false},
		{"nox", "nox", false},
		{"f", "", true},
		{"./f", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testDir(t)
			decoys(t, dir)
			copyFile(t, built.lib, filepath.Join(dir, padName))
			b := patchString(t, slices.Clone(base), padName, c.name)
			prog := writeProg(t, dir, "prog", b)
			if f, err := elf.Open(prog); err != nil {
				t.Fatal(err)
			} else if libs, _ := f.ImportedLibraries(); !slices.Contains(libs, c.name) {
				t.Fatalf("control: debug/elf reads DT_NEEDED %q", libs)
			}
			if !c.noRun {
				r := run(t, dir, prog)
				if loaded := r.err == nil && r.code == 0 && r.output == "ran\n"; loaded != (c.want != "") {
					t.Fatalf("control: ld.so loaded %q: %v (exit %d %q)", c.name, loaded, r.code, r.output)
				}
			}
			t.Chdir(dir)
			needs, err := ProgramNeeds(prog, nil)
			checkNeeds(t, prog, needs)
			got := librariesBut(needs, "libc.so.6")
			switch {
			case c.want == "" && (got != nil || err == nil):
				t.Fatalf("ld.so fails on %q, yet libraries %q, err %v", c.name, got, err)
			case c.want != "" && !slices.Equal(got, []string{wantPath(dir, c.want)}):
				t.Fatalf("libraries %q for %q, want %s (err %v)", got, c.name, c.want, err)
			}
		})
	}
}

// librariesBut is the real paths of the libraries in needs, but the one
// for the DT_NEEDED name except.
func librariesBut(needs []Need, except string) []string {
	var out []string
	for _, n := range needs {
		if strings.HasPrefix(n.Why, "library ") && !strings.HasPrefix(n.Why, "library "+except+" ") {
			out = append(out, RealPath(n.Path))
		}
	}
	return out
}

// ld.so expands tokens in a DT_NEEDED path twice (expand_dst in
// _dl_map_object_deps, then expand_dynamic_string_token for a name with a
// slash): in a directory whose name holds "$ORIGIN", "$ORIGIN/l.so" is
// not the l.so beside the program.
func TestNeededExpandedTwice(t *testing.T) {
	needBuilt(t)
	dir, err := os.MkdirTemp("", "ldso$ORIGIN.*") // "$ORIGIN" then a non-identifier: a token
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	decoys(t, dir)
	base, err := os.ReadFile(built.needer)
	if err != nil {
		t.Fatal(err)
	}
	prog := writeProg(t, dir, "prog", patchString(t, base, padName, "$ORIGIN/l.so"))
	if r := run(t, dir, prog); r.err != nil || r.code != 127 {
		t.Fatalf("control: ld.so loaded it: %v exit %d %q", r.err, r.code, r.output)
	}
	needs, err := ProgramNeeds(prog, nil)
	checkNeeds(t, prog, needs)
	if got := librariesBut(needs, "libc.so.6"); got != nil || err == nil {
		t.Fatalf("libraries %q (err %v), want none and an error", got, err)
	}
}

// patchString overwrites the NUL-terminated old in b with s, NUL-padded.
func patchString(t *testing.T, b []byte, old, s string) []byte {
	t.Helper()
	if len(s) > len(old) {
		t.Fatalf("%q is longer than %q", s, old)
	}
	i := bytes.Index(b, []byte(old+"\x00"))
	if i < 0 || bytes.Index(b[i+1:], []byte(old+"\x00")) >= 0 {
		t.Fatalf("%q not found once", old)
	}
	copy(b[i:i+len(old)], append([]byte(s), make([]byte, len(old)-len(s))...))
	return b
}

func wantPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// Search directories may be anything, "/" included: only the files found
// in them are returned.
func TestSearchDirsAsLdso(t *testing.T) {
	needBuilt(t)
	base, err := os.ReadFile(built.rpather)
	if err != nil {
		t.Fatal(err)
	}
	// The directory libc is found in, reached through the decoy symlink
	// to "/".
	var libc string
	hello, _ := ProgramNeeds(built.hello, nil)
	for _, n := range hello {
		if strings.HasPrefix(n.Why, "library libc.so.6 ") {
			libc = n.Path
		}
	}
	if libc == "" {
		t.Fatalf("no libc for hello: %+v", hello)
	}
	cases := []struct {
		name, rpath, needed string
		env                 []string
		want                string // what is loaded for needed, relative to the directory; "" for nothing
	}{
		{"as built", rpathPad, padName, nil, padName},
		{"root", "/", padName, nil, ""},
		{"symlink to root", "$ORIGIN/r", padName, nil, ""},
		{"dir", "$ORIGIN/d", padName, nil, ""},
		{"empty is none", "", padName, nil, ""},
		{"empty elements are the working directory", ":", padName, nil, padName},
		{"through the symlink", "$ORIGIN/r" + filepath.Dir(libc), "libc.so.6", nil, RealPath(libc)},
		{"LD_LIBRARY_PATH root", "/", padName, []string{"LD_LIBRARY_PATH=/:r:d"}, ""},
		{"LD_LIBRARY_PATH empty element", "/", padName, []string{"LD_LIBRARY_PATH=/nonexistent::/"}, padName},
		{"LD_LIBRARY_PATH $ORIGIN", "/", padName, []string{"LD_LIBRARY_PATH=$ORIGIN"}, padName},
		{"a directory as library", "$ORIGIN", "d", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testDir(t)
			decoys(t, dir)
			copyFile(t, built.lib, filepath.Join(dir, padName))
			b := patchString(t, slices.Clone(base), rpathPad, c.rpath)
			b = patchString(t, b, padName, c.needed)
			prog := writeProg(t, dir, "prog", b)
			r := run(t, dir, prog, c.env...)
			if loaded := r.err == nil && r.code == 0 && r.output == "ran\n"; loaded != (c.want != "") {
				t.Fatalf("control: ld.so loaded %q: %v (exit %d %q)", c.needed, loaded, r.code, r.output)
			}
			t.Chdir(dir)
			needs, err := ProgramNeeds(prog, c.env)
			checkNeeds(t, prog, needs)
			got := librariesBut(needs, "libc.so.6")
			if c.needed == "libc.so.6" {
				got = librariesBut(needs, "")
			}
			switch {
			case c.want == "" && (got != nil || err == nil):
				t.Fatalf("ld.so fails, yet libraries %q, err %v", got, err)
			case c.want != "" && !slices.Equal(got, []string{wantPath(dir, c.want)}):
				t.Fatalf("libraries %q, want %s (err %v)", got, c.want, err)
			}
		})
	}
}

// For real programs the resolver finds what ld.so itself lists
// (ld.so --list): the same files, or the other glibc-hwcaps variants of
// one that the cache lists.
func TestAgainstLdsoList(t *testing.T) {
	needBuilt(t)
	progs := []string{built.hello, built.needer, built.rpather}
	for _, p := range []string{"/bin/sh", "/bin/ls", "/usr/bin/python3", "/usr/bin/perl", "/usr/bin/gcc"} {
		if _, err := os.Stat(p); err == nil {
			progs = append(progs, p)
		}
	}
	for _, prog := range progs {
		t.Run(filepath.Base(prog), func(t *testing.T) {
			needs, err := ProgramNeeds(prog, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkNeeds(t, prog, needs)
			interp, _ := firstInterp(prog)
			out, err := exec.Command(interp, "--list", prog).Output()
			if err != nil {
				t.Fatalf("%s --list %s: %v", interp, prog, err)
			}
			listed := map[string]bool{}
			for _, line := range strings.Split(string(out), "\n") {
				f := strings.Fields(line)
				switch {
				case len(f) >= 3 && f[1] == "=>":
					listed[RealPath(f[2])] = true
				case len(f) == 2 && strings.HasPrefix(f[0], "/"):
					listed[RealPath(f[0])] = true // the loader itself
				}
			}
			ours := map[string]bool{}
			for _, n := range needs[1:] {
				if n.Path != ldsoCache && n.Path != ldsoPreload {
					ours[RealPath(n.Path)] = true
				}
			}
			for p := range listed {
				if !ours[p] {
					t.Errorf("ld.so loads %s, not found here: %+v", p, needs)
				}
			}
			for p := range ours {
				if !listed[p] && !strings.Contains(p, "/glibc-hwcaps/") {
					t.Errorf("%s is returned, ld.so does not load it:\n%s", p, out)
				}
			}
		})
	}
}

func TestExpandDST(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"$ORIGIN/lib", "/o/lib", ""},
		{"${ORIGIN}/lib", "/o/lib", ""},
		{"$ORIGINX/lib", "$ORIGINX/lib", ""},
		{"${ORIGIN", "${ORIGIN", ""},
		{"$ORIGIN_", "$ORIGIN_", ""},
		{"a$ORIGIN$ORIGIN", "a/o/o", ""},
		{"$$ORIGIN", "$/o", ""},
		{"$LIB/x", "", "token"},
		{"${PLATFORM}", "", "token"},
		{"$LIBRARY", "$LIBRARY", ""},
		{"no tokens", "no tokens", ""},
	} {
		got, err := expandDST(c.in, "/o")
		if got != c.want || (err != nil) != (c.err != "") {
			t.Errorf("expandDST(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got, _ := expandDST("$ORIGIN/x", ""); got != "" {
		t.Errorf("without an origin: %q, want the string dropped", got)
	}
}

func TestSearchPath(t *testing.T) {
	for _, c := range []struct {
		in, seps string
		want     []string
	}{
		{"/a:/b/", ":", []string{"/a/", "/b/"}},
		{"/a::/b", ":", []string{"/a/", "", "/b/"}},
		{"", ":", []string{""}},
		{"/a;/b", ":", []string{"/a;/b/"}},
		{"/a;/b:", ":;", []string{"/a/", "/b/", ""}},
		{"/", ":", []string{"/"}},
		{"//", ":", []string{"/"}},
		{"$ORIGIN/../lib:$LIB", ":", []string{"/o/../lib/"}},
		{"/a:/a/", ":", []string{"/a/"}},
	} {
		if got := searchPath(c.in, c.seps, "/o"); !slices.Equal(got, c.want) {
			t.Errorf("searchPath(%q, %q) = %q, want %q", c.in, c.seps, got, c.want)
		}
	}
}

func TestReadPreload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "preload")
	os.WriteFile(p, []byte("libA.so libB.so:libC.so\n# /etc/shadow\n\tlibD.so # libE.so\nlibF.so\x00libG.so"), 0o644)
	got, ok := readPreload(p)
	if want := []string{"libA.so", "libB.so", "libC.so", "libD.so", "libF.so"}; !ok || !slices.Equal(got, want) {
		t.Fatalf("readPreload = %q, %v; want %q", got, ok, want)
	}
	if _, ok := readPreload(filepath.Join(t.TempDir(), "none")); ok {
		t.Fatal("a missing preload list is read")
	}
}

// The program itself must be a file the kernel can exec at all.
func TestProgramNotRegular(t *testing.T) {
	dir := t.TempDir()
	decoys(t, dir)
	for _, name := range []string{"d", "r", "f", "dev"} {
		needs, err := ProgramNeeds(filepath.Join(dir, name), nil)
		if needs != nil || err == nil {
			t.Errorf("%s: needs %+v, err %v", name, needs, err)
		}
	}
}

// A program naming many libraries over a long search path makes the
// resolver give up (with less, never more) rather than stall.
func TestManyCandidates(t *testing.T) {
	dir := testDir(t)
	decoys(t, dir)
	var needed, rpath []string
	for i := 0; i < 300; i++ {
		needed = append(needed, fmt.Sprintf("x%d", i))
		rpath = append(rpath, fmt.Sprintf("$ORIGIN/d/%d", i))
	}
	prog := writeProg(t, dir, "prog", fakeELF{interps: []string{"l.so"}, needed: needed, rpath: ptr(strings.Join(rpath, ":"))}.bytes())
	t.Chdir(dir)
	needs, err := ProgramNeeds(prog, nil)
	checkNeeds(t, prog, needs)
	if err == nil || !strings.Contains(err.Error(), "candidate files") {
		t.Fatalf("err %v, want the candidate budget spent", err)
	}
}

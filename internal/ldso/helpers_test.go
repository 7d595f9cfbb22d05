package ldso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// hostMachine is the e_machine of programs built for this GOARCH, and
// otherMachine one the kernel here does not run.
var hostMachine, otherMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH],
	map[string]elf.Machine{"amd64": elf.EM_AARCH64, "arm64": elf.EM_X86_64}[runtime.GOARCH]

// fakeELF describes a small ELF file written byte by byte: one PT_LOAD
// maps the whole file at address 0, so addresses are file offsets. It
// has no code; the loader accepts it as a library (and the kernel as an
// interpreter, which then faults at its entry point).
type fakeELF struct {
	class    elf.Class   // default ELFCLASS64
	machine  elf.Machine // default hostMachine
	typ      elf.Type    // default ET_DYN
	interps  []string    // one PT_INTERP each, in order
	needed   []string
	rpath    *string
	runpath  *string
	soname   string
	noDyn    bool // no PT_DYNAMIC
	phentAdj int  // added to e_phentsize
	phnum    int  // e_phnum when not 0
}

func (s fakeELF) bytes() []byte {
	class, machine, typ := s.class, s.machine, s.typ
	if class == 0 {
		class = elf.ELFCLASS64
	}
	if machine == 0 {
		machine = hostMachine
	}
	if typ == 0 {
		typ = elf.ET_DYN
	}
	is64 := class == elf.ELFCLASS64
	ehsz, phsz, dsz := 52, 32, 8
	if is64 {
		ehsz, phsz, dsz = 64, 56, 16
	}
	nph := 2 + len(s.interps) // PT_LOAD, PT_GNU_STACK
	if !s.noDyn {
		nph++
	}
	var data bytes.Buffer
	base := ehsz + nph*phsz
	var interpOff []int
	for _, in := range s.interps {
		interpOff = append(interpOff, base+data.Len())
		data.WriteString(in + "\x00")
	}
	strOff := base + data.Len()
	data.WriteByte(0)
	str := func(v string) uint64 {
		o := base + data.Len() - strOff
		data.WriteString(v + "\x00")
		return uint64(o)
	}
	type dyn struct {
		tag elf.DynTag
		val uint64
	}
	var dyns []dyn
	for _, n := range s.needed {
		dyns = append(dyns, dyn{elf.DT_NEEDED, str(n)})
	}
	if s.rpath != nil {
		dyns = append(dyns, dyn{elf.DT_RPATH, str(*s.rpath)})
	}
	if s.runpath != nil {
		dyns = append(dyns, dyn{elf.DT_RUNPATH, str(*s.runpath)})
	}
	if s.soname != "" {
		dyns = append(dyns, dyn{elf.DT_SONAME, str(s.soname)})
	}
	strSize := base + data.Len() - strOff
	// A symbol table of the null symbol alone, and a hash table over it:
	// ld.so relocates and looks symbols up in every object it loads.
	le := binary.LittleEndian
	for (base+data.Len())%8 != 0 {
		data.WriteByte(0)
	}
	symOff, symSize := base+data.Len(), 24
	if !is64 {
		symSize = 16
	}
	data.Write(make([]byte, symSize))
	hashOff := base + data.Len()
	for _, v := range []uint32{1, 1, 0, 0} { // nbucket, nchain, bucket[0], chain[0]
		data.Write(le.AppendUint32(nil, v))
	}
	dyns = append(dyns, dyn{elf.DT_STRTAB, uint64(strOff)}, dyn{elf.DT_STRSZ, uint64(strSize)},
		dyn{elf.DT_SYMTAB, uint64(symOff)}, dyn{elf.DT_SYMENT, uint64(symSize)}, dyn{elf.DT_HASH, uint64(hashOff)},
		dyn{elf.DT_NULL, 0})
	for (base+data.Len())%8 != 0 {
		data.WriteByte(0)
	}
	dynOff := base + data.Len()
	for _, d := range dyns {
		if is64 {
			data.Write(le.AppendUint64(le.AppendUint64(nil, uint64(d.tag)), d.val))
		} else {
			data.Write(le.AppendUint32(le.AppendUint32(nil, uint32(d.tag)), uint32(d.val)))
		}
	}
	total := base + data.Len()

	out := make([]byte, ehsz, total)
	copy(out, elf.ELFMAG)
	out[elf.EI_CLASS], out[elf.EI_DATA], out[elf.EI_VERSION] = byte(class), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	le.PutUint16(out[16:], uint16(typ))
	le.PutUint16(out[18:], uint16(machine))
	le.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	phnum := nph
	if s.phnum != 0 {
		phnum = s.phnum
	}
	if is64 {
		le.PutUint64(out[32:], uint64(ehsz)) // e_phoff
		le.PutUint16(out[52:], uint16(ehsz))
		le.PutUint16(out[54:], uint16(phsz+s.phentAdj))
		le.PutUint16(out[56:], uint16(phnum))
	} else {
		le.PutUint32(out[28:], uint32(ehsz))
		le.PutUint16(out[40:], uint16(ehsz))
		le.PutUint16(out[42:], uint16(phsz+s.phentAdj))
		le.PutUint16(out[44:], uint16(phnum))
	}
	ph := func(typ elf.ProgType, flags elf.ProgFlag, off, size, align uint64) {
		if is64 {
			e := make([]byte, 56)
			le.PutUint32(e, uint32(typ))
			le.PutUint32(e[4:], uint32(flags))
			le.PutUint64(e[8:], off)
			le.PutUint64(e[16:], off)
			le.PutUint64(e[24:], off)
			le.PutUint64(e[32:], size)
			le.PutUint64(e[40:], size)
			le.PutUint64(e[48:], align)
			out = append(out, e...)
			return
		}
		e := make([]byte, 32)
		le.PutUint32(e, uint32(typ))
		le.PutUint32(e[4:], uint32(off))
		le.PutUint32(e[8:], uint32(off))
		le.PutUint32(e[12:], uint32(off))
		le.PutUint32(e[16:], uint32(size))
		le.PutUint32(e[20:], uint32(size))
		le.PutUint32(e[24:], uint32(flags))
		le.PutUint32(e[28:], uint32(align))
		out = append(out, e...)
	}
	for i, in := range s.interps {
		ph(elf.PT_INTERP, elf.PF_R, uint64(interpOff[i]), uint64(len(in)+1), 1)
	}
	// Writable: ld.so relocates the pointers of a writable dynamic
	// section in place.
	ph(elf.PT_LOAD, elf.PF_R|elf.PF_W|elf.PF_X, 0, uint64(total), 0x1000)
	if !s.noDyn {
		ph(elf.PT_DYNAMIC, elf.PF_R|elf.PF_W, uint64(dynOff), uint64(len(dyns)*dsz), 8)
	}
	ph(elf.PT_GNU_STACK, elf.PF_R|elf.PF_W, 0, 0, 16)
	return append(out, data.Bytes()...)
}

func ptr(s string) *string { return &s }

// decoys makes, in dir, the entries a hostile program points its
// interpreter and libraries at, each a thing neither the kernel nor ld.so
// loads (but l.so, and e as an interpreter):
//
//	d    a directory            r    a symlink to "/"
//	f    a FIFO                 dev  a symlink to /dev/null
//	n    a non-ELF file, 0755   l.so a valid ELF shared object, 0755
//	nox  l.so without x bits    c    an ELFCLASS32 object
//	m    an ELF of another machine
//	e    an ET_EXEC ELF (an interpreter, never a library)
func decoys(t testing.TB, dir string) {
	t.Helper()
	write := func(name string, b []byte, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"r": "/", "dev": "/dev/null"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mkfifo(filepath.Join(dir, "f"), 0o666); err != nil {
		t.Fatal(err)
	}
	write("n", bytes.Repeat([]byte("not an ELF file, but executable\n"), 4), 0o755)
	write("l.so", fakeELF{soname: "l.so"}.bytes(), 0o755)
	write("nox", fakeELF{}.bytes(), 0o644)
	write("c", fakeELF{class: elf.ELFCLASS32, machine: elf.EM_386}.bytes(), 0o755)
	write("m", fakeELF{machine: otherMachine}.bytes(), 0o755)
	write("e", fakeELF{typ: elf.ET_EXEC}.bytes(), 0o755)
}

// testDir is a temporary directory whose path has no "$" (t.TempDir's
// has the test's name, and ld.so expands tokens in paths).
func testDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ldso-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// elfIdent reads what the checks below need of an ELF header, without
// this package's reader: ok is false for anything that is not an ELF.
func elfIdent(path string) (class elf.Class, machine elf.Machine, typ elf.Type, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, false
	}
	defer f.Close()
	var b [20]byte
	if _, err := f.ReadAt(b[:], 0); err != nil || string(b[:4]) != elf.ELFMAG {
		return 0, 0, 0, false
	}
	return elf.Class(b[4]), elf.Machine(binary.LittleEndian.Uint16(b[18:])), elf.Type(binary.LittleEndian.Uint16(b[16:])), true
}

// firstInterp is the first PT_INTERP's string, read independently of the
// package: the one the kernel opens.
func firstInterp(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 64 {
		return "", false
	}
	le := binary.LittleEndian
	var phoff, phent, phnum uint64
	if elf.Class(b[4]) == elf.ELFCLASS64 {
		phoff, phent, phnum = le.Uint64(b[32:]), uint64(le.Uint16(b[54:])), uint64(le.Uint16(b[56:]))
	} else {
		phoff, phent, phnum = uint64(le.Uint32(b[28:])), uint64(le.Uint16(b[42:])), uint64(le.Uint16(b[44:]))
	}
	for i := uint64(0); i < phnum; i++ {
		e := phoff + i*phent
		if e+phent > uint64(len(b)) || phent < 32 {
			return "", false
		}
		if elf.ProgType(le.Uint32(b[e:])) != elf.PT_INTERP {
			continue
		}
		var off, size uint64
		if elf.Class(b[4]) == elf.ELFCLASS64 {
			off, size = le.Uint64(b[e+8:]), le.Uint64(b[e+32:])
		} else {
			off, size = uint64(le.Uint32(b[e+4:])), uint64(le.Uint32(b[e+16:]))
		}
		if off > uint64(len(b)) || size > uint64(len(b))-off {
			return "", false
		}
		s, _, _ := strings.Cut(string(b[off:off+size]), "\x00")
		return s, true
	}
	return "", false
}

// checkNeeds is the property every answer of ProgramNeeds for prog has:
// each Need is the program itself; or a #! interpreter the kernel can
// exec (a regular file with an x bit, a script or an ELF the kernel runs)
// named by the previous link of the chain; or the ELF interpreter, the
// first PT_INTERP of the chain's ELF, an ELF the kernel runs; or a library,
// an ELF shared object of that same class and machine; or one of the
// loader's own files. Never a directory, never anything else.
func checkNeeds(t testing.TB, prog string, needs []Need) {
	t.Helper()
	if len(needs) == 0 {
		return
	}
	if n := needs[0]; n != (Need{prog, "rx", WhyProgram}) {
		t.Errorf("first need %+v is not the program %s", n, prog)
	}
	regular := func(n Need) os.FileInfo {
		fi, err := os.Stat(n.Path)
		if err != nil {
			t.Errorf("%+v: %v", n, err)
			return nil
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("%+v is not a regular file: %v", n, fi.Mode())
			return nil
		}
		return fi
	}
	regular(needs[0])
	last := prog // the file the next #! interpreter is named by
	var class elf.Class
	var machine elf.Machine
	interps := 0
	for _, n := range needs[1:] {
		fi := regular(n)
		if fi == nil {
			continue
		}
		c, m, typ, isELF := elfIdent(n.Path)
		runs := isELF && kernelExecs(c, m) && (typ == elf.ET_EXEC || typ == elf.ET_DYN)
		switch {
		case n.Why == WhyProgram:
			t.Errorf("%+v: the program twice", n)
		case strings.HasPrefix(n.Why, "#! interpreter of "):
			head := make([]byte, 2)
			if f, err := os.Open(n.Path); err == nil {
				f.Read(head)
				f.Close()
			}
			if n.Perm != "rx" || fi.Mode().Perm()&0o111 == 0 || !(string(head) == "#!" || runs) {
				t.Errorf("%+v: not a file the kernel execs (mode %v, ELF %v)", n, fi.Mode(), runs)
			}
			if n.Why != "#! interpreter of "+last {
				t.Errorf("%+v: the chain's last link is %s", n, last)
			}
			last = n.Path
		case strings.HasPrefix(n.Why, "ELF interpreter of "):
			interps++
			of := strings.TrimPrefix(n.Why, "ELF interpreter of ")
			first, _ := firstInterp(of)
			oc, om, _, _ := elfIdent(of)
			if n.Perm != "rx" || fi.Mode().Perm()&0o111 == 0 || !runs || c != oc || m != om {
				t.Errorf("%+v: not an interpreter the kernel runs for %s (%v %v %v, program %v %v)", n, of, c, m, typ, oc, om)
			}
			if of != last || n.Path != first || interps > 1 {
				t.Errorf("%+v: the kernel opens only %s's first PT_INTERP %q (chain end %s)", n, of, first, last)
			}
			class, machine = c, m
		case strings.HasPrefix(n.Why, "library "):
			if n.Perm != "r" || !isELF || typ != elf.ET_DYN || c != class || m != machine || interps != 1 {
				t.Errorf("%+v: not a shared object ld.so maps for a %v %v program (%v %v %v)", n, class, machine, c, m, typ)
			}
		case n.Path == ldsoCache || n.Path == ldsoPreload:
			if n.Perm != "r" || interps != 1 {
				t.Errorf("%+v: the loader's file, not for a program ld.so starts", n)
			}
		default:
			t.Errorf("%+v: not something the kernel or ld.so opens", n)
		}
	}
}

// execResult is what running a program did: err is the execve error
// (the kernel refused), else the program ran (and may have failed in its
// loader, or faulted).
type execResult struct {
	err    error // the execve errno, nil when the kernel started the program
	code   int   // exit status; -1 when signalled
	output string
}

func run(t testing.TB, dir, prog string, env ...string) execResult {
	t.Helper()
	cmd := exec.Command(prog)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return execResult{code: 0, output: string(out)}
	case errors.As(err, &ee):
		return execResult{code: ee.ExitCode(), output: string(out)}
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		t.Fatalf("running %s: %v", prog, err)
	}
	return execResult{err: errno, code: -1}
}

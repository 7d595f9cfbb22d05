// Package ldso finds what the kernel and glibc's dynamic loader open to
// start a program: its #! interpreter chain, its ELF interpreter
// (PT_INTERP) and the DT_NEEDED closure resolved the way glibc's ld.so
// resolves it. The pledge command unveils these paths; the supervisor
// grants the loader window for exactly these files. Its answers are
// therefore security decisions, and every one of them is a file the
// kernel or ld.so would itself open for that program:
//
//   - the program itself;
//   - a #! interpreter or PT_INTERP: a regular file the kernel can exec
//     (open_exec), and for PT_INTERP an ELF of the program's class and
//     machine (load_elf_binary, elf_check_arch);
//   - a library: a regular file that is an ELF shared object of the
//     program's class and machine (ld.so's open_verify and
//     _dl_map_object_from_fd);
//   - the loader's own files, /etc/ld.so.cache and /etc/ld.so.preload.
//
// Never a directory, a device, a FIFO or a socket: a Landlock rule on a
// directory grants the whole tree below it.
package ldso

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// WhyProgram is the reason given for the program itself, the file execve
// is called on: always the first Need.
const WhyProgram = "the program"

// Need is one file a program needs to start, with the permission it needs
// (unveil letters: "rx" for what the kernel execs, which Landlock checks
// for EXECUTE; "r" for what ld.so opens and maps, since mmap with
// PROT_EXEC is not a Landlock access) and why.
type Need struct {
	Path, Perm, Why string
}

// ProgramNeeds returns what executing path with environment env needs:
// the file itself (rx), its #! interpreter chain (rx), the ELF
// interpreter the kernel loads (rx), and every shared library ld.so maps
// for it (r), with the loader's cache and preload list. The program comes
// first. When the kernel would refuse the exec (a #! chain too deep, an
// interpreter it cannot exec or of another machine, a malformed first
// PT_INTERP), only the program itself is returned, with the reason. A
// library ld.so would not find is reported in the error; the others are
// still returned. path must be a regular file: nothing is returned for
// anything else, which the kernel does not exec either.
func ProgramNeeds(path string, env []string) ([]Need, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "execve", Path: path, Err: syscall.EACCES}
	}
	prog := Need{path, "rx", WhyProgram}
	x, err := kernelExec(path)
	if err != nil {
		return []Need{prog}, err
	}
	defer x.close()
	needs := append([]Need{prog}, x.needs...)
	if x.main == nil || x.interp == nil {
		return needs, nil // not ELF (execve says ENOEXEC), or static: no ld.so runs
	}
	r := newLoader(x, env)
	r.run()
	return append(needs, r.needs...), errors.Join(r.errs...)
}

// RealPath is p with its symlinks resolved, made absolute: the file a
// Landlock rule for p attaches to (rules hold inodes, not names). It is p
// unchanged when that fails.
func RealPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		if a, err := filepath.Abs(r); err == nil {
			return a
		}
	}
	return p
}

// execed is what execve of a program opens, as the kernel opens it.
type execed struct {
	needs      []Need  // the #! interpreters and the ELF interpreter, in the kernel's order
	main       *object // the ELF the kernel maps as the program; nil when not ELF
	mainPath   string
	interp     *object // the first PT_INTERP, opened; nil for a static program
	interpPath string
}

func (x *execed) close() {
	if x.main != nil {
		x.main.Close()
	}
	if x.interp != nil {
		x.interp.Close()
	}
}

// kernelExec follows fs/exec.c exec_binprm: the binfmt handler of each
// file either names an interpreter to run instead (binfmt_script) or
// loads the file (binfmt_elf); at most maxRewrites rewrites, then ELOOP.
// Every file on the way is opened with open_exec.
func kernelExec(path string) (*execed, error) {
	x := &execed{}
	cur := path
	for depth := 0; ; depth++ {
		if depth > maxRewrites {
			return nil, fmt.Errorf("%s: more than %d #! levels: %w", path, maxRewrites, syscall.ELOOP)
		}
		f, err := openExec(cur)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, binprmBufSize) // prepare_binprm: zero-padded
		if _, err := f.ReadAt(buf, 0); err != nil && err != io.EOF {
			f.Close()
			return nil, fmt.Errorf("%s: %w", cur, err)
		}
		interp, script, err := shebang(buf)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", cur, err)
		}
		if script {
			f.Close()
			x.needs = append(x.needs, Need{interp, "rx", "#! interpreter of " + cur})
			cur = interp
			continue
		}
		if !bytes.HasPrefix(buf, []byte("\x7fELF")) {
			f.Close()
			if depth == 0 {
				return x, nil // no binfmt takes it: execve fails with ENOEXEC
			}
			return nil, fmt.Errorf("%s: #! interpreter is neither ELF nor a script: %w", cur, errNoExec)
		}
		if err := x.loadELF(f, buf, cur); err != nil {
			f.Close()
			x.close()
			return nil, fmt.Errorf("%s: %w", cur, err)
		}
		return x, nil
	}
}

// loadELF follows load_elf_binary for the ELF at path (open as f, its
// first bytes in buf): the header checks, the program headers, the first
// PT_INTERP, and load_elf_interp's checks of the interpreter.
func (x *execed) loadELF(f *os.File, buf []byte, path string) error {
	h, err := parseHeader(buf)
	if err != nil {
		return err
	}
	if !kernelExecs(h.class, h.machine) {
		return fmt.Errorf("%v %v: not a class and machine the kernel here is known to exec: %w", h.class, h.machine, errNoExec)
	}
	if h.typ != elf.ET_EXEC && h.typ != elf.ET_DYN {
		return fmt.Errorf("e_type %v: %w", h.typ, errNoExec)
	}
	progs, err := readProgs(f, h, true)
	if err != nil {
		return err
	}
	main := &object{f: f, h: h, progs: progs}
	name, has, err := kernelInterp(f, progs)
	if err != nil {
		return err
	}
	if !has {
		x.main, x.mainPath = main, path
		return nil
	}
	interp, err := loadInterp(name, h)
	if err != nil {
		return fmt.Errorf("ELF interpreter %q: %w", name, err)
	}
	x.main, x.mainPath = main, path
	x.interp, x.interpPath = interp, name
	x.needs = append(x.needs, Need{name, "rx", "ELF interpreter of " + path})
	return nil
}

// loadInterp opens the ELF interpreter as load_elf_binary and
// load_elf_interp do: open_exec, the header read in full, the ELF magic,
// elf_check_arch (the program's machine; the class too here, since the
// kernel would read it with the program's layout), the program headers,
// e_type EXEC or DYN, and at least one PT_LOAD.
func loadInterp(name string, program header) (*object, error) {
	f, err := openExec(name)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 64)
	if err := readFull(f, b[:ehdrSize(program.class)], 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("ELF header: %w", err)
	}
	h, err := parseHeader(b)
	if err == nil && (h.class != program.class || h.machine != program.machine) {
		err = fmt.Errorf("%v %v, not the program's %v %v: %w", h.class, h.machine, program.class, program.machine, syscall.ELIBBAD)
	}
	var progs []prog
	if err == nil {
		progs, err = readProgs(f, h, true)
	}
	if err == nil && h.typ != elf.ET_EXEC && h.typ != elf.ET_DYN {
		err = fmt.Errorf("e_type %v: %w", h.typ, syscall.EINVAL)
	}
	if err == nil && !hasLoad(progs) {
		err = fmt.Errorf("no PT_LOAD: %w", syscall.EINVAL)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &object{f: f, h: h, progs: progs}, nil
}

// shebang parses the "#!" line in buf (the file's first binprmBufSize
// bytes, zero-padded) the way fs/binfmt_script.c load_script does. script
// is false when buf does not start with "#!". For a "#!" line the kernel
// refuses (no interpreter name, or one that does not fit in the buffer:
// it will not exec a truncated path) the error is ENOEXEC. The
// interpreter name runs from the first non-blank after "#!" to the next
// space, tab, NUL or the end of the line; blanks are only spaces and tabs.
func shebang(buf []byte) (interp string, script bool, err error) {
	if len(buf) < 2 || buf[0] != '#' || buf[1] != '!' {
		return "", false, nil
	}
	spacetab := func(c byte) bool { return c == ' ' || c == '\t' }
	// next returns the first index in [from, last] where ok holds, or -1.
	next := func(from, last int, ok func(byte) bool) int {
		for i := from; i <= last; i++ {
			if ok(buf[i]) {
				return i
			}
		}
		return -1
	}
	last := len(buf) - 1
	// strnchr: the first '\n', searching no further than a NUL.
	end := -1
	for i, c := range buf {
		if c == '\n' {
			end = i
			break
		}
		if c == 0 {
			break
		}
	}
	if end < 0 {
		first := next(2, last, func(c byte) bool { return !spacetab(c) })
		if first < 0 {
			return "", true, fmt.Errorf("#! line of blanks only: %w", errNoExec)
		}
		if next(first, last, func(c byte) bool { return spacetab(c) || c == 0 }) < 0 {
			return "", true, fmt.Errorf("#! interpreter name longer than %d bytes: %w", binprmBufSize, errNoExec)
		}
		end = last
	}
	for spacetab(buf[end-1]) {
		end--
	}
	name := next(2, end, func(c byte) bool { return !spacetab(c) })
	if name < 0 || name == end {
		return "", true, fmt.Errorf("#! line without an interpreter: %w", errNoExec)
	}
	stop := end
	if sep := next(name, end-1, func(c byte) bool { return spacetab(c) || c == 0 }); sep >= 0 {
		stop = sep
	}
	return string(buf[name:stop]), true, nil
}

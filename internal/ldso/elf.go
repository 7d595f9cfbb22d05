package ldso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// This file reads ELF files the way the two programs that act on them do:
// the kernel's fs/binfmt_elf.c (load_elf_binary, load_elf_phdrs,
// load_elf_interp) for what execve maps and opens, and glibc's
// elf/dl-load.c (open_verify, _dl_map_object_from_fd) for what ld.so
// accepts as a library. Neither looks at section headers, so neither does
// this reader: debug/elf finds DT_NEEDED through the section headers, which
// a hostile file can make say something else than its program headers.

// Limits the kernel applies to what it execs (fs/binfmt_elf.c, fs/exec.c,
// include/uapi/linux/binfmts.h, include/uapi/linux/limits.h).
const (
	binprmBufSize = 256   // BINPRM_BUF_SIZE: the head of the file binfmts look at, zero-padded
	pathMax       = 4096  // PATH_MAX: a PT_INTERP's p_filesz is at most this (and at least 2)
	maxPhdrBytes  = 65536 // load_elf_phdrs: e_phnum*e_phentsize is at most 64 KiB and one page
	maxRewrites   = 5     // exec_binprm: a sixth binfmt rewrite (#! level) is ELOOP
)

// execArch is a class and machine the kernel execs on this GOARCH:
// binfmt_elf's elf_check_arch (the native one) and compat_binfmt_elf's
// compat_elf_check_arch (the 32-bit one). x32 (ELFCLASS32 with EM_X86_64)
// is left out: the native loader, tried first, checks e_machine only and
// would read such a file with the 64-bit layout, so the kernel's reading
// of it is not one this package can be sure of. Both hosts are
// little-endian; the kernel reads headers in native order whatever
// EI_DATA says, and ld.so refuses any other EI_DATA, so only ELFDATA2LSB
// files are read at all.
type execArch struct {
	class   elf.Class
	machine elf.Machine
}

var execArches = map[string][]execArch{
	"amd64": {{elf.ELFCLASS64, elf.EM_X86_64}, {elf.ELFCLASS32, elf.EM_386}},
	"arm64": {{elf.ELFCLASS64, elf.EM_AARCH64}, {elf.ELFCLASS32, elf.EM_ARM}},
}

func kernelExecs(c elf.Class, m elf.Machine) bool {
	for _, a := range execArches[runtime.GOARCH] {
		if a.class == c && a.machine == m {
			return true
		}
	}
	return false
}

// errNoExec is the kernel's ENOEXEC (no binfmt takes the file) and
// ld.so's fatal "invalid ELF header" class of refusals.
var errNoExec = syscall.ENOEXEC

// header is an ELF file header, read with the layout of its EI_CLASS.
type header struct {
	ident   [elf.EI_NIDENT]byte
	class   elf.Class
	typ     elf.Type
	machine elf.Machine
	version uint32
	phoff   uint64
	phent   uint16
	phnum   uint16
}

func ehdrSize(c elf.Class) int {
	if c == elf.ELFCLASS32 {
		return 52
	}
	return 64
}

func phdrSize(c elf.Class) int {
	if c == elf.ELFCLASS32 {
		return 32
	}
	return 56
}

func dynSize(c elf.Class) int {
	if c == elf.ELFCLASS32 {
		return 8
	}
	return 16
}

// parseHeader reads an ELF header from b, which holds at least
// ehdrSize(ELFCLASS64) bytes (the caller zero-pads, as the kernel's
// prepare_binprm does). It fails unless b starts with the ELF magic and
// has EI_CLASS 32 or 64 and EI_DATA little-endian.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < 64 || !bytes.HasPrefix(b, []byte(elf.ELFMAG)) {
		return h, fmt.Errorf("not an ELF file: %w", errNoExec)
	}
	copy(h.ident[:], b)
	h.class = elf.Class(b[elf.EI_CLASS])
	if elf.Data(b[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return h, fmt.Errorf("ELF data encoding %v, not little-endian: %w", elf.Data(b[elf.EI_DATA]), errNoExec)
	}
	le := binary.LittleEndian
	h.typ = elf.Type(le.Uint16(b[16:]))
	h.machine = elf.Machine(le.Uint16(b[18:]))
	h.version = le.Uint32(b[20:])
	switch h.class {
	case elf.ELFCLASS64:
		h.phoff = le.Uint64(b[32:])
		h.phent = le.Uint16(b[54:])
		h.phnum = le.Uint16(b[56:])
	case elf.ELFCLASS32:
		h.phoff = uint64(le.Uint32(b[28:]))
		h.phent = le.Uint16(b[42:])
		h.phnum = le.Uint16(b[44:])
	default:
		return h, fmt.Errorf("ELF class %v: %w", h.class, errNoExec)
	}
	return h, nil
}

// prog is one program header.
type prog struct {
	typ                       elf.ProgType
	flags                     elf.ProgFlag
	off, vaddr, filesz, memsz uint64
}

// readFull reads exactly len(b) bytes at off, as the kernel's elf_read
// and ld.so's pread checks require: a short read is an error. Offsets
// beyond what a loff_t holds are refused like the kernel's
// rw_verify_area refuses them.
func readFull(r io.ReaderAt, b []byte, off uint64) error {
	if off > math.MaxInt64 || uint64(len(b)) > math.MaxInt64-off {
		return fmt.Errorf("offset %#x: %w", off, syscall.EINVAL)
	}
	n, err := r.ReadAt(b, int64(off))
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = syscall.EIO // elf_read: a short read is -EIO
	}
	return fmt.Errorf("reading %d bytes at %#x: %w", len(b), off, err)
}

// readProgs reads the program headers. e_phentsize must be the size of
// the class's Elf_Phdr (load_elf_phdrs; open_verify "phentsize not the
// expected size"). kernel applies load_elf_phdrs's bound on the table's
// size (at most 64 KiB and one page, at least one entry); ld.so has none
// but e_phnum's 16 bits.
func readProgs(r io.ReaderAt, h header, kernel bool) ([]prog, error) {
	if int(h.phent) != phdrSize(h.class) {
		return nil, fmt.Errorf("e_phentsize %d: %w", h.phent, errNoExec)
	}
	size := int(h.phnum) * int(h.phent)
	if kernel && (size == 0 || size > maxPhdrBytes || size > os.Getpagesize()) {
		return nil, fmt.Errorf("program header table of %d bytes: %w", size, errNoExec)
	}
	b := make([]byte, size)
	if err := readFull(r, b, h.phoff); err != nil {
		return nil, fmt.Errorf("program headers: %w", err)
	}
	le := binary.LittleEndian
	progs := make([]prog, h.phnum)
	for i := range progs {
		e := b[i*int(h.phent):]
		p := &progs[i]
		p.typ = elf.ProgType(le.Uint32(e))
		if h.class == elf.ELFCLASS64 {
			p.flags = elf.ProgFlag(le.Uint32(e[4:]))
			p.off, p.vaddr = le.Uint64(e[8:]), le.Uint64(e[16:])
			p.filesz, p.memsz = le.Uint64(e[32:]), le.Uint64(e[40:])
		} else {
			p.off, p.vaddr = uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:]))
			p.filesz, p.memsz = uint64(le.Uint32(e[16:])), uint64(le.Uint32(e[20:]))
			p.flags = elf.ProgFlag(le.Uint32(e[24:]))
		}
	}
	return progs, nil
}

// kernelInterp is the interpreter load_elf_binary opens: the FIRST
// PT_INTERP only (the loop breaks after it), whose p_filesz is between 2
// and PATH_MAX, whose bytes read in full and end in NUL; the name is the
// string up to its first NUL. Any later PT_INTERP is never looked at by
// the kernel. has is false for a static program; an error is an exec the
// kernel refuses.
func kernelInterp(r io.ReaderAt, progs []prog) (name string, has bool, err error) {
	for _, p := range progs {
		if p.typ != elf.PT_INTERP {
			continue
		}
		if p.filesz < 2 || p.filesz > pathMax {
			return "", true, fmt.Errorf("PT_INTERP of %d bytes: %w", p.filesz, errNoExec)
		}
		b := make([]byte, p.filesz)
		if err := readFull(r, b, p.off); err != nil {
			return "", true, fmt.Errorf("PT_INTERP: %w", err)
		}
		if b[len(b)-1] != 0 {
			return "", true, fmt.Errorf("PT_INTERP not NUL-terminated: %w", errNoExec)
		}
		return string(b[:bytes.IndexByte(b, 0)]), true, nil
	}
	return "", false, nil
}

// object is an open ELF file with its header and program headers.
type object struct {
	f     *os.File
	h     header
	progs []prog
}

func (o *object) Close() error { return o.f.Close() }

// maxDynEntries and maxString bound what is read from a hostile file's
// memory image; ld.so has no bound but the mapping, and a real object
// stays far below them.
const (
	maxDynEntries = 1 << 16
	maxString     = 1 << 16
)

// mem reads n bytes of the object's memory image at vaddr, as ld.so sees
// it once the PT_LOAD segments are mapped: file bytes for
// [p_vaddr, p_vaddr+p_filesz), zeros up to p_memsz. A read that would
// leave the segment holding vaddr fails when exact is set (ld.so would
// fault or read another mapping) and is cut short otherwise.
func (o *object) mem(vaddr uint64, n int, exact bool) ([]byte, error) {
	for _, p := range o.progs {
		if p.typ != elf.PT_LOAD || vaddr < p.vaddr || vaddr-p.vaddr >= p.memsz {
			continue
		}
		delta := vaddr - p.vaddr
		if avail := p.memsz - delta; uint64(n) > avail {
			if exact {
				return nil, fmt.Errorf("%d bytes at %#x leave their segment: %w", n, vaddr, errNoExec)
			}
			n = int(avail)
		}
		b := make([]byte, n)
		if fileEnd := min(p.filesz, p.memsz); delta < fileEnd {
			k := min(uint64(n), fileEnd-delta)
			if p.off > math.MaxUint64-delta {
				return nil, fmt.Errorf("segment offset %#x: %w", p.off, errNoExec)
			}
			if err := readFull(o.f, b[:k], p.off+delta); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("address %#x is not mapped: %w", vaddr, errNoExec)
}

// cstring reads the NUL-terminated string at vaddr, which must end in
// the segment it starts in.
func (o *object) cstring(vaddr uint64) (string, error) {
	var out []byte
	for len(out) < maxString {
		b, err := o.mem(vaddr, 256, false)
		if err != nil {
			return "", err
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(append(out, b[:i]...)), nil
		}
		out = append(out, b...)
		if vaddr > math.MaxUint64-uint64(len(b)) {
			break
		}
		vaddr += uint64(len(b))
	}
	return "", fmt.Errorf("string at %#x longer than %d bytes or unterminated: %w", vaddr, maxString, errNoExec)
}

// dynamic is what ld.so takes from an object's dynamic section
// (elf/get-dynamic-info.h): every DT_NEEDED in order, and the last entry of
// each other tag. DT_RPATH is dropped when DT_RUNPATH is present.
type dynamic struct {
	needed                 []string
	rpath, runpath         *string
	soname                 string
	flags1                 uint64
	haveRPath, haveRunPath bool
}

// readDynamic reads the dynamic section at vaddr in the memory image.
func (o *object) readDynamic(vaddr uint64) (dynamic, error) {
	var d dynamic
	size := dynSize(o.h.class)
	le := binary.LittleEndian
	var neededOff []uint64
	var strtab, rpathOff, runpathOff, sonameOff uint64
	haveStrtab, haveSoname := false, false
	// The entries are read a chunk at a time (one pread for most objects,
	// not one per entry); each must still lie in the segment it starts in.
	const chunk = 64
	var buf []byte
	for i := 0; ; i++ {
		if i >= maxDynEntries {
			return d, fmt.Errorf("dynamic section without DT_NULL: %w", errNoExec)
		}
		if vaddr > math.MaxUint64-uint64(i*size) {
			return d, fmt.Errorf("dynamic section wraps: %w", errNoExec)
		}
		if len(buf) < size {
			var err error
			if buf, err = o.mem(vaddr+uint64(i*size), chunk*size, false); err != nil {
				return d, fmt.Errorf("dynamic section: %w", err)
			}
			if len(buf) < size {
				return d, fmt.Errorf("dynamic section: %d bytes at %#x leave their segment: %w", size, vaddr+uint64(i*size), errNoExec)
			}
		}
		b := buf[:size]
		buf = buf[size:]
		var tag int64
		var val uint64
		if size == 16 {
			tag, val = int64(le.Uint64(b)), le.Uint64(b[8:])
		} else {
			tag, val = int64(int32(le.Uint32(b))), uint64(le.Uint32(b[4:]))
		}
		switch elf.DynTag(tag) {
		case elf.DT_NULL:
			goto done
		case elf.DT_NEEDED:
			neededOff = append(neededOff, val)
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_RPATH:
			rpathOff, d.haveRPath = val, true
		case elf.DT_RUNPATH:
			runpathOff, d.haveRunPath = val, true
		case elf.DT_SONAME:
			sonameOff, haveSoname = val, true
		case elf.DT_FLAGS_1:
			d.flags1 = val
		}
	}
done:
	if !haveStrtab {
		if len(neededOff) == 0 && !d.haveRPath && !d.haveRunPath && !haveSoname {
			return d, nil
		}
		return d, fmt.Errorf("dynamic section has strings but no DT_STRTAB: %w", errNoExec)
	}
	str := func(off uint64) (string, error) {
		if strtab > math.MaxUint64-off {
			return "", fmt.Errorf("string offset %#x: %w", off, errNoExec)
		}
		return o.cstring(strtab + off)
	}
	for _, off := range neededOff {
		s, err := str(off)
		if err != nil {
			return d, fmt.Errorf("DT_NEEDED: %w", err)
		}
		d.needed = append(d.needed, s)
	}
	if d.haveRunPath {
		s, err := str(runpathOff)
		if err != nil {
			return d, fmt.Errorf("DT_RUNPATH: %w", err)
		}
		d.runpath = &s
		d.haveRPath = false // get-dynamic-info.h: DT_RUNPATH disables DT_RPATH
	} else if d.haveRPath {
		s, err := str(rpathOff)
		if err != nil {
			return d, fmt.Errorf("DT_RPATH: %w", err)
		}
		d.rpath = &s
	}
	if haveSoname {
		s, err := str(sonameOff)
		if err != nil {
			return d, fmt.Errorf("DT_SONAME: %w", err)
		}
		d.soname = s
	}
	return d, nil
}

// errNotRegular refuses to open anything but a regular file.
var errNotRegular = errors.New("not a regular file")

// openRegular opens path for reading only if it is a regular file (after
// symlinks). It never opens a FIFO (an O_RDONLY open blocks until a
// writer comes), a device (opening one can act), a socket or a
// directory. The check is repeated on the open file, so a swap between
// the stat and the open is caught.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if got, err := f.Stat(); err != nil || !got.Mode().IsRegular() || !os.SameFile(fi, got) {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return f, nil
}

// openExec opens path as the kernel's open_exec (do_open_execat, and
// may_open with MAY_EXEC) would let it be executed: a regular file, with
// an execute bit (what inode_permission demands of everyone, root
// included), on a mount without noexec. Anything else fails the exec with
// EACCES, so nothing behind it needs unveiling.
func openExec(path string) (*os.File, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&0o111 == 0 {
		err = &os.PathError{Op: "execve", Path: path, Err: syscall.EACCES}
	}
	var sfs unix.Statfs_t
	if err == nil && unix.Fstatfs(int(f.Fd()), &sfs) == nil && sfs.Flags&unix.ST_NOEXEC != 0 {
		err = &os.PathError{Op: "execve", Path: path, Err: fmt.Errorf("noexec mount: %w", syscall.EACCES)}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

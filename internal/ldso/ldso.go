// Package ldso finds what the kernel and the dynamic loader open to start a
// program: its #! interpreter chain, its ELF interpreter (PT_INTERP) and the
// DT_NEEDED closure resolved the way glibc's ld.so resolves it. The pledge
// command unveils these paths; the supervisor grants the loader window for
// exactly these files.
package ldso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// What the dynamic loader opens, and so what auto-unveil must show it:
// the program's PT_INTERP, and each DT_NEEDED library found the way glibc's
// ld.so searches (ld.so(8), "Dynamic library search order"):
//  1. a name containing a slash is used as is;
//  2. DT_RPATH of the loading object and of its loaders, if the object has
//     no DT_RUNPATH;
//  3. LD_LIBRARY_PATH;
//  4. DT_RUNPATH of the loading object;
//  5. /etc/ld.so.cache;
//  6. the default directories.
// $ORIGIN in RPATH/RUNPATH is the directory of the object. Candidates of
// another ELF class or machine are skipped, as ld.so skips them.

// ldsoCache is the loader's cache of library names (ldconfig(8)).
const ldsoCache = "/etc/ld.so.cache"

// ldsoPreload lists libraries glibc's ld.so loads into every program.
const ldsoPreload = "/etc/ld.so.preload"

// defaultLibDirs are glibc's built-in search directories per GOARCH
// (Debian multiarch first, then the lib64 and plain layouts of other
// distributions).
var defaultLibDirs = map[string][]string{
	"amd64": {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"},
	"arm64": {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"},
}

// cacheArchFlag is the ld.so.cache entry flag naming the native ABI
// (glibc's sysdeps/generic/ldconfig.h: FLAG_X8664_LIB64, FLAG_AARCH64_LIB64).
var cacheArchFlag = map[string]int32{"amd64": 0x0300, "arm64": 0x0a00}

// maxInterpDepth bounds #! interpreter chains, like the kernel's
// BINPRM_MAX_RECURSION (4).
const maxInterpDepth = 4

// WhyProgram is the reason given for the program itself.
const WhyProgram = "the program"

// Need is one file a program needs to start, with the permission it needs
// (unveil letters) and why.
type Need struct {
	Path, Perm, Why string
}

// deps collects what a program needs to start.
type deps struct {
	needs   []Need
	seen    map[string]bool // library paths already followed
	libPath []string        // LD_LIBRARY_PATH of the target
	cache   map[string][]string
	cacheOK bool
	class   elf.Class
	machine elf.Machine
}

// ProgramNeeds returns what executing path needs: the file itself (rx), a
// #! interpreter chain (rx), each ELF interpreter (rx: the kernel opens it
// with open_exec, which Landlock checks for EXECUTE), and every shared
// library reached from DT_NEEDED (r: mmap with PROT_EXEC is not a Landlock
// access, only execve is), plus the loader's cache and preload list.
func ProgramNeeds(path string, env []string) ([]Need, error) {
	d := &deps{seen: map[string]bool{}}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "LD_LIBRARY_PATH="); ok {
			d.libPath = splitPath(v)
		}
	}
	if err := d.exec(path, WhyProgram, 0); err != nil {
		return d.needs, err
	}
	return d.needs, nil
}

func (d *deps) add(path, perm, why string) { d.needs = append(d.needs, Need{path, perm, why}) }

func (d *deps) exec(path, why string, depth int) error {
	d.add(path, "rx", why)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if interp, ok := shebang(head); ok {
		if depth >= maxInterpDepth {
			return fmt.Errorf("%s: too many #! levels", path)
		}
		return d.exec(interp, "#! interpreter of "+path, depth+1)
	}
	if !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return nil // not ELF: let execve say ENOEXEC
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	d.class, d.machine = ef.Class, ef.Machine
	dynamic := false
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return fmt.Errorf("%s: PT_INTERP: %w", path, err)
			}
			interp := string(bytes.TrimRight(b, "\x00"))
			d.add(interp, "rx", "ELF interpreter of "+path)
			d.seen[interp] = true
			dynamic = true
		}
	}
	if !dynamic {
		return nil // static: the kernel maps it, nothing is loaded later
	}
	if _, err := os.Stat(ldsoCache); err == nil {
		d.add(ldsoCache, "r", "the loader's library cache")
	}
	d.cache, d.cacheOK = readLdsoCache(ldsoCache)
	if pre, err := os.ReadFile(ldsoPreload); err == nil {
		d.add(ldsoPreload, "r", "the loader's preload list")
		for _, lib := range strings.Fields(string(pre)) {
			d.library(lib, ef, path, nil)
		}
	}
	return d.object(ef, path, nil)
}

// object follows the DT_NEEDED entries of one loaded object. rpaths is the
// DT_RPATH chain of the objects that loaded it.
func (d *deps) object(ef *elf.File, path string, rpaths []string) error {
	needed, err := ef.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("%s: DT_NEEDED: %w", path, err)
	}
	origin := filepath.Dir(RealPath(path))
	runpath := expandOrigin(dynStrings(ef, elf.DT_RUNPATH), origin)
	if len(runpath) == 0 {
		rpaths = append(expandOrigin(dynStrings(ef, elf.DT_RPATH), origin), rpaths...)
	} else {
		rpaths = nil // DT_RUNPATH disables DT_RPATH for this object's lookups
	}
	var errs []error
	for _, lib := range needed {
		errs = append(errs, d.library(lib, ef, path, rpaths, runpath...))
	}
	return errors.Join(errs...)
}

// library resolves one needed name and follows its own dependencies.
func (d *deps) library(name string, by *elf.File, byPath string, rpaths []string, runpath ...string) error {
	var found []string
	if strings.Contains(name, "/") {
		found = []string{name}
	} else {
		search := append(append(append([]string{}, rpaths...), d.libPath...), runpath...)
		for _, dir := range search {
			if p := filepath.Join(dir, name); d.matches(p) {
				found = []string{p}
				break
			}
		}
		if found == nil {
			// All cache entries of the name: glibc may pick a
			// glibc-hwcaps variant for this CPU, so show it every one.
			for _, p := range d.cache[name] {
				if d.matches(p) {
					found = append(found, p)
				}
			}
		}
		if found == nil {
			for _, dir := range defaultLibDirs[runtime.GOARCH] {
				if p := filepath.Join(dir, name); d.matches(p) {
					found = []string{p}
					break
				}
			}
		}
	}
	if found == nil {
		return fmt.Errorf("%s: library %s not found", byPath, name)
	}
	var errs []error
	for _, p := range found {
		if d.seen[p] {
			continue
		}
		d.seen[p] = true
		d.add(p, "r", "library "+name+" needed by "+byPath)
		ef, err := elf.Open(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, d.object(ef, p, rpaths))
		ef.Close()
	}
	return errors.Join(errs...)
}

// matches reports whether p is an ELF object of the program's class and
// machine. It reads only the identification bytes and e_machine (ELF
// header: EI_CLASS at 4, EI_DATA at 5, e_machine at 18), which is all
// ld.so checks before choosing a candidate, and is much cheaper than
// parsing the section headers of every candidate.
func (d *deps) matches(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var h [20]byte
	if _, err := f.ReadAt(h[:], 0); err != nil || !bytes.HasPrefix(h[:], []byte(elf.ELFMAG)) {
		return false
	}
	var order binary.ByteOrder = binary.LittleEndian
	if elf.Data(h[elf.EI_DATA]) == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	return elf.Class(h[elf.EI_CLASS]) == d.class && elf.Machine(order.Uint16(h[18:])) == d.machine
}

func dynStrings(ef *elf.File, tag elf.DynTag) []string {
	vals, _ := ef.DynString(tag)
	var out []string
	for _, v := range vals {
		out = append(out, splitPath(v)...)
	}
	return out
}

// expandOrigin substitutes $ORIGIN / ${ORIGIN}; directories with other
// dynamic string tokens ($LIB, $PLATFORM) are dropped rather than guessed.
func expandOrigin(dirs []string, origin string) []string {
	var out []string
	for _, dir := range dirs {
		dir = strings.ReplaceAll(strings.ReplaceAll(dir, "${ORIGIN}", origin), "$ORIGIN", origin)
		if !strings.Contains(dir, "$") {
			out = append(out, dir)
		}
	}
	return out
}

func splitPath(v string) []string {
	var out []string
	for _, dir := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ';' }) {
		if dir != "" {
			out = append(out, dir)
		}
	}
	return out
}

func RealPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		if a, err := filepath.Abs(r); err == nil {
			return a
		}
	}
	return p
}

// shebang returns the interpreter of a "#!" script (binfmt_script: the
// first word after "#!", blanks being spaces and tabs).
func shebang(head []byte) (string, bool) {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return "", false
	}
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	fields := strings.FieldsFunc(string(line), func(r rune) bool { return r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return "", false
	}
	return fields[0], true
}

// glibc's ld.so.cache layout (sysdeps/generic/dl-cache.h). The new format
// starts with cacheMagicNew (possibly after an old-format "ld.so-1.7.0"
// block) and has fixed-size entries whose key and value are offsets of
// NUL-terminated strings from the start of the new-format header.
const (
	cacheMagicOld     = "ld.so-1.7.0"
	cacheMagicNew     = "glibc-ld.so.cache1.1"
	cacheHeaderNew    = 48 // magic+version 20, nlibs 4, len_strings 4, flags 1+3, extension 4, unused 12
	cacheEntryNew     = 24 // flags int32, key uint32, value uint32, osversion uint32, hwcap uint64
	cacheEntryOld     = 12 // flags int32, key uint32, value uint32
	cacheFlagTypeMask = 0x00ff
	cacheFlagELFLibc6 = 0x0003
	cacheFlagArchMask = 0xff00
)

// readLdsoCache maps library names to paths of the native ABI. A cache it
// cannot parse gives nil: the default directories still apply.
func readLdsoCache(path string) (map[string][]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	base := 0
	if bytes.HasPrefix(b, []byte(cacheMagicOld)) && len(b) >= 16 {
		nOld := int(binary.LittleEndian.Uint32(b[12:]))
		base = 16 + nOld*cacheEntryOld
		base = (base + 7) &^ 7 // the new header is aligned for its uint64 fields
		if i := bytes.Index(b, []byte(cacheMagicNew)); i >= 0 {
			base = i
		}
	}
	if !bytes.HasPrefix(b[min(base, len(b)):], []byte(cacheMagicNew)) || len(b) < base+cacheHeaderNew {
		return nil, false
	}
	order := binary.ByteOrder(binary.NativeEndian)
	n := int(order.Uint32(b[base+20:]))
	str := func(off uint32) string {
		o := base + int(off)
		if o < 0 || o >= len(b) {
			return ""
		}
		s, _, _ := bytes.Cut(b[o:], []byte{0})
		return string(s)
	}
	want := cacheArchFlag[runtime.GOARCH]
	out := map[string][]string{}
	for i := 0; i < n; i++ {
		e := base + cacheHeaderNew + i*cacheEntryNew
		if e+cacheEntryNew > len(b) {
			return nil, false
		}
		flags := int32(order.Uint32(b[e:]))
		if flags&cacheFlagTypeMask != cacheFlagELFLibc6 || flags&cacheFlagArchMask != want {
			continue
		}
		name, val := str(order.Uint32(b[e+4:])), str(order.Uint32(b[e+8:]))
		if name != "" && val != "" {
			out[name] = append(out[name], val)
		}
	}
	return out, true
}

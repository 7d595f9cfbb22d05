package ldso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// What glibc's ld.so opens once the kernel has started it (elf/rtld.c
// dl_main, elf/dl-deps.c _dl_map_object_deps, elf/dl-load.c
// _dl_map_object), for a program that is not set-user-ID (the pledge
// command refuses those):
//  1. the libraries named in /etc/ld.so.preload, then, breadth first, the
//     DT_NEEDED entries of the program and of each object loaded, in
//     order;
//  2. a name already loaded (a name it was requested as, the path it was
//     opened by, or its DT_SONAME; ld.so itself included, known by the
//     program's PT_INTERP string) is not looked up again;
//  3. dynamic string tokens are expanded ($ORIGIN is the object's
//     directory); a name containing a slash is opened as a path, a
//     relative one against the working directory;
//  4. other names are searched in DT_RPATH of the loading object and of
//     its loaders up to the program (only when the loading object has no
//     DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH of the loading object,
//     /etc/ld.so.cache and the default directories (the last two not for
//     a loader marked DF_1_NODEFLIB). An empty element of these lists is
//     the working directory; an empty DT_RPATH or DT_RUNPATH is none;
//  5. a candidate that does not exist or cannot be accessed, and an ELF
//     of another class or machine, is skipped; any other file ends the
//     lookup with an error (open_verify: "invalid ELF header", "cannot
//     read file data"; _dl_map_object_from_fd: no PT_LOAD, no dynamic
//     section, an executable or a PIE). A directory, FIFO, device or
//     socket is such a file: it is never returned.

const (
	ldsoCache   = "/etc/ld.so.cache"   // the loader's cache of library names (ldconfig(8))
	ldsoPreload = "/etc/ld.so.preload" // libraries glibc's ld.so loads into every program
)

// defaultLibDirs are glibc's built-in search directories per GOARCH
// (Debian multiarch first, then the lib64 and plain layouts of other
// distributions), each ending in "/" as ld.so keeps them.
var defaultLibDirs = map[string][]string{
	"amd64": {"/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib64/", "/usr/lib64/", "/lib/", "/usr/lib/"},
	"arm64": {"/lib/aarch64-linux-gnu/", "/usr/lib/aarch64-linux-gnu/", "/lib64/", "/usr/lib64/", "/lib/", "/usr/lib/"},
}

// cacheArchFlag is the ld.so.cache entry flag naming the native ABI
// (glibc's sysdeps/generic/ldconfig.h: FLAG_X8664_LIB64, FLAG_AARCH64_LIB64).
var cacheArchFlag = map[string]int32{"amd64": 0x0300, "arm64": 0x0a00}

// abiVersionMax bounds EI_ABIVERSION for ELFOSABI_GNU objects
// (VALID_ELF_ABIVERSION: below LIBC_ABI_MAX, 4 in current glibc).
const abiVersionMax = 4

// fileID is what ld.so compares to tell an object is already loaded
// (_dl_file_id_match_p: device and inode).
type fileID struct{ dev, ino uint64 }

func idOf(f *os.File) fileID {
	if fi, err := f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			return fileID{uint64(st.Dev), st.Ino}
		}
	}
	return fileID{}
}

// loaded is one object in ld.so's list (struct link_map).
type loaded struct {
	path   string   // l_name: the path it was opened by ("" for the program)
	shown  string   // how reasons name it
	names  []string // l_libname: the names it was requested as
	soname string
	id     fileID
	dyn    dynamic
	origin string  // $ORIGIN
	loader *loaded // l_loader: whose DT_NEEDED loaded it
}

func (l *loaded) known(name string) bool {
	return name == l.path || slices.Contains(l.names, name) || (l.soname != "" && name == l.soname)
}

// loader models ld.so starting one program.
type loader struct {
	needs   []Need
	errs    []error
	class   elf.Class
	machine elf.Machine
	libPath []string // LD_LIBRARY_PATH, split; nil when unset or empty
	cache   *ldCache
	main    *loaded
	objs    []*loaded
	tries   int // candidates verified so far
}

// maxTries bounds the candidate files one resolution looks at (a real
// program needs a few hundred): a file with many DT_NEEDED entries and a
// long search path must not stall the command. Past it, lookups fail,
// which only returns less.
const maxTries = 1 << 16

func newLoader(x *execed, env []string) *loader {
	r := &loader{class: x.main.h.class, machine: x.main.h.machine}
	// rtld_setup_main_map: the program's dynamic section is its last
	// PT_DYNAMIC; ld.so names itself after the last PT_INTERP (the
	// kernel opened the first).
	main := &loaded{path: "", shown: x.mainPath, names: []string{""}, id: idOf(x.main.f), origin: dirOf(RealPath(x.mainPath))}
	rtld := &loaded{path: x.interpPath, shown: x.interpPath, id: idOf(x.interp.f)}
	if p, ok := lastOf(x.main.progs, elf.PT_DYNAMIC); ok {
		dyn, err := x.main.readDynamic(p.vaddr)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", x.mainPath, err))
		}
		main.dyn = dyn
	}
	if p, ok := lastOf(x.main.progs, elf.PT_INTERP); ok {
		if s, err := x.main.cstring(p.vaddr); err == nil {
			rtld.path = s
		}
	}
	main.soname = main.dyn.soname
	if p, ok := lastOf(x.interp.progs, elf.PT_DYNAMIC); ok {
		if dyn, err := x.interp.readDynamic(p.vaddr); err == nil {
			rtld.soname = dyn.soname
		}
	}
	rtld.names = []string{rtld.path}
	r.main = main
	r.objs = []*loaded{main, rtld}
	// process_envvars: the last LD_LIBRARY_PATH wins; an empty one is
	// none. _dl_init_paths splits it on ":" and ";" (fillin_rpath).
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "LD_LIBRARY_PATH="); ok {
			r.libPath = nil
			if v != "" {
				r.libPath = searchPath(v, ":;", main.origin)
			}
		}
	}
	return r
}

// lastOf is the last program header of type t: where ld.so, which
// overwrites as it scans, takes the program's PT_DYNAMIC and its own name
// (rtld_setup_main_map).
func lastOf(progs []prog, t elf.ProgType) (prog, bool) {
	for i := len(progs) - 1; i >= 0; i-- {
		if progs[i].typ == t {
			return progs[i], true
		}
	}
	return prog{}, false
}

func hasLoad(progs []prog) bool {
	return slices.ContainsFunc(progs, func(p prog) bool { return p.typ == elf.PT_LOAD })
}

// run loads the preload list and the DT_NEEDED closure.
func (r *loader) run() {
	if fi, err := os.Stat(ldsoCache); err == nil && fi.Mode().IsRegular() {
		r.needs = append(r.needs, Need{ldsoCache, "r", "the loader's library cache"})
		r.cache = readLdsoCache(ldsoCache)
	}
	queue := []*loaded{r.main}
	if names, ok := readPreload(ldsoPreload); ok {
		r.needs = append(r.needs, Need{ldsoPreload, "r", "the loader's preload list"})
		for _, name := range names {
			// do_preload: a preload that fails to load is ignored.
			news, _ := r.mapObject(r.main, name, "library "+name+" preloaded by "+ldsoPreload)
			queue = append(queue, news...)
		}
	}
	for i := 0; i < len(queue); i++ {
		l := queue[i]
		for _, raw := range l.dyn.needed {
			name, err := expandDST(raw, l.origin)
			if err != nil {
				r.errs = append(r.errs, fmt.Errorf("%s: DT_NEEDED %q: %w", l.shown, raw, err))
				continue
			}
			if name == "" && raw != "" {
				continue // expand_dst: a token with no value skips the entry
			}
			news, err := r.mapObject(l, name, "library "+name+" needed by "+l.shown)
			if err != nil {
				r.errs = append(r.errs, err)
			}
			queue = append(queue, news...)
		}
	}
}

// mapObject is _dl_map_object(by, name): nothing for a name already
// loaded, else the object found (all variants the cache lists), each
// added as a Need unless its file is loaded already.
func (r *loader) mapObject(by *loaded, name, why string) ([]*loaded, error) {
	for _, l := range r.objs {
		if l.known(name) {
			return nil, nil
		}
	}
	var found []*loaded
	if !strings.Contains(name, "/") {
		var err error
		if found, err = r.search(by, name); err != nil {
			return nil, fmt.Errorf("%s: library %s: %w", by.shown, name, err)
		}
		if found == nil {
			return nil, fmt.Errorf("%s: library %s not found", by.shown, name)
		}
	} else {
		p, err := expandDST(name, by.origin)
		if err != nil {
			return nil, fmt.Errorf("%s: library %s: %w", by.shown, name, err)
		}
		c, st, err := r.verify(p)
		switch {
		case st == verified:
			found = []*loaded{c}
		case st == fatal:
			return nil, fmt.Errorf("%s: library %s: %w", by.shown, name, err)
		default:
			return nil, fmt.Errorf("%s: library %s: cannot open shared object file: %w", by.shown, name, err)
		}
	}
	var news []*loaded
	for _, c := range found {
		if i := slices.IndexFunc(r.objs, func(l *loaded) bool { return l.id == c.id }); i >= 0 {
			r.objs[i].names = append(r.objs[i].names, name) // the same file under another name
			continue
		}
		c.names, c.loader = []string{name}, by
		r.objs = append(r.objs, c)
		r.needs = append(r.needs, Need{c.path, "r", why})
		news = append(news, c)
	}
	return news, nil
}

// search looks a name without a slash up in ld.so's order (see above).
// nil, nil: not found.
func (r *loader) search(by *loaded, name string) ([]*loaded, error) {
	if !by.dyn.haveRunPath {
		didMain := false
		for l := by; l != nil; l = l.loader {
			if dirs := rpathDirs(l.dyn.rpath, l.origin); dirs != nil {
				if c, err := r.openPath(name, dirs); c != nil || err != nil {
					return c, err
				}
				didMain = didMain || l == r.main
			}
		}
		if dirs := rpathDirs(r.main.dyn.rpath, r.main.origin); !didMain && dirs != nil {
			if c, err := r.openPath(name, dirs); c != nil || err != nil {
				return c, err
			}
		}
	}
	if c, err := r.openPath(name, r.libPath); c != nil || err != nil {
		return c, err
	}
	if dirs := rpathDirs(by.dyn.runpath, by.origin); dirs != nil {
		if c, err := r.openPath(name, dirs); c != nil || err != nil {
			return c, err
		}
	}
	nodeflib := by.dyn.flags1&uint64(elf.DF_1_NODEFLIB) != 0
	// The cache: glibc picks one entry (a glibc-hwcaps variant for this
	// CPU first); every variant is returned, so whichever it picks is
	// there.
	var found []*loaded
	for _, p := range r.cache.lookup(name) {
		if nodeflib && slices.ContainsFunc(defaultLibDirs[runtime.GOARCH], func(d string) bool { return strings.HasPrefix(p, d) }) {
			continue
		}
		c, st, err := r.verify(p)
		if st == fatal {
			return nil, err
		}
		if st == verified {
			found = append(found, c)
		}
	}
	if found != nil || nodeflib {
		return found, nil
	}
	return r.openPath(name, defaultLibDirs[runtime.GOARCH])
}

// openPath is open_path: dir+name for each directory in turn (dirs end in
// "/" or are "", the working directory).
func (r *loader) openPath(name string, dirs []string) ([]*loaded, error) {
	for _, dir := range dirs {
		c, st, err := r.verify(dir + name)
		switch st {
		case verified:
			return []*loaded{c}, nil
		case fatal:
			return nil, err
		case endOfList:
			return nil, nil
		}
	}
	return nil, nil
}

// status is what ld.so makes of one candidate file.
type status int

const (
	absent    status = iota // skipped: missing, not accessible, or of another class or machine
	verified                // loaded
	endOfList               // open failed otherwise: the rest of this search list is skipped
	fatal                   // the lookup fails
)

// verify checks a candidate as open_verify and _dl_map_object_from_fd do
// and, when ld.so would load it, returns it with its dynamic section read.
func (r *loader) verify(path string) (*loaded, status, error) {
	if r.tries++; r.tries > maxTries {
		return nil, fatal, fmt.Errorf("%s: more than %d candidate files", path, maxTries)
	}
	f, err := openRegular(path)
	if err != nil {
		switch {
		case errors.Is(err, errNotRegular):
			return nil, fatal, err
		case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOTDIR):
			return nil, absent, err
		}
		return nil, endOfList, err
	}
	defer f.Close()
	bad := func(format string, a ...any) (*loaded, status, error) {
		return nil, fatal, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	b := make([]byte, 64)
	n, err := f.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return bad("cannot read file data: %v", err)
	}
	if n < ehdrSize(r.class) {
		return bad("file too short")
	}
	id := b[:elf.EI_NIDENT]
	osabi, abiv := elf.OSABI(id[elf.EI_OSABI]), id[elf.EI_ABIVERSION]
	switch {
	case !bytes.HasPrefix(id, []byte(elf.ELFMAG)):
		return bad("invalid ELF header")
	case elf.Class(id[elf.EI_CLASS]) != r.class:
		return nil, absent, fmt.Errorf("%s: wrong ELF class", path)
	case elf.Data(id[elf.EI_DATA]) != elf.ELFDATA2LSB:
		return bad("ELF file data encoding not little-endian")
	case elf.Version(id[elf.EI_VERSION]) != elf.EV_CURRENT:
		return bad("ELF file version ident does not match current one")
	case osabi != elf.ELFOSABI_NONE && osabi != elf.ELFOSABI_LINUX:
		return bad("ELF file OS ABI invalid")
	case abiv != 0 && !(osabi == elf.ELFOSABI_LINUX && abiv < abiVersionMax):
		return bad("ELF file ABI version invalid")
	case bytes.IndexFunc(id[elf.EI_PAD:], func(c rune) bool { return c != 0 }) >= 0:
		return bad("nonzero padding in e_ident")
	}
	h, err := parseHeader(b)
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case h.version != uint32(elf.EV_CURRENT):
		return bad("ELF file version does not match current one")
	case h.machine != r.machine:
		return nil, absent, fmt.Errorf("%s: ELF machine %v", path, h.machine)
	case h.typ != elf.ET_DYN && h.typ != elf.ET_EXEC:
		return bad("only ET_DYN and ET_EXEC can be loaded")
	}
	progs, err := readProgs(f, h, false)
	if err != nil {
		return bad("%v", err)
	}
	loads, emptyDynamic := 0, false
	var dynp *prog
	for i, p := range progs {
		switch p.typ {
		case elf.PT_LOAD:
			if (p.vaddr-p.off)&uint64(os.Getpagesize()-1) != 0 {
				return bad("ELF load command address/offset not page-aligned")
			}
			loads++
		case elf.PT_DYNAMIC:
			if p.filesz == 0 {
				emptyDynamic = true
			} else {
				dynp = &progs[i]
			}
		}
	}
	switch {
	case loads == 0:
		return bad("object file has no loadable segments")
	case h.typ != elf.ET_DYN:
		return bad("cannot dynamically load executable")
	case dynp == nil || emptyDynamic:
		return bad("object file has no dynamic section")
	}
	o := &object{f: f, h: h, progs: progs}
	dyn, err := o.readDynamic(dynp.vaddr)
	if err != nil {
		return bad("%v", err)
	}
	if dyn.flags1&uint64(elf.DF_1_PIE) != 0 {
		return bad("cannot dynamically load position-independent executable")
	}
	return &loaded{path: path, shown: path, soname: dyn.soname, id: idOf(f), dyn: dyn, origin: dirOf(path)}, verified, nil
}

// errUnknownDST is a dynamic string token ld.so has a value for that this
// package does not know ($PLATFORM, $LIB).
var errUnknownDST = errors.New("dynamic string token $PLATFORM or $LIB")

// expandDST substitutes dynamic string tokens as _dl_dst_substitute does:
// $ORIGIN or ${ORIGIN} (not followed by a letter, digit or underscore)
// becomes origin; with no origin the result is "" (ld.so drops the
// string); $PLATFORM and $LIB give errUnknownDST; any other $ stays.
func expandDST(s, origin string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		rest := s[i+1:]
		if n := dstLen(rest, "ORIGIN"); n > 0 {
			if origin == "" {
				return "", nil
			}
			b.WriteString(origin)
			i += 1 + n
			continue
		}
		if dstLen(rest, "PLATFORM") > 0 || dstLen(rest, "LIB") > 0 {
			return "", errUnknownDST
		}
		b.WriteByte('$')
		i++
	}
	return b.String(), nil
}

// dstLen is glibc's is_dst: the length of token ref (with its braces) at
// the start of in, 0 when in does not start with it.
func dstLen(in, ref string) int {
	curly := strings.HasPrefix(in, "{")
	if curly {
		in = in[1:]
	}
	if !strings.HasPrefix(in, ref) {
		return 0
	}
	var next byte
	if len(in) > len(ref) {
		next = in[len(ref)]
	}
	if curly && next != '}' {
		return 0
	}
	if 'A' <= next && next <= 'Z' || 'a' <= next && next <= 'z' || '0' <= next && next <= '9' || next == '_' {
		return 0
	}
	if curly {
		return len(ref) + 2
	}
	return len(ref)
}

// rpathDirs is an object's DT_RPATH or DT_RUNPATH as decompose_rpath
// makes it: none for an absent or empty string ("Ignore empty rpaths"),
// else its elements split on ":".
func rpathDirs(s *string, origin string) []string {
	if s == nil || *s == "" {
		return nil
	}
	return searchPath(*s, ":", origin)
}

// searchPath splits a search list as fillin_rpath does: elements
// separated by any of seps (an empty element is the working directory,
// kept as ""), tokens expanded (an element whose token has no value is
// dropped), trailing slashes trimmed to one, duplicates dropped. nil when
// no element is left.
func searchPath(list, seps, origin string) []string {
	var out []string
	for {
		e, rest, more := list, "", false
		if i := strings.IndexAny(list, seps); i >= 0 {
			e, rest, more = list[:i], list[i+1:], true
		}
		if e != "" {
			x, err := expandDST(e, origin)
			if err == nil && x != "" {
				x = strings.TrimRight(x, "/") + "/"
				out = appendNew(out, x)
			}
		} else {
			out = appendNew(out, "")
		}
		if !more {
			return out
		}
		list = rest
	}
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// dirOf is an object's $ORIGIN as ld.so computes it from the path it was
// opened by: made absolute with the working directory, the last element
// dropped ("/" for a file in the root). "" when the working directory is
// unknown.
func dirOf(p string) string {
	if !strings.HasPrefix(p, "/") {
		wd, err := syscall.Getwd()
		if err != nil {
			return ""
		}
		p = strings.TrimSuffix(wd, "/") + "/" + p
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// readPreload reads the names in ld.so.preload as dl_main does (when it
// is readable: access R_OK): '#' starts a comment to the end of the line;
// names are separated by spaces, tabs, newlines and colons; a NUL ends the
// list. ok reports whether ld.so reads the file at all.
func readPreload(path string) (names []string, ok bool) {
	if unix.Access(path, unix.R_OK) != nil {
		return nil, false
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, true
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		names = append(names, strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' })...)
	}
	return names, true
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

// ldCache is a parsed /etc/ld.so.cache: its bytes and where its entries
// are. Entries are looked up by name when a library is searched for: a
// program needs a few of the cache's thousand-odd names, so none is
// copied out in advance, and a name is compared in place.
type ldCache struct {
	b       []byte
	base, n int
	order   binary.ByteOrder
}

// readLdsoCache reads the cache at path. A cache it cannot parse gives
// nil: the default directories still apply. Every path it gives is
// checked like any other candidate before it is returned.
func readLdsoCache(path string) *ldCache {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
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
	if base < 0 || !bytes.HasPrefix(b[min(base, len(b)):], []byte(cacheMagicNew)) || len(b) < base+cacheHeaderNew {
		return nil
	}
	c := &ldCache{b: b, base: base, order: binary.NativeEndian}
	c.n = int(c.order.Uint32(b[base+20:]))
	if c.n < 0 || base+cacheHeaderNew+c.n*cacheEntryNew > len(b) {
		return nil
	}
	return c
}

// is reports whether the string at offset off of the cache's string
// table (relative to the new header) is name.
func (c *ldCache) is(off uint32, name string) bool {
	o := c.base + int(off)
	return o >= 0 && o+len(name) < len(c.b) && c.b[o+len(name)] == 0 && string(c.b[o:o+len(name)]) == name
}

// str is the NUL-terminated string at offset off, "" when out of bounds.
func (c *ldCache) str(off uint32) string {
	o := c.base + int(off)
	if o < 0 || o >= len(c.b) {
		return ""
	}
	s, _, _ := bytes.Cut(c.b[o:], []byte{0})
	return string(s)
}

// lookup gives the paths of the native ABI's entries for library name, in
// the cache's order. A nil cache has none.
func (c *ldCache) lookup(name string) []string {
	if c == nil || name == "" {
		return nil
	}
	want := cacheArchFlag[runtime.GOARCH]
	var out []string
	for i := 0; i < c.n; i++ {
		e := c.base + cacheHeaderNew + i*cacheEntryNew
		flags := int32(c.order.Uint32(c.b[e:]))
		if flags&cacheFlagTypeMask != cacheFlagELFLibc6 || flags&cacheFlagArchMask != want || !c.is(c.order.Uint32(c.b[e+4:]), name) {
			continue
		}
		if v := c.str(c.order.Uint32(c.b[e+8:])); v != "" {
			out = append(out, v)
		}
	}
	return out
}

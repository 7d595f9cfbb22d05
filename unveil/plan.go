package unveil

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/landpledge/landpledge/landlock"
)

// Kind is what an unveiled path is when the veil is committed.
type Kind uint8

// Landlock rules hang on inodes, so what a path is decides how its
// permissions can be expressed.
const (
	// KindMissing: the final name does not exist; its parent directory does.
	// Landlock cannot name it, so its rights go on the parent.
	KindMissing Kind = iota
	// KindDir: a directory; the rule covers the whole tree below it.
	KindDir
	// KindFile: any non-directory; a rule on it carries only
	// landlock.AccessFSFile rights, and removing or replacing the name is a
	// right of its parent directory (REMOVE_FILE, MAKE_REG).
	KindFile
)

func (k Kind) String() string {
	return [...]string{KindMissing: "missing", KindDir: "dir", KindFile: "file"}[k]
}

// Entry is one unveiled path: absolute, symlinks resolved (Unveil does
// that), with its permissions and what it is at commit time.
type Entry struct {
	Path string
	Perm Perm
	Kind Kind
}

// Rule is one Landlock path-beneath rule of a plan.
type Rule struct {
	Path   string
	Access uint64 // LANDLOCK_ACCESS_FS_* rights
	// Child marks a rule on an entry of a split directory rather than on an
	// unveiled path: it must be opened with O_NOFOLLOW and skipped if it is
	// a symlink, so that a link pointing out of the tree carries no rights
	// to its target.
	Child bool
}

func (r Rule) String() string { return fmt.Sprintf("%s %v", r.Path, RightNames(r.Access)) }

// Exposure records rights that a name unveiled with 'c' (missing, or an
// existing non-directory) puts on its parent directory: Landlock applies
// them to everything below Dir, including other names and more specific
// entries there.
type Exposure struct {
	Dir    string
	Access uint64
	Names  []string // the unveiled names that need them
}

// Plan is the set of Landlock rules that emulates a set of unveil entries.
type Plan struct {
	Rules   []Rule
	Exposed []Exposure
	Notes   []string // entries that could not be expressed (e.g. unreadable split directory)
}

// ReadDirFunc lists a directory (an O_DIRECTORY open at commit; a fake in tests).
type ReadDirFunc func(dir string) ([]fs.DirEntry, error)

// MakePlan computes the Landlock rules for entries, masked to handled (the
// rights the ruleset handles). It is pure apart from readDir, which it calls
// only for directories it must split.
//
// Landlock only adds rights along a path, so OpenBSD's "most specific
// wins" is emulated like this. Every entry and every ancestor of an entry
// is a node. A directory node D whose subtree holds no other node gets the
// rights of the entry covering it. Otherwise D is split: the rule on D
// itself carries only what every node below may have (the intersection of
// their rights, the "floor"; for an unveiled file only its file rights
// count, plus REMOVE_FILE unless it has 'c'), each other entry of D (read
// now, symlinks skipped) gets D's full rights as its own rule, and the
// nodes below are planned the same way. A name with 'c' that is not a
// directory adds its file rights plus MAKE_REG and REMOVE_FILE to its
// parent's rule; that is the one place the plan grants more than the
// entries say, and it is listed in Plan.Exposed.
func MakePlan(entries []Entry, handled uint64, readDir ReadDirFunc) *Plan {
	p := &planner{
		dirs:     map[string]uint64{},
		files:    map[string]Entry{},
		grant:    map[string]uint64{},
		names:    map[string][]string{},
		nodes:    map[string]bool{},
		children: map[string][]string{},
		readDir:  readDir,
		plan:     &Plan{},
	}
	for _, e := range entries {
		rights := e.Perm.Rights() & handled
		parent := filepath.Dir(e.Path)
		switch e.Kind {
		case KindDir:
			p.dirs[e.Path] = rights
			p.addNode(e.Path)
			continue
		case KindFile:
			p.files[e.Path] = Entry{Path: e.Path, Perm: e.Perm, Kind: e.Kind}
			p.addNode(e.Path)
		}
		if e.Perm&PermCreate == 0 {
			if e.Kind == KindMissing {
				p.plan.Notes = append(p.plan.Notes, fmt.Sprintf(
					"%s: does not exist and has no 'c': nothing is granted for it", e.Path))
			}
			continue
		}
		p.grant[parent] |= (rights & landlock.AccessFSFile) | (nameRights & handled)
		p.names[parent] = append(p.names[parent], e.Path)
		p.addNode(parent)
	}
	for _, kids := range p.children {
		slices.Sort(kids)
	}
	if len(p.nodes) > 0 {
		p.walk("/", 0, handled)
	}
	for _, dir := range sortedKeys(p.grant) {
		p.plan.Exposed = append(p.plan.Exposed, Exposure{Dir: dir, Access: p.grant[dir], Names: p.names[dir]})
	}
	return p.plan
}

type planner struct {
	dirs     map[string]uint64   // directory entries -> rights
	files    map[string]Entry    // existing non-directory entries
	grant    map[string]uint64   // parent dir -> rights for names with 'c' in it
	names    map[string][]string // parent dir -> those names
	nodes    map[string]bool     // entries and all their ancestors
	children map[string][]string // node -> child nodes
	readDir  ReadDirFunc
	plan     *Plan
}

func (p *planner) addNode(path string) {
	for !p.nodes[path] {
		p.nodes[path] = true
		if path == "/" {
			return
		}
		parent := filepath.Dir(path)
		p.children[parent] = append(p.children[parent], path)
		path = parent
	}
}

// cover returns the rights of the most specific directory entry at or
// above path (0 when nothing covers it: hidden).
func (p *planner) cover(path string) uint64 {
	for {
		if r, ok := p.dirs[path]; ok {
			return r
		}
		if path == "/" {
			return 0
		}
		path = filepath.Dir(path)
	}
}

// ceiling is the most a rule above node n may carry without giving n more
// than its entry says.
func (p *planner) ceiling(n string, handled uint64) uint64 {
	f, ok := p.files[n]
	if !ok {
		return p.cover(n)
	}
	// Directory rights above a file do not reach the file itself, except
	// REMOVE_FILE on its parent, which removes or replaces its name.
	c := (f.Perm.Rights() & handled & landlock.AccessFSFile) | (handled &^ landlock.AccessFSFile)
	if f.Perm&PermCreate == 0 {
		c &^= landlock.AccessFSRemoveFile
	}
	return c
}

// floor is the intersection of the ceilings of n and every node below it.
func (p *planner) floor(n string, handled uint64) uint64 {
	f := p.ceiling(n, handled)
	for _, c := range p.children[n] {
		f &= p.floor(c, handled)
	}
	return f
}

func (p *planner) emit(r Rule) {
	if r.Access != 0 {
		p.plan.Rules = append(p.plan.Rules, r)
	}
}

// walk plans node d, below which the rules already placed grant granted.
func (p *planner) walk(d string, granted, handled uint64) {
	if f, ok := p.files[d]; ok {
		p.emit(Rule{Path: d, Access: f.Perm.Rights() & handled & landlock.AccessFSFile &^ granted})
		return
	}
	kids := p.children[d]
	cover := p.cover(d)
	floor := p.floor(d, handled)
	own := (floor | p.grant[d]) &^ granted
	p.emit(Rule{Path: d, Access: own})
	granted |= own
	if len(kids) > 0 && cover&^granted != 0 {
		p.split(d, kids, cover&^granted)
	}
	for _, k := range kids {
		p.walk(k, granted, handled)
	}
}

// split gives every entry of directory d that is not a node its own rule
// with the rights rest that d's own rule could not carry.
func (p *planner) split(d string, kids []string, rest uint64) {
	ents, err := p.readDir(d)
	if err != nil {
		// Fail closed: the entries of d get less than they should.
		p.plan.Notes = append(p.plan.Notes, fmt.Sprintf(
			"%s: cannot list it to split it (%v): its entries get only %v", d, err, RightNames(p.cover(d)&^rest)))
	}
	for _, de := range ents {
		child := filepath.Join(d, de.Name())
		if de.Type()&fs.ModeSymlink != 0 || slices.Contains(kids, child) {
			continue
		}
		access := rest
		if !de.IsDir() {
			access &= landlock.AccessFSFile
		}
		p.emit(Rule{Path: child, Access: access, Child: true})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

//go:build linux

package learn

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/landpledge/landpledge/unveil"
)

// Threshold is how many entries (files or subdirectories with entries
// below) one directory may hold in a policy before the directory itself is
// unveiled instead, with every permission its entries had: a program that
// reads five files of a directory (Python's library, a locale's
// categories) will read others on another run. Directories at the top of
// the tree ("/", "/usr", "/etc", "/tmp"...) are never unveiled this way: a
// policy that unveils them says so because a -v did.
const Threshold = 5

// minCollapseDepth is the shallowest directory Threshold may unveil
// ("/usr/lib" is depth 2).
const minCollapseDepth = 2

// Stat says whether path exists now and whether it is a directory.
type Stat func(path string) (exists, dir bool)

// procPid matches a per-process /proc path: only /proc as a whole can be
// unveiled for it, since the policy is planned before the process exists
// and /proc/self in a rule names the planner.
var procPid = regexp.MustCompile(`^/proc/[0-9]+(/|$)`)

// unveilSet is the unveils being built, by path.
type unveilSet map[string]unveil.Perm

func (u unveilSet) add(path string, p unveil.Perm) { u[path] |= p }

// place moves an access to where a policy can name it: a name this run
// created (and everything below it) becomes its nearest ancestor that
// existed before, with 'c' (the rerun must create it again, under names
// that may differ: temporary files, lock files, new directories), unless
// it is a file that persists at the end directly in such a directory (the
// program's output, unveiled by name with 'c' as OpenBSD allows for a
// name to be created); a per-process /proc path becomes /proc.
func (l *Recorder) place(a Access, stat Stat) (Access, string) {
	if procPid.MatchString(a.Path) {
		return Access{"/proc", a.Perm &^ unveil.PermCreate}, "per-process /proc files (/proc/self/...): only /proc as a whole can be unveiled for them"
	}
	top := ""
	for p := a.Path; p != "/"; p = parentDir(p) {
		if l.created[p] {
			top = p
		}
	}
	if top == "" {
		return a, ""
	}
	exists, dir := stat(top)
	if top == a.Path && exists && !dir {
		return Access{a.Path, a.Perm | unveil.PermCreate}, ""
	}
	return Access{parentDir(top), a.Perm | unveil.PermCreate}, ""
}

// unveils computes the policy's unveils from the accesses of the chosen
// ways: placed (above), without what the command unveils by itself (auto)
// or a -v already grants (start), merged per path, and collapsed by
// Threshold. notes say what was moved and why.
func (l *Recorder) unveils(accs []Access, start, auto []Unveil, stat Stat) ([]Unveil, []string) {
	set := unveilSet{}
	var notes []string
	for _, a := range accs {
		placed, note := l.place(a, stat)
		if note != "" && !slices.Contains(notes, note) {
			notes = append(notes, note)
		}
		if covered(start, placed) || coveredExactly(auto, placed) {
			continue
		}
		set.add(placed.Path, placed.Perm)
	}
	notes = append(notes, collapse(set)...)
	prune(set)
	for p := range set {
		exists, _ := stat(p)
		if pe, _ := stat(parentDir(p)); !exists && (set[p]&unveil.PermCreate == 0 || !pe) {
			notes = append(notes, fmt.Sprintf("%s: gone at the end and not creatable again: left out", p))
			delete(set, p)
		}
	}
	return merge(start, set), notes
}

// covered reports whether the most specific of the unveils at or above
// a.Path grants every permission a needs.
func covered(us []Unveil, a Access) bool {
	best := ""
	var perm unveil.Perm
	for _, u := range us {
		if under(a.Path, u.Path) && len(u.Path) >= len(best) {
			best = u.Path
			perm, _ = unveil.ParsePerm(u.Perm)
		}
	}
	return best != "" && perm&a.Perm == a.Perm
}

// coveredExactly reports whether an unveil names a.Path itself with every
// permission it needs (the command's own: the program, its loader files).
func coveredExactly(us []Unveil, a Access) bool {
	for _, u := range us {
		perm, _ := unveil.ParsePerm(u.Perm)
		if u.Path == a.Path && perm&a.Perm == a.Perm {
			return true
		}
	}
	return false
}

// under reports whether path is dir or below it.
func under(path, dir string) bool {
	return path == dir || dir == "/" || strings.HasPrefix(path, dir+"/")
}

// depth is the number of components of an absolute path ("/" is 0).
func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

// collapse unveils a directory instead of its entries where it has
// Threshold of them or more: every entry below the shallowest such
// directory above it moves there. Collapsing a directory does not change
// what its ancestors hold (it was one of their entries already, as a
// directory with entries below), so the directories are found once.
func collapse(set unveilSet) []string {
	kids := map[string]map[string]bool{}
	for p := range set {
		for c := p; depth(c) > minCollapseDepth; c = parentDir(c) {
			d := parentDir(c)
			if kids[d] == nil {
				kids[d] = map[string]bool{}
			}
			kids[d][c] = true
		}
	}
	merged := map[string]unveil.Perm{}
	for p, perm := range set {
		top := ""
		for d := p; depth(d) >= minCollapseDepth; d = parentDir(d) {
			if len(kids[d]) >= Threshold {
				top = d
			}
		}
		if top != "" {
			merged[top] |= perm
			delete(set, p)
		}
	}
	var notes []string
	for _, d := range slices.Sorted(maps.Keys(merged)) {
		set.add(d, merged[d])
		notes = append(notes, fmt.Sprintf("%s: %d entries (%d or more in one directory): the directory, %s", d, len(kids[d]), Threshold, set[d]))
	}
	return notes
}

// prune drops entries that the most specific entry above them already
// grants: they would only narrow it.
func prune(set unveilSet) {
	for p, perm := range set {
		if p == "/" {
			continue
		}
		for a := parentDir(p); ; a = parentDir(a) {
			if ap, ok := set[a]; ok {
				if ap&perm == perm {
					delete(set, p)
				}
				break
			}
			if a == "/" {
				break
			}
		}
	}
}

// merge is start and the learned set, one entry per path (the union of
// permissions where both name it), start's order first, then by path.
func merge(start []Unveil, set unveilSet) []Unveil {
	var out []Unveil
	for _, u := range start {
		perm, _ := unveil.ParsePerm(u.Perm)
		if p, ok := set[u.Path]; ok {
			perm |= p
			delete(set, u.Path)
		}
		u.Perm = perm.String()
		out = append(out, u)
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		out = append(out, Unveil{Perm: set[p].String(), Path: p})
	}
	return out
}

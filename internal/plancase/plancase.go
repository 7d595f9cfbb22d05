//go:build linux

// Package plancase reads the unveil plan cases of unveil/testdata/plans,
// which both unveil's TestMakePlan and libpledge's C planner test run:
// one case per file, one statement per line, "#" starting a comment:
//
//	abi N                    the rights handled: landlock.HandledAccessFS(N)
//	tree DIR NAME...         DIR lists NAMEs ("x/" a directory, "x@" a
//	                         symlink, else a file); an unlisted directory
//	                         cannot be listed (EACCES)
//	entry PATH PERM KIND     an unveil entry: PERM letters or "-" for none,
//	                         KIND dir, file or missing
//	rule PATH RIGHTS [child] an expected rule, RIGHTS the Landlock names
//	                         joined by commas (unveil.RightNames)
//	exposed DIR RIGHTS NAME...  an expected Plan.Exposed entry
//	notes N                  the number of expected Plan.Notes
//
// Rules and exposures are expected in order.
package plancase

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/unveil"
)

// Case is one plan case.
type Case struct {
	Name    string // the file's base name without .txt
	Text    string // the file as read
	Handled uint64
	Tree    map[string][]string
	Entries []unveil.Entry
	Rules   []unveil.Rule
	Exposed []unveil.Exposure
	Notes   int
}

// Dir is the directory of the shared cases, relative to a package
// directory of the module.
const Dir = "../unveil/testdata/plans"

// ReadAll reads every case file of dir, sorted by name.
func ReadAll(dir string) ([]Case, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var cases []Case
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		c, err := Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		c.Name = strings.TrimSuffix(filepath.Base(n), ".txt")
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no plan cases in %s", dir)
	}
	return cases, nil
}

// Parse reads one case.
func Parse(text string) (Case, error) {
	c := Case{Text: text, Handled: landlock.HandledAccessFS(7), Tree: map[string][]string{}}
	for i, line := range strings.Split(text, "\n") {
		if k := strings.Index(line, "#"); k >= 0 {
			line = line[:k]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := func(why string) error { return fmt.Errorf("line %d %q: %s", i+1, line, why) }
		switch f[0] {
		case "abi":
			if len(f) != 2 {
				return c, bad("want abi N")
			}
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return c, bad(err.Error())
			}
			c.Handled = landlock.HandledAccessFS(n)
		case "tree":
			if len(f) < 2 {
				return c, bad("want tree DIR NAME...")
			}
			c.Tree[f[1]] = f[2:]
		case "entry":
			if len(f) != 4 {
				return c, bad("want entry PATH PERM KIND")
			}
			perm := f[2]
			if perm == "-" {
				perm = ""
			}
			p, err := unveil.ParsePerm(perm)
			if err != nil {
				return c, bad(err.Error())
			}
			kinds := map[string]unveil.Kind{"dir": unveil.KindDir, "file": unveil.KindFile, "missing": unveil.KindMissing}
			k, ok := kinds[f[3]]
			if !ok {
				return c, bad("kind is dir, file or missing")
			}
			c.Entries = append(c.Entries, unveil.Entry{Path: f[1], Perm: p, Kind: k})
		case "rule":
			if len(f) != 3 && !(len(f) == 4 && f[3] == "child") {
				return c, bad("want rule PATH RIGHTS [child]")
			}
			r, err := Rights(f[2])
			if err != nil {
				return c, bad(err.Error())
			}
			c.Rules = append(c.Rules, unveil.Rule{Path: f[1], Access: r, Child: len(f) == 4})
		case "exposed":
			if len(f) < 4 {
				return c, bad("want exposed DIR RIGHTS NAME...")
			}
			r, err := Rights(f[2])
			if err != nil {
				return c, bad(err.Error())
			}
			c.Exposed = append(c.Exposed, unveil.Exposure{Dir: f[1], Access: r, Names: f[3:]})
		case "notes":
			if len(f) != 2 {
				return c, bad("want notes N")
			}
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return c, bad(err.Error())
			}
			c.Notes = n
		default:
			return c, bad("unknown statement")
		}
	}
	return c, nil
}

// Rights parses Landlock right names joined by commas.
func Rights(s string) (uint64, error) {
	var r uint64
	for _, n := range strings.Split(s, ",") {
		found := false
		for b := 0; b < 64; b++ {
			if ns := unveil.RightNames(1 << b); len(ns) == 1 && ns[0] == n {
				r |= 1 << b
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown right %q", n)
		}
	}
	return r, nil
}

// FormatRights is the inverse of Rights.
func FormatRights(r uint64) string { return strings.Join(unveil.RightNames(r), ",") }

// ReadDir lists the case's fake tree for unveil.MakePlan.
func (c Case) ReadDir(dir string) ([]fs.DirEntry, error) {
	names, ok := c.Tree[dir]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: unix.EACCES}
	}
	var out []fs.DirEntry
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "/"):
			out = append(out, dirEntry{strings.TrimSuffix(n, "/"), fs.ModeDir})
		case strings.HasSuffix(n, "@"):
			out = append(out, dirEntry{strings.TrimSuffix(n, "@"), fs.ModeSymlink})
		default:
			out = append(out, dirEntry{n, 0})
		}
	}
	return out, nil
}

type dirEntry struct {
	name string
	mode fs.FileMode
}

func (d dirEntry) Name() string               { return d.name }
func (d dirEntry) IsDir() bool                { return d.mode.IsDir() }
func (d dirEntry) Type() fs.FileMode          { return d.mode.Type() }
func (d dirEntry) Info() (fs.FileInfo, error) { return nil, errors.ErrUnsupported }

// Format writes a plan in the case language: rules, exposures, notes.
func Format(p *unveil.Plan) string {
	var b strings.Builder
	for _, r := range p.Rules {
		fmt.Fprintf(&b, "rule %s %s", r.Path, FormatRights(r.Access))
		if r.Child {
			b.WriteString(" child")
		}
		b.WriteString("\n")
	}
	for _, x := range p.Exposed {
		fmt.Fprintf(&b, "exposed %s %s %s\n", x.Dir, FormatRights(x.Access), strings.Join(x.Names, " "))
	}
	fmt.Fprintf(&b, "notes %d\n", len(p.Notes))
	return b.String()
}

// Want is what the case expects, in Format's language.
func (c Case) Want() string {
	return Format(&unveil.Plan{Rules: c.Rules, Exposed: c.Exposed, Notes: make([]string, c.Notes)})
}

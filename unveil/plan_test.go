//go:build linux

package unveil

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/landlock"
	"golang.org/x/sys/unix"
)

// fakeDirEntry is an fs.DirEntry for the fake directory tree.
type fakeDirEntry struct {
	name string
	mode fs.FileMode
}

func (d fakeDirEntry) Name() string               { return d.name }
func (d fakeDirEntry) IsDir() bool                { return d.mode.IsDir() }
func (d fakeDirEntry) Type() fs.FileMode          { return d.mode.Type() }
func (d fakeDirEntry) Info() (fs.FileInfo, error) { return nil, errors.ErrUnsupported }

// fakeTree lists directories: "name/" is a directory, "name@" a symlink,
// anything else a file.
func fakeTree(tree map[string]string) ReadDirFunc {
	return func(dir string) ([]fs.DirEntry, error) {
		list, ok := tree[dir]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: dir, Err: unix.EACCES}
		}
		var out []fs.DirEntry
		for _, n := range strings.Fields(list) {
			switch {
			case strings.HasSuffix(n, "/"):
				out = append(out, fakeDirEntry{strings.TrimSuffix(n, "/"), fs.ModeDir})
			case strings.HasSuffix(n, "@"):
				out = append(out, fakeDirEntry{strings.TrimSuffix(n, "@"), fs.ModeSymlink})
			default:
				out = append(out, fakeDirEntry{n, 0})
			}
		}
		return out, nil
	}
}

const (
	abi7  = 7
	rFile = landlock.AccessFSFile
)

// TestMakePlan's cases are data shared with libpledge's C planner:
// unveil/testdata/plans, run by plancases_test.go.

// TestPlanNeverWidens checks the planner's invariant on a small tree with
// many entry combinations: what Landlock would grant a path (the union of
// the rules on it and its ancestors) never exceeds what its most specific
// entry says, except under a directory listed in Exposed.
func TestPlanNeverWidens(t *testing.T) {
	h := landlock.HandledAccessFS(abi7)
	dirs := []string{"/", "/a", "/a/b", "/a/b/c", "/a/d"}
	tree := fakeTree(map[string]string{
		"/": "a/ z/", "/a": "b/ d/ f", "/a/b": "c/ g", "/a/b/c": "h", "/a/d": "i",
	})
	paths := []string{"/z", "/a", "/a/f", "/a/b", "/a/b/g", "/a/b/c", "/a/b/c/h", "/a/d", "/a/d/i"}
	isFile := map[string]bool{"/a/f": true, "/a/b/g": true, "/a/b/c/h": true, "/a/d/i": true}
	perms := []Perm{0, PermRead, PermRead | PermWrite, PermCreate, PermRead | PermWrite | PermExec | PermCreate}
	for _, p1 := range perms {
		for _, p2 := range perms {
			for _, d2 := range dirs[1:] {
				entries := []Entry{{"/a", p1, KindDir}, {d2, p2, KindDir}}
				if d2 == "/a" {
					entries = entries[1:]
				}
				plan := MakePlan(entries, h, tree)
				granted := map[string]uint64{}
				for _, r := range plan.Rules {
					granted[r.Path] |= r.Access
				}
				for _, p := range paths {
					var got uint64
					for q := p; ; q = parentOf(q) {
						got |= granted[q]
						if q == "/" {
							break
						}
					}
					// The most specific entry wins.
					var want uint64
					best := -1
					for _, e := range entries {
						if (p == e.Path || strings.HasPrefix(p, e.Path+"/")) && len(e.Path) > best {
							best, want = len(e.Path), e.Perm.Rights()&h
						}
					}
					if isFile[p] {
						got, want = got&rFile, want&rFile
					}
					if got&^want != 0 {
						t.Errorf("entries %v: %s gets %v beyond %v", entries, p, RightNames(got&^want), RightNames(want))
					}
				}
			}
		}
	}
}

func parentOf(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

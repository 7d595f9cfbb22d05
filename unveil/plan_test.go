//go:build linux

package unveil

import (
	"errors"
	"io/fs"
	"reflect"
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
	rR    = landlock.AccessFSReadFile | landlock.AccessFSReadDir
	rW    = landlock.AccessFSWriteFile | landlock.AccessFSTruncate | landlock.AccessFSIoctlDev
	rX    = landlock.AccessFSExecute
	rC    = createRights
	rRF   = landlock.AccessFSReadFile
	abi7  = 7
	rFile = landlock.AccessFSFile
)

func rules(rs ...Rule) []Rule { return rs }

func TestMakePlan(t *testing.T) {
	h := landlock.HandledAccessFS(abi7)
	tree := fakeTree(map[string]string{
		"/":        "bin@ etc/ home/ usr/ vmlinuz",
		"/srv":     "ro/ a/ f",
		"/data":    "old sub/",
		"/noread":  "",
		"/srv/ro":  "x",
		"/etc":     "passwd shadow ssl/",
		"/srv/a":   "y",
		"/missing": "",
	})
	tests := []struct {
		name    string
		entries []Entry
		handled uint64
		want    []Rule
		exposed []Exposure
		notes   int
	}{{
		name:    "one directory",
		entries: []Entry{{"/data", PermRead, KindDir}},
		want:    rules(Rule{Path: "/data", Access: rR}),
	}, {
		name:    "nothing at all",
		entries: nil,
		want:    nil,
	}, {
		name:    "hide below root",
		entries: []Entry{{"/", PermRead, KindDir}, {"/home", 0, KindDir}},
		// "/" itself keeps nothing (its floor with /home is empty); each
		// other entry of "/" gets r, except the symlink /bin and /home.
		want: rules(
			Rule{Path: "/etc", Access: rR, Child: true},
			Rule{Path: "/usr", Access: rR, Child: true},
			Rule{Path: "/vmlinuz", Access: rRF, Child: true},
		),
	}, {
		name:    "narrow to read-only",
		entries: []Entry{{"/srv", PermRead | PermWrite | PermCreate, KindDir}, {"/srv/ro", PermRead, KindDir}},
		want: rules(
			Rule{Path: "/srv", Access: rR},
			Rule{Path: "/srv/a", Access: (rW | rC) & h, Child: true},
			Rule{Path: "/srv/f", Access: rW & rFile & h, Child: true},
		),
	}, {
		name:    "widen below",
		entries: []Entry{{"/srv", PermRead, KindDir}, {"/srv/ro", PermRead | PermWrite, KindDir}},
		// No split needed: the narrower entry is above.
		want: rules(Rule{Path: "/srv", Access: rR}, Rule{Path: "/srv/ro", Access: rW & h}),
	}, {
		name:    "missing name with c",
		entries: []Entry{{"/data/new.db", PermRead | PermWrite | PermCreate, KindMissing}},
		want: rules(Rule{Path: "/data", Access: (rRF | rW&rFile | landlock.AccessFSMakeReg |
			landlock.AccessFSRemoveFile) & h}),
		exposed: []Exposure{{"/data", (rRF | rW&rFile | landlock.AccessFSMakeReg | landlock.AccessFSRemoveFile) & h,
			[]string{"/data/new.db"}}},
	}, {
		name:    "missing name without c",
		entries: []Entry{{"/data/new.db", PermRead | PermWrite, KindMissing}},
		want:    nil,
		notes:   1,
	}, {
		name:    "read-only file in a writable directory",
		entries: []Entry{{"/etc", PermRead | PermWrite | PermCreate, KindDir}, {"/etc/passwd", PermRead, KindFile}},
		// /etc keeps its directory rights except REMOVE_FILE (passwd must
		// not be removed) and only the file rights passwd has.
		want: rules(
			Rule{Path: "/etc", Access: (rR | rC) &^ landlock.AccessFSRemoveFile & h},
			Rule{Path: "/etc/shadow", Access: rW & rFile & h, Child: true},
			Rule{Path: "/etc/ssl", Access: (rW | landlock.AccessFSRemoveFile) & h, Child: true},
		),
	}, {
		name:    "hidden file in a readable directory",
		entries: []Entry{{"/etc", PermRead, KindDir}, {"/etc/shadow", 0, KindFile}},
		// Listing /etc still works; reading shadow does not.
		want: rules(
			Rule{Path: "/etc", Access: landlock.AccessFSReadDir},
			Rule{Path: "/etc/passwd", Access: rRF, Child: true},
			Rule{Path: "/etc/ssl", Access: rRF, Child: true},
		),
	}, {
		name:    "ABI 1 drops what it cannot handle",
		entries: []Entry{{"/data", PermRead | PermWrite | PermCreate, KindDir}},
		handled: landlock.HandledAccessFS(1),
		want:    rules(Rule{Path: "/data", Access: (rR | rW | rC) &^ landlock.AccessFSRefer &^ landlock.AccessFSTruncate &^ landlock.AccessFSIoctlDev}),
	}, {
		name:    "unreadable split directory fails closed",
		entries: []Entry{{"/nolist", PermRead, KindDir}, {"/nolist/x", 0, KindDir}},
		want:    nil,
		notes:   1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			handled := tc.handled
			if handled == 0 {
				handled = h
			}
			got := MakePlan(tc.entries, handled, tree)
			if !reflect.DeepEqual(got.Rules, tc.want) {
				t.Errorf("rules:\n got %v\nwant %v", got.Rules, tc.want)
			}
			if !reflect.DeepEqual(got.Exposed, tc.exposed) {
				t.Errorf("exposed:\n got %v\nwant %v", got.Exposed, tc.exposed)
			}
			if len(got.Notes) != tc.notes {
				t.Errorf("notes: got %q, want %d", got.Notes, tc.notes)
			}
		})
	}
}

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

package unveil

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/landlock"
	"golang.org/x/sys/unix"
)

func TestParsePerm(t *testing.T) {
	tests := []struct {
		in   string
		want Perm
		err  error
	}{
		{"", 0, nil},
		{"r", PermRead, nil},
		{"rwxc", PermRead | PermWrite | PermExec | PermCreate, nil},
		{"cxwr", PermRead | PermWrite | PermExec | PermCreate, nil},
		{"rr", PermRead, nil},
		{"rwxcr", 0, unix.ENAMETOOLONG},
		{"rwxcrwxc", 0, unix.ENAMETOOLONG},
		{"R", 0, unix.EINVAL},
		{"r w", 0, unix.EINVAL},
		{"a", 0, unix.EINVAL},
	}
	for _, tc := range tests {
		got, err := ParsePerm(tc.in)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) || got != tc.want {
			t.Errorf("ParsePerm(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if s := (PermCreate | PermRead | PermExec).String(); s != "rxc" {
		t.Errorf("String = %q, want rxc", s)
	}
}

// TestPermTable pins the letter -> rights table documented in docs/unveil.md.
func TestPermTable(t *testing.T) {
	want := map[Perm][]string{
		PermRead:  {"READ_FILE", "READ_DIR"},
		PermWrite: {"WRITE_FILE", "TRUNCATE", "IOCTL_DEV", "RESOLVE_UNIX"},
		PermExec:  {"EXECUTE", "READ_FILE"},
		PermCreate: {"REMOVE_DIR", "REMOVE_FILE", "MAKE_CHAR", "MAKE_DIR", "MAKE_REG", "MAKE_SOCK",
			"MAKE_FIFO", "MAKE_BLOCK", "MAKE_SYM", "REFER"},
	}
	for p, names := range want {
		got := RightNames(p.Rights())
		slices.Sort(got)
		slices.Sort(names)
		if !slices.Equal(got, names) {
			t.Errorf("%v -> %v, want %v", p, got, names)
		}
	}
	if AllRights() != landlock.HandledAccessFS(landlock.MaxKnownABI) {
		t.Errorf("the table leaves rights unused: %v", RightNames(landlock.HandledAccessFS(landlock.MaxKnownABI)&^AllRights()))
	}
}

func fakeABI(abi int, err error) func() (int, error) {
	return func() (int, error) { return abi, err }
}

func TestUnveilErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, perms string
		want        error
	}{
		{dir, "rwxcr", unix.ENAMETOOLONG},
		{"", "r", unix.EINVAL},
		{"", "rwxcr", unix.ENAMETOOLONG}, // the permissions' length is checked first
		{dir, "q", unix.EINVAL},
		{dir + "/no/such", "r", unix.ENOENT},
		{dir + "/file/x", "r", unix.ENOTDIR},
		{dir + "/missing", "rwc", nil},
		{dir, "", nil},
	}
	s := New()
	s.SetABIFunc(fakeABI(7, nil))
	for _, tc := range tests {
		err := s.Unveil(tc.path, tc.perms)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("Unveil(%q, %q) = %v, want %v", tc.path, tc.perms, err, tc.want)
		}
		var pe *os.PathError
		if err != nil && (!errors.As(err, &pe) || pe.Op != "unveil" || pe.Path != tc.path) {
			t.Errorf("Unveil(%q, %q) = %#v, want *os.PathError naming the path", tc.path, tc.perms, err)
		}
	}
}

func TestUnveilResolves(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.MkdirAll(filepath.Join(dir, "real/sub"), 0o700))
	must(t, os.Symlink("real", filepath.Join(dir, "link")))
	must(t, os.Symlink("real/not-yet", filepath.Join(dir, "dangling")))
	t.Chdir(dir)
	s := New()
	s.SetABIFunc(fakeABI(7, nil))
	for _, p := range []struct{ in, perms string }{
		{"link/sub", "r"},          // relative, through a symlink
		{"link/sub/..", "rw"},      // ".." after the symlink: real, not dir
		{"dangling", "c"},          // a dangling final symlink: its target name
		{dir + "/link/new", "rwc"}, // missing final name under a symlink
		{"link/sub", "x"},          // again: replaces "r"
	} {
		must(t, s.Unveil(p.in, p.perms))
	}
	got := s.Status().Entries
	want := []Entry{
		{Path: dir + "/real/sub", Perm: PermExec, Kind: KindDir},
		{Path: dir + "/real", Perm: PermRead | PermWrite, Kind: KindDir},
		{Path: dir + "/real/not-yet", Perm: PermCreate},
		{Path: dir + "/real/new", Perm: PermRead | PermWrite | PermCreate},
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n got %v\nwant %v", got, want)
	}
}

// TestNoLimit: OpenBSD refuses more than 128 entries with E2BIG; we have
// no such limit (Landlock rules are bounded by memory only).
func TestNoLimit(t *testing.T) {
	dir := t.TempDir()
	s := New()
	s.SetABIFunc(fakeABI(7, nil))
	for i := range 300 {
		must(t, s.Unveil(filepath.Join(dir, "name"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+string(rune('a'+i/26))), "rwc"))
	}
	if n := len(s.Status().Entries); n != 300 {
		t.Errorf("got %d entries, want 300", n)
	}
}

func TestNoLandlock(t *testing.T) {
	dir := t.TempDir()
	absent := os.NewSyscallError("landlock_create_ruleset", unix.EOPNOTSUPP)

	s := New()
	s.SetABIFunc(fakeABI(0, absent))
	err := s.Unveil(dir, "r")
	if !errors.Is(err, unix.ENOSYS) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Unveil without Landlock = %v, want ENOSYS matching errors.ErrUnsupported", err)
	}
	if err := s.Commit(); err != nil { // nothing was unveiled: only locks
		t.Fatalf("Commit = %v", err)
	}
	if err := s.Unveil(dir, "r"); !errors.Is(err, unix.EPERM) {
		t.Fatalf("Unveil after Commit = %v, want EPERM", err)
	}

	s = New()
	s.SetABIFunc(fakeABI(0, absent))
	s.SetBestEffort(true)
	must(t, s.Unveil(dir, "r"))
	must(t, s.Commit()) // does nothing to the kernel: safe in the test process
	st := s.Status()
	if st.ABI != 0 || st.Enforced || !st.Locked || !st.BestEffort || !errors.Is(st.Err, unix.ENOSYS) {
		t.Errorf("status = %+v", st)
	}
	if st.Unenforced != AllRights() {
		t.Errorf("unenforced = %v, want every right", st.UnenforcedNames())
	}
}

func TestOldABIReportsUnenforced(t *testing.T) {
	for _, tc := range []struct {
		abi  int
		want []string
	}{
		{1, []string{"REFER", "TRUNCATE", "IOCTL_DEV", "RESOLVE_UNIX", "SCOPE_ABSTRACT_UNIX_SOCKET"}},
		{2, []string{"TRUNCATE", "IOCTL_DEV", "RESOLVE_UNIX", "SCOPE_ABSTRACT_UNIX_SOCKET"}},
		{3, []string{"IOCTL_DEV", "RESOLVE_UNIX", "SCOPE_ABSTRACT_UNIX_SOCKET"}},
		{5, []string{"RESOLVE_UNIX", "SCOPE_ABSTRACT_UNIX_SOCKET"}},
		{6, []string{"RESOLVE_UNIX"}},
		{9, nil},
	} {
		s := New()
		s.SetABIFunc(fakeABI(tc.abi, nil))
		if got := s.Status().UnenforcedNames(); !slices.Equal(got, tc.want) {
			t.Errorf("ABI %d: unenforced %v, want %v", tc.abi, got, tc.want)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPermTableDocs: the permission table in docs/unveil.md lists exactly
// the rights of permTable.
func TestPermTableDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/unveil.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range permTable {
		prefix := "| `" + string(row.letter) + "` | "
		var line string
		for l := range strings.SplitSeq(string(doc), "\n") {
			if strings.HasPrefix(l, prefix) {
				line = l
			}
		}
		if line == "" {
			t.Errorf("docs/unveil.md has no row for %q", row.letter)
			continue
		}
		got := strings.Split(strings.SplitN(strings.TrimPrefix(line, prefix), " |", 2)[0], ", ")
		want := RightNames(row.rights)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("docs/unveil.md row %q lists %v, table has %v", row.letter, got, want)
		}
	}
}

// Status reports what each unveiled path is now, before the commit too
// (it used to report every entry as missing until then).
func TestStatusKinds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := New()
	s.SetABIFunc(func() (int, error) { return 7, nil })
	for _, p := range []string{dir, file, filepath.Join(dir, "new")} {
		if err := s.Unveil(p, "rc"); err != nil {
			t.Fatal(err)
		}
	}
	var got []Kind
	for _, e := range s.Status().Entries {
		got = append(got, e.Kind)
	}
	if want := []Kind{KindDir, KindFile, KindMissing}; !slices.Equal(got, want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
}

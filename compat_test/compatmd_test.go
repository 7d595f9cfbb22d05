package compat_test

// The link between the conformance cases and COMPAT.md.
//
// A case whose landpledge outcome differs from OpenBSD's carries it in
// Case.Linux, and some row of COMPAT.md must name it in its test column as
// `compat:ID` (a trailing * matches every ID with that prefix, e.g.
// `compat:unveil/access/*`). The case tests assert Case.Linux, so a row that
// stops being true fails there; TestCompatMD fails when a divergent case is
// not listed, when a row names no test, names a compat ID that matches no
// divergent case, or names a Go test that does not exist.

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// allCases is every conformance and escape case, for the COMPAT.md check
// and the suite's size in docs/compat.md.
func allCases() []Case {
	tables := [][]Case{
		unveilCases, accessCases(), promiseCases, errorCases, reduceCases, execCases, treeCases,
		escapeX32Cases(), escapeIOUringCases(), escapePtraceCases(), escapeProcessMemoryCases(),
		escapeUserfaultfdCases(), escapePersonalityCases(), escapeTIOCSTICases(), escapeMemfdExecCases(),
		escapeKernelInterfacesCases(), escapeCloneNamespacesCases(), escapeRenameLinkCases(),
		escapeSymlinkCases(), escapeDotdotCases(), escapeScopingCases(), escapeInheritedFdsCases(),
		escapeSendmsgCases(), escapeCloneUntracedCases(),
	}
	tables = append(tables, archCases()...)
	var all []Case
	for _, t := range tables {
		all = append(all, t...)
	}
	return all
}

// compatRow is one table row of COMPAT.md.
type compatRow struct {
	line  int
	text  string
	ids   []string // compat:ID references (may end in *)
	tests []string // Go test names (TestX or TestX/sub)
}

var (
	compatRef = regexp.MustCompile("compat:([A-Za-z0-9_./*\"-]+)")
	goTestRef = regexp.MustCompile(`\b(Test[A-Z][A-Za-z0-9_]*)`)
)

// readCompatRows parses every table row of ../COMPAT.md except headers and
// separators; the test column is the last one.
func readCompatRows(t *testing.T) []compatRow {
	t.Helper()
	b, err := os.ReadFile("../COMPAT.md")
	if err != nil {
		t.Fatalf("reading COMPAT.md: %v", err)
	}
	var rows []compatRow
	header := false
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			header = false
			continue
		}
		if !header { // the first row of a table is its header
			header = true
			continue
		}
		if strings.Trim(line, "|-: ") == "" {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		last := cells[len(cells)-1]
		r := compatRow{line: i + 1, text: line}
		for _, m := range compatRef.FindAllStringSubmatch(last, -1) {
			r.ids = append(r.ids, m[1])
		}
		for _, m := range goTestRef.FindAllStringSubmatch(last, -1) {
			r.tests = append(r.tests, m[1])
		}
		rows = append(rows, r)
	}
	return rows
}

func matchID(pattern, id string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(id, p)
	}
	return pattern == id
}

// goTests lists every func TestX in the repository's _test.go files.
func goTests(t *testing.T) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(`)
	found := map[string]bool{}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(b, -1) {
			found[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scanning tests: %v", err)
	}
	return found
}

func TestCompatMD(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the case tables' Linux outcomes are measured on amd64")
	}
	rows := readCompatRows(t)
	tests := goTests(t)
	cases := allCases()

	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.ID] {
			t.Errorf("case ID %s used twice", c.ID)
		}
		seen[c.ID] = true
	}

	for _, r := range rows {
		if len(r.ids) == 0 && len(r.tests) == 0 {
			t.Errorf("COMPAT.md:%d names no test (want `compat:ID` or a TestName): %s", r.line, r.text)
		}
		// An exact ID must be a divergence; a prefix ("x/*") names the
		// divergent cases below it, of which there must be at least one
		// (cases that agree with OpenBSD may share the prefix).
		for _, id := range r.ids {
			matched, divergent := 0, 0
			for _, c := range cases {
				if matchID(id, c.ID) {
					matched++
					if c.Linux != "" {
						divergent++
					} else if !strings.HasSuffix(id, "*") {
						t.Errorf("COMPAT.md:%d names compat:%s, but case %s behaves as on OpenBSD (%s): drop it from the row", r.line, id, c.ID, c.OpenBSD)
					}
				}
			}
			switch {
			case matched == 0:
				t.Errorf("COMPAT.md:%d names compat:%s, which matches no case", r.line, id)
			case divergent == 0 && strings.HasSuffix(id, "*"):
				t.Errorf("COMPAT.md:%d names compat:%s, but no case below it diverges from OpenBSD: drop it from the row", r.line, id)
			}
		}
		for _, name := range r.tests {
			if !tests[name] {
				t.Errorf("COMPAT.md:%d names %s, which is no test in the repository", r.line, name)
			}
		}
	}

	var missing []string
	for _, c := range cases {
		if c.Linux == "" {
			continue
		}
		listed := false
		for _, r := range rows {
			for _, id := range r.ids {
				listed = listed || matchID(id, c.ID)
			}
		}
		if !listed {
			missing = append(missing, c.ID+" (OpenBSD "+c.OpenBSD+", landpledge "+c.Linux+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("divergence not listed in COMPAT.md: compat:%s", m)
	}
}

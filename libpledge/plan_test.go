//go:build linux

package libpledge

import (
	"bufio"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/plancase"
	"github.com/landpledge/landpledge/unveil"
)

// cPlans runs the C planner (lpplan) on case texts.
func cPlans(t *testing.T, texts []string) []string {
	t.Helper()
	cmd := exec.Command(testProgram(t, "lpplan"))
	cmd.Stdin = strings.NewReader(strings.Join(texts, "---\n") + "---\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lpplan: %v", err)
	}
	var plans []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if sc.Text() == "---" {
			plans = append(plans, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(sc.Text() + "\n")
	}
	if len(plans) != len(texts) {
		t.Fatalf("lpplan answered %d cases of %d", len(plans), len(texts))
	}
	return plans
}

// TestPlanDifferential: the C planner gives unveil.MakePlan's plan on the
// shared cases (unveil/testdata/plans, also TestMakePlan's), and on
// 2000 random entry sets over a small tree.
func TestPlanDifferential(t *testing.T) {
	cases, err := plancase.ReadAll(plancase.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var texts, names []string
	for _, c := range cases {
		texts = append(texts, c.Text)
		names = append(names, c.Name)
	}
	texts = append(texts, randomPlanCases()...)
	for len(names) < len(texts) {
		names = append(names, fmt.Sprintf("random-%d", len(names)-len(cases)))
	}
	got := cPlans(t, texts)
	bad, splits, exposures, noted := 0, 0, 0, 0
	for i, text := range texts {
		c, err := plancase.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		want := plancase.Format(unveil.MakePlan(c.Entries, c.Handled, c.ReadDir))
		if i < len(cases) && want != c.Want() {
			t.Errorf("%s: MakePlan no longer gives what the case says", names[i])
		}
		splits += strings.Count(want, " child\n")
		exposures += strings.Count(want, "exposed ")
		if !strings.Contains(want, "notes 0\n") {
			noted++
		}
		if got[i] != want {
			if bad++; bad <= 10 {
				t.Errorf("%s: C plan differs:\n%s\n C:\n%s\n Go:\n%s", names[i], text, got[i], want)
			}
		}
	}
	t.Logf("%d plans compared (%d shared cases): %d rules on entries of split directories, %d exposures, %d plans with notes",
		len(texts), len(cases), splits, exposures, noted)
}

func randomPlanCases() []string {
	tree := []string{
		"tree / a/ z/ bin@",
		"tree /a b/ d/ f l@",
		"tree /a/b c/ g",
		"tree /a/b/c h",
		"tree /a/d i",
		"tree /z",
	}
	cands := []struct{ path, kind string }{
		{"/", "dir"}, {"/a", "dir"}, {"/a/b", "dir"}, {"/a/b/c", "dir"}, {"/a/d", "dir"}, {"/z", "dir"},
		{"/a/f", "file"}, {"/a/b/g", "file"}, {"/a/b/c/h", "file"}, {"/a/d/i", "file"},
		{"/a/new", "missing"}, {"/a/b/new2", "missing"}, {"/z/new3", "missing"},
	}
	perms := []string{"-", "r", "w", "x", "c", "rw", "rx", "rc", "wx", "wc", "xc", "rwx", "rwc", "rxc", "wxc", "rwxc"}
	r := rand.New(rand.NewSource(11))
	var texts []string
	for len(texts) < 2000 {
		var b strings.Builder
		fmt.Fprintf(&b, "abi %d\n", 1+r.Intn(7))
		for _, l := range tree {
			b.WriteString(l + "\n")
		}
		used := map[string]bool{}
		for n := 1 + r.Intn(4); n > 0; n-- {
			c := cands[r.Intn(len(cands))]
			if used[c.path] {
				continue
			}
			used[c.path] = true
			fmt.Fprintf(&b, "entry %s %s %s\n", c.path, perms[r.Intn(len(perms))], c.kind)
		}
		texts = append(texts, b.String())
	}
	return texts
}

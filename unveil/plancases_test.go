//go:build linux

package unveil_test

import (
	"testing"

	"github.com/landpledge/landpledge/internal/plancase"
	"github.com/landpledge/landpledge/unveil"
)

// TestMakePlan runs the plan cases of testdata/plans (the language is in
// package internal/plancase): the rules and exposures in order and the
// number of notes. libpledge's TestPlanDifferential runs the same files
// through the C planner.
func TestMakePlan(t *testing.T) {
	cases, err := plancase.ReadAll("testdata/plans")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got := unveil.MakePlan(c.Entries, c.Handled, c.ReadDir)
			if g, w := plancase.Format(got), c.Want(); g != w {
				t.Errorf("plan:\n got:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

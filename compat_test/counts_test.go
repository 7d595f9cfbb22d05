package compat_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCaseCounts: README and docs/compat.md give the number of run-compare
// cases and of listed divergences (cases with Case.Linux) as they are.
func TestCaseCounts(t *testing.T) {
	cases := allCases()
	div := 0
	for _, c := range cases {
		if c.Linux != "" {
			div++
		}
	}
	for file, want := range map[string][]string{
		"../README.md":      {fmt.Sprintf("%d run-compare cases (%d of them listed", len(cases), div)},
		"../docs/compat.md": {fmt.Sprintf("%d run-compare cases", len(cases)), fmt.Sprintf("%d of them are listed divergences", div)},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(b)), " ") // line breaks are spaces
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not say %q", file, w)
			}
		}
	}
}

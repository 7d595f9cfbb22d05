//go:build linux && (amd64 || arm64)

package promise

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/seccomp"
)

// testArchs are the ABIs the promise table is built for; every test of the
// table runs on both, whatever the host.
var testArchs = []seccomp.Arch{seccomp.AMD64, seccomp.ARM64}

// classOf returns the classes the table puts syscall name in: "promise:
// <promises>" for each grant that allows it (with or without conditions),
// "always", "enosys" and "never".
func classOf(name string) []string {
	var classes []string
	seen := map[string]bool{}
	for _, g := range promiseTable {
		for _, r := range g.rules {
			if r.name != name {
				continue
			}
			c := "always"
			if g.need != 0 {
				c = "promise: " + g.need.String()
			}
			if !seen[c] {
				seen[c] = true
				classes = append(classes, c)
			}
		}
	}
	if _, ok := enosys[name]; ok {
		classes = append(classes, "enosys")
	}
	if _, ok := never[name]; ok {
		classes = append(classes, "never")
	}
	return classes
}

// TestClassify puts every syscall of the amd64 and arm64 tables in exactly
// one of: allowed (by one or more promises, or always), always ENOSYS, or
// never allowed. A syscall nobody thought about, or one that is both
// allowed and "never", fails here.
func TestClassify(t *testing.T) {
	for _, a := range testArchs {
		counts := map[string]int{}
		for name := range sysnums[a.Name] {
			classes := classOf(name)
			allowed, other := 0, 0
			for _, c := range classes {
				if c == "enosys" || c == "never" {
					other++
				} else {
					allowed++
				}
			}
			switch {
			case len(classes) == 0:
				t.Errorf("%s: syscall %s is in no class: add it to a promise, to never or to enosys", a.Name, name)
			case other > 1 || (other == 1 && allowed > 0):
				t.Errorf("%s: syscall %s is in contradictory classes %v", a.Name, name, classes)
			case other == 1:
				counts[classes[0]]++
			default:
				counts["allowed"]++
			}
		}
		t.Logf("%s: %d syscalls: %d allowed by some promise set, %d always ENOSYS, %d never allowed",
			a.Name, len(sysnums[a.Name]), counts["allowed"], counts["enosys"], counts["never"])
	}
}

// TestClassifyReport checks every row of the classification report (every
// syscall of both tables, its classes and why): each has a class, and a
// syscall that is always ENOSYS or never allowed says why, the reason the
// review needs. With -v it prints the report, for review.
func TestClassifyReport(t *testing.T) {
	all := map[string][]string{}
	for _, a := range testArchs {
		for name := range sysnums[a.Name] {
			all[name] = append(all[name], a.Name)
		}
	}
	names := sortedKeys(all)
	sort.Strings(names)
	for _, n := range names {
		classes := classOf(n)
		reason := never[n] + enosys[n]
		denied := slices.Contains(classes, "never") || slices.Contains(classes, "enosys")
		switch {
		case len(classes) == 0:
			t.Errorf("%s: no class", n)
		case denied && strings.TrimSpace(reason) == "":
			t.Errorf("%s: %v without a reason", n, classes)
		}
		if testing.Verbose() {
			t.Logf("%-26s %-12s %s %s", n, strings.Join(all[n], ","), strings.Join(classes, "; "), reason)
		}
	}
}

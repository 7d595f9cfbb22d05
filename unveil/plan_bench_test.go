//go:build linux

package unveil

import (
	"os"
	"testing"

	"github.com/landpledge/landpledge/landlock"
)

// BenchmarkMakePlanSplitRoot plans Unveil("/", "r") + Unveil("/home", ""),
// which lists "/" to split it (the cost a commit pays before any syscall
// to Landlock).
func BenchmarkMakePlanSplitRoot(b *testing.B) {
	entries := []Entry{{"/", PermRead, KindDir}, {"/home", 0, KindDir}}
	h := landlock.HandledAccessFS(landlock.MaxKnownABI)
	for b.Loop() {
		MakePlan(entries, h, os.ReadDir)
	}
}

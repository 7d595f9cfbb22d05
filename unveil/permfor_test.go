//go:build linux

package unveil

import (
	"testing"

	"github.com/landpledge/landpledge/landlock"
)

// TestPermFor: each right explains as the first letter that grants it, a
// set of rights as the fewest letters granting them all, and rights no
// letter grants as not ok.
func TestPermFor(t *testing.T) {
	cases := []struct {
		access uint64
		want   string
		ok     bool
	}{
		{landlock.AccessFSReadFile, "r", true},
		{landlock.AccessFSReadDir, "r", true},
		{landlock.AccessFSExecute, "x", true},
		{landlock.AccessFSExecute | landlock.AccessFSReadFile, "x", true},
		{landlock.AccessFSWriteFile, "w", true},
		{landlock.AccessFSTruncate, "w", true},
		{landlock.AccessFSIoctlDev, "w", true},
		{landlock.AccessFSMakeReg, "c", true},
		{landlock.AccessFSRemoveFile, "c", true},
		{landlock.AccessFSRefer | landlock.AccessFSMakeReg, "c", true},
		{landlock.AccessFSReadFile | landlock.AccessFSWriteFile, "rw", true},
		{landlock.AccessFSReadDir | landlock.AccessFSExecute, "rx", true},
		{0, "", true},
		{1 << 62, "", false},
	}
	for _, c := range cases {
		p, ok := PermFor(c.access)
		if p.String() != c.want || ok != c.ok {
			t.Errorf("PermFor(%v) = %q, %v; want %q, %v", RightNames(c.access), p, ok, c.want, c.ok)
		}
	}
}

//go:build linux && (amd64 || arm64)

package promise

import (
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"

	"github.com/landpledge/landpledge/seccomp"
)

// TestSyscallTablesAgree checks the syscall numbers and audit arch values
// the filter is built from (generated from golang.org/x/sys) against an
// independent source, go-seccomp-bpf's tables (generated from the kernel's
// syscall tables): every name both know must have the same number. A wrong
// number would allow one syscall in place of another.
func TestSyscallTablesAgree(t *testing.T) {
	for _, tc := range []struct {
		ours   map[string]uint32
		arch   seccomp.Arch
		theirs *arch.Info
	}{
		{sysnumAMD64, seccomp.AMD64, arch.X86_64},
		{sysnumARM64, seccomp.ARM64, arch.AARCH64},
	} {
		if tc.arch.AuditArch != uint32(tc.theirs.ID) {
			t.Errorf("%s: audit arch %#x, go-seccomp-bpf says %#x", tc.arch.Name, tc.arch.AuditArch, uint32(tc.theirs.ID))
		}
		common := 0
		for name, nr := range tc.ours {
			theirs, ok := tc.theirs.SyscallNames[name]
			if !ok {
				continue // newer than go-seccomp-bpf's table
			}
			common++
			if uint32(theirs) != nr {
				t.Errorf("%s: %s is %d here, %d in go-seccomp-bpf", tc.arch.Name, name, nr, theirs)
			}
		}
		if common < 250 {
			t.Errorf("%s: only %d syscall names in common with go-seccomp-bpf", tc.arch.Name, common)
		}
		t.Logf("%s: %d of %d syscalls checked against go-seccomp-bpf", tc.arch.Name, common, len(tc.ours))
	}
}

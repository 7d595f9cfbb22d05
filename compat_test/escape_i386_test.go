//go:build amd64

package compat_test

import (
	"testing"

	"github.com/landpledge/landpledge/compat_test/internal/i386"
)

// TestEscapeForeignArch issues getpid through int 0x80 (the i386 entry): the
// filter sees AUDIT_ARCH_I386 and must refuse the foreign arch outright
// rather than read 20 as an x86_64 number (20 is writev there).
func escapeForeignArchCases() []Case {
	int80getpid := simple("int 0x80 getpid", func(*Fixture) error {
		if r := int64(i386.Int80(i386.SysGetpid, 0, 0, 0)); r <= 0 {
			return errnoFromRaw(r)
		}
		return nil
	}).c("int80-getpid")
	return []Case{
		{ID: "escape/i386/getpid", Sandbox: pledged(everything), Op: int80getpid, Plain: ok, OpenBSD: killed},
		{ID: "escape/i386/getpid-stdio", Sandbox: pledged("stdio"), Op: int80getpid, Plain: ok, OpenBSD: killed},
	}
}

func TestEscapeForeignArch(t *testing.T) { runCases(t, escapeForeignArchCases()) }

// archCases lists the amd64-only tables for allCases.
func archCases() [][]Case { return [][]Case{escapeForeignArchCases()} }

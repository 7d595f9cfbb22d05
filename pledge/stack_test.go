//go:build linux

package pledge

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// These tests only build filters; they load nothing, so they run in the
// test runner itself.

// severer is the kernel's rule for stacked filters (seccomp_run_filters):
// every filter runs and the result with the lowest action, read as a signed
// value, wins; on a tie the most recently attached filter's result stands.
func severer(newer, older seccomp.Action) seccomp.Action {
	if int32(uint32(older)&unix.SECCOMP_RET_ACTION_FULL) < int32(uint32(newer)&unix.SECCOMP_RET_ACTION_FULL) {
		return older
	}
	return newer
}

// probeArgs lists argument vectors that reach every branch of the rules
// for nr: each compared value, its neighbours, and all-zero/all-one words.
func probeArgs(nr uint32, filters ...*seccomp.Filter) [][6]uint64 {
	probes := [][6]uint64{{}, {^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}}
	for _, f := range filters {
		for _, r := range f.Rules {
			if r.Nr != nr {
				continue
			}
			var all [6]uint64
			for _, c := range r.Conds {
				all[c.Arg] = c.Val
				for _, v := range []uint64{c.Val, c.Val + 1, c.Val - 1, c.Val | c.Mask, c.Val &^ c.Mask, c.Mask} {
					var a [6]uint64
					a[c.Arg] = v
					probes = append(probes, a)
				}
			}
			probes = append(probes, all)
		}
	}
	return probes
}

// TestDeltaFilterEquivalent: stacking the small delta filter on the loaded
// one decides every syscall exactly as stacking the whole narrower filter.
func TestDeltaFilterEquivalent(t *testing.T) {
	chains := [][]string{
		{"stdio rpath wpath cpath inet dns proc exec prot_exec", "stdio rpath inet", "stdio"},
		{"stdio rpath wpath cpath fattr flock unix tty", "stdio rpath tty", ""},
		{"stdio rpath error", "stdio error", "error"},
		{everyPromise(), "stdio rpath proc exec id", "stdio proc"},
		{"stdio error rpath", "stdio rpath"}, // dropping "error": the whole filter
	}
	for _, arch := range []seccomp.Arch{seccomp.AMD64, seccomp.ARM64} {
		for _, chain := range chains {
			var stacked []*seccomp.Filter // as the kernel holds them, oldest first
			var loadedFull *seccomp.Filter
			for _, promises := range chain {
				p, err := ParsePromises(promises)
				if err != nil {
					t.Fatal(err)
				}
				full, err := promise.BuildFilter(arch, p, promise.FilterOptions{})
				if err != nil {
					t.Fatal(err)
				}
				next := full
				if loadedFull != nil {
					next = deltaFilter(loadedFull, full)
					if _, err := next.Compile(); err != nil {
						t.Fatalf("%s: delta to %q does not compile: %v", arch.Name, promises, err)
					}
				}
				// The stack with the delta must equal the stack with
				// the full filter in its place.
				for nr := uint32(0); nr <= arch.MaxNr+2; nr++ {
					for _, args := range probeArgs(nr, full, next) {
						d := seccomp.Data{Nr: int32(nr), Arch: arch.AuditArch, Args: args}
						withDelta, withFull := next.Decide(d), full.Decide(d)
						for _, f := range stacked {
							withDelta = severer(withDelta, f.Decide(d))
							withFull = severer(withFull, f.Decide(d))
						}
						if withDelta != withFull {
							t.Fatalf("%s %q after %q: nr %d args %x: stacked delta gives %v, full filter %v",
								arch.Name, promises, chain, nr, args, withDelta, withFull)
						}
					}
				}
				stacked = append(stacked, next)
				loadedFull = full
			}
		}
	}
}

// TestDeltaFilterIsSmall: narrowing "stdio rpath" to "stdio" stacks a filter
// much smaller than the whole "stdio" filter.
func TestDeltaFilterIsSmall(t *testing.T) {
	old, next := buildFilter(t, "stdio rpath"), buildFilter(t, "stdio")
	fullProg, err := next.Compile()
	if err != nil {
		t.Fatal(err)
	}
	deltaProg, err := deltaFilter(old, next).Compile()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stdio after \"stdio rpath\": whole filter %d instructions, delta %d", len(fullProg), len(deltaProg))
	if len(deltaProg)*2 > len(fullProg) {
		t.Errorf("delta filter (%d instructions) is not much smaller than the whole filter (%d)", len(deltaProg), len(fullProg))
	}
}

// TestDeltaFilterHot: a delta filter checks the hot syscalls' arguments
// first, as the whole filter does: narrowing "stdio rpath wpath" to
// "stdio rpath" changes openat's rules, and openat is hot, so the delta
// reaches openat's checks in as few steps as the whole filter.
func TestDeltaFilterHot(t *testing.T) {
	arch := seccomp.Native()
	old, next := buildFilter(t, "stdio rpath wpath"), buildFilter(t, "stdio rpath")
	delta := deltaFilter(old, next)
	if !slices.Equal(delta.Hot, next.Hot) || len(next.Hot) == 0 {
		t.Fatalf("delta Hot %v, whole filter's %v", delta.Hot, next.Hot)
	}
	prog, err := delta.Compile()
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := promise.SyscallNumber(arch, "openat")
	d := seccomp.Data{Nr: int32(nr), Arch: arch.AuditArch, Args: [6]uint64{0, 0, unix.O_RDONLY}}
	act, steps, err := prog.Run(d)
	if err != nil || act != seccomp.ActAllow {
		t.Fatalf("openat O_RDONLY in the delta: %v, %v", act, err)
	}
	// ld arch, jeq arch, ld nr, jeq openat (the first hot number), then
	// the body: the tree is not walked.
	if steps > 8 {
		t.Errorf("openat takes %d steps in the delta: its hot check is not first", steps)
	}
}

// buildFilter is the native filter of promise string s, no options.
func buildFilter(t *testing.T, s string) *seccomp.Filter {
	t.Helper()
	p, err := ParsePromises(s)
	if err != nil {
		t.Fatal(err)
	}
	f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

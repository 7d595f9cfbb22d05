package sandbox

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// TestLayerIsFreshCompile: a layer patched for a pid is, instruction for
// instruction, the filter compiled for that pid, with and without the
// loader operations; the library's filter (FilterOptions) is the one S
// compiles from its "self" request.
func TestLayerIsFreshCompile(t *testing.T) {
	for _, p := range []Policy{
		{Promises: mustParse(t, "stdio rpath")},
		{Promises: mustParse(t, "stdio"), Report: true},
		{Promises: mustParse(t, "stdio proc exec"), Violation: seccomp.ActErrno(unix.EPERM)},
	} {
		c, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range []int{1, 99, 4242, 1 << 22} {
			l := c.Layer(pid)
			for _, x := range []struct {
				got    seccomp.Program
				loader bool
			}{{l.Loaded, true}, {l.Plain, false}} {
				f, err := promise.BuildFilter(seccomp.Native(), p.Promises, p.options(pid, x.loader))
				if err != nil {
					t.Fatal(err)
				}
				want, err := f.Compile()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(x.got, want) {
					t.Errorf("%+v pid %d loader=%v: the patched program differs from a fresh compile", p, pid, x.loader)
				}
			}
			if o := p.FilterOptions(pid); o != p.options(pid, true) {
				t.Errorf("FilterOptions %+v differs from the loaded layer's options", o)
			}
		}
	}
}

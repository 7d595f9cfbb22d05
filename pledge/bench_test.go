//go:build linux

package pledge

import (
	"testing"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// benchSets are typical pledges, narrow to wide.
var benchSets = []struct{ name, promises string }{
	{"empty", ""},
	{"stdio", "stdio"},
	{"stdio_rpath", "stdio rpath"},
	{"daemon", "stdio rpath wpath cpath inet dns unix flock"},
	{"shell", "stdio rpath wpath cpath fattr tty proc exec prot_exec"},
	{"all", everyPromise()},
	{"all_error", everyPromise() + " error"},
}

// BenchmarkPledge measures what Pledge does before loading: parse the
// promises, build the rules and compile the program (loading is
// irreversible, so it is not repeated here). It reports the program's shape
// (instructions, dispatch path lengths) per promise set as metrics.
func BenchmarkPledge(b *testing.B) {
	arch := seccomp.Native()
	for _, s := range benchSets {
		b.Run(s.name, func(b *testing.B) {
			var prog seccomp.Program
			for b.Loop() {
				p, err := ParsePromises(s.promises)
				if err != nil {
					b.Fatal(err)
				}
				f, err := promise.BuildFilter(arch, p, promise.FilterOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if prog, err = f.Compile(); err != nil {
					b.Fatal(err)
				}
			}
			st := prog.Stats(arch)
			b.ReportMetric(float64(st.Insns), "insns")
			b.ReportMetric(float64(st.MaxDispatch), "max-dispatch")
			b.ReportMetric(st.MeanDispatch, "mean-dispatch")
			b.ReportMetric(float64(st.MaxPath), "max-path")
			b.ReportMetric(float64(st.ConstAllow), "cached-allow")
		})
	}
}

// BenchmarkPledgeNarrowing measures building the delta filter a second
// pledge stacks, and reports its size.
func BenchmarkPledgeNarrowing(b *testing.B) {
	arch := seccomp.Native()
	old, _ := ParsePromises("stdio rpath wpath cpath inet dns")
	next, _ := ParsePromises("stdio rpath")
	oldF, err := promise.BuildFilter(arch, old, promise.FilterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var prog seccomp.Program
	for b.Loop() {
		nextF, err := promise.BuildFilter(arch, next, promise.FilterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if prog, err = deltaFilter(oldF, nextF).Compile(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(prog)), "insns")
}

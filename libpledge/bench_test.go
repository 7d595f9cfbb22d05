//go:build linux

package libpledge

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// Benchmarks of the C library (test/bench.c), reported as metrics: run
// with `go test -run '^$' -bench . ./libpledge`. They measure; they assert
// nothing about time.

// benchLines runs bench with args and collects its "name value" lines.
func benchLines(b *testing.B, args ...string) map[string][]float64 {
	b.Helper()
	out, err := exec.Command(testProgram(b, "bench"), args...).Output()
	if err != nil {
		b.Fatalf("bench %v: %v", args, err)
	}
	vals := map[string][]float64{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			b.Fatalf("bench: %q", l)
		}
		vals[f[0]] = append(vals[f[0]], v)
	}
	return vals
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// BenchmarkPledge is the cost of pledge("stdio rpath", NULL) from C in a
// fresh process (each in a forked child: a pledge cannot be undone):
// parsing, building, compiling and loading the filter.
func BenchmarkPledge(b *testing.B) {
	sandboxtest.Require(b, "seccomp")
	v := benchLines(b, "pledge", strconv.Itoa(max(b.N, 5)))["pledge"]
	b.ReportMetric(median(v), "pledge-ns")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkBuild is what pledge("stdio rpath") does before loading the
// filter, in the C library and in the Go library (promise.BuildFilter and
// Compile), warm: the Go loop is the benchmark's, the C figure a metric.
func BenchmarkBuild(b *testing.B) {
	v := benchLines(b, "build", strconv.Itoa(max(b.N, 1000)))["build+compile"]
	p, _ := promise.Parse("stdio rpath")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{Pid: testPid})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Compile(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(median(v), "C-ns")
}

// BenchmarkUnveilCommit is the cost of the first unveils and the commit:
// unveil("/etc", "r"), unveil("/usr/share", "r"), unveil(NULL, NULL).
func BenchmarkUnveilCommit(b *testing.B) {
	sandboxtest.Require(b, "landlock")
	v := benchLines(b, "unveil", strconv.Itoa(max(b.N, 5)))["unveil-commit"]
	b.ReportMetric(median(v), "unveil+commit-ns")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFilterSize reports the instructions of the C and Go filters of
// a few promise sets (they are the same program), as pledge() loads them
// with Landlock: with a path layer.
func BenchmarkFilterSize(b *testing.B) {
	for _, s := range []string{"", "stdio", "stdio rpath", "stdio rpath wpath cpath inet dns proc exec"} {
		b.Run(strings.ReplaceAll(s, " ", "_"), func(b *testing.B) {
			p, _ := promise.Parse(s)
			res := cFiltersB(b, []cRequest{{"default", seccomp.Native(), 0, 0, []promise.Set{p}, []bool{true}}})
			f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{Pid: testPid, PathLayer: true})
			if err != nil {
				b.Fatal(err)
			}
			goProg, err := f.Compile()
			if err != nil {
				b.Fatal(err)
			}
			st := res[0][0].Stats(seccomp.Native())
			b.ReportMetric(float64(len(res[0][0])), "C-insns")
			b.ReportMetric(float64(len(goProg)), "Go-insns")
			b.ReportMetric(float64(st.ConstAllow), "const-allow")
			b.ReportMetric(st.MeanDispatch, "mean-dispatch")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// cFiltersB is cFilters for a benchmark.
func cFiltersB(b *testing.B, reqs []cRequest) [][]seccomp.Program {
	var in bytes.Buffer
	for _, r := range reqs {
		in.WriteString(r.arch.Name + " 0 0 4242")
		for k, s := range r.chain {
			l := "/0"
			if r.layer(k) {
				l = "/1"
			}
			in.WriteString(" " + strconv.FormatUint(uint64(s), 16) + l)
		}
		in.WriteString("\n")
	}
	cmd := exec.Command(testProgram(b, "lpfilter"))
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	var res [][]seccomp.Program
	var cur []seccomp.Program
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" {
			if cur != nil {
				res = append(res, cur)
			}
			cur = nil
			continue
		}
		p, err := parseProg(l)
		if err != nil {
			b.Fatal(err)
		}
		cur = append(cur, p)
	}
	return res
}

// BenchmarkAllowedSyscalls measures allowed syscalls under the C
// library's filter for "stdio rpath" and under the Go library's, loaded
// raw, interleaved in one run (and under no filter): getppid (a constant
// ALLOW, cached by the kernel), ioctl FIONREAD and openat O_RDONLY (their
// arguments are checked), pread.
func BenchmarkAllowedSyscalls(b *testing.B) {
	sandboxtest.Require(b, "seccomp")
	p, _ := promise.Parse("stdio rpath")
	f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	prog, err := f.Compile()
	if err != nil {
		b.Fatal(err)
	}
	var raw bytes.Buffer
	binary.Write(&raw, binary.NativeEndian, prog)
	file := filepath.Join(b.TempDir(), "go.bpf")
	if err := os.WriteFile(file, raw.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	iters := max(b.N, 20000)
	vals := benchLines(b, "syscalls", file, "5", strconv.Itoa(iters))
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.ReportMetric(median(vals[n]), n+"-ns")
	}
	b.ReportMetric(0, "ns/op")
}

//go:build linux && amd64

package pledge

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// envExecBench makes BenchmarkExecTrue run in this process (a child it
// started): the benchmark pledges, which must never happen in the runner.
const envExecBench = "LANDPLEDGE_EXEC_BENCH"

// execBenchModes are how the process that runs /bin/true is sandboxed.
var execBenchModes = []struct {
	name   string
	pledge func() error
}{
	{"unpledged", func() error { return nil }},
	// The exec broker runs /bin/true in a fresh process, unpledged and
	// untraced; the process that exec'd stands in for it.
	{"broker", func() error { return PledgePromises("stdio rpath proc exec prot_exec") }},
	// The same, with "stdio" injected into the fresh process, which is
	// traced: its loader's operations are granted by the loader window.
	{"execpromises", func() error { return Pledge("stdio rpath proc exec prot_exec", "stdio") }},
}

var execBenchOnce sync.Once

// BenchmarkExecTrue measures os/exec's fork+exec+wait of /bin/true (a
// dynamic program: its loader opens and maps libc) from a process that is
// unpledged, or pledged with "exec" and so brokered by its exec
// supervisor, without or with execpromises. Each case runs in a child
// process (the same benchmark, told so by envExecBench) and reports the
// child's ns/op.
func BenchmarkExecTrue(b *testing.B) {
	for _, m := range execBenchModes {
		b.Run(m.name, func(b *testing.B) {
			if os.Getenv(envExecBench) == m.name {
				execTrueLoop(b, m.pledge)
				return
			}
			if os.Getenv(envExecBench) != "" {
				b.Skip("another mode's child")
			}
			b.ReportMetric(execBenchChild(b, m.name), "ns/op")
		})
	}
}

func execTrueLoop(b *testing.B, pledge func() error) {
	execBenchOnce.Do(func() {
		if err := pledge(); err != nil {
			b.Fatal(err)
		}
	})
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command("/bin/true")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

var nsPerOp = regexp.MustCompile(`\s([0-9.]+) ns/op`)

// execBenchChild runs mode's case b.N times in a child and returns its
// ns/op.
func execBenchChild(b *testing.B, mode string) float64 {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^BenchmarkExecTrue$/^"+mode+"$",
		"-test.benchtime="+strconv.Itoa(b.N)+"x", "-test.count=1")
	cmd.Env = append(os.Environ(), envExecBench+"="+mode)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	m := nsPerOp.FindSubmatch(out)
	if m == nil {
		b.Fatalf("no ns/op in the child's output:\n%s", out)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

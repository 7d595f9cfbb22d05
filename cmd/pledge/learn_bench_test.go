//go:build linux

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLearnCost measures what learning costs against strace -f, the
// ptrace-per-syscall tracer, on the same programs: each iteration runs the
// program plain, under `pledge --learn -q` and under `strace -f -o
// /dev/null`, interleaved, so that the load of a shared machine weighs on
// the three alike. It reports the median wall time of each (ms) and the
// ptrace stops each took: learn's own count (its report), strace's two per
// syscall (strace -f -c, run once); and, for scale, the program run under
// the learned policy (pledged-ms). docs/command.md has the figures.
//
//	go test -run '^$' -bench LearnCost -benchtime 20x ./cmd/pledge
func BenchmarkLearnCost(b *testing.B) {
	if _, err := exec.LookPath("strace"); err != nil {
		b.Skipf("strace is not installed: %v", err)
	}
	if bin.err != nil {
		b.Fatal(bin.err)
	}
	for _, w := range learnWorkloads(b) {
		b.Run(w.name, func(b *testing.B) {
			policy := filepath.Join(b.TempDir(), "policy")
			stops := learnStops(b, w, policy)
			variants := [][]string{nil, {bin.pledge, "--learn", "-q", "--"}, {"strace", "-f", "-o", os.DevNull, "--"},
				{bin.pledge, "--policy", policy, "--"}}
			times := make([][]time.Duration, len(variants))
			for i := 0; i < b.N; i++ {
				for v, pre := range variants {
					times[v] = append(times[v], timeRun(b, w, pre))
				}
			}
			for v, name := range []string{"plain-ms", "learn-ms", "strace-ms", "pledged-ms"} {
				b.ReportMetric(median(times[v]).Seconds()*1000, name)
			}
			b.ReportMetric(float64(stops), "learn-stops")
			b.ReportMetric(float64(2*straceCalls(b, w)), "strace-stops")
			b.ReportMetric(0, "ns/op") // the iteration runs all three: its mean means nothing
		})
	}
}

// workload is one program of the benchmark.
type workload struct {
	name  string
	argv  []string
	dir   string
	reset func()
}

func learnWorkloads(b *testing.B) []workload {
	dir := b.TempDir()
	script := filepath.Join(dir, "s.py")
	os.WriteFile(script, []byte("import json, sys\nprint(json.dumps({'n': sum(range(10))}))\n"), 0o644)
	big := filepath.Join(dir, "big.txt")
	var lines []string
	for i := 0; i < 200000; i++ {
		lines = append(lines, strconv.Itoa((i*7919)%200000))
	}
	os.WriteFile(big, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	repo := filepath.Join(dir, "repo")
	os.MkdirAll(repo, 0o755)
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte("a\n"), 0o644)
	ws := []workload{
		{name: "python3", argv: []string{"/usr/bin/python3", script}, dir: dir},
		{name: "sort-200k-lines", argv: []string{"sort", "-n", big}, dir: dir},
		{name: "find-usr-share", argv: []string{"find", "/usr/share/doc", "-name", "*.gz"}, dir: dir},
		{name: "git-init-add-commit", argv: []string{"sh", "-c", "git init -q && git add . && git -c user.name=b -c user.email=b@e commit -q -m m"},
			dir: repo, reset: func() { os.RemoveAll(filepath.Join(repo, ".git")) }},
	}
	var out []workload
	for _, w := range ws {
		if _, err := exec.LookPath(w.argv[0]); err == nil {
			out = append(out, w)
		}
	}
	return out
}

// timeRun runs w once under pre (nothing: plain) and returns its wall time.
func timeRun(b *testing.B, w workload, pre []string) time.Duration {
	if w.reset != nil {
		w.reset()
	}
	argv := append(append([]string{}, pre...), w.argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = w.dir, io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%q: %v", argv, err)
	}
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

var learnStopsLine = regexp.MustCompile(`observing took (\d+) stops`)

// learnStops is the stops one learning run of w took, from its report;
// it writes the policy learned to policy.
func learnStops(b *testing.B, w workload, policy string) int {
	if w.reset != nil {
		w.reset()
	}
	cmd := exec.Command(bin.pledge, append([]string{"--learn", "-o", policy, "--"}, w.argv...)...)
	var stderr strings.Builder
	cmd.Dir, cmd.Stdout, cmd.Stderr = w.dir, io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%v\n%s", err, stderr.String())
	}
	out := []byte(stderr.String())
	m := learnStopsLine.FindSubmatch(out)
	if m == nil {
		b.Fatalf("no stop count in the report:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// straceCalls is the syscalls strace -f counts in one run of w.
func straceCalls(b *testing.B, w workload) int {
	if w.reset != nil {
		w.reset()
	}
	file := filepath.Join(b.TempDir(), "count")
	cmd := exec.Command("strace", append([]string{"-f", "-c", "-o", file, "--"}, w.argv...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = w.dir, io.Discard, io.Discard
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	m := regexp.MustCompile(`(?m)^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total$`).FindSubmatch(data)
	if m == nil {
		b.Fatalf("no total in strace -c:\n%s", data)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

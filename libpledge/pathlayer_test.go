//go:build linux

package libpledge

import (
	"bufio"
	"fmt"
	"math/rand"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/promise"
)

// TestPathLayerDifferential: the path layer libpledge stacks for a pledge
// (src/pathlayer.c, from the generated tables) is the Go library's
// (sandbox.PathLayer, as sandbox.LayerKey sees it: the handled rights and
// each named file's rule), and so are the rules its veil gets for the
// named paths (sandbox.NamedFiles.Rules), for every combination of the
// promises that change a layer and 200 random sets, on every ABI, with the
// named files of a first pledge of everything and of "stdio dns" (the
// later pledges find only those open). Both sides open this machine's
// files, so missing ones are skipped alike.
func TestPathLayerDifferential(t *testing.T) {
	var bits []promise.Set
	for _, n := range []string{"rpath", "wpath", "cpath", "dpath", "unix", "exec", "tmppath", "tty", "getpw", "dns"} {
		p, err := promise.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		bits = append(bits, p)
	}
	var sets []promise.Set
	for combo := 0; combo < 1<<len(bits); combo++ {
		s := promise.Stdio
		for k, b := range bits {
			if combo&(1<<k) != 0 {
				s |= b
			}
		}
		sets = append(sets, s)
	}
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 200; i++ {
		sets = append(sets, promise.Set(r.Uint64())&promise.All)
	}
	for _, first := range []promise.Set{promise.All, promise.Stdio | promise.DNS} {
		t.Run(strings.ReplaceAll(first.String(), " ", "+"), func(t *testing.T) {
			named := sandbox.OpenNamed(first)
			defer named.Close()
			var in strings.Builder
			type probe struct {
				abi int
				p   promise.Set
			}
			var probes []probe
			for abi := 1; abi <= landlock.MaxKnownABI; abi++ {
				for _, s := range sets {
					probes = append(probes, probe{abi, s})
					fmt.Fprintf(&in, "%d %x\n", abi, uint64(s))
				}
			}
			cmd := exec.Command(testProgram(t, "lplayer"), strconv.FormatUint(uint64(first), 16))
			cmd.Stdin = strings.NewReader(in.String())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("lplayer: %v", err)
			}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			bad := 0
			for _, pr := range probes {
				layer, veil := nextLine(t, sc, "layer"), nextLine(t, sc, "veil")
				d := sandbox.PathLayer(pr.p, pr.abi, named)
				want := sandbox.LayerKey(d)
				if d == nil {
					want = "0 "
				}
				gotVeil, wantVeil := sortedRules(veil), ruleKey(named.Rules(pr.p, ^uint64(0)))
				if got := sortedLayer(layer); got != want || gotVeil != wantVeil {
					if bad++; bad <= 10 {
						t.Errorf("%q on ABI %d: C layer %q veil %q, Go layer %q veil %q", pr.p.String(), pr.abi, got, gotVeil, want, wantVeil)
					}
				}
			}
			if bad > 10 {
				t.Errorf("... %d differences in all", bad)
			}
			t.Logf("%d layers compared", len(probes))
		})
	}
}

func nextLine(t *testing.T, sc *bufio.Scanner, prefix string) []string {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("lplayer: output ends early")
	}
	f := strings.Fields(sc.Text())
	if len(f) == 0 || f[0] != prefix {
		t.Fatalf("lplayer: %q, want a %s line", sc.Text(), prefix)
	}
	return f[1:]
}

// sortedLayer is a layer line as sandbox.LayerKey writes it.
func sortedLayer(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0] + " " + sortedRules(f[1:])
}

func sortedRules(rules []string) string {
	rules = slices.Clone(rules)
	slices.Sort(rules)
	return strings.Join(rules, " ")
}

func ruleKey(rules []landlock.PathRule) string {
	var s []string
	for _, r := range rules {
		s = append(s, r.Path+"="+strconv.FormatUint(r.Access, 16))
	}
	return sortedRules(s)
}

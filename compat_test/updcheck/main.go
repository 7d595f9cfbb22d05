// Command updcheck is a ported OpenBSD tool in miniature, in the shape of
// obsdpkgup (which pledges first and unveils what it reads and the
// programs it runs) and ogvt (which unveils the files it reads, then
// blocks): it tells which installed packages have updates on a mirror.
// It is written against the OpenBSD API only (package pledge is
// golang.org/x/sys/unix's Pledge, Unveil and UnveilBlock there) and has no
// build tags: the same source builds for every GOOS/GOARCH, runs under
// the kernel's pledge(2) and unveil(2) on OpenBSD and under Landlock and
// seccomp on Linux, and fails with an error matching
// errors.ErrUnsupported elsewhere (compat_test's TestUpdcheck and
// TestMatrix).
//
//  1. pledge "stdio rpath inet dns proc exec unveil";
//  2. unveil the package list "r", sysctl(8) "rx" and /etc/resolv.conf
//     "r", then UnveilBlock: nothing else on disk is visible;
//  3. run sysctl -n kern.version (the mirror's directory depends on it);
//  4. read the package list, fetch the mirror's index over HTTP;
//  5. with -probe, try to read a file outside the unveils;
//  6. drop to "stdio" and print the updates.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/landpledge/landpledge/pledge"
)

func main() {
	list := flag.String("list", "/var/db/pkg/list", "installed packages, one \"name version\" a line")
	mirror := flag.String("mirror", "", "base URL of the mirror, e.g. http://127.0.0.1:8080")
	sysctl := flag.String("sysctl", "/sbin/sysctl", "sysctl(8), run for kern.version")
	probe := flag.String("probe", "", "a file outside the unveils to try to read")
	flag.Parse()
	if *mirror == "" {
		fmt.Fprintln(os.Stderr, "usage: updcheck -mirror URL [-list FILE] [-sysctl PATH] [-probe FILE]")
		os.Exit(64)
	}

	check("pledge", pledge.PledgePromises("stdio rpath inet dns proc exec unveil"))
	check("unveil", pledge.Unveil(*list, "r"))
	check("unveil", pledge.Unveil(*sysctl, "rx"))
	check("unveil", pledge.Unveil("/etc/resolv.conf", "r"))
	check("unveil", pledge.UnveilBlock())
	veil := pledge.UnveilStatus()
	report("veil", fmt.Sprintf("enforced=%v locked=%v entries=%d", veil.Enforced, veil.Locked, len(veil.Entries)))

	cmd := exec.Command(*sysctl, "-n", "kern.version")
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr // no /dev/null to open
	out, err := cmd.Output()
	check("sysctl", err)
	version := strings.TrimSpace(string(out))
	report("kern.version", version)

	f, err := os.Open(*list)
	check("list", err)
	installed := parse(f)
	f.Close()
	report("installed", fmt.Sprint(len(installed)))

	release := "unknown" // "OpenBSD 7.6 (GENERIC.MP) #338: ..." -> "7.6"
	if f := strings.Fields(version); len(f) > 1 {
		release = f[1]
	}
	url := strings.TrimSuffix(*mirror, "/") + "/" + release + "/index.txt"
	resp, err := http.Get(url)
	check("fetch", err)
	if resp.StatusCode != http.StatusOK {
		check("fetch", fmt.Errorf("%s: %s", url, resp.Status))
	}
	index := parse(resp.Body)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	report("index", fmt.Sprint(len(index)))

	if *probe != "" {
		_, err := os.ReadFile(*probe)
		report("probe", errText(err))
	}

	check("pledge", pledge.PledgePromises("stdio"))
	st := pledge.CurrentState()
	report("pledged", fmt.Sprintf("%q enforced=%v", st.Promises.String(), st.Enforced()))

	var names []string
	for name := range installed {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if v, ok := index[name]; ok && v != installed[name] {
			report("update", fmt.Sprintf("%s %s -> %s", name, installed[name], v))
		}
	}
}

// parse reads "name version" lines.
func parse(r io.Reader) map[string]string {
	m := map[string]string{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	check("parse", s.Err())
	return m
}

// errText is the error of a failed file operation without the path (the
// errno's text: "permission denied" on Linux, "no such file or directory"
// on OpenBSD), "ok" for none.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func report(key, value string) { fmt.Printf("updcheck: %s: %s\n", key, value) }

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "updcheck: %s: %v\n", what, err)
		if errors.Is(err, errors.ErrUnsupported) {
			os.Exit(69) // EX_UNAVAILABLE
		}
		os.Exit(1)
	}
}

package compat_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestUpdcheck runs the porting example ./updcheck, an OpenBSD-style tool
// of our own in the shape of obsdpkgup and ogvt, here, under the promises
// and unveils it makes on OpenBSD: it runs its sysctl helper (unveiled
// "rx"), reads its package list (unveiled "r"), fetches the mirror's index
// over HTTP from a listener on 127.0.0.1, cannot read a file outside its
// unveils (EACCES; OpenBSD says ENOENT), drops to "stdio" and prints the
// updates. It runs as the test's user and, when that is root, as nobody
// too. TestMatrix builds the same source for every platform.
func TestUpdcheck(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	sandboxtest.Require(t, "seccomp")
	if runtime.GOARCH != "amd64" {
		t.Skip("updcheck pledges \"exec\", which needs the exec supervisor (amd64 only; elsewhere Pledge refuses to drop it silently)")
	}
	dir, err := os.MkdirTemp("", "updcheck-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Readable by nobody: the directory, the programs and the files.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tool, err := goBuild(dir, "updcheck", "./updcheck")
	if err != nil {
		t.Fatal(err)
	}
	sysctl, err := goBuild(dir, "sysctl", "./updcheck/fakesysctl")
	if err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "db", "list")
	secret := filepath.Join(dir, "secret", "file")
	for name, content := range map[string]string{
		list:   "curl 8.5.0\nvim 9.1.0\nzsh 5.9\n",
		secret: "not for updcheck\n",
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/7.6/index.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "curl 8.6.0\nvim 9.1.0\nzsh 5.9p1\nnew 1.0\n")
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("listener %s is not on 127.0.0.1", srv.URL)
	}

	want := strings.Join([]string{
		"updcheck: veil: enforced=true locked=true entries=3",
		"updcheck: kern.version: OpenBSD 7.6 (GENERIC.MP) #338: landpledge test",
		"updcheck: installed: 3",
		"updcheck: index: 4",
		"updcheck: probe: permission denied",
		`updcheck: pledged: "stdio" enforced=true`,
		"updcheck: update: curl 8.5.0 -> 8.6.0",
		"updcheck: update: zsh 5.9 -> 5.9p1",
	}, "\n") + "\n"

	users := []string{"self"}
	if os.Getuid() == 0 {
		users = append(users, "nobody")
	}
	for _, user := range users {
		t.Run(user, func(t *testing.T) {
			mu.Lock()
			requests = nil
			mu.Unlock()
			cmd := exec.Command(tool, "-mirror", srv.URL, "-list", list, "-sysctl", sysctl, "-probe", secret)
			if user == "nobody" {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			// It unveils after its pledge (kept "unveil") and then calls
			// UnveilBlock: the one line about the pending veil is all its
			// stderr.
			pending := fmt.Sprintf("pledge: unveil(%q, \"r\") after a pledge is not enforced until UnveilBlock()", list)
			if err != nil || stdout.String() != want || strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), pending) {
				t.Errorf("updcheck as %s: %v\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", user, err, &stdout, want, &stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(requests) != 1 || requests[0] != "/7.6/index.txt" {
				t.Errorf("the mirror saw %q, want one GET of /7.6/index.txt", requests)
			}
		})
	}
}

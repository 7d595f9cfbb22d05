package compat_test

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestFetchdemo runs the ported-tool example (./fetchdemo) against a TLS
// server on loopback: the fetch works under "stdio rpath inet dns" with
// only the CA bundle unveiled, and after the drop to "stdio" re-reading the
// bundle fails with EACCES and connecting kills the program with SIGSYS.
func TestFetchdemo(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	sandboxtest.Require(t, "seccomp")
	bin := program(t, envFetchdemo)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from loopback")
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	block := &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}
	if err := os.WriteFile(ca, pem.EncodeToMemory(block), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		signal  syscall.Signal
		outputs []string
	}{
		{"fetch", nil, 0, []string{"fetched 19 bytes: hello from loopback", "pledged stdio"}},
		{"denied-after-drop", []string{"-show-denied"}, syscall.SIGSYS, []string{
			"fetched 19 bytes: hello from loopback",
			"read CA bundle after drop: open " + ca + ": permission denied",
			"connecting after drop",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"-url", srv.URL, "-ca", ca}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			switch {
			case tc.signal == 0 && err != nil:
				t.Fatalf("fetchdemo: %v\n%s", err, out)
			case tc.signal != 0 && !errors.As(err, &ee):
				t.Fatalf("fetchdemo: want death by %v, got %v\n%s", tc.signal, err, out)
			case tc.signal != 0 && ee.Sys().(syscall.WaitStatus).Signal() != tc.signal:
				t.Fatalf("fetchdemo: want death by %v, got %v\n%s", tc.signal, err, out)
			}
			for _, want := range tc.outputs {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(string(out), "still alive") {
				t.Errorf("connect after the drop to stdio returned:\n%s", out)
			}
		})
	}
}

// Command netgo serves one page on 127.0.0.1 and fetches it: the Go
// program of the learn-mode tests (a server and a client in one process,
// over the loopback). With an argument it then tries to read that file
// and says how it went. The learn tests build it a second time with the
// learned policy as Go code (policy, set by a file they add), so that it
// pledges itself.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

// policy, when set, pledges and unveils the program before it does
// anything.
var policy func()

func main() {
	if policy != nil {
		policy()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", r.URL.Path)
	}))
	resp, err := http.Get("http://" + ln.Addr().String() + "/learn")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d %s", resp.StatusCode, body)
	if len(os.Args) > 1 {
		_, err := os.ReadFile(os.Args[1])
		fmt.Printf("read %s: %v\n", os.Args[1], err)
	}
}

// Command fetchdemo is a ported tool in miniature: it fetches one HTTPS URL
// the way an OpenBSD program would after porting to landpledge, with the
// same calls it would make there.
//
//  1. unveil what it will read (the CA bundle, the resolver files) and
//     pledge "stdio rpath inet dns": the first pledge without "unveil"
//     commits the veil, so from here on nothing else on disk is visible;
//  2. fetch the URL and print the body;
//  3. drop to "stdio" once the network is no longer needed;
//  4. with -show-denied, try what it gave up: reading the CA bundle again
//     (an open without rpath fails with EACCES) and opening a connection
//     (a socket without inet kills the process with SIGSYS).
//
// compat_test's TestFetchdemo runs it against a loopback httptest server.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/landpledge/landpledge/pledge"
)

func main() {
	url := flag.String("url", "", "HTTPS URL to fetch")
	ca := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle to trust")
	showDenied := flag.Bool("show-denied", false, "after dropping to stdio, try a read and a connection")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "usage: fetchdemo -url URL [-ca FILE] [-show-denied]")
		os.Exit(64)
	}

	for _, p := range []string{*ca, "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"} {
		check(pledge.Unveil(p, "r"))
	}
	check(pledge.PledgePromises("stdio rpath inet dns"))

	pem, err := os.ReadFile(*ca)
	check(err)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		check(fmt.Errorf("no certificates in %s", *ca))
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := client.Get(*url)
	check(err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	check(err)
	fmt.Printf("fetched %d bytes: %s\n", len(body), body)
	client.CloseIdleConnections()

	check(pledge.PledgePromises("stdio"))
	fmt.Println("pledged stdio")
	if !*showDenied {
		return
	}
	_, err = os.ReadFile(*ca)
	fmt.Printf("read CA bundle after drop: %v\n", err)
	fmt.Println("connecting after drop (this kills the process)")
	conn, err := net.Dial("tcp", resp.Request.URL.Host)
	fmt.Printf("still alive after connect: %v %v\n", conn, err)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetchdemo:", err)
		os.Exit(1)
	}
}

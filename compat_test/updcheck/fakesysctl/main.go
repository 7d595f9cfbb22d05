// Command fakesysctl answers `sysctl -n kern.version` as OpenBSD's
// sysctl(8) would, for updcheck's test: a static helper that updcheck
// unveils "rx" and runs, as obsdpkgup runs /sbin/sysctl.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "-n" || os.Args[2] != "kern.version" {
		fmt.Fprintln(os.Stderr, "usage: fakesysctl -n kern.version")
		os.Exit(1)
	}
	fmt.Println("OpenBSD 7.6 (GENERIC.MP) #338: landpledge test")
}

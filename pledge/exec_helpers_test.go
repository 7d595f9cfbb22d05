//go:build linux

package pledge

import (
	"fmt"
	"os"
)

// mustPledgePromises is PledgePromises (execpromises NULL) or exit status
// 3: exec'd programs then run unpledged, as on OpenBSD. Pledge(p, "")
// with "exec" in p sets execpromises to the empty set, and an exec'd
// program then runs under nothing.
func mustPledgePromises(promises string) {
	if err := PledgePromises(promises); err != nil {
		fmt.Fprintf(os.Stderr, "PledgePromises(%q): %v\n", promises, err)
		os.Exit(3)
	}
}

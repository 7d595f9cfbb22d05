//go:build linux

package pledge

import (
	"fmt"
	"os"
)

// mustPledgePromises is PledgePromises (execpromises NULL) or exit status
// 3: the pledge for tests whose exec'd programs must keep the promises.
// Pledge(p, "") with "exec" in p sets execpromises to the empty set, as on
// OpenBSD, and an exec'd program then runs under nothing (exec.go).
func mustPledgePromises(promises string) {
	if err := PledgePromises(promises); err != nil {
		fmt.Fprintf(os.Stderr, "PledgePromises(%q): %v\n", promises, err)
		os.Exit(3)
	}
}

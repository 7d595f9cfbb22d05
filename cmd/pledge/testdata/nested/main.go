// Command nested is a Go program using package pledge, run under the
// pledge command (nested_test.go): it pledges itself with "exec", without
// execpromises (argument "null") or with them ("execpromises"), says what
// Pledge did, and runs /bin/echo.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/landpledge/landpledge/pledge"
)

func main() {
	const promises = "stdio rpath prot_exec proc exec"
	var err error
	switch os.Args[1] {
	case "null":
		err = pledge.PledgePromises(promises)
	case "execpromises":
		err = pledge.Pledge(promises, "stdio rpath")
	}
	var ne *pledge.NotEnforcedError
	st := pledge.CurrentState()
	fmt.Printf("pledge-err=%v not-enforced=%v exec-err=%v supervisor=%v promises=%q\n",
		err != nil, errors.As(err, &ne), st.ExecErr != nil, st.ExecSupervisor != 0, st.Promises.String())
	cmd := exec.Command("/bin/echo", "hi")
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	out, err := cmd.Output()
	fmt.Printf("echo=%q %v\n", out, err)
}

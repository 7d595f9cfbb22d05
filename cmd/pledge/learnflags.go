package main

import (
	"os"
	"strings"

	"github.com/landpledge/landpledge/internal/learn"
)

// learnFlags are the flags of learn mode: `pledge --learn [-o FILE]` runs
// the program once and prints its policy (learn.go), `pledge --policy
// FILE` runs it under one.
type learnFlags struct {
	Learn  bool   // --learn
	Output string // -o FILE, --output FILE
	Policy string // --policy FILE
}

// notWithLearn are the flags that have no meaning in a run that denies
// nothing (-k -V), or that learning cannot follow (-c: the paths the
// program names are the chroot's).
var notWithLearn = []struct {
	name string
	set  func(c *config) bool
}{
	{"-k", func(c *config) bool { return c.Kill }},
	{"-V", func(c *config) bool { return c.NoUnveil }},
	{"-c", func(c *config) bool { return c.Chroot != "" }},
	{"--best-effort", func(c *config) bool { return c.BestEffort }},
}

// promiseString is the promise string of the command line: the joined -p
// values, or the policy file's promises (--policy; its unveils are added
// to -v's), or the default. The policy file takes the place of -p and -v,
// except with --learn, where all of them are the starting point the
// learned policy includes and the default is stdio alone.
func (c *config) promiseString(given []string) (string, error) {
	if err := c.checkLearnFlags(given != nil); err != nil {
		return "", err
	}
	ps := defaultPromises
	if c.Learn {
		ps = "stdio"
	}
	if given != nil {
		ps = strings.Join(given, " ")
	}
	if c.Policy == "" {
		return ps, nil
	}
	f, err := readPolicy(c.Policy)
	if err != nil {
		return "", err
	}
	for _, u := range f.Unveils {
		c.Unveils = append(c.Unveils, unveilArg{Perm: u.Perm, Path: u.Path})
	}
	if given != nil {
		return ps + " " + f.Promises.String(), nil
	}
	return f.Promises.String(), nil
}

// checkLearnFlags refuses the combinations learn mode has no meaning for.
func (c *config) checkLearnFlags(promisesGiven bool) error {
	switch {
	case c.Output != "" && !c.Learn:
		return usagef("-o FILE is for --learn")
	case c.Policy != "" && !c.Learn && (promisesGiven || len(c.Unveils) > 0):
		return usagef("--policy FILE takes the place of -p and -v (with --learn, they add up)")
	}
	if !c.Learn {
		return nil
	}
	for _, f := range notWithLearn {
		if f.set(c) {
			return usagef("%s cannot be used with --learn", f.name)
		}
	}
	return nil
}

// readPolicy reads a policy file.
func readPolicy(path string) (*learn.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, usagef("--policy: %v", err)
	}
	defer fh.Close()
	f, err := learn.ParseFile(fh)
	if err != nil {
		return nil, usagef("--policy %s: %v", path, err)
	}
	return f, nil
}

//go:build !amd64

package compat_test

// archCases lists the amd64-only tables for allCases: none here.
func archCases() [][]Case { return nil }

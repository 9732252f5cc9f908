//go:build !amd64 || purego

package bnorm

// setAsm does nothing: only the Go loops are built.
func setAsm(bool) {}

//go:build amd64

package main

func fmaYMM(n int)
func fmaZMM(n int)

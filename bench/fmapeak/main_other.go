//go:build !amd64

package main

func fmaYMM(int) { panic("fmapeak: amd64 only") }
func fmaZMM(int) { panic("fmapeak: amd64 only") }

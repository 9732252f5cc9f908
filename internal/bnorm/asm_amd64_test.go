//go:build amd64 && !purego

package bnorm

// setAsm selects (on, where the CPU has AVX2) or deselects the assembly loops.
func setAsm(on bool) { useAsm = on && cpuHasAVX2 }

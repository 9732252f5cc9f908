//go:build amd64 && !purego

package pool

import "golang.org/x/sys/cpu"

var useAsm = cpu.X86.HasAVX2

// maxReLUAVX2 is maxReLUGo in assembly for c a multiple of 8; row is w·c, the values in one
// image row. arg may be nil.
//
//go:noescape
func maxReLUAVX2(ph, pw, row, c int, act, bias, y *float32, arg *int32)

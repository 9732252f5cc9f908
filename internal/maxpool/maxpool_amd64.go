//go:build amd64 && !purego

package maxpool

import "golang.org/x/sys/cpu"

var useAsm = cpu.X86.HasAVX2

// maxReLUAVX2 is maxReLUGo in assembly for c a multiple of 8; row is w·c, the values in one
// image row. arg may be nil.
//
//go:noescape
func maxReLUAVX2(ph, pw, row, c int, act, bias, y *float32, arg *int32)

func maxReLU(ph, pw, w, c int, act, bias, y []float32, arg []int32) {
	if !useAsm || c%8 != 0 {
		maxReLUGo(ph, pw, w, c, act, bias, y, arg)
		return
	}
	var ap *int32
	if arg != nil {
		ap = &arg[0]
	}
	maxReLUAVX2(ph, pw, w*c, c, &act[0], &bias[0], &y[0], ap)
}

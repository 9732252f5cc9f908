//go:build !amd64 || purego

package maxpool

const useAsm = false

func maxReLU(ph, pw, w, c int, act, bias, y []float32, arg []int32) {
	maxReLUGo(ph, pw, w, c, act, bias, y, arg)
}

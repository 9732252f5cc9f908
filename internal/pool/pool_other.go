//go:build !amd64 || purego

package pool

const useAsm = false

func maxReLUAVX2(ph, pw, row, c int, act, bias, y *float32, arg *int32) {
	panic("pool: no assembly in this build")
}

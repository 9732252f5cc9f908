//go:build amd64 && !purego

#include "textflag.h"

// func tapsAVX2(k int, w *float32, off *int, src *float32, lds int, out *float32, ldo int)
//
// out[i*ldo+j] = Σ_{t<k} w[t]·src[off[t]+i*lds+j] for i < 4, j < 16: per tap, one broadcast
// and eight fused multiply-adds (row i in Y(2i):Y(2i+1)), summed in increasing t from zero.
TEXT ·tapsAVX2(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ off+16(FP), R8
	MOVQ src+24(FP), DI
	MOVQ lds+32(FP), R9
	SHLQ $2, R9           // bytes between src rows
	LEAQ (R9)(R9*2), R10  // 3 rows
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JE     store

loop:
	MOVQ         (R8), AX
	LEAQ         (DI)(AX*4), AX // src + off[t]
	VBROADCASTSS (SI), Y8
	VFMADD231PS  (AX), Y8, Y0
	VFMADD231PS  32(AX), Y8, Y1
	VFMADD231PS  (AX)(R9*1), Y8, Y2
	VFMADD231PS  32(AX)(R9*1), Y8, Y3
	VFMADD231PS  (AX)(R9*2), Y8, Y4
	VFMADD231PS  32(AX)(R9*2), Y8, Y5
	VFMADD231PS  (AX)(R10*1), Y8, Y6
	VFMADD231PS  32(AX)(R10*1), Y8, Y7
	ADDQ         $4, SI
	ADDQ         $8, R8
	DECQ         CX
	JNE          loop

store:
	MOVQ    out+40(FP), DX
	MOVQ    ldo+48(FP), R11
	SHLQ    $2, R11
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R11, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// REDUCE(lo, hi) leaves in the low lane of lo the 16 lanes lo:hi added up as Dots describes:
// l + l+8, then l + l+4, l + l+2, l + l+1.
#define REDUCE(lo, hi, xlo, xtmp) \
	VADDPS       hi, lo, lo \
	VEXTRACTF128 $1, lo, xtmp \
	VADDPS       xtmp, xlo, xlo \
	VPERMILPS    $0x0E, xlo, xtmp \
	VADDPS       xtmp, xlo, xlo \
	VPERMILPS    $0x01, xlo, xtmp \
	VADDSS       xtmp, xlo, xlo

// func dotsAVX2(n int, a, b *float32, off *[4]int, out *[4]float32)
//
// out[t] = Σ_{j<n} a[j]·b[off[t]+j] for t < 4, n a multiple of 16: lanes j mod 16 in
// Y(2t):Y(2t+1), one fused multiply-add per term in increasing j from zero, then REDUCE.
TEXT ·dotsAVX2(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	SHRQ   $4, CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	MOVQ   off+24(FP), R8
	MOVQ   0(R8), AX
	LEAQ   (DI)(AX*4), R9
	MOVQ   8(R8), AX
	LEAQ   (DI)(AX*4), R10
	MOVQ   16(R8), AX
	LEAQ   (DI)(AX*4), R11
	MOVQ   24(R8), AX
	LEAQ   (DI)(AX*4), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JE     reduce

loop:
	VMOVUPS     (SI), Y8
	VMOVUPS     32(SI), Y9
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 32(R9), Y9, Y1
	VFMADD231PS (R10), Y8, Y2
	VFMADD231PS 32(R10), Y9, Y3
	VFMADD231PS (R11), Y8, Y4
	VFMADD231PS 32(R11), Y9, Y5
	VFMADD231PS (R12), Y8, Y6
	VFMADD231PS 32(R12), Y9, Y7
	ADDQ        $64, SI
	ADDQ        $64, R9
	ADDQ        $64, R10
	ADDQ        $64, R11
	ADDQ        $64, R12
	DECQ        CX
	JNE         loop

reduce:
	MOVQ out+32(FP), DX
	REDUCE(Y0, Y1, X0, X8)
	VMOVSS X0, 0(DX)
	REDUCE(Y2, Y3, X2, X8)
	VMOVSS X2, 4(DX)
	REDUCE(Y4, Y5, X4, X8)
	VMOVSS X4, 8(DX)
	REDUCE(Y6, Y7, X6, X8)
	VMOVSS X6, 12(DX)
	VZEROUPPER
	RET

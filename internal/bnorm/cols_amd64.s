//go:build amd64 && !purego

#include "textflag.h"

// The column loops (cols.go) on rows of o values, o a multiple of 8, eight columns per
// instruction. The sums keep each group of eight columns in registers while they run down the
// rows, so every column is one float64 sum in row order, as in the Go versions.

// func colSumsAVX2(a *float32, rows, o int, sum, sq *float64)
TEXT ·colSumsAVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ rows+8(FP), DX
	MOVQ o+16(FP), BX
	MOVQ BX, R11
	SHLQ $2, R11          // bytes per row
	SHRQ $3, BX           // groups of eight columns
	MOVQ sum+24(FP), R8
	MOVQ sq+32(FP), R9

group:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   SI, R10
	MOVQ   DX, CX

row:
	VCVTPS2PD (R10), Y4
	VCVTPS2PD 16(R10), Y5
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VMULPD    Y4, Y4, Y4
	VMULPD    Y5, Y5, Y5
	VADDPD    Y4, Y2, Y2
	VADDPD    Y5, Y3, Y3
	ADDQ      R11, R10
	DECQ      CX
	JNE       row

	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, (R9)
	VMOVUPD Y3, 32(R9)
	ADDQ    $32, SI
	ADDQ    $64, R8
	ADDQ    $64, R9
	DECQ    BX
	JNE     group
	VZEROUPPER
	RET

// func colMaskedSumsAVX2(dy, a *float32, rows, o int, s, t *float32, sum, sq *float64)
//
// s nil: no mask.
TEXT ·colMaskedSumsAVX2(SB), NOSPLIT, $0-64
	MOVQ   dy+0(FP), SI
	MOVQ   a+8(FP), DI
	MOVQ   rows+16(FP), DX
	MOVQ   o+24(FP), BX
	MOVQ   BX, R11
	SHLQ   $2, R11          // bytes per row
	SHRQ   $3, BX           // groups of eight columns
	MOVQ   s+32(FP), R12
	MOVQ   t+40(FP), R13
	MOVQ   sum+48(FP), R8
	MOVQ   sq+56(FP), R9
	VXORPS Y15, Y15, Y15

group:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	TESTQ  R12, R12
	JE     nomask
	VMOVUPS (R12), Y13
	VMOVUPS (R13), Y14

nomask:
	MOVQ SI, R10
	MOVQ DI, R14
	MOVQ DX, CX

row:
	VMOVUPS (R10), Y4
	TESTQ   R12, R12
	JE      summ
	VMULPS  (R14), Y13, Y5 // a·s
	VADDPS  Y14, Y5, Y5    // + t
	VCMPPS  $14, Y15, Y5, Y5
	VANDPS  Y5, Y4, Y4

summ:
	VCVTPS2PD    X4, Y6
	VEXTRACTF128 $1, Y4, X7
	VCVTPS2PD    X7, Y7
	VADDPD       Y6, Y0, Y0
	VADDPD       Y7, Y1, Y1
	VCVTPS2PD    (R14), Y8
	VCVTPS2PD    16(R14), Y9
	VMULPD       Y6, Y8, Y8
	VMULPD       Y7, Y9, Y9
	VADDPD       Y8, Y2, Y2
	VADDPD       Y9, Y3, Y3
	ADDQ         R11, R10
	ADDQ         R11, R14
	DECQ         CX
	JNE          row

	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, (R9)
	VMOVUPD Y3, 32(R9)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $64, R8
	ADDQ    $64, R9
	TESTQ   R12, R12
	JE      next
	ADDQ    $32, R12
	ADDQ    $32, R13

next:
	DECQ BX
	JNE  group
	VZEROUPPER
	RET

// func colAffineAVX2(y, x *float32, rows, o int, s, t *float32, relu int)
TEXT ·colAffineAVX2(SB), NOSPLIT, $0-56
	MOVQ   y+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   rows+16(FP), DX
	MOVQ   o+24(FP), BX
	SHRQ   $3, BX
	MOVQ   s+32(FP), R12
	MOVQ   t+40(FP), R13
	MOVQ   relu+48(FP), R8
	VXORPS Y15, Y15, Y15

row:
	MOVQ R12, R10
	MOVQ R13, R11
	MOVQ BX, CX

group:
	VMOVUPS (R10), Y1
	VMULPS  (SI), Y1, Y0
	VADDPS  (R11), Y0, Y0
	TESTQ   R8, R8
	JE      store
	VMAXPS  Y0, Y15, Y0   // 0 > v ? 0 : v (a NaN v passes)

store:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R10
	ADDQ    $32, R11
	DECQ    CX
	JNE     group
	DECQ    DX
	JNE     row
	VZEROUPPER
	RET

// func colAffineGradAVX2(da, dy, a *float32, rows, o int, s, t, k, c1, c0 *float32)
//
// s nil: no mask.
TEXT ·colAffineGradAVX2(SB), NOSPLIT, $0-80
	MOVQ   da+0(FP), DI
	MOVQ   dy+8(FP), SI
	MOVQ   a+16(FP), R14
	MOVQ   rows+24(FP), DX
	MOVQ   o+32(FP), BX
	SHRQ   $3, BX
	VXORPS Y15, Y15, Y15

row:
	MOVQ s+40(FP), R8
	MOVQ t+48(FP), R9
	MOVQ k+56(FP), R10
	MOVQ c1+64(FP), R11
	MOVQ c0+72(FP), R12
	MOVQ BX, CX

group:
	VMOVUPS (SI), Y4
	TESTQ   R8, R8
	JE      nomask
	VMOVUPS (R8), Y5
	VMULPS  (R14), Y5, Y5 // a·s
	VADDPS  (R9), Y5, Y5  // + t
	VCMPPS  $14, Y15, Y5, Y5
	VANDPS  Y5, Y4, Y4
	ADDQ    $32, R8
	ADDQ    $32, R9

nomask:
	VMULPS  (R10), Y4, Y4 // k·g
	VMOVUPS (R11), Y5
	VMULPS  (R14), Y5, Y5 // c1·a
	VADDPS  (R12), Y5, Y5 // c1·a + c0
	VADDPS  Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R14
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $32, R12
	DECQ    CX
	JNE     group
	DECQ    DX
	JNE     row
	VZEROUPPER
	RET

// func maskAVX2(dst, dy, y *float32, n int)
//
// dst = dy where y > 0, +0 elsewhere; n a multiple of 8.
TEXT ·maskAVX2(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   dy+8(FP), SI
	MOVQ   y+16(FP), DX
	MOVQ   n+24(FP), CX
	SHRQ   $3, CX
	VXORPS Y15, Y15, Y15

loop:
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	VCMPPS  $14, Y15, Y5, Y5
	VANDPS  Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNE     loop
	VZEROUPPER
	RET

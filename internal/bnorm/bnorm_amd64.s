//go:build amd64 && !purego

#include "textflag.h"

// MASK(g, y, tmp) clears the lanes of g where y is not > 0 (Y15 must hold zeros).
#define MASK(g, y, tmp) \
	VCMPPS $14, Y15, y, tmp \
	VANDPS tmp, g, g

// func transposeAVX2(dst *float32, ldd int, src *float32, lds, blocks int)
//
// For b < blocks: the 8×8 block of src at column 8b (8 rows, lds apart) goes to dst, rows
// 8b…8b+7 (ldd apart), transposed: dst[(8b+j)·ldd + i] = src[i·lds + 8b + j].
TEXT ·transposeAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R9
	SHLQ $2, R9           // bytes between dst rows
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R8
	SHLQ $2, R8           // bytes between src rows
	MOVQ blocks+32(FP), CX
	LEAQ (R8)(R8*2), R10  // 3 src rows
	LEAQ (R9)(R9*2), R11  // 3 dst rows

block:
	// Rows r0…r7 of the block.
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R10*1), Y3
	LEAQ    (SI)(R8*4), R12
	VMOVUPS (R12), Y4
	VMOVUPS (R12)(R8*1), Y5
	VMOVUPS (R12)(R8*2), Y6
	VMOVUPS (R12)(R10*1), Y7

	// Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
	VUNPCKLPS Y1, Y0, Y8  // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
	VUNPCKHPS Y1, Y0, Y9  // r0[2] r1[2] r0[3] r1[3] | r0[6] …
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS   $0x44, Y10, Y8, Y0 // r0…r3 [0] | [4]
	VSHUFPS   $0xEE, Y10, Y8, Y1 // r0…r3 [1] | [5]
	VSHUFPS   $0x44, Y11, Y9, Y2 // r0…r3 [2] | [6]
	VSHUFPS   $0xEE, Y11, Y9, Y3 // r0…r3 [3] | [7]
	VSHUFPS   $0x44, Y14, Y12, Y4 // r4…r7 [0] | [4]
	VSHUFPS   $0xEE, Y14, Y12, Y5
	VSHUFPS   $0x44, Y15, Y13, Y6
	VSHUFPS   $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13 // column 5
	VPERM2F128 $0x31, Y6, Y2, Y14 // column 6
	VPERM2F128 $0x31, Y7, Y3, Y15 // column 7

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R9*1)
	VMOVUPS Y10, (DI)(R9*2)
	VMOVUPS Y11, (DI)(R11*1)
	LEAQ    (DI)(R9*4), R12
	VMOVUPS Y12, (R12)
	VMOVUPS Y13, (R12)(R9*1)
	VMOVUPS Y14, (R12)(R9*2)
	VMOVUPS Y15, (R12)(R11*1)

	ADDQ $32, SI         // next 8 columns of src
	LEAQ (DI)(R9*8), DI  // next 8 rows of dst
	DECQ CX
	JNE  block
	VZEROUPPER
	RET

// func affineAVX2(y, x, z *float32, n int, s, t float32, relu int)
//
// y = act(x·s + t + z) for n values (a multiple of 8); z may be nil.
TEXT ·affineAVX2(SB), NOSPLIT, $0-48
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         z+16(FP), DX
	MOVQ         n+24(FP), CX
	SHRQ         $3, CX
	VBROADCASTSS s+32(FP), Y13
	VBROADCASTSS t+36(FP), Y14
	MOVQ         relu+40(FP), R8
	VXORPS       Y15, Y15, Y15

loop:
	VMULPS (SI), Y13, Y0
	VADDPS Y14, Y0, Y0
	TESTQ  DX, DX
	JE     noz
	VADDPS (DX), Y0, Y0
	ADDQ   $32, DX

noz:
	TESTQ  R8, R8
	JE     store
	VMAXPS Y0, Y15, Y0 // 0 > v ? 0 : v (a NaN v passes)

store:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     loop
	VZEROUPPER
	RET

// func affineGradAVX2(da, dy, y, a *float32, n, relu int, k, c1, c0 float32)
//
// da = k·g + (c1·a + c0), g as in maskedSumsAVX2, n a multiple of 8.
TEXT ·affineGradAVX2(SB), NOSPLIT, $0-60
	MOVQ         da+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         y+16(FP), DX
	MOVQ         a+24(FP), BX
	MOVQ         n+32(FP), CX
	SHRQ         $3, CX
	MOVQ         relu+40(FP), R10
	VBROADCASTSS k+48(FP), Y12
	VBROADCASTSS c1+52(FP), Y13
	VBROADCASTSS c0+56(FP), Y14
	VXORPS       Y15, Y15, Y15

loop:
	VMOVUPS (SI), Y4
	TESTQ   R10, R10
	JE      nomask
	VMOVUPS (DX), Y5
	MASK(Y4, Y5, Y6)

nomask:
	VMULPS  Y12, Y4, Y4  // k·g
	VMULPS  (BX), Y13, Y5 // c1·a
	VADDPS  Y14, Y5, Y5  // c1·a + c0
	VADDPS  Y5, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNE     loop
	VZEROUPPER
	RET

// func addMaskedAVX2(dst, dy, y *float32, n int)
//
// dst += dy where y > 0, n a multiple of 8.
TEXT ·addMaskedAVX2(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   dy+8(FP), SI
	MOVQ   y+16(FP), DX
	MOVQ   n+24(FP), CX
	SHRQ   $3, CX
	VXORPS Y15, Y15, Y15

loop:
	VMOVUPS (SI), Y4
	VMOVUPS (DX), Y5
	MASK(Y4, Y5, Y6)
	VADDPS  (DI), Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNE     loop
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"

// Accumulate the outer product of the 6 broadcast A values (loaded by BCAST) and the B row in
// Y0:Y1 into the tile Y4..Y15, as STEP in kernel_amd64.s.
#define FMA6(a0, a1, a2, a3, a4, a5) \
	VBROADCASTSS a0, Y2 \
	VBROADCASTSS a1, Y3 \
	VFMADD231PS Y0, Y2, Y4 \
	VFMADD231PS Y1, Y2, Y5 \
	VFMADD231PS Y0, Y3, Y6 \
	VFMADD231PS Y1, Y3, Y7 \
	VBROADCASTSS a2, Y2 \
	VBROADCASTSS a3, Y3 \
	VFMADD231PS Y0, Y2, Y8 \
	VFMADD231PS Y1, Y2, Y9 \
	VFMADD231PS Y0, Y3, Y10 \
	VFMADD231PS Y1, Y3, Y11 \
	VBROADCASTSS a4, Y2 \
	VBROADCASTSS a5, Y3 \
	VFMADD231PS Y0, Y2, Y12 \
	VFMADD231PS Y1, Y2, Y13 \
	VFMADD231PS Y0, Y3, Y14 \
	VFMADD231PS Y1, Y3, Y15

#define ZERO12 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15

#define ROWADD(lo, hi) \
	VADDPS (DX), lo, lo \
	VADDPS 32(DX), hi, hi \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 32(DX) \
	ADDQ R8, DX

#define ROWSET(lo, hi) \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 32(DX) \
	ADDQ R8, DX

// STORE writes the tile to C at DX (row stride R8 bytes), adding when AX is non-zero.
#define STORE \
	TESTQ AX, AX \
	JE    set \
	ROWADD(Y4, Y5) \
	ROWADD(Y6, Y7) \
	ROWADD(Y8, Y9) \
	ROWADD(Y10, Y11) \
	ROWADD(Y12, Y13) \
	ROWADD(Y14, Y15) \
	VZEROUPPER \
	RET \
set: \
	ROWSET(Y4, Y5) \
	ROWSET(Y6, Y7) \
	ROWSET(Y8, Y9) \
	ROWSET(Y10, Y11) \
	ROWSET(Y12, Y13) \
	ROWSET(Y14, Y15) \
	VZEROUPPER \
	RET

// func kernelRowsBAVX2(k int, a, b *float32, boff *int, c *float32, ldc int, accum bool)
//
// The 6×16 tile of C (+)= Σ_{p<k} a[p*6+i]·b[boff[p]+j]: A packed as for kernelAVX2, row p of
// B read in place at b+boff[p] (an implicit im2col).
TEXT ·kernelRowsBAVX2(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ boff+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	ZERO12
	TESTQ CX, CX
	JE    store

loop:
	MOVQ    (R9), BX
	VMOVUPS (DI)(BX*4), Y0
	VMOVUPS 32(DI)(BX*4), Y1
	FMA6(0(SI), 4(SI), 8(SI), 12(SI), 16(SI), 20(SI))
	ADDQ    $8, R9
	ADDQ    $24, SI
	DECQ    CX
	JNE     loop

store:
	MOVBLZX accum+48(FP), AX
	STORE

// func kernelRowsAAVX2(k int, a *float32, aoff *[6]int, b, c *float32, ldc int, accum bool)
//
// The 6×16 tile of C (+)= Σ_{p<k} a[aoff[i]+p]·b[p*16+j]: row i of A read in place at
// a+aoff[i], B packed as for kernelAVX2.
TEXT ·kernelRowsAAVX2(SB), NOSPLIT, $0-49
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ aoff+16(FP), BX
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8

	// Row pointers SI, R9..R13 = a + 4·aoff[i].
	MOVQ 0(BX), SI
	LEAQ (AX)(SI*4), SI
	MOVQ 8(BX), R9
	LEAQ (AX)(R9*4), R9
	MOVQ 16(BX), R10
	LEAQ (AX)(R10*4), R10
	MOVQ 24(BX), R11
	LEAQ (AX)(R11*4), R11
	MOVQ 32(BX), R12
	LEAQ (AX)(R12*4), R12
	MOVQ 40(BX), R13
	LEAQ (AX)(R13*4), R13

	ZERO12
	XORQ  BX, BX // byte offset 4·p
	TESTQ CX, CX
	JE    store

loop:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	FMA6((SI)(BX*1), (R9)(BX*1), (R10)(BX*1), (R11)(BX*1), (R12)(BX*1), (R13)(BX*1))
	ADDQ    $4, BX
	ADDQ    $64, DI
	DECQ    CX
	JNE     loop

store:
	MOVBLZX accum+48(FP), AX
	STORE

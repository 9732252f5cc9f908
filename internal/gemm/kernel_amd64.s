//go:build amd64 && !purego

#include "textflag.h"

// One step p of the 6×16 micro-kernel: load row p of the B panel (16 floats, Y0:Y1), broadcast
// the 6 values of column p of the A panel two at a time (Y2, Y3) and accumulate the outer
// product into Y4..Y15 (row i of the tile in Y(4+2i):Y(5+2i)). SI/DI must point at step p.
#define STEP(aoff, boff) \
	VMOVUPS boff(DI), Y0 \
	VMOVUPS boff+32(DI), Y1 \
	VBROADCASTSS aoff(SI), Y2 \
	VBROADCASTSS aoff+4(SI), Y3 \
	VFMADD231PS Y0, Y2, Y4 \
	VFMADD231PS Y1, Y2, Y5 \
	VFMADD231PS Y0, Y3, Y6 \
	VFMADD231PS Y1, Y3, Y7 \
	VBROADCASTSS aoff+8(SI), Y2 \
	VBROADCASTSS aoff+12(SI), Y3 \
	VFMADD231PS Y0, Y2, Y8 \
	VFMADD231PS Y1, Y2, Y9 \
	VFMADD231PS Y0, Y3, Y10 \
	VFMADD231PS Y1, Y3, Y11 \
	VBROADCASTSS aoff+16(SI), Y2 \
	VBROADCASTSS aoff+20(SI), Y3 \
	VFMADD231PS Y0, Y2, Y12 \
	VFMADD231PS Y1, Y2, Y13 \
	VFMADD231PS Y0, Y3, Y14 \
	VFMADD231PS Y1, Y3, Y15

// Store row i of the tile (two YMM registers) at DX, adding the old values first when
// accumulating, then advance DX by one row of C (R8 bytes).
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

// func kernelAVX2(k int, a, b, c *float32, ldc int, accum bool)
//
// c[i*ldc+j] (+)= Σ_{p<k} a[p*6+i]·b[p*16+j] for i < 6, j < 16, with one FMA (one rounding)
// per term, summed in increasing p.
TEXT ·kernelAVX2(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8 // row stride in bytes

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	// Four steps per iteration while at least four remain.
	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JE   tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNE  loop4

tail:
	TESTQ CX, CX
	JE    store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNE  loop1

store:
	MOVBLZX accum+40(FP), AX
	TESTQ   AX, AX
	JE      set
	ROWADD(Y4, Y5)
	ROWADD(Y6, Y7)
	ROWADD(Y8, Y9)
	ROWADD(Y10, Y11)
	ROWADD(Y12, Y13)
	ROWADD(Y14, Y15)
	VZEROUPPER
	RET

set:
	ROWSET(Y4, Y5)
	ROWSET(Y6, Y7)
	ROWSET(Y8, Y9)
	ROWSET(Y10, Y11)
	ROWSET(Y12, Y13)
	ROWSET(Y14, Y15)
	VZEROUPPER
	RET

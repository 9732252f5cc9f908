//go:build amd64 && !purego

#include "textflag.h"

// One step p of the float64 6×8 micro-kernel: row p of the B panel (8 doubles, Y0:Y1), the 6
// values of column p of the A panel broadcast two at a time (Y2, Y3), the outer product
// accumulated into Y4..Y15 (row i in Y(4+2i):Y(5+2i)). SI/DI point at step p.
#define DSTEP(aoff, boff) \
	VMOVUPD boff(DI), Y0 \
	VMOVUPD boff+32(DI), Y1 \
	VBROADCASTSD aoff(SI), Y2 \
	VBROADCASTSD aoff+8(SI), Y3 \
	VFMADD231PD Y0, Y2, Y4 \
	VFMADD231PD Y1, Y2, Y5 \
	VFMADD231PD Y0, Y3, Y6 \
	VFMADD231PD Y1, Y3, Y7 \
	VBROADCASTSD aoff+16(SI), Y2 \
	VBROADCASTSD aoff+24(SI), Y3 \
	VFMADD231PD Y0, Y2, Y8 \
	VFMADD231PD Y1, Y2, Y9 \
	VFMADD231PD Y0, Y3, Y10 \
	VFMADD231PD Y1, Y3, Y11 \
	VBROADCASTSD aoff+32(SI), Y2 \
	VBROADCASTSD aoff+40(SI), Y3 \
	VFMADD231PD Y0, Y2, Y12 \
	VFMADD231PD Y1, Y2, Y13 \
	VFMADD231PD Y0, Y3, Y14 \
	VFMADD231PD Y1, Y3, Y15

#define DROWADD(lo, hi) \
	VADDPD (DX), lo, lo \
	VADDPD 32(DX), hi, hi \
	VMOVUPD lo, (DX) \
	VMOVUPD hi, 32(DX) \
	ADDQ R8, DX

#define DROWSET(lo, hi) \
	VMOVUPD lo, (DX) \
	VMOVUPD hi, 32(DX) \
	ADDQ R8, DX

// func dkernelAVX2(k int, a, b, c *float64, ldc int, accum bool)
//
// c[i*ldc+j] (+)= Σ_{p<k} a[p*6+i]·b[p*8+j] for i < 6, j < 8, with one FMA per term, summed in
// increasing p from zero.
TEXT ·dkernelAVX2(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $3, R8 // row stride in bytes

	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15

	// Four steps per iteration while at least four remain.
	MOVQ  CX, BX
	SHRQ  $2, BX
	ANDQ  $3, CX
	TESTQ BX, BX
	JE    tail

loop4:
	DSTEP(0, 0)
	DSTEP(48, 64)
	DSTEP(96, 128)
	DSTEP(144, 192)
	ADDQ $192, SI
	ADDQ $256, DI
	DECQ BX
	JNE  loop4

tail:
	TESTQ CX, CX
	JE    store

loop1:
	DSTEP(0, 0)
	ADDQ $48, SI
	ADDQ $64, DI
	DECQ CX
	JNE  loop1

store:
	MOVBLZX accum+40(FP), AX
	TESTQ   AX, AX
	JE      set
	DROWADD(Y4, Y5)
	DROWADD(Y6, Y7)
	DROWADD(Y8, Y9)
	DROWADD(Y10, Y11)
	DROWADD(Y12, Y13)
	DROWADD(Y14, Y15)
	VZEROUPPER
	RET

set:
	DROWSET(Y4, Y5)
	DROWSET(Y6, Y7)
	DROWSET(Y8, Y9)
	DROWSET(Y10, Y11)
	DROWSET(Y12, Y13)
	DROWSET(Y14, Y15)
	VZEROUPPER
	RET

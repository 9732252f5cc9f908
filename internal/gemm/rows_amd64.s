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

// func kernelRowsAAVX2(nseg, seglen, skip int, a *float32, aoff *[6]int, b, c *float32, ldc int, accum bool)
//
// The 6×16 tile of C (+)= Σ_p A[i][p]·b[p*16+j] over p < nseg·seglen, where row i of A is read
// in place from a+aoff[i] in nseg runs of seglen values, each run starting skip values after
// the previous one ended (the rows of an image inside a wider padded image). B is packed as
// for kernelAVX2.
TEXT ·kernelRowsAAVX2(SB), NOSPLIT, $0-65
	MOVQ a+24(FP), AX
	MOVQ aoff+32(FP), BX
	MOVQ b+40(FP), DI
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
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
	XORQ  BX, BX // byte offset of the current A column in every row
	MOVQ  nseg+0(FP), AX
	TESTQ AX, AX
	JE    store

outer:
	MOVQ  seglen+8(FP), CX
	TESTQ CX, CX
	JE    next

inner:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	FMA6((SI)(BX*1), (R9)(BX*1), (R10)(BX*1), (R11)(BX*1), (R12)(BX*1), (R13)(BX*1))
	ADDQ    $4, BX
	ADDQ    $64, DI
	DECQ    CX
	JNE     inner

next:
	MOVQ skip+16(FP), CX
	LEAQ (BX)(CX*4), BX
	DECQ AX
	JNE  outer

store:
	MOVBLZX accum+64(FP), AX
	STORE

// func kernelPatchesAVX2(k int, img *float32, off *int, pos *[6]int, b, c *float32, ldc int, accum bool)
//
// The 6×16 tile of C (+)= Σ_{p<k} img[pos[i]+off[p]]·b[p*16+j]: row i of A is the image patch
// at pos[i] (an implicit im2row), B is packed as for kernelAVX2.
TEXT ·kernelPatchesAVX2(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ img+8(FP), BX
	MOVQ off+16(FP), R8
	MOVQ pos+24(FP), AX
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX

	// Patch positions (in values) SI, R9..R13.
	MOVQ 0(AX), SI
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13

	ZERO12
	TESTQ CX, CX
	JE    pstore

ploop:
	MOVQ    (R8), AX
	LEAQ    (BX)(AX*4), AX // img + off[p]
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	FMA6((AX)(SI*4), (AX)(R9*4), (AX)(R10*4), (AX)(R11*4), (AX)(R12*4), (AX)(R13*4))
	ADDQ    $8, R8
	ADDQ    $64, DI
	DECQ    CX
	JNE     ploop

pstore:
	MOVQ    ldc+48(FP), R8
	SHLQ    $2, R8
	MOVBLZX accum+56(FP), AX
	STORE

//go:build amd64 && !purego

#include "textflag.h"

// Sparse convolution gradients over "bases": a base is 16 consecutive floats (two YMM
// registers); a group is 4 bases. See sparse.go.

// func sparseDWAVX2(groups, nnz int, bases *int, pos *int, gs *float32, img, dw *float32)
//
// For each group q and base j < 4 of it: dw[q·64+16j : +16] += Σ_n g[n]·img[pos[n]+bases[4q+j] : +16],
// summed in increasing n in registers (one rounding per FMA).
TEXT ·sparseDWAVX2(SB), NOSPLIT, $0-56
	MOVQ groups+0(FP), CX
	MOVQ bases+16(FP), R8
	MOVQ img+40(FP), BX
	MOVQ dw+48(FP), DI
	TESTQ CX, CX
	JE    dwdone

dwgroup:
	// Base offsets in bytes.
	MOVQ 0(R8), R10
	SHLQ $2, R10
	MOVQ 8(R8), R11
	SHLQ $2, R11
	MOVQ 16(R8), R12
	SHLQ $2, R12
	MOVQ 24(R8), R13
	SHLQ $2, R13
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ nnz+8(FP), R9
	MOVQ pos+24(FP), SI
	MOVQ gs+32(FP), DX
	TESTQ R9, R9
	JE    dwstore

dwn:
	MOVQ         (SI), AX
	LEAQ         (BX)(AX*4), AX // img + pos[n]
	VBROADCASTSS (DX), Y8
	VFMADD231PS  (AX)(R10*1), Y8, Y0
	VFMADD231PS  32(AX)(R10*1), Y8, Y1
	VFMADD231PS  (AX)(R11*1), Y8, Y2
	VFMADD231PS  32(AX)(R11*1), Y8, Y3
	VFMADD231PS  (AX)(R12*1), Y8, Y4
	VFMADD231PS  32(AX)(R12*1), Y8, Y5
	VFMADD231PS  (AX)(R13*1), Y8, Y6
	VFMADD231PS  32(AX)(R13*1), Y8, Y7
	ADDQ         $8, SI
	ADDQ         $4, DX
	DECQ         R9
	JNE          dwn

dwstore:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $32, R8
	DECQ    CX
	JNE     dwgroup

dwdone:
	VZEROUPPER
	RET

// func sparseDXAVX2(groups, nnz int, bases *int, pos *int, gs *float32, w, dimg *float32)
//
// For each group q, n in increasing order and base j < 4:
// dimg[pos[n]+bases[4q+j] : +16] += g[n]·w[q·64+16j : +16] (one FMA per 8 values).
TEXT ·sparseDXAVX2(SB), NOSPLIT, $0-56
	MOVQ groups+0(FP), CX
	MOVQ bases+16(FP), R8
	MOVQ w+40(FP), DI
	MOVQ dimg+48(FP), BX
	TESTQ CX, CX
	JE    dxdone

dxgroup:
	MOVQ 0(R8), R10
	SHLQ $2, R10
	MOVQ 8(R8), R11
	SHLQ $2, R11
	MOVQ 16(R8), R12
	SHLQ $2, R12
	MOVQ 24(R8), R13
	SHLQ $2, R13
	VMOVUPS 0(DI), Y8
	VMOVUPS 32(DI), Y9
	VMOVUPS 64(DI), Y10
	VMOVUPS 96(DI), Y11
	VMOVUPS 128(DI), Y12
	VMOVUPS 160(DI), Y13
	VMOVUPS 192(DI), Y14
	VMOVUPS 224(DI), Y15
	MOVQ nnz+8(FP), R9
	MOVQ pos+24(FP), SI
	MOVQ gs+32(FP), DX
	TESTQ R9, R9
	JE    dxnext

dxn:
	MOVQ         (SI), AX
	LEAQ         (BX)(AX*4), AX // dimg + pos[n]
	VBROADCASTSS (DX), Y0
	VMOVUPS      (AX)(R10*1), Y1
	VMOVUPS      32(AX)(R10*1), Y2
	VFMADD231PS  Y8, Y0, Y1
	VFMADD231PS  Y9, Y0, Y2
	VMOVUPS      Y1, (AX)(R10*1)
	VMOVUPS      Y2, 32(AX)(R10*1)
	VMOVUPS      (AX)(R11*1), Y3
	VMOVUPS      32(AX)(R11*1), Y4
	VFMADD231PS  Y10, Y0, Y3
	VFMADD231PS  Y11, Y0, Y4
	VMOVUPS      Y3, (AX)(R11*1)
	VMOVUPS      Y4, 32(AX)(R11*1)
	VMOVUPS      (AX)(R12*1), Y5
	VMOVUPS      32(AX)(R12*1), Y6
	VFMADD231PS  Y12, Y0, Y5
	VFMADD231PS  Y13, Y0, Y6
	VMOVUPS      Y5, (AX)(R12*1)
	VMOVUPS      Y6, 32(AX)(R12*1)
	VMOVUPS      (AX)(R13*1), Y1
	VMOVUPS      32(AX)(R13*1), Y2
	VFMADD231PS  Y14, Y0, Y1
	VFMADD231PS  Y15, Y0, Y2
	VMOVUPS      Y1, (AX)(R13*1)
	VMOVUPS      Y2, 32(AX)(R13*1)
	ADDQ         $8, SI
	ADDQ         $4, DX
	DECQ         R9
	JNE          dxn

dxnext:
	ADDQ $256, DI
	ADDQ $32, R8
	DECQ CX
	JNE  dxgroup

dxdone:
	VZEROUPPER
	RET

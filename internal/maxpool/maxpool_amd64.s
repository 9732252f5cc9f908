//go:build amd64 && !purego

#include "textflag.h"

// RELU(y) sets y to the bits of max(y, 0) as maxReLUGo's reluBits does: y &^ (y >>arith 31).
#define RELU(y) \
	VPSRAD $31, y, Y15 \
	VPANDN y, Y15, y

// func maxReLUAVX2(ph, pw, row, c int, act, bias, y *float32, arg *int32)
//
// For each pooled pixel (i,j) and each group of 8 channels: the four window values plus bias,
// ReLU'd as bits (Y0..Y3), their pairwise and overall integer maxima, and the position of the
// maximum 2·di+dj (first on ties).
TEXT ·maxReLUAVX2(SB), NOSPLIT, $0-64
	MOVQ act+32(FP), SI
	MOVQ y+48(FP), DI
	MOVQ arg+56(FP), R8
	MOVQ row+16(FP), R9
	SHLQ $2, R9          // bytes in one image row
	MOVQ c+24(FP), R10
	SHLQ $2, R10         // bytes in one pixel
	MOVQ ph+0(FP), R11

	// Constants: Y13 = 2 in every lane (position of the second row).
	MOVL         $2, AX
	MOVL         AX, X13
	VPBROADCASTD X13, Y13

rowloop:
	MOVQ pw+8(FP), R12
	MOVQ SI, BX // window (i, j) starts at BX

pixloop:
	MOVQ c+24(FP), CX
	SHRQ $3, CX             // groups of 8 channels
	MOVQ bias+40(FP), DX
	XORQ AX, AX             // byte offset of the channel group

chanloop:
	VMOVUPS (DX)(AX*1), Y14
	LEAQ    (BX)(R10*1), R13      // pixel (2i, 2j+1)
	VADDPS  (BX)(AX*1), Y14, Y0
	VADDPS  (R13)(AX*1), Y14, Y1
	LEAQ    (BX)(R9*1), R13       // pixel (2i+1, 2j)
	VADDPS  (R13)(AX*1), Y14, Y2
	ADDQ    R10, R13              // pixel (2i+1, 2j+1)
	VADDPS  (R13)(AX*1), Y14, Y3
	RELU(Y0)
	RELU(Y1)
	RELU(Y2)
	RELU(Y3)
	VPMAXUD Y0, Y1, Y4    // m01
	VPMAXUD Y2, Y3, Y5    // m23
	VPMAXUD Y4, Y5, Y6    // m
	VMOVUPS Y6, (DI)(AX*1)
	TESTQ   R8, R8
	JE      nextchan
	VPCMPGTD Y0, Y1, Y7   // u1 > u0 : −1 / 0
	VPCMPGTD Y2, Y3, Y8   // u3 > u2
	VPCMPGTD Y4, Y5, Y9   // m23 > m01
	VPSRLD   $31, Y7, Y7  // at01 = 0 / 1
	VPSRLD   $31, Y8, Y8
	VPADDD   Y13, Y8, Y8  // at23 = 2 / 3
	VPBLENDVB Y9, Y8, Y7, Y7 // at = m23 > m01 ? at23 : at01
	VMOVDQU  Y7, (R8)(AX*1)

nextchan:
	ADDQ $32, AX
	DECQ CX
	JNE  chanloop

	ADDQ R10, DI      // next pooled pixel
	TESTQ R8, R8
	JE    noarg
	ADDQ R10, R8

noarg:
	LEAQ (BX)(R10*2), BX // two pixels to the right
	DECQ R12
	JNE  pixloop

	LEAQ (SI)(R9*2), SI // two image rows down
	DECQ R11
	JNE  rowloop

	VZEROUPPER
	RET

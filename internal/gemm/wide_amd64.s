//go:build amd64 && !purego

#include "textflag.h"

// The AVX-512 micro-kernels: a 6×32 tile of C from one packed A panel (6 rows) and two adjacent
// packed B panels of 16 columns each (the layout of the AVX2 kernels, kernel_amd64.s), held in
// 12 ZMM registers. Row i of the tile is Z(4+2i) (columns 0..15, from the first panel) and
// Z(5+2i) (columns 16..31, from the second panel, 16·k values after the first). Every element
// is the same chain of FMAs as in the 6×16 AVX2 kernels — from zero, one FMA per term in
// increasing p, then one addition to C when accumulating — so the two agree bit for bit; the 12
// independent accumulators keep both 512-bit FMA pipes of a Zen 4/5 or Ice Lake core busy.
// Only AVX512F instructions are used.

// Accumulate the outer product of 6 broadcast A values (a0..a5, memory operands) and the two
// B rows in Z0 (columns 0..15) and Z1 (columns 16..31) into the tile Z4..Z15.
#define FMA6(a0, a1, a2, a3, a4, a5) \
	VBROADCASTSS a0, Z2 \
	VBROADCASTSS a1, Z3 \
	VFMADD231PS  Z0, Z2, Z4 \
	VFMADD231PS  Z1, Z2, Z5 \
	VFMADD231PS  Z0, Z3, Z6 \
	VFMADD231PS  Z1, Z3, Z7 \
	VBROADCASTSS a2, Z2 \
	VBROADCASTSS a3, Z3 \
	VFMADD231PS  Z0, Z2, Z8 \
	VFMADD231PS  Z1, Z2, Z9 \
	VFMADD231PS  Z0, Z3, Z10 \
	VFMADD231PS  Z1, Z3, Z11 \
	VBROADCASTSS a4, Z2 \
	VBROADCASTSS a5, Z3 \
	VFMADD231PS  Z0, Z2, Z12 \
	VFMADD231PS  Z1, Z2, Z13 \
	VFMADD231PS  Z0, Z3, Z14 \
	VFMADD231PS  Z1, Z3, Z15

// One step p of the packed kernel: row p of both B panels (DI, R9) and column p of the A panel
// (SI, 6 values), SI/DI/R9 pointing at the step's block.
#define STEP(aoff, boff) \
	VMOVUPS boff(DI), Z0 \
	VMOVUPS boff(R9), Z1 \
	FMA6(aoff(SI), aoff+4(SI), aoff+8(SI), aoff+12(SI), aoff+16(SI), aoff+20(SI))

#define ZERO12 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15

// Store row i of the tile (two ZMM registers, 32 values) at DX, adding the old values first
// when accumulating (tile + C, the operand order of the AVX2 kernels), then advance DX by one
// row of C (R8 bytes).
#define ROWADD(lo, hi) \
	VADDPS  (DX), lo, lo \
	VADDPS  64(DX), hi, hi \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 64(DX) \
	ADDQ    R8, DX

#define ROWSET(lo, hi) \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 64(DX) \
	ADDQ    R8, DX

// STORE writes the tile to C at DX (row stride R8 bytes), adding when AX is non-zero; the
// adding branch returns, the other falls through to the caller's RET.
#define STORE \
	TESTQ AX, AX \
	JE    set \
	ROWADD(Z4, Z5) \
	ROWADD(Z6, Z7) \
	ROWADD(Z8, Z9) \
	ROWADD(Z10, Z11) \
	ROWADD(Z12, Z13) \
	ROWADD(Z14, Z15) \
	VZEROUPPER \
	RET \
set: \
	ROWSET(Z4, Z5) \
	ROWSET(Z6, Z7) \
	ROWSET(Z8, Z9) \
	ROWSET(Z10, Z11) \
	ROWSET(Z12, Z13) \
	ROWSET(Z14, Z15) \
	VZEROUPPER

// func kernelAVX512(k int, a, b, c *float32, ldc int, accum bool)
//
// c[i*ldc+j] (+)= Σ_{p<k} a[p*6+i]·B[p][j] for i < 6, j < 32, where B[p][j] is b[p*16+j] for
// j < 16 and b[16k+p*16+j-16] after (two packed panels), with one FMA per term in increasing p.
TEXT ·kernelAVX512(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ CX, R9
	SHLQ $6, R9
	ADDQ DI, R9 // second panel: b + 16·k values

	ZERO12

	// Four steps per iteration while at least four remain.
	MOVQ  CX, BX
	SHRQ  $2, BX
	ANDQ  $3, CX
	TESTQ BX, BX
	JE    tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	ADDQ $256, R9
	DECQ BX
	JNE  loop4

tail:
	TESTQ CX, CX
	JE    store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	ADDQ $64, R9
	DECQ CX
	JNE  loop1

store:
	MOVQ    c+24(FP), DX
	MOVQ    ldc+32(FP), R8
	SHLQ    $2, R8 // row stride in bytes
	MOVBLZX accum+40(FP), AX
	STORE
	RET

// func kernelRowsAAVX512(nseg, seglen, skip int, a *float32, aoff *[6]int, b, c *float32, ldc int, accum bool)
//
// kernelRowsAAVX2 for a 6×32 tile: the tile (+)= Σ_p A[i][p]·B[p][j] over p < nseg·seglen, row i
// of A read in place from a+aoff[i] in nseg runs of seglen values, skip values apart; B is two
// packed panels as for kernelAVX512.
TEXT ·kernelRowsAAVX512(SB), NOSPLIT, $0-65
	MOVQ a+24(FP), AX
	MOVQ aoff+32(FP), BX
	MOVQ b+40(FP), DI

	// Second panel DX = b + 16·k values, k = nseg·seglen.
	MOVQ  nseg+0(FP), DX
	IMULQ seglen+8(FP), DX
	SHLQ  $6, DX
	ADDQ  DI, DX

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
	VMOVUPS (DI), Z0
	VMOVUPS (DX), Z1
	FMA6((SI)(BX*1), (R9)(BX*1), (R10)(BX*1), (R11)(BX*1), (R12)(BX*1), (R13)(BX*1))
	ADDQ    $4, BX
	ADDQ    $64, DI
	ADDQ    $64, DX
	DECQ    CX
	JNE     inner

next:
	MOVQ skip+16(FP), CX
	LEAQ (BX)(CX*4), BX
	DECQ AX
	JNE  outer

store:
	MOVQ    c+48(FP), DX
	MOVQ    ldc+56(FP), R8
	SHLQ    $2, R8
	MOVBLZX accum+64(FP), AX
	STORE
	RET

// func kernelPatchesAVX512(k int, img *float32, off *int, pos *[6]int, b, c *float32, ldc int, accum bool)
//
// kernelPatchesAVX2 for a 6×32 tile: the tile (+)= Σ_{p<k} img[pos[i]+off[p]]·B[p][j], B two
// packed panels as for kernelAVX512.
TEXT ·kernelPatchesAVX512(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ img+8(FP), BX
	MOVQ off+16(FP), R8
	MOVQ pos+24(FP), AX
	MOVQ b+32(FP), DI
	MOVQ CX, DX
	SHLQ $6, DX
	ADDQ DI, DX // second panel: b + 16·k values

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
	VMOVUPS (DI), Z0
	VMOVUPS (DX), Z1
	FMA6((AX)(SI*4), (AX)(R9*4), (AX)(R10*4), (AX)(R11*4), (AX)(R12*4), (AX)(R13*4))
	ADDQ    $8, R8
	ADDQ    $64, DI
	ADDQ    $64, DX
	DECQ    CX
	JNE     ploop

pstore:
	MOVQ    c+40(FP), DX
	MOVQ    ldc+48(FP), R8
	SHLQ    $2, R8
	MOVBLZX accum+56(FP), AX
	STORE
	RET

// The 12×16 kernels, for column blocks of at most 16 (a single B panel), where a 6×32 tile
// would be half waste: 12 rows of A (two 6-row groups) against one B panel, row i of the tile
// in Z(4+i). Each A value is used once, so it is broadcast inside the FMA (embedded broadcast).

// Accumulate the 12 broadcast A values (memory operands a0..a11) times the B row in Z0 into
// the tile Z4..Z15.
#define FMA12(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) \
	VFMADD231PS.BCST a0, Z0, Z4 \
	VFMADD231PS.BCST a1, Z0, Z5 \
	VFMADD231PS.BCST a2, Z0, Z6 \
	VFMADD231PS.BCST a3, Z0, Z7 \
	VFMADD231PS.BCST a4, Z0, Z8 \
	VFMADD231PS.BCST a5, Z0, Z9 \
	VFMADD231PS.BCST a6, Z0, Z10 \
	VFMADD231PS.BCST a7, Z0, Z11 \
	VFMADD231PS.BCST a8, Z0, Z12 \
	VFMADD231PS.BCST a9, Z0, Z13 \
	VFMADD231PS.BCST a10, Z0, Z14 \
	VFMADD231PS.BCST a11, Z0, Z15

// Store row i of a 12×16 tile (one ZMM register) at DX, adding the old values first when
// accumulating, then advance DX by one row of C (R8 bytes).
#define ROWADD1(r) \
	VADDPS  (DX), r, r \
	VMOVUPS r, (DX) \
	ADDQ    R8, DX

#define ROWSET1(r) \
	VMOVUPS r, (DX) \
	ADDQ    R8, DX

// STORE12 is STORE for the 12×16 tile.
#define STORE12 \
	TESTQ AX, AX \
	JE    set \
	ROWADD1(Z4) \
	ROWADD1(Z5) \
	ROWADD1(Z6) \
	ROWADD1(Z7) \
	ROWADD1(Z8) \
	ROWADD1(Z9) \
	ROWADD1(Z10) \
	ROWADD1(Z11) \
	ROWADD1(Z12) \
	ROWADD1(Z13) \
	ROWADD1(Z14) \
	ROWADD1(Z15) \
	VZEROUPPER \
	RET \
set: \
	ROWSET1(Z4) \
	ROWSET1(Z5) \
	ROWSET1(Z6) \
	ROWSET1(Z7) \
	ROWSET1(Z8) \
	ROWSET1(Z9) \
	ROWSET1(Z10) \
	ROWSET1(Z11) \
	ROWSET1(Z12) \
	ROWSET1(Z13) \
	ROWSET1(Z14) \
	ROWSET1(Z15) \
	VZEROUPPER

// func kernelTallAVX512(k int, a, b, c *float32, ldc int, accum bool)
//
// c[i*ldc+j] (+)= Σ_{p<k} A[i][p]·b[p*16+j] for i < 12, j < 16, where A[i][p] is a[p*6+i] for
// i < 6 and a[6k+p*6+i-6] after (two packed A panels).
TEXT ·kernelTallAVX512(SB), NOSPLIT, $0-41
	MOVQ  k+0(FP), CX
	MOVQ  a+8(FP), SI
	MOVQ  b+16(FP), DI
	LEAQ  (CX)(CX*2), R9
	SHLQ  $3, R9
	ADDQ  SI, R9 // second panel: a + 6·k values
	ZERO12
	TESTQ CX, CX
	JE    tstore

tloop:
	VMOVUPS (DI), Z0
	FMA12(0(SI), 4(SI), 8(SI), 12(SI), 16(SI), 20(SI), 0(R9), 4(R9), 8(R9), 12(R9), 16(R9), 20(R9))
	ADDQ    $24, SI
	ADDQ    $24, R9
	ADDQ    $64, DI
	DECQ    CX
	JNE     tloop

tstore:
	MOVQ    c+24(FP), DX
	MOVQ    ldc+32(FP), R8
	SHLQ    $2, R8
	MOVBLZX accum+40(FP), AX
	STORE12
	RET

// func kernelPatchesTallAVX512(k int, img *float32, off *int, pos *[12]int, b, c *float32, ldc int, accum bool)
//
// The 12×16 tile of C (+)= Σ_{p<k} img[pos[i]+off[p]]·b[p*16+j]. The 12 patch pointers take
// every general register but four (BP included: the frame makes the assembler save it), so the
// loop ends by comparing with an end pointer kept on the stack.
TEXT ·kernelPatchesTallAVX512(SB), NOSPLIT, $8-57
	MOVQ k+0(FP), CX
	MOVQ off+16(FP), R8
	LEAQ (R8)(CX*8), AX
	MOVQ AX, 0(SP) // end of off
	MOVQ b+32(FP), DI
	ZERO12
	TESTQ CX, CX
	JE    qstore

	// Patch pointers img + 4·pos[i]: SI, BX, CX, DX, R9..R15, BP.
	MOVQ img+8(FP), AX
	MOVQ pos+24(FP), BP
	MOVQ 0(BP), SI
	LEAQ (AX)(SI*4), SI
	MOVQ 8(BP), BX
	LEAQ (AX)(BX*4), BX
	MOVQ 16(BP), CX
	LEAQ (AX)(CX*4), CX
	MOVQ 24(BP), DX
	LEAQ (AX)(DX*4), DX
	MOVQ 32(BP), R9
	LEAQ (AX)(R9*4), R9
	MOVQ 40(BP), R10
	LEAQ (AX)(R10*4), R10
	MOVQ 48(BP), R11
	LEAQ (AX)(R11*4), R11
	MOVQ 56(BP), R12
	LEAQ (AX)(R12*4), R12
	MOVQ 64(BP), R13
	LEAQ (AX)(R13*4), R13
	MOVQ 72(BP), R14
	LEAQ (AX)(R14*4), R14
	MOVQ 80(BP), R15
	LEAQ (AX)(R15*4), R15
	MOVQ 88(BP), BP
	LEAQ (AX)(BP*4), BP

qloop:
	MOVQ    (R8), AX // off[p]
	VMOVUPS (DI), Z0
	FMA12((SI)(AX*4), (BX)(AX*4), (CX)(AX*4), (DX)(AX*4), (R9)(AX*4), (R10)(AX*4), (R11)(AX*4), (R12)(AX*4), (R13)(AX*4), (R14)(AX*4), (R15)(AX*4), (BP)(AX*4))
	ADDQ    $8, R8
	ADDQ    $64, DI
	CMPQ    R8, 0(SP)
	JNE     qloop

qstore:
	MOVQ    c+40(FP), DX
	MOVQ    ldc+48(FP), R8
	SHLQ    $2, R8
	MOVBLZX accum+56(FP), AX
	STORE12
	RET

// func kernelRowsATallAVX512(nseg, seglen, skip int, a *float32, aoff *[12]int, b, c *float32, ldc int, accum bool)
//
// The 12×16 tile of C (+)= Σ_p A[i][p]·b[p*16+j] over p < nseg·seglen, row i of A read in
// place from a+aoff[i] in nseg runs of seglen values, skip values apart. The 12 row pointers
// take every general register but three, so the loop counts live on the stack: 0(SP) is the end
// of the current run in B, 8(SP) the runs left.
TEXT ·kernelRowsATallAVX512(SB), NOSPLIT, $16-65
	MOVQ b+40(FP), DI
	ZERO12
	MOVQ  nseg+0(FP), AX
	MOVQ  seglen+8(FP), BX
	TESTQ AX, AX
	JE    rstore
	TESTQ BX, BX
	JE    rstore
	MOVQ  AX, 8(SP)

	// Row pointers a + 4·aoff[i]: SI, CX, DX, R8..R15, BP.
	MOVQ a+24(FP), AX
	MOVQ aoff+32(FP), BP
	MOVQ 0(BP), SI
	LEAQ (AX)(SI*4), SI
	MOVQ 8(BP), CX
	LEAQ (AX)(CX*4), CX
	MOVQ 16(BP), DX
	LEAQ (AX)(DX*4), DX
	MOVQ 24(BP), R8
	LEAQ (AX)(R8*4), R8
	MOVQ 32(BP), R9
	LEAQ (AX)(R9*4), R9
	MOVQ 40(BP), R10
	LEAQ (AX)(R10*4), R10
	MOVQ 48(BP), R11
	LEAQ (AX)(R11*4), R11
	MOVQ 56(BP), R12
	LEAQ (AX)(R12*4), R12
	MOVQ 64(BP), R13
	LEAQ (AX)(R13*4), R13
	MOVQ 72(BP), R14
	LEAQ (AX)(R14*4), R14
	MOVQ 80(BP), R15
	LEAQ (AX)(R15*4), R15
	MOVQ 88(BP), BP
	LEAQ (AX)(BP*4), BP
	XORQ BX, BX // byte offset of the current A column in every row

rrun:
	MOVQ seglen+8(FP), AX
	SHLQ $6, AX
	ADDQ DI, AX
	MOVQ AX, 0(SP) // end of this run's steps in B

rstep:
	VMOVUPS (DI), Z0
	FMA12((SI)(BX*1), (CX)(BX*1), (DX)(BX*1), (R8)(BX*1), (R9)(BX*1), (R10)(BX*1), (R11)(BX*1), (R12)(BX*1), (R13)(BX*1), (R14)(BX*1), (R15)(BX*1), (BP)(BX*1))
	ADDQ    $4, BX
	ADDQ    $64, DI
	CMPQ    DI, 0(SP)
	JNE     rstep

	MOVQ skip+16(FP), AX
	LEAQ (BX)(AX*4), BX
	DECQ 8(SP)
	JNE  rrun

rstore:
	MOVQ    c+48(FP), DX
	MOVQ    ldc+56(FP), R8
	SHLQ    $2, R8
	MOVBLZX accum+64(FP), AX
	STORE12
	RET

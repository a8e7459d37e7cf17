// Exact integer kernels of the integer engine: convolution tiles (gather,
// int16 x int16 products summed in int32 runs and flushed to int64,
// requantization, clamp) and GDN tiles (pool and normaliser). Three paths
// compute identical results: AVX-512 VNNI, AVX2 and portable C. The SIMD
// paths are compiled with target attributes and chosen at run time, so one
// binary runs on every x86-64 machine; elsewhere only portable C is built.
// No floating point anywhere.
#ifndef LICHEN_C_INTEGER_KERNELS_H
#define LICHEN_C_INTEGER_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Kernel paths.
enum {
  LICHEN_KERNEL_FALLBACK = 0,
  LICHEN_KERNEL_AVX2 = 1,
  LICHEN_KERNEL_AVX512VNNI = 2,
};

// 1 when this machine runs `path`.
int32_t lichen_kernel_supported(int32_t path);
// The path in use: forced, else named by LICHEN_INTEGER_KERNEL (read once;
// ignored when unknown or unsupported), else the fastest supported.
int32_t lichen_kernel_active(void);
// The path LICHEN_INTEGER_KERNEL asked for (-1 when unset, -2 when it names no path).
int32_t lichen_kernel_requested(void);
// Uses `path` from now on (1), or refuses an unsupported one (0). A negative
// path goes back to the initial choice.
int32_t lichen_kernel_force(int32_t path);

// Atomic fetch-and-increment: hands out tile indexes to worker threads.
int64_t lichen_kernel_next(int64_t *counter);

// round_half_up(a * b / 2^s), exact in 128 bits, saturated to int64
// (FixedPointScale.roundingShift; any s).
int64_t lichen_round_shift(int64_t a, int64_t b, int64_t s);

// Per-output-channel requantization: clamp(round_shift(total + bias, multiplier, shift)).
typedef struct LichenRequantization {
  const int64_t *bias;
  const int64_t *multiplier;
  const int64_t *shift;
  int32_t lower, upper;
} LichenRequantization;

// An input window with its channels taken in pairs (2p, 2p + 1 as one int32 per
// pixel) and zero rows and columns around it: stride-1 kernels read their
// operands from it in place, with no gather.
typedef struct LichenPairedInput {
  const int16_t *data;   // [pairs][rows][width][2]
  int64_t pairs, rows, width;
  int64_t firstRow;      // input row of buffer row 0
  int64_t left;          // buffer column of input column 0
  const int16_t *zeros;  // a row of `width` zero pixels
} LichenPairedInput;

// One phase of an IntConvolution over one input window (see IntConvolution.compute).
// K = inChannels * taps patch rows (channel-major, tap-minor) are taken in
// pairs; an odd K gets a zero weight for its last, missing row.
typedef struct LichenConvolution {
  int64_t inChannels, outChannels, taps;
  const int64_t *tapDy, *tapDx;  // input offsets of each tap
  int64_t inputStep;             // input pixels between neighbouring phase outputs
  int64_t outputStep;            // output pixels between neighbouring phase outputs
  int64_t rowOffset, colOffset;  // first output row and column of the phase
  const int16_t *weights;        // [outChannels][2 * ceil(K / 2)]
  // Patch rows summed in int32 before an int64 flush: their products cannot
  // overflow int32 (IntConvolution.int32Rows). Runs here are whole pairs.
  int64_t int32Rows;
  LichenRequantization requantization;
  const int16_t *input;  // [inChannels][windowHeight][inputWidth], input rows windowStart...
  int64_t windowStart, windowHeight, inputHeight, inputWidth;
  int16_t *output;  // [outChannels][outputHeight][outputWidth], output rows outputStart...
  int64_t outputStart, outputHeight, outputWidth;
  // With inputStep 1, tiles of one row may read `paired` in place (NULL: always gather).
  // Their weights pair input channels: [outChannels][2 * ceil(inChannels / 2) * taps],
  // pair row p * taps + t holding channels 2p and 2p + 1 of tap t.
  const LichenPairedInput *paired;
  const int16_t *pairedWeights;
} LichenConvolution;

// Phase rows rowFirst..<rowFirst+rowCount, phase columns colFirst..<colFirst+colCount.
typedef struct LichenConvolutionTile {
  int64_t rowFirst, rowCount, colFirst, colCount;
} LichenConvolutionTile;

// Bytes of a paired copy of the layer's input window with pads of zero rows and
// columns on each side; the copy of channel pairs firstPair..<firstPair+count (the
// calls for all pairs may run in parallel), described in *paired by every call.
int64_t lichen_paired_input_bytes(const LichenConvolution *layer, int64_t padTop, int64_t padBottom, int64_t padLeft,
                                  int64_t padRight);
void lichen_paired_input(int32_t path, const LichenConvolution *layer, int64_t padTop, int64_t padBottom,
                         int64_t padLeft, int64_t padRight, int64_t firstPair, int64_t count, void *buffer,
                         LichenPairedInput *paired);

// Scratch bytes a tile of `pixels` needs.
int64_t lichen_convolution_scratch_bytes(const LichenConvolution *layer, int64_t pixels);
// Computes and writes one tile's outputs; `scratch` is 64-byte aligned.
void lichen_convolution_tile(int32_t path, const LichenConvolution *layer, const LichenConvolutionTile *tile,
                             void *scratch);

// The normaliser of a GDN (NormalizationTable.Function, or a plain product).
enum {
  LICHEN_GDN_INVERSE_SQUARE_ROOT = 0,
  LICHEN_GDN_SQUARE_ROOT = 1,
  LICHEN_GDN_RECIPROCAL = 2,
  LICHEN_GDN_PRODUCT = 3,  // inverse simplified GDN: x * P, P cut to 30 significant bits
};

// An IntGDN over whole planes (see IntGDN).
typedef struct LichenGDN {
  int64_t channels;
  int32_t squares;              // pool over x^2 (1) or |x| (0)
  int32_t function;             // LICHEN_GDN_*
  // The pool of output channel i sums gamma[i][j] * s_j over its nonzero gammas (GDN matrices are
  // mostly zeros): entries termFirst[i]..<termFirst[i + 1] of termChannel (j) and termGamma.
  const int64_t *termFirst, *termChannel, *termGamma;
  // The same by pairs of input channels (2m, 2m + 1) where either gamma is nonzero, when every
  // gamma <= 32767 (else pairFirst is NULL): pairIndex holds m, pairGammas the two int16 gammas
  // (channel 2m in the low half).
  const int64_t *pairFirst, *pairIndex;
  const int32_t *pairGammas;
  int64_t maxGamma;
  const int64_t *beta;
  const int64_t *multiplier, *shift;
  int32_t lower, upper;
  const int64_t *entries;       // normalisation table knots (NULL for the product)
  int64_t indexBits, fractionBits;
  int32_t entriesFit31;         // every knot in [0, 2^31): the vector normaliser applies
  const int16_t *input;         // [channels][plane]
  int16_t *output;              // [channels][plane]
  int64_t plane;
} LichenGDN;

int64_t lichen_gdn_scratch_bytes(const LichenGDN *layer, int64_t pixels);
// Pixels first..<first+count of every channel.
void lichen_gdn_tile(int32_t path, const LichenGDN *layer, int64_t first, int64_t count, void *scratch);

#ifdef __cplusplus
}
#endif

#endif

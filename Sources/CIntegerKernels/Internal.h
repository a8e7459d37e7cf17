// Declarations shared by the kernel files (not part of the module's interface).
#ifndef LICHEN_C_INTEGER_KERNELS_INTERNAL_H
#define LICHEN_C_INTEGER_KERNELS_INTERNAL_H

#include <stddef.h>

#include "CIntegerKernels.h"

// The SIMD paths exist on x86-64 only; LICHEN_PORTABLE_ONLY builds the portable
// path alone there too, as on every other architecture.
#if defined(__x86_64__) && !defined(LICHEN_PORTABLE_ONLY)
#define LICHEN_X86_64 1
#endif

#define LICHEN_ALWAYS_INLINE static inline __attribute__((always_inline))

// W (int16, [outputs][weightStride]) times pair rows of operands: pixel q of
// pair row m is the int16 pair rows[m][2q], rows[m][2q + 1] (patch rows 2m and
// 2m + 1 of an im2col tile, or two input channels read in place), summed in
// int32 over runs of `runPairs` pair rows and in int64 across runs.
// `wideDecode`: a run is one pair whose sum may be exactly 2^31, which int32
// holds as INT32_MIN (every other sum is above -2^31). Rows are readable up to
// the next multiple of 16 pixels.
typedef struct LichenGemm {
  const int16_t *weights;
  int64_t weightStride;
  const int16_t *const *rows;
  int64_t outputs, kPairs, pixels, runPairs;
  int32_t wideDecode;
  // Requantized int16 outputs: pixel q < pixels of channel o at out16[o * outStride + q].
  const LichenRequantization *requantization;
  int16_t *out16;
  int64_t outStride;
} LichenGemm;

void lichen_gemm_portable(const LichenGemm *g);

// clamp(round_shift(v + bias, m, s)) truncated to int16, as the Swift engine does.
LICHEN_ALWAYS_INLINE int16_t lichen_requantize(int64_t v, int64_t bias, int64_t m, int64_t s, int32_t lower,
                                               int32_t upper) {
  int64_t r = lichen_round_shift((int64_t)((uint64_t)v + (uint64_t)bias), m, s);
  if (r < lower) r = lower;
  if (r > upper) r = upper;
  return (int16_t)(uint16_t)(uint64_t)r;
}

// GDN operands of one tile, written as plain loops that each path's file
// compiles for its own instruction set (the compiler vectorizes them).
// max |x[q]|, q < n.
LICHEN_ALWAYS_INLINE int64_t lichen_largest_magnitude(const int16_t *x, int64_t n) {
  int32_t largest = 0;
  for (int64_t q = 0; q < n; q++) {
    int32_t v = x[q] < 0 ? -(int32_t)x[q] : x[q];
    largest = v > largest ? v : largest;
  }
  return largest;
}

// Pair row of channels a and b (NULL: zeros): d[2q] = s(a[q]), d[2q + 1] = s(b[q]) for q < n, zeros up to ps;
// s = x^2 or |x|, known to fit int16.
LICHEN_ALWAYS_INLINE void lichen_term_pairs(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t ps,
                                            int32_t squares) {
  for (int h = 0; h < 2; h++) {
    const int16_t *x = h == 0 ? a : b;
    if (!x) {
      for (int64_t q = 0; q < n; q++) d[2 * q + h] = 0;
    } else if (squares) {
      for (int64_t q = 0; q < n; q++) d[2 * q + h] = (int16_t)((int32_t)x[q] * x[q]);
    } else {
      for (int64_t q = 0; q < n; q++) d[2 * q + h] = (int16_t)(x[q] < 0 ? -(int32_t)x[q] : x[q]);
    }
  }
  for (int64_t q = 2 * n; q < 2 * ps; q++) d[q] = 0;
}

// One channel's terms as uint64 (x^2 <= 2^30): d[q] = s(x[q]) for q < n, zeros up to ps.
LICHEN_ALWAYS_INLINE void lichen_terms(uint64_t *d, const int16_t *x, int64_t n, int64_t ps, int32_t squares) {
  if (squares) {
    for (int64_t q = 0; q < n; q++) d[q] = (uint64_t)((int32_t)x[q] * x[q]);
  } else {
    for (int64_t q = 0; q < n; q++) d[q] = (uint64_t)(x[q] < 0 ? -(int32_t)x[q] : x[q]);
  }
  for (int64_t q = n; q < ps; q++) d[q] = 0;
}

// Builds the tile's pool operand: int16 pairs ([pairs][ps][2]) when they apply (returns 1, with the
// largest term in *sMax), else uint64 terms ([channels][ps], returns 0).
LICHEN_ALWAYS_INLINE int32_t lichen_gdn_operand(const LichenGDN *g, int64_t first, int64_t count, int64_t ps,
                                                void *operand, int64_t *sMax, int32_t pairsAllowed) {
  const int64_t ch = g->channels;
  if (pairsAllowed && g->pairFirst) {
    int64_t largest = 0;
    for (int64_t j = 0; j < ch; j++) {
      int64_t m = lichen_largest_magnitude(g->input + j * g->plane + first, count);
      largest = m > largest ? m : largest;
    }
    *sMax = g->squares ? largest * largest : largest;
    if (*sMax <= 32767) {
      const int64_t cPairs = (ch + 1) / 2;
      for (int64_t m = 0; m < cPairs; m++) {
        const int16_t *a = g->input + 2 * m * g->plane + first;
        const int16_t *b = 2 * m + 1 < ch ? a + g->plane : NULL;
        lichen_term_pairs((int16_t *)operand + 2 * m * ps, a, b, count, ps, g->squares);
      }
      return 1;
    }
  }
  for (int64_t j = 0; j < ch; j++)
    lichen_terms((uint64_t *)operand + j * ps, g->input + j * g->plane + first, count, ps, g->squares);
  return 0;
}

// One GDN output from its pool (the scalar normaliser).
int16_t lichen_gdn_normalise_one(const LichenGDN *g, int64_t channel, int64_t pool, int16_t x);
// The pool over uint64 terms ([channels][pixelStride]): wrapping int64 sums, as the Swift engine's.
void lichen_gdn_pool_wide_portable(const LichenGDN *g, const uint64_t *s, int64_t pixelStride, int64_t *pool);

#ifdef LICHEN_X86_64
void lichen_gemm_avx2(const LichenGemm *g);
void lichen_gemm_avx512(const LichenGemm *g);
// Interleaves n pixels of two input rows read every `step` (1 or 2) elements
// into d (a NULL row reads as zeros); returns how many it did (AVX2: a
// multiple of 8, AVX-512: all). With step 2 it reads a[2n - 1] and b[2n - 1].
int64_t lichen_pairs_avx2(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t step);
int64_t lichen_pairs_avx512(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t step);
// dst[2q] = src[q] for q < n (the odd elements untouched).
void lichen_scatter2_avx512(int16_t *dst, const int16_t *src, int64_t n);
void lichen_gdn_pool_wide_avx2(const LichenGDN *g, const uint64_t *s, int64_t pixelStride, int64_t *pool);
void lichen_gdn_pool_wide_avx512(const LichenGDN *g, const uint64_t *s, int64_t pixelStride, int64_t *pool);
// The pool over int16 pairs of terms, exact in int32 runs of `runPairs` pairs.
void lichen_gdn_pool_pairs_avx2(const LichenGDN *g, const int16_t *pairs, int64_t pixelStride, int64_t pixels,
                                int64_t runPairs, int64_t *pool);
void lichen_gdn_pool_pairs_avx512(const LichenGDN *g, const int16_t *pairs, int64_t pixelStride, int64_t pixels,
                                  int64_t runPairs, int64_t *pool);
int32_t lichen_gdn_operand_avx2(const LichenGDN *g, int64_t first, int64_t count, int64_t ps, void *operand,
                                int64_t *sMax);
int32_t lichen_gdn_operand_avx512(const LichenGDN *g, int64_t first, int64_t count, int64_t ps, void *operand,
                                  int64_t *sMax);
// The normaliser of pixels first..<first+count of every channel from their pools (vector formulas where
// exact, lichen_gdn_normalise_one elsewhere).
void lichen_gdn_normalise_avx2(const LichenGDN *g, const int64_t *pool, int64_t pixelStride, int64_t first,
                               int64_t count);
void lichen_gdn_normalise_avx512(const LichenGDN *g, const int64_t *pool, int64_t pixelStride, int64_t first,
                                 int64_t count);
#endif

#endif

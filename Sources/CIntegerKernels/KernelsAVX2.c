// AVX2 path: vpmaddwd multiplies int16 pairs and adds each pair into an int32
// lane (16 multiply-accumulates per instruction). Requantization runs 4 int64
// lanes at a time with the formulas of the AVX-512 path (AVX2 lacks 64-bit
// arithmetic shifts and min/max, emulated here); the GDN normaliser is the
// scalar one.
#include "Internal.h"

#ifdef LICHEN_X86_64

#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2")))

int64_t lichen_pairs_avx2(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t step) AVX2;
int64_t lichen_pairs_avx2(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t step) {
  int64_t q = 0;
  const __m256i zero = _mm256_setzero_si256();
  if (step == 1) {
    for (; q + 8 <= n; q += 8) {
      __m256i va = a ? _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(a + q))) : zero;
      __m256i vb = b ? _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(b + q))), 16) : zero;
      _mm256_storeu_si256((__m256i *)(d + 2 * q), _mm256_or_si256(va, vb));
    }
  } else if (step == 2) {
    const __m256i low = _mm256_set1_epi32(0xFFFF);
    for (; q + 8 <= n; q += 8) {
      __m256i va = a ? _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(a + 2 * q)), low) : zero;
      __m256i vb = b ? _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(b + 2 * q)), 16) : zero;
      _mm256_storeu_si256((__m256i *)(d + 2 * q), _mm256_or_si256(va, vb));
    }
  }
  return q;
}

// Arithmetic shift right of 4 int64 lanes by n in [0, 63]: floor(x / 2^n) = ~(~x >> n) for negative x.
LICHEN_ALWAYS_INLINE __m256i shiftRight4(__m256i x, int64_t n) AVX2;
LICHEN_ALWAYS_INLINE __m256i shiftRight4(__m256i x, int64_t n) {
  __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), x);
  return _mm256_xor_si256(_mm256_srl_epi64(_mm256_xor_si256(x, sign), _mm_cvtsi64_si128(n)), sign);
}

// clamp(round_shift(v + bias, m, s)) of 4 lanes into dst (see roundShift8 in KernelsAVX512.c).
LICHEN_ALWAYS_INLINE void requantize4(__m256i v, int64_t bias, int64_t m, int64_t s, int32_t lower, int32_t upper,
                                      int16_t *dst, int64_t n) AVX2;
LICHEN_ALWAYS_INLINE void requantize4(__m256i v, int64_t bias, int64_t m, int64_t s, int32_t lower, int32_t upper,
                                      int16_t *dst, int64_t n) {
  v = _mm256_add_epi64(v, _mm256_set1_epi64x(bias));
  const int multiplierFits = m >= 0 && m < ((int64_t)1 << 31);
  __m256i r;
  if (multiplierFits && s >= 32 && s <= 62) {
    const __m256i mv = _mm256_set1_epi64x(m);
    __m256i lowProduct = _mm256_add_epi64(_mm256_mul_epu32(v, mv), _mm256_set1_epi64x((int64_t)1 << (s - 1)));
    __m256i x = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), mv), _mm256_srli_epi64(lowProduct, 32));
    r = shiftRight4(x, s - 32);
  } else if (multiplierFits && s >= 1 && s <= 31 &&
             _mm256_testz_si256(_mm256_srli_epi64(_mm256_add_epi64(v, _mm256_set1_epi64x((int64_t)1 << 31)), 32),
                                _mm256_set1_epi64x(-1))) {
    const __m256i mv = _mm256_set1_epi64x(m);
    r = shiftRight4(_mm256_add_epi64(_mm256_mul_epi32(v, mv), _mm256_set1_epi64x((int64_t)1 << (s - 1))), s);
  } else {
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, v);
    for (int l = 0; l < 4; l++) lanes[l] = lichen_round_shift(lanes[l], m, s);
    r = _mm256_loadu_si256((const __m256i *)lanes);
  }
  const __m256i lo = _mm256_set1_epi64x(lower), hi = _mm256_set1_epi64x(upper);
  r = _mm256_blendv_epi8(r, lo, _mm256_cmpgt_epi64(lo, r));
  r = _mm256_blendv_epi8(r, hi, _mm256_cmpgt_epi64(r, hi));
  int64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, r);
  for (int l = 0; l < 4 && l < n; l++) dst[l] = (int16_t)(uint16_t)(uint64_t)lanes[l];
}

// Output channel o, pixels q..<q+8 from their int64 totals.
LICHEN_ALWAYS_INLINE void finish8(const LichenGemm *g, int64_t o, int64_t q, __m256i lo, __m256i hi) AVX2;
LICHEN_ALWAYS_INLINE void finish8(const LichenGemm *g, int64_t o, int64_t q, __m256i lo, __m256i hi) {
  const LichenRequantization *r = g->requantization;
  int16_t *dst = g->out16 + o * g->outStride + q;
  if (q >= g->pixels) return;
  requantize4(lo, r->bias[o], r->multiplier[o], r->shift[o], r->lower, r->upper, dst, g->pixels - q);
  requantize4(hi, r->bias[o], r->multiplier[o], r->shift[o], r->lower, r->upper, dst + 4, g->pixels - q - 4);
}

// Output channel o, pixels q..<q+8 from one run's int32 totals: the 32-bit
// requantization of finish16From32 (KernelsAVX512.c) for 32 <= s <= 62 and an
// int16 output range. floor(x / 2^s) is the high int32 of x shifted right by
// s - 32, which AVX2 can do (it has no 64-bit arithmetic shift).
// Returns 0 when the conditions do not hold.
LICHEN_ALWAYS_INLINE int finish8From32(const LichenGemm *g, int64_t o, int64_t q, __m256i acc) AVX2;
LICHEN_ALWAYS_INLINE int finish8From32(const LichenGemm *g, int64_t o, int64_t q, __m256i acc) {
  if (g->wideDecode) return 0;
  const LichenRequantization *r = g->requantization;
  const int64_t bias = r->bias[o], m = r->multiplier[o], s = r->shift[o];
  if (bias < INT32_MIN || bias > INT32_MAX || m < 0 || m >= ((int64_t)1 << 31) || s < 32 || s > 62 || r->lower < INT16_MIN ||
      r->upper > INT16_MAX)
    return 0;
  const __m256i b = _mm256_set1_epi32((int32_t)bias);
  const __m256i v = _mm256_add_epi32(acc, b);
  // Signed overflow: both addends' signs differ from the sum's.
  if (_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_and_si256(_mm256_xor_si256(acc, v), _mm256_xor_si256(b, v)))))
    return 0;
  const __m256i mv = _mm256_set1_epi64x(m), half = _mm256_set1_epi64x((int64_t)1 << (s - 1));
  const __m128i count = _mm_cvtsi64_si128(s - 32);
  // Each result lands in the high int32 of its int64 lane.
  __m256i even = _mm256_sra_epi32(_mm256_add_epi64(_mm256_mul_epi32(v, mv), half), count);
  __m256i odd = _mm256_sra_epi32(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), mv), half), count);
  __m256i y = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  y = _mm256_min_epi32(_mm256_max_epi32(y, _mm256_set1_epi32(r->lower)), _mm256_set1_epi32(r->upper));
  // Within int16 now, so the saturating pack is exact.
  __m128i packed = _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packs_epi32(y, y), 0x08));
  int16_t *dst = g->out16 + o * g->outStride + q;
  if (g->pixels - q >= 8) {
    _mm_storeu_si128((__m128i *)dst, packed);
  } else {
    int16_t lanes[8];
    _mm_storeu_si128((__m128i *)lanes, packed);
    for (int64_t l = 0; l < g->pixels - q; l++) dst[l] = lanes[l];
  }
  return 1;
}

// A register block of NO output channels x NV vectors of 8 pixels.
LICHEN_ALWAYS_INLINE void block(const LichenGemm *g, int64_t o0, int64_t q0, const int NO, const int NV) AVX2;
LICHEN_ALWAYS_INLINE void block(const LichenGemm *g, int64_t o0, int64_t q0, const int NO, const int NV) {
  const int single = g->runPairs >= g->kPairs;
  int64_t totals[4][2][8] __attribute__((aligned(32)));
  const int16_t *w[4];
#pragma clang loop unroll(full)
  for (int o = 0; o < NO; o++) w[o] = g->weights + (o0 + o) * g->weightStride;
  // At least one run: a phase without taps (kPairs == 0) still writes its bias.
  int64_t start = 0;
  do {
    const int64_t end = start + g->runPairs < g->kPairs ? start + g->runPairs : g->kPairs;
    __m256i acc[4][2];
#pragma clang loop unroll(full)
    for (int o = 0; o < NO; o++)
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) acc[o][v] = _mm256_setzero_si256();
    for (int64_t m = start; m < end; m++) {
      const int16_t *x = g->rows[m] + 2 * q0;
      __m256i xv[2];
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) xv[v] = _mm256_loadu_si256((const __m256i *)(x + 16 * v));
#pragma clang loop unroll(full)
      for (int o = 0; o < NO; o++) {
        int32_t pair;
        memcpy(&pair, w[o] + 2 * m, sizeof pair);
        const __m256i b = _mm256_set1_epi32(pair);
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[o][v] = _mm256_add_epi32(acc[o][v], _mm256_madd_epi16(xv[v], b));
      }
    }
    const __m256i minimum = _mm256_set1_epi32(INT32_MIN), two32 = _mm256_set1_epi64x((int64_t)1 << 32);
#pragma clang loop unroll(full)
    for (int o = 0; o < NO; o++) {
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) {
        if (single && finish8From32(g, o0 + o, q0 + 8 * v, acc[o][v])) continue;
        __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc[o][v]));
        __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc[o][v], 1));
        if (g->wideDecode) {
          // INT32_MIN stands for 2^31 (see LichenGemm).
          __m256i k = _mm256_cmpeq_epi32(acc[o][v], minimum);
          lo = _mm256_add_epi64(lo, _mm256_and_si256(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(k)), two32));
          hi = _mm256_add_epi64(hi, _mm256_and_si256(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(k, 1)), two32));
        }
        if (single) {
          finish8(g, o0 + o, q0 + 8 * v, lo, hi);
        } else if (start == 0) {
          _mm256_store_si256((__m256i *)totals[o][v], lo);
          _mm256_store_si256((__m256i *)(totals[o][v] + 4), hi);
        } else {
          _mm256_store_si256((__m256i *)totals[o][v], _mm256_add_epi64(_mm256_load_si256((const __m256i *)totals[o][v]), lo));
          _mm256_store_si256((__m256i *)(totals[o][v] + 4),
                             _mm256_add_epi64(_mm256_load_si256((const __m256i *)(totals[o][v] + 4)), hi));
        }
      }
    }
    start = end;
  } while (start < g->kPairs);
  if (!single) {
#pragma clang loop unroll(full)
    for (int o = 0; o < NO; o++)
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++)
        finish8(g, o0 + o, q0 + 8 * v, _mm256_load_si256((const __m256i *)totals[o][v]),
                _mm256_load_si256((const __m256i *)(totals[o][v] + 4)));
  }
}

void lichen_gemm_avx2(const LichenGemm *g) AVX2;
void lichen_gemm_avx2(const LichenGemm *g) {
  for (int64_t o0 = 0; o0 < g->outputs; o0 += 4) {
    const int no = g->outputs - o0 < 4 ? (int)(g->outputs - o0) : 4;
    // pixels is padded to whole 16-pixel vectors, so blocks of 2 x 8 pixels cover it.
    for (int64_t q0 = 0; q0 < g->pixels; q0 += 16) {
      switch (no) {
        case 1: block(g, o0, q0, 1, 2); break;
        case 2: block(g, o0, q0, 2, 2); break;
        case 3: block(g, o0, q0, 3, 2); break;
        default: block(g, o0, q0, 4, 2); break;
      }
    }
  }
}

int32_t lichen_gdn_operand_avx2(const LichenGDN *g, int64_t first, int64_t count, int64_t ps, void *operand,
                                int64_t *sMax) AVX2;
int32_t lichen_gdn_operand_avx2(const LichenGDN *g, int64_t first, int64_t count, int64_t ps, void *operand,
                                int64_t *sMax) {
  return lichen_gdn_operand(g, first, count, ps, operand, sMax, 1);
}

// GDN pool of output channel i, pixels q0..<q0+4*NV, over uint64 terms (see widePool in KernelsAVX512.c).
LICHEN_ALWAYS_INLINE void widePool(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, const int NV) AVX2;
LICHEN_ALWAYS_INLINE void widePool(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, const int NV) {
  __m256i acc[8];
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) acc[v] = _mm256_set1_epi64x(g->beta[i]);
  for (int64_t e = g->termFirst[i]; e < g->termFirst[i + 1]; e++) {
    const __m256i gamma = _mm256_set1_epi64x(g->termGamma[e]);
    const uint64_t *row = s + g->termChannel[e] * ps + q0;
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++)
      acc[v] = _mm256_add_epi64(acc[v], _mm256_mul_epu32(_mm256_loadu_si256((const __m256i *)(row + 4 * v)), gamma));
  }
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) _mm256_storeu_si256((__m256i *)(pool + i * ps + q0 + 4 * v), acc[v]);
}

void lichen_gdn_pool_wide_avx2(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool) AVX2;
void lichen_gdn_pool_wide_avx2(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool) {
  for (int64_t i = 0; i < g->channels; i++) {
    for (int64_t q0 = 0; q0 < ps; q0 += 32) {  // ps is a multiple of 16
      if (ps - q0 >= 32) widePool(g, s, ps, pool, i, q0, 8);
      else widePool(g, s, ps, pool, i, q0, 4);
    }
  }
}

// GDN pool of output channel i, pixels q0..<q0+8*NV, over int16 pairs of terms (see pairPool in KernelsAVX512.c).
LICHEN_ALWAYS_INLINE void pairPool(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, int64_t runPairs, const int NV) AVX2;
LICHEN_ALWAYS_INLINE void pairPool(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, int64_t runPairs, const int NV) {
  __m256i lo[4], hi[4];
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) lo[v] = hi[v] = _mm256_set1_epi64x(g->beta[i]);
  int64_t e = g->pairFirst[i];
  const int64_t end = g->pairFirst[i + 1];
  while (e < end) {
    const int64_t runEnd = e + runPairs < end ? e + runPairs : end;
    __m256i acc[4];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[v] = _mm256_setzero_si256();
    for (; e < runEnd; e++) {
      const __m256i b = _mm256_set1_epi32(g->pairGammas[e]);
      const int16_t *x = pairs + 2 * (g->pairIndex[e] * ps + q0);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++)
        acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(x + 16 * v)), b));
    }
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) {
      lo[v] = _mm256_add_epi64(lo[v], _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc[v])));
      hi[v] = _mm256_add_epi64(hi[v], _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc[v], 1)));
    }
  }
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) {
    _mm256_storeu_si256((__m256i *)(pool + i * ps + q0 + 8 * v), lo[v]);
    _mm256_storeu_si256((__m256i *)(pool + i * ps + q0 + 8 * v + 4), hi[v]);
  }
}

void lichen_gdn_pool_pairs_avx2(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t pixels,
                                int64_t runPairs, int64_t *pool) AVX2;
void lichen_gdn_pool_pairs_avx2(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t pixels,
                                int64_t runPairs, int64_t *pool) {
  for (int64_t i = 0; i < g->channels; i++) {
    for (int64_t q0 = 0; q0 < pixels; q0 += 32) {
      if (pixels - q0 > 16) pairPool(g, pairs, ps, pool, i, q0, runPairs, 4);
      else pairPool(g, pairs, ps, pool, i, q0, runPairs, 2);
    }
  }
}

#endif

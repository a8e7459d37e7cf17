// AVX2 path: vpmaddwd multiplies int16 pairs and adds each pair into an int32
// lane (16 multiply-accumulates per instruction). Requantization and the GDN
// normaliser run 4 int64 lanes at a time with the formulas of the AVX-512 path
// (AVX2 lacks 64-bit arithmetic shifts, min/max, compares other than eq/gt
// and lzcnt, emulated here) and drop to the exact scalar code for any lane
// whose shift or magnitude the vector formulas do not cover.
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

// The same with a count per lane, each in [0, 63].
LICHEN_ALWAYS_INLINE __m256i shiftRightVariable4(__m256i x, __m256i n) AVX2;
LICHEN_ALWAYS_INLINE __m256i shiftRightVariable4(__m256i x, __m256i n) {
  __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), x);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(x, sign), n), sign);
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

// MARK: - GDN normaliser

// Bit length of each lane read as uint64 (64 - lzcnt: 0 for 0, else floor(log2) + 1; AVX2 has no
// vplzcntq): the bit length of every byte from two nibble tables, 8j added to byte j where that is
// nonzero (vpsignb keeps the zero bytes 0), then each lane's largest byte, its highest nonzero byte's.
LICHEN_ALWAYS_INLINE __m256i bitLength4(__m256i x) AVX2;
LICHEN_ALWAYS_INLINE __m256i bitLength4(__m256i x) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i lowBits = _mm256_setr_epi8(0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4,
                                           0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4);
  const __m256i highBits = _mm256_setr_epi8(0, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8,
                                            0, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8);
  __m256i v = _mm256_max_epu8(_mm256_shuffle_epi8(lowBits, _mm256_and_si256(x, nibble)),
                              _mm256_shuffle_epi8(highBits, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
  // At most 56 + 8 = 64: positive as int8, so vpsignb only zeroes the bytes whose v is 0.
  v = _mm256_sign_epi8(_mm256_add_epi8(v, _mm256_set1_epi64x(0x3830282018100800)), v);
  v = _mm256_max_epu8(v, _mm256_srli_epi64(v, 8));
  v = _mm256_max_epu8(v, _mm256_srli_epi64(v, 16));
  v = _mm256_max_epu8(v, _mm256_srli_epi64(v, 32));
  return _mm256_and_si256(v, _mm256_set1_epi64x(0xFF));
}

// round_shift(v, m, s) per lane, s per lane, for 0 <= m < 2^31 (the caller's check): the two exact
// formulas of roundShift8 (KernelsAVX512.c), s in [32, 94] for any v and s in [1, 31] for v in
// [-2^31, 2^31), with the arithmetic shifts emulated. Returns 0 when some lane fits neither.
LICHEN_ALWAYS_INLINE int roundShift4(__m256i v, __m256i m, __m256i s, __m256i *result) AVX2;
LICHEN_ALWAYS_INLINE int roundShift4(__m256i v, __m256i m, __m256i s, __m256i *result) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1), thirtyTwo = _mm256_set1_epi64x(32);
  const __m256i wide =
      _mm256_and_si256(_mm256_cmpgt_epi64(s, _mm256_set1_epi64x(31)), _mm256_cmpgt_epi64(_mm256_set1_epi64x(95), s));
  const int wideLanes = _mm256_movemask_pd(_mm256_castsi256_pd(wide));
  __m256i r = zero;
  if (wideLanes) {
    // v = vh * 2^32 + vl: (vh * m + 2^(s-33) + ((vl * m [+ 2^31 for s = 32]) >> 32)) >> (s - 32). A
    // count past 63 (s = 32) shifts the 1 out: no high half then, the low one instead.
    __m256i highHalf = _mm256_sllv_epi64(one, _mm256_sub_epi64(s, _mm256_set1_epi64x(33)));
    __m256i lowHalf = _mm256_and_si256(_mm256_cmpeq_epi64(s, thirtyTwo), _mm256_set1_epi64x((int64_t)1 << 31));
    __m256i low = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(v, m), lowHalf), 32);
    __m256i x = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), m), highHalf), low);
    r = shiftRightVariable4(x, _mm256_sub_epi64(s, thirtyTwo));
  }
  if (wideLanes != 0xF) {
    const __m256i fits32 =
        _mm256_cmpeq_epi64(_mm256_srli_epi64(_mm256_add_epi64(v, _mm256_set1_epi64x((int64_t)1 << 31)), 32), zero);
    const __m256i narrow =
        _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi64(s, zero), _mm256_cmpgt_epi64(thirtyTwo, s)), fits32);
    if (_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_or_si256(wide, narrow))) != 0xF) return 0;
    // (v * m + 2^(s-1)) >> s, |v * m| < 2^62.
    __m256i half = _mm256_sllv_epi64(one, _mm256_sub_epi64(s, one));
    __m256i rn = shiftRightVariable4(_mm256_add_epi64(_mm256_mul_epi32(v, m), half), s);
    r = _mm256_blendv_epi8(r, rn, narrow);
  }
  *result = r;
  return 1;
}

// One channel's normaliser constants, loaded once (the scalar fallback is a call, after which the
// compiler would read them from the LichenGDN again): the multiplier, in [0, 2^31), the shift (plus
// fractionBits with a table), the clamp bounds, and the table's segment shift and fraction mask.
typedef struct Normaliser4 {
  __m256i m, base, lower, upper, fractionMask;
  __m128i segmentShift;
  const int64_t *entries;
} Normaliser4;

// The normaliser (lichen_gdn_normalise_one) of 4 pixels of one channel: x sign-extended, any pool;
// the result clamped, still int64. 0 when a lane needs the scalar code.
LICHEN_ALWAYS_INLINE int normalise4(const Normaliser4 *k, __m256i pool, __m256i x, __m256i *out, const int function) AVX2;
LICHEN_ALWAYS_INLINE int normalise4(const Normaliser4 *k, __m256i pool, __m256i x, __m256i *out, const int function) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1);
  __m256i product, shift;
  if (function == LICHEN_GDN_PRODUCT) {
    // x * (P >> excess), P cut to 30 significant bits: excess = max(bits - 30, 0), the low byte's
    // saturating subtraction (the other bytes are 0 - 0).
    __m256i pv = _mm256_and_si256(pool, _mm256_cmpgt_epi64(pool, zero));
    __m256i excess = _mm256_subs_epu8(bitLength4(pv), _mm256_set1_epi64x(30));
    product = _mm256_mul_epi32(x, _mm256_srlv_epi64(pv, excess));  // P >> excess < 2^30
    shift = _mm256_sub_epi64(k->base, excess);
  } else {
    __m256i p = _mm256_blendv_epi8(one, pool, _mm256_cmpgt_epi64(pool, one));
    __m256i log2 = _mm256_sub_epi64(bitLength4(p), one);
    __m256i n = function == LICHEN_GDN_RECIPROCAL ? log2 : _mm256_and_si256(log2, _mm256_set1_epi64x(~(int64_t)1));
    // p << (30 - n) or p >> (n - 30): a negative count shifts everything out.
    const __m256i thirty = _mm256_set1_epi64x(30);
    __m256i mantissa = _mm256_or_si256(_mm256_sllv_epi64(p, _mm256_sub_epi64(thirty, n)),
                                       _mm256_srlv_epi64(p, _mm256_sub_epi64(n, thirty)));
    __m256i offset = _mm256_sub_epi64(mantissa, _mm256_set1_epi64x((int64_t)1 << 30));
    __m256i index = _mm256_srl_epi64(offset, k->segmentShift);
    __m256i fraction = _mm256_and_si256(offset, k->fractionMask);
    // Knots index and index + 1 of each lane: one 16-byte load per lane (cheaper than two gathers), transposed.
    int64_t at[4] __attribute__((aligned(32)));
    _mm256_store_si256((__m256i *)at, index);
    const int64_t *e = k->entries;
    __m256i k02 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(e + at[0]))),
                                          _mm_loadu_si128((const __m128i *)(e + at[2])), 1);
    __m256i k13 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(e + at[1]))),
                                          _mm_loadu_si128((const __m128i *)(e + at[3])), 1);
    __m256i a = _mm256_unpacklo_epi64(k02, k13), b = _mm256_unpackhi_epi64(k02, k13);
    // a + floor((b - a) * fraction / 2^ss) = (a * 2^ss + (b - a) * fraction) >> ss: the sum is
    // a * (2^ss - fraction) + b * fraction, in [0, 2^60) for knots in [0, 2^31) and ss <= 29, so the
    // logical shift is exact (no 64-bit arithmetic shift needed); |b - a| < 2^31 and fraction < 2^29
    // make the product one signed 32 x 32 -> 64 multiply.
    __m256i value = _mm256_srl_epi64(_mm256_add_epi64(_mm256_sll_epi64(a, k->segmentShift),
                                                      _mm256_mul_epi32(_mm256_sub_epi64(b, a), fraction)),
                                     k->segmentShift);
    // shift + fractionBits - exponent, the exponent -(n / 2), n / 2 or -n.
    if (function == LICHEN_GDN_INVERSE_SQUARE_ROOT) shift = _mm256_add_epi64(k->base, _mm256_srli_epi64(n, 1));
    else if (function == LICHEN_GDN_SQUARE_ROOT) shift = _mm256_sub_epi64(k->base, _mm256_srli_epi64(n, 1));
    else shift = _mm256_add_epi64(k->base, n);
    product = _mm256_mul_epi32(x, value);  // value in [0, 2^31)
  }
  __m256i r;
  if (!roundShift4(product, k->m, shift, &r)) return 0;
  r = _mm256_blendv_epi8(r, k->lower, _mm256_cmpgt_epi64(k->lower, r));
  *out = _mm256_blendv_epi8(r, k->upper, _mm256_cmpgt_epi64(r, k->upper));
  return 1;
}

// One channel's outputs, pixels q < count: 4 at a time where the vector formulas apply (`vector`,
// a multiplier in [0, 2^31) and every lane in range), else the scalar code.
LICHEN_ALWAYS_INLINE void normaliseChannel(const LichenGDN *g, int64_t i, const int64_t *p, const int16_t *x,
                                           int16_t *y, int64_t count, int vector, const int function) AVX2;
LICHEN_ALWAYS_INLINE void normaliseChannel(const LichenGDN *g, int64_t i, const int64_t *p, const int16_t *x,
                                           int16_t *y, int64_t count, int vector, const int function) {
  const int64_t m = g->multiplier[i];
  int64_t q = 0;
  if (vector && m >= 0 && m < ((int64_t)1 << 31)) {
    Normaliser4 k;
    k.m = _mm256_set1_epi64x(m);
    // Opaque to the optimizer: knowing m < 2^31 from the test above, clang drops vpmuludq's implied
    // mask and then expands the 32 x 32 multiplies into full 64-bit ones.
    __asm__("" : "+x"(k.m));
    const uint64_t bits = function == LICHEN_GDN_PRODUCT ? 0 : (uint64_t)g->fractionBits;
    k.base = _mm256_set1_epi64x((int64_t)((uint64_t)g->shift[i] + bits));
    k.lower = _mm256_set1_epi64x(g->lower);
    k.upper = _mm256_set1_epi64x(g->upper);
    const int64_t segmentShift = function == LICHEN_GDN_PRODUCT ? 0 : 30 - g->indexBits;
    k.segmentShift = _mm_cvtsi64_si128(segmentShift);
    k.fractionMask = _mm256_set1_epi64x(((int64_t)1 << segmentShift) - 1);
    k.entries = g->entries;
    // The low 16 bits of each lane (the scalar code's truncation to int16) into the low 8 bytes.
    const __m256i pick = _mm256_setr_epi8(0, 1, 8, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 1, 8, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    for (; q + 4 <= count; q += 4) {
      __m256i xv = _mm256_cvtepi16_epi64(_mm_loadl_epi64((const __m128i *)(x + q))), r;
      if (normalise4(&k, _mm256_loadu_si256((const __m256i *)(p + q)), xv, &r, function)) {
        __m256i t = _mm256_shuffle_epi8(r, pick);
        _mm_storel_epi64((__m128i *)(y + q), _mm_unpacklo_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1)));
      } else {
        for (int l = 0; l < 4; l++) y[q + l] = lichen_gdn_normalise_one(g, i, p[q + l], x[q + l]);
      }
    }
  }
  for (; q < count; q++) y[q] = lichen_gdn_normalise_one(g, i, p[q], x[q]);
}

void lichen_gdn_normalise_avx2(const LichenGDN *g, const int64_t *pool, int64_t ps, int64_t first,
                               int64_t count) AVX2;
void lichen_gdn_normalise_avx2(const LichenGDN *g, const int64_t *pool, int64_t ps, int64_t first, int64_t count) {
  // A table needs knots in [0, 2^31) and a segment shift in [0, 29] (see normalise4).
  const int table = g->entriesFit31 && g->indexBits >= 1 && g->indexBits <= 30;
  for (int64_t i = 0; i < g->channels; i++) {
    const int16_t *x = g->input + i * g->plane + first;
    int16_t *y = g->output + i * g->plane + first;
    const int64_t *p = pool + i * ps;
    // One copy per function, the loop free of its tests.
    switch (g->function) {
      case LICHEN_GDN_PRODUCT: normaliseChannel(g, i, p, x, y, count, 1, LICHEN_GDN_PRODUCT); break;
      case LICHEN_GDN_INVERSE_SQUARE_ROOT:
        normaliseChannel(g, i, p, x, y, count, table, LICHEN_GDN_INVERSE_SQUARE_ROOT);
        break;
      case LICHEN_GDN_SQUARE_ROOT: normaliseChannel(g, i, p, x, y, count, table, LICHEN_GDN_SQUARE_ROOT); break;
      case LICHEN_GDN_RECIPROCAL: normaliseChannel(g, i, p, x, y, count, table, LICHEN_GDN_RECIPROCAL); break;
      default: normaliseChannel(g, i, p, x, y, count, 0, LICHEN_GDN_RECIPROCAL); break;  // the scalar code only
    }
  }
}

#endif

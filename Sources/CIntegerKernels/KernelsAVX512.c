// AVX-512 VNNI path: vpdpwssd sums two int16 products into each int32 lane
// (32 multiply-accumulates per instruction); requantization and the GDN
// normaliser run 8 int64 lanes at a time and drop to the exact scalar code
// for any lane whose shift or magnitude the vector formulas do not cover.
#include "Internal.h"

#ifdef LICHEN_X86_64

#include <immintrin.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512cd,avx512vnni")))

int64_t lichen_pairs_avx512(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t step) AVX512;
int64_t lichen_pairs_avx512(int16_t *d, const int16_t *a, const int16_t *b, int64_t n, int64_t step) {
  if (step != 1 && step != 2) return 0;
  const __m512i zero = _mm512_setzero_si512(), low = _mm512_set1_epi32(0xFFFF);
  // Whole vectors, then one masked vector for the last n % 16 pixels.
  for (int64_t q = 0; q < n; q += 16) {
    const __mmask16 mask = n - q >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - q)) - 1);
    __m512i va = zero, vb = zero;
    if (step == 1) {
      // Pixel q is element q: widen 16 int16 to the low halves of 16 int32 lanes.
      if (a) va = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(_mm512_maskz_loadu_epi16(mask, a + q)));
      if (b) vb = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(_mm512_maskz_loadu_epi16(mask, b + q))), 16);
    } else {
      // Pixel q is element 2q, the low half of int32 lane q.
      if (a) va = _mm512_and_si512(_mm512_maskz_loadu_epi32(mask, a + 2 * q), low);
      if (b) vb = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, b + 2 * q), 16);
    }
    _mm512_mask_storeu_epi32(d + 2 * q, mask, _mm512_or_si512(va, vb));
  }
  return n;
}

void lichen_scatter2_avx512(int16_t *dst, const int16_t *src, int64_t n) AVX512;
void lichen_scatter2_avx512(int16_t *dst, const int16_t *src, int64_t n) {
  // src[q] goes to the low half of int32 lane q, stored with the odd int16 elements masked off.
  for (int64_t q = 0; q < n; q += 16) {
    const int64_t left = n - q;
    const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    const __mmask32 even = left >= 16 ? (__mmask32)0x55555555u : (__mmask32)(((uint64_t)1 << (2 * left)) - 1) & 0x55555555u;
    __m512i v = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(_mm512_maskz_loadu_epi16(mask, src + q)));
    _mm512_mask_storeu_epi16(dst + 2 * q, even, v);
  }
}

// Lanes holding a value in [-2^31, 2^31).
LICHEN_ALWAYS_INLINE __mmask8 fits32(__m512i v) AVX512;
LICHEN_ALWAYS_INLINE __mmask8 fits32(__m512i v) {
  __m512i biased = _mm512_add_epi64(v, _mm512_set1_epi64((int64_t)1 << 31));
  return _mm512_cmpeq_epi64_mask(_mm512_srli_epi64(biased, 32), _mm512_setzero_si512());
}

// round_shift(v, m, s) per lane, s per lane, for 0 <= m < 2^31. Two exact formulas:
// s in [32, 94]: with v = vh * 2^32 + vl (vl unsigned), v * m = A * 2^32 + B for
//   A = vh * m (|A| < 2^62) and B = vl * m (B < 2^63), so the result is
//   (A + 2^(s-33) + (B >> 32)) >> (s - 32), or (A + ((B + 2^31) >> 32)) for s = 32,
//   every term within int64 for any v;
// s in [1, 31] with |v| < 2^31: (v * m + 2^(s-1)) >> s, also within int64.
// Returns 0 when some lane fits neither.
LICHEN_ALWAYS_INLINE int roundShift8(__m512i v, int64_t m, __m512i s, __m512i *result) AVX512;
LICHEN_ALWAYS_INLINE int roundShift8(__m512i v, int64_t m, __m512i s, __m512i *result) {
  if (m < 0 || m >= ((int64_t)1 << 31)) return 0;
  __mmask8 wide = _mm512_cmpge_epi64_mask(s, _mm512_set1_epi64(32)) & _mm512_cmple_epi64_mask(s, _mm512_set1_epi64(94));
  __mmask8 narrow = _mm512_cmpge_epi64_mask(s, _mm512_set1_epi64(1)) & _mm512_cmple_epi64_mask(s, _mm512_set1_epi64(31)) &
                    fits32(v);
  if ((__mmask8)(wide | narrow) != 0xFF) return 0;
  const __m512i mv = _mm512_set1_epi64(m), one = _mm512_set1_epi64(1);
  __m512i r = _mm512_setzero_si512();
  if (wide) {
    // A count past 63 (s = 32) shifts the 1 out: no high half then, the low one instead.
    __m512i highHalf = _mm512_sllv_epi64(one, _mm512_sub_epi64(s, _mm512_set1_epi64(33)));
    __m512i lowHalf = _mm512_maskz_mov_epi64(_mm512_cmpeq_epi64_mask(s, _mm512_set1_epi64(32)),
                                             _mm512_set1_epi64((int64_t)1 << 31));
    __m512i low = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(v, mv), lowHalf), 32);
    __m512i x = _mm512_add_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(v, 32), mv), highHalf), low);
    r = _mm512_srav_epi64(x, _mm512_sub_epi64(s, _mm512_set1_epi64(32)));
  }
  if (narrow) {
    const __m512i half = _mm512_sllv_epi64(one, _mm512_sub_epi64(s, one));
    __m512i p = _mm512_add_epi64(_mm512_mul_epi32(v, mv), half);
    r = _mm512_mask_blend_epi64(narrow, r, _mm512_srav_epi64(p, s));
  }
  *result = r;
  return 1;
}

// clamp(round_shift(v + bias, m, s)) of 8 lanes (still int64).
LICHEN_ALWAYS_INLINE __m512i requantize8(__m512i v, int64_t bias, int64_t m, int64_t s, int32_t lower,
                                         int32_t upper) AVX512;
LICHEN_ALWAYS_INLINE __m512i requantize8(__m512i v, int64_t bias, int64_t m, int64_t s, int32_t lower,
                                         int32_t upper) {
  v = _mm512_add_epi64(v, _mm512_set1_epi64(bias));
  __m512i r;
  if (!roundShift8(v, m, _mm512_set1_epi64(s), &r)) {
    int64_t lanes[8];
    _mm512_storeu_si512(lanes, v);
    for (int l = 0; l < 8; l++) lanes[l] = lichen_round_shift(lanes[l], m, s);
    r = _mm512_loadu_si512(lanes);
  }
  return _mm512_min_epi64(_mm512_max_epi64(r, _mm512_set1_epi64(lower)), _mm512_set1_epi64(upper));
}

// Lanes of pixels q..<q+count that exist (the tile may end inside a vector).
LICHEN_ALWAYS_INLINE __mmask16 pixelMask(const LichenGemm *g, int64_t q) {
  int64_t left = g->pixels - q;
  return left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? 0 : (__mmask16)((1u << left) - 1));
}

// Output channel o, pixels q..<q+16 from their int64 totals.
LICHEN_ALWAYS_INLINE void finish16(const LichenGemm *g, int64_t o, int64_t q, __m512i lo, __m512i hi) AVX512;
LICHEN_ALWAYS_INLINE void finish16(const LichenGemm *g, int64_t o, int64_t q, __m512i lo, __m512i hi) {
  const LichenRequantization *r = g->requantization;
  const __mmask16 mask = pixelMask(g, q);
  int16_t *dst = g->out16 + o * g->outStride + q;
  _mm512_mask_cvtepi64_storeu_epi16(dst, (__mmask8)mask,
                                    requantize8(lo, r->bias[o], r->multiplier[o], r->shift[o], r->lower, r->upper));
  _mm512_mask_cvtepi64_storeu_epi16(dst + 8, (__mmask8)(mask >> 8),
                                    requantize8(hi, r->bias[o], r->multiplier[o], r->shift[o], r->lower, r->upper));
}

// Output channel o, pixels q..<q+16 from one run's int32 totals. When the bias
// fits int32, no lane overflows adding it, 0 <= m < 2^31 and 31 <= s <= 62,
// (v * m + 2^(s-1)) >> s is exact in int64 and fits int32: the even and the
// odd lanes take one multiply each, half the work of widening to int64 first.
LICHEN_ALWAYS_INLINE void finish16From32(const LichenGemm *g, int64_t o, int64_t q, __m512i acc) AVX512;
LICHEN_ALWAYS_INLINE void finish16From32(const LichenGemm *g, int64_t o, int64_t q, __m512i acc) {
  if (!g->wideDecode) {
    const LichenRequantization *r = g->requantization;
    const int64_t bias = r->bias[o], m = r->multiplier[o], s = r->shift[o];
    if (bias >= INT32_MIN && bias <= INT32_MAX && m >= 0 && m < ((int64_t)1 << 31) && s >= 31 && s <= 62) {
      const __m512i b = _mm512_set1_epi32((int32_t)bias);
      const __m512i v = _mm512_add_epi32(acc, b);
      // Signed overflow: both addends' signs differ from the sum's.
      const __mmask16 overflow = _mm512_cmplt_epi32_mask(
          _mm512_and_si512(_mm512_xor_si512(acc, v), _mm512_xor_si512(b, v)), _mm512_setzero_si512());
      if (!overflow) {
        const __m512i mv = _mm512_set1_epi64(m), half = _mm512_set1_epi64((int64_t)1 << (s - 1));
        const __m128i count = _mm_cvtsi64_si128(s);
        __m512i even = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, mv), half), count);
        __m512i odd = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(v, 32), mv), half), count);
        __m512i y = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, _mm512_slli_epi64(odd, 32));
        y = _mm512_min_epi32(_mm512_max_epi32(y, _mm512_set1_epi32(r->lower)), _mm512_set1_epi32(r->upper));
        _mm512_mask_cvtepi32_storeu_epi16(g->out16 + o * g->outStride + q, pixelMask(g, q), y);
        return;
      }
    }
  }
  __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc));
  __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1));
  if (g->wideDecode) {
    // INT32_MIN stands for 2^31 (see LichenGemm).
    const __mmask16 k = _mm512_cmpeq_epi32_mask(acc, _mm512_set1_epi32(INT32_MIN));
    const __m512i two32 = _mm512_set1_epi64((int64_t)1 << 32);
    lo = _mm512_mask_add_epi64(lo, (__mmask8)k, lo, two32);
    hi = _mm512_mask_add_epi64(hi, (__mmask8)(k >> 8), hi, two32);
  }
  finish16(g, o, q, lo, hi);
}

// acc[o][v] (o < NO, v < NV) += the products of pair rows start..<end. Kept
// out of line, one copy per shape, so that nothing but the accumulators and
// the operands is live in the loop and the 24 accumulators stay in registers.
LICHEN_ALWAYS_INLINE void products(const int16_t *const *rows, int64_t q0, const int16_t *const *w, int64_t start,
                                   int64_t end, __m512i acc[6][4], const int NO, const int NV) AVX512;
LICHEN_ALWAYS_INLINE void products(const int16_t *const *rows, int64_t q0, const int16_t *const *w, int64_t start,
                                   int64_t end, __m512i acc[6][4], const int NO, const int NV) {
  __m512i a[6][4];
  const int16_t *wo[6];
#pragma clang loop unroll(full)
  for (int o = 0; o < NO; o++) {
    wo[o] = w[o];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) a[o][v] = _mm512_setzero_si512();
  }
  // Not unrolled: a second iteration's loads would not fit the 32 registers.
#pragma clang loop unroll(disable)
  for (int64_t m = start; m < end; m++) {
    const int16_t *x = rows[m] + 2 * q0;
    __m512i xv[4];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) xv[v] = _mm512_loadu_si512(x + 32 * v);
#pragma clang loop unroll(full)
    for (int o = 0; o < NO; o++) {
      int32_t pair;
      memcpy(&pair, wo[o] + 2 * m, sizeof pair);
      const __m512i b = _mm512_set1_epi32(pair);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) a[o][v] = _mm512_dpwssd_epi32(a[o][v], xv[v], b);
    }
  }
#pragma clang loop unroll(full)
  for (int o = 0; o < NO; o++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[o][v] = a[o][v];
}

#define LICHEN_PRODUCTS(NO, NV)                                                                               \
  static __attribute__((noinline)) AVX512 void products##NO##NV(const int16_t *const *rows, int64_t q0,     \
                                                                const int16_t *const *w, int64_t start,      \
                                                                int64_t end, __m512i acc[6][4]) {            \
    products(rows, q0, w, start, end, acc, NO, NV);                                                           \
  }
#define LICHEN_PRODUCTS_ROW(NO) LICHEN_PRODUCTS(NO, 1) LICHEN_PRODUCTS(NO, 2) LICHEN_PRODUCTS(NO, 3) LICHEN_PRODUCTS(NO, 4)
LICHEN_PRODUCTS_ROW(1)
LICHEN_PRODUCTS_ROW(2)
LICHEN_PRODUCTS_ROW(3)
LICHEN_PRODUCTS_ROW(4)
LICHEN_PRODUCTS_ROW(5)
LICHEN_PRODUCTS_ROW(6)

typedef void (*Products)(const int16_t *const *, int64_t, const int16_t *const *, int64_t, int64_t, __m512i[6][4]);
static const Products productsByShape[6][4] = {
    {products11, products12, products13, products14}, {products21, products22, products23, products24},
    {products31, products32, products33, products34}, {products41, products42, products43, products44},
    {products51, products52, products53, products54}, {products61, products62, products63, products64},
};

// A register block of NO output channels x NV vectors of 16 pixels.
LICHEN_ALWAYS_INLINE void block(const LichenGemm *g, int64_t o0, int64_t q0, const int NO, const int NV) AVX512;
LICHEN_ALWAYS_INLINE void block(const LichenGemm *g, int64_t o0, int64_t q0, const int NO, const int NV) {
  const int single = g->runPairs >= g->kPairs;
  int64_t totals[6][4][16] __attribute__((aligned(64)));
  const int16_t *w[6];
  for (int o = 0; o < NO; o++) w[o] = g->weights + (o0 + o) * g->weightStride;
  const Products kernel = productsByShape[NO - 1][NV - 1];
  // At least one run: a phase without taps (kPairs == 0) still writes its bias.
  int64_t start = 0;
  do {
    const int64_t end = start + g->runPairs < g->kPairs ? start + g->runPairs : g->kPairs;
    __m512i acc[6][4];
    kernel(g->rows, q0, w, start, end, acc);
    const __m512i minimum = _mm512_set1_epi32(INT32_MIN), two32 = _mm512_set1_epi64((int64_t)1 << 32);
    for (int o = 0; o < NO; o++) {
      for (int v = 0; v < NV; v++) {
        if (single) {
          finish16From32(g, o0 + o, q0 + 16 * v, acc[o][v]);
          continue;
        }
        __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc[o][v]));
        __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc[o][v], 1));
        if (g->wideDecode) {
          __mmask16 k = _mm512_cmpeq_epi32_mask(acc[o][v], minimum);
          lo = _mm512_mask_add_epi64(lo, (__mmask8)k, lo, two32);
          hi = _mm512_mask_add_epi64(hi, (__mmask8)(k >> 8), hi, two32);
        }
        if (start == 0) {
          _mm512_store_si512(totals[o][v], lo);
          _mm512_store_si512(totals[o][v] + 8, hi);
        } else {
          _mm512_store_si512(totals[o][v], _mm512_add_epi64(_mm512_load_si512(totals[o][v]), lo));
          _mm512_store_si512(totals[o][v] + 8, _mm512_add_epi64(_mm512_load_si512(totals[o][v] + 8), hi));
        }
      }
    }
    start = end;
  } while (start < g->kPairs);
  if (!single) {
    for (int o = 0; o < NO; o++)
      for (int v = 0; v < NV; v++)
        finish16(g, o0 + o, q0 + 16 * v, _mm512_load_si512(totals[o][v]), _mm512_load_si512(totals[o][v] + 8));
  }
}

#define LICHEN_BLOCK(NO, NV) \
  case NO * 8 + NV: block(g, o0, q0, NO, NV); break;
#define LICHEN_BLOCKS(NO) LICHEN_BLOCK(NO, 1) LICHEN_BLOCK(NO, 2) LICHEN_BLOCK(NO, 3) LICHEN_BLOCK(NO, 4)

void lichen_gemm_avx512(const LichenGemm *g) AVX512;
void lichen_gemm_avx512(const LichenGemm *g) {
  // Output blocks outside: their weights stay in L1 while the tile's patches stream from L2.
  for (int64_t o0 = 0; o0 < g->outputs; o0 += 6) {
    const int no = g->outputs - o0 < 6 ? (int)(g->outputs - o0) : 6;
    for (int64_t q0 = 0; q0 < g->pixels; q0 += 64) {
      const int64_t vectors = (g->pixels - q0 + 15) / 16;
      const int nv = vectors < 4 ? (int)vectors : 4;
      switch (no * 8 + nv) {
        LICHEN_BLOCKS(1)
        LICHEN_BLOCKS(2)
        LICHEN_BLOCKS(3)
        LICHEN_BLOCKS(4)
        LICHEN_BLOCKS(5)
        LICHEN_BLOCKS(6)
        default: break;
      }
    }
  }
}

// GDN pool of output channel i, pixels q0..<q0+8*NV, over uint64 terms: beta plus
// gamma * s for its nonzero gammas, each product exact in vpmuludq (gamma < 2^24,
// s <= 2^30), the sums wrapping like the Swift engine's.
LICHEN_ALWAYS_INLINE void widePool(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, const int NV) AVX512;
LICHEN_ALWAYS_INLINE void widePool(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, const int NV) {
  __m512i acc[8];
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) acc[v] = _mm512_set1_epi64(g->beta[i]);
  for (int64_t e = g->termFirst[i]; e < g->termFirst[i + 1]; e++) {
    const __m512i gamma = _mm512_set1_epi64(g->termGamma[e]);
    const uint64_t *row = s + g->termChannel[e] * ps + q0;
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[v] = _mm512_add_epi64(acc[v], _mm512_mul_epu32(_mm512_loadu_si512(row + 8 * v), gamma));
  }
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) _mm512_storeu_si512(pool + i * ps + q0 + 8 * v, acc[v]);
}

void lichen_gdn_pool_wide_avx512(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool) AVX512;
void lichen_gdn_pool_wide_avx512(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool) {
  for (int64_t i = 0; i < g->channels; i++) {
    for (int64_t q0 = 0; q0 < ps; q0 += 64) {
      switch (ps - q0 >= 64 ? 8 : (int)(ps - q0) / 8) {  // ps is a multiple of 16
        case 2: widePool(g, s, ps, pool, i, q0, 2); break;
        case 4: widePool(g, s, ps, pool, i, q0, 4); break;
        case 6: widePool(g, s, ps, pool, i, q0, 6); break;
        default: widePool(g, s, ps, pool, i, q0, 8); break;
      }
    }
  }
}

// GDN pool of output channel i, pixels q0..<q0+16*NV, over int16 pairs of terms:
// vpdpwssd over its pairs with a nonzero gamma, int32 runs of runPairs pairs
// flushed to int64, plus beta.
LICHEN_ALWAYS_INLINE void pairPool(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, int64_t runPairs, const int NV) AVX512;
LICHEN_ALWAYS_INLINE void pairPool(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t *pool, int64_t i,
                                   int64_t q0, int64_t runPairs, const int NV) {
  __m512i lo[4], hi[4];
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) lo[v] = hi[v] = _mm512_set1_epi64(g->beta[i]);
  int64_t e = g->pairFirst[i];
  const int64_t end = g->pairFirst[i + 1];
  while (e < end) {
    const int64_t runEnd = e + runPairs < end ? e + runPairs : end;
    __m512i acc[4];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[v] = _mm512_setzero_si512();
    for (; e < runEnd; e++) {
      const __m512i b = _mm512_set1_epi32(g->pairGammas[e]);
      const int16_t *x = pairs + 2 * (g->pairIndex[e] * ps + q0);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) acc[v] = _mm512_dpwssd_epi32(acc[v], _mm512_loadu_si512(x + 32 * v), b);
    }
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) {
      lo[v] = _mm512_add_epi64(lo[v], _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc[v])));
      hi[v] = _mm512_add_epi64(hi[v], _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc[v], 1)));
    }
  }
#pragma clang loop unroll(full)
  for (int v = 0; v < NV; v++) {
    _mm512_storeu_si512(pool + i * ps + q0 + 16 * v, lo[v]);
    _mm512_storeu_si512(pool + i * ps + q0 + 16 * v + 8, hi[v]);
  }
}

void lichen_gdn_pool_pairs_avx512(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t pixels,
                                  int64_t runPairs, int64_t *pool) AVX512;
void lichen_gdn_pool_pairs_avx512(const LichenGDN *g, const int16_t *pairs, int64_t ps, int64_t pixels,
                                  int64_t runPairs, int64_t *pool) {
  for (int64_t i = 0; i < g->channels; i++) {
    for (int64_t q0 = 0; q0 < pixels; q0 += 64) {
      switch (pixels - q0 >= 64 ? 4 : (int)((pixels - q0 + 15) / 16)) {
        case 1: pairPool(g, pairs, ps, pool, i, q0, runPairs, 1); break;
        case 2: pairPool(g, pairs, ps, pool, i, q0, runPairs, 2); break;
        case 3: pairPool(g, pairs, ps, pool, i, q0, runPairs, 3); break;
        default: pairPool(g, pairs, ps, pool, i, q0, runPairs, 4); break;
      }
    }
  }
}

// NormalizationTable.evaluate's exponent n, segment index and fraction of 8 pools (a table function).
LICHEN_ALWAYS_INLINE void tablePosition8(const LichenGDN *g, __m512i pool, __m512i *n, __m512i *index,
                                         __m512i *fraction) AVX512;
LICHEN_ALWAYS_INLINE void tablePosition8(const LichenGDN *g, __m512i pool, __m512i *n, __m512i *index,
                                         __m512i *fraction) {
  __m512i p = _mm512_max_epi64(pool, _mm512_set1_epi64(1));
  __m512i lz = _mm512_lzcnt_epi64(p);
  __m512i log2 = _mm512_sub_epi64(_mm512_set1_epi64(63), lz);
  // p << (30 - n) or p >> (n - 30) is p with its top bit moved to bit 63, shifted right by 33, or by 32
  // for the square-root kinds' odd log2 (n = log2 - 1, top bit at 31).
  __m512i top = _mm512_sllv_epi64(p, lz), mantissa;
  if (g->function == LICHEN_GDN_RECIPROCAL) {
    *n = log2;
    mantissa = _mm512_srli_epi64(top, 33);
  } else {
    const __m512i one = _mm512_set1_epi64(1);
    *n = _mm512_andnot_si512(one, log2);
    mantissa = _mm512_srlv_epi64(top, _mm512_sub_epi64(_mm512_set1_epi64(33), _mm512_and_si512(log2, one)));
  }
  __m512i offset = _mm512_sub_epi64(mantissa, _mm512_set1_epi64((int64_t)1 << 30));
  *index = _mm512_srl_epi64(offset, _mm_cvtsi64_si128(30 - g->indexBits));
  *fraction = _mm512_and_si512(offset, _mm512_set1_epi64(((int64_t)1 << (30 - g->indexBits)) - 1));
}

// a + (((b - a) * fraction) >> segmentShift) from the low 32 bits of a and of b - a in each lane: with
// every knot in [0, 2^31), |b - a| < 2^31 and fraction < 2^30 make one signed 32 x 32 -> 64 multiply
// exact, and the value, between a and b, is in [0, 2^31): its low 32 bits, all that tableFinish8 reads,
// are right whatever the high halves of a hold.
LICHEN_ALWAYS_INLINE __m512i tableValue8(const LichenGDN *g, __m512i a, __m512i d, __m512i fraction) AVX512;
LICHEN_ALWAYS_INLINE __m512i tableValue8(const LichenGDN *g, __m512i a, __m512i d, __m512i fraction) {
  return _mm512_add_epi64(a, _mm512_sra_epi64(_mm512_mul_epi32(d, fraction), _mm_cvtsi64_si128(30 - g->indexBits)));
}

// clamp(round_shift(x * value, multiplier, shift + fractionBits - e)) of 8 pixels, value in the low 32 bits
// of each lane; 0 when a lane needs the scalar code.
LICHEN_ALWAYS_INLINE int tableFinish8(const LichenGDN *g, int64_t i, __m512i n, __m512i value, __m512i x,
                                      __m128i *out) AVX512;
LICHEN_ALWAYS_INLINE int tableFinish8(const LichenGDN *g, int64_t i, __m512i n, __m512i value, __m512i x,
                                      __m128i *out) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i exponent;
  if (g->function == LICHEN_GDN_INVERSE_SQUARE_ROOT) exponent = _mm512_sub_epi64(zero, _mm512_srli_epi64(n, 1));
  else if (g->function == LICHEN_GDN_SQUARE_ROOT) exponent = _mm512_srli_epi64(n, 1);
  else exponent = _mm512_sub_epi64(zero, n);
  __m512i product = _mm512_mul_epi32(x, value);
  __m512i shift = _mm512_sub_epi64(_mm512_set1_epi64(g->shift[i] + g->fractionBits), exponent);
  __m512i r;
  if (!roundShift8(product, g->multiplier[i], shift, &r)) return 0;
  r = _mm512_min_epi64(_mm512_max_epi64(r, _mm512_set1_epi64(g->lower)), _mm512_set1_epi64(g->upper));
  *out = _mm512_cvtepi64_epi16(r);
  return 1;
}

// The normaliser of NormalizationTable.evaluate and IntGDN on 8 pixels; 0 when a lane needs the scalar code.
// pairs: the packed knots of lichen_gdn_normalise_avx512, or NULL to gather whole knots.
LICHEN_ALWAYS_INLINE int normalise8(const LichenGDN *g, int64_t i, const int64_t *pairs, __m512i pool, __m512i x,
                                    __m128i *out) AVX512;
LICHEN_ALWAYS_INLINE int normalise8(const LichenGDN *g, int64_t i, const int64_t *pairs, __m512i pool, __m512i x,
                                    __m128i *out) {
  const __m512i zero = _mm512_setzero_si512();
  if (g->function == LICHEN_GDN_PRODUCT) {
    // x * (P >> excess), P cut to 30 significant bits.
    __m512i pv = _mm512_max_epi64(pool, zero);
    __m512i excess = _mm512_max_epi64(_mm512_sub_epi64(_mm512_set1_epi64(64 - 30), _mm512_lzcnt_epi64(pv)), zero);
    __m512i product = _mm512_mul_epi32(x, _mm512_srlv_epi64(pv, excess));
    __m512i shift = _mm512_sub_epi64(_mm512_set1_epi64(g->shift[i]), excess);
    __m512i r;
    if (!roundShift8(product, g->multiplier[i], shift, &r)) return 0;
    r = _mm512_min_epi64(_mm512_max_epi64(r, _mm512_set1_epi64(g->lower)), _mm512_set1_epi64(g->upper));
    *out = _mm512_cvtepi64_epi16(r);
    return 1;
  }
  if (!g->entriesFit31) return 0;
  __m512i n, index, fraction;
  tablePosition8(g, pool, &n, &index, &fraction);
  if (pairs) {
    __m512i pair = _mm512_i64gather_epi64(index, (const void *)pairs, 8);
    return tableFinish8(g, i, n, tableValue8(g, pair, _mm512_srli_epi64(pair, 32), fraction), x, out);
  }
  __m512i a = _mm512_i64gather_epi64(index, (const void *)g->entries, 8);
  __m512i b = _mm512_i64gather_epi64(index, (const void *)(g->entries + 1), 8);
  return tableFinish8(g, i, n, tableValue8(g, a, _mm512_sub_epi64(b, a), fraction), x, out);
}

int32_t lichen_gdn_operand_avx512(const LichenGDN *g, int64_t first, int64_t count, int64_t ps, void *operand,
                                  int64_t *sMax) AVX512;
int32_t lichen_gdn_operand_avx512(const LichenGDN *g, int64_t first, int64_t count, int64_t ps, void *operand,
                                  int64_t *sMax) {
  return lichen_gdn_operand(g, first, count, ps, operand, sMax, 1);
}

void lichen_gdn_normalise_avx512(const LichenGDN *g, const int64_t *pool, int64_t ps, int64_t first,
                                 int64_t count) AVX512;
void lichen_gdn_normalise_avx512(const LichenGDN *g, const int64_t *pool, int64_t ps, int64_t first, int64_t count) {
  // Tables of up to 8 index bits with every knot in [0, 2^31): one gather per 8 pixels of knot k and
  // knot k + 1 - knot k packed in 64 bits (low, high), not two of knots k and k + 1.
  int64_t packed[3 * 256];
  const int64_t *pairs = NULL;
  if (g->function != LICHEN_GDN_PRODUCT && g->entriesFit31 && g->indexBits >= 1 && g->indexBits <= 8) {
    const int64_t segments = (int64_t)(g->function == LICHEN_GDN_RECIPROCAL ? 1 : 3) << g->indexBits;
    for (int64_t k = 0; k < segments; k++)
      packed[k] = (int64_t)((uint64_t)(uint32_t)g->entries[k] |
                            (uint64_t)(uint32_t)(g->entries[k + 1] - g->entries[k]) << 32);
    pairs = packed;
  }
  for (int64_t i = 0; i < g->channels; i++) {
    const int16_t *x = g->input + i * g->plane + first;
    int16_t *y = g->output + i * g->plane + first;
    const int64_t *p = pool + i * ps;
    int64_t q = 0;
    for (; q + 8 <= count; q += 8) {
      __m128i r;
      __m512i xv = _mm512_cvtepi16_epi64(_mm_loadu_si128((const __m128i *)(x + q)));
      if (normalise8(g, i, pairs, _mm512_loadu_si512(p + q), xv, &r)) {
        _mm_storeu_si128((__m128i *)(y + q), r);
      } else {
        for (int l = 0; l < 8; l++) y[q + l] = lichen_gdn_normalise_one(g, i, p[q + l], x[q + l]);
      }
    }
    for (; q < count; q++) y[q] = lichen_gdn_normalise_one(g, i, p[q], x[q]);
  }
}

#endif

// Path selection, exact scalar arithmetic, the portable kernels and the tile
// drivers shared by every path.
#include "Internal.h"

#include <stdlib.h>
#include <string.h>

// MARK: - Path selection

static int32_t supportedMask(void) {
  int32_t mask = 1 << LICHEN_KERNEL_FALLBACK;
#ifdef LICHEN_X86_64
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) mask |= 1 << LICHEN_KERNEL_AVX2;
  // CD (vplzcntq) serves the GDN normaliser; every VNNI CPU has it.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512vnni"))
    mask |= 1 << LICHEN_KERNEL_AVX512VNNI;
#endif
  return mask;
}

int32_t lichen_kernel_supported(int32_t path) {
  if (path < LICHEN_KERNEL_FALLBACK || path > LICHEN_KERNEL_AVX512VNNI) return 0;
  return (supportedMask() >> path) & 1;
}

static int32_t requestedPath = -3;  // -3: the environment is not read yet
static int32_t activePath = -1;     // -1: not chosen yet

int32_t lichen_kernel_requested(void) {
  int32_t requested = __atomic_load_n(&requestedPath, __ATOMIC_ACQUIRE);
  if (requested != -3) return requested;
  const char *name = getenv("LICHEN_INTEGER_KERNEL");
  requested = -1;
  if (name && *name) {
    if (strcmp(name, "fallback") == 0) requested = LICHEN_KERNEL_FALLBACK;
    else if (strcmp(name, "avx2") == 0) requested = LICHEN_KERNEL_AVX2;
    else if (strcmp(name, "avx512vnni") == 0) requested = LICHEN_KERNEL_AVX512VNNI;
    else requested = -2;
  }
  __atomic_store_n(&requestedPath, requested, __ATOMIC_RELEASE);
  return requested;
}

static int32_t initialPath(void) {
  int32_t requested = lichen_kernel_requested();
  if (requested >= 0 && lichen_kernel_supported(requested)) return requested;
  for (int32_t path = LICHEN_KERNEL_AVX512VNNI; path > LICHEN_KERNEL_FALLBACK; path--)
    if (lichen_kernel_supported(path)) return path;
  return LICHEN_KERNEL_FALLBACK;
}

int32_t lichen_kernel_active(void) {
  int32_t path = __atomic_load_n(&activePath, __ATOMIC_ACQUIRE);
  if (path >= 0) return path;
  int32_t expected = -1;
  __atomic_compare_exchange_n(&activePath, &expected, initialPath(), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  return __atomic_load_n(&activePath, __ATOMIC_ACQUIRE);
}

int32_t lichen_kernel_force(int32_t path) {
  if (path < 0) path = initialPath();
  if (!lichen_kernel_supported(path)) return 0;
  __atomic_store_n(&activePath, path, __ATOMIC_RELEASE);
  return 1;
}

int64_t lichen_kernel_next(int64_t *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

// MARK: - Exact scalar arithmetic (a line-by-line port of FixedPointScale.roundingShift)

static int64_t wideRoundingShift(int64_t high, uint64_t low, int64_t s) {
  int negative = high < 0;
  if (s <= 0) return negative ? INT64_MIN : INT64_MAX;
  uint64_t h = (uint64_t)high, l = low;
  if (s - 1 < 64) {
    uint64_t sum = l + ((uint64_t)1 << (s - 1));
    if (sum < l) h += 1;
    l = sum;
  } else if (s - 1 < 127) {
    h += (uint64_t)1 << (s - 1 - 64);
  }
  int64_t hs = (int64_t)h, rh;
  uint64_t rl;
  if (s >= 128) {
    rh = hs >> 63;
    rl = (uint64_t)(hs >> 63);
  } else if (s >= 64) {
    rh = hs >> 63;
    rl = (uint64_t)(hs >> (s - 64));
  } else {
    rh = hs >> s;
    rl = (l >> s) | (h << (64 - s));
  }
  if (rh == 0 && rl >> 63 == 0) return (int64_t)rl;
  if (rh == -1 && rl >> 63 == 1) return (int64_t)rl;
  return rh < 0 ? INT64_MIN : INT64_MAX;
}

int64_t lichen_round_shift(int64_t a, int64_t b, int64_t s) {
  __int128 product = (__int128)a * (__int128)b;
  int64_t high = (int64_t)(product >> 64);
  uint64_t low = (uint64_t)product;
  if ((high == 0 && low >> 63 == 0) || (high == -1 && low >> 63 == 1)) {
    int64_t p = (int64_t)low;
    if (s <= 0) {
      if (s < -62) return p == 0 ? 0 : (p > 0 ? INT64_MAX : INT64_MIN);
      int64_t r;
      if (__builtin_mul_overflow(p, (int64_t)1 << -s, &r)) return p > 0 ? INT64_MAX : INT64_MIN;
      return r;
    }
    if (s < 63) {
      int64_t sum;
      if (!__builtin_add_overflow(p, (int64_t)1 << (s - 1), &sum)) return sum >> s;
    }
  }
  return wideRoundingShift(high, low, s);
}

// MARK: - Portable GEMM

void lichen_gemm_portable(const LichenGemm *g) {
  const LichenRequantization *r = g->requantization;
  for (int64_t o = 0; o < g->outputs; o++) {
    const int16_t *w = g->weights + o * g->weightStride;
    for (int64_t q0 = 0; q0 < g->pixels; q0 += 16) {
      int64_t totals[16] = {0};
      int64_t start = 0;
      do {  // at least one run: a phase without taps (kPairs == 0) still writes its bias
        int64_t end = start + g->runPairs < g->kPairs ? start + g->runPairs : g->kPairs;
        uint32_t acc[16] = {0};  // wraps like the int32 lanes of the SIMD paths
        for (int64_t m = start; m < end; m++) {
          const int16_t *x = g->rows[m] + 2 * q0;
          int32_t w0 = w[2 * m], w1 = w[2 * m + 1];
          for (int l = 0; l < 16; l++) acc[l] += (uint32_t)(w0 * x[2 * l]) + (uint32_t)(w1 * x[2 * l + 1]);
        }
        for (int l = 0; l < 16; l++) {
          int64_t v = (int32_t)acc[l];
          if (g->wideDecode && v == INT32_MIN) v = (int64_t)1 << 31;
          totals[l] += v;
        }
        start = end;
      } while (start < g->kPairs);
      int64_t n = g->pixels - q0 < 16 ? g->pixels - q0 : 16;
      for (int64_t l = 0; l < n; l++)
        g->out16[o * g->outStride + q0 + l] =
            lichen_requantize(totals[l], r->bias[o], r->multiplier[o], r->shift[o], r->lower, r->upper);
    }
  }
}

static void gemm(int32_t path, const LichenGemm *g) {
#ifdef LICHEN_X86_64
  if (path == LICHEN_KERNEL_AVX512VNNI) {
    lichen_gemm_avx512(g);
    return;
  }
  if (path == LICHEN_KERNEL_AVX2) {
    lichen_gemm_avx2(g);
    return;
  }
#endif
  (void)path;
  lichen_gemm_portable(g);
}

// Pair runs for an int32 run bound of `int32Rows` patch rows.
static void runs(int64_t int32Rows, int64_t kPairs, int64_t *runPairs, int32_t *wideDecode) {
  int64_t pairs = int32Rows >= 2 ? int32Rows / 2 : 1;
  *runPairs = pairs < kPairs ? pairs : (kPairs > 0 ? kPairs : 1);
  *wideDecode = int32Rows < 2;
}

static int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// MARK: - Convolution tiles

// Scratch of a tile: the patches (im2col tiles), the output tile, where each tap
// reads, and the row of every pair (im2col or in-place pairs, whichever is more).
int64_t lichen_convolution_scratch_bytes(const LichenConvolution *c, int64_t pixels) {
  int64_t kPairs = (c->inChannels * c->taps + 1) / 2, channelPairs = (c->inChannels + 1) / 2 * c->taps;
  int64_t ps = roundUp(pixels, 16);
  return 4 * kPairs * ps + roundUp(2 * c->outChannels * ps, 64) + roundUp(32 * c->taps, 64) +
         8 * (kPairs > channelPairs ? kPairs : channelPairs) + 64;
}

// The paired buffer holds every pad row and 64 more columns on the right: a tile
// reads whole 16-pixel vectors past its last pixel.
int64_t lichen_paired_input_bytes(const LichenConvolution *c, int64_t padTop, int64_t padBottom, int64_t padLeft,
                                  int64_t padRight) {
  int64_t rows = c->windowHeight + padTop + padBottom, width = c->inputWidth + padLeft + padRight + 64;
  return 4 * ((c->inChannels + 1) / 2 * rows + 1) * width + 64;
}

void lichen_paired_input(int32_t path, const LichenConvolution *c, int64_t padTop, int64_t padBottom, int64_t padLeft,
                         int64_t padRight, int64_t firstPair, int64_t count, void *buffer, LichenPairedInput *paired) {
  const int64_t pairs = (c->inChannels + 1) / 2, rows = c->windowHeight + padTop + padBottom;
  const int64_t width = c->inputWidth + padLeft + padRight + 64, plane = c->windowHeight * c->inputWidth;
  int16_t *data = (int16_t *)buffer, *zeros = data + 2 * pairs * rows * width;
  (void)path;
  for (int64_t p = firstPair; p < firstPair + count && p < pairs; p++) {
    for (int64_t b = 0; b < rows; b++) {
      int16_t *d = data + 2 * (p * rows + b) * width;
      int64_t iy = c->windowStart - padTop + b;
      if (iy < 0 || iy >= c->inputHeight || iy < c->windowStart || iy >= c->windowStart + c->windowHeight) {
        memset(d, 0, (size_t)(4 * width));
        continue;
      }
      memset(d, 0, (size_t)(4 * padLeft));
      memset(d + 2 * (padLeft + c->inputWidth), 0, (size_t)(4 * (width - padLeft - c->inputWidth)));
      const int16_t *a = c->input + 2 * p * plane + (iy - c->windowStart) * c->inputWidth;
      const int16_t *second = 2 * p + 1 < c->inChannels ? a + plane : NULL;
      int64_t done = 0;
#ifdef LICHEN_X86_64
      if (path == LICHEN_KERNEL_AVX512VNNI) done = lichen_pairs_avx512(d + 2 * padLeft, a, second, c->inputWidth, 1);
      else if (path == LICHEN_KERNEL_AVX2) done = lichen_pairs_avx2(d + 2 * padLeft, a, second, c->inputWidth, 1);
#endif
      for (int64_t x = done; x < c->inputWidth; x++) {
        d[2 * (padLeft + x)] = a[x];
        d[2 * (padLeft + x) + 1] = second ? second[x] : 0;
      }
    }
  }
  if (firstPair == 0) memset(zeros, 0, (size_t)(4 * width));
  *paired = (LichenPairedInput){.data = data, .pairs = pairs, .rows = rows, .width = width,
                                .firstRow = c->windowStart - padTop, .left = padLeft, .zeros = zeros};
}

// Where a tap reads: the input row of the current phase row (-1: padding) and
// its columns: c * step + dx is inside the row for first <= c < end, and the
// vector loop may run up to vectorEnd (with step 2 it also reads the next element).
typedef struct TapRead {
  int64_t rowOffset, first, end, vectorEnd;
} TapRead;

// Interleaves pixels c0..<c0+n of two patch rows into d. a / b: the input row
// at column 0 (NULL: a zero row) and its tap.
static void gatherSegment(int32_t path, int16_t *d, const int16_t *a, const TapRead *ta, int64_t dxA, const int16_t *b,
                          const TapRead *tb, int64_t dxB, int64_t c0, int64_t n, int64_t step, int64_t width) {
  int64_t lo = c0, hi = c0 + n, done = 0;
  (void)path;
  if (a) {
    if (ta->first > lo) lo = ta->first;
    if (ta->vectorEnd < hi) hi = ta->vectorEnd;
  }
  if (b) {
    if (tb->first > lo) lo = tb->first;
    if (tb->vectorEnd < hi) hi = tb->vectorEnd;
  }
  if (lo < hi && (a || b)) {
    const int16_t *pa = a ? a + lo * step + dxA : NULL;
    const int16_t *pb = b ? b + lo * step + dxB : NULL;
    int16_t *pd = d + 2 * (lo - c0);
#ifdef LICHEN_X86_64
    if (path == LICHEN_KERNEL_AVX512VNNI) done = lichen_pairs_avx512(pd, pa, pb, hi - lo, step);
    else if (path == LICHEN_KERNEL_AVX2) done = lichen_pairs_avx2(pd, pa, pb, hi - lo, step);
#endif
    (void)pa, (void)pb, (void)pd;
  } else {
    lo = c0;
  }
  // The rest one element at a time: the edges, and everything on the portable path.
  for (int64_t c = c0; c < c0 + n; c++) {
    if (c == lo && done > 0) {
      c += done - 1;
      continue;
    }
    int64_t ia = c * step + dxA, ib = c * step + dxB;
    d[2 * (c - c0)] = a && ia >= 0 && ia < width ? a[ia] : 0;
    d[2 * (c - c0) + 1] = b && ib >= 0 && ib < width ? b[ib] : 0;
  }
}

void lichen_convolution_tile(int32_t path, const LichenConvolution *c, const LichenConvolutionTile *tile,
                             void *scratch) {
  const int64_t k = c->inChannels * c->taps, kPairs = (k + 1) / 2;
  const int64_t pixels = tile->rowCount * tile->colCount, ps = roundUp(pixels, 16);
  const int64_t step = c->inputStep, width = c->inputWidth, plane = c->windowHeight * c->inputWidth;
  int16_t *patches = (int16_t *)scratch;
  int16_t *out = patches + 2 * kPairs * ps;
  TapRead *reads = (TapRead *)((char *)scratch + 4 * kPairs * ps + roundUp(2 * c->outChannels * ps, 64));
  const int16_t **rows = (const int16_t **)((char *)reads + roundUp(32 * c->taps, 64));
  const int16_t *weights = c->weights;
  int64_t pairCount = kPairs;

  if (c->paired && c->pairedWeights && step == 1 && tile->rowCount == 1) {
    // In place: pair row p * taps + t is input channels 2p, 2p + 1 of tap t, a run of the paired buffer.
    const LichenPairedInput *in = c->paired;
    weights = c->pairedWeights;
    pairCount = in->pairs * c->taps;
    for (int64_t t = 0; t < c->taps; t++) {
      int64_t b = tile->rowFirst + c->tapDy[t] - in->firstRow;
      int64_t column = in->left + tile->colFirst + c->tapDx[t];
      for (int64_t p = 0; p < in->pairs; p++)
        rows[p * c->taps + t] = b >= 0 && b < in->rows ? in->data + 2 * ((p * in->rows + b) * in->width + column)
                                                       : in->zeros + 2 * column;
    }
  } else {
    for (int64_t t = 0; t < c->taps; t++) {
      int64_t dx = c->tapDx[t];
      TapRead *read = &reads[t];
      read->first = dx >= 0 ? 0 : (-dx + step - 1) / step;
      read->end = width - 1 - dx < 0 ? 0 : (width - 1 - dx) / step + 1;
      int64_t last = width - 1 - dx - (step == 2 ? 1 : 0);
      read->vectorEnd = last < 0 ? 0 : last / step + 1;
      if (read->vectorEnd > read->end) read->vectorEnd = read->end;
    }

    // Gather: pair row m holds patch rows 2m and 2m+1 (patch row i * taps + t), zero outside the input.
    for (int64_t r = 0; r < tile->rowCount; r++) {
      const int64_t j = tile->rowFirst + r;
      for (int64_t t = 0; t < c->taps; t++) {
        int64_t iy = j * step + c->tapDy[t];
        int inside = iy >= 0 && iy < c->inputHeight && iy >= c->windowStart && iy < c->windowStart + c->windowHeight;
        reads[t].rowOffset = inside ? (iy - c->windowStart) * width : -1;
      }
      int64_t i = 0, t = 0;  // channel and tap of patch row 2m
      for (int64_t m = 0; m < kPairs; m++) {
        const TapRead *ta = &reads[t];
        const int16_t *a = ta->rowOffset >= 0 ? c->input + i * plane + ta->rowOffset : NULL;
        int64_t dxA = c->tapDx[t];
        if (++t == c->taps) t = 0, i++;
        const TapRead *tb = &reads[t];
        const int16_t *b = NULL;
        int64_t dxB = 0;
        if (2 * m + 1 < k) {
          b = tb->rowOffset >= 0 ? c->input + i * plane + tb->rowOffset : NULL;
          dxB = c->tapDx[t];
          if (++t == c->taps) t = 0, i++;
        }
        gatherSegment(path, patches + 2 * (m * ps + r * tile->colCount), a, ta, dxA, b, tb, dxB, tile->colFirst,
                      tile->colCount, step, width);
      }
    }
    for (int64_t m = 0; m < kPairs; m++) {
      rows[m] = patches + 2 * m * ps;
      if (ps > pixels) memset(patches + 2 * (m * ps + pixels), 0, (size_t)(4 * (ps - pixels)));
    }
  }

  // A tile of one output row, or of whole output rows, is a run of every output
  // plane: the kernels write it in place. Other tiles (the phases of a
  // transposed convolution) go through `out` and are scattered.
  const int64_t planeSize = c->outputHeight * c->outputWidth;
  const int direct = c->outputStep == 1 && (tile->rowCount == 1 || (c->colOffset == 0 && tile->colFirst == 0 &&
                                                                    tile->colCount == c->outputWidth));
  LichenGemm g = {
      .weights = weights,
      .weightStride = 2 * pairCount,
      .rows = rows,
      .outputs = c->outChannels,
      .kPairs = pairCount,
      .pixels = pixels,
      .requantization = &c->requantization,
      .out16 = out,
      .outStride = ps,
  };
  if (direct) {
    g.out16 = c->output + (c->rowOffset + tile->rowFirst - c->outputStart) * c->outputWidth + c->colOffset +
              tile->colFirst;
    g.outStride = planeSize;
  }
  runs(c->int32Rows, pairCount, &g.runPairs, &g.wideDecode);
  gemm(path, &g);
  if (direct) return;

  // Scatter the tile into the output planes.
  for (int64_t o = 0; o < c->outChannels; o++) {
    for (int64_t r = 0; r < tile->rowCount; r++) {
      int64_t oy = c->rowOffset + (tile->rowFirst + r) * c->outputStep - c->outputStart;
      int16_t *dst = c->output + o * planeSize + oy * c->outputWidth + c->colOffset + tile->colFirst * c->outputStep;
      const int16_t *src = out + o * ps + r * tile->colCount;
      if (c->outputStep == 1) {
        memcpy(dst, src, (size_t)(2 * tile->colCount));
#ifdef LICHEN_X86_64
      } else if (c->outputStep == 2 && path == LICHEN_KERNEL_AVX512VNNI) {
        lichen_scatter2_avx512(dst, src, tile->colCount);
#endif
      } else {
        for (int64_t q = 0; q < tile->colCount; q++) dst[q * c->outputStep] = src[q];
      }
    }
  }
}

// MARK: - GDN tiles

int64_t lichen_gdn_scratch_bytes(const LichenGDN *g, int64_t pixels) {
  int64_t ps = roundUp(pixels, 16);
  return 16 * g->channels * ps + 64;  // the pool, and the terms (8 bytes each, or 4 per pair)
}

int16_t lichen_gdn_normalise_one(const LichenGDN *g, int64_t i, int64_t pool, int16_t x) {
  const int64_t xv = x;
  int64_t y;
  if (g->function == LICHEN_GDN_PRODUCT) {
    uint64_t pv = pool > 0 ? (uint64_t)pool : 0;
    int64_t bits = pv == 0 ? 0 : 64 - __builtin_clzll(pv);
    int64_t excess = bits - 30 > 0 ? bits - 30 : 0;
    int64_t product = (int64_t)((uint64_t)xv * (pv >> excess));
    y = lichen_round_shift(product, g->multiplier[i], g->shift[i] - excess);
  } else {
    uint64_t p = pool > 1 ? (uint64_t)pool : 1;
    int64_t log2 = 63 - __builtin_clzll(p);
    int64_t n = g->function == LICHEN_GDN_RECIPROCAL ? log2 : (log2 & ~(int64_t)1);
    uint64_t mantissa = n <= 30 ? p << (30 - n) : p >> (n - 30);
    uint64_t offset = mantissa - ((uint64_t)1 << 30);
    int64_t segmentShift = 30 - g->indexBits;
    int64_t index = (int64_t)(offset >> segmentShift);
    int64_t fraction = (int64_t)(offset & (((uint64_t)1 << segmentShift) - 1));
    int64_t a = g->entries[index], b = g->entries[index + 1];
    int64_t value = a + ((int64_t)((uint64_t)(b - a) * (uint64_t)fraction) >> segmentShift);
    int64_t e = g->function == LICHEN_GDN_INVERSE_SQUARE_ROOT ? -(n / 2) : (g->function == LICHEN_GDN_SQUARE_ROOT ? n / 2 : -n);
    int64_t product = (int64_t)((uint64_t)xv * (uint64_t)value);
    y = lichen_round_shift(product, g->multiplier[i], g->shift[i] + g->fractionBits - e);
  }
  if (y < g->lower) y = g->lower;
  if (y > g->upper) y = g->upper;
  return (int16_t)(uint16_t)(uint64_t)y;
}

void lichen_gdn_pool_wide_portable(const LichenGDN *g, const uint64_t *s, int64_t ps, int64_t *pool) {
  for (int64_t i = 0; i < g->channels; i++) {
    uint64_t *acc = (uint64_t *)(pool + i * ps);
    for (int64_t q = 0; q < ps; q++) acc[q] = (uint64_t)g->beta[i];
    for (int64_t e = g->termFirst[i]; e < g->termFirst[i + 1]; e++) {
      const uint64_t gamma = (uint64_t)g->termGamma[e], *row = s + g->termChannel[e] * ps;
      for (int64_t q = 0; q < ps; q++) acc[q] += gamma * row[q];
    }
  }
}

void lichen_gdn_tile(int32_t path, const LichenGDN *g, int64_t first, int64_t count, void *scratch) {
  const int64_t ch = g->channels, ps = roundUp(count, 16);
  (void)path;
  int64_t *pool = (int64_t *)scratch;
  void *operand = pool + ch * ps;

  // The largest pooled term s (x^2 or |x|) decides whether pairs of int16 fit.
  int64_t sMax = 0;
  int32_t pairs;
#ifdef LICHEN_X86_64
  if (path == LICHEN_KERNEL_AVX512VNNI) pairs = lichen_gdn_operand_avx512(g, first, count, ps, operand, &sMax);
  else if (path == LICHEN_KERNEL_AVX2) pairs = lichen_gdn_operand_avx2(g, first, count, ps, operand, &sMax);
  else
#endif
    pairs = lichen_gdn_operand(g, first, count, ps, operand, &sMax, 0);

  if (pairs) {
    // Pairs of int16 gammas times pairs of int16 terms, exact in int32 runs (a pair's products stay
    // below 2^31 as both factors are at most 32767).
    int64_t bound = g->maxGamma * sMax, runPairs;
    int32_t wideDecode;
    runs(bound == 0 ? INT64_MAX : INT32_MAX / bound, (ch + 1) / 2, &runPairs, &wideDecode);
#ifdef LICHEN_X86_64
    if (path == LICHEN_KERNEL_AVX512VNNI) lichen_gdn_pool_pairs_avx512(g, (const int16_t *)operand, ps, count, runPairs, pool);
    else lichen_gdn_pool_pairs_avx2(g, (const int16_t *)operand, ps, count, runPairs, pool);
#endif
  } else {
    const uint64_t *s = (const uint64_t *)operand;
#ifdef LICHEN_X86_64
    if (path == LICHEN_KERNEL_AVX512VNNI) lichen_gdn_pool_wide_avx512(g, s, ps, pool);
    else if (path == LICHEN_KERNEL_AVX2) lichen_gdn_pool_wide_avx2(g, s, ps, pool);
    else
#endif
      lichen_gdn_pool_wide_portable(g, s, ps, pool);
  }

#ifdef LICHEN_X86_64
  if (path == LICHEN_KERNEL_AVX512VNNI) {
    lichen_gdn_normalise_avx512(g, pool, ps, first, count);
    return;
  }
  if (path == LICHEN_KERNEL_AVX2) {
    lichen_gdn_normalise_avx2(g, pool, ps, first, count);
    return;
  }
#endif
  for (int64_t i = 0; i < ch; i++) {
    const int16_t *x = g->input + i * g->plane + first;
    int16_t *y = g->output + i * g->plane + first;
    for (int64_t q = 0; q < count; q++) y[q] = lichen_gdn_normalise_one(g, i, pool[i * ps + q], x[q]);
  }
}

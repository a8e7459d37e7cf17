// CLibPNG: libpng 1.6 plus a tiny C shim used by the Imaging target.
//
// libpng's classic API reports errors by calling longjmp(), which must never
// unwind through Swift frames. Every libpng call therefore happens inside the
// `static inline` functions below: each one sets its own setjmp() recovery
// point, installs C callbacks for I/O, errors and warnings, and returns a
// plain status code. Swift only ever sees ordinary C functions that return.
//
// The classic API is used (rather than libpng's simplified png_image_* API)
// because the simplified API applies gamma conversion and alpha
// premultiplication to 16-bit data; the codec wants the stored sample values
// untouched.

#ifndef LICHEN_CLIBPNG_SHIM_H
#define LICHEN_CLIBPNG_SHIM_H

#include <png.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/// Status codes returned by the shim functions.
enum {
  LICHEN_PNG_OK = 0,
  /// libpng reported an error; the context's message holds its text.
  LICHEN_PNG_ERROR = 1,
  /// The input ended before libpng had read everything it needed.
  LICHEN_PNG_TRUNCATED = 2,
  /// An allocation failed.
  LICHEN_PNG_NO_MEMORY = 3,
  /// The caller passed an argument the shim cannot honour (message set).
  LICHEN_PNG_BAD_ARGUMENT = 4,
};

#define LICHEN_PNG_MESSAGE_CAPACITY 512

/// State shared between Swift and the libpng callbacks for one operation.
/// Zero-initialise it, then set `input`/`input_size` when decoding.
typedef struct {
  const uint8_t *input;
  size_t input_size;
  size_t input_offset;
  /// Encoder output, allocated with malloc; release with
  /// lichen_png_free_output().
  uint8_t *output;
  size_t output_size;
  size_t output_capacity;
  int truncated;
  char message[LICHEN_PNG_MESSAGE_CAPACITY];
  /// libpng warnings, separated by '\n' (truncated when full).
  char warnings[LICHEN_PNG_MESSAGE_CAPACITY];
} lichen_png_context;

/// IHDR facts of a PNG stream.
typedef struct {
  uint32_t width;
  uint32_t height;
  int bit_depth;
  int color_type;
  int interlace_type;
  int has_trns;
} lichen_png_header;

static inline void lichen_png_copy_message(char *dst, const char *src) {
  if (src == NULL) {
    src = "unknown libpng error";
  }
  strncpy(dst, src, LICHEN_PNG_MESSAGE_CAPACITY - 1);
  dst[LICHEN_PNG_MESSAGE_CAPACITY - 1] = '\0';
}

static inline void lichen_png_error_fn(png_structp png, png_const_charp msg) {
  lichen_png_context *ctx = (lichen_png_context *)png_get_error_ptr(png);
  if (ctx != NULL && ctx->message[0] == '\0') {
    lichen_png_copy_message(ctx->message, msg);
  }
  png_longjmp(png, 1);
}

static inline void lichen_png_warning_fn(png_structp png, png_const_charp msg) {
  lichen_png_context *ctx = (lichen_png_context *)png_get_error_ptr(png);
  if (ctx == NULL || msg == NULL) {
    return;
  }
  size_t used = strlen(ctx->warnings);
  size_t room = LICHEN_PNG_MESSAGE_CAPACITY - 1 - used;
  if (room < 2) {
    return;
  }
  if (used > 0) {
    ctx->warnings[used++] = '\n';
    room--;
  }
  strncpy(ctx->warnings + used, msg, room);
  ctx->warnings[LICHEN_PNG_MESSAGE_CAPACITY - 1] = '\0';
}

static inline void lichen_png_read_fn(png_structp png, png_bytep out, size_t length) {
  lichen_png_context *ctx = (lichen_png_context *)png_get_io_ptr(png);
  if (ctx->input_size - ctx->input_offset < length) {
    ctx->truncated = 1;
    png_error(png, "unexpected end of data");
  }
  memcpy(out, ctx->input + ctx->input_offset, length);
  ctx->input_offset += length;
}

static inline void lichen_png_write_fn(png_structp png, png_bytep data, size_t length) {
  lichen_png_context *ctx = (lichen_png_context *)png_get_io_ptr(png);
  if (ctx->output_capacity - ctx->output_size < length) {
    size_t capacity = ctx->output_capacity < 4096 ? 4096 : ctx->output_capacity;
    while (capacity - ctx->output_size < length) {
      if (capacity > SIZE_MAX / 2) {
        png_error(png, "output too large");
      }
      capacity *= 2;
    }
    uint8_t *grown = (uint8_t *)realloc(ctx->output, capacity);
    if (grown == NULL) {
      png_error(png, "out of memory");
    }
    ctx->output = grown;
    ctx->output_capacity = capacity;
  }
  memcpy(ctx->output + ctx->output_size, data, length);
  ctx->output_size += length;
}

static inline void lichen_png_flush_fn(png_structp png) { (void)png; }

static inline void lichen_png_free_output(lichen_png_context *ctx) {
  free(ctx->output);
  ctx->output = NULL;
  ctx->output_size = 0;
  ctx->output_capacity = 0;
}

static inline void lichen_png_reset_diagnostics(lichen_png_context *ctx) {
  ctx->input_offset = 0;
  ctx->truncated = 0;
  ctx->message[0] = '\0';
  ctx->warnings[0] = '\0';
}

static inline int lichen_png_failure_status(const lichen_png_context *ctx) {
  return ctx->truncated ? LICHEN_PNG_TRUNCATED : LICHEN_PNG_ERROR;
}

static inline void lichen_png_fill_header(png_structp png, png_infop info,
                                          lichen_png_header *header) {
  header->width = png_get_image_width(png, info);
  header->height = png_get_image_height(png, info);
  header->bit_depth = png_get_bit_depth(png, info);
  header->color_type = png_get_color_type(png, info);
  header->interlace_type = png_get_interlace_type(png, info);
  header->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
}

/// Reads the PNG header (everything up to the first IDAT) from ctx->input.
static inline int lichen_png_read_header(lichen_png_context *ctx, lichen_png_header *header) {
  lichen_png_reset_diagnostics(ctx);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx,
                                           lichen_png_error_fn, lichen_png_warning_fn);
  if (png == NULL) {
    return LICHEN_PNG_NO_MEMORY;
  }
  png_infop info = png_create_info_struct(png);
  if (info == NULL) {
    png_destroy_read_struct(&png, NULL, NULL);
    return LICHEN_PNG_NO_MEMORY;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    return lichen_png_failure_status(ctx);
  }
  png_set_read_fn(png, ctx, lichen_png_read_fn);
  png_read_info(png, info);
  lichen_png_fill_header(png, info, header);
  png_destroy_read_struct(&png, &info, NULL);
  return LICHEN_PNG_OK;
}

/// Decodes ctx->input into interleaved RGB rows at `out`: 8 bits per sample
/// for sources of up to 8 bits, native-endian uint16 samples for 16-bit
/// sources. Palette and gray are expanded to RGB; alpha and tRNS are dropped.
/// `out_size` must equal width * height * 3 * (bit_depth == 16 ? 2 : 1).
static inline int lichen_png_decode_rgb(lichen_png_context *ctx, uint8_t *out,
                                        size_t out_size, lichen_png_header *header) {
  lichen_png_reset_diagnostics(ctx);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx,
                                           lichen_png_error_fn, lichen_png_warning_fn);
  if (png == NULL) {
    return LICHEN_PNG_NO_MEMORY;
  }
  png_infop info = png_create_info_struct(png);
  if (info == NULL) {
    png_destroy_read_struct(&png, NULL, NULL);
    return LICHEN_PNG_NO_MEMORY;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    return lichen_png_failure_status(ctx);
  }
  png_set_read_fn(png, ctx, lichen_png_read_fn);
  png_read_info(png, info);
  lichen_png_fill_header(png, info, header);

  int color_type = header->color_type;
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY && header->bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
  }
  png_set_strip_alpha(png);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (header->bit_depth == 16) {
    png_set_swap(png);
  }
#endif
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);

  size_t bytes_per_sample = header->bit_depth == 16 ? 2 : 1;
  size_t row_bytes = (size_t)header->width * 3 * bytes_per_sample;
  if (png_get_channels(png, info) != 3 ||
      png_get_rowbytes(png, info) != row_bytes ||
      (header->height != 0 && out_size / header->height != row_bytes) ||
      out_size % row_bytes != 0) {
    lichen_png_copy_message(ctx->message, "decoded row layout does not match the output buffer");
    png_destroy_read_struct(&png, &info, NULL);
    return LICHEN_PNG_BAD_ARGUMENT;
  }
  for (int pass = 0; pass < passes; pass++) {
    for (uint32_t y = 0; y < header->height; y++) {
      png_read_row(png, out + (size_t)y * row_bytes, NULL);
    }
  }
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  return LICHEN_PNG_OK;
}

/// Encodes interleaved RGB rows (8-bit samples, or native-endian uint16
/// samples when bit_depth is 16) into ctx->output. No colour-space chunks
/// are written. compression_level is a zlib level, 0...9.
static inline int lichen_png_encode_rgb(lichen_png_context *ctx, const uint8_t *pixels,
                                        uint32_t width, uint32_t height, int bit_depth,
                                        int compression_level) {
  if ((bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0 ||
      compression_level < 0 || compression_level > 9) {
    lichen_png_copy_message(ctx->message, "invalid encoder arguments");
    return LICHEN_PNG_BAD_ARGUMENT;
  }
  lichen_png_reset_diagnostics(ctx);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx,
                                            lichen_png_error_fn, lichen_png_warning_fn);
  if (png == NULL) {
    return LICHEN_PNG_NO_MEMORY;
  }
  png_infop info = png_create_info_struct(png);
  if (info == NULL) {
    png_destroy_write_struct(&png, NULL);
    return LICHEN_PNG_NO_MEMORY;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return LICHEN_PNG_ERROR;
  }
  png_set_write_fn(png, ctx, lichen_png_write_fn, lichen_png_flush_fn);
  png_set_compression_level(png, compression_level);
  png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (bit_depth == 16) {
    png_set_swap(png);
  }
#endif
  size_t row_bytes = (size_t)width * 3 * (bit_depth == 16 ? 2 : 1);
  for (uint32_t y = 0; y < height; y++) {
    png_write_row(png, pixels + (size_t)y * row_bytes);
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return LICHEN_PNG_OK;
}

#endif  // LICHEN_CLIBPNG_SHIM_H

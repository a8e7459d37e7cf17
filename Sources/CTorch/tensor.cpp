// Tensor lifecycle, metadata, creation, random numbers and layout ops.
#include "shim_internal.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <cstring>
#include <malloc.h>

using namespace ctorch;

extern "C" {

void lt_free(lt_tensor t) { delete t; }
lt_tensor lt_shallow_clone(lt_tensor t) { return tensor_call([&] { return T(t); }); }

int lt_set_num_threads(int n) {
  return status_call([&] {
    if (n < 1) throw InvalidArgument("thread count must be >= 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}
int lt_get_num_threads(void) { return at::get_num_threads(); }

// glibc hands every block above 128 KiB (dynamically up to 32 MiB) to mmap
// and returns it on free, so each fresh activation tensor page-faults its
// whole size in again: at 768x512 that is a third of an encode. Serving all
// blocks from the heap and never trimming it keeps freed pages mapped for the
// next tensor (RSS stays at the peak, which the codec reaches anyway).
int lt_retain_freed_memory(void) {
#ifdef __GLIBC__
  if (mallopt(M_MMAP_MAX, 0) != 1) return -1;
  if (mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1) return -1;
  return 0;
#else
  return -1;
#endif
}
int lt_manual_seed(uint64_t seed) { return status_call([&] { at::manual_seed(seed); }); }

int64_t lt_dim(lt_tensor t) { return guarded<int64_t>(-1, [&] { return T(t).dim(); }); }
int64_t lt_sizes(lt_tensor t, int64_t *out, int64_t capacity) {
  return guarded<int64_t>(-1, [&] {
    auto sizes = T(t).sizes();
    for (int64_t i = 0; i < static_cast<int64_t>(sizes.size()) && i < capacity; ++i) out[i] = sizes[i];
    return static_cast<int64_t>(sizes.size());
  });
}
int lt_dtype(lt_tensor t) { return guarded<int>(-1, [&] { return static_cast<int>(T(t).scalar_type()); }); }
int64_t lt_numel(lt_tensor t) { return guarded<int64_t>(-1, [&] { return T(t).numel(); }); }
int lt_requires_grad(lt_tensor t) { return guarded<int>(-1, [&] { return T(t).requires_grad() ? 1 : 0; }); }
int lt_set_requires_grad(lt_tensor t, bool value) {
  return status_call([&] { T(t).set_requires_grad(value); });
}
int lt_is_contiguous(lt_tensor t) { return guarded<int>(-1, [&] { return T(t).is_contiguous() ? 1 : 0; }); }

lt_tensor lt_from_data(const void *data, size_t byte_count, const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] {
    auto result = at::empty(ints(shape, ndim), options(dtype));
    if (result.nbytes() != byte_count)
      throw InvalidArgument("buffer holds " + std::to_string(byte_count) + " bytes, shape needs " +
                            std::to_string(result.nbytes()));
    if (byte_count > 0) std::memcpy(result.data_ptr(), data, byte_count);
    return result;
  });
}
lt_tensor lt_zeros(const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] { return at::zeros(ints(shape, ndim), options(dtype)); });
}
lt_tensor lt_ones(const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] { return at::ones(ints(shape, ndim), options(dtype)); });
}
lt_tensor lt_full(const int64_t *shape, int64_t ndim, double value, int dtype) {
  return tensor_call([&] { return at::full(ints(shape, ndim), value, options(dtype)); });
}
lt_tensor lt_empty(const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] { return at::empty(ints(shape, ndim), options(dtype)); });
}
lt_tensor lt_arange(double start, double end, double step, int dtype) {
  return tensor_call([&] { return at::arange(start, end, step, options(dtype)); });
}
lt_tensor lt_linspace(double start, double end, int64_t steps, int dtype) {
  return tensor_call([&] { return at::linspace(start, end, steps, options(dtype)); });
}
lt_tensor lt_eye(int64_t n, int dtype) { return tensor_call([&] { return at::eye(n, options(dtype)); }); }
lt_tensor lt_scalar_tensor(double value, int dtype) {
  return tensor_call([&] { return at::scalar_tensor(value, options(dtype)); });
}

// MARK: random
lt_generator lt_generator_new(uint64_t seed) {
  return guarded<lt_generator>(nullptr, [&] { return new lt_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed)}; });
}
void lt_generator_free(lt_generator g) { delete g; }
int lt_generator_set_seed(lt_generator g, uint64_t seed) {
  return status_call([&] {
    if (g == nullptr) throw InvalidArgument("null generator");
    std::lock_guard<std::mutex> lock(g->generator.mutex());
    g->generator.set_current_seed(seed);
  });
}
static at::Generator &G(lt_generator g) {
  if (g == nullptr) throw InvalidArgument("null generator");
  return g->generator;
}
lt_tensor lt_rand(lt_generator g, const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] { return at::rand(ints(shape, ndim), G(g), options(dtype)); });
}
lt_tensor lt_randn(lt_generator g, const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] { return at::randn(ints(shape, ndim), G(g), options(dtype)); });
}
lt_tensor lt_uniform(lt_generator g, const int64_t *shape, int64_t ndim, double low, double high, int dtype) {
  return tensor_call([&] {
    auto result = at::empty(ints(shape, ndim), options(dtype));
    result.uniform_(low, high, G(g));
    return result;
  });
}
lt_tensor lt_randint(lt_generator g, int64_t low, int64_t high, const int64_t *shape, int64_t ndim, int dtype) {
  return tensor_call([&] { return at::randint(low, high, ints(shape, ndim), G(g), options(dtype)); });
}
lt_tensor lt_randperm(lt_generator g, int64_t n) {
  return tensor_call([&] { return at::randperm(n, G(g), at::TensorOptions().dtype(at::kLong)); });
}
lt_tensor lt_bernoulli(lt_generator g, lt_tensor probabilities) {
  return tensor_call([&] { return at::bernoulli(T(probabilities), G(g)); });
}

// MARK: data out
int lt_copy_to(lt_tensor t, void *out, size_t byte_count) {
  return status_call([&] {
    auto c = T(t).detach().contiguous();
    if (c.nbytes() != byte_count)
      throw InvalidArgument("destination holds " + std::to_string(byte_count) + " bytes, tensor has " +
                            std::to_string(c.nbytes()));
    if (byte_count > 0) std::memcpy(out, c.data_ptr(), byte_count);
  });
}
int lt_item(lt_tensor t, double *out) { return status_call([&] { *out = T(t).item<double>(); }); }

// MARK: conversion and layout
lt_tensor lt_to_dtype(lt_tensor t, int dtype) { return tensor_call([&] { return T(t).to(scalar_type(dtype)); }); }
lt_tensor lt_contiguous(lt_tensor t) { return tensor_call([&] { return T(t).contiguous(); }); }
lt_tensor lt_contiguous_channels_last(lt_tensor t) {
  return tensor_call([&] { return T(t).contiguous(at::MemoryFormat::ChannelsLast); });
}
lt_tensor lt_clone(lt_tensor t) { return tensor_call([&] { return T(t).clone(); }); }
lt_tensor lt_detach(lt_tensor t) { return tensor_call([&] { return T(t).detach(); }); }
lt_tensor lt_reshape(lt_tensor t, const int64_t *shape, int64_t ndim) {
  return tensor_call([&] { return T(t).reshape(ints(shape, ndim)); });
}
lt_tensor lt_permute(lt_tensor t, const int64_t *dims, int64_t ndim) {
  return tensor_call([&] { return T(t).permute(ints(dims, ndim)); });
}
lt_tensor lt_transpose(lt_tensor t, int64_t d0, int64_t d1) { return tensor_call([&] { return T(t).transpose(d0, d1); }); }
lt_tensor lt_squeeze(lt_tensor t, int64_t dim) { return tensor_call([&] { return T(t).squeeze(dim); }); }
lt_tensor lt_unsqueeze(lt_tensor t, int64_t dim) { return tensor_call([&] { return T(t).unsqueeze(dim); }); }
lt_tensor lt_flatten(lt_tensor t, int64_t start, int64_t end) { return tensor_call([&] { return T(t).flatten(start, end); }); }
lt_tensor lt_expand(lt_tensor t, const int64_t *shape, int64_t ndim) {
  return tensor_call([&] { return T(t).expand(ints(shape, ndim)); });
}
lt_tensor lt_repeat(lt_tensor t, const int64_t *repeats, int64_t ndim) {
  return tensor_call([&] { return T(t).repeat(ints(repeats, ndim)); });
}
lt_tensor lt_narrow(lt_tensor t, int64_t dim, int64_t start, int64_t length) {
  return tensor_call([&] { return T(t).narrow(dim, start, length); });
}
lt_tensor lt_slice(lt_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return tensor_call([&] { return T(t).slice(dim, start, end, step); });
}
lt_tensor lt_select(lt_tensor t, int64_t dim, int64_t index) { return tensor_call([&] { return T(t).select(dim, index); }); }
lt_tensor lt_index_select(lt_tensor t, int64_t dim, lt_tensor index) {
  return tensor_call([&] { return T(t).index_select(dim, T(index)); });
}
lt_tensor lt_gather(lt_tensor t, int64_t dim, lt_tensor index) {
  return tensor_call([&] { return T(t).gather(dim, T(index)); });
}
static std::vector<at::Tensor> tensors(const lt_tensor *ts, int64_t n) {
  if (n < 0 || (n > 0 && ts == nullptr)) throw InvalidArgument("invalid tensor list");
  std::vector<at::Tensor> result;
  result.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) result.push_back(T(ts[i]));
  return result;
}
lt_tensor lt_cat(const lt_tensor *ts, int64_t n, int64_t dim) { return tensor_call([&] { return at::cat(tensors(ts, n), dim); }); }
lt_tensor lt_stack(const lt_tensor *ts, int64_t n, int64_t dim) {
  return tensor_call([&] { return at::stack(tensors(ts, n), dim); });
}
lt_tensor lt_roll(lt_tensor t, const int64_t *shifts, const int64_t *dims, int64_t n) {
  return tensor_call([&] { return at::roll(T(t), ints(shifts, n), ints(dims, n)); });
}
lt_tensor lt_flip(lt_tensor t, const int64_t *dims, int64_t n) { return tensor_call([&] { return at::flip(T(t), ints(dims, n)); }); }
lt_tensor lt_pad(lt_tensor t, const int64_t *pads, int64_t n, int mode, double value) {
  return tensor_call([&] {
    static const char *modes[] = {"constant", "reflect", "replicate"};
    if (mode < 0 || mode > 2) throw InvalidArgument("unknown pad mode " + std::to_string(mode));
    c10::optional<double> fill = mode == 0 ? c10::optional<double>(value) : c10::nullopt;
    return at::pad(T(t), ints(pads, n), modes[mode], fill);
  });
}
lt_tensor lt_masked_fill(lt_tensor t, lt_tensor mask, double value) {
  return tensor_call([&] { return T(t).masked_fill(T(mask), value); });
}
lt_tensor lt_masked_select(lt_tensor t, lt_tensor mask) { return tensor_call([&] { return T(t).masked_select(T(mask)); }); }
lt_tensor lt_where(lt_tensor condition, lt_tensor a, lt_tensor b) {
  return tensor_call([&] { return at::where(T(condition), T(a), T(b)); });
}
lt_tensor lt_argmax(lt_tensor t, int64_t dim, bool keepdim) { return tensor_call([&] { return T(t).argmax(dim, keepdim); }); }
lt_tensor lt_nonzero(lt_tensor t) { return tensor_call([&] { return T(t).nonzero(); }); }

} // extern "C"

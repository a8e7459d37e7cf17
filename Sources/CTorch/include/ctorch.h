// CTorch: a plain C ABI over libtorch 1.13 (ATen + autograd).
//
// Why: Swift must never see a C++ type or a C++ exception. Every function
// here catches all exceptions; on failure it returns NULL (for tensors) or -1
// (for status codes) and leaves a message in a thread-local slot that
// `lt_error_take` returns exactly once. Handles are opaque and owned by the
// caller: each `lt_tensor` returned must be released with `lt_free` exactly
// once. Dtypes cross as `c10::ScalarType` codes (see Torch/DType.swift).
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_tensor_s *lt_tensor;
typedef struct lt_generator_s *lt_generator;

// MARK: errors
/// Error kinds (stable codes): 1 generic libtorch error, 2 index, 3 value,
/// 4 type, 5 not implemented, 6 out of memory, 7 other std::exception,
/// 8 unknown non-std exception, 9 invalid argument detected by the shim.
int lt_error_kind(void);
/// Returns the pending message (malloc'd; caller frees) and clears it, or NULL.
char *lt_error_take(void);

// MARK: lifecycle and runtime
void lt_free(lt_tensor t);
lt_tensor lt_shallow_clone(lt_tensor t);
int lt_set_num_threads(int n);
/// Keeps freed memory in the process heap for reuse (glibc mallopt); 0 on success.
int lt_retain_freed_memory(void);
int lt_get_num_threads(void);
int lt_manual_seed(uint64_t seed);

// MARK: metadata
int64_t lt_dim(lt_tensor t);
/// Writes up to `capacity` sizes; returns the dimension count or -1.
int64_t lt_sizes(lt_tensor t, int64_t *out, int64_t capacity);
int lt_dtype(lt_tensor t);
int64_t lt_numel(lt_tensor t);
int lt_requires_grad(lt_tensor t);
int lt_set_requires_grad(lt_tensor t, bool value);
int lt_is_contiguous(lt_tensor t);

// MARK: creation
lt_tensor lt_from_data(const void *data, size_t byte_count, const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_zeros(const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_ones(const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_full(const int64_t *shape, int64_t ndim, double value, int dtype);
lt_tensor lt_empty(const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_arange(double start, double end, double step, int dtype);
lt_tensor lt_linspace(double start, double end, int64_t steps, int dtype);
lt_tensor lt_eye(int64_t n, int dtype);
lt_tensor lt_scalar_tensor(double value, int dtype);

// MARK: random (explicit generators only)
lt_generator lt_generator_new(uint64_t seed);
void lt_generator_free(lt_generator g);
int lt_generator_set_seed(lt_generator g, uint64_t seed);
lt_tensor lt_rand(lt_generator g, const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_randn(lt_generator g, const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_uniform(lt_generator g, const int64_t *shape, int64_t ndim, double low, double high, int dtype);
lt_tensor lt_randint(lt_generator g, int64_t low, int64_t high, const int64_t *shape, int64_t ndim, int dtype);
lt_tensor lt_randperm(lt_generator g, int64_t n);
lt_tensor lt_bernoulli(lt_generator g, lt_tensor probabilities);

// MARK: data out
/// Copies the tensor (any layout) into `out` as contiguous bytes of its dtype.
int lt_copy_to(lt_tensor t, void *out, size_t byte_count);
int lt_item(lt_tensor t, double *out);

// MARK: conversion and layout
lt_tensor lt_to_dtype(lt_tensor t, int dtype);
lt_tensor lt_contiguous(lt_tensor t);
/// NHWC storage of a 4-d tensor (same values and shape).
lt_tensor lt_contiguous_channels_last(lt_tensor t);
lt_tensor lt_clone(lt_tensor t);
lt_tensor lt_detach(lt_tensor t);
lt_tensor lt_reshape(lt_tensor t, const int64_t *shape, int64_t ndim);
lt_tensor lt_permute(lt_tensor t, const int64_t *dims, int64_t ndim);
lt_tensor lt_transpose(lt_tensor t, int64_t d0, int64_t d1);
lt_tensor lt_squeeze(lt_tensor t, int64_t dim);
lt_tensor lt_unsqueeze(lt_tensor t, int64_t dim);
lt_tensor lt_flatten(lt_tensor t, int64_t start, int64_t end);
lt_tensor lt_expand(lt_tensor t, const int64_t *shape, int64_t ndim);
lt_tensor lt_repeat(lt_tensor t, const int64_t *repeats, int64_t ndim);
lt_tensor lt_narrow(lt_tensor t, int64_t dim, int64_t start, int64_t length);
lt_tensor lt_slice(lt_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step);
lt_tensor lt_select(lt_tensor t, int64_t dim, int64_t index);
lt_tensor lt_index_select(lt_tensor t, int64_t dim, lt_tensor index);
lt_tensor lt_gather(lt_tensor t, int64_t dim, lt_tensor index);
lt_tensor lt_cat(const lt_tensor *ts, int64_t n, int64_t dim);
lt_tensor lt_stack(const lt_tensor *ts, int64_t n, int64_t dim);
lt_tensor lt_roll(lt_tensor t, const int64_t *shifts, const int64_t *dims, int64_t n);
lt_tensor lt_flip(lt_tensor t, const int64_t *dims, int64_t n);
/// mode: 0 constant, 1 reflect, 2 replicate.
lt_tensor lt_pad(lt_tensor t, const int64_t *pads, int64_t n, int mode, double value);
lt_tensor lt_masked_fill(lt_tensor t, lt_tensor mask, double value);
lt_tensor lt_masked_select(lt_tensor t, lt_tensor mask);
lt_tensor lt_where(lt_tensor condition, lt_tensor a, lt_tensor b);
lt_tensor lt_argmax(lt_tensor t, int64_t dim, bool keepdim);
lt_tensor lt_nonzero(lt_tensor t);

// MARK: element-wise
// op codes for lt_unary (stable): see Tensor+Math.swift for the mapping.
lt_tensor lt_unary(int op, lt_tensor t);
// op codes for lt_binary: 0 add 1 sub 2 mul 3 div 4 pow 5 maximum 6 minimum
// 7 eq 8 ne 9 lt 10 le 11 gt 12 ge 13 logical_and 14 logical_or 15 remainder 16 atan2
lt_tensor lt_binary(int op, lt_tensor a, lt_tensor b);
// Same op codes with a scalar right operand (comparison results are bool).
lt_tensor lt_binary_scalar(int op, lt_tensor a, double b);
lt_tensor lt_rsub_scalar(lt_tensor a, double b);
lt_tensor lt_clamp(lt_tensor t, double low, double high, bool has_low, bool has_high);
lt_tensor lt_softplus(lt_tensor t, double beta, double threshold);
lt_tensor lt_leaky_relu(lt_tensor t, double slope);
lt_tensor lt_gelu(lt_tensor t, bool tanh_approximation);

// MARK: reductions
lt_tensor lt_sum(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim);
lt_tensor lt_mean(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim);
lt_tensor lt_amax(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim);
lt_tensor lt_amin(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim);
lt_tensor lt_var(lt_tensor t, const int64_t *dims, int64_t n, bool unbiased, bool keepdim);
lt_tensor lt_logsumexp(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim);
lt_tensor lt_cumsum(lt_tensor t, int64_t dim);
lt_tensor lt_norm(lt_tensor t, double p);

// MARK: linear algebra and neural-network ops
lt_tensor lt_matmul(lt_tensor a, lt_tensor b);
lt_tensor lt_linear(lt_tensor x, lt_tensor w, lt_tensor b_or_null);
lt_tensor lt_conv2d(lt_tensor x, lt_tensor w, lt_tensor b_or_null, const int64_t *stride,
                    const int64_t *padding, const int64_t *dilation, int64_t groups);
/// libtorch's own transposed convolution (slow BLAS route in 1.13).
lt_tensor lt_conv_transpose2d_native(lt_tensor x, lt_tensor w, lt_tensor b_or_null, const int64_t *stride,
                                     const int64_t *padding, const int64_t *output_padding,
                                     const int64_t *dilation, int64_t groups);
/// Transposed convolution computed as the input gradient of a convolution
/// (oneDNN route), with its own autograd node. Same result and gradients.
lt_tensor lt_conv_transpose2d(lt_tensor x, lt_tensor w, lt_tensor b_or_null, const int64_t *stride,
                              const int64_t *padding, const int64_t *output_padding,
                              const int64_t *dilation, int64_t groups);
lt_tensor lt_max_pool2d(lt_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        const int64_t *dilation, bool ceil_mode);
lt_tensor lt_avg_pool2d(lt_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        bool ceil_mode, bool count_include_pad);
lt_tensor lt_adaptive_avg_pool2d(lt_tensor x, const int64_t *output_size);
lt_tensor lt_adaptive_max_pool2d(lt_tensor x, const int64_t *output_size);
lt_tensor lt_upsample_bilinear2d(lt_tensor x, const int64_t *output_size, bool align_corners);
lt_tensor lt_upsample_nearest2d(lt_tensor x, const int64_t *output_size);
lt_tensor lt_batch_norm(lt_tensor x, lt_tensor w_or_null, lt_tensor b_or_null, lt_tensor mean_or_null,
                        lt_tensor var_or_null, bool training, double momentum, double eps);
lt_tensor lt_layer_norm(lt_tensor x, const int64_t *shape, int64_t n, lt_tensor w_or_null,
                        lt_tensor b_or_null, double eps);
lt_tensor lt_softmax(lt_tensor t, int64_t dim);
lt_tensor lt_log_softmax(lt_tensor t, int64_t dim);
/// reduction: 0 none, 1 mean, 2 sum.
lt_tensor lt_cross_entropy(lt_tensor logits, lt_tensor target, lt_tensor weight_or_null, int64_t reduction,
                           int64_t ignore_index, double label_smoothing);
lt_tensor lt_mse_loss(lt_tensor a, lt_tensor b, int64_t reduction);
lt_tensor lt_embedding(lt_tensor weight, lt_tensor indices);

// MARK: in-place updates (optimizers, masks, buffers); return 0 or -1
int lt_add_(lt_tensor t, lt_tensor other, double alpha);
int lt_mul_(lt_tensor t, lt_tensor other);
int lt_mul_scalar_(lt_tensor t, double value);
int lt_add_scalar_(lt_tensor t, double value);
int lt_addcmul_(lt_tensor t, lt_tensor a, lt_tensor b, double value);
int lt_addcdiv_(lt_tensor t, lt_tensor a, lt_tensor b, double value);
int lt_copy_(lt_tensor dst, lt_tensor src);
int lt_zero_(lt_tensor t);
int lt_fill_(lt_tensor t, double value);
int lt_clamp_(lt_tensor t, double low, double high, bool has_low, bool has_high);
/// t.index_copy_(dim, index, source) and t.index_add_(dim, index, source).
int lt_index_copy_(lt_tensor t, int64_t dim, lt_tensor index, lt_tensor source);
int lt_index_add_(lt_tensor t, int64_t dim, lt_tensor index, lt_tensor source);
/// Resizes storage in place (contents unspecified); for buffers whose size follows loaded data.
int lt_resize_(lt_tensor t, const int64_t *shape, int64_t ndim);

// MARK: autograd
int lt_backward(lt_tensor t, lt_tensor grad_or_null, bool retain_graph);
/// Stores the gradient (or NULL when none) in *out. Returns 0 or -1.
int lt_grad(lt_tensor t, lt_tensor *out);
int lt_set_grad(lt_tensor t, lt_tensor grad_or_null);
int lt_is_grad_enabled(void);
void lt_set_grad_enabled(bool enabled);
/// CPU autocast (torch.autocast("cpu")): 1 when on; the dtype code it casts to.
int lt_is_autocast_cpu_enabled(void);
int lt_autocast_cpu_dtype(void);
/// Turns CPU autocast on (casting to dtype code `dtype`) or off.
int lt_set_autocast_cpu(bool enabled, int dtype);
/// Drops autocast's casts of leaf tensors (the weights), as leaving the outermost autocast region does.
void lt_autocast_clear_cache(void);
/// Gradients of `outputs` w.r.t. `inputs` (torch.autograd.grad); fills `out` (NULL where unused).
int lt_autograd_grad(const lt_tensor *outputs, const lt_tensor *grad_outputs_or_null, int64_t n_outputs,
                     const lt_tensor *inputs, int64_t n_inputs, bool create_graph, bool retain_graph,
                     lt_tensor *out);

/// Backward callback of a custom function written in Swift. Receives the
/// output gradient and the saved tensors; must fill `grad_inputs[0..<n_inputs]`
/// with new handles (or NULL for "no gradient") and return 0, or return -1.
typedef int (*lt_backward_callback)(void *context, lt_tensor grad_output, const lt_tensor *saved,
                                    int64_t n_saved, lt_tensor *grad_inputs, int64_t n_inputs);
/// Called once when the autograd node is destroyed, to release `context`.
typedef void (*lt_release_callback)(void *context);
/// Attaches a custom backward to a result computed by the caller (under no-grad).
/// Returns a tensor equal to `output` whose gradient flows to `inputs` through `backward`.
lt_tensor lt_custom_function(lt_tensor output, const lt_tensor *inputs, int64_t n_inputs,
                             const lt_tensor *saved, int64_t n_saved, lt_backward_callback backward,
                             lt_release_callback release, void *context);

// MARK: distributed (c10d: TCPStore / FileStore rendezvous, ProcessGroupGloo)
/// Key-value store shared by the ranks (rendezvous, roll calls after a failure).
typedef struct lt_store_s *lt_store;
/// A Gloo process group: collectives over TCP between the ranks.
typedef struct lt_process_group_s *lt_process_group;

/// TCP store at host:port; the server (rank 0) listens, the others connect.
/// `timeout_ms` bounds connecting and every blocking get/wait.
lt_store lt_tcp_store_new(const char *host, int port, int world_size, bool is_server, int64_t timeout_ms);
/// Store in a file on a file system every rank sees (no server process).
lt_store lt_file_store_new(const char *path, int world_size, int64_t timeout_ms);
void lt_store_free(lt_store s);
int lt_store_set(lt_store s, const char *key, const uint8_t *value, size_t length);
/// Waits (up to the store's timeout) for `key`; *out is malloc'd (caller frees).
int lt_store_get(lt_store s, const char *key, uint8_t **out, size_t *length);
/// 1 when every key is present, 0 when one is missing, -1 on error.
int lt_store_check(lt_store s, const char *const *keys, int64_t n);
/// Atomic add; the new value in *out.
int lt_store_add(lt_store s, const char *key, int64_t delta, int64_t *out);
int lt_store_set_timeout(lt_store s, int64_t timeout_ms);

/// Gloo group of `world_size` ranks over `store`. The transport binds to
/// `interface` (e.g. "eth0") when given, else to the address `hostname`
/// resolves to, else to the machine's default. `timeout_ms` bounds each collective.
lt_process_group lt_gloo_new(lt_store store, int rank, int world_size, const char *interface_or_null,
                             const char *hostname_or_null, int64_t timeout_ms);
void lt_process_group_free(lt_process_group g);
/// In place on each tensor (dense, contiguous, CPU). op: 0 sum, 1 product, 2 min, 3 max.
int lt_all_reduce(lt_process_group g, const lt_tensor *tensors, int64_t n, int op);
/// In place: every rank's tensors get rank `root`'s values.
int lt_broadcast(lt_process_group g, const lt_tensor *tensors, int64_t n, int root);
/// Fills out[0..<world_size] with new handles: rank r's `input` in out[r].
int lt_all_gather(lt_process_group g, lt_tensor input, lt_tensor *out, int64_t world_size);
int lt_barrier(lt_process_group g);

#ifdef __cplusplus
}
#endif
#endif

// Neural-network ops: linear algebra, convolutions, pooling, norms, losses.
#include "shim_internal.h"
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <ATen/autocast_mode.h>

using namespace ctorch;

namespace {

struct ConvGeometry {
  std::vector<int64_t> stride, padding, output_padding, dilation;
  int64_t groups;
};

/// Transposed convolution as the input gradient of the matching forward
/// convolution. libtorch 1.13's slow_conv_transpose2d goes through im2col +
/// BLAS; convolution_backward takes the oneDNN path and is about 2x faster.
at::Tensor transposed_forward(const at::Tensor &x, const at::Tensor &w, const ConvGeometry &g) {
  TORCH_CHECK(x.dim() == 4, "conv_transpose2d expects a 4-D NCHW input, got ", x.sizes());
  TORCH_CHECK(w.dim() == 4, "conv_transpose2d expects a 4-D weight, got ", w.sizes());
  TORCH_CHECK(x.size(1) == w.size(0), "conv_transpose2d: input has ", x.size(1), " channels, weight expects ",
              w.size(0));
  std::vector<int64_t> out_shape{x.size(0), w.size(1) * g.groups, 0, 0};
  for (int i = 0; i < 2; ++i) {
    out_shape[2 + i] = (x.size(2 + i) - 1) * g.stride[i] - 2 * g.padding[i] + g.dilation[i] * (w.size(2 + i) - 1) +
                       g.output_padding[i] + 1;
    TORCH_CHECK(out_shape[2 + i] > 0, "conv_transpose2d: output size would be ", out_shape[2 + i]);
    TORCH_CHECK(g.output_padding[i] < std::max(g.stride[i], g.dilation[i]),
                "conv_transpose2d: output padding must be smaller than stride or dilation");
  }
  auto shape_only = at::empty(out_shape, x.options());
  auto grads = at::convolution_backward(x.contiguous(), shape_only, w, c10::nullopt, g.stride, g.padding,
                                        g.dilation, false, {0, 0}, g.groups, {true, false, false});
  return std::get<0>(grads);
}

struct TransposedConvBackward : public torch::autograd::Node {
  at::Tensor x, w;
  ConvGeometry geometry;
  bool has_bias;
  torch::autograd::variable_list apply(torch::autograd::variable_list &&grads) override {
    const auto &grad = grads[0];
    torch::autograd::variable_list result(has_bias ? 3 : 2);
    if (!grad.defined()) return result;
    at::AutoDispatchBelowADInplaceOrView guard;
    if (should_compute_output(0))
      result[0] = at::conv2d(grad, w, {}, geometry.stride, geometry.padding, geometry.dilation, geometry.groups);
    if (should_compute_output(1)) {
      auto g = at::convolution_backward(x.contiguous(), grad.contiguous(), w, c10::nullopt, geometry.stride,
                                        geometry.padding, geometry.dilation, false, {0, 0}, geometry.groups,
                                        {false, true, false});
      result[1] = std::get<1>(g);
    }
    if (has_bias && should_compute_output(2)) result[2] = grad.sum({0, 2, 3});
    return result;
  }
  std::string name() const override { return "LichenTransposedConvBackward"; }
};

} // namespace

extern "C" {

lt_tensor lt_matmul(lt_tensor a, lt_tensor b) { return tensor_call([&] { return at::matmul(T(a), T(b)); }); }
lt_tensor lt_linear(lt_tensor x, lt_tensor w, lt_tensor b) {
  return tensor_call([&] { return at::linear(T(x), T(w), optional(b)); });
}

lt_tensor lt_conv2d(lt_tensor x, lt_tensor w, lt_tensor b, const int64_t *stride, const int64_t *padding,
                    const int64_t *dilation, int64_t groups) {
  return tensor_call([&] {
    return at::conv2d(T(x), T(w), optional(b), ints(stride, 2), ints(padding, 2), ints(dilation, 2), groups);
  });
}

lt_tensor lt_conv_transpose2d_native(lt_tensor x, lt_tensor w, lt_tensor b, const int64_t *stride,
                                     const int64_t *padding, const int64_t *output_padding, const int64_t *dilation,
                                     int64_t groups) {
  return tensor_call([&] {
    return at::conv_transpose2d(T(x), T(w), optional(b), ints(stride, 2), ints(padding, 2), ints(output_padding, 2),
                                groups, ints(dilation, 2));
  });
}

lt_tensor lt_conv_transpose2d(lt_tensor x, lt_tensor w, lt_tensor b, const int64_t *stride, const int64_t *padding,
                              const int64_t *output_padding, const int64_t *dilation, int64_t groups) {
  return tensor_call([&] {
    ConvGeometry g{ints(stride, 2).vec(), ints(padding, 2).vec(), ints(output_padding, 2).vec(),
                   ints(dilation, 2).vec(), groups};
    at::Tensor input = T(x);
    at::Tensor weight = T(w);
    auto bias = optional(b);
    // Under CPU bfloat16 autocast this route computes in bfloat16 like at::conv_transpose2d would
    // (autocast does not see a call made past the dispatcher): cast copies cached for the region,
    // differentiable back to the float32 originals.
    // cached_cast leaves double and already-cast tensors as they are.
    if (at::autocast::is_cpu_enabled() && at::autocast::get_autocast_cpu_dtype() == at::kBFloat16) {
      input = at::autocast::cached_cast(at::kBFloat16, input, c10::DeviceType::CPU);
      weight = at::autocast::cached_cast(at::kBFloat16, weight, c10::DeviceType::CPU);
      if (bias) bias = at::autocast::cached_cast(at::kBFloat16, *bias, c10::DeviceType::CPU);
    }
    at::Tensor out;
    {
      at::AutoDispatchBelowADInplaceOrView guard;
      out = transposed_forward(input.detach(), weight.detach(), g);
      if (bias) {
        TORCH_CHECK(bias->dim() == 1 && bias->size(0) == out.size(1), "conv_transpose2d: bias has shape ",
                    bias->sizes(), ", expected [", out.size(1), "]");
        out.add_(bias->detach().view({1, -1, 1, 1}));
      }
    }
    std::vector<at::Tensor> inputs{input, weight};
    if (bias) inputs.push_back(*bias);
    if (torch::autograd::compute_requires_grad(inputs)) {
      auto node = std::shared_ptr<TransposedConvBackward>(new TransposedConvBackward(), torch::autograd::deleteNode);
      node->x = input.detach();
      node->w = weight.detach();
      node->geometry = g;
      node->has_bias = bias.has_value();
      node->set_next_edges(torch::autograd::collect_next_edges(inputs));
      torch::autograd::set_history(out, node);
    }
    return out;
  });
}

lt_tensor lt_max_pool2d(lt_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        const int64_t *dilation, bool ceil_mode) {
  return tensor_call([&] {
    return at::max_pool2d(T(x), ints(kernel, 2), ints(stride, 2), ints(padding, 2), ints(dilation, 2), ceil_mode);
  });
}
lt_tensor lt_avg_pool2d(lt_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        bool ceil_mode, bool count_include_pad) {
  return tensor_call([&] {
    return at::avg_pool2d(T(x), ints(kernel, 2), ints(stride, 2), ints(padding, 2), ceil_mode, count_include_pad);
  });
}
lt_tensor lt_adaptive_avg_pool2d(lt_tensor x, const int64_t *output_size) {
  return tensor_call([&] { return at::adaptive_avg_pool2d(T(x), ints(output_size, 2)); });
}
lt_tensor lt_adaptive_max_pool2d(lt_tensor x, const int64_t *output_size) {
  return tensor_call([&] { return std::get<0>(at::adaptive_max_pool2d(T(x), ints(output_size, 2))); });
}
lt_tensor lt_upsample_bilinear2d(lt_tensor x, const int64_t *output_size, bool align_corners) {
  return tensor_call([&] { return at::upsample_bilinear2d(T(x), ints(output_size, 2), align_corners); });
}
lt_tensor lt_upsample_nearest2d(lt_tensor x, const int64_t *output_size) {
  return tensor_call([&] { return at::upsample_nearest2d(T(x), ints(output_size, 2)); });
}
lt_tensor lt_batch_norm(lt_tensor x, lt_tensor w, lt_tensor b, lt_tensor mean, lt_tensor var, bool training,
                        double momentum, double eps) {
  return tensor_call([&] {
    return at::batch_norm(T(x), optional(w), optional(b), optional(mean), optional(var), training, momentum, eps,
                          false);
  });
}
lt_tensor lt_layer_norm(lt_tensor x, const int64_t *shape, int64_t n, lt_tensor w, lt_tensor b, double eps) {
  return tensor_call([&] { return at::layer_norm(T(x), ints(shape, n), optional(w), optional(b), eps, false); });
}
lt_tensor lt_softmax(lt_tensor t, int64_t dim) { return tensor_call([&] { return at::softmax(T(t), dim); }); }
lt_tensor lt_log_softmax(lt_tensor t, int64_t dim) { return tensor_call([&] { return at::log_softmax(T(t), dim); }); }
lt_tensor lt_cross_entropy(lt_tensor logits, lt_tensor target, lt_tensor weight, int64_t reduction,
                           int64_t ignore_index, double label_smoothing) {
  return tensor_call([&] {
    return at::cross_entropy_loss(T(logits), T(target), optional(weight), reduction, ignore_index, label_smoothing);
  });
}
lt_tensor lt_mse_loss(lt_tensor a, lt_tensor b, int64_t reduction) {
  return tensor_call([&] {
    TORCH_CHECK(T(a).sizes() == T(b).sizes(), "mse_loss: shapes differ: ", T(a).sizes(), " vs ", T(b).sizes());
    return at::mse_loss(T(a), T(b), reduction);
  });
}
lt_tensor lt_embedding(lt_tensor weight, lt_tensor indices) {
  return tensor_call([&] { return at::embedding(T(weight), T(indices)); });
}

} // extern "C"

// Autograd entry points and custom functions whose backward is written in Swift.
#include "shim_internal.h"
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <ATen/autocast_mode.h>

using namespace ctorch;

namespace {

/// Autograd node that calls back into Swift. The saved tensors are inputs or
/// constants (never the output), so holding them does not create a cycle.
struct SwiftBackward : public torch::autograd::Node {
  lt_backward_callback backward = nullptr;
  lt_release_callback release = nullptr;
  void *context = nullptr;
  std::vector<at::Tensor> saved;
  int64_t input_count = 0;

  ~SwiftBackward() override {
    if (release != nullptr) release(context);
  }

  torch::autograd::variable_list apply(torch::autograd::variable_list &&grads) override {
    torch::autograd::variable_list result(static_cast<size_t>(input_count));
    if (!grads[0].defined()) return result;
    std::vector<lt_tensor> saved_handles;
    for (auto &s : saved) saved_handles.push_back(wrap(s));
    auto grad_handle = wrap(grads[0]);
    std::vector<lt_tensor> outputs(static_cast<size_t>(input_count), nullptr);
    int status = backward(context, grad_handle, saved_handles.data(), static_cast<int64_t>(saved_handles.size()),
                          outputs.data(), input_count);
    delete grad_handle;
    for (auto h : saved_handles) delete h;
    for (int64_t i = 0; i < input_count; ++i) {
      if (outputs[i] != nullptr) {
        result[i] = outputs[i]->tensor;
        delete outputs[i];
      }
    }
    TORCH_CHECK(status == 0, "custom backward written in Swift failed");
    return result;
  }
  std::string name() const override { return "LichenSwiftBackward"; }
};

} // namespace

extern "C" {

int lt_backward(lt_tensor t, lt_tensor grad, bool retain_graph) {
  return status_call([&] {
    at::Tensor g = grad ? T(grad) : at::Tensor();
    T(t).backward(g, retain_graph, false);
  });
}

int lt_grad(lt_tensor t, lt_tensor *out) {
  return status_call([&] {
    const auto &g = T(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  });
}

int lt_set_grad(lt_tensor t, lt_tensor grad) {
  return status_call([&] {
    auto &target = const_cast<at::Tensor &>(T(t));
    target.mutable_grad() = grad ? T(grad) : at::Tensor();
  });
}

int lt_is_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }
void lt_set_grad_enabled(bool enabled) { at::GradMode::set_enabled(enabled); }

int lt_is_autocast_cpu_enabled(void) { return at::autocast::is_cpu_enabled() ? 1 : 0; }
int lt_autocast_cpu_dtype(void) {
  switch (at::autocast::get_autocast_cpu_dtype()) {
  case at::kHalf: return 5;
  case at::kFloat: return 6;
  case at::kBFloat16: return 15;
  default: return -1;
  }
}
int lt_set_autocast_cpu(bool enabled, int dtype) {
  return status_call([&] {
    if (enabled) at::autocast::set_autocast_cpu_dtype(scalar_type(dtype));
    at::autocast::set_cpu_enabled(enabled);
  });
}
void lt_autocast_clear_cache(void) { at::autocast::clear_cache(); }

int lt_autograd_grad(const lt_tensor *outputs, const lt_tensor *grad_outputs, int64_t n_outputs,
                     const lt_tensor *inputs, int64_t n_inputs, bool create_graph, bool retain_graph,
                     lt_tensor *out) {
  return status_call([&] {
    torch::autograd::variable_list outs, gouts, ins;
    for (int64_t i = 0; i < n_outputs; ++i) {
      outs.push_back(T(outputs[i]));
      gouts.push_back(grad_outputs && grad_outputs[i] ? T(grad_outputs[i]) : at::Tensor());
    }
    for (int64_t i = 0; i < n_inputs; ++i) ins.push_back(T(inputs[i]));
    auto grads = torch::autograd::grad(outs, ins, gouts, retain_graph, create_graph, /*allow_unused=*/true);
    for (int64_t i = 0; i < n_inputs; ++i) out[i] = grads[i].defined() ? wrap(grads[i]) : nullptr;
  });
}

lt_tensor lt_custom_function(lt_tensor output, const lt_tensor *inputs, int64_t n_inputs, const lt_tensor *saved,
                             int64_t n_saved, lt_backward_callback backward, lt_release_callback release,
                             void *context) {
  bool released = false;
  auto result = tensor_call([&] {
    if (backward == nullptr) throw InvalidArgument("custom function needs a backward callback");
    std::vector<at::Tensor> ins;
    for (int64_t i = 0; i < n_inputs; ++i) ins.push_back(T(inputs[i]));
    auto out = T(output).detach();
    if (!torch::autograd::compute_requires_grad(ins)) return out;
    auto node = std::shared_ptr<SwiftBackward>(new SwiftBackward(), torch::autograd::deleteNode);
    for (int64_t i = 0; i < n_saved; ++i) node->saved.push_back(T(saved[i]).detach());
    node->backward = backward;
    node->input_count = n_inputs;
    node->set_next_edges(torch::autograd::collect_next_edges(ins));
    torch::autograd::set_history(out, node);
    node->release = release;  // from here on the node owns the context
    node->context = context;
    released = true;
    return out;
  });
  if (!released && release != nullptr) release(context);
  return result;
}

} // extern "C"

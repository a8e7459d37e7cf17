// Element-wise math, reductions and in-place updates.
#include "shim_internal.h"
#include <cmath>

using namespace ctorch;

namespace {
at::Tensor unary(int op, const at::Tensor &x) {
  switch (op) {
  case 0: return at::neg(x);
  case 1: return at::abs(x);
  case 2: return at::sign(x);
  case 3: return at::exp(x);
  case 4: return at::log(x);
  case 5: return at::sqrt(x);
  case 6: return at::rsqrt(x);
  case 7: return at::sigmoid(x);
  case 8: return at::tanh(x);
  case 9: return at::relu(x);
  case 10: return at::hardtanh(x, 0.0, 6.0);
  case 11: return at::hardswish(x);
  case 12: return at::hardsigmoid(x);
  case 13: return at::erfc(x);
  case 14: return at::round(x);
  case 15: return at::floor(x);
  case 16: return at::ceil(x);
  case 17: return at::reciprocal(x);
  case 18: return at::square(x);
  case 19: return at::sin(x);
  case 20: return at::cos(x);
  case 21: return at::logical_not(x);
  case 22: return at::log1p(x);
  case 23: return at::expm1(x);
  case 24: return at::erf(x);
  case 25: return at::silu(x);
  case 26: return at::isfinite(x);
  case 27: return at::trunc(x);
  case 28: return at::log2(x);
  default: throw InvalidArgument("unknown unary op code " + std::to_string(op));
  }
}

template <class B> at::Tensor binary(int op, const at::Tensor &a, const B &b) {
  switch (op) {
  case 0: return at::add(a, b);
  case 1: return at::sub(a, b);
  case 2: return at::mul(a, b);
  case 3: return at::div(a, b);
  case 4: return at::pow(a, b);
  case 7: return at::eq(a, b);
  case 8: return at::ne(a, b);
  case 9: return at::lt(a, b);
  case 10: return at::le(a, b);
  case 11: return at::gt(a, b);
  case 12: return at::ge(a, b);
  case 15: return at::remainder(a, b);
  default: throw InvalidArgument("op code " + std::to_string(op) + " has no such operand form");
  }
}
/// A Swift Double as a Scalar: integral values stay integers for integer
/// tensors, as Python's `int_tensor + 1` does (a double would promote to float).
at::Scalar scalar_for(const at::Tensor &t, double v) {
  if (!at::isFloatingType(t.scalar_type()) && std::trunc(v) == v && std::abs(v) < 9.0e15)
    return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}
c10::optional<at::Scalar> bound_for(const at::Tensor &t, double v, bool present) {
  return present ? c10::optional<at::Scalar>(scalar_for(t, v)) : c10::nullopt;
}
} // namespace

extern "C" {

lt_tensor lt_unary(int op, lt_tensor t) { return tensor_call([&] { return unary(op, T(t)); }); }

lt_tensor lt_binary(int op, lt_tensor a, lt_tensor b) {
  return tensor_call([&] {
    const auto &x = T(a);
    const auto &y = T(b);
    switch (op) {
    case 5: return at::maximum(x, y);
    case 6: return at::minimum(x, y);
    case 13: return at::logical_and(x, y);
    case 14: return at::logical_or(x, y);
    case 16: return at::atan2(x, y);
    default: return binary(op, x, y);
    }
  });
}

lt_tensor lt_binary_scalar(int op, lt_tensor a, double b) {
  return tensor_call([&] {
    const auto &x = T(a);
    at::Scalar s = scalar_for(x, b);
    switch (op) {
    case 5: return at::clamp_min(x, s);
    case 6: return at::clamp_max(x, s);
    default: return binary(op, x, s);
    }
  });
}
lt_tensor lt_rsub_scalar(lt_tensor a, double b) { return tensor_call([&] { return at::rsub(T(a), scalar_for(T(a), b)); }); }

lt_tensor lt_clamp(lt_tensor t, double low, double high, bool has_low, bool has_high) {
  return tensor_call([&] {
    return at::clamp(T(t), bound_for(T(t), low, has_low), bound_for(T(t), high, has_high));
  });
}
lt_tensor lt_softplus(lt_tensor t, double beta, double threshold) {
  return tensor_call([&] { return at::softplus(T(t), beta, threshold); });
}
lt_tensor lt_leaky_relu(lt_tensor t, double slope) { return tensor_call([&] { return at::leaky_relu(T(t), slope); }); }
lt_tensor lt_gelu(lt_tensor t, bool tanh_approximation) {
  return tensor_call([&] { return at::gelu(T(t), tanh_approximation ? "tanh" : "none"); });
}

// MARK: reductions (an empty dim list reduces everything)
lt_tensor lt_sum(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim) {
  return tensor_call([&] { return n == 0 ? T(t).sum() : T(t).sum(ints(dims, n), keepdim); });
}
lt_tensor lt_mean(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim) {
  return tensor_call([&] { return n == 0 ? T(t).mean() : T(t).mean(ints(dims, n), keepdim); });
}
lt_tensor lt_amax(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim) {
  return tensor_call([&] { return n == 0 ? T(t).max() : T(t).amax(ints(dims, n), keepdim); });
}
lt_tensor lt_amin(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim) {
  return tensor_call([&] { return n == 0 ? T(t).min() : T(t).amin(ints(dims, n), keepdim); });
}
lt_tensor lt_var(lt_tensor t, const int64_t *dims, int64_t n, bool unbiased, bool keepdim) {
  return tensor_call([&] {
    return n == 0 ? T(t).var(unbiased) : T(t).var(ints(dims, n), unbiased, keepdim);
  });
}
lt_tensor lt_logsumexp(lt_tensor t, const int64_t *dims, int64_t n, bool keepdim) {
  return tensor_call([&] { return T(t).logsumexp(ints(dims, n), keepdim); });
}
lt_tensor lt_cumsum(lt_tensor t, int64_t dim) { return tensor_call([&] { return T(t).cumsum(dim); }); }
lt_tensor lt_norm(lt_tensor t, double p) { return tensor_call([&] { return T(t).norm(p); }); }

// MARK: in-place
int lt_add_(lt_tensor t, lt_tensor other, double alpha) { return status_call([&] { T(t).add_(T(other), alpha); }); }
int lt_mul_(lt_tensor t, lt_tensor other) { return status_call([&] { T(t).mul_(T(other)); }); }
int lt_mul_scalar_(lt_tensor t, double value) { return status_call([&] { T(t).mul_(scalar_for(T(t), value)); }); }
int lt_add_scalar_(lt_tensor t, double value) { return status_call([&] { T(t).add_(scalar_for(T(t), value)); }); }
int lt_addcmul_(lt_tensor t, lt_tensor a, lt_tensor b, double value) {
  return status_call([&] { T(t).addcmul_(T(a), T(b), value); });
}
int lt_addcdiv_(lt_tensor t, lt_tensor a, lt_tensor b, double value) {
  return status_call([&] { T(t).addcdiv_(T(a), T(b), value); });
}
int lt_copy_(lt_tensor dst, lt_tensor src) { return status_call([&] { T(dst).copy_(T(src)); }); }
int lt_zero_(lt_tensor t) { return status_call([&] { T(t).zero_(); }); }
int lt_fill_(lt_tensor t, double value) { return status_call([&] { T(t).fill_(value); }); }
int lt_clamp_(lt_tensor t, double low, double high, bool has_low, bool has_high) {
  return status_call([&] {
    T(t).clamp_(bound_for(T(t), low, has_low), bound_for(T(t), high, has_high));
  });
}

int lt_index_copy_(lt_tensor t, int64_t dim, lt_tensor index, lt_tensor source) {
  return status_call([&] { T(t).index_copy_(dim, T(index), T(source)); });
}
int lt_index_add_(lt_tensor t, int64_t dim, lt_tensor index, lt_tensor source) {
  return status_call([&] { T(t).index_add_(dim, T(index), T(source)); });
}
int lt_resize_(lt_tensor t, const int64_t *shape, int64_t ndim) {
  return status_call([&] { T(t).resize_(ints(shape, ndim)); });
}

} // extern "C"

// Internal helpers of the shim: handle layout and the one error path.
#pragma once
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <string>
#include <vector>
#include "ctorch.h"

struct lt_tensor_s {
  at::Tensor tensor;
};
struct lt_generator_s {
  at::Generator generator;
};

namespace ctorch {

void set_error(int kind, const std::string &message);

inline lt_tensor wrap(at::Tensor t) { return new lt_tensor_s{std::move(t)}; }

/// Shim-detected misuse (null handle, bad length): reported like a libtorch error.
struct InvalidArgument : std::exception {
  std::string message;
  explicit InvalidArgument(std::string m) : message(std::move(m)) {}
  const char *what() const noexcept override { return message.c_str(); }
};

inline const at::Tensor &T(lt_tensor t) {
  if (t == nullptr) throw InvalidArgument("null tensor handle");
  return t->tensor;
}
inline c10::optional<at::Tensor> optional(lt_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return t->tensor;
}
inline at::IntArrayRef ints(const int64_t *p, int64_t n) {
  if (n < 0 || (n > 0 && p == nullptr)) throw InvalidArgument("invalid integer list");
  return at::IntArrayRef(p, static_cast<size_t>(n));
}
inline at::ScalarType scalar_type(int code) {
  switch (code) {
  case 0: return at::kByte;
  case 1: return at::kChar;
  case 2: return at::kShort;
  case 3: return at::kInt;
  case 4: return at::kLong;
  case 5: return at::kHalf;
  case 6: return at::kFloat;
  case 7: return at::kDouble;
  case 11: return at::kBool;
  case 15: return at::kBFloat16;
  default: throw InvalidArgument("unknown dtype code " + std::to_string(code));
  }
}
inline at::TensorOptions options(int dtype) { return at::TensorOptions().dtype(scalar_type(dtype)); }


/// Runs `body`; converts every exception into the thread-local error slot.
template <class R, class F> R guarded(R failure, F &&body) {
  try {
    return body();
  } catch (const c10::IndexError &e) {
    set_error(2, e.what_without_backtrace());
  } catch (const c10::ValueError &e) {
    set_error(3, e.what_without_backtrace());
  } catch (const c10::TypeError &e) {
    set_error(4, e.what_without_backtrace());
  } catch (const c10::NotImplementedError &e) {
    set_error(5, e.what_without_backtrace());
  } catch (const c10::OutOfMemoryError &e) {
    set_error(6, e.what_without_backtrace());
  } catch (const c10::Error &e) {
    set_error(1, e.what_without_backtrace());
  } catch (const InvalidArgument &e) {
    set_error(9, e.what());
  } catch (const std::bad_alloc &e) {
    set_error(6, "out of memory");
  } catch (const std::exception &e) {
    set_error(7, e.what());
  } catch (...) {
    set_error(8, "unknown C++ exception");
  }
  return failure;
}

/// For functions returning a tensor handle.
template <class F> lt_tensor tensor_call(F &&body) {
  return guarded<lt_tensor>(nullptr, [&]() -> lt_tensor { return wrap(body()); });
}
/// For functions returning 0 / -1.
template <class F> int status_call(F &&body) {
  return guarded<int>(-1, [&]() -> int {
    body();
    return 0;
  });
}

} // namespace ctorch

// The thread-local error slot shared by every shim function.
#include "shim_internal.h"
#include <cstdlib>
#include <cstring>

namespace {
thread_local std::string pending_message;
thread_local int pending_kind = 0;
} // namespace

namespace ctorch {
void set_error(int kind, const std::string &message) {
  pending_kind = kind;
  pending_message = message;
}
} // namespace ctorch

extern "C" {
int lt_error_kind(void) { return pending_kind; }

char *lt_error_take(void) {
  if (pending_kind == 0) return nullptr;
  char *copy = static_cast<char *>(std::malloc(pending_message.size() + 1));
  if (copy != nullptr) std::memcpy(copy, pending_message.c_str(), pending_message.size() + 1);
  pending_kind = 0;
  pending_message.clear();
  return copy;
}
}

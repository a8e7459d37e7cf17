// c10d behind the C ABI: rendezvous stores and a Gloo process group.
// Every call waits for its collective to finish (or time out); Gloo's
// transport errors (peer closed, timeout) arrive as exceptions and become
// the shim's error like any libtorch error.
#define USE_C10D_GLOO 1
#include "shim_internal.h"
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>

struct lt_store_s {
  c10::intrusive_ptr<c10d::Store> store;
};
struct lt_process_group_s {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {
using ctorch::guarded;
using ctorch::InvalidArgument;
using ctorch::status_call;

c10d::Store &S(lt_store s) {
  if (s == nullptr || !s->store) throw InvalidArgument("null store handle");
  return *s->store;
}
c10d::ProcessGroupGloo &G(lt_process_group g) {
  if (g == nullptr || !g->group) throw InvalidArgument("null process group handle");
  return *g->group;
}
std::string text(const char *s, const char *what) {
  if (s == nullptr) throw InvalidArgument(std::string("null ") + what);
  return std::string(s);
}
std::vector<at::Tensor> dense(const lt_tensor *ts, int64_t n) {
  if (n <= 0 || ts == nullptr) throw InvalidArgument("a collective needs at least one tensor");
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) {
    const at::Tensor &t = ctorch::T(ts[i]);
    if (!t.is_contiguous() || t.is_sparse() || !t.device().is_cpu())
      throw InvalidArgument("collectives take dense contiguous CPU tensors");
    out.push_back(t);
  }
  return out;
}
c10d::ReduceOp reduce_op(int op) {
  switch (op) {
  case 0: return c10d::ReduceOp::SUM;
  case 1: return c10d::ReduceOp::PRODUCT;
  case 2: return c10d::ReduceOp::MIN;
  case 3: return c10d::ReduceOp::MAX;
  default: throw InvalidArgument("unknown reduce op " + std::to_string(op));
  }
}
void finish(const c10::intrusive_ptr<c10d::Work> &work) {
  work->wait();  // throws the transport's error, bounded by the group's timeout
}
} // namespace

extern "C" {

lt_store lt_tcp_store_new(const char *host, int port, int world_size, bool is_server, int64_t timeout_ms) {
  return guarded<lt_store>(nullptr, [&]() -> lt_store {
    if (port <= 0 || port > 65535) throw InvalidArgument("port " + std::to_string(port) + " is out of range");
    if (world_size < 1) throw InvalidArgument("world size must be at least 1");
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = is_server;
    options.numWorkers = static_cast<size_t>(world_size);
    options.waitWorkers = true;
    options.timeout = std::chrono::milliseconds(timeout_ms);
    return new lt_store_s{c10::make_intrusive<c10d::TCPStore>(text(host, "host"), options)};
  });
}

lt_store lt_file_store_new(const char *path, int world_size, int64_t timeout_ms) {
  return guarded<lt_store>(nullptr, [&]() -> lt_store {
    if (world_size < 1) throw InvalidArgument("world size must be at least 1");
    auto store = c10::make_intrusive<c10d::FileStore>(text(path, "path"), world_size);
    store->setTimeout(std::chrono::milliseconds(timeout_ms));
    return new lt_store_s{store};
  });
}

void lt_store_free(lt_store s) { delete s; }

int lt_store_set(lt_store s, const char *key, const uint8_t *value, size_t length) {
  return status_call([&] {
    if (length > 0 && value == nullptr) throw InvalidArgument("null value");
    S(s).set(text(key, "key"), std::vector<uint8_t>(value, value + length));
  });
}

int lt_store_get(lt_store s, const char *key, uint8_t **out, size_t *length) {
  return status_call([&] {
    if (out == nullptr || length == nullptr) throw InvalidArgument("null output");
    auto value = S(s).get(text(key, "key"));
    auto *copy = static_cast<uint8_t *>(std::malloc(value.empty() ? 1 : value.size()));
    if (copy == nullptr) throw std::bad_alloc();
    if (!value.empty()) std::memcpy(copy, value.data(), value.size());
    *out = copy;
    *length = value.size();
  });
}

int lt_store_check(lt_store s, const char *const *keys, int64_t n) {
  return guarded<int>(-1, [&]() -> int {
    if (n < 0 || (n > 0 && keys == nullptr)) throw InvalidArgument("invalid key list");
    std::vector<std::string> names;
    for (int64_t i = 0; i < n; i++) names.push_back(text(keys[i], "key"));
    return S(s).check(names) ? 1 : 0;
  });
}

int lt_store_add(lt_store s, const char *key, int64_t delta, int64_t *out) {
  return status_call([&] {
    int64_t value = S(s).add(text(key, "key"), delta);
    if (out != nullptr) *out = value;
  });
}

int lt_store_set_timeout(lt_store s, int64_t timeout_ms) {
  return status_call([&] { S(s).setTimeout(std::chrono::milliseconds(timeout_ms)); });
}

lt_process_group lt_gloo_new(lt_store store, int rank, int world_size, const char *interface_or_null,
                             const char *hostname_or_null, int64_t timeout_ms) {
  return guarded<lt_process_group>(nullptr, [&]() -> lt_process_group {
    if (world_size < 1 || rank < 0 || rank >= world_size)
      throw InvalidArgument("rank " + std::to_string(rank) + " is not in 0..<" + std::to_string(world_size));
    if (store == nullptr || !store->store) throw InvalidArgument("null store handle");
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeout_ms));
    if (interface_or_null != nullptr) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface_or_null));
    } else if (hostname_or_null != nullptr) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname_or_null));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    options->threads = 2;
    return new lt_process_group_s{c10::make_intrusive<c10d::ProcessGroupGloo>(store->store, rank, world_size, options)};
  });
}

void lt_process_group_free(lt_process_group g) { delete g; }

int lt_all_reduce(lt_process_group g, const lt_tensor *tensors, int64_t n, int op) {
  return status_call([&] {
    auto list = dense(tensors, n);
    c10d::AllreduceOptions options;
    options.reduceOp = reduce_op(op);
    finish(G(g).allreduce(list, options));
  });
}

int lt_broadcast(lt_process_group g, const lt_tensor *tensors, int64_t n, int root) {
  return status_call([&] {
    auto list = dense(tensors, n);
    auto &group = G(g);
    if (root < 0 || root >= group.getSize()) throw InvalidArgument("root rank " + std::to_string(root) + " is out of range");
    c10d::BroadcastOptions options;
    options.rootRank = root;
    finish(group.broadcast(list, options));
  });
}

int lt_all_gather(lt_process_group g, lt_tensor input, lt_tensor *out, int64_t world_size) {
  return status_call([&] {
    auto &group = G(g);
    if (out == nullptr || world_size != group.getSize())
      throw InvalidArgument("all-gather needs one output slot per rank (" + std::to_string(group.getSize()) + ")");
    auto inputs = dense(&input, 1);
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int64_t r = 0; r < world_size; r++) outputs[0].push_back(at::empty_like(inputs[0]));
    finish(group.allgather(outputs, inputs));
    for (int64_t r = 0; r < world_size; r++) out[r] = ctorch::wrap(outputs[0][static_cast<size_t>(r)]);
  });
}

int lt_barrier(lt_process_group g) {
  return status_call([&] { finish(G(g).barrier()); });
}

} // extern "C"

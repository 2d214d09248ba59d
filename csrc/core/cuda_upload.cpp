#include "cuda_upload.h"

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace a2a {

// The few runtime entry points we use, with their C signatures (cudaError_t is an int).
struct CudaUploader::Api {
  void* lib = nullptr;
  int (*GetDeviceCount)(int*) = nullptr;
  int (*HostRegister)(void*, size_t, unsigned) = nullptr;
  int (*HostUnregister)(void*) = nullptr;
  int (*MemcpyAsync)(void*, const void*, size_t, int, void*) = nullptr;
  int (*EventCreateWithFlags)(void**, unsigned) = nullptr;
  int (*EventRecord)(void*, void*) = nullptr;
  int (*EventSynchronize)(void*) = nullptr;
  int (*EventDestroy)(void*) = nullptr;
  const char* (*GetErrorString)(int) = nullptr;

  void check(int err, const char* what) const {
    if (err != 0) throw std::runtime_error(std::string("CUDA ") + what + " failed: " + (GetErrorString ? GetErrorString(err) : "error " + std::to_string(err)));
  }
};

namespace {

constexpr int kMemcpyHostToDevice = 1;
constexpr unsigned kEventDisableTiming = 2;
constexpr unsigned kHostRegisterDefault = 0;

void* open_runtime(std::string* tried) {
  std::vector<std::string> names;
  if (const char* env = std::getenv("A2A_CUDART")) names.push_back(env);
  for (const char* n : {"libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"}) names.push_back(n);
  // Prefer the copy PyTorch already loaded: same runtime, same context.
  for (const auto& n : names)
    if (void* h = dlopen(n.c_str(), RTLD_NOW | RTLD_NOLOAD)) return h;
  for (const auto& n : names) {
    if (void* h = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
    *tried += (tried->empty() ? "" : ", ") + n;
  }
  return nullptr;
}

template <class F>
bool bind(void* lib, const char* name, F* out) {
  *out = reinterpret_cast<F>(dlsym(lib, name));
  return *out != nullptr;
}

}  // namespace

std::string CudaUploader::unavailable_reason() {
  std::string tried;
  void* lib = open_runtime(&tried);
  if (!lib) return "CUDA runtime not found (tried " + tried + "; set A2A_CUDART to its path)";
  int (*count)(int*) = nullptr;
  std::string reason;
  int n = 0;
  if (!bind(lib, "cudaGetDeviceCount", &count)) reason = "libcudart has no cudaGetDeviceCount";
  else if (count(&n) != 0 || n == 0) reason = "no CUDA device is visible";
  dlclose(lib);
  return reason;
}

CudaUploader::CudaUploader() : api_(new Api) {
  std::string tried;
  api_->lib = open_runtime(&tried);
  if (!api_->lib) {
    delete api_;
    throw std::runtime_error("CUDA runtime not found (tried " + tried + "; set A2A_CUDART to its path)");
  }
  bool ok = bind(api_->lib, "cudaGetDeviceCount", &api_->GetDeviceCount) && bind(api_->lib, "cudaHostRegister", &api_->HostRegister) &&
            bind(api_->lib, "cudaHostUnregister", &api_->HostUnregister) && bind(api_->lib, "cudaMemcpyAsync", &api_->MemcpyAsync) &&
            bind(api_->lib, "cudaEventCreateWithFlags", &api_->EventCreateWithFlags) && bind(api_->lib, "cudaEventRecord", &api_->EventRecord) &&
            bind(api_->lib, "cudaEventSynchronize", &api_->EventSynchronize) && bind(api_->lib, "cudaEventDestroy", &api_->EventDestroy) &&
            bind(api_->lib, "cudaGetErrorString", &api_->GetErrorString);
  int n = 0;
  if (!ok || api_->GetDeviceCount(&n) != 0 || n == 0) {
    dlclose(api_->lib);
    delete api_;
    throw std::runtime_error(ok ? "no CUDA device is visible" : "libcudart lacks an entry point a2a needs");
  }
}

CudaUploader::~CudaUploader() {
  for (int i = 0; i < num_pinned_; ++i) api_->HostUnregister(pinned_[i]);
  // The library stays loaded: PyTorch may share it.
  delete api_;
}

void CudaUploader::pin(void* host, size_t bytes) {
  for (int i = 0; i < num_pinned_; ++i)
    if (pinned_[i] == host) return;
  if (num_pinned_ == 64) return;  // beyond that, copies are still correct, just staged by the driver
  api_->check(api_->HostRegister(host, bytes, kHostRegisterDefault), "cudaHostRegister");
  pinned_[num_pinned_++] = host;
}

void* CudaUploader::copy_async(void* device_dst, const void* host_src, size_t bytes, uintptr_t stream) {
  void* s = reinterpret_cast<void*>(stream);
  api_->check(api_->MemcpyAsync(device_dst, host_src, bytes, kMemcpyHostToDevice, s), "cudaMemcpyAsync");
  void* event = nullptr;
  api_->check(api_->EventCreateWithFlags(&event, kEventDisableTiming), "cudaEventCreateWithFlags");
  api_->check(api_->EventRecord(event, s), "cudaEventRecord");
  return event;
}

void CudaUploader::wait(void* event) {
  if (!event) return;
  int err = api_->EventSynchronize(event);
  api_->EventDestroy(event);
  api_->check(err, "cudaEventSynchronize");
}

}  // namespace a2a

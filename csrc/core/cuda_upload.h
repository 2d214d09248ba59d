// Asynchronous host-to-device upload of finished batches, with the CUDA runtime loaded at run time
// (dlopen, as EnvPool does) so that CPU builds carry no CUDA dependency.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace a2a {

class CudaUploader {
 public:
  // Loads libcudart (already loaded by PyTorch, or found by the loader, or named by the environment
  // variable A2A_CUDART). Throws std::runtime_error saying what was tried when that fails.
  CudaUploader();
  ~CudaUploader();
  CudaUploader(const CudaUploader&) = delete;
  CudaUploader& operator=(const CudaUploader&) = delete;

  // Page-locks host memory so copies from it are truly asynchronous (idempotent per pointer).
  void pin(void* host, size_t bytes);
  // Enqueues the copy on `stream` (a cudaStream_t as an integer; 0 = default stream) and returns an
  // event recorded after it.
  void* copy_async(void* device_dst, const void* host_src, size_t bytes, uintptr_t stream);
  // Blocks until the event's copy is done, then frees the event.
  void wait(void* event);

  // Why the runtime cannot be used here ("" when it can), without throwing.
  static std::string unavailable_reason();

 private:
  struct Api;
  Api* api_;
  void* pinned_[64] = {};
  int num_pinned_ = 0;
};

}  // namespace a2a

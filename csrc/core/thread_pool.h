// A fixed pool of worker threads: parallel_for for synchronous batches (the calling thread takes a
// share of the work) and submit() for asynchronous per-environment tasks.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace a2a {

class ThreadPool {
 public:
  // `threads` counts the caller: 1 means no workers, everything runs inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  static constexpr int kChunksPerThread = 4;
  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(begin, end) over contiguous chunks of [0, n) (kChunksPerThread per thread, taken by
  // whichever thread is free, the caller included); returns when all are done.
  void parallel_for(int n, const std::function<void(int, int)>& fn);
  void submit(std::function<void()> task);

 private:
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
};

}  // namespace a2a

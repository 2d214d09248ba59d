#include "thread_pool.h"

#include <algorithm>

namespace a2a {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (stop_ && tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void ThreadPool::submit(std::function<void()> task) {
  if (workers_.empty()) {
    task();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::parallel_for(int n, const std::function<void(int, int)>& fn) {
  const int chunks = std::min(threads(), n);
  if (chunks <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  // Shared so that a worker finishing last never touches a destroyed mutex.
  struct Sync {
    std::atomic<int> remaining;
    std::mutex mu;
    std::condition_variable cv;
  };
  auto sync = std::make_shared<Sync>();
  sync->remaining.store(chunks - 1);
  auto bound = [n, chunks](int k) { return static_cast<int>(static_cast<long long>(n) * k / chunks); };
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int k = 1; k < chunks; ++k)
      tasks_.push_back([sync, &fn, bound, k] {
        fn(bound(k), bound(k + 1));
        std::lock_guard<std::mutex> l(sync->mu);
        if (sync->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) sync->cv.notify_one();
      });
  }
  cv_.notify_all();
  fn(0, bound(1));
  // Short spin first: sync batches of cheap steps finish within microseconds.
  for (int spin = 0; spin < 2000 && sync->remaining.load(std::memory_order_acquire) > 0; ++spin) std::this_thread::yield();
  std::unique_lock<std::mutex> lock(sync->mu);
  sync->cv.wait(lock, [&] { return sync->remaining.load(std::memory_order_acquire) == 0; });
}

}  // namespace a2a

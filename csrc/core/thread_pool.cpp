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
  // A few chunks per thread, claimed from a shared counter: the caller works through every chunk no
  // worker has claimed yet, so a worker that is slow to wake (a busy machine) delays nothing.
  const int chunks = std::min(threads() * kChunksPerThread, n);
  if (threads() == 1 || chunks <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  // Shared so that a worker running its task after parallel_for returned (all chunks claimed) only
  // touches live state; it never calls fn then.
  struct Sync {
    std::atomic<int> next{0}, done{0};
    std::mutex mu;
    std::condition_variable cv;
  };
  auto sync = std::make_shared<Sync>();
  auto work = [sync, &fn, n, chunks] {
    for (int k; (k = sync->next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      fn(static_cast<int>(static_cast<long long>(n) * k / chunks), static_cast<int>(static_cast<long long>(n) * (k + 1) / chunks));
      if (sync->done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        std::lock_guard<std::mutex> l(sync->mu);
        sync->cv.notify_one();
      }
    }
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t w = 0; w < workers_.size(); ++w) tasks_.push_back(work);
  }
  cv_.notify_all();
  work();
  // Only chunks that workers are running are left: a short spin, then sleep.
  for (int spin = 0; spin < 2000 && sync->done.load(std::memory_order_acquire) < chunks; ++spin) std::this_thread::yield();
  std::unique_lock<std::mutex> lock(sync->mu);
  sync->cv.wait(lock, [&] { return sync->done.load(std::memory_order_acquire) == chunks; });
}

}  // namespace a2a

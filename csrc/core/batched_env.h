// The batched episode manager (EnvPool-style): N environments stepped on a thread pool, either in
// lockstep (step: all envs, rows in env order) or asynchronously (send some envs' actions, recv
// the first `batch_size` that finish, rows in completion order with their env ids). Results land
// in preallocated batches (batch_buffer.h); each env keeps a ring of its last H frames, written to
// its row oldest first. Everything an env does depends only on its own seed and episodes, so the
// output is byte-identical whatever the thread count.
//
// Thread safety: calls on one manager are serialised. Every public call that reads or changes the
// envs (reset, step, send, recv, with_env, episode_of, set_frame_target, set_cuda_target) holds the
// manager's call lock, so a second thread's call waits until the first returns: calls interleave
// whole (batch by batch), never inside one another. recv() keeps the lock while it waits, which is
// safe because it waits only for work already sent (it refuses to wait when too little is in flight).
// env(i) is unsynchronised: read it only while no other thread calls the manager. Bindings must not
// wait for the lock while holding a lock of their own that a caller holding it could need (Python:
// release the GIL around every call; with_env's fn must not take the GIL).
//
// Env is a policy class:
//   using Shared = ...;                                  immutable state shared by all envs
//   explicit Env(const Shared&);
//   static int num_episodes(const Shared&);
//   static BatchLayout frame_layout(const Shared&);      height/width (0 when not rendering)
//   void reset(int episode_index);
//   void step(std::string_view action);
//   bool done() const;  bool view_changed() const;
//   void render(uint8_t* rgb) const;
//   void write(BatchBuffer&, int row, bool reset_row) const;
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "batch_buffer.h"
#include "cuda_upload.h"
#include "rng.h"
#include "thread_pool.h"

namespace a2a {

enum class AutoReset : uint8_t {
  NextStep,  // the step after an episode ends resets the env (its action is ignored), as Gymnasium's NEXT_STEP
  Disabled,  // ended envs reject actions (invalid, "episode is over") until reset() is called
};
enum class Sampling : uint8_t {
  Strided,  // env i plays episodes i, i+N, i+2N, ... (mod the number of episodes)
  Random,   // env i draws episodes uniformly from its own seeded stream
};

struct BatchConfig {
  int num_envs = 1;
  int batch_size = 0;   // async recv size; 0 = num_envs
  // Threads stepping the envs, the caller's included: 0 = min(hardware threads, num_envs). An explicit
  // count is capped at num_envs (an env is stepped by one thread at a time: more would only idle).
  int num_threads = 0;
  int history = 1;      // frames per observation (ring of the last H views)
  AutoReset autoreset = AutoReset::NextStep;
  Sampling sampling = Sampling::Strided;
  uint64_t seed = 0;  // env i's random-sampling stream is seeded from (seed, i); see BatchedEnv::reset
};

// Returns "" if valid (0 for batch_size / num_threads means the default).
std::string validate(const BatchConfig& c);

template <class Env>
class BatchedEnv {
 public:
  using Shared = typename Env::Shared;
  using Batch = std::shared_ptr<BatchBuffer>;

  BatchedEnv(std::shared_ptr<const Shared> shared, const BatchConfig& cfg)
      : shared_(std::move(shared)), cfg_(normalized(cfg)), pool_(layout_for(*shared_, cfg_)), threads_(cfg_.num_threads) {
    if (Env::num_episodes(*shared_) < 1) throw std::invalid_argument("no episodes");
    const BatchLayout& l = pool_.layout();
    slots_.reserve(static_cast<size_t>(cfg_.num_envs));
    for (int i = 0; i < cfg_.num_envs; ++i) {
      slots_.emplace_back(*shared_, env_seed(cfg_.seed, i));
      slots_.back().store.assign(l.frame_bytes() * static_cast<size_t>(l.history + 1), 0);
    }
  }

  ~BatchedEnv() {
    // Drain async work so no task touches a destroyed manager.
    std::unique_lock<std::mutex> lock(ready_mu_);
    ready_cv_.wait(lock, [this] { return running_ == 0; });
  }

  const BatchConfig& config() const { return cfg_; }
  const BatchLayout& layout() const { return pool_.layout(); }
  const Shared& shared() const { return *shared_; }
  int num_envs() const { return cfg_.num_envs; }
  int buffers_allocated() const { return pool_.allocated(); }
  const Env& env(int i) const { return slots_.at(static_cast<size_t>(i)).env; }
  int episode_of(int i) const {
    std::lock_guard<std::mutex> call(call_mu_);
    check_ids({i}, "episode_of");
    return slots_[static_cast<size_t>(i)].episode;
  }

  // Frames go to a caller buffer of shape [num_envs, history, height, width, 3] (row = env id)
  // instead of the batch; nullptr restores the default.
  void set_frame_target(uint8_t* frames) {
    std::lock_guard<std::mutex> call(call_mu_);
    check_idle("set_frame_target");
    external_frames_ = frames;
  }

  // After each step/reset/recv, the batch's frames are copied asynchronously into `device` (a CUDA
  // buffer of at least `bytes`: num_envs * history * height * width * 3) on `stream`. nullptr stops.
  void set_cuda_target(void* device, size_t bytes, uintptr_t stream) {
    std::lock_guard<std::mutex> call(call_mu_);
    if (!device) {
      cuda_device_ = nullptr;
      return;
    }
    const size_t need = pool_.layout().row_frame_bytes() * static_cast<size_t>(cfg_.num_envs);
    if (need == 0) throw std::invalid_argument("set_cuda_target: rendering is off, there are no frames to upload");
    if (bytes < need) throw std::invalid_argument("set_cuda_target: device buffer has " + std::to_string(bytes) + " bytes, needs " + std::to_string(need));
    if (!cuda_) cuda_ = std::make_unique<CudaUploader>();
    cuda_device_ = device;
    cuda_stream_ = stream;
  }

  // Resets the given envs (all when empty) to the given episodes (next in their sequence when empty).
  // With a seed, each of these envs first restarts its episode sequence as if the manager had been
  // built with that seed (strided: from its first episode; random: its stream reseeded), so the same
  // seed gives the same episodes, autoresets included, whatever was played before.
  Batch reset(const std::vector<int>& env_ids = {}, const std::vector<int>& episodes = {},
              std::optional<uint64_t> seed = std::nullopt) {
    std::lock_guard<std::mutex> call(call_mu_);
    check_idle("reset");
    std::vector<int> ids = env_ids;
    if (ids.empty())
      for (int i = 0; i < cfg_.num_envs; ++i) ids.push_back(i);
    if (!episodes.empty() && episodes.size() != ids.size())
      throw std::invalid_argument("reset: " + std::to_string(episodes.size()) + " episodes for " + std::to_string(ids.size()) + " envs");
    check_ids(ids, "reset");
    const int n_ep = Env::num_episodes(*shared_);
    for (int e : episodes)
      if (e < 0 || e >= n_ep) throw std::out_of_range("reset: episode index " + std::to_string(e) + " out of range [0, " + std::to_string(n_ep) + ")");
    Batch b = acquire();
    b->rows = static_cast<int>(ids.size());
    threads_.parallel_for(b->rows, [&](int begin, int end) {
      for (int row = begin; row < end; ++row) {
        Slot& s = slots_[static_cast<size_t>(ids[static_cast<size_t>(row)])];
        if (seed) s.restart(env_seed(*seed, ids[static_cast<size_t>(row)]));
        do_reset(s, episodes.empty() ? next_episode(s, ids[static_cast<size_t>(row)]) : episodes[static_cast<size_t>(row)]);
        emit(s, ids[static_cast<size_t>(row)], *b, row, true);
      }
    });
    upload(*b);
    return b;
  }

  // One action per env, in env order; rows come back in env order.
  Batch step(const std::vector<std::string_view>& actions) {
    std::lock_guard<std::mutex> call(call_mu_);
    check_idle("step");
    if (static_cast<int>(actions.size()) != cfg_.num_envs)
      throw std::invalid_argument("step: got " + std::to_string(actions.size()) + " actions for " + std::to_string(cfg_.num_envs) + " envs");
    Batch b = acquire();
    b->rows = cfg_.num_envs;
    threads_.parallel_for(cfg_.num_envs, [&](int begin, int end) {
      for (int i = begin; i < end; ++i) {
        bool reset_row = advance(i, actions[static_cast<size_t>(i)]);
        emit(slots_[static_cast<size_t>(i)], i, *b, i, reset_row);
      }
    });
    upload(*b);
    return b;
  }

  // Async: queue actions for some envs (each env at most once until it is received).
  void send(const std::vector<std::string_view>& actions, const std::vector<int>& env_ids) {
    std::lock_guard<std::mutex> call(call_mu_);
    if (actions.size() != env_ids.size())
      throw std::invalid_argument("send: " + std::to_string(actions.size()) + " actions for " + std::to_string(env_ids.size()) + " env ids");
    check_ids(env_ids, "send");
    {
      std::lock_guard<std::mutex> lock(ready_mu_);
      for (int id : env_ids)
        if (slots_[static_cast<size_t>(id)].in_flight) throw std::invalid_argument("send: env " + std::to_string(id) + " is already in flight; recv() it first");
      for (size_t k = 0; k < env_ids.size(); ++k) {
        Slot& s = slots_[static_cast<size_t>(env_ids[k])];
        s.in_flight = true;
        s.pending.assign(actions[k].data(), actions[k].size());
      }
      in_flight_ += static_cast<int>(env_ids.size());
      running_ += static_cast<int>(env_ids.size());
    }
    for (int id : env_ids) threads_.submit([this, id] { run_async(id); });
  }

  // Async: the next `batch_size` envs to finish.
  Batch recv() {
    std::lock_guard<std::mutex> call(call_mu_);
    std::unique_lock<std::mutex> lock(ready_mu_);
    if (ready_.empty() && in_flight_ < cfg_.batch_size)
      throw std::runtime_error("recv: only " + std::to_string(in_flight_) + " envs in flight, fewer than batch_size " +
                               std::to_string(cfg_.batch_size) + "; recv would wait forever — send more first");
    ready_cv_.wait(lock, [this] { return !ready_.empty(); });
    Batch b = ready_.front();
    ready_.pop_front();
    for (int r = 0; r < b->rows; ++r) slots_[static_cast<size_t>(b->env_id[static_cast<size_t>(r)])].in_flight = false;
    in_flight_ -= b->rows;
    lock.unlock();
    upload(*b);
    return b;
  }

  // Runs fn on one env that is not in flight (other envs may be stepping asynchronously).
  // `what` names the caller's operation in error messages.
  template <class F>
  auto with_env(int i, F&& fn, const char* what = "with_env") -> decltype(fn(std::declval<Env&>())) {
    std::lock_guard<std::mutex> call(call_mu_);
    check_ids({i}, what);
    Slot& s = slots_[static_cast<size_t>(i)];
    {
      std::lock_guard<std::mutex> lock(ready_mu_);
      if (s.in_flight) throw std::runtime_error(std::string(what) + ": env " + std::to_string(i) + " is in flight (sent, not yet received)");
    }
    if (s.started == 0) throw std::runtime_error(std::string(what) + ": env " + std::to_string(i) + " has no episode yet: call reset() first");
    return fn(s.env);
  }

 private:
  struct Slot {
    Slot(const Shared& shared, uint64_t seed) : env(shared), rng(seed) {}
    // Back to the episode sequence of a fresh slot with this seed.
    void restart(uint64_t seed) {
      rng = Rng(seed);
      started = 0;
    }
    Env env;
    Rng rng;
    int episode = -1, started = 0;  // started: episodes begun (strided sampling's position)
    bool needs_reset = true, in_flight = false;
    std::string pending;        // async action
    std::vector<uint8_t> store; // history + 1 frame slots
    std::vector<int> history;   // store slot ids, oldest first
  };

  // The config with its defaults filled in; throws if invalid (before any thread or buffer exists).
  static BatchConfig normalized(BatchConfig c) {
    std::string err = validate(c);
    if (!err.empty()) throw std::invalid_argument(err);
    const int hardware = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    c.num_threads = std::min(c.num_threads == 0 ? hardware : c.num_threads, c.num_envs);
    if (c.batch_size == 0) c.batch_size = c.num_envs;
    return c;
  }
  static uint64_t env_seed(uint64_t seed, int env_id) { return mix_seed(seed, static_cast<uint64_t>(env_id)); }
  static BatchLayout layout_for(const Shared& shared, const BatchConfig& c) {
    BatchLayout l = Env::frame_layout(shared);
    l.batch = std::max(1, c.num_envs);
    l.history = std::max(1, c.history);
    return l;
  }

  void check_idle(const char* what) const {
    std::lock_guard<std::mutex> lock(ready_mu_);
    if (running_ > 0 || in_flight_ > 0)
      throw std::runtime_error(std::string(what) + ": async actions are in flight; recv() them first");
  }
  void check_ids(const std::vector<int>& ids, const char* what) const {
    std::vector<bool> seen(static_cast<size_t>(cfg_.num_envs), false);
    for (int id : ids) {
      if (id < 0 || id >= cfg_.num_envs)
        throw std::out_of_range(std::string(what) + ": env id " + std::to_string(id) + " out of range [0, " + std::to_string(cfg_.num_envs) + ")");
      if (seen[static_cast<size_t>(id)]) throw std::invalid_argument(std::string(what) + ": env id " + std::to_string(id) + " given twice");
      seen[static_cast<size_t>(id)] = true;
    }
  }

  Batch acquire() {
    Batch b = pool_.acquire();
    if (b->cuda_event) {  // its last upload must finish before it is written again
      cuda_->wait(b->cuda_event);
      b->cuda_event = nullptr;
    }
    if (external_frames_) {
      b->frames = external_frames_;
      b->frames_by_env_id = true;
    }
    return b;
  }

  void upload(BatchBuffer& b) {
    if (!cuda_device_) return;
    const size_t row_bytes = pool_.layout().row_frame_bytes();
    const size_t bytes = row_bytes * static_cast<size_t>(b.frames_by_env_id ? cfg_.num_envs : b.rows);
    const size_t capacity = b.frames_by_env_id ? bytes : b.frame_storage.size();
    cuda_->pin(b.frames, capacity);
    b.cuda_event = cuda_->copy_async(cuda_device_, b.frames, bytes, cuda_stream_);
  }

  int next_episode(Slot& s, int env_id) {
    const int n = Env::num_episodes(*shared_);
    int e = cfg_.sampling == Sampling::Random
                ? s.rng.uniform(n)
                : static_cast<int>((static_cast<long long>(env_id) + static_cast<long long>(s.started) * cfg_.num_envs) % n);
    return e;
  }

  void do_reset(Slot& s, int episode) {
    s.env.reset(episode);
    s.episode = episode;
    ++s.started;
    s.needs_reset = false;
    s.history.clear();
    record_frame(s, true);
  }

  // Adds the current view to the env's frame ring, re-rendering only when the view changed.
  void record_frame(Slot& s, bool changed) {
    const BatchLayout& l = pool_.layout();
    if (l.frame_bytes() == 0) return;
    const int cap = l.history;
    if (!changed && !s.history.empty()) {
      int same = s.history.back();
      if (static_cast<int>(s.history.size()) == cap) s.history.erase(s.history.begin());
      s.history.push_back(same);
      return;
    }
    int free_slot = 0;
    for (int k = 0; k <= cap; ++k)
      if (std::find(s.history.begin(), s.history.end(), k) == s.history.end()) {
        free_slot = k;
        break;
      }
    s.env.render(s.store.data() + l.frame_bytes() * static_cast<size_t>(free_slot));
    if (static_cast<int>(s.history.size()) == cap) s.history.erase(s.history.begin());
    s.history.push_back(free_slot);
  }

  // Steps env i (or resets it, if its episode ended); returns true when it was reset.
  bool advance(int i, std::string_view action) {
    Slot& s = slots_[static_cast<size_t>(i)];
    if (s.needs_reset && (s.started == 0 || cfg_.autoreset == AutoReset::NextStep)) {
      do_reset(s, next_episode(s, i));
      return true;
    }
    s.env.step(action);
    record_frame(s, s.env.view_changed());
    if (s.env.done()) s.needs_reset = true;
    return false;
  }

  void emit(const Slot& s, int env_id, BatchBuffer& b, int row, bool reset_row) {
    const size_t r = static_cast<size_t>(row);
    b.env_id[r] = env_id;
    b.episode[r] = s.episode;
    b.first[r] = reset_row;
    s.env.write(b, row, reset_row);
    const BatchLayout& l = pool_.layout();
    const size_t fb = l.frame_bytes();
    if (fb == 0) return;
    const int count = static_cast<int>(s.history.size());
    b.frame_count[r] = count;
    uint8_t* dst = b.frames + l.row_frame_bytes() * static_cast<size_t>(b.frames_by_env_id ? env_id : row);
    const int missing = l.history - count;
    if (missing > 0) std::memset(dst, 0, fb * static_cast<size_t>(missing));
    for (int k = 0; k < count; ++k)
      std::memcpy(dst + fb * static_cast<size_t>(missing + k), s.store.data() + fb * static_cast<size_t>(s.history[static_cast<size_t>(k)]), fb);
  }

  void run_async(int id) {
    Slot& s = slots_[static_cast<size_t>(id)];
    bool reset_row = advance(id, s.pending);
    // Rows are claimed after stepping: a batch is made of the envs that finish first.
    Batch target;
    int row;
    {
      std::lock_guard<std::mutex> lock(fill_mu_);
      if (!filling_) filling_ = acquire();
      target = filling_;
      row = filling_->rows++;
      if (filling_->rows == cfg_.batch_size) filling_.reset();
    }
    emit(s, id, *target, row, reset_row);
    if (target->written.fetch_add(1, std::memory_order_acq_rel) + 1 == cfg_.batch_size) {
      std::lock_guard<std::mutex> lock(ready_mu_);
      ready_.push_back(target);
    }
    {
      std::lock_guard<std::mutex> lock(ready_mu_);
      --running_;
    }
    ready_cv_.notify_all();
  }

  std::shared_ptr<const Shared> shared_;
  BatchConfig cfg_;
  BufferPool pool_;
  std::vector<Slot> slots_;
  uint8_t* external_frames_ = nullptr;
  std::unique_ptr<CudaUploader> cuda_;  // after pool_: unpins before the batches are freed
  void* cuda_device_ = nullptr;
  uintptr_t cuda_stream_ = 0;

  mutable std::mutex call_mu_;  // serialises the public calls (see the top of this file)
  mutable std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  std::deque<Batch> ready_;
  int in_flight_ = 0, running_ = 0;
  std::mutex fill_mu_;
  Batch filling_;

  ThreadPool threads_;  // last: destroyed first, joining workers before the state they use goes
};

}  // namespace a2a

// A trivial environment for measuring the batched manager's own overhead (bench/ compares it
// with EnvPool's CartPole): each step adds one to a counter; episodes last a fixed number of steps.
#pragma once
#include <string_view>

#include "batched_env.h"

namespace a2a {

struct NullShared {
  int episode_length = 200;
};

class NullEnvSlot {
 public:
  using Shared = NullShared;
  explicit NullEnvSlot(const Shared& s) : length_(s.episode_length) {}
  static int num_episodes(const Shared&) { return 1; }
  static BatchLayout frame_layout(const Shared&) { return BatchLayout{}; }
  void reset(int) { t_ = 0; }
  void step(std::string_view) { ++t_; }
  bool done() const { return t_ >= length_; }
  bool view_changed() const { return false; }
  void render(uint8_t*) const {}
  void write(BatchBuffer& b, int row, bool reset_row) const {
    const size_t r = static_cast<size_t>(row);
    b.step[r] = t_;
    b.reward[r] = reset_row ? 0.f : 1.f;
    b.terminated[r] = !reset_row && done();
  }

 private:
  int length_;
  int t_ = 0;
};

using NullBatchedEnv = BatchedEnv<NullEnvSlot>;

}  // namespace a2a

// The Ask-to-Act environment as a batched-manager policy class (see batched_env.h).
#pragma once
#include <memory>
#include <vector>

#include "batched_env.h"
#include "env.h"
#include "render.h"

namespace a2a {

struct AskShared {
  std::vector<EpisodePtr> episodes;
  RewardConfig rewards;
  Renderer renderer;
  AskShared(std::vector<EpisodePtr> eps, const RewardConfig& r, const RenderConfig& render)
      : episodes(std::move(eps)), rewards(r), renderer(render) {}
};

class AskEnvSlot {
 public:
  using Shared = AskShared;
  explicit AskEnvSlot(const Shared& s) : shared_(&s), env_(s.rewards) {}
  static int num_episodes(const Shared& s) { return static_cast<int>(s.episodes.size()); }
  static BatchLayout frame_layout(const Shared& s) {
    BatchLayout l;
    l.height = s.renderer.config().height;
    l.width = s.renderer.config().width;
    if (!s.renderer.config().enabled()) l.height = l.width = 0;
    return l;
  }
  void reset(int episode) { env_.reset(shared_->episodes[static_cast<size_t>(episode)]); }
  void step(std::string_view action) { env_.step(action); }
  bool done() const { return env_.done(); }
  bool view_changed() const { return env_.view_changed(); }
  void render(uint8_t* rgb) const { shared_->renderer.render(env_.world(), rgb); }
  std::vector<ViewItem> view_layout() const { return shared_->renderer.layout(env_.world()); }
  void write(BatchBuffer& b, int row, bool reset_row) const;

  const AskEnv& env() const { return env_; }
  AskEnv& env() { return env_; }

 private:
  const Shared* shared_;
  AskEnv env_;
};

using AskBatchedEnv = BatchedEnv<AskEnvSlot>;

}  // namespace a2a

// A trivial environment for measuring the batched manager's own overhead (bench/ compares it with
// EnvPool's CartPole): each step adds one to a counter and episodes last a fixed number of steps,
// but every step writes the same observation fields as the Ask-to-Act env (counters, reward terms,
// flags, the instruction, the echoed action and an answer), so the comparison includes producing
// an observation into the batch, as CartPole's does.
#pragma once
#include <string>
#include <string_view>

#include "batched_env.h"

namespace a2a {

struct NullShared {
  int episode_length = 200;
  std::string instruction = "Take the mug to one of the shelves.";
  std::string answer = "I don't understand.";
};

class NullEnvSlot {
 public:
  using Shared = NullShared;
  explicit NullEnvSlot(const Shared& s) : shared_(&s) {}
  static int num_episodes(const Shared&) { return 1; }
  static BatchLayout frame_layout(const Shared&) { return BatchLayout{}; }
  void reset(int) {
    t_ = 0;
    action_.clear();
  }
  void step(std::string_view action) {
    ++t_;
    action_.assign(action.data(), action.size());
  }
  bool done() const { return t_ >= shared_->episode_length; }
  bool view_changed() const { return false; }
  void render(uint8_t*) const {}
  void write(BatchBuffer& b, int row, bool reset_row) const {
    const size_t r = static_cast<size_t>(row);
    const bool stepped = !reset_row;
    b.step[r] = t_;
    b.reward[r] = stepped ? 1.f : 0.f;
    for (int k = 0; k < kNumRewardTerms; ++k) b.reward_terms[r * kNumRewardTerms + static_cast<size_t>(k)] = 0.f;
    b.terminated[r] = stepped && done();
    b.truncated[r] = b.success[r] = b.failure[r] = b.invalid[r] = b.asked[r] = b.useful[r] = 0;
    b.invalid_reason[r] = 0;
    b.question_type[r] = -1;
    b.questions[r] = b.useful_questions[r] = b.invalid_actions[r] = b.K[r] = b.budget[r] = 0;
    put_text(b.instruction, kInstructionChars, row, shared_->instruction);
    put_text(b.last_action, kActionChars, row, stepped ? std::string_view(action_) : std::string_view());
    put_text(b.answer, kAnswerChars, row, stepped ? std::string_view(shared_->answer) : std::string_view());
  }

 private:
  const Shared* shared_;
  int t_ = 0;
  std::string action_;
};

using NullBatchedEnv = BatchedEnv<NullEnvSlot>;

}  // namespace a2a

#include "ask_batched.h"

namespace a2a {

void AskEnvSlot::write(BatchBuffer& b, int row, bool reset_row) const {
  const size_t r = static_cast<size_t>(row);
  const StepResult& s = env_.last();
  const bool stepped = !reset_row;
  b.step[r] = env_.steps();
  b.reward[r] = stepped ? s.reward : 0.f;
  for (int t = 0; t < kNumRewardTerms; ++t) b.reward_terms[r * kNumRewardTerms + static_cast<size_t>(t)] = stepped ? s.terms[t] : 0.f;
  b.terminated[r] = stepped && s.terminated;
  b.truncated[r] = stepped && s.truncated;
  b.success[r] = stepped && s.success;
  b.failure[r] = stepped && s.failure;
  b.invalid[r] = stepped && s.invalid != Invalid::None;
  b.invalid_reason[r] = stepped ? static_cast<int32_t>(s.invalid) : 0;
  b.asked[r] = stepped && s.asked;
  b.useful[r] = stepped && s.useful;
  b.question_type[r] = stepped ? s.question_type : -1;
  b.questions[r] = env_.questions();
  b.useful_questions[r] = env_.useful_questions();
  b.invalid_actions[r] = env_.invalid_actions();
  b.K[r] = env_.episode().K;
  b.budget[r] = env_.budget();
  b.targets[r] = env_.num_targets();
  b.delivered[r] = env_.delivered();
  put_text(b.instruction, kInstructionChars, row, env_.episode().instruction);
  put_text(b.last_action, kActionChars, row, stepped ? env_.last_action() : std::string());
  put_text(b.answer, kAnswerChars, row, stepped ? env_.last_answer() : std::string());
}

}  // namespace a2a

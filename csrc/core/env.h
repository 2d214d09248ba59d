// One Ask-to-Act environment: runs an episode, steps text actions, answers questions through the
// built-in user, judges them with the oracle, and accounts rewards and counters.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "episode.h"
#include "grammar.h"
#include "hypotheses.h"
#include "multi_progress.h"
#include "observed.h"
#include "reward.h"
#include "world.h"

namespace a2a {

struct StepResult {
  float reward = 0;
  float terms[kNumRewardTerms] = {};
  bool terminated = false, truncated = false;
  bool success = false, failure = false;
  Invalid invalid = Invalid::None;
  bool asked = false, useful = false;
  int question_type = -1;  // QType of the question asked this step, -1 if none
};

// Parses a question as the episode's user understands it: the multi-object forms (a subject named by
// description, preference templates) only in multi-object episodes, Unknown in fetch episodes.
Question episode_question(const Episode& e, std::string_view text);

// The episode's action vocabulary: canonical_actions, plus preference_actions for multi-object tasks.
std::vector<std::string> episode_actions(const Episode& e);

class AskEnv {
 public:
  explicit AskEnv(const RewardConfig& rewards = {});

  void reset(EpisodePtr episode);
  // Takes one text action. After the episode ended, further steps are rejected (EpisodeOver).
  const StepResult& step(std::string_view action);

  const Episode& episode() const { return *episode_; }
  const EpisodePtr& episode_ptr() const { return episode_; }
  const World& world() const { return world_; }
  const ObservedWorld& observed() const { return observed_; }  // what the robot has seen so far
  const StepResult& last() const { return last_; }
  const std::string& last_action() const { return last_action_; }
  const std::string& last_answer() const { return last_answer_; }
  bool done() const { return done_; }
  bool view_changed() const { return view_changed_; }  // since the previous step (for frame reuse)

  int steps() const { return steps_; }
  int questions() const { return questions_; }
  int useful_questions() const { return useful_questions_; }
  int invalid_actions() const { return invalid_actions_; }
  bool success() const { return success_; }
  HypothesisMask consistent() const { return consistent_; }  // hypotheses left after the dialogue
  int budget() const { return episode_->K + rewards_.budget_delta; }
  int num_targets() const;  // objects the user wants moved (1 for fetch)
  int delivered() const;    // of them, standing on their goals now

  // What the built-in user would say to `question` now, without taking a step.
  std::string answer(std::string_view question) const;
  // The oracle's next question (canonical text) for the hypotheses still consistent with the
  // dialogue, or "" when they are down to one; *remaining: questions still needed (this one included).
  std::string oracle_question(int* remaining) const;

 private:
  void do_navigate(int r);
  void do_pick(const ObjectDesc& d);
  void do_place(int r);
  void do_open_close(int r, bool open);
  void do_ask(const Question& q);
  void subgoal(uint32_t bit);
  void add_subgoals(int n);
  int multi_code(const Question& q) const;  // the user's answer code in a multi-object episode

  RewardConfig rewards_;
  EpisodePtr episode_;
  World world_;
  ObservedWorld observed_;
  StepResult last_;
  std::string last_action_, last_answer_;
  bool done_ = true, success_ = false, view_changed_ = true;
  int steps_ = 0, questions_ = 0, useful_questions_ = 0, invalid_actions_ = 0;
  uint32_t subgoals_done_ = 0;
  MultiProgress multi_;  // multi-object episodes
  HypothesisMask consistent_ = 0;
};

}  // namespace a2a

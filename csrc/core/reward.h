// Reward terms of an Ask-to-Act step. Every term has its own weight and is reported separately.
#pragma once

namespace a2a {

enum RewardTerm : int {
  kRewardSuccess = 0,     // the target reached the goal
  kRewardSubgoal,         // first sight of the target, target picked, a needed receptacle opened, goal reached with the target
  kRewardQuestion,        // a useful question within the budget (oracle judge; an LLM judge may replace it)
  kRewardOverBudget,      // each question beyond B = K + budget_delta
  kRewardSlack,           // every step
  kRewardInvalid,         // an invalid action
  kRewardFailure,         // an irreversible failure (a wrong delivery)
  kNumRewardTerms
};
const char* reward_term_name(int term);

struct RewardConfig {
  float success = 10.0f;
  float subgoal = 1.0f;
  float useful_question = 1.0f;
  float over_budget = -1.0f;
  float slack = -0.05f;
  float invalid = -0.1f;
  float failure = -2.0f;
  int budget_delta = 0;  // B = K + budget_delta (the paper uses 0, 1, 2, 4)
};

// Returns "" if valid, else what is wrong.
const char* validate(const RewardConfig& r);

}  // namespace a2a

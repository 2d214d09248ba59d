// Reward terms of an Ask-to-Act step. Every term has its own weight and is reported separately.
// This table is the one definition of the terms, their names, default weights and signs: the
// Python side (a2a.env.RewardWeights) is built from it through _core.reward_table().
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

struct RewardTermInfo {
  const char* name;
  float default_weight;
  bool penalty;  // the weight must be <= 0
  const char* description;
};

// The term's name, default weight, sign and description (term in [0, kNumRewardTerms)).
const RewardTermInfo& reward_term_info(int term);
const char* reward_term_name(int term);
// The term with this name, or -1.
int reward_term_index(const char* name);

struct RewardConfig {
  float weight[kNumRewardTerms];  // per term; defaults from the table
  int budget_delta = 0;           // B = K + budget_delta (the paper uses 0, 1, 2, 4)

  RewardConfig() {
    for (int t = 0; t < kNumRewardTerms; ++t) weight[t] = reward_term_info(t).default_weight;
  }
  float operator[](RewardTerm t) const { return weight[t]; }
};

// Returns "" if valid, else what is wrong.
const char* validate(const RewardConfig& r);

}  // namespace a2a

#include "reward.h"

namespace a2a {

const char* reward_term_name(int term) {
  static const char* n[] = {"success", "subgoal", "useful_question", "over_budget", "slack", "invalid", "failure"};
  return (term >= 0 && term < kNumRewardTerms) ? n[term] : "?";
}

const char* validate(const RewardConfig& r) {
  if (r.budget_delta < 0) return "budget_delta must be >= 0";
  if (r.over_budget > 0) return "over_budget is a penalty and must be <= 0";
  if (r.slack > 0) return "slack is a penalty and must be <= 0";
  if (r.invalid > 0) return "invalid is a penalty and must be <= 0";
  if (r.failure > 0) return "failure is a penalty and must be <= 0";
  return "";
}

}  // namespace a2a

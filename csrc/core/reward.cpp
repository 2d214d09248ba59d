#include "reward.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace a2a {
namespace {

const RewardTermInfo kTerms[kNumRewardTerms] = {
    {"success", 10.0f, false, "the target reached the goal"},
    {"subgoal", 1.0f, false, "first sight of the target, target picked, a needed receptacle opened, at the goal holding it"},
    {"useful_question", 1.0f, false, "a useful question within the budget B = K + budget_delta"},
    {"over_budget", -1.0f, true, "each question beyond the budget"},
    {"slack", -0.05f, true, "every step"},
    {"invalid", -0.1f, true, "an invalid action"},
    {"failure", -2.0f, true, "an irreversible failure (a wrong delivery)"},
};

}  // namespace

const RewardTermInfo& reward_term_info(int term) {
  static const RewardTermInfo unknown{"?", 0.0f, false, ""};
  return (term >= 0 && term < kNumRewardTerms) ? kTerms[term] : unknown;
}

const char* reward_term_name(int term) { return reward_term_info(term).name; }

int reward_term_index(const char* name) {
  for (int t = 0; t < kNumRewardTerms; ++t)
    if (std::strcmp(kTerms[t].name, name) == 0) return t;
  return -1;
}

const char* validate(const RewardConfig& r) {
  if (r.budget_delta < 0) return "budget_delta must be >= 0";
  static thread_local char msg[96];
  for (int t = 0; t < kNumRewardTerms; ++t) {
    // NaN passes every comparison, and one NaN or inf weight turns every return it touches to NaN
    if (!std::isfinite(r.weight[t])) {
      std::snprintf(msg, sizeof msg, "%s must be a finite number, got %g", kTerms[t].name, static_cast<double>(r.weight[t]));
      return msg;
    }
    if (kTerms[t].penalty && r.weight[t] > 0) {
      std::snprintf(msg, sizeof msg, "%s is a penalty and must be <= 0", kTerms[t].name);
      return msg;
    }
  }
  return "";
}

}  // namespace a2a

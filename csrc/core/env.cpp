#include "env.h"

#include "catalog.h"
#include "user.h"

namespace a2a {
namespace {

enum Subgoal : uint32_t {
  kSubgoalSeen = 1,          // the target came into view
  kSubgoalPicked = 2,        // the target was picked
  kSubgoalOpenedSource = 4,  // the closed receptacle holding the target was opened
  kSubgoalOpenedGoal = 8,    // the closed goal receptacle was opened
  kSubgoalAtGoal = 16,       // arrived at the goal holding the target
};

constexpr size_t kMaxEchoChars = 255;

}  // namespace

AskEnv::AskEnv(const RewardConfig& rewards) : rewards_(rewards) {}

void AskEnv::reset(EpisodePtr episode) {
  episode_ = std::move(episode);
  world_ = episode_->world;
  last_ = StepResult{};
  last_action_.clear();
  last_answer_.clear();
  done_ = false;
  success_ = false;
  view_changed_ = true;
  steps_ = questions_ = useful_questions_ = invalid_actions_ = 0;
  subgoals_done_ = 0;
  consistent_ = full_mask(episode_->hypotheses.size());
}

void AskEnv::subgoal(uint32_t bit) {
  if (subgoals_done_ & bit) return;
  subgoals_done_ |= bit;
  last_.terms[kRewardSubgoal] += rewards_[kRewardSubgoal];
}

const StepResult& AskEnv::step(std::string_view action) {
  last_ = StepResult{};
  view_changed_ = false;
  last_action_.assign(action.data(), std::min(action.size(), kMaxEchoChars));
  last_answer_.clear();
  if (done_) {
    last_.invalid = Invalid::EpisodeOver;
    last_.terminated = true;
    return last_;
  }
  ++steps_;
  last_.terms[kRewardSlack] = rewards_[kRewardSlack];

  Action a = parse_action(action, episode_->names);
  last_.invalid = a.invalid;
  switch (a.type) {
    case ActionType::Navigate: do_navigate(a.receptacle); break;
    case ActionType::Pick: do_pick(a.object); break;
    case ActionType::Place: do_place(a.receptacle); break;
    case ActionType::Open: do_open_close(a.receptacle, true); break;
    case ActionType::Close: do_open_close(a.receptacle, false); break;
    case ActionType::Ask: do_ask(a.question); break;
    case ActionType::Invalid: break;
  }
  if (last_.invalid != Invalid::None) {
    ++invalid_actions_;
    last_.terms[kRewardInvalid] = rewards_[kRewardInvalid];
  }
  if (last_.success) {
    success_ = true;
    last_.terms[kRewardSuccess] = rewards_[kRewardSuccess];
    last_.terminated = true;
  } else if (last_.failure) {
    last_.terms[kRewardFailure] = rewards_[kRewardFailure];
    last_.terminated = true;
  } else if (steps_ >= episode_->max_steps) {
    last_.truncated = true;
  }
  done_ = last_.terminated || last_.truncated;
  float total = 0;
  for (float t : last_.terms) total += t;
  last_.reward = total;
  return last_;
}

void AskEnv::do_navigate(int r) {
  if (world_.robot_at != r) view_changed_ = true;
  world_.robot_at = r;
  world_.robot_room = world_.receptacles[r].room;
  const Object& t = world_.objects[episode_->target];
  if (t.receptacle == r && world_.contents_visible(r)) subgoal(kSubgoalSeen);
  if (world_.held == episode_->target && r == episode_->goal) subgoal(kSubgoalAtGoal);
}

void AskEnv::do_pick(const ObjectDesc& d) {
  const int r = world_.robot_at;
  if (r < 0) { last_.invalid = Invalid::NotAtReceptacle; return; }
  if (!world_.receptacles[r].open) { last_.invalid = Invalid::ReceptacleClosed; return; }
  if (world_.held >= 0) { last_.invalid = Invalid::HandsFull; return; }
  int match = -1, count = 0;
  const Receptacle& rec = world_.receptacles[r];
  for (int s = 0; s < rec.num_slots; ++s) {
    int o = rec.slot_object[s];
    if (o >= 0 && d.matches(world_.objects[o])) match = o, ++count;
  }
  if (count == 0) { last_.invalid = Invalid::NoMatchingObject; return; }
  if (count > 1) { last_.invalid = Invalid::AmbiguousObject; return; }
  world_.remove_from_receptacle(match);
  world_.held = match;
  view_changed_ = true;
  if (match == episode_->target) subgoal(kSubgoalPicked);
}

void AskEnv::do_place(int r) {
  if (world_.robot_at != r) { last_.invalid = Invalid::NotAtReceptacle; return; }
  if (world_.held < 0) { last_.invalid = Invalid::HandsEmpty; return; }
  if (!world_.receptacles[r].open) { last_.invalid = Invalid::ReceptacleClosed; return; }
  int slot = world_.free_slot(r);
  if (slot < 0) { last_.invalid = Invalid::ReceptacleFull; return; }
  const int o = world_.held;
  world_.held = -1;
  world_.place(o, r, slot);
  view_changed_ = true;
  if (o == episode_->target && r == episode_->goal) {
    last_.success = true;
    return;
  }
  // Delivering a lookalike, or the target to the wrong one of the possible goals, is a failure the
  // user sees: the episode ends.
  bool candidate_object = false, candidate_goal = false;
  for (const Hypothesis& h : episode_->hypotheses) {
    candidate_object |= h.object == o;
    candidate_goal |= h.goal == r;
  }
  if (candidate_object && candidate_goal) last_.failure = true;
}

void AskEnv::do_open_close(int r, bool open) {
  if (world_.robot_at != r) { last_.invalid = Invalid::NotAtReceptacle; return; }
  if (!world_.is_articulated(r)) { last_.invalid = Invalid::NotArticulated; return; }
  Receptacle& rec = world_.receptacles[r];
  if (rec.open == open) { last_.invalid = open ? Invalid::AlreadyOpen : Invalid::AlreadyClosed; return; }
  rec.open = open;
  view_changed_ = true;
  if (!open) return;
  const Episode& e = *episode_;
  if (r == e.world.objects[e.target].receptacle && !e.world.receptacles[r].open) subgoal(kSubgoalOpenedSource);
  if (r == e.goal && !e.world.receptacles[r].open) subgoal(kSubgoalOpenedGoal);
  if (world_.objects[e.target].receptacle == r) subgoal(kSubgoalSeen);
}

void AskEnv::do_ask(const Question& q) {
  const Episode& e = *episode_;
  ++questions_;
  last_.asked = true;
  last_.question_type = static_cast<int>(q.type);
  const int code = answer_code(world_, q, e.target, e.goal);
  last_answer_ = answer_text(world_, q, code, world_.objects[e.target].category);
  // Oracle judge: useful iff the answer rules out a hypothesis still consistent with the dialogue.
  HypothesisMask left = filter_by_answer(world_, e.hypotheses, consistent_, q, code);
  last_.useful = left != consistent_;
  consistent_ = left;
  if (last_.useful) ++useful_questions_;
  if (questions_ <= budget()) {
    if (last_.useful) last_.terms[kRewardQuestion] = rewards_[kRewardQuestion];
  } else {
    last_.terms[kRewardOverBudget] = rewards_[kRewardOverBudget];
  }
}

std::string AskEnv::answer(std::string_view question) const {
  const Episode& e = *episode_;
  Question q = parse_question(question, e.names);
  int code = answer_code(world_, q, e.target, e.goal);
  return answer_text(world_, q, code, world_.objects[e.target].category);
}

std::string AskEnv::oracle_question(int* remaining) const {
  Question q;
  if (!best_question(world_, episode_->hypotheses, consistent_, &q, remaining)) return "";
  return question_text(q, world_);
}

}  // namespace a2a

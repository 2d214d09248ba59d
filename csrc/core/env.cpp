#include "env.h"

#include <algorithm>

#include "catalog.h"
#include "preference_user.h"
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

Question episode_question(const Episode& e, std::string_view text) {
  Question q = parse_question(text, e.names);
  return (!e.multi_object() && is_multi_object_question(q)) ? Question{} : q;
}

std::vector<std::string> episode_actions(const Episode& e) {
  std::vector<std::string> out = canonical_actions(e.world);
  if (e.multi_object())
    for (std::string& a : preference_actions(e.world))
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
  return out;
}

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
  if (episode_->multi_object()) multi_.reset(*episode_);
  consistent_ = full_mask(episode_->num_hypotheses());
  observed_.reset(world_);
}

void AskEnv::add_subgoals(int n) { last_.terms[kRewardSubgoal] += static_cast<float>(n) * rewards_[kRewardSubgoal]; }

int AskEnv::num_targets() const { return episode_->multi_object() ? static_cast<int>(episode_->multi.targets.size()) : 1; }

int AskEnv::delivered() const {
  if (episode_->multi_object()) return multi_.delivered(world_);
  return world_.objects[static_cast<size_t>(episode_->target)].receptacle == episode_->goal ? 1 : 0;
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
  if (a.type == ActionType::Ask && !episode_->multi_object() && is_multi_object_question(a.question)) a.question = Question{};
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
  if (view_changed_) observed_.observe(world_);
  float total = 0;
  for (float t : last_.terms) total += t;
  last_.reward = total;
  return last_;
}

void AskEnv::do_navigate(int r) {
  if (world_.robot_at != r) view_changed_ = true;
  world_.robot_at = r;
  world_.robot_room = world_.receptacles[r].room;
  if (episode_->multi_object()) {
    add_subgoals(multi_.on_navigate(world_, r));
    return;
  }
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
  if (episode_->multi_object()) add_subgoals(multi_.on_pick(match));
  else if (match == episode_->target) subgoal(kSubgoalPicked);
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
  if (episode_->multi_object()) {
    MultiProgress::Placed p = multi_.on_place(world_, o, r);
    add_subgoals(p.subgoals);
    last_.success = p.success;
    last_.failure = p.failure;
    return;
  }
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
  if (episode_->multi_object()) {
    add_subgoals(multi_.on_open(world_, r));
    return;
  }
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
  HypothesisMask left;
  if (e.multi_object()) {
    const int code = multi_code(q);
    last_answer_ = multi_answer_text(world_, q, code);
    left = multi_filter_by_answer(world_, e.multi, consistent_, q, code);
  } else {
    const int code = answer_code(world_, q, e.target, e.goal);
    last_answer_ = answer_text(world_, q, code, world_.objects[e.target].category);
    left = filter_by_answer(world_, e.hypotheses, consistent_, q, code);
  }
  // Oracle judge: useful iff the answer rules out a hypothesis still consistent with the dialogue.
  last_.useful = left != consistent_;
  consistent_ = left;
  if (last_.useful) ++useful_questions_;
  if (questions_ <= budget()) {
    if (last_.useful) last_.terms[kRewardQuestion] = rewards_[kRewardQuestion];
  } else {
    last_.terms[kRewardOverBudget] = rewards_[kRewardOverBudget];
  }
}

int AskEnv::multi_code(const Question& q) const {
  const MultiTask& m = episode_->multi;
  const Assignment& truth = m.assignments[static_cast<size_t>(m.true_assignment)];
  const int object = question_object(world_, q);
  return multi_answer_code(world_, q, object, object < 0 ? -1 : destination(m.prefs, truth, object));
}

std::string AskEnv::answer(std::string_view question) const {
  const Episode& e = *episode_;
  Question q = episode_question(e, question);
  if (e.multi_object()) return multi_answer_text(world_, q, multi_code(q));
  int code = answer_code(world_, q, e.target, e.goal);
  return answer_text(world_, q, code, world_.objects[e.target].category);
}

std::string AskEnv::oracle_question(int* remaining) const {
  Question q;
  const bool found = episode_->multi_object() ? multi_best_question(world_, episode_->multi, consistent_, &q, remaining)
                                              : best_question(world_, episode_->hypotheses, consistent_, &q, remaining);
  return found ? question_text(q, world_) : "";
}

}  // namespace a2a

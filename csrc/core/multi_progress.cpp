#include "multi_progress.h"

namespace a2a {

void MultiProgress::reset(const Episode& e) {
  episode_ = &e;
  reached_.assign(e.multi.targets.size(), 0);
  opened_.assign(e.world.receptacles.size(), 0);
}

int MultiProgress::reach(size_t target, uint8_t bit) {
  if (reached_[target] & bit) return 0;
  reached_[target] |= bit;
  return 1;
}

int MultiProgress::target_index(int object) const {
  const auto& t = episode_->multi.targets;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].object == object) return static_cast<int>(i);
  return -1;
}

int MultiProgress::on_navigate(const World& w, int r) {
  int n = 0;
  const auto& targets = episode_->multi.targets;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (w.objects[static_cast<size_t>(targets[i].object)].receptacle == r && w.contents_visible(r)) n += reach(i, kSeen);
    if (w.held == targets[i].object && r == targets[i].goal) n += reach(i, kAtGoal);
  }
  return n;
}

int MultiProgress::on_open(const World& w, int r) {
  const Episode& e = *episode_;
  if (e.world.receptacles[static_cast<size_t>(r)].open) return 0;  // it was open at the start: nothing needed
  int n = 0;
  bool needed = false;
  for (size_t i = 0; i < e.multi.targets.size(); ++i) {
    const Target& t = e.multi.targets[i];
    const int at = w.objects[static_cast<size_t>(t.object)].receptacle;
    needed |= t.goal == r || (at == r && !(reached_[i] & kDelivered));
    if (at == r) n += reach(i, kSeen);
  }
  if (needed && !opened_[static_cast<size_t>(r)]) {
    opened_[static_cast<size_t>(r)] = 1;
    ++n;
  }
  return n;
}

int MultiProgress::on_pick(int object) {
  int i = target_index(object);
  return i < 0 ? 0 : reach(static_cast<size_t>(i), kPicked);
}

MultiProgress::Placed MultiProgress::on_place(const World& w, int object, int r) {
  Placed out;
  const int i = target_index(object);
  const int origin = episode_->world.objects[static_cast<size_t>(object)].receptacle;
  if (i < 0) {
    out.failure = r != origin;  // an object that should stay was moved
    return out;
  }
  const Target& t = episode_->multi.targets[static_cast<size_t>(i)];
  if (r == t.goal) {
    out.subgoals = reach(static_cast<size_t>(i), kDelivered);
    out.success = delivered(w) == static_cast<int>(episode_->multi.targets.size());
  } else {
    out.failure = r != origin;  // a place the user rejects
  }
  return out;
}

int MultiProgress::delivered(const World& w) const {
  int n = 0;
  for (const Target& t : episode_->multi.targets) n += w.objects[static_cast<size_t>(t.object)].receptacle == t.goal;
  return n;
}

}  // namespace a2a

// How far a multi-object episode has come: per-target sub-goals (found, picked, brought to its goal,
// delivered), the closed receptacles it needed opened, and the episode's end — success when every
// target stands on its goal, failure when an object that should stay is put somewhere else or a
// target is put on a receptacle the user rejects (anything but its goal; putting an object back
// where it came from is neither).
#pragma once
#include <cstdint>
#include <vector>

#include "episode.h"

namespace a2a {

class MultiProgress {
 public:
  void reset(const Episode& e);
  // Each returns the number of sub-goals reached for the first time by the action.
  int on_navigate(const World& w, int r);
  int on_open(const World& w, int r);
  int on_pick(int object);
  struct Placed {
    int subgoals = 0;
    bool success = false, failure = false;
  };
  Placed on_place(const World& w, int object, int r);
  int delivered(const World& w) const;  // targets standing on their goals now

 private:
  enum : uint8_t { kSeen = 1, kPicked = 2, kAtGoal = 4, kDelivered = 8 };
  int reach(size_t target, uint8_t bit);
  int target_index(int object) const;

  const Episode* episode_ = nullptr;
  std::vector<uint8_t> reached_;  // per target
  std::vector<uint8_t> opened_;   // per receptacle: its needed opening was rewarded
};

}  // namespace a2a

#include "episode.h"

#include <set>

#include "catalog.h"

namespace a2a {

const char* ambiguity_bit_name(int bit) {
  static const char* n[] = {"attribute", "size", "spatial_receptacle", "spatial_room", "spatial_neighbor", "placement",
                           "preference"};
  return (bit >= 0 && bit < kNumAmbiguityBits) ? n[bit] : "?";
}

std::string ambiguity_label(uint32_t bits) {
  if (bits == 0) return "none";
  std::string s;
  for (int b = 0; b < kNumAmbiguityBits; ++b)
    if (bits >> b & 1) s += (s.empty() ? "" : "+") + std::string(ambiguity_bit_name(b));
  return s;
}

bool parse_ambiguity_label(const std::string& s, uint32_t* bits) {
  *bits = 0;
  if (s == "none") return true;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('+', i);
    if (j == std::string::npos) j = s.size();
    std::string part = s.substr(i, j - i);
    int found = -1;
    for (int b = 0; b < kNumAmbiguityBits; ++b)
      if (part == ambiguity_bit_name(b)) found = b;
    if (found < 0) return false;
    *bits |= 1u << found;
    i = j + 1;
  }
  return *bits != 0;
}

const char* split_name(Split s) {
  static const char* n[] = {"train", "val_unseen_scenes", "val_unseen_tasks", "test_unseen_scenes", "test_unseen_tasks", "custom"};
  return n[static_cast<int>(s)];
}

bool parse_split(const std::string& s, Split* out) {
  for (int i = 0; i < kNumSplits; ++i)
    if (s == split_name(static_cast<Split>(i))) {
      *out = static_cast<Split>(i);
      return true;
    }
  return false;
}

namespace {

// The multi-object part of finalize_episode (the world is checked).
std::string finalize_multi_object(Episode& e, bool check_k) {
  if (e.max_steps < 1) return "max_steps: must be positive";
  std::string err = finalize_multi_task(e.world, e.task, e.multi);
  if (!err.empty()) return err;
  e.names = SceneNames(e.world);
  e.hypotheses.clear();
  e.true_hypothesis = -1;
  e.target = e.multi.targets[0].object;
  e.goal = e.multi.targets[0].goal;
  int k = multi_min_questions(e.world, e.multi);
  if (k < 0) return "K: no question sequence of length <= 8 identifies the assignment";
  if (check_k && k != e.K) return "K: stored " + std::to_string(e.K) + ", computed " + std::to_string(k);
  e.K = k;
  return "";
}

}  // namespace

std::string finalize_episode(Episode& e, bool check_k) {
  World& w = e.world;
  const int n_rec = static_cast<int>(w.receptacles.size());
  const int n_obj = static_cast<int>(w.objects.size());
  if (w.rooms.empty()) return "world.rooms: empty";
  std::set<int> room_types_seen;
  for (size_t i = 0; i < w.rooms.size(); ++i) {
    int t = w.rooms[i].type;
    if (t < 0 || t >= static_cast<int>(room_types().size())) return "world.rooms[" + std::to_string(i) + "]: bad room type";
    if (!room_types_seen.insert(t).second) return "world.rooms[" + std::to_string(i) + "]: room type appears twice";
  }
  std::set<std::string> names;
  for (int r = 0; r < n_rec; ++r) {
    Receptacle& rec = w.receptacles[r];
    std::string where = "world.receptacles[" + std::to_string(r) + "]";
    if (rec.name.empty()) return where + ".name: empty";
    if (!names.insert(rec.name).second) return where + ".name: '" + rec.name + "' is not unique";
    if (rec.room < 0 || rec.room >= static_cast<int>(w.rooms.size())) return where + ".room: out of range";
    if (rec.num_slots < 1 || rec.num_slots > kMaxSlots) return where + ".slots: must be 1.." + std::to_string(kMaxSlots);
    if (!w.is_articulated(r) && !rec.open) return where + ".open: only articulated receptacles can be closed";
    rec.slot_object.fill(-1);
  }
  for (int i = 0; i < n_obj; ++i) {
    Object& o = w.objects[i];
    std::string where = "world.objects[" + std::to_string(i) + "]";
    if (o.receptacle < 0 || o.receptacle >= n_rec) return where + ".receptacle: out of range";
    Receptacle& rec = w.receptacles[o.receptacle];
    if (o.slot < 0 || o.slot >= rec.num_slots) return where + ".slot: out of range";
    if (rec.slot_object[o.slot] >= 0) return where + ".slot: already taken by object " + std::to_string(rec.slot_object[o.slot]);
    rec.slot_object[o.slot] = static_cast<int16_t>(i);
  }
  for (int i = 0; i < n_obj; ++i)
    for (int j = 0; j < i; ++j) {
      const Object &a = w.objects[i], &b = w.objects[j];
      if (a.receptacle == b.receptacle && a.category == b.category && a.color == b.color && a.size == b.size)
        return "world.objects[" + std::to_string(i) + "]: looks exactly like object " + std::to_string(j) +
               " on the same receptacle (size, color and category must tell them apart)";
    }
  if (w.robot_room < 0 || w.robot_room >= static_cast<int>(w.rooms.size())) return "start_room: out of range";
  w.robot_at = -1;
  w.held = -1;
  if (e.multi_object()) return finalize_multi_object(e, check_k);
  if (e.target < 0 || e.target >= n_obj) return "target: out of range";
  if (e.goal < 0 || e.goal >= n_rec) return "goal: out of range";
  if (w.objects[e.target].receptacle == e.goal) return "goal: the target already stands there";
  if (e.max_steps < 1) return "max_steps: must be positive";
  if (e.spec.category < 0) return "spec.category: missing";
  if ((e.spec.goal_receptacle >= 0) == (e.spec.goal_type >= 0)) return "spec: exactly one of goal_receptacle and goal_type";

  e.names = SceneNames(w);
  e.hypotheses = consistent_hypotheses(w, e.spec);
  e.true_hypothesis = -1;
  for (size_t i = 0; i < e.hypotheses.size(); ++i)
    if (e.hypotheses[i] == Hypothesis{e.target, e.goal}) e.true_hypothesis = static_cast<int>(i);
  if (e.true_hypothesis < 0) return "spec: the instruction does not fit the target and goal";
  if (e.hypotheses.size() > kMaxHypotheses)
    return "spec: " + std::to_string(e.hypotheses.size()) + " consistent (object, goal) pairs; at most " +
           std::to_string(kMaxHypotheses) + " are supported";
  int k = min_questions(w, e.hypotheses);
  if (k < 0) return "K: no question sequence of length <= 8 identifies the target";
  if (check_k && k != e.K) return "K: stored " + std::to_string(e.K) + ", computed " + std::to_string(k);
  e.K = k;
  return "";
}

}  // namespace a2a

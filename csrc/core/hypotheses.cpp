#include "hypotheses.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "catalog.h"
#include "user.h"

namespace a2a {

std::vector<int> candidate_objects(const World& w, const TaskSpec& s) {
  std::vector<int> out;
  for (size_t i = 0; i < w.objects.size(); ++i) {
    const Object& o = w.objects[i];
    if (o.category != s.category) continue;
    if (s.color >= 0 && o.color != s.color) continue;
    if (s.size >= 0 && o.size != s.size) continue;
    if (s.pattern >= 0 && o.pattern != s.pattern) continue;
    if (s.receptacle >= 0 && o.receptacle != s.receptacle) continue;
    if (s.room >= 0 && w.room_of_object(static_cast<int>(i)) != s.room) continue;
    out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<int> candidate_goals(const World& w, const TaskSpec& s) {
  if (s.goal_receptacle >= 0) return {s.goal_receptacle};
  std::vector<int> out;
  for (size_t r = 0; r < w.receptacles.size(); ++r)
    if (w.receptacles[r].type == s.goal_type) out.push_back(static_cast<int>(r));
  return out;
}

std::vector<Hypothesis> consistent_hypotheses(const World& w, const TaskSpec& s) {
  std::vector<Hypothesis> out;
  std::vector<int> goals = candidate_goals(w, s);
  for (int o : candidate_objects(w, s))
    for (int g : goals)
      if (w.objects[o].receptacle != g) out.push_back({o, g});
  return out;
}

HypothesisMask filter_by_answer(const World& w, const std::vector<Hypothesis>& hyps, HypothesisMask mask,
                                const Question& q, int code) {
  HypothesisMask out = 0;
  for (size_t i = 0; i < hyps.size() && i < 64; ++i)
    if ((mask >> i & 1) && answer_code(w, q, hyps[i].object, hyps[i].goal) == code) out |= 1ull << i;
  return out;
}

std::vector<Question> question_space(const World& w, const std::vector<Hypothesis>& hyps) {
  // Neighbour questions: every description (category with any subset of size/color) of every
  // object next to a candidate.
  std::vector<ObjectDesc> descs;
  for (const Hypothesis& h : hyps) {
    auto [l, r] = w.neighbours(h.object);
    for (int n : {l, r}) {
      if (n < 0) continue;
      const Object& o = w.objects[n];
      for (int mask = 0; mask < 4; ++mask) {
        ObjectDesc d{(mask & 1) ? o.size : -1, (mask & 2) ? o.color : -1, o.category};
        if (std::find(descs.begin(), descs.end(), d) == descs.end()) descs.push_back(d);
      }
    }
  }
  return grammar_questions(w, descs);
}

namespace {

// Iterative deepening over partitions: can `mask` be narrowed to one hypothesis with `depth`
// questions whatever the answers? Memoised per (mask, depth).
class KSearch {
 public:
  KSearch(const World& w, const std::vector<Hypothesis>& hyps) : n_(hyps.size()) {
    for (const Question& q : question_space(w, hyps)) {
      std::vector<int> codes(n_);
      for (size_t i = 0; i < n_; ++i) codes[i] = answer_code(w, q, hyps[i].object, hyps[i].goal);
      // Group hypotheses by answer code into masks; keep only questions that split something.
      std::map<int, HypothesisMask> classes;
      for (size_t i = 0; i < n_; ++i) classes[codes[i]] |= 1ull << i;
      if (classes.size() < 2) continue;
      std::vector<HypothesisMask> parts;
      for (auto& kv : classes) parts.push_back(kv.second);
      std::sort(parts.begin(), parts.end());
      if (std::find(partitions_.begin(), partitions_.end(), parts) == partitions_.end()) {
        partitions_.push_back(parts);
        questions_.push_back(q);
      }
    }
  }

  // A question whose answer, whatever it is, leaves `mask` solvable in depth - 1.
  bool question_for(HypothesisMask mask, int depth, Question* out) {
    for (size_t k = 0; k < partitions_.size(); ++k) {
      bool splits = false, all = true;
      for (HypothesisMask p : partitions_[k]) {
        HypothesisMask sub = p & mask;
        if (sub == mask) break;
        if (sub) splits = true;
      }
      if (!splits) continue;
      for (HypothesisMask p : partitions_[k])
        if ((p & mask) && !solvable(p & mask, depth - 1)) all = false;
      if (all) {
        *out = questions_[k];
        return true;
      }
    }
    return false;
  }

  bool solvable(HypothesisMask mask, int depth) {
    if (__builtin_popcountll(mask) <= 1) return true;
    if (depth == 0) return false;
    uint64_t key = mask * 31 + static_cast<uint64_t>(depth);
    auto it = memo_.find(key);
    if (it != memo_.end() && it->second.first == mask) return it->second.second;
    bool ok = false;
    for (const auto& parts : partitions_) {
      bool splits = false, all = true;
      for (HypothesisMask p : parts) {
        HypothesisMask sub = p & mask;
        if (sub == mask) break;  // does not split this mask
        if (sub) splits = true;
      }
      if (!splits) continue;
      for (HypothesisMask p : parts) {
        HypothesisMask sub = p & mask;
        if (sub && !solvable(sub, depth - 1)) {
          all = false;
          break;
        }
      }
      if (all) {
        ok = true;
        break;
      }
    }
    memo_[key] = {mask, ok};
    return ok;
  }

 private:
  size_t n_;
  std::vector<std::vector<HypothesisMask>> partitions_;
  std::vector<Question> questions_;  // one question inducing each partition
  std::unordered_map<uint64_t, std::pair<HypothesisMask, bool>> memo_;
};

}  // namespace

bool best_question(const World& w, const std::vector<Hypothesis>& hyps, HypothesisMask mask, Question* out,
                   int* remaining, int max_depth) {
  *remaining = 0;
  if (hyps.size() > kMaxHypotheses || __builtin_popcountll(mask) <= 1) return false;
  KSearch search(w, hyps);
  for (int d = 1; d <= max_depth; ++d)
    if (search.solvable(mask, d)) {
      *remaining = d;
      return search.question_for(mask, d, out);
    }
  *remaining = -1;
  return false;
}

int min_questions(const World& w, const std::vector<Hypothesis>& hyps, int max_depth) {
  if (hyps.size() > kMaxHypotheses) return -1;
  if (hyps.size() <= 1) return 0;
  KSearch search(w, hyps);
  HypothesisMask all = full_mask(hyps.size());
  for (int d = 1; d <= max_depth; ++d)
    if (search.solvable(all, d)) return d;
  return -1;
}

}  // namespace a2a

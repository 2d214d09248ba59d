#include "k_search.h"

#include <algorithm>
#include <map>

namespace a2a {

KSearch::KSearch(const std::vector<Question>& questions, size_t n, const AnswerFn& answer) {
  for (const Question& q : questions) {
    // Group hypotheses by answer code into masks; keep only questions that split something.
    std::map<int, HypothesisMask> classes;
    for (size_t i = 0; i < n && i < 64; ++i) classes[answer(q, i)] |= 1ull << i;
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

bool KSearch::question_for(HypothesisMask mask, int depth, Question* out, int truth) {
  for (int pass = truth >= 0 ? 0 : 1; pass < 2; ++pass) {
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
      if (all && pass == 0) {  // the truth's part must still need depth - 1 questions
        for (HypothesisMask p : partitions_[k])
          if ((p >> truth & 1) && depth >= 2 && solvable(p & mask, depth - 2)) all = false;
      }
      if (all) {
        *out = questions_[k];
        return true;
      }
    }
  }
  return false;
}

bool KSearch::solvable(HypothesisMask mask, int depth) {
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

int KSearch::min_depth(HypothesisMask mask, int max_depth) {
  if (__builtin_popcountll(mask) <= 1) return 0;
  for (int d = 1; d <= max_depth; ++d)
    if (solvable(mask, d)) return d;
  return -1;
}

HypothesisMask filter_mask(size_t n, HypothesisMask mask, int code, const std::function<int(size_t)>& answer) {
  HypothesisMask out = 0;
  for (size_t i = 0; i < n && i < 64; ++i)
    if ((mask >> i & 1) && answer(i) == code) out |= 1ull << i;
  return out;
}

}  // namespace a2a

// The exact K search: iterative deepening over the partitions that a finite question set induces on
// up to 64 hypotheses, memoised per (mask, depth). The hypotheses are opaque here — (object, goal)
// pairs of a fetch task, or whole assignments of a multi-object task — and come in only through
// what the user would answer to each question under each of them.
#pragma once
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grammar.h"

namespace a2a {

using HypothesisMask = uint64_t;
constexpr int kMaxHypotheses = 64;  // a consistent set is a 64-bit mask

inline HypothesisMask full_mask(size_t n) { return n >= 64 ? ~0ull : ((1ull << n) - 1); }

class KSearch {
 public:
  // answer(q, i): the answer code to q if hypothesis i were true. At most kMaxHypotheses hypotheses.
  using AnswerFn = std::function<int(const Question&, size_t)>;
  KSearch(const std::vector<Question>& questions, size_t num_hypotheses, const AnswerFn& answer);

  // Can `mask` be narrowed to one hypothesis with `depth` questions whatever the answers?
  bool solvable(HypothesisMask mask, int depth);
  // A question whose answer, whatever it is, leaves `mask` solvable in depth - 1. With `truth` (a
  // hypothesis of mask) it prefers one whose answer under the truth leaves exactly depth - 1 questions
  // to ask, so that an oracle that knows the truth still asks as many questions as the worst case.
  bool question_for(HypothesisMask mask, int depth, Question* out, int truth = -1);
  // The least depth <= max_depth that solves `mask`, or -1.
  int min_depth(HypothesisMask mask, int max_depth);
  size_t num_partitions() const { return partitions_.size(); }

 private:
  std::vector<std::vector<HypothesisMask>> partitions_;
  std::vector<Question> questions_;  // one question inducing each partition
  std::unordered_map<uint64_t, std::pair<HypothesisMask, bool>> memo_;
};

// The hypotheses of `mask` that would have produced `code` for a question (answer(i) per hypothesis).
HypothesisMask filter_mask(size_t num_hypotheses, HypothesisMask mask, int code, const std::function<int(size_t)>& answer);

}  // namespace a2a

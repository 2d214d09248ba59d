// What the instruction leaves open: the (object, goal) pairs consistent with it, how questions
// split them, the oracle judge of question usefulness, and K, the minimum worst-case number of
// grammar questions that identifies the pair — computed exactly by search.
#pragma once
#include <cstdint>
#include <vector>

#include "grammar.h"
#include "k_search.h"
#include "world.h"

namespace a2a {

// What the instruction says about the target and the goal; -1 = not said.
struct TaskSpec {
  int category = -1;
  int color = -1, size = -1, pattern = -1;
  int receptacle = -1, room = -1;  // where the target is, if the instruction says
  int goal_receptacle = -1;        // a named goal ...
  int goal_type = -1;              // ... or "one of the tables"
};

struct Hypothesis {
  int object, goal;
  bool operator==(const Hypothesis& b) const { return object == b.object && goal == b.goal; }
};

std::vector<int> candidate_objects(const World& w, const TaskSpec& spec);
std::vector<int> candidate_goals(const World& w, const TaskSpec& spec);
// Pairs with the goal different from the object's own receptacle, objects-major order.
std::vector<Hypothesis> consistent_hypotheses(const World& w, const TaskSpec& spec);

// Keeps the hypotheses that would have produced `code` for q in the current world.
HypothesisMask filter_by_answer(const World& w, const std::vector<Hypothesis>& hyps, HypothesisMask mask,
                                const Question& q, int code);

// Every question of the grammar over the scene's names (the finite set K is computed over).
std::vector<Question> question_space(const World& w, const std::vector<Hypothesis>& hyps);

// Minimum worst-case number of questions to single out one hypothesis. Returns -1 if more than
// max_depth questions would be needed or there are more than kMaxHypotheses hypotheses.
int min_questions(const World& w, const std::vector<Hypothesis>& hyps, int max_depth = 8);

// The oracle's next question: one that keeps the worst-case number of further questions minimal for
// the hypotheses in `mask` (in the current world). Returns false when `mask` holds at most one
// hypothesis (nothing left to ask). *remaining receives the minimum number of questions still
// needed, this one included.
bool best_question(const World& w, const std::vector<Hypothesis>& hyps, HypothesisMask mask, Question* out,
                   int* remaining, int max_depth = 8);

}  // namespace a2a

#include "hypotheses.h"

#include <algorithm>

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
  return filter_mask(hyps.size(), mask, code, [&](size_t i) { return answer_code(w, q, hyps[i].object, hyps[i].goal); });
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

KSearch fetch_search(const World& w, const std::vector<Hypothesis>& hyps) {
  return KSearch(question_space(w, hyps), hyps.size(),
                 [&](const Question& q, size_t i) { return answer_code(w, q, hyps[i].object, hyps[i].goal); });
}

}  // namespace

bool best_question(const World& w, const std::vector<Hypothesis>& hyps, HypothesisMask mask, Question* out,
                   int* remaining, int max_depth) {
  *remaining = 0;
  if (hyps.size() > kMaxHypotheses || __builtin_popcountll(mask) <= 1) return false;
  KSearch search = fetch_search(w, hyps);
  *remaining = search.min_depth(mask, max_depth);
  return *remaining > 0 && search.question_for(mask, *remaining, out);
}

int min_questions(const World& w, const std::vector<Hypothesis>& hyps, int max_depth) {
  if (hyps.size() > kMaxHypotheses) return -1;
  if (hyps.size() <= 1) return 0;
  return fetch_search(w, hyps).min_depth(full_mask(hyps.size()), max_depth);
}

}  // namespace a2a

// The built-in simulated user: answers every question of the grammar truthfully from privileged
// state. Answers are first computed as codes (so that the oracle judge can compare what different
// hypotheses would answer) and then rendered as short sentences.
#pragma once
#include <string>

#include "grammar.h"
#include "world.h"

namespace a2a {

constexpr int kAnswerNotUnderstood = -1000;
constexpr int kAnswerWrongReferent = -1001;

// What the user would answer to q if `object` were the object wanted and `goal` the receptacle
// it should go to, in the world's current state.
int answer_code(const World& w, const Question& q, int object, int goal);

// The sentence the user says for an answer code.
std::string answer_text(const World& w, const Question& q, int code, int object_category);

}  // namespace a2a

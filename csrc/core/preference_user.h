// The built-in user of a multi-object episode. A question is about one object: the one its subject
// describes ("the red cup"; "the cup" when there is only one cup), or, for "it", the object the robot
// holds. World facts about it are answered as in a fetch task; preference questions ("should i move
// the red cup?", "where should i put the red cup?", "should i put the red cup on the shelf?") are
// answered from an assignment — the user's true one when the env answers, each hypothesis's own when
// the oracle judge compares them.
#pragma once
#include <string>

#include "grammar.h"
#include "world.h"

namespace a2a {

constexpr int kAnswerNameTheObject = -1002;  // "it" while the robot holds nothing
constexpr int kAnswerNoSuchObject = -1003;   // the description fits no object of the scene
constexpr int kAnswerWhichOne = -1004;       // ... or several

// The object a question is about, or one of the answer codes above (kAnswerNotUnderstood for Unknown).
int question_object(const World& w, const Question& q);

// The answer code to q about `object` (from question_object) if it went to `destination` (-1: stays).
int multi_answer_code(const World& w, const Question& q, int object, int destination);

std::string multi_answer_text(const World& w, const Question& q, int code);

}  // namespace a2a

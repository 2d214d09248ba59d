#include "preference_user.h"

#include "user.h"

namespace a2a {

int question_object(const World& w, const Question& q) {
  if (q.type == QType::Unknown) return kAnswerNotUnderstood;
  ObjectDesc d = q.subject;
  if (d.category < 0) d.category = q.referent;
  if (d.category < 0) return w.held >= 0 ? w.held : kAnswerNameTheObject;
  int match = -1, count = 0;
  for (size_t i = 0; i < w.objects.size(); ++i)
    if (d.matches(w.objects[i])) match = static_cast<int>(i), ++count;
  if (count == 0) return kAnswerNoSuchObject;
  return count == 1 ? match : kAnswerWhichOne;
}

int multi_answer_code(const World& w, const Question& q, int object, int destination) {
  if (object < 0) return object;  // a code from question_object
  if (q.type == QType::MoveYN) return destination >= 0 ? 1 : 0;
  return answer_code(w, q, object, destination);
}

std::string multi_answer_text(const World& w, const Question& q, int code) {
  switch (code) {
    case kAnswerNameTheObject: return "Which object do you mean? Please name it, like the red cup.";
    case kAnswerNoSuchObject: return "There is no such object here.";
    case kAnswerWhichOne: return "There is more than one of those; please give its size and color.";
    default: break;
  }
  if (q.type == QType::PlacementWH && code == -1) return "Leave it where it is.";
  return answer_text(w, q, code, 0);
}

}  // namespace a2a

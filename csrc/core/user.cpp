#include "user.h"

#include "catalog.h"

namespace a2a {

int answer_code(const World& w, const Question& q, int object, int goal) {
  if (q.type == QType::Unknown) return kAnswerNotUnderstood;
  const Object& o = w.objects[object];
  if (q.referent >= 0 && q.referent != o.category) return kAnswerWrongReferent;
  switch (q.type) {
    case QType::ColorYN:
    case QType::SizeYN: return q.attr.matches(o) ? 1 : 0;
    case QType::ReceptacleYN: return o.receptacle == q.receptacle ? 1 : 0;
    case QType::RoomYN: return w.room_of_object(object) == q.room ? 1 : 0;
    case QType::NeighborYN: {
      auto [l, r] = w.neighbours(object);
      bool yes = (l >= 0 && q.neighbor.matches(w.objects[l])) || (r >= 0 && q.neighbor.matches(w.objects[r]));
      return yes ? 1 : 0;
    }
    case QType::PlacementYN: return goal == q.receptacle ? 1 : 0;
    case QType::ColorWH: return o.color;
    case QType::SizeWH: return o.size;
    case QType::LocationWH: return o.receptacle;  // kHeld while the robot holds it
    case QType::PlacementWH: return goal;
    case QType::MoveYN:  // a preference question: answered per assignment (preference_user.h)
    case QType::Unknown: break;
  }
  return kAnswerNotUnderstood;
}

std::string answer_text(const World& w, const Question& q, int code, int object_category) {
  if (code == kAnswerNotUnderstood) return "I don't understand.";
  if (code == kAnswerWrongReferent) return "I asked for the " + object_categories()[object_category].name + ".";
  switch (q.type) {
    case QType::ColorYN:
    case QType::SizeYN:
    case QType::ReceptacleYN:
    case QType::RoomYN:
    case QType::NeighborYN:
    case QType::PlacementYN:
    case QType::MoveYN: return code ? "Yes." : "No.";
    case QType::ColorWH: return "It is " + color_names()[code] + ".";
    case QType::SizeWH: return "It is " + size_names()[code] + ".";
    case QType::LocationWH:
      if (code == kHeld) return "You are holding it.";
      return "It is " + location_phrase(w, code) + " in the " + room_name(w, w.receptacles[code].room) + ".";
    case QType::PlacementWH: return "Please put it " + location_phrase(w, code) + ".";
    case QType::Unknown: break;
  }
  return "I don't understand.";
}

}  // namespace a2a

#include "privileged.h"

#include "catalog.h"

namespace a2a {

std::string object_phrase_full(const World& w, int object) {
  const Object& o = w.objects[object];
  std::string s = size_names()[o.size] + " " + color_names()[o.color] + " ";
  if (o.pattern > 0) s += pattern_names()[o.pattern] + " ";
  s += object_categories()[o.category].name;
  if (o.receptacle >= 0) s += " " + location_phrase(w, o.receptacle) + " in the " + room_name(w, w.receptacles[o.receptacle].room);
  else s += " held by the robot";
  return s;
}

std::string world_graph_text(const World& w) {
  std::string s;
  for (size_t i = 0; i < w.rooms.size(); ++i) s += "room: " + room_name(w, static_cast<int>(i)) + "\n";
  for (const Receptacle& r : w.receptacles) {
    const ReceptacleType& t = receptacle_types()[r.type];
    s += "receptacle: " + r.name + " (" + t.name + ") in the " + room_name(w, r.room);
    if (t.articulated) s += r.open ? ", open" : ", closed";
    s += ", " + std::to_string(r.num_slots) + " slots\n";
  }
  for (size_t i = 0; i < w.objects.size(); ++i) {
    const Object& o = w.objects[i];
    s += "object " + std::to_string(i) + ": " + object_phrase_full(w, static_cast<int>(i));
    if (o.receptacle >= 0) {
      s += " (slot " + std::to_string(o.slot) + ")";
      auto [l, r] = w.neighbours(static_cast<int>(i));
      if (l >= 0 || r >= 0) {
        s += ", next to";
        if (l >= 0) s += " the " + describe_full(w.objects[l]) + " (left)";
        if (r >= 0) s += std::string(l >= 0 ? " and" : "") + " the " + describe_full(w.objects[r]) + " (right)";
      }
    }
    s += "\n";
  }
  s += "robot: ";
  s += w.robot_at >= 0 ? "at the " + w.receptacles[w.robot_at].name + " in the " + room_name(w, w.robot_room)
                       : "in the " + room_name(w, w.robot_room);
  s += w.held >= 0 ? ", holding the " + describe_full(w.objects[w.held]) : ", holding nothing";
  s += "\n";
  return s;
}

}  // namespace a2a

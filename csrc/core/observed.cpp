#include "observed.h"

#include <algorithm>
#include <utility>

#include "catalog.h"

namespace a2a {

void ObservedWorld::reset(const World& w) {
  rooms_.assign(w.rooms.size(), 0);
  visited_.assign(w.receptacles.size(), 0);
  open_.assign(w.receptacles.size(), 0);
  seen_at_.assign(w.objects.size(), -1);
  seen_slot_.assign(w.objects.size(), -1);
  observe(w);
}

void ObservedWorld::observe(const World& w) {
  rooms_[static_cast<size_t>(w.robot_room)] = 1;
  if (w.held >= 0) {
    seen_at_[static_cast<size_t>(w.held)] = kHeld;
    seen_slot_[static_cast<size_t>(w.held)] = -1;
  }
  const int r = w.robot_at;
  if (r < 0) return;
  visited_[static_cast<size_t>(r)] = 1;
  open_[static_cast<size_t>(r)] = w.receptacles[static_cast<size_t>(r)].open ? 1 : 0;
  if (!w.contents_visible(r)) return;
  // Objects remembered here that are gone were moved by the robot itself (it holds or placed them),
  // so their new place is already known; only the visible contents are updated.
  for (int o : visible_objects(w)) {
    seen_at_[static_cast<size_t>(o)] = r;
    seen_slot_[static_cast<size_t>(o)] = w.objects[static_cast<size_t>(o)].slot;
  }
}

int ObservedWorld::objects_seen() const {
  int n = 0;
  for (int at : seen_at_) n += at != -1;
  return n;
}

std::vector<int> visible_objects(const World& w) {
  std::vector<int> out;
  const int r = w.robot_at;
  if (r < 0 || !w.contents_visible(r)) return out;
  const Receptacle& rec = w.receptacles[static_cast<size_t>(r)];
  for (int s = 0; s < rec.num_slots; ++s)
    if (rec.slot_object[static_cast<size_t>(s)] >= 0) out.push_back(rec.slot_object[static_cast<size_t>(s)]);
  return out;
}

namespace {

std::string object_seen_phrase(const World& w, const ObservedWorld& o, int object) {
  const Object& ob = w.objects[static_cast<size_t>(object)];
  std::string s = size_names()[ob.size] + " " + color_names()[ob.color] + " ";
  if (ob.pattern > 0) s += pattern_names()[ob.pattern] + " ";
  s += object_categories()[ob.category].name;
  const int at = o.seen_at(object);
  if (at == kHeld) return s + " (held by the robot)";
  return s + " " + location_phrase(w, at) + " (slot " + std::to_string(o.seen_slot(object)) + ")";
}

}  // namespace

std::string observed_graph_text(const World& w, const ObservedWorld& o) {
  std::string s;
  for (size_t i = 0; i < w.rooms.size(); ++i)
    if (o.room_seen(static_cast<int>(i))) s += "room: " + room_name(w, static_cast<int>(i)) + "\n";
  for (size_t i = 0; i < w.receptacles.size(); ++i) {
    const Receptacle& r = w.receptacles[i];
    if (!o.visited(static_cast<int>(i))) {
      s += "receptacle: " + r.name + " (not visited yet)\n";
      continue;
    }
    const ReceptacleType& t = receptacle_types()[r.type];
    s += "receptacle: " + r.name + " (" + t.name + ") in the " + room_name(w, r.room);
    if (t.articulated) s += o.seen_open(static_cast<int>(i)) ? ", open" : ", closed";
    s += ", " + std::to_string(r.num_slots) + " slots\n";
  }
  // Objects by where they were seen (receptacle, then slot; the held one last), never in the world's object
  // order: the generator makes the target first, so that order would tell an agent which object is meant.
  std::vector<int> seen;
  for (size_t i = 0; i < w.objects.size(); ++i)
    if (o.seen_at(static_cast<int>(i)) != -1) seen.push_back(static_cast<int>(i));
  auto place = [&o](int i) {
    const int at = o.seen_at(i);
    return std::make_pair(at == kHeld ? 1 << 30 : at, o.seen_slot(i));
  };
  std::stable_sort(seen.begin(), seen.end(), [&](int a, int b) {
    return place(a) != place(b) ? place(a) < place(b) : object_seen_phrase(w, o, a) < object_seen_phrase(w, o, b);
  });
  for (int i : seen) s += "object: " + object_seen_phrase(w, o, i) + "\n";
  s += "robot: ";
  s += w.robot_at >= 0 ? "at the " + w.receptacles[static_cast<size_t>(w.robot_at)].name + " in the " + room_name(w, w.robot_room)
                       : "in the " + room_name(w, w.robot_room);
  s += w.held >= 0 ? ", holding the " + describe_full(w.objects[static_cast<size_t>(w.held)]) : ", holding nothing";
  s += "\n";
  return s;
}

}  // namespace a2a

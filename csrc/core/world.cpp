#include "world.h"

#include "catalog.h"

namespace a2a {

bool World::is_articulated(int r) const { return receptacle_types()[receptacles[r].type].articulated; }

std::pair<int, int> World::neighbours(int object) const {
  const Object& o = objects[object];
  if (o.receptacle < 0) return {-1, -1};
  const Receptacle& r = receptacles[o.receptacle];
  int left = -1, right = -1;
  for (int s = o.slot - 1; s >= 0 && left < 0; --s) left = r.slot_object[s];
  for (int s = o.slot + 1; s < r.num_slots && right < 0; ++s) right = r.slot_object[s];
  return {left, right};
}

int World::free_slot(int r) const {
  const Receptacle& rec = receptacles[r];
  for (int s = 0; s < rec.num_slots; ++s)
    if (rec.slot_object[s] < 0) return s;
  return -1;
}

int World::room_of_object(int object) const {
  const Object& o = objects[object];
  return o.receptacle >= 0 ? receptacles[o.receptacle].room : robot_room;
}

void World::place(int object, int r, int slot) {
  objects[object].receptacle = r;
  objects[object].slot = slot;
  receptacles[r].slot_object[slot] = static_cast<int16_t>(object);
}

void World::remove_from_receptacle(int object) {
  Object& o = objects[object];
  if (o.receptacle >= 0) receptacles[o.receptacle].slot_object[o.slot] = -1;
  o.receptacle = kHeld;
  o.slot = -1;
}

void World::remove_objects(const std::vector<bool>& drop) {
  std::vector<Object> kept;
  for (size_t i = 0; i < objects.size(); ++i)
    if (!drop[i]) kept.push_back(objects[i]);
  for (Receptacle& r : receptacles) r.slot_object.fill(-1);
  objects.clear();
  for (const Object& o : kept) {
    objects.push_back(o);
    place(static_cast<int>(objects.size()) - 1, o.receptacle, o.slot);
  }
}

std::string describe(const ObjectDesc& d) {
  std::string s;
  auto add = [&s](const std::string& w) {
    if (!s.empty()) s += ' ';
    s += w;
  };
  if (d.size >= 0) add(size_names()[d.size]);
  if (d.color >= 0) add(color_names()[d.color]);
  if (d.category >= 0) add(object_categories()[d.category].name);
  return s;
}

std::string describe_full(const Object& o) { return describe(ObjectDesc{o.size, o.color, o.category}); }

std::string room_name(const World& w, int room) { return room_types()[w.rooms[room].type].name; }

std::string location_phrase(const World& w, int r) {
  const Receptacle& rec = w.receptacles[r];
  return receptacle_types()[rec.type].prep + " the " + rec.name;
}

}  // namespace a2a

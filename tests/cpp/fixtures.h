// A small hand-built world used across C++ tests: kitchen + living room, cups that differ in color.
#pragma once
#include <cstdio>
#include <memory>

#include "catalog.h"
#include "episode.h"

namespace a2a_test {

inline a2a::Object obj(const char* cat, const char* color, const char* size, int rec, int slot) {
  a2a::Object o;
  o.category = a2a::find_category(cat);
  o.color = a2a::find_color(color);
  o.size = a2a::find_size(size);
  o.pattern = 0;
  o.receptacle = rec;
  o.slot = slot;
  return o;
}

// Receptacles: 0 "dark table" (kitchen), 1 "light table" (kitchen), 2 "fridge" (kitchen, closed),
// 3 "coffee table" (living room), 4 "sofa" (living room).
// Objects: 0 red cup @0/0, 1 blue cup @0/1, 2 small green bowl @0/2, 3 green cup @1/0, 4 apple @2/0.
inline a2a::Episode cups_episode(bool name_color) {
  using namespace a2a;
  Episode e;
  e.id = "test/0";
  World& w = e.world;
  w.rooms = {Room{find_room_type("kitchen")}, Room{find_room_type("living room")}};
  auto rec = [&](const char* name, const char* type, int room, const char* finish, int slots, bool open) {
    Receptacle r;
    r.name = name;
    r.type = find_receptacle_type(type);
    r.room = room;
    r.finish = find_finish(finish);
    r.num_slots = slots;
    r.open = open;
    w.receptacles.push_back(r);
  };
  rec("dark table", "table", 0, "dark", 4, true);
  rec("light table", "table", 0, "light", 4, true);
  rec("fridge", "fridge", 0, "white", 3, false);
  rec("coffee table", "coffee table", 1, "wooden", 3, true);
  rec("sofa", "sofa", 1, "blue", 3, true);
  w.objects = {obj("cup", "red", "medium", 0, 0), obj("cup", "blue", "medium", 0, 1), obj("bowl", "green", "small", 0, 2),
               obj("cup", "green", "medium", 1, 0), obj("apple", "red", "small", 2, 0)};
  w.robot_room = 1;
  e.spec.category = find_category("cup");
  if (name_color) e.spec.color = find_color("blue");
  e.spec.goal_receptacle = 3;
  e.target = 1;  // the blue cup
  e.goal = 3;
  e.instruction = "Bring the cup and place it on the coffee table.";
  e.template_id = 0;
  e.max_steps = 20;
  return e;
}

// Finalizes a hand-built episode (printing why, if it is invalid) and shares it as envs take it.
inline a2a::EpisodePtr finalized(a2a::Episode e) {
  std::string err = a2a::finalize_episode(e, false);
  if (!err.empty()) std::printf("fixture invalid: %s\n", err.c_str());
  return std::make_shared<a2a::Episode>(std::move(e));
}

}  // namespace a2a_test

// Procedural apartments: rooms, uniquely named receptacles with ordered slots, and clutter.
#pragma once
#include <cstdint>
#include <string>

#include "world.h"

namespace a2a {

struct SceneGenConfig {
  int min_rooms = 3, max_rooms = 6;  // kitchen and living room are always among them (so >= 2)
  int min_receptacles = 3, max_receptacles = 5;  // distinct receptacle types per room
  double twin_prob = 0.6;  // chance a room gets a second receptacle of a type it has ("dark table")
  double clutter = 0.35;   // fraction of slots holding an object
  double open_prob = 0.2;  // chance an articulated receptacle starts open
};

World generate_scene(uint64_t seed, const SceneGenConfig& cfg = {});

// "bathroom+bedroom+kitchen": the set of room types; held-out layouts are chosen by it.
std::string layout_signature(const World& w);

// Recomputes receptacle names from types, rooms and finishes (unique names; see scene_gen.cpp).
void assign_receptacle_names(World& w);

}  // namespace a2a

// Privileged state for judges, simulated users and privileged baselines — never part of the
// policy's observation.
#pragma once
#include <string>

#include "episode.h"
#include "world.h"

namespace a2a {

// The world graph as text, one line per room, receptacle and object:
//   room: kitchen
//   receptacle: dark table (table) in the kitchen, closed|open, slots 5
//   object 3: small red striped cup on the dark table (slot 2), between the blue bowl and nothing
//   robot: at the dark table in the kitchen, holding nothing
std::string world_graph_text(const World& w);

// "small red striped cup on the dark table in the kitchen" (uses the object's current place).
std::string object_phrase_full(const World& w, int object);

}  // namespace a2a

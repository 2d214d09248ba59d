// What the robot has observed so far in an episode, for agents that reason over a world graph under
// partial observability: the rooms it stood in, the receptacles it visited (open or closed as last
// seen) and the objects it saw there (attributes, and place as last seen). It only grows with what
// was visible from the robot's place (World::contents_visible); it never reads anything else.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "world.h"

namespace a2a {

class ObservedWorld {
 public:
  void reset(const World& w);    // a new episode: only the start room is known
  void observe(const World& w);  // add what is visible from the robot's place now

  bool visited(int receptacle) const { return visited_[static_cast<size_t>(receptacle)] != 0; }
  bool room_seen(int room) const { return rooms_[static_cast<size_t>(room)] != 0; }
  // Receptacle where the object was last seen, kHeld when the robot holds it, -1 if never seen.
  int seen_at(int object) const { return seen_at_[static_cast<size_t>(object)]; }
  int seen_slot(int object) const { return seen_slot_[static_cast<size_t>(object)]; }
  bool seen_open(int receptacle) const { return open_[static_cast<size_t>(receptacle)] != 0; }
  int objects_seen() const;

 private:
  std::vector<uint8_t> rooms_, visited_, open_;
  std::vector<int> seen_at_, seen_slot_;
};

// The objects visible from the robot's place, left to right (the renderer's Set-of-Marks numbers
// them 1, 2, ... in this order): the contents of the receptacle it stands at, when open.
std::vector<int> visible_objects(const World& w);

// The observed part of the world graph as text, in the layout of world_graph_text:
//   room: kitchen
//   receptacle: dark table (table) in the kitchen, open, 4 slots
//   receptacle: fridge (not visited yet)
//   object: small red striped cup on the dark table (slot 2)
//   robot: at the dark table in the kitchen, holding nothing
// Receptacle names are listed all along (they are the navigation targets); rooms, states and
// objects only once seen.
std::string observed_graph_text(const World& w, const ObservedWorld& o);

}  // namespace a2a

// The state of one apartment: rooms, receptacles with ordered slots, objects, and the robot.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace a2a {

constexpr int kMaxSlots = 8;
constexpr int kHeld = -2;  // Object::receptacle when the robot holds it

struct Room {
  int type = 0;  // index into room_types(); a scene has each room type at most once
};

struct Receptacle {
  std::string name;  // unique in the scene, human-readable: "dark table", "kitchen drawer"
  int type = 0;      // index into receptacle_types()
  int room = 0;      // index into World::rooms
  int finish = 0;    // index into finishes(); colors the receptacle and names it apart from its twins
  int num_slots = 1;
  bool open = true;  // articulated receptacles start closed
  std::array<int16_t, kMaxSlots> slot_object{};  // object index per slot, -1 when empty (left to right)
};

struct Object {
  int category = 0, color = 0, size = 0, pattern = 0;
  int receptacle = 0;  // index into World::receptacles, or kHeld
  int slot = 0;
};

// What identifies an object to the robot: "[size] [color] <category>"; -1 = not given.
struct ObjectDesc {
  int size = -1, color = -1, category = -1;
  bool matches(const Object& o) const {
    return (category < 0 || o.category == category) && (color < 0 || o.color == color) &&
           (size < 0 || o.size == size);
  }
  bool operator==(const ObjectDesc& b) const { return size == b.size && color == b.color && category == b.category; }
};

struct World {
  std::vector<Room> rooms;
  std::vector<Receptacle> receptacles;
  std::vector<Object> objects;
  int robot_at = -1;    // receptacle index, or -1 when standing in a room (the start)
  int robot_room = 0;   // room index
  int held = -1;        // object index or -1

  bool is_articulated(int r) const;
  // Objects on/in a receptacle can be seen and picked only from it, and only when it is open.
  bool contents_visible(int r) const { return robot_at == r && receptacles[r].open; }
  // Nearest occupied slots to the left and right of an object on its receptacle (-1 if none).
  std::pair<int, int> neighbours(int object) const;
  int free_slot(int r) const;  // leftmost empty slot or -1
  int room_of_object(int object) const;  // the robot's room when held
  void place(int object, int r, int slot);
  void remove_from_receptacle(int object);
  // Removes the objects flagged in `drop`; the others keep their slots, object indices are compacted.
  void remove_objects(const std::vector<bool>& drop);
};

std::string describe(const ObjectDesc& d);       // "small red cup" (only the given parts)
std::string describe_full(const Object& o);      // "small red cup"
std::string room_name(const World& w, int room);
std::string location_phrase(const World& w, int r);  // "on the dark table" / "in the fridge"

}  // namespace a2a

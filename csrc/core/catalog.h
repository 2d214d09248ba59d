// The fixed vocabulary of the world: rooms, receptacle types, object categories and attributes.
// Everything else (scenes, episodes, questions, rendering) refers to entries here by index.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace a2a {

struct Rgb {
  uint8_t r, g, b;
};

struct RoomType {
  std::string name;  // "living room"
  Rgb wall, floor;
};

// How the renderer draws a receptacle.
enum class ReceptacleShape : uint8_t { Table, Counter, Shelf, Seat, Bed, Cabinet, Fridge, Drawer, Sink, Basket, Appliance };

struct ReceptacleType {
  std::string name;    // "coffee table"
  std::string plural;  // "coffee tables"
  bool articulated;    // has a door or drawer that opens and closes
  bool room_prefixed;  // named with its room ("kitchen counter") rather than alone ("sofa")
  std::string prep;    // "on" or "in": "place it on the sofa", "in the fridge"
  int min_slots, max_slots;
  ReceptacleShape shape;
  std::vector<int> rooms;  // room types it appears in
};

// Silhouettes drawn by the renderer; each category has a distinct one.
enum class ObjectShape : uint8_t {
  Cup, Mug, Bowl, Plate, Bottle, Can, Jar, Vase, Apple, Banana, Lemon, Book, Box, ToyCar, TeddyBear,
  Ball, Shoe, Hat, Phone, Remote, Laptop, Candle, Clock, Plant, Kettle, Towel, Pillow, Spoon
};

struct ObjectCategory {
  std::string name;         // "toy car"
  ObjectShape shape;
  std::vector<int> colors;  // colors this category comes in (indices into colors())
  std::vector<int> rooms;   // rooms where it is usually found (empty: anywhere)
};

struct Finish {
  std::string name;  // "dark", used to name receptacles uniquely ("dark table")
  Rgb color;
};

const std::vector<RoomType>& room_types();
const std::vector<ReceptacleType>& receptacle_types();
const std::vector<ObjectCategory>& object_categories();
const std::vector<std::string>& color_names();
const std::vector<Rgb>& color_values();
const std::vector<std::string>& size_names();     // small, medium, large
const std::vector<std::string>& pattern_names();  // plain, striped, dotted, checkered
const std::vector<Finish>& finishes();

// Where objects of each category are kept (receptacle types, per category index): a careful agent
// can tell from the catalog that a cup on the bed is out of place and belongs in a cabinet or on a
// shelf. Used by the clean-clutter generator.
const std::vector<std::vector<int>>& category_homes();
// Groups of categories an instruction may name together ("the dishes").
struct ObjectFamily {
  std::string name;             // "dishes" (already plural)
  std::vector<int> categories;  // indices into object_categories()
};
const std::vector<ObjectFamily>& object_families();
std::string category_plural(int category);  // "cups", "boxes", "toy cars"

// Lookups by name; -1 when unknown.
int find_room_type(const std::string& name);
int find_receptacle_type(const std::string& name);
int find_category(const std::string& name);
int find_color(const std::string& name);
int find_size(const std::string& name);
int find_pattern(const std::string& name);
int find_finish(const std::string& name);
int find_family(const std::string& name);

constexpr int kNumSizes = 3;

}  // namespace a2a

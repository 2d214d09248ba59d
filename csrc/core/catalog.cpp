#include "catalog.h"

namespace a2a {
namespace {

enum Room { Kitchen, Living, Dining, Bedroom, Bathroom, Office, Hallway, Laundry };
enum Color { Red, Green, Blue, Yellow, White, Black, Orange, Purple, Pink, Brown, Gray };

std::vector<int> all_colors() { return {Red, Green, Blue, Yellow, White, Black, Orange, Purple, Pink, Brown, Gray}; }

template <class T>
int find_by_name(const std::vector<T>& v, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i].name == name) return static_cast<int>(i);
  return -1;
}
int find_string(const std::vector<std::string>& v, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == name) return static_cast<int>(i);
  return -1;
}

}  // namespace

const std::vector<RoomType>& room_types() {
  static const std::vector<RoomType> v = {
      {"kitchen", {226, 214, 170}, {160, 150, 140}},     {"living room", {196, 214, 226}, {150, 110, 80}},
      {"dining room", {230, 196, 170}, {140, 100, 70}},  {"bedroom", {210, 196, 226}, {170, 150, 130}},
      {"bathroom", {190, 226, 222}, {200, 200, 205}},    {"office", {214, 214, 200}, {110, 110, 120}},
      {"hallway", {236, 230, 214}, {120, 90, 70}},       {"laundry room", {206, 226, 196}, {180, 180, 170}},
  };
  return v;
}

const std::vector<ReceptacleType>& receptacle_types() {
  using S = ReceptacleShape;
  static const std::vector<ReceptacleType> v = {
      {"table", "tables", false, false, "on", 4, 6, S::Table, {Kitchen, Dining, Living, Office}},
      {"coffee table", "coffee tables", false, false, "on", 3, 5, S::Table, {Living}},
      {"counter", "counters", false, true, "on", 4, 6, S::Counter, {Kitchen, Bathroom, Laundry}},
      {"island", "islands", false, true, "on", 4, 6, S::Counter, {Kitchen}},
      {"shelf", "shelves", false, true, "on", 3, 6, S::Shelf, {Living, Office, Bedroom, Laundry, Hallway}},
      {"sofa", "sofas", false, false, "on", 2, 4, S::Seat, {Living}},
      {"bed", "beds", false, false, "on", 3, 5, S::Bed, {Bedroom}},
      {"nightstand", "nightstands", false, false, "on", 2, 3, S::Table, {Bedroom}},
      {"desk", "desks", false, false, "on", 3, 5, S::Table, {Office, Bedroom}},
      {"tv stand", "tv stands", false, false, "on", 3, 4, S::Counter, {Living}},
      {"bench", "benches", false, false, "on", 2, 4, S::Seat, {Hallway, Dining}},
      {"chair", "chairs", false, false, "on", 1, 2, S::Seat, {Dining, Office, Living}},
      {"drawer", "drawers", true, true, "in", 2, 4, S::Drawer, {Kitchen, Bedroom, Office, Bathroom}},
      {"cabinet", "cabinets", true, true, "in", 3, 5, S::Cabinet, {Kitchen, Bathroom, Living, Laundry, Hallway}},
      {"fridge", "fridges", true, false, "in", 3, 5, S::Fridge, {Kitchen}},
      {"dresser", "dressers", true, false, "in", 3, 4, S::Cabinet, {Bedroom}},
      {"washing machine", "washing machines", true, false, "in", 2, 3, S::Appliance, {Laundry}},
      {"sink", "sinks", false, true, "in", 2, 3, S::Sink, {Kitchen, Bathroom}},
      {"basket", "baskets", false, true, "in", 2, 4, S::Basket, {Laundry, Bathroom, Bedroom}},
  };
  return v;
}

const std::vector<ObjectCategory>& object_categories() {
  using O = ObjectShape;
  static const std::vector<ObjectCategory> v = {
      {"cup", O::Cup, all_colors(), {Kitchen, Dining, Living, Office}},
      {"mug", O::Mug, all_colors(), {Kitchen, Dining, Office}},
      {"bowl", O::Bowl, all_colors(), {Kitchen, Dining}},
      {"plate", O::Plate, all_colors(), {Kitchen, Dining}},
      {"bottle", O::Bottle, all_colors(), {Kitchen, Dining, Bathroom}},
      {"can", O::Can, all_colors(), {Kitchen, Living}},
      {"jar", O::Jar, all_colors(), {Kitchen, Bathroom}},
      {"vase", O::Vase, all_colors(), {Living, Dining, Hallway, Bedroom}},
      {"apple", O::Apple, {Red, Green, Yellow}, {Kitchen, Dining}},
      {"banana", O::Banana, {Yellow, Green, Brown}, {Kitchen, Dining}},
      {"lemon", O::Lemon, {Yellow, Green}, {Kitchen, Dining}},
      {"book", O::Book, all_colors(), {Living, Office, Bedroom}},
      {"box", O::Box, all_colors(), {Office, Laundry, Hallway, Bedroom}},
      {"toy car", O::ToyCar, all_colors(), {Living, Bedroom}},
      {"teddy bear", O::TeddyBear, {Brown, White, Pink, Gray, Yellow, Blue}, {Bedroom, Living}},
      {"ball", O::Ball, all_colors(), {Living, Bedroom, Hallway}},
      {"shoe", O::Shoe, all_colors(), {Hallway, Bedroom}},
      {"hat", O::Hat, all_colors(), {Hallway, Bedroom}},
      {"phone", O::Phone, {Black, White, Gray, Blue, Pink, Red}, {Living, Office, Bedroom}},
      {"remote", O::Remote, {Black, White, Gray}, {Living, Bedroom}},
      {"laptop", O::Laptop, {Black, White, Gray, Blue}, {Office, Living, Bedroom}},
      {"candle", O::Candle, all_colors(), {Living, Dining, Bathroom, Bedroom}},
      {"clock", O::Clock, all_colors(), {Living, Office, Bedroom, Kitchen}},
      {"plant", O::Plant, {Green, Yellow, Red, Purple}, {Living, Office, Hallway, Bathroom}},
      {"kettle", O::Kettle, all_colors(), {Kitchen}},
      {"towel", O::Towel, all_colors(), {Bathroom, Laundry, Kitchen}},
      {"pillow", O::Pillow, all_colors(), {Bedroom, Living}},
      {"spoon", O::Spoon, {Gray, White, Black, Red, Blue, Green}, {Kitchen, Dining}},
  };
  return v;
}

const std::vector<std::string>& color_names() {
  static const std::vector<std::string> v = {"red",   "green",  "blue", "yellow", "white", "black",
                                             "orange", "purple", "pink", "brown",  "gray"};
  return v;
}

const std::vector<Rgb>& color_values() {
  static const std::vector<Rgb> v = {{220, 40, 40},  {40, 170, 60},  {40, 80, 220},   {240, 220, 40},
                                     {248, 248, 248}, {20, 20, 20},  {250, 140, 20},  {140, 50, 190},
                                     {250, 150, 200}, {130, 80, 40}, {130, 130, 130}};
  return v;
}

const std::vector<std::string>& size_names() {
  static const std::vector<std::string> v = {"small", "medium", "large"};
  return v;
}

const std::vector<std::string>& pattern_names() {
  static const std::vector<std::string> v = {"plain", "striped", "dotted", "checkered"};
  return v;
}

const std::vector<Finish>& finishes() {
  static const std::vector<Finish> v = {
      {"dark", {70, 45, 30}},     {"light", {205, 175, 130}}, {"white", {235, 235, 230}},
      {"black", {35, 35, 38}},    {"gray", {120, 122, 128}},  {"wooden", {150, 100, 55}},
      {"blue", {60, 90, 150}},    {"green", {70, 120, 80}},
  };
  return v;
}

const std::vector<std::vector<int>>& category_homes() {
  static const std::vector<std::vector<int>> v = [] {
    auto t = [](const char* name) { return find_receptacle_type(name); };
    std::vector<std::vector<int>> h(object_categories().size());
    auto set = [&](const char* cat, std::initializer_list<const char*> types) {
      for (const char* ty : types) h[static_cast<size_t>(find_category(cat))].push_back(t(ty));
    };
    set("cup", {"cabinet", "shelf"});
    set("mug", {"cabinet", "shelf"});
    set("bowl", {"cabinet"});
    set("plate", {"cabinet"});
    set("bottle", {"fridge", "cabinet"});
    set("can", {"fridge", "cabinet"});
    set("jar", {"cabinet", "shelf"});
    set("vase", {"shelf", "table"});
    set("apple", {"fridge", "counter"});
    set("banana", {"counter", "island"});
    set("lemon", {"fridge"});
    set("book", {"shelf", "desk"});
    set("box", {"shelf", "cabinet"});
    set("toy car", {"basket", "shelf"});
    set("teddy bear", {"bed", "basket"});
    set("ball", {"basket"});
    set("shoe", {"bench", "shelf"});
    set("hat", {"shelf", "dresser"});
    set("phone", {"desk", "nightstand"});
    set("remote", {"tv stand", "coffee table"});
    set("laptop", {"desk"});
    set("candle", {"shelf", "table"});
    set("clock", {"shelf", "nightstand"});
    set("plant", {"shelf", "table"});
    set("kettle", {"counter", "island"});
    set("towel", {"basket", "cabinet"});
    set("pillow", {"bed", "sofa"});
    set("spoon", {"drawer"});
    return h;
  }();
  return v;
}

const std::vector<ObjectFamily>& object_families() {
  static const std::vector<ObjectFamily> v = [] {
    auto fam = [](const char* name, std::initializer_list<const char*> cats) {
      ObjectFamily f{name, {}};
      for (const char* c : cats) f.categories.push_back(find_category(c));
      return f;
    };
    return std::vector<ObjectFamily>{
        fam("dishes", {"cup", "mug", "bowl", "plate", "spoon"}), fam("fruit", {"apple", "banana", "lemon"}),
        fam("toys", {"toy car", "teddy bear", "ball"}),          fam("electronics", {"phone", "remote", "laptop"}),
        fam("decorations", {"vase", "candle", "clock", "plant"}), fam("containers", {"bottle", "can", "jar"}),
        fam("linens", {"towel", "pillow"}),                      fam("clothes", {"shoe", "hat"}),
    };
  }();
  return v;
}

std::string category_plural(int category) {
  const std::string& n = object_categories()[static_cast<size_t>(category)].name;
  const char last = n.back();
  return n + ((last == 'x' || last == 's' || (n.size() > 1 && n.compare(n.size() - 2, 2, "ch") == 0)) ? "es" : "s");
}

int find_room_type(const std::string& name) { return find_by_name(room_types(), name); }
int find_receptacle_type(const std::string& name) { return find_by_name(receptacle_types(), name); }
int find_category(const std::string& name) { return find_by_name(object_categories(), name); }
int find_color(const std::string& name) { return find_string(color_names(), name); }
int find_size(const std::string& name) { return find_string(size_names(), name); }
int find_pattern(const std::string& name) { return find_string(pattern_names(), name); }
int find_finish(const std::string& name) { return find_by_name(finishes(), name); }
int find_family(const std::string& name) { return find_by_name(object_families(), name); }

}  // namespace a2a

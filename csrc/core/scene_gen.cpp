#include "scene_gen.h"

#include <algorithm>
#include <map>
#include <set>

#include "catalog.h"
#include "rng.h"

namespace a2a {
namespace {

// Receptacle types that can appear in a room type.
std::vector<int> types_for_room(int room_type) {
  std::vector<int> out;
  const auto& types = receptacle_types();
  for (size_t t = 0; t < types.size(); ++t)
    if (std::find(types[t].rooms.begin(), types[t].rooms.end(), room_type) != types[t].rooms.end())
      out.push_back(static_cast<int>(t));
  return out;
}

std::string base_name(const World& w, const Receptacle& r) {
  const ReceptacleType& t = receptacle_types()[r.type];
  return t.room_prefixed ? room_name(w, r.room) + " " + t.name : t.name;
}

int random_pattern(Rng& rng) {
  double u = rng.unit();
  if (u < 0.55) return 0;
  return 1 + rng.uniform(3);
}

}  // namespace

void assign_receptacle_names(World& w) {
  // Receptacles that share a base name ("table") are told apart by their finish ("dark table",
  // "light table"); the generator gives twins distinct finishes, so names are unique.
  std::map<std::string, int> count;
  for (const Receptacle& r : w.receptacles) count[base_name(w, r)]++;
  for (Receptacle& r : w.receptacles) {
    std::string base = base_name(w, r);
    r.name = count[base] > 1 ? finishes()[r.finish].name + " " + base : base;
  }
}

World generate_scene(uint64_t seed, const SceneGenConfig& cfg) {
  Rng rng(seed);
  World w;
  const int n_room_types = static_cast<int>(room_types().size());
  // Kitchen and living room in every apartment; the rest drawn without repetition.
  std::vector<int> others;
  for (int t = 2; t < n_room_types; ++t) others.push_back(t);
  rng.shuffle(others);
  int n_rooms = rng.range(cfg.min_rooms, cfg.max_rooms);
  std::vector<int> room_list = {0, 1};
  for (int i = 0; static_cast<int>(room_list.size()) < n_rooms; ++i) room_list.push_back(others[i]);
  rng.shuffle(room_list);
  for (int t : room_list) w.rooms.push_back(Room{t});

  const int n_finishes = static_cast<int>(finishes().size());
  std::map<std::string, std::set<int>> used_finishes;  // base name -> finishes taken
  for (int room = 0; room < static_cast<int>(w.rooms.size()); ++room) {
    std::vector<int> types = types_for_room(w.rooms[room].type);
    rng.shuffle(types);
    int n = std::min(static_cast<int>(types.size()), rng.range(cfg.min_receptacles, cfg.max_receptacles));
    std::vector<int> chosen(types.begin(), types.begin() + n);
    // Some furniture comes in twins (two tables, two drawers): the source of names like
    // "dark table" and of placement ambiguity.
    if (rng.chance(cfg.twin_prob)) chosen.push_back(chosen[static_cast<size_t>(rng.uniform(n))]);
    if (rng.chance(cfg.twin_prob * 0.4)) chosen.push_back(chosen[static_cast<size_t>(rng.uniform(n))]);
    for (int t : chosen) {
      const ReceptacleType& rt = receptacle_types()[t];
      Receptacle r;
      r.type = t;
      r.room = room;
      std::string base = rt.room_prefixed ? room_name(w, room) + " " + rt.name : rt.name;
      std::set<int>& taken = used_finishes[base];
      if (static_cast<int>(taken.size()) >= n_finishes) continue;
      do r.finish = rng.uniform(n_finishes);
      while (taken.count(r.finish));
      taken.insert(r.finish);
      r.num_slots = rng.range(rt.min_slots, std::min(rt.max_slots, kMaxSlots));
      r.open = !rt.articulated || rng.chance(cfg.open_prob);
      r.slot_object.fill(-1);
      w.receptacles.push_back(r);
    }
  }
  assign_receptacle_names(w);

  // Clutter: objects where they belong most of the time; never two identical-looking objects
  // ([size] [color] <category>) on one receptacle, so every object can be picked by description.
  const auto& cats = object_categories();
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r) {
    int room_type = w.rooms[w.receptacles[r].room].type;
    std::vector<int> fitting;
    for (size_t c = 0; c < cats.size(); ++c)
      if (std::find(cats[c].rooms.begin(), cats[c].rooms.end(), room_type) != cats[c].rooms.end())
        fitting.push_back(static_cast<int>(c));
    for (int s = 0; s < w.receptacles[r].num_slots; ++s) {
      if (!rng.chance(cfg.clutter)) continue;
      for (int attempt = 0; attempt < 8; ++attempt) {
        Object o;
        o.category = (!fitting.empty() && rng.chance(0.8)) ? rng.pick(fitting) : rng.uniform(static_cast<int>(cats.size()));
        o.color = rng.pick(cats[o.category].colors);
        o.size = rng.uniform(kNumSizes);
        o.pattern = random_pattern(rng);
        bool clash = false;
        for (int k = 0; k < s; ++k) {
          int other = w.receptacles[r].slot_object[k];
          if (other >= 0 && ObjectDesc{o.size, o.color, o.category}.matches(w.objects[other])) clash = true;
        }
        if (clash) continue;
        w.objects.push_back(o);
        w.place(static_cast<int>(w.objects.size()) - 1, r, s);
        break;
      }
    }
  }
  w.robot_room = rng.uniform(static_cast<int>(w.rooms.size()));
  return w;
}

std::string layout_signature(const World& w) {
  std::vector<std::string> names;
  for (size_t i = 0; i < w.rooms.size(); ++i) names.push_back(room_name(w, static_cast<int>(i)));
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : "+") + n;
  return s;
}

}  // namespace a2a

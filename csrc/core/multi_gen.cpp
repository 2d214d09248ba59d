#include "multi_gen.h"

#include <algorithm>
#include <functional>

#include "catalog.h"
#include "instruction.h"
#include "rng.h"
#include "scene_gen.h"

namespace a2a {
namespace {

constexpr int kMaxPlaces = 3;  // places an object may go to (bounds the assignments)

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

bool usual_room(int category, int room_type) { return contains(object_categories()[static_cast<size_t>(category)].rooms, room_type); }

bool home_type(int category, int receptacle_type) { return contains(category_homes()[static_cast<size_t>(category)], receptacle_type); }

int room_type_of(const World& w, int r) { return w.rooms[static_cast<size_t>(w.receptacles[static_cast<size_t>(r)].room)].type; }

// Where the catalog says objects of `category` are kept: receptacles of a home type in one of the
// category's usual rooms (except `own`, where the object stands).
std::vector<int> homes(const World& w, int category, int own) {
  std::vector<int> out;
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
    if (r != own && home_type(category, w.receptacles[static_cast<size_t>(r)].type) && usual_room(category, room_type_of(w, r)))
      out.push_back(r);
  return out;
}

int free_slots(const World& w, int r) {
  int n = 0;
  const Receptacle& rec = w.receptacles[static_cast<size_t>(r)];
  for (int s = 0; s < rec.num_slots; ++s) n += rec.slot_object[static_cast<size_t>(s)] < 0;
  return n;
}

bool looks_like_any(const World& w, const Object& o) {
  for (const Object& x : w.objects)
    if (x.category == o.category && x.color == o.color && x.size == o.size) return true;
  return false;
}

int random_pattern(Rng& rng) { return rng.chance(0.6) ? 0 : 1 + rng.uniform(3); }

// Adds an object of `category` on a random free slot of one of `receptacles`, looking unlike every
// object of the scene; `colors`/`sizes` (if not empty) are preferred. Returns its index or -1.
int plant(World& w, Rng& rng, int category, const std::vector<int>& receptacles, const std::vector<int>& colors = {},
          const std::vector<int>& sizes = {}) {
  std::vector<int> open_recs;
  for (int r : receptacles)
    if (free_slots(w, r) > 0) open_recs.push_back(r);
  if (open_recs.empty()) return -1;
  const ObjectCategory& cat = object_categories()[static_cast<size_t>(category)];
  std::vector<int> palette;
  for (int c : colors)
    if (contains(cat.colors, c)) palette.push_back(c);
  for (int attempt = 0; attempt < 12; ++attempt) {
    Object o;
    o.category = category;
    o.color = (!palette.empty() && attempt < 8) ? rng.pick(palette) : rng.pick(cat.colors);
    o.size = (!sizes.empty() && attempt < 8) ? rng.pick(sizes) : rng.uniform(kNumSizes);
    o.pattern = random_pattern(rng);
    if (looks_like_any(w, o)) continue;
    const int r = rng.pick(open_recs);
    std::vector<int> slots;
    for (int s = 0; s < w.receptacles[static_cast<size_t>(r)].num_slots; ++s)
      if (w.receptacles[static_cast<size_t>(r)].slot_object[static_cast<size_t>(s)] < 0) slots.push_back(s);
    w.objects.push_back(o);
    const int idx = static_cast<int>(w.objects.size()) - 1;
    w.place(idx, r, rng.pick(slots));
    return idx;
  }
  return -1;
}

void remove_where(World& w, const std::function<bool(const Object&)>& drop_if) {
  std::vector<bool> drop(w.objects.size());
  for (size_t i = 0; i < w.objects.size(); ++i) drop[i] = drop_if(w.objects[i]);
  w.remove_objects(drop);
}

// Makes room on the targets' goals by removing other objects there, keeping the task's indices right.
bool make_room(World& w, MultiTask& m, const std::vector<int>& keep) {
  std::vector<int> demand(w.receptacles.size(), 0);
  for (const Target& t : m.targets) ++demand[static_cast<size_t>(t.goal)];
  std::vector<bool> drop(w.objects.size(), false);
  for (size_t r = 0; r < w.receptacles.size(); ++r) {
    int missing = demand[r] - free_slots(w, static_cast<int>(r));
    const Receptacle& rec = w.receptacles[r];
    for (int s = 0; s < rec.num_slots && missing > 0; ++s) {
      int o = rec.slot_object[static_cast<size_t>(s)];
      if (o >= 0 && !contains(keep, o)) {
        drop[static_cast<size_t>(o)] = true;
        --missing;
      }
    }
    if (missing > 0) return false;
  }
  std::vector<int> new_index(w.objects.size(), -1);
  for (int i = 0, k = 0; i < static_cast<int>(w.objects.size()); ++i)
    if (!drop[static_cast<size_t>(i)]) new_index[static_cast<size_t>(i)] = k++;
  auto remap = [&](int& o) { o = new_index[static_cast<size_t>(o)]; };
  for (Target& t : m.targets) remap(t.object);
  for (MoveOption& opt : m.prefs.options)
    for (int& o : opt.objects) remap(o);
  for (ObjectPlaces& p : m.prefs.places) remap(p.object);
  w.remove_objects(drop);
  return true;
}

// The truth: the objects of option `k`, each to a random one of its places.
void choose_targets(Rng& rng, MultiTask& m, int k) {
  m.targets.clear();
  for (int o : m.prefs.options[static_cast<size_t>(k)].objects)
    for (const ObjectPlaces& p : m.prefs.places)
      if (p.object == o) m.targets.push_back(Target{o, rng.pick(p.goals)});
}

// Clean clutter: an area (a receptacle, or a room) holds objects that are out of place by the
// catalog (their category is not kept in this room: they must go, to one of their homes), objects
// that may or may not be clutter (kept in this room, but not on this kind of receptacle: the user
// decides) and objects at home there (they stay).
bool plant_clean_clutter(World& w, Rng& rng, uint32_t combo, MultiTask& m) {
  const bool choice = combo & kAmbPreference, placement = combo & kAmbPlacement;
  MultiSpec& spec = m.spec;
  std::vector<int> area;
  if (rng.chance(0.4)) {
    std::vector<int> rooms;
    for (int room = 0; room < static_cast<int>(w.rooms.size()); ++room) {
      int n = 0;
      for (const Receptacle& r : w.receptacles) n += r.room == room;
      if (n >= 2) rooms.push_back(room);
    }
    if (rooms.empty()) return false;
    spec.area_room = rng.pick(rooms);
    for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
      if (w.receptacles[static_cast<size_t>(r)].room == spec.area_room) area.push_back(r);
  } else {
    std::vector<int> big;
    for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
      if (w.receptacles[static_cast<size_t>(r)].num_slots >= 3) big.push_back(r);
    if (big.empty()) return false;
    spec.area_receptacle = rng.pick(big);
    area = {spec.area_receptacle};
  }
  remove_where(w, [&](const Object& o) { return contains(area, o.receptacle); });
  const int room_type = room_type_of(w, area[0]);

  // Categories by what the catalog says about them here.
  const int n_cats = static_cast<int>(object_categories().size());
  std::vector<int> out_of_place, maybe, kept;
  for (int c = 0; c < n_cats; ++c) {
    const int n_homes = static_cast<int>(homes(w, c, -1).size());  // an upper bound of its places
    if (!usual_room(c, room_type)) {
      if (n_homes >= 1) out_of_place.push_back(c);
      continue;
    }
    bool home_here = false, non_home_here = false;
    for (int r : area) (home_type(c, w.receptacles[static_cast<size_t>(r)].type) ? home_here : non_home_here) = true;
    if (home_here) kept.push_back(c);
    if (non_home_here && n_homes >= 1) maybe.push_back(c);
  }
  rng.shuffle(out_of_place);
  rng.shuffle(maybe);
  rng.shuffle(kept);
  std::vector<int> used;  // categories planted (one object each)
  std::vector<int> certain_objs, maybe_objs;
  auto fits = [&](int c, int r, bool need_many) {
    const size_t n = homes(w, c, r).size();
    return need_many ? (n >= 2 && n <= kMaxPlaces) : (placement ? n >= 1 && n <= kMaxPlaces : n == 1);
  };
  // Out of place: 1-3 of them; with placement ambiguity the first has several homes.
  const int n_certain = rng.range(1, 3);
  for (int c : out_of_place) {
    if (static_cast<int>(certain_objs.size()) == n_certain) break;
    const bool need_many = placement && certain_objs.empty();
    std::vector<int> recs;
    for (int r : area)
      if (fits(c, r, need_many)) recs.push_back(r);
    if (recs.empty()) continue;
    int o = plant(w, rng, c, recs);
    if (o < 0) continue;
    certain_objs.push_back(o);
    used.push_back(c);
  }
  if (certain_objs.empty()) return false;
  // Maybe clutter: 1-2 with a choice, on a receptacle that is not its home type.
  const int n_maybe = choice ? rng.range(1, 2) : 0;
  for (int c : maybe) {
    if (static_cast<int>(maybe_objs.size()) == n_maybe) break;
    if (contains(used, c)) continue;
    std::vector<int> recs;
    for (int r : area)
      if (!home_type(c, w.receptacles[static_cast<size_t>(r)].type) && fits(c, r, false)) recs.push_back(r);
    if (recs.empty()) continue;
    int o = plant(w, rng, c, recs);
    if (o < 0) continue;
    maybe_objs.push_back(o);
    used.push_back(c);
  }
  if (static_cast<int>(maybe_objs.size()) != n_maybe) return false;
  // At home: 0-2 objects that belong where they stand.
  const int n_kept = rng.range(0, 2);
  int planted_kept = 0;
  std::vector<int> keep = certain_objs;
  keep.insert(keep.end(), maybe_objs.begin(), maybe_objs.end());
  for (int c : kept) {
    if (planted_kept == n_kept) break;
    if (contains(used, c)) continue;
    std::vector<int> recs;
    for (int r : area)
      if (home_type(c, w.receptacles[static_cast<size_t>(r)].type)) recs.push_back(r);
    int o = plant(w, rng, c, recs);
    if (o < 0) continue;
    keep.push_back(o);
    used.push_back(c);
    ++planted_kept;
  }

  for (int o : keep) {
    if (contains(certain_objs, o) || contains(maybe_objs, o)) {
      const Object& ob = w.objects[static_cast<size_t>(o)];
      m.prefs.places.push_back(ObjectPlaces{o, homes(w, ob.category, ob.receptacle)});
    }
  }
  // Options: the out-of-place objects, with any subset of the maybe ones.
  for (uint32_t mask = 0; mask < (1u << maybe_objs.size()); ++mask) {
    MoveOption opt;
    opt.objects = certain_objs;
    for (size_t j = 0; j < maybe_objs.size(); ++j)
      if (mask >> j & 1) opt.objects.push_back(maybe_objs[j]);
    m.prefs.options.push_back(std::move(opt));
  }
  choose_targets(rng, m, rng.uniform(static_cast<int>(m.prefs.options.size())));
  return make_room(w, m, keep);
}

// Preference reasoning: several instances of a category or family stand around the apartment; the
// user wants all of them, or only those of one color, size or category, moved to the named
// destination, or each to one of several receptacles of a type.
bool plant_preference(World& w, Rng& rng, uint32_t combo, MultiTask& m) {
  const bool choice = combo & kAmbPreference, placement = combo & kAmbPlacement;
  const auto& cats = object_categories();
  MultiSpec& spec = m.spec;
  std::vector<int> group;
  if (rng.chance(0.6)) {
    spec.family = rng.uniform(static_cast<int>(object_families().size()));
    group = object_families()[static_cast<size_t>(spec.family)].categories;
  } else {
    spec.category = rng.uniform(static_cast<int>(cats.size()));
    group = {spec.category};
  }
  remove_where(w, [&](const Object& o) { return contains(group, o.category); });

  // The destination: one named receptacle, or every receptacle of a type (2-3 of them).
  std::vector<int> goals;
  if (placement) {
    std::vector<int> types;
    for (int t = 0; t < static_cast<int>(receptacle_types().size()); ++t) {
      int n = 0;
      for (const Receptacle& r : w.receptacles) n += r.type == t;
      if (n >= 2 && n <= kMaxPlaces) types.push_back(t);
    }
    if (types.empty()) return false;
    spec.goal_type = rng.pick(types);
    for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
      if (w.receptacles[static_cast<size_t>(r)].type == spec.goal_type) goals.push_back(r);
  } else {
    spec.goal_receptacle = rng.uniform(static_cast<int>(w.receptacles.size()));
    goals = {spec.goal_receptacle};
  }
  std::vector<int> sources;
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
    if (!contains(goals, r)) sources.push_back(r);
  rng.shuffle(sources);
  sources.resize(std::min<size_t>(sources.size(), static_cast<size_t>(rng.range(1, 3))));
  if (sources.empty()) return false;

  // The instances: a small palette of colors and sizes so that the rules split them.
  if (spec.category >= 0 && !placement && rng.chance(0.25)) spec.color = rng.pick(cats[static_cast<size_t>(spec.category)].colors);
  std::vector<int> colors, sizes = {rng.uniform(kNumSizes)};
  sizes.push_back((sizes[0] + 1 + rng.uniform(kNumSizes - 1)) % kNumSizes);
  if (spec.color >= 0) {
    colors = {spec.color};
  } else {
    std::vector<int> all;
    for (int c : group)
      for (int col : cats[static_cast<size_t>(c)].colors)
        if (!contains(all, col)) all.push_back(col);
    rng.shuffle(all);
    colors.assign(all.begin(), all.begin() + std::min<size_t>(2, all.size()));
  }
  const int n = placement ? rng.range(2, 3) : rng.range(3, 4);
  std::vector<int> objs;
  std::vector<int> order = group;
  rng.shuffle(order);
  for (int i = 0; i < n; ++i) {
    const int c = order[static_cast<size_t>(i) % order.size()];
    int o = plant(w, rng, c, sources, colors, sizes);
    if (o < 0) return false;
    if (spec.color >= 0 && w.objects[static_cast<size_t>(o)].color != spec.color) return false;
    objs.push_back(o);
  }
  spec.all = !choice;

  // Options: all of them, or those of one color, size or category (distinct, proper subsets).
  auto add_option = [&m](const std::string& rule, std::vector<int> set) {
    if (set.empty()) return;
    std::sort(set.begin(), set.end());
    for (const MoveOption& o : m.prefs.options)
      if (o.objects == set) return;
    m.prefs.options.push_back(MoveOption{rule, set});
  };
  add_option("all", objs);
  if (choice) {
    auto by = [&](const char* key, int count, const std::vector<std::string>& names, int Object::*field) {
      for (int v = 0; v < count; ++v) {
        std::vector<int> set;
        for (int o : objs)
          if (w.objects[static_cast<size_t>(o)].*field == v) set.push_back(o);
        if (set.size() < objs.size()) add_option(std::string(key) + "=" + names[static_cast<size_t>(v)], set);
      }
    };
    std::vector<std::string> cat_names;
    for (const ObjectCategory& c : cats) cat_names.push_back(c.name);
    by("color", static_cast<int>(color_names().size()), color_names(), &Object::color);
    by("size", kNumSizes, size_names(), &Object::size);
    by("category", static_cast<int>(cats.size()), cat_names, &Object::category);
    if (m.prefs.options.size() < 2) return false;
  }
  for (int o : objs) {
    std::vector<int> places;
    for (int g : goals)
      if (g != w.objects[static_cast<size_t>(o)].receptacle) places.push_back(g);
    m.prefs.places.push_back(ObjectPlaces{o, places});
  }
  choose_targets(rng, m, choice ? rng.uniform(static_cast<int>(m.prefs.options.size())) : 0);
  return make_room(w, m, objs);
}

}  // namespace

const std::vector<uint32_t>& seen_multi_combinations() {
  static const std::vector<uint32_t> v = {kAmbNone, kAmbPreference, kAmbPlacement};
  return v;
}

const std::vector<uint32_t>& held_out_multi_combinations() {
  static const std::vector<uint32_t> v = {kAmbPreference | kAmbPlacement};
  return v;
}

int oracle_plan_length(const Episode& e) {
  std::vector<bool> open;
  for (const Receptacle& r : e.world.receptacles) open.push_back(r.open);
  int steps = e.K;
  const std::vector<Target> fetch = {Target{e.target, e.goal}};
  for (const Target& t : e.task == TaskType::Fetch ? fetch : e.multi.targets) {
    const int src = e.world.objects[static_cast<size_t>(t.object)].receptacle;
    steps += 4;  // navigate, pick, navigate, place
    for (int r : {src, t.goal})
      if (!open[static_cast<size_t>(r)]) {
        open[static_cast<size_t>(r)] = true;
        ++steps;
      }
  }
  return steps;
}

bool generate_multi_episode(uint64_t scene_seed, TaskType task, uint32_t combo, int template_id, uint64_t draw_seed,
                            const DatasetConfig& cfg, Episode* out) {
  if (task == TaskType::Fetch) return false;
  Rng rng(draw_seed);
  Episode e;
  e.task = task;
  World w = generate_scene(scene_seed, cfg.scene);
  const bool ok = task == TaskType::CleanClutter ? plant_clean_clutter(w, rng, combo, e.multi) : plant_preference(w, rng, combo, e.multi);
  if (!ok) return false;
  w.robot_room = rng.uniform(static_cast<int>(w.rooms.size()));
  e.scene_seed = scene_seed;
  e.world = std::move(w);
  e.ambiguity = combo;
  e.template_id = template_id;
  e.instruction = render_multi_instruction(e.world, task, e.multi.spec, template_id);
  e.max_steps = cfg.max_steps;
  if (!finalize_episode(e, false).empty()) return false;
  if ((combo == kAmbNone) != (e.K == 0)) return false;
  // Some preferences are pinned down in fewer questions than the worst case (K) whatever one asks;
  // the benchmark keeps the user's preference one that needs all K, so the oracle asks exactly K.
  if (multi_oracle_dialogue_length(e.world, e.multi) != e.K) return false;
  e.max_steps = std::max(cfg.max_steps, kStepSlack * oracle_plan_length(e));
  *out = std::move(e);
  return true;
}

}  // namespace a2a

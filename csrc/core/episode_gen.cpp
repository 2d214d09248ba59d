#include "episode_gen.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "catalog.h"
#include "instruction.h"
#include "multi_gen.h"
#include "rng.h"

namespace a2a {
namespace {

constexpr uint32_t A = kAmbAttribute, S = kAmbSize, SR = kAmbSpatialReceptacle, SM = kAmbSpatialRoom,
                   SN = kAmbSpatialNeighbor, P = kAmbPlacement;
constexpr uint32_t kSpatial = SR | SM | SN;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct Planter {
  World& w;
  Rng& rng;
  std::vector<bool> drop;
  std::vector<Object> planted;

  Planter(World& world, Rng& r) : w(world), rng(r), drop(world.objects.size(), false) {}

  // Frees `n` distinct slots of receptacle r (evicting clutter) and returns them, random order.
  std::vector<int> take_slots(int r, int n) {
    std::vector<int> slots;
    for (int s = 0; s < w.receptacles[r].num_slots; ++s) {
      bool used = false;
      for (const Object& p : planted)
        if (p.receptacle == r && p.slot == s) used = true;
      if (!used) slots.push_back(s);
    }
    if (static_cast<int>(slots.size()) < n) return {};
    rng.shuffle(slots);
    slots.resize(static_cast<size_t>(n));
    for (int s : slots) {
      int o = w.receptacles[r].slot_object[s];
      if (o >= 0) drop[static_cast<size_t>(o)] = true;
    }
    return slots;
  }

  void plant(const Object& o) { planted.push_back(o); }

  // Applies evictions and adds planted objects; returns the new index of planted[k].
  std::vector<int> commit() {
    w.remove_objects(drop);
    std::vector<int> idx;
    for (const Object& o : planted) {
      w.objects.push_back(o);
      idx.push_back(static_cast<int>(w.objects.size()) - 1);
      w.place(idx.back(), o.receptacle, o.slot);
    }
    return idx;
  }
};

int other_value(Rng& rng, const std::vector<int>& values, int not_this) {
  std::vector<int> rest;
  for (int v : values)
    if (v != not_this) rest.push_back(v);
  return rest.empty() ? -1 : rng.pick(rest);
}

std::vector<int> receptacles_where(const World& w, const std::function<bool(int)>& ok) {
  std::vector<int> out;
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
    if (ok(r)) out.push_back(r);
  return out;
}

}  // namespace

const std::vector<uint32_t>& seen_combinations() {
  static const std::vector<uint32_t> v = {kAmbNone, A, S, SR, SM, SN, P, A | P, S | SR, A | SM, SN | P, S | P};
  return v;
}

const std::vector<uint32_t>& held_out_combinations() {
  static const std::vector<uint32_t> v = {A | S, A | SR | P, S | SM | P, A | S | P, A | S | SN, A | S | SR | P};
  return v;
}

bool held_out_layout(const std::string& signature) { return fnv1a(signature) % 4 == 0; }

bool generate_episode(uint64_t scene_seed, uint32_t combo, int template_id, uint64_t draw_seed,
                      const DatasetConfig& cfg, Episode* out) {
  Rng rng(draw_seed);
  World w = generate_scene(scene_seed, cfg.scene);
  const auto& cats = object_categories();
  const bool attr = combo & A, size = combo & S, placement = combo & P;
  const uint32_t spatial = combo & kSpatial;

  // Target category: only the planted objects will be of this category.
  int c = rng.uniform(static_cast<int>(cats.size()));
  if (attr && cats[c].colors.size() < 2) return false;
  {
    std::vector<bool> drop(w.objects.size(), false);
    for (size_t i = 0; i < w.objects.size(); ++i) drop[i] = w.objects[i].category == c;
    w.remove_objects(drop);
  }
  const int color_t = rng.pick(cats[c].colors);
  const int color_d = attr ? other_value(rng, cats[c].colors, color_t) : -1;
  const int size_t_ = rng.uniform(kNumSizes);
  const int size_d = size ? other_value(rng, {0, 1, 2}, size_t_) : -1;
  const int pattern = rng.chance(0.6) ? 0 : 1 + rng.uniform(3);
  const int per_place = (attr ? 2 : 1) * (size ? 2 : 1) + ((spatial & SN) ? 1 : 0);

  // Where the target (and its lookalikes) stand.
  const int n_rooms = static_cast<int>(w.rooms.size());
  std::vector<int> fits = receptacles_where(w, [&](int r) { return w.receptacles[r].num_slots >= per_place; });
  if (fits.empty()) return false;
  std::vector<int> homely;
  for (int r : fits) {
    const auto& rooms = cats[c].rooms;
    if (std::find(rooms.begin(), rooms.end(), w.rooms[w.receptacles[r].room].type) != rooms.end()) homely.push_back(r);
  }
  const int r_t = (!homely.empty() && rng.chance(0.8)) ? rng.pick(homely) : rng.pick(fits);
  const int room_t = w.receptacles[r_t].room;
  int r_d = -1;
  if (spatial) {
    std::vector<int> options = receptacles_where(w, [&](int r) {
      if (r == r_t || w.receptacles[r].num_slots < per_place) return false;
      bool same_room = w.receptacles[r].room == room_t;
      return (spatial & SM) ? !same_room : same_room;
    });
    if (options.empty() || n_rooms < 2) return false;
    r_d = rng.pick(options);
  }

  // The goal: one named receptacle, or every receptacle of one type.
  TaskSpec spec;
  spec.category = c;
  int goal = -1;
  std::vector<int> goals;
  if (placement) {
    std::vector<int> types;
    for (int t = 0; t < static_cast<int>(receptacle_types().size()); ++t) {
      std::vector<int> of_t = receptacles_where(w, [&](int r) { return w.receptacles[r].type == t; });
      bool clash = std::find(of_t.begin(), of_t.end(), r_t) != of_t.end() ||
                   std::find(of_t.begin(), of_t.end(), r_d) != of_t.end();
      if (of_t.size() >= 2 && !clash) types.push_back(t);
    }
    if (types.empty()) return false;
    spec.goal_type = rng.pick(types);
    goals = receptacles_where(w, [&](int r) { return w.receptacles[r].type == spec.goal_type; });
    goal = rng.pick(goals);
  } else {
    goals = receptacles_where(w, [&](int r) { return r != r_t && r != r_d; });
    if (goals.empty()) return false;
    goal = rng.pick(goals);
    spec.goal_receptacle = goal;
  }

  // Plant the target and its lookalikes: every combination of the ambiguous attributes, at each
  // ambiguous location. The target is the first one at r_t.
  Planter planter(w, rng);
  std::vector<int> places = {r_t};
  if (r_d >= 0) places.push_back(r_d);
  for (int r : places) {
    std::vector<int> slots = planter.take_slots(r, per_place);
    if (slots.empty()) return false;
    size_t k = 0;
    for (int col : {color_t, color_d})
      for (int sz : {size_t_, size_d}) {
        if (col < 0 || sz < 0) continue;
        Object o;
        o.category = c;
        o.color = col;
        o.size = sz;
        o.pattern = pattern;
        o.receptacle = r;
        o.slot = slots[k++];
        planter.plant(o);
      }
  }
  // Neighbour ambiguity: the target gets a distinctive neighbour that its twin lacks.
  if (spatial & SN) {
    const Object& t = planter.planted[0];
    int slot = -1;
    for (int s : {t.slot - 1, t.slot + 1})
      if (s >= 0 && s < w.receptacles[r_t].num_slots) {
        bool free = true;
        for (const Object& p : planter.planted)
          if (p.receptacle == r_t && p.slot == s) free = false;
        if (free) slot = s;
      }
    if (slot < 0) return false;
    int old = w.receptacles[r_t].slot_object[slot];
    if (old >= 0) planter.drop[static_cast<size_t>(old)] = true;
    Object n;
    do n.category = rng.uniform(static_cast<int>(cats.size()));
    while (n.category == c);
    n.color = rng.pick(cats[n.category].colors);
    n.size = rng.uniform(kNumSizes);
    n.receptacle = r_t;
    n.slot = slot;
    planter.plant(n);
  }
  // Room for the delivery.
  if (w.free_slot(goal) < 0) {
    bool freed = false;
    for (int s = 0; s < w.receptacles[goal].num_slots && !freed; ++s) {
      int o = w.receptacles[goal].slot_object[s];
      if (o >= 0) {
        planter.drop[static_cast<size_t>(o)] = true;
        freed = true;
      }
    }
  }
  std::vector<int> idx = planter.commit();
  const int target = idx[0];

  // What the instruction says: never what is ambiguous; sometimes what is not.
  if (!attr && rng.chance(0.5)) spec.color = color_t;
  if (!size && rng.chance(0.35)) spec.size = size_t_;
  if (pattern > 0 && rng.chance(0.3)) spec.pattern = pattern;
  if (!spatial) {
    double u = rng.unit();
    if (u < 0.2) spec.receptacle = r_t;
    else if (u < 0.4) spec.room = room_t;
  } else if ((spatial & (SR | SN)) && rng.chance(0.3)) {
    spec.room = room_t;  // both lookalikes are in this room
  }
  w.robot_room = rng.uniform(n_rooms);

  Episode e;
  e.scene_seed = scene_seed;
  e.world = std::move(w);
  e.spec = spec;
  e.target = target;
  e.goal = goal;
  e.ambiguity = combo;
  e.template_id = template_id;
  e.instruction = render_instruction(e.world, spec, template_id);
  e.max_steps = cfg.max_steps;
  if (!finalize_episode(e, false).empty()) return false;
  if ((combo == kAmbNone) != (e.K == 0)) return false;
  // --max-steps is a floor: an episode the oracle cannot finish in time measures nothing
  e.max_steps = std::max(cfg.max_steps, oracle_plan_length(e));
  *out = std::move(e);
  return true;
}

std::string validate(const DatasetConfig& c) {
  const SceneGenConfig& s = c.scene;
  if (s.min_rooms < 2 || s.max_rooms > static_cast<int>(room_types().size()) || s.min_rooms > s.max_rooms)
    return "rooms must satisfy 2 <= min <= max <= " + std::to_string(room_types().size());
  if (s.min_receptacles < 1 || s.min_receptacles > s.max_receptacles || s.max_receptacles > 10)
    return "receptacles per room must satisfy 1 <= min <= max <= 10";
  if (s.clutter < 0 || s.clutter > 1 || s.open_prob < 0 || s.open_prob > 1 || s.twin_prob < 0 || s.twin_prob > 1)
    return "clutter, open_prob and twin_prob must be in [0, 1]";
  if (c.max_steps < 1) return "max_steps must be >= 1";
  if (c.train_scenes < 1 || c.eval_scenes < 1) return "train_scenes and eval_scenes must be >= 1";
  for (int n : c.counts)
    if (n < 0) return "counts must be >= 0";
  if (!(c.multi_share >= 0 && c.multi_share <= 1)) return "multi_share must be in [0, 1]";
  if (c.multi_share > 0 && c.multi_tasks.empty()) return "multi_tasks: no multi-object task type to draw from";
  for (TaskType t : c.multi_tasks)
    if (t == TaskType::Fetch) return "multi_tasks: 'fetch' is not a multi-object task type";
  return "";
}

bool multi_object_position(int i, double share) {
  return std::floor((i + 1) * share) > std::floor(i * share);
}

std::vector<Episode> generate_split(const DatasetConfig& cfg, Split split, const std::function<void(int, int)>& progress) {
  std::string err = validate(cfg);
  if (!err.empty()) throw std::invalid_argument("dataset config: " + err);
  const int count = cfg.counts[static_cast<int>(split)];
  const bool unseen_scenes = split == Split::ValUnseenScenes || split == Split::TestUnseenScenes;
  const bool unseen_tasks = split == Split::ValUnseenTasks || split == Split::TestUnseenTasks;
  if (split == Split::Custom) throw std::invalid_argument("generate_split: 'custom' is not a generated split");

  // The apartments behind the split: train scenes for train and unseen tasks; fresh seeds with
  // held-out layouts for each unseen-scenes split.
  std::vector<uint64_t> scenes;
  const uint64_t stream = unseen_scenes ? 1000 + static_cast<uint64_t>(split) : 1;
  const int wanted = unseen_scenes ? cfg.eval_scenes : cfg.train_scenes;
  for (uint64_t j = 0; static_cast<int>(scenes.size()) < wanted; ++j) {
    uint64_t s = mix_seed(mix_seed(cfg.seed, stream), j);
    if (held_out_layout(layout_signature(generate_scene(s, cfg.scene))) == unseen_scenes) scenes.push_back(s);
    if (j > static_cast<uint64_t>(wanted) * 1000)
      throw std::invalid_argument(std::string("generate_split: no apartment with a ") + (unseen_scenes ? "held-out" : "seen") +
                                  " layout among the room settings; allow more rooms (max_rooms) so layouts vary");
  }

  std::vector<Episode> out;
  out.reserve(static_cast<size_t>(count));
  Rng rng(mix_seed(cfg.seed, 77 + static_cast<uint64_t>(split)));
  auto next_fetch = [&](Episode& e) {
    bool ok = false;
    for (int attempt = 0; attempt < 200 && !ok; ++attempt) {
      uint32_t combo;
      if (!cfg.combinations.empty()) combo = rng.pick(cfg.combinations);
      else if (unseen_tasks) combo = rng.pick(held_out_combinations());
      else if (rng.chance(cfg.none_fraction)) combo = kAmbNone;
      else combo = seen_combinations()[1 + static_cast<size_t>(rng.uniform(static_cast<int>(seen_combinations().size()) - 1))];
      int tmpl = unseen_tasks ? kNumSeenTemplates + rng.uniform(kNumTemplates - kNumSeenTemplates) : rng.uniform(kNumSeenTemplates);
      ok = generate_episode(rng.pick(scenes), combo, tmpl, rng.next(), cfg, &e);
    }
    return ok;
  };
  // Multi-object episodes: a stream of their own; unseen tasks hold out their ambiguity combination
  // and templates, and need at least two questions.
  Rng multi_rng(mix_seed(cfg.seed, 177 + static_cast<uint64_t>(split)));
  auto next_multi = [&](Episode& e) {
    bool ok = false;
    for (int attempt = 0; attempt < 200 && !ok; ++attempt) {
      TaskType task = multi_rng.pick(cfg.multi_tasks);
      uint32_t combo;
      if (unseen_tasks) combo = multi_rng.pick(held_out_multi_combinations());
      else if (multi_rng.chance(cfg.none_fraction)) combo = kAmbNone;
      else combo = seen_multi_combinations()[1 + static_cast<size_t>(multi_rng.uniform(static_cast<int>(seen_multi_combinations().size()) - 1))];
      int tmpl = unseen_tasks ? kNumSeenMultiTemplates + multi_rng.uniform(kNumMultiTemplates - kNumSeenMultiTemplates)
                              : multi_rng.uniform(kNumSeenMultiTemplates);
      ok = generate_multi_episode(multi_rng.pick(scenes), task, combo, tmpl, multi_rng.next(), cfg, &e) && (!unseen_tasks || e.K >= 2);
    }
    return ok;
  };
  for (int i = 0; i < count; ++i) {
    Episode e;
    if (!(multi_object_position(i, cfg.multi_share) ? next_multi(e) : next_fetch(e)))
      throw std::runtime_error("generate_split: could not plant an episode after 200 attempts");
    char id[64];
    std::snprintf(id, sizeof(id), "%s/%06d", split_name(split), i);
    e.id = id;
    e.split = split;
    out.push_back(std::move(e));
    if (progress && (i % 100 == 99 || i + 1 == count)) progress(i + 1, count);
  }
  return out;
}

}  // namespace a2a

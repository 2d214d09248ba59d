#include "multi_task.h"

#include <algorithm>
#include <set>

#include "catalog.h"
#include "preference_user.h"

namespace a2a {
namespace {

std::string at(const char* field, size_t i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

int place_index(const Preferences& p, int object) {
  for (size_t i = 0; i < p.places.size(); ++i)
    if (p.places[i].object == object) return static_cast<int>(i);
  return -1;
}

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool in_family_or_category(const MultiSpec& s, int category) {
  if (s.category >= 0) return category == s.category;
  if (s.family < 0) return false;
  const auto& cats = object_families()[static_cast<size_t>(s.family)].categories;
  return std::find(cats.begin(), cats.end(), category) != cats.end();
}

std::string spec_error(const World& w, TaskType task, const MultiSpec& s) {
  const int n_rooms = static_cast<int>(w.rooms.size()), n_rec = static_cast<int>(w.receptacles.size());
  if (task == TaskType::CleanClutter) {
    if ((s.area_room >= 0) == (s.area_receptacle >= 0)) return "spec: exactly one of area_room and area_receptacle";
    if (s.area_room >= n_rooms) return "spec.area_room: out of range";
    if (s.area_receptacle >= n_rec) return "spec.area_receptacle: out of range";
    return "";
  }
  if ((s.family >= 0) == (s.category >= 0)) return "spec: exactly one of family and category";
  if (s.family >= static_cast<int>(object_families().size())) return "spec.family: out of range";
  if (s.category >= static_cast<int>(object_categories().size())) return "spec.category: out of range";
  if ((s.goal_receptacle >= 0) == (s.goal_type >= 0)) return "spec: exactly one of goal_receptacle and goal_type";
  if (s.goal_receptacle >= n_rec) return "spec.goal_receptacle: out of range";
  return "";
}

std::string rule_words(const std::string& rule) {
  if (rule == "all") return "all of them";
  size_t eq = rule.find('=');
  if (eq == std::string::npos) return "";
  std::string key = rule.substr(0, eq), value = rule.substr(eq + 1);
  if (key == "category") {
    int c = find_category(value);
    return "only the " + (c >= 0 ? category_plural(c) : value);
  }
  return "only the " + value + " ones";
}

}  // namespace

const char* task_type_name(TaskType t) {
  static const char* n[] = {"fetch", "clean_clutter", "preference_reasoning"};
  return n[static_cast<int>(t)];
}

bool parse_task_type(const std::string& s, TaskType* out) {
  for (int i = 0; i < kNumTaskTypes; ++i)
    if (s == task_type_name(static_cast<TaskType>(i))) {
      *out = static_cast<TaskType>(i);
      return true;
    }
  return false;
}

std::vector<int> task_scope(const World& w, TaskType task, const MultiSpec& s) {
  std::vector<int> out;
  for (size_t i = 0; i < w.objects.size(); ++i) {
    const Object& o = w.objects[i];
    bool in = false;
    if (task == TaskType::CleanClutter)
      in = o.receptacle >= 0 && (o.receptacle == s.area_receptacle ||
                                 (s.area_room >= 0 && w.receptacles[static_cast<size_t>(o.receptacle)].room == s.area_room));
    else if (task == TaskType::PreferenceReasoning)
      in = in_family_or_category(s, o.category) && (s.color < 0 || o.color == s.color) && (s.size < 0 || o.size == s.size);
    if (in) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<int> spec_goals(const World& w, const MultiSpec& s) {
  if (s.goal_receptacle >= 0) return {s.goal_receptacle};
  std::vector<int> out;
  for (size_t r = 0; r < w.receptacles.size(); ++r)
    if (s.goal_type >= 0 && w.receptacles[r].type == s.goal_type) out.push_back(static_cast<int>(r));
  return out;
}

size_t count_assignments(const Preferences& p) {
  const size_t cap = kMaxHypotheses + 1;
  size_t total = 0;
  for (const MoveOption& opt : p.options) {
    size_t n = 1;
    for (int o : opt.objects) {
      int k = place_index(p, o);
      n = std::min(cap, n * (k < 0 ? 0 : p.places[static_cast<size_t>(k)].goals.size()));
    }
    total = std::min(cap, total + n);
  }
  return total;
}

std::vector<Assignment> enumerate_assignments(const Preferences& p) {
  std::vector<Assignment> out;
  for (const MoveOption& opt : p.options) {
    std::vector<int> slots;  // places index per moving object
    for (int o : opt.objects) slots.push_back(place_index(p, o));
    std::vector<size_t> digit(slots.size(), 0);
    while (true) {  // odometer over the places of the moving objects
      Assignment a;
      a.goal.assign(p.places.size(), -1);
      for (size_t k = 0; k < slots.size(); ++k) a.goal[static_cast<size_t>(slots[k])] = p.places[static_cast<size_t>(slots[k])].goals[digit[k]];
      out.push_back(std::move(a));
      size_t k = 0;
      while (k < slots.size() && ++digit[k] == p.places[static_cast<size_t>(slots[k])].goals.size()) digit[k++] = 0;
      if (k == slots.size()) break;
    }
  }
  return out;
}

int destination(const Preferences& p, const Assignment& a, int object) {
  int k = place_index(p, object);
  return k < 0 ? -1 : a.goal[static_cast<size_t>(k)];
}

std::string finalize_multi_task(const World& w, TaskType task, MultiTask& m) {
  if (task == TaskType::Fetch) return "task: 'fetch' is not a multi-object task";
  std::string err = spec_error(w, task, m.spec);
  if (!err.empty()) return err;
  const std::vector<int> scope = task_scope(w, task, m.spec);
  if (scope.empty()) return "spec: the instruction is about no object of this world";
  const std::vector<int> named_goals = task == TaskType::PreferenceReasoning ? spec_goals(w, m.spec) : std::vector<int>{};
  const int n_obj = static_cast<int>(w.objects.size()), n_rec = static_cast<int>(w.receptacles.size());
  Preferences& p = m.prefs;

  if (p.places.empty()) return "preferences.places: empty";
  std::set<int> placed;
  for (size_t i = 0; i < p.places.size(); ++i) {
    const ObjectPlaces& pl = p.places[i];
    const std::string where = at("preferences.places", i);
    if (pl.object < 0 || pl.object >= n_obj) return where + ".object: out of range";
    if (!placed.insert(pl.object).second) return where + ".object: object " + std::to_string(pl.object) + " appears twice";
    if (std::find(scope.begin(), scope.end(), pl.object) == scope.end())
      return where + ".object: object " + std::to_string(pl.object) + " is not one the instruction is about";
    const Object& o = w.objects[static_cast<size_t>(pl.object)];
    for (int j = 0; j < n_obj; ++j)
      if (j != pl.object && ObjectDesc{o.size, o.color, o.category}.matches(w.objects[static_cast<size_t>(j)]))
        return where + ".object: looks exactly like object " + std::to_string(j) +
               " (the objects of a multi-object task must be told apart by size, color and category)";
    if (pl.goals.empty()) return where + ".goals: empty";
    std::set<int> seen;
    for (size_t g = 0; g < pl.goals.size(); ++g) {
      const int r = pl.goals[g];
      const std::string gw = where + at(".goals", g);
      if (r < 0 || r >= n_rec) return gw + ": out of range";
      if (!seen.insert(r).second) return gw + ": appears twice";
      if (r == o.receptacle) return gw + ": the object already stands there";
      if (task == TaskType::PreferenceReasoning && std::find(named_goals.begin(), named_goals.end(), r) == named_goals.end())
        return gw + ": '" + w.receptacles[static_cast<size_t>(r)].name + "' is not a destination the instruction names";
    }
  }
  if (p.options.empty()) return "preferences.options: empty";
  std::set<std::vector<int>> sets;
  for (size_t i = 0; i < p.options.size(); ++i) {
    const std::string where = at("preferences.options", i);
    std::vector<int> s = sorted(p.options[i].objects);
    if (s.empty()) return where + ".objects: empty (an option moves at least one object)";
    if (std::adjacent_find(s.begin(), s.end()) != s.end()) return where + ".objects: an object appears twice";
    for (int o : s)
      if (!placed.count(o)) return where + ".objects: object " + std::to_string(o) + " has no entry in preferences.places";
    if (!sets.insert(s).second) return where + ".objects: the same objects as an earlier option";
  }
  const size_t n_assign = count_assignments(p);
  if (n_assign > static_cast<size_t>(kMaxHypotheses))
    return "preferences: more than " + std::to_string(kMaxHypotheses) + " assignments; at most " +
           std::to_string(kMaxHypotheses) + " are supported";

  if (m.targets.empty()) return "targets: empty";
  std::vector<int> moved;
  std::vector<int> demand(static_cast<size_t>(n_rec), 0);
  for (size_t i = 0; i < m.targets.size(); ++i) {
    const Target& t = m.targets[i];
    const std::string where = at("targets", i);
    if (t.object < 0 || t.object >= n_obj) return where + ".object: out of range";
    if (t.goal < 0 || t.goal >= n_rec) return where + ".goal: out of range";
    int k = place_index(p, t.object);
    if (k < 0) return where + ".object: object " + std::to_string(t.object) + " has no entry in preferences.places";
    const auto& goals = p.places[static_cast<size_t>(k)].goals;
    if (std::find(goals.begin(), goals.end(), t.goal) == goals.end())
      return where + ".goal: '" + w.receptacles[static_cast<size_t>(t.goal)].name + "' is not among the object's places";
    moved.push_back(t.object);
    ++demand[static_cast<size_t>(t.goal)];
  }
  moved = sorted(moved);
  if (std::adjacent_find(moved.begin(), moved.end()) != moved.end()) return "targets: an object appears twice";
  m.true_option = -1;
  for (size_t i = 0; i < p.options.size(); ++i)
    if (sorted(p.options[i].objects) == moved) m.true_option = static_cast<int>(i);
  if (m.true_option < 0) return "targets: the objects to move are not one of preferences.options";
  for (int r = 0; r < n_rec; ++r) {
    int free = 0;
    const Receptacle& rec = w.receptacles[static_cast<size_t>(r)];
    for (int s = 0; s < rec.num_slots; ++s) free += rec.slot_object[static_cast<size_t>(s)] < 0;
    if (demand[static_cast<size_t>(r)] > free)
      return "targets: " + std::to_string(demand[static_cast<size_t>(r)]) + " objects go to '" + rec.name + "', which has " +
             std::to_string(free) + " free slots";
  }

  m.assignments = enumerate_assignments(p);
  Assignment truth;
  truth.goal.assign(p.places.size(), -1);
  for (const Target& t : m.targets) truth.goal[static_cast<size_t>(place_index(p, t.object))] = t.goal;
  m.true_assignment = -1;
  for (size_t i = 0; i < m.assignments.size(); ++i)
    if (m.assignments[i] == truth) m.true_assignment = static_cast<int>(i);
  if (m.true_assignment < 0) return "targets: not an assignment the preferences allow";
  return "";
}

std::vector<Question> multi_question_space(const World& w, const Preferences& p) {
  std::vector<Question> qs;
  for (const ObjectPlaces& pl : p.places) {
    const Object& o = w.objects[static_cast<size_t>(pl.object)];
    Question q;
    q.referent = o.category;
    q.subject = ObjectDesc{o.size, o.color, o.category};
    for (QType t : {QType::MoveYN, QType::PlacementWH}) {
      q.type = t;
      qs.push_back(q);
    }
    q.type = QType::PlacementYN;
    for (int r : pl.goals) {
      q.receptacle = r;
      qs.push_back(q);
    }
  }
  return qs;
}

namespace {

KSearch multi_search(const World& w, const MultiTask& m) {
  return KSearch(multi_question_space(w, m.prefs), m.assignments.size(), [&](const Question& q, size_t i) {
    int object = question_object(w, q);
    return multi_answer_code(w, q, object, object < 0 ? -1 : destination(m.prefs, m.assignments[i], object));
  });
}

}  // namespace

int multi_min_questions(const World& w, const MultiTask& m, int max_depth) {
  if (m.assignments.size() > static_cast<size_t>(kMaxHypotheses)) return -1;
  if (m.assignments.size() <= 1) return 0;
  return multi_search(w, m).min_depth(full_mask(m.assignments.size()), max_depth);
}

bool multi_best_question(const World& w, const MultiTask& m, HypothesisMask mask, Question* out, int* remaining,
                         int max_depth) {
  *remaining = 0;
  if (m.assignments.size() > static_cast<size_t>(kMaxHypotheses) || __builtin_popcountll(mask) <= 1) return false;
  KSearch search = multi_search(w, m);
  *remaining = search.min_depth(mask, max_depth);
  return *remaining > 0 && search.question_for(mask, *remaining, out, (mask >> m.true_assignment & 1) ? m.true_assignment : -1);
}

HypothesisMask multi_filter_by_answer(const World& w, const MultiTask& m, HypothesisMask mask, const Question& q, int code) {
  const int object = question_object(w, q);
  return filter_mask(m.assignments.size(), mask, code, [&](size_t i) {
    return multi_answer_code(w, q, object, object < 0 ? -1 : destination(m.prefs, m.assignments[i], object));
  });
}

int multi_oracle_dialogue_length(const World& w, const MultiTask& m, int max_depth) {
  const Assignment& truth = m.assignments[static_cast<size_t>(m.true_assignment)];
  HypothesisMask mask = full_mask(m.assignments.size());
  Question q;
  int remaining = 0, asked = 0;
  while (multi_best_question(w, m, mask, &q, &remaining, max_depth)) {
    const int object = question_object(w, q);
    mask = multi_filter_by_answer(w, m, mask, q, multi_answer_code(w, q, object, object < 0 ? -1 : destination(m.prefs, truth, object)));
    if (++asked > max_depth) return -1;
  }
  return remaining < 0 ? -1 : asked;
}

std::string preference_text(const World& w, const MultiTask& m) {
  auto name = [&w](int o) { return "the " + describe_full(w.objects[static_cast<size_t>(o)]); };
  auto where = [&w](int o) {
    const Object& ob = w.objects[static_cast<size_t>(o)];
    if (ob.receptacle < 0) return std::string("held by the robot");
    return location_phrase(w, ob.receptacle) + " in the " + room_name(w, w.receptacles[static_cast<size_t>(ob.receptacle)].room);
  };
  std::string s;
  const std::string rule = m.true_option >= 0 ? rule_words(m.prefs.options[static_cast<size_t>(m.true_option)].rule) : "";
  if (!rule.empty()) s += "Of the objects the instruction is about, the user wants " + rule + " moved. ";
  s += "The user wants these objects moved: ";
  for (size_t i = 0; i < m.targets.size(); ++i) {
    const Target& t = m.targets[i];
    s += (i ? "; " : "") + name(t.object) + " (now " + where(t.object) + ") goes " + location_phrase(w, t.goal);
  }
  s += ".";
  std::string stay;
  for (const ObjectPlaces& pl : m.prefs.places) {
    bool moves = false;
    for (const Target& t : m.targets) moves |= t.object == pl.object;
    if (!moves) stay += (stay.empty() ? "" : ", ") + name(pl.object) + " (" + where(pl.object) + ")";
  }
  if (!stay.empty()) s += " These stay where they are: " + stay + ".";
  s += " Nothing else is to be moved.";
  return s;
}

}  // namespace a2a

// a2a._core: the environment core for Python. The GIL is released around everything that steps
// environments; batches are exported to numpy without copies (each array keeps its batch alive).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ask_batched.h"
#include "catalog.h"
#include "episode_gen.h"
#include "episode_json.h"
#include "env.h"
#include "grammar.h"
#include "multi_task.h"
#include "null_env.h"
#include "privileged.h"
#include "user.h"

namespace py = pybind11;
using namespace a2a;

namespace {

// ---- episodes ------------------------------------------------------------------------------------

struct EpisodeSet {
  std::vector<EpisodePtr> episodes;
};

py::dict world_dict(const World& w) {
  py::list rooms, recs, objs;
  for (size_t i = 0; i < w.rooms.size(); ++i) rooms.append(room_name(w, static_cast<int>(i)));
  for (const Receptacle& r : w.receptacles) {
    py::dict d;
    d["name"] = r.name;
    d["type"] = receptacle_types()[r.type].name;
    d["room"] = r.room;
    d["finish"] = finishes()[r.finish].name;
    d["slots"] = r.num_slots;
    d["open"] = r.open;
    d["articulated"] = receptacle_types()[r.type].articulated;
    py::list slots;
    for (int s = 0; s < r.num_slots; ++s) slots.append(r.slot_object[s]);
    d["slot_objects"] = slots;
    recs.append(d);
  }
  for (size_t i = 0; i < w.objects.size(); ++i) {
    const Object& o = w.objects[i];
    py::dict d;
    d["category"] = object_categories()[o.category].name;
    d["color"] = color_names()[o.color];
    d["size"] = size_names()[o.size];
    d["pattern"] = pattern_names()[o.pattern];
    d["receptacle"] = o.receptacle >= 0 ? py::cast(o.receptacle) : py::none();
    d["slot"] = o.receptacle >= 0 ? py::cast(o.slot) : py::none();
    d["held"] = o.receptacle == kHeld;
    d["description"] = describe_full(o);
    objs.append(d);
  }
  py::dict out;
  out["rooms"] = rooms;
  out["receptacles"] = recs;
  out["objects"] = objs;
  out["robot_at"] = w.robot_at >= 0 ? py::cast(w.receptacles[w.robot_at].name) : py::none();
  out["robot_room"] = room_name(w, w.robot_room);
  out["held"] = w.held >= 0 ? py::cast(w.held) : py::none();
  return out;
}

// What privileged_state reads under the manager's call lock; turned into Python objects after it is
// released (the lock is never waited for while holding the GIL: see BatchedEnv's thread safety).
struct PrivilegedCopy {
  World world;
  std::string world_graph, instruction, target_description, goal;
  int target = -1, K = 0, questions = 0, steps = 0;
  std::vector<std::pair<int, int>> consistent;
  // Multi-object tasks: the targets (object, goal name), the user's preference in words, and the
  // consistent assignments as the (object, goal) pairs of what they move.
  TaskType task = TaskType::Fetch;
  std::vector<std::pair<int, std::string>> targets;
  std::string preference;
  std::vector<std::vector<std::pair<int, int>>> consistent_assignments;
};

// What view_layout reads under the manager's call lock (as PrivilegedCopy).
struct ViewLayoutCopy {
  struct Item {
    ViewItem item;
    std::string name;
    bool open;  // receptacles
  };
  std::string room, at;  // at: "" in a room
  std::vector<Item> items;
};

py::object name_or_none(int i, const std::vector<std::string>& names) {
  return i >= 0 ? py::cast(names[static_cast<size_t>(i)]) : py::none();
}

// ---- multi-object tasks ----------------------------------------------------------------------------

// An assignment as the (object, goal) pairs of the objects it moves.
std::vector<std::pair<int, int>> moved_pairs(const MultiTask& m, const Assignment& a) {
  std::vector<std::pair<int, int>> pairs;
  for (size_t k = 0; k < m.prefs.places.size(); ++k)
    if (a.goal[k] >= 0) pairs.emplace_back(m.prefs.places[k].object, a.goal[k]);
  return pairs;
}

py::list target_list(const World& w, const MultiTask& m) {
  py::list out;
  for (const Target& t : m.targets) out.append(py::make_tuple(t.object, w.receptacles[static_cast<size_t>(t.goal)].name));
  return out;
}

// The multi-object fields of an episode dict (what the /2 format adds).
void add_multi_object_fields(py::dict& d, const Episode& e) {
  const World& w = e.world;
  const MultiTask& m = e.multi;
  std::vector<std::string> recs, rooms, types, cats, fams;
  for (const auto& r : w.receptacles) recs.push_back(r.name);
  for (size_t i = 0; i < w.rooms.size(); ++i) rooms.push_back(room_name(w, static_cast<int>(i)));
  for (const auto& t : receptacle_types()) types.push_back(t.name);
  for (const auto& c : object_categories()) cats.push_back(c.name);
  for (const auto& f : object_families()) fams.push_back(f.name);
  py::dict spec;
  spec["area_room"] = name_or_none(m.spec.area_room, rooms);
  spec["area_receptacle"] = name_or_none(m.spec.area_receptacle, recs);
  spec["family"] = name_or_none(m.spec.family, fams);
  spec["category"] = name_or_none(m.spec.category, cats);
  spec["color"] = name_or_none(m.spec.color, color_names());
  spec["size"] = name_or_none(m.spec.size, size_names());
  spec["all"] = m.spec.all;
  spec["goal_receptacle"] = name_or_none(m.spec.goal_receptacle, recs);
  spec["goal_type"] = name_or_none(m.spec.goal_type, types);
  py::list options, places, hyps;
  for (const MoveOption& o : m.prefs.options) {
    py::dict x;
    x["rule"] = o.rule;
    x["objects"] = o.objects;
    options.append(x);
  }
  for (const ObjectPlaces& p : m.prefs.places) {
    py::list goals;
    for (int g : p.goals) goals.append(recs[static_cast<size_t>(g)]);
    py::dict x;
    x["object"] = p.object;
    x["goals"] = goals;
    places.append(x);
  }
  for (const Assignment& a : m.assignments) hyps.append(py::tuple(py::cast(moved_pairs(m, a))));
  py::dict prefs;
  prefs["options"] = options;
  prefs["places"] = places;
  d["spec"] = spec;
  d["targets"] = target_list(w, m);
  d["preferences"] = prefs;
  d["preference"] = preference_text(w, m);
  d["hypotheses"] = hyps;
}

py::dict episode_dict(const Episode& e) {
  std::vector<std::string> cats, types, recs, rooms;
  for (const auto& c : object_categories()) cats.push_back(c.name);
  for (const auto& t : receptacle_types()) types.push_back(t.name);
  for (const auto& r : e.world.receptacles) recs.push_back(r.name);
  for (size_t i = 0; i < e.world.rooms.size(); ++i) rooms.push_back(room_name(e.world, static_cast<int>(i)));
  py::dict spec;
  spec["category"] = name_or_none(e.spec.category, cats);
  spec["color"] = name_or_none(e.spec.color, color_names());
  spec["size"] = name_or_none(e.spec.size, size_names());
  spec["pattern"] = name_or_none(e.spec.pattern, pattern_names());
  spec["receptacle"] = name_or_none(e.spec.receptacle, recs);
  spec["room"] = name_or_none(e.spec.room, rooms);
  spec["goal_receptacle"] = name_or_none(e.spec.goal_receptacle, recs);
  spec["goal_type"] = name_or_none(e.spec.goal_type, types);
  py::list hyps;
  for (const Hypothesis& h : e.hypotheses) hyps.append(py::make_tuple(h.object, h.goal));
  py::dict d;
  d["id"] = e.id;
  d["split"] = split_name(e.split);
  d["scene_seed"] = e.scene_seed;
  d["instruction"] = e.instruction;
  d["template"] = e.template_id;
  d["ambiguity"] = ambiguity_label(e.ambiguity);
  d["K"] = e.K;
  d["max_steps"] = e.max_steps;
  d["target"] = e.target;
  d["target_description"] = object_phrase_full(e.world, e.target);
  d["goal"] = e.world.receptacles[static_cast<size_t>(e.goal)].name;
  d["spec"] = spec;
  d["hypotheses"] = hyps;
  d["task"] = task_type_name(e.task);
  if (e.multi_object()) add_multi_object_fields(d, e);
  d["world"] = world_dict(e.world);
  return d;
}

// ---- actions from Python: a list of str/bytes, or a numpy array of fixed-width bytes ----------------

struct ActionViews {
  std::vector<std::string_view> views;
  py::object keep;  // keeps the source alive while the views are used without the GIL
};

ActionViews action_views(const py::handle& actions) {
  ActionViews out;
  out.keep = py::reinterpret_borrow<py::object>(actions);
  if (py::isinstance<py::array>(actions)) {
    py::array arr = py::reinterpret_borrow<py::array>(actions);
    if (arr.dtype().kind() != 'S' || arr.ndim() != 1)
      throw py::type_error("actions: a numpy array must be 1-D with a bytes dtype ('S<n>'); got dtype " +
                           py::str(arr.dtype()).cast<std::string>() + " and " + std::to_string(arr.ndim()) + " dims");
    py::array c = py::array::ensure(arr, py::array::c_style);
    out.keep = c;
    const size_t item = static_cast<size_t>(c.itemsize());
    const char* base = static_cast<const char*>(c.data());
    for (py::ssize_t i = 0; i < c.shape(0); ++i) {
      const char* p = base + item * static_cast<size_t>(i);
      size_t n = 0;
      while (n < item && p[n]) ++n;
      out.views.emplace_back(p, n);
    }
    return out;
  }
  if (!py::isinstance<py::sequence>(actions) || py::isinstance<py::str>(actions))
    throw py::type_error("actions: expected a list of strings (or a numpy 'S' array), got " + py::str(actions.get_type()).cast<std::string>());
  py::sequence seq = py::reinterpret_borrow<py::sequence>(actions);
  py::list items(seq);  // holds the items alive
  out.keep = items;
  out.views.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    PyObject* o = items[i].ptr();
    if (PyUnicode_Check(o)) {
      Py_ssize_t n = 0;
      const char* p = PyUnicode_AsUTF8AndSize(o, &n);
      if (!p) {  // e.g. a lone surrogate: name the action instead of raising a bare UnicodeEncodeError
        py::error_already_set e;
        throw py::value_error("actions[" + std::to_string(i) + "]: not valid text (" + std::string(e.what()) + ")");
      }
      out.views.emplace_back(p, static_cast<size_t>(n));
    } else if (PyBytes_Check(o)) {
      out.views.emplace_back(PyBytes_AS_STRING(o), static_cast<size_t>(PyBytes_GET_SIZE(o)));
    } else {
      throw py::type_error("actions[" + std::to_string(i) + "]: expected str or bytes, got " + py::str(items[i].get_type()).cast<std::string>());
    }
  }
  return out;
}

// One int (any integer type, numpy's too). Values beyond int are reported as out of range (IndexError,
// like the core's own range checks), not as a failed cast.
int int_arg(py::handle item, const std::string& where) {
  if (!py::isinstance<py::int_>(item) && !py::hasattr(item, "__index__"))
    throw py::type_error(where + ": expected an integer, got " + py::str(item.get_type()).cast<std::string>());
  py::int_ value = py::reinterpret_steal<py::int_>(PyNumber_Index(item.ptr()));
  if (!value) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw py::index_error(where + ": " + py::str(value).cast<std::string>() + " is out of range");
  return static_cast<int>(v);
}

// A list of ints (None: empty).
std::vector<int> int_list(const py::object& o, const char* what) {
  std::vector<int> out;
  if (o.is_none()) return out;
  if (!py::isinstance<py::iterable>(o) || py::isinstance<py::str>(o) || py::isinstance<py::bytes>(o))
    throw py::type_error(std::string(what) + ": expected a list of integers, got " + py::str(o.get_type()).cast<std::string>());
  for (auto item : o) out.push_back(int_arg(item, std::string(what) + "[" + std::to_string(out.size()) + "]"));
  return out;
}

std::string type_name(py::handle o) { return py::str(o.get_type().attr("__name__")).cast<std::string>(); }

// An optional 64-bit seed (None: none), with a one-line error for anything else.
std::optional<uint64_t> optional_seed(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  if (py::isinstance<py::bool_>(o) || (!py::isinstance<py::int_>(o) && !py::hasattr(o, "__index__")))
    throw py::type_error("seed: expected an integer in [0, 2**64 - 1], got " + type_name(o));
  py::int_ value = py::reinterpret_steal<py::int_>(PyNumber_Index(o.ptr()));
  if (!value) throw py::error_already_set();
  const unsigned long long v = PyLong_AsUnsignedLongLong(value.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    throw py::value_error("seed: " + py::str(value).cast<std::string>() + " is out of range [0, 2**64 - 1]");
  }
  return static_cast<uint64_t>(v);
}

// The reward config from a {term: weight, "budget_delta": int} dict; one-line errors naming the term.
RewardConfig reward_config(const py::dict& rewards) {
  RewardConfig r;
  for (auto kv : rewards) {
    if (!py::isinstance<py::str>(kv.first)) throw py::type_error("rewards: keys must be term names (str), got " + type_name(kv.first));
    const std::string k = kv.first.cast<std::string>();
    py::handle v = kv.second;
    if (k == "budget_delta") {
      if (py::isinstance<py::bool_>(v)) throw py::type_error("rewards: budget_delta: expected an integer, got bool");
      r.budget_delta = int_arg(v, "rewards: budget_delta");
      continue;
    }
    const int t = reward_term_index(k.c_str());
    if (t < 0) throw py::value_error("rewards: unknown term '" + k + "'");
    if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v) || py::hasattr(v, "__float__")))
      throw py::type_error("rewards: " + k + " must be a number, got " + type_name(v));
    const double w = PyFloat_AsDouble(v.ptr());
    if (PyErr_Occurred()) throw py::error_already_set();
    // a finite double past float's range has no float value (the cast would be undefined)
    if (std::isfinite(w) && std::fabs(w) > static_cast<double>(std::numeric_limits<float>::max()))
      throw py::value_error("rewards: " + k + " = " + py::repr(v).cast<std::string>() + " is out of float32 range");
    r.weight[t] = static_cast<float>(w);
  }
  std::string err = validate(r);  // NaN, inf, signs: the core's own check
  if (!err.empty()) throw py::value_error("rewards: " + err);
  return r;
}

// ---- batches -------------------------------------------------------------------------------------

using BatchPtr = std::shared_ptr<BatchBuffer>;

template <class T>
py::array view(const py::object& owner, const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  return py::array(py::dtype::of<T>(), shape, {}, v.data(), owner);
}

py::array bool_view(const py::object& owner, const std::vector<uint8_t>& v, int rows) {
  return py::array(py::dtype("?"), {static_cast<py::ssize_t>(rows)}, {}, v.data(), owner);
}

py::array text_view(const py::object& owner, const std::vector<char>& v, int rows, int width) {
  return py::array(py::dtype("S" + std::to_string(width)), {static_cast<py::ssize_t>(rows)}, {}, v.data(), owner);
}

void bind_batch(py::module_& m) {
  py::class_<BatchBuffer, BatchPtr> b(m, "Batch",
      "One batch of results. Every array is a zero-copy view that keeps the batch alive; the batch "
      "is recycled only after all of them are gone.");
  b.def_property_readonly("rows", [](const BatchBuffer& s) { return s.rows; });
#define A2A_INT_FIELD(name) \
  b.def_property_readonly(#name, [](py::object self) { auto& s = self.cast<BatchBuffer&>(); return view(self, s.name, {s.rows}); });
#define A2A_BOOL_FIELD(name) \
  b.def_property_readonly(#name, [](py::object self) { auto& s = self.cast<BatchBuffer&>(); return bool_view(self, s.name, s.rows); });
  A2A_INT_FIELD(env_id) A2A_INT_FIELD(episode) A2A_INT_FIELD(step) A2A_INT_FIELD(frame_count) A2A_INT_FIELD(invalid_reason)
  A2A_INT_FIELD(question_type) A2A_INT_FIELD(questions) A2A_INT_FIELD(useful_questions) A2A_INT_FIELD(invalid_actions)
  A2A_INT_FIELD(K) A2A_INT_FIELD(budget) A2A_INT_FIELD(reward) A2A_INT_FIELD(targets) A2A_INT_FIELD(delivered)
  A2A_BOOL_FIELD(first) A2A_BOOL_FIELD(terminated) A2A_BOOL_FIELD(truncated) A2A_BOOL_FIELD(success) A2A_BOOL_FIELD(failure)
  A2A_BOOL_FIELD(invalid) A2A_BOOL_FIELD(asked) A2A_BOOL_FIELD(useful)
#undef A2A_INT_FIELD
#undef A2A_BOOL_FIELD
  b.def_property_readonly("reward_terms", [](py::object self) {
    auto& s = self.cast<BatchBuffer&>();
    return view(self, s.reward_terms, {s.rows, kNumRewardTerms});
  });
  b.def_property_readonly("frames", [](py::object self) -> py::object {
    auto& s = self.cast<BatchBuffer&>();
    const BatchLayout& l = s.layout;
    if (l.frame_bytes() == 0) return py::none();
    if (s.frames_by_env_id) return py::none();  // frames went to the caller's buffer
    return py::array(py::dtype::of<uint8_t>(), {s.rows, l.history, l.height, l.width, 3}, {}, s.frames, self);
  }, "uint8 [rows, history, height, width, 3], oldest first; None without rendering or with a frame target");
  b.def_property_readonly("instruction", [](py::object self) { auto& s = self.cast<BatchBuffer&>(); return text_view(self, s.instruction, s.rows, kInstructionChars); });
  b.def_property_readonly("last_action", [](py::object self) { auto& s = self.cast<BatchBuffer&>(); return text_view(self, s.last_action, s.rows, kActionChars); });
  b.def_property_readonly("answer", [](py::object self) { auto& s = self.cast<BatchBuffer&>(); return text_view(self, s.answer, s.rows, kAnswerChars); });
}

// ---- managers --------------------------------------------------------------------------------------

BatchConfig batch_config(int num_envs, int batch_size, int num_threads, int history, const std::string& autoreset,
                         const std::string& sampling, uint64_t seed) {
  BatchConfig c;
  c.num_envs = num_envs;
  c.batch_size = batch_size;
  c.num_threads = num_threads;
  c.history = history;
  c.seed = seed;
  if (autoreset == "next_step") c.autoreset = AutoReset::NextStep;
  else if (autoreset == "disabled") c.autoreset = AutoReset::Disabled;
  else throw py::value_error("autoreset: expected 'next_step' or 'disabled', got '" + autoreset + "'");
  if (sampling == "strided") c.sampling = Sampling::Strided;
  else if (sampling == "random") c.sampling = Sampling::Random;
  else throw py::value_error("sampling: expected 'strided' or 'random', got '" + sampling + "'");
  return c;
}

// Methods shared by every manager type.
template <class Manager, class Cls>
void bind_manager_common(Cls& c) {
  c.def("reset", [](Manager& m, py::object env_ids, py::object episodes, py::object seed) {
     std::vector<int> ids = int_list(env_ids, "env_ids"), eps = int_list(episodes, "episodes");
     std::optional<uint64_t> s = optional_seed(seed);
     py::gil_scoped_release nogil;
     return m.reset(ids, eps, s);
   }, py::arg("env_ids") = py::none(), py::arg("episodes") = py::none(), py::arg("seed") = py::none(),
   "Resets the given envs (all by default) to the given episode indices (their next ones by default). "
   "seed: first restart these envs' episode sequences as if the manager had been built with it (strided: "
   "from the first; random: reseeded), so a seed fixes every later episode, autoresets included.")
   .def("step", [](Manager& m, py::handle actions) {
     ActionViews a = action_views(actions);
     py::gil_scoped_release nogil;
     return m.step(a.views);
   }, py::arg("actions"), "One text action per env (list of str, or numpy 'S' array); rows in env order.")
   .def("send", [](Manager& m, py::handle actions, py::object env_ids) {
     ActionViews a = action_views(actions);
     std::vector<int> ids = int_list(env_ids, "env_ids");
     py::gil_scoped_release nogil;
     m.send(a.views, ids);
   }, py::arg("actions"), py::arg("env_ids"))
   .def("recv", [](Manager& m) {
     py::gil_scoped_release nogil;
     return m.recv();
   }, "The next batch_size envs to finish (rows in completion order; see env_id).")
   .def_property_readonly("num_envs", [](const Manager& m) { return m.config().num_envs; })
   .def_property_readonly("batch_size", [](const Manager& m) { return m.config().batch_size; })
   .def_property_readonly("num_threads", [](const Manager& m) { return m.config().num_threads; })
   .def_property_readonly("history", [](const Manager& m) { return m.layout().history; })
   .def_property_readonly("frame_shape", [](const Manager& m) { return py::make_tuple(m.layout().height, m.layout().width, 3); })
   .def_property_readonly("buffers_allocated", &Manager::buffers_allocated);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "a2a environment core (C++): procedural Ask-to-Act worlds, batched and thread-pooled.";
  py::register_exception<EpisodeFormatError>(m, "EpisodeFormatError", PyExc_ValueError);

  // ---- vocabulary ----
  m.def("catalog", [] {
    py::dict d;
    py::list rooms, recs, cats, fins;
    for (const auto& r : room_types()) rooms.append(r.name);
    for (const auto& r : receptacle_types()) {
      py::dict x;
      x["name"] = r.name;
      x["plural"] = r.plural;
      x["articulated"] = r.articulated;
      x["prep"] = r.prep;
      recs.append(x);
    }
    for (const auto& c : object_categories()) {
      py::list colors;
      for (int k : c.colors) colors.append(color_names()[static_cast<size_t>(k)]);
      py::dict x;
      x["name"] = c.name;
      x["colors"] = colors;
      x["plural"] = category_plural(static_cast<int>(cats.size()));
      py::list usual, homes;
      for (int r : c.rooms) usual.append(room_types()[static_cast<size_t>(r)].name);
      for (int t : category_homes()[cats.size()]) homes.append(receptacle_types()[static_cast<size_t>(t)].name);
      x["rooms"] = usual;
      x["homes"] = homes;
      cats.append(x);
    }
    py::list fams;
    for (const auto& f : object_families()) {
      py::list members;
      for (int c : f.categories) members.append(object_categories()[static_cast<size_t>(c)].name);
      py::dict x;
      x["name"] = f.name;
      x["categories"] = members;
      fams.append(x);
    }
    d["families"] = fams;
    for (const auto& f : finishes()) fins.append(f.name);
    d["room_types"] = rooms;
    d["receptacle_types"] = recs;
    d["categories"] = cats;
    d["colors"] = color_names();
    d["sizes"] = size_names();
    d["patterns"] = pattern_names();
    d["finishes"] = fins;
    return d;
  }, "The world's vocabulary: room and receptacle types, object categories (with their usual rooms and the receptacle "
     "types they are kept on), colors, sizes, patterns, and the families of categories instructions name together.");
  m.def("task_types", [] {
    std::vector<std::string> v;
    for (int t = 0; t < kNumTaskTypes; ++t) v.push_back(task_type_name(static_cast<TaskType>(t)));
    return v;
  }, "Task types: fetch (single object), clean_clutter and preference_reasoning (multi-object).");
  m.def("reward_terms", [] {
    std::vector<std::string> v;
    for (int t = 0; t < kNumRewardTerms; ++t) v.push_back(reward_term_name(t));
    return v;
  }, "Names of the reward terms, in the order of a batch's reward_terms columns.");
  m.def("reward_table", [] {
    py::list v;
    for (int t = 0; t < kNumRewardTerms; ++t) {
      const RewardTermInfo& info = reward_term_info(t);
      py::dict d;
      d["name"] = info.name;
      d["default"] = info.default_weight;
      d["penalty"] = info.penalty;
      d["description"] = info.description;
      v.append(d);
    }
    return v;
  }, "The reward terms (the one definition): name, default weight, penalty (weight must be <= 0), description.");
  m.def("invalid_reasons", [] {
    std::vector<std::string> v;
    for (int r = 0; r < static_cast<int>(Invalid::Count); ++r) v.push_back(invalid_reason_text(static_cast<Invalid>(r)));
    return v;
  }, "Text of each invalid_reason code (index 0: valid).");
  m.def("question_types", [] {
    std::vector<std::string> v;
    for (int t = 0; t < kNumQTypes; ++t) v.push_back(qtype_name(static_cast<QType>(t)));
    return v;
  });
  m.def("ambiguity_types", [] {
    std::vector<std::string> v;
    for (int b = 0; b < kNumAmbiguityBits; ++b) v.push_back(ambiguity_bit_name(b));
    return v;
  });
  m.def("split_names", [] {
    std::vector<std::string> v;
    for (int s = 0; s < kNumSplits; ++s) v.push_back(split_name(static_cast<Split>(s)));
    return v;
  });
  m.def("normalize_text", [](const std::string& s) { return normalize_text(s); });
  m.attr("EPISODE_FORMAT") = kEpisodeFormat;  // what fetch episodes are written in
  m.attr("EPISODE_FORMATS") = py::make_tuple(kEpisodeFormat, kEpisodeFormatV2);
  m.attr("INSTRUCTION_CHARS") = kInstructionChars;
  m.attr("ACTION_CHARS") = kActionChars;
  m.attr("ANSWER_CHARS") = kAnswerChars;
  m.attr("MAX_ACTION_CHARS") = kMaxActionChars;

  // ---- episodes ----
  py::class_<EpisodeSet, std::shared_ptr<EpisodeSet>>(m, "EpisodeSet", "An immutable list of validated episodes.")
      .def_static("from_jsonl", [](py::bytes data) {
        std::string_view text = data;
        auto set = std::make_shared<EpisodeSet>();
        {
          py::gil_scoped_release nogil;
          for (auto& e : parse_episodes_jsonl(text)) set->episodes.push_back(std::make_shared<Episode>(std::move(e)));
        }
        return set;
      }, py::arg("data"), "Parses jsonl bytes; raises EpisodeFormatError('line N: field: message').")
      .def_static("generate", [](const std::string& split, int count, uint64_t seed, int train_scenes, int eval_scenes,
                                 int max_steps, std::function<void(int, int)> progress, py::dict scene,
                                 std::vector<std::string> combinations, double multi_share, std::vector<std::string> multi_tasks) {
        Split s;
        if (!parse_split(split, &s) || s == Split::Custom) throw py::value_error("unknown split '" + split + "'");
        if (count < 0) throw py::value_error("count must be >= 0");
        DatasetConfig cfg;
        cfg.seed = seed;
        cfg.counts[static_cast<int>(s)] = count;
        cfg.train_scenes = train_scenes;
        cfg.eval_scenes = eval_scenes;
        cfg.max_steps = max_steps;
        for (auto kv : scene) {
          std::string k = py::cast<std::string>(kv.first);
          SceneGenConfig& g = cfg.scene;
          if (k == "min_rooms") g.min_rooms = py::cast<int>(kv.second);
          else if (k == "max_rooms") g.max_rooms = py::cast<int>(kv.second);
          else if (k == "min_receptacles") g.min_receptacles = py::cast<int>(kv.second);
          else if (k == "max_receptacles") g.max_receptacles = py::cast<int>(kv.second);
          else if (k == "twin_prob") g.twin_prob = py::cast<double>(kv.second);
          else if (k == "clutter") g.clutter = py::cast<double>(kv.second);
          else if (k == "open_prob") g.open_prob = py::cast<double>(kv.second);
          else throw py::value_error("scene: unknown setting '" + k + "'");
        }
        for (const std::string& label : combinations) {
          uint32_t bits;
          if (!parse_ambiguity_label(label, &bits)) throw py::value_error("combinations: unknown ambiguity label '" + label + "'");
          cfg.combinations.push_back(bits);
        }
        cfg.multi_share = multi_share;
        if (!multi_tasks.empty()) cfg.multi_tasks.clear();
        for (const std::string& name : multi_tasks) {
          TaskType t;
          if (!parse_task_type(name, &t) || t == TaskType::Fetch)
            throw py::value_error("multi_tasks: unknown multi-object task '" + name + "' (expected clean_clutter or preference_reasoning)");
          cfg.multi_tasks.push_back(t);
        }
        std::string err = validate(cfg);
        if (!err.empty()) throw py::value_error(err);
        auto set = std::make_shared<EpisodeSet>();
        std::function<void(int, int)> cb;
        if (progress) cb = [&progress](int done, int total) {
          py::gil_scoped_acquire gil;
          progress(done, total);
        };
        py::gil_scoped_release nogil;
        for (auto& e : generate_split(cfg, s, cb)) set->episodes.push_back(std::make_shared<Episode>(std::move(e)));
        return set;
      }, py::arg("split"), py::arg("count"), py::arg("seed") = 0, py::arg("train_scenes") = 100, py::arg("eval_scenes") = 40,
         py::arg("max_steps") = 40, py::arg("progress") = nullptr, py::arg("scene") = py::dict(),
         py::arg("combinations") = std::vector<std::string>{}, py::arg("multi_share") = 0.0,
         py::arg("multi_tasks") = std::vector<std::string>{},
         "Generates `count` episodes of a split. scene: apartment settings (min_rooms, max_rooms, min_receptacles, "
         "max_receptacles, twin_prob, clutter, open_prob); combinations: fetch ambiguity labels to draw from instead of "
         "the split's own (e.g. ['none', 'attribute']); multi_share: the share of multi-object episodes (0: fetch only, "
         "the original benchmark), drawn from multi_tasks (default: clean_clutter and preference_reasoning).")
      .def_static("concat", [](const std::vector<std::shared_ptr<EpisodeSet>>& parts) {
        auto set = std::make_shared<EpisodeSet>();
        for (const auto& p : parts) set->episodes.insert(set->episodes.end(), p->episodes.begin(), p->episodes.end());
        return set;
      })
      .def("select", [](const EpisodeSet& s, const std::vector<int>& idx) {
        auto out = std::make_shared<EpisodeSet>();
        for (int i : idx) {
          if (i < 0 || i >= static_cast<int>(s.episodes.size())) throw py::index_error("episode index " + std::to_string(i) + " out of range");
          out->episodes.push_back(s.episodes[static_cast<size_t>(i)]);
        }
        return out;
      })
      .def("to_jsonl", [](const EpisodeSet& s) {
        std::string out;
        for (const auto& e : s.episodes) out += episode_to_json(*e) + "\n";
        return py::bytes(out);
      })
      .def("__len__", [](const EpisodeSet& s) { return s.episodes.size(); })
      .def("__getitem__", [](const EpisodeSet& s, int i) {
        if (i < 0) i += static_cast<int>(s.episodes.size());
        if (i < 0 || i >= static_cast<int>(s.episodes.size())) throw py::index_error("episode index out of range");
        return episode_dict(*s.episodes[static_cast<size_t>(i)]);
      })
      .def("recompute_k", [](const EpisodeSet& s) {
        // The exact K search of each episode again (as reading a file does), timed.
        std::vector<int> ks;
        std::vector<double> seconds;
        {
          py::gil_scoped_release nogil;
          for (const auto& e : s.episodes) {
            auto t0 = std::chrono::steady_clock::now();
            ks.push_back(e->multi_object() ? multi_min_questions(e->world, e->multi) : min_questions(e->world, e->hypotheses));
            seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          }
        }
        return py::make_tuple(ks, seconds);
      }, "(K, seconds) per episode: the exact K search run again, as reading a file does, and its wall time.")
      .def("summary", [](const EpisodeSet& s) {
        // Compact per-episode fields for filtering without building dicts.
        py::list ids, splits, amb, ks, steps, tasks;
        for (const auto& e : s.episodes) {
          ids.append(e->id);
          tasks.append(task_type_name(e->task));
          splits.append(split_name(e->split));
          amb.append(ambiguity_label(e->ambiguity));
          ks.append(e->K);
          steps.append(e->max_steps);
        }
        py::dict d;
        d["id"] = ids;
        d["split"] = splits;
        d["ambiguity"] = amb;
        d["K"] = ks;
        d["max_steps"] = steps;
        d["task"] = tasks;
        return d;
      });

  bind_batch(m);

  // ---- the Ask-to-Act manager ----
  py::class_<AskBatchedEnv> ask(m, "BatchedEnv", py::dynamic_attr(),
      "N Ask-to-Act environments on a thread pool (EnvPool-style).\n\n"
      "Thread safety: calls on one BatchedEnv are serialised. A call from a second thread waits until the "
      "first returns (the GIL is released while stepping), so calls interleave whole, batch by batch: a "
      "judge thread may read privileged_state while another thread steps. step/reset refuse (RuntimeError) "
      "while async actions are in flight, and recv refuses when too few envs are in flight to fill a batch.\n\n"
      "num_threads: threads stepping the envs, the caller's included; 0 = one per hardware thread. Any count is "
      "capped at num_envs (more would only idle); the num_threads property gives the count in use.");
  ask.def(py::init([](std::shared_ptr<EpisodeSet> episodes, int num_envs, int batch_size, int num_threads, int history,
                      int width, int height, bool set_of_marks, py::dict rewards, const std::string& autoreset,
                      const std::string& sampling, uint64_t seed) {
            if (!episodes || episodes->episodes.empty()) throw py::value_error("episodes: empty episode set");
            if ((width == 0) != (height == 0)) throw py::value_error("width and height: both 0 (no rendering) or both positive");
            if (width && (width < 16 || width > 1024 || height < 16 || height > 1024))
              throw py::value_error("width and height must be in [16, 1024] (or 0 to disable rendering)");
            RewardConfig r = reward_config(rewards);
            RenderConfig rc;
            rc.width = width;
            rc.height = height;
            rc.set_of_marks = set_of_marks;
            auto shared = std::make_shared<AskShared>(episodes->episodes, r, rc);
            return std::make_unique<AskBatchedEnv>(shared, batch_config(num_envs, batch_size, num_threads, history, autoreset, sampling, seed));
          }),
          py::arg("episodes"), py::arg("num_envs") = 1, py::arg("batch_size") = 0, py::arg("num_threads") = 0, py::arg("history") = 1,
          py::arg("width") = 128, py::arg("height") = 128, py::arg("set_of_marks") = false, py::arg("rewards") = py::dict(),
          py::arg("autoreset") = "next_step", py::arg("sampling") = "strided", py::arg("seed") = 0);
  bind_manager_common<AskBatchedEnv>(ask);
  ask.def("set_frame_target", [](py::object self, py::object target) {
       auto& m = self.cast<AskBatchedEnv&>();
       if (target.is_none()) {
         {
           py::gil_scoped_release nogil;  // the manager's call lock is never waited for with the GIL held
           m.set_frame_target(nullptr);
         }
         self.attr("_frame_target") = py::none();
         return;
       }
       py::array arr = py::array::ensure(target);
       const BatchLayout& l = m.layout();
       std::vector<py::ssize_t> want = {m.num_envs(), l.history, l.height, l.width, 3};
       bool ok = arr && arr.dtype().is(py::dtype::of<uint8_t>()) && (arr.flags() & py::array::c_style) && arr.writeable() &&
                 arr.ndim() == 5;
       for (int k = 0; ok && k < 5; ++k) ok = arr.shape(k) == want[static_cast<size_t>(k)];
       if (!ok || l.frame_bytes() == 0)
         throw py::value_error("set_frame_target: need a writeable C-contiguous uint8 array of shape (num_envs, history, height, width, 3) = (" +
                               std::to_string(want[0]) + ", " + std::to_string(want[1]) + ", " + std::to_string(want[2]) + ", " +
                               std::to_string(want[3]) + ", 3), with rendering on");
       {
         py::gil_scoped_release nogil;
         m.set_frame_target(static_cast<uint8_t*>(arr.mutable_data()));
       }
       self.attr("_frame_target") = arr;  // keeps the caller's buffer alive while frames go there
     }, py::arg("target"),
     "Frames are written into `target` (rows indexed by env id) instead of the batch, e.g. a pinned torch tensor's numpy view.")
   .def("set_cuda_target", [](AskBatchedEnv& m, uintptr_t device_ptr, size_t nbytes, uintptr_t stream) {
       py::gil_scoped_release nogil;
       m.set_cuda_target(reinterpret_cast<void*>(device_ptr), nbytes, stream);
     }, py::arg("device_ptr"), py::arg("nbytes"), py::arg("stream") = 0,
     "Uploads each batch's frames asynchronously to a CUDA buffer on `stream` (0 to stop with device_ptr=0).")
   .def_static("cuda_unavailable_reason", &CudaUploader::unavailable_reason)
   .def("episode_index", [](const AskBatchedEnv& m, int i) {
       if (i < 0 || i >= m.num_envs())
         throw py::index_error("episode_index: env id " + std::to_string(i) + " out of range [0, " + std::to_string(m.num_envs()) + ")");
       py::gil_scoped_release nogil;
       return m.episode_of(i);
     }, py::arg("env_id"), "Index (in the episode set) of the episode env `env_id` is playing; -1 before its first reset.")
   .def("privileged_state", [](AskBatchedEnv& m, int i) {
       PrivilegedCopy c;
       {
         py::gil_scoped_release nogil;
         c = m.with_env(i, [](AskEnvSlot& s) {
           const AskEnv& e = s.env();
           PrivilegedCopy out;
           out.world = e.world();
           out.world_graph = world_graph_text(e.world());
           out.instruction = e.episode().instruction;
           out.target = e.episode().target;
           out.target_description = object_phrase_full(e.world(), e.episode().target);
           out.goal = e.world().receptacles[static_cast<size_t>(e.episode().goal)].name;
           out.task = e.episode().task;
           if (e.episode().multi_object()) {
             // The LLM user and judge read the target and goal fields: here they carry the user's
             // preference (which objects go where, what stays) and every goal.
             const MultiTask& mt = e.episode().multi;
             out.goal.clear();
             std::vector<int> seen;
             for (const Target& t : mt.targets) {
               const std::string& name = e.world().receptacles[static_cast<size_t>(t.goal)].name;
               out.targets.emplace_back(t.object, name);
               if (std::find(seen.begin(), seen.end(), t.goal) != seen.end()) continue;
               seen.push_back(t.goal);
               out.goal += (out.goal.empty() ? "" : ", ") + name;
             }
             out.preference = preference_text(e.world(), mt);
             out.target_description = out.preference;
             for (size_t h = 0; h < mt.assignments.size(); ++h)
               if (e.consistent() >> h & 1) out.consistent_assignments.push_back(moved_pairs(mt, mt.assignments[h]));
           } else {
             for (size_t h = 0; h < e.episode().hypotheses.size(); ++h)
               if (e.consistent() >> h & 1) out.consistent.emplace_back(e.episode().hypotheses[h].object, e.episode().hypotheses[h].goal);
           }
           out.K = e.episode().K;
           out.questions = e.questions();
           out.steps = e.steps();
           return out;
         }, "privileged_state");
       }
       py::dict d;
       d["world"] = world_dict(c.world);
       d["world_graph"] = c.world_graph;
       d["instruction"] = c.instruction;
       d["target"] = c.target;
       d["target_description"] = c.target_description;
       d["goal"] = c.goal;
       d["task"] = task_type_name(c.task);
       py::list left;
       if (c.task != TaskType::Fetch) {
         d["targets"] = c.targets;
         d["preference"] = c.preference;
         for (const auto& pairs : c.consistent_assignments) left.append(py::tuple(py::cast(pairs)));
       } else {
         for (const auto& h : c.consistent) left.append(py::make_tuple(h.first, h.second));
       }
       d["consistent_hypotheses"] = left;
       d["K"] = c.K;
       d["questions"] = c.questions;
       d["steps"] = c.steps;
       return d;
     }, py::arg("env_id"), "Privileged state of one env for judges, users and privileged baselines (never for the policy).")
   .def("view_layout", [](AskBatchedEnv& m, int i) {
       ViewLayoutCopy c;
       {
         py::gil_scoped_release nogil;
         c = m.with_env(i, [](AskEnvSlot& s) {
           const World& w = s.env().world();
           ViewLayoutCopy out;
           out.room = room_name(w, w.robot_room);
           if (w.robot_at >= 0) out.at = w.receptacles[static_cast<size_t>(w.robot_at)].name;
           for (const ViewItem& v : s.view_layout()) {
             const bool receptacle = v.kind == ViewItem::Kind::Receptacle;
             out.items.push_back({v, receptacle ? w.receptacles[static_cast<size_t>(v.index)].name
                                                : describe_full(w.objects[static_cast<size_t>(v.index)]),
                                  receptacle && w.receptacles[static_cast<size_t>(v.index)].open});
           }
           return out;
         }, "view_layout");
       }
       py::list items;
       for (const auto& it : c.items) {
         const ViewItem& v = it.item;
         const bool receptacle = v.kind == ViewItem::Kind::Receptacle;
         py::dict d;
         d["kind"] = receptacle ? "receptacle" : v.kind == ViewItem::Kind::Object ? "object" : "held";
         d["index"] = v.index;
         d["name"] = it.name;
         if (receptacle) d["open"] = it.open;
         d["box"] = py::make_tuple(v.x0, v.y0, v.x1, v.y1);
         d["mark"] = v.mark ? py::cast(v.mark) : py::none();
         items.append(d);
       }
       py::dict d;
       d["room"] = c.room;
       d["at"] = c.at.empty() ? py::none() : py::cast(c.at);
       d["items"] = items;
       return d;
     }, py::arg("env_id"),
     "What the env's current view shows and where, for labels over its frame (it names only what the view shows): "
     "{'room', 'at' (receptacle or None), 'items': [{'kind': 'receptacle'|'object'|'held', 'index', 'name', "
     "'open' (receptacles), 'box': (x0, y0, x1, y1) as fractions of the frame, 'mark': Set-of-Marks number or None}]}.")
   .def("answer", [](AskBatchedEnv& m, int i, const std::string& q) {
       py::gil_scoped_release nogil;
       return m.with_env(i, [&q](AskEnvSlot& s) { return s.env().answer(q); }, "answer");
     }, py::arg("env_id"), py::arg("question"), "What the built-in user would answer now (no step taken).")
   .def("oracle_question", [](AskBatchedEnv& m, int i) {
       std::pair<std::string, int> r;
       {
         py::gil_scoped_release nogil;
         r = m.with_env(i, [](AskEnvSlot& s) {
           int remaining = 0;
           std::string q = s.env().oracle_question(&remaining);
           return std::make_pair(q, remaining);
         }, "oracle_question");
       }
       return py::make_tuple(r.first.empty() ? py::object(py::none()) : py::object(py::str(r.first)), r.second);
     }, py::arg("env_id"),
     "Privileged: (question, remaining) — a grammar question that keeps the worst-case number of further "
     "questions minimal for the hypotheses still consistent with the dialogue (None when one is left), and "
     "how many questions are still needed, this one included.")
   .def("understands", [](AskBatchedEnv& m, int i, const std::string& q) {
       py::gil_scoped_release nogil;
       return m.with_env(i, [&q](AskEnvSlot& s) { return episode_question(s.env().episode(), q).type != QType::Unknown; }, "understands");
     }, py::arg("env_id"), py::arg("question"), "Whether the question is in the built-in user's grammar.")
   .def("valid_actions", [](AskBatchedEnv& m, int i) {
       py::gil_scoped_release nogil;
       return m.with_env(i, [](AskEnvSlot& s) { return episode_actions(s.env().episode()); }, "valid_actions");
     }, py::arg("env_id"), "Canonical action vocabulary of the env's scene (no privileged information).")
   .def("observed_state", [](AskBatchedEnv& m, int i) {
       std::pair<std::string, int> c;
       {
         py::gil_scoped_release nogil;
         c = m.with_env(i, [](AskEnvSlot& s) {
           const AskEnv& e = s.env();
           return std::make_pair(observed_graph_text(e.world(), e.observed()), e.observed().objects_seen());
         }, "observed_state");
       }
       py::dict d;
       d["world_graph"] = c.first;
       d["objects_seen"] = c.second;
       return d;
     }, py::arg("env_id"),
     "What the robot has observed so far in its episode (not privileged): the observed world graph as text "
     "and how many objects it has seen.")
   .def("marks", [](AskBatchedEnv& m, int i) {
       py::gil_scoped_release nogil;
       return m.with_env(i, [](AskEnvSlot& s) {
         std::vector<std::string> out;
         for (int o : visible_objects(s.env().world())) out.push_back(describe_full(s.env().world().objects[static_cast<size_t>(o)]));
         return out;
       }, "marks");
     }, py::arg("env_id"),
     "The Set-of-Marks table of the current view (not privileged): the description of the object that mark k "
     "labels is item k - 1 (left to right).");

  // ---- the trivial env, for overhead benchmarks ----
  py::class_<NullBatchedEnv> null(m, "NullBatchedEnv", "A trivial env on the same batched manager (overhead benchmarks).");
  null.def(py::init([](int num_envs, int batch_size, int num_threads, int episode_length) {
             auto shared = std::make_shared<NullShared>();
             if (episode_length < 1) throw py::value_error("episode_length must be >= 1");
             shared->episode_length = episode_length;
             return std::make_unique<NullBatchedEnv>(shared, batch_config(num_envs, batch_size, num_threads, 1, "next_step", "strided", 0));
           }),
           py::arg("num_envs") = 1, py::arg("batch_size") = 0, py::arg("num_threads") = 1, py::arg("episode_length") = 200);
  bind_manager_common<NullBatchedEnv>(null);
}

#include "episode_json.h"

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "catalog.h"
#include "instruction.h"
#include "json.h"

namespace a2a {
namespace {

// ---- writing ----------------------------------------------------------------------------------

struct Writer {
  std::string s;
  bool first = true;
  void key(const char* k) {
    if (!first) s += ',';
    first = false;
    append_json_string(s, k);
    s += ':';
  }
  void str(const char* k, const std::string& v) { key(k); append_json_string(s, v); }
  void num(const char* k, long long v) { key(k); s += std::to_string(v); }
  void unum(const char* k, unsigned long long v) { key(k); s += std::to_string(v); }
  void boolean(const char* k, bool v) { key(k); s += v ? "true" : "false"; }
  void name_or_null(const char* k, int idx, const std::vector<std::string>& names) {
    key(k);
    if (idx < 0) s += "null";
    else append_json_string(s, names[static_cast<size_t>(idx)]);
  }
  void open(const char* k, char bracket) { key(k); s += bracket; first = true; }
  void close(char bracket) { s += bracket; first = false; }
};

template <class T>
std::vector<std::string> names_of(const std::vector<T>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.name);
  return out;
}

// ---- reading ----------------------------------------------------------------------------------

struct Reader {
  std::string error;

  bool fail(const std::string& field, const std::string& msg) {
    if (error.empty()) error = field + ": " + msg;
    return false;
  }
  const Json* need(const Json& obj, const char* key, const std::string& path) {
    const Json* v = obj.get(key);
    if (!v) fail(path + key, "missing");
    return v;
  }
  bool integer(const Json& obj, const char* key, const std::string& path, long long lo, long long hi, long long* out) {
    const Json* v = need(obj, key, path);
    if (!v) return false;
    if (v->type != Json::Type::Number) return fail(path + key, "expected an integer");
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(v->text.c_str(), &end, 10);
    if (errno || *end) return fail(path + key, "expected an integer, got " + v->text);
    if (x < lo || x > hi) return fail(path + key, std::to_string(x) + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = x;
    return true;
  }
  bool int_field(const Json& obj, const char* key, const std::string& path, int lo, int hi, int* out) {
    long long x;
    if (!integer(obj, key, path, lo, hi, &x)) return false;
    *out = static_cast<int>(x);
    return true;
  }
  bool u64(const Json& obj, const char* key, const std::string& path, uint64_t* out) {
    const Json* v = need(obj, key, path);
    if (!v) return false;
    if (v->type != Json::Type::Number || v->text.empty() || v->text[0] == '-') return fail(path + key, "expected a non-negative integer");
    errno = 0;
    char* end = nullptr;
    unsigned long long x = std::strtoull(v->text.c_str(), &end, 10);
    if (errno || *end) return fail(path + key, "expected a non-negative integer, got " + v->text);
    *out = x;
    return true;
  }
  bool string(const Json& obj, const char* key, const std::string& path, std::string* out) {
    const Json* v = need(obj, key, path);
    if (!v) return false;
    if (v->type != Json::Type::String) return fail(path + key, "expected a string");
    *out = v->text;
    return true;
  }
  bool boolean(const Json& obj, const char* key, const std::string& path, bool* out) {
    const Json* v = need(obj, key, path);
    if (!v) return false;
    if (v->type != Json::Type::Bool) return fail(path + key, "expected true or false");
    *out = v->boolean;
    return true;
  }
  // A name from a vocabulary; null allowed when `optional` (gives -1).
  bool name(const Json& obj, const char* key, const std::string& path, int (*find)(const std::string&), const char* what,
            bool optional, int* out) {
    const Json* v = need(obj, key, path);
    if (!v) return false;
    if (v->is_null() && optional) {
      *out = -1;
      return true;
    }
    if (v->type != Json::Type::String) return fail(path + key, optional ? "expected a string or null" : "expected a string");
    int i = find(v->text);
    if (i < 0) return fail(path + key, std::string("unknown ") + what + " '" + v->text + "'");
    *out = i;
    return true;
  }
  bool array(const Json& obj, const char* key, const std::string& path, const Json** out) {
    const Json* v = need(obj, key, path);
    if (!v) return false;
    if (v->type != Json::Type::Array) return fail(path + key, "expected an array");
    *out = v;
    return true;
  }
  bool object(const Json& v, const std::string& path) {
    if (v.type != Json::Type::Object) return fail(path, "expected an object");
    return true;
  }
};

// Messages quote what the file holds: control characters (from escapes such as \t) are shown
// escaped, so that a message stays one printable line.
std::string one_line(const std::string& message) {
  std::string out;
  for (char c : message) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) {
      out += c;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof(buf), "\\x%02x", u);
    out += buf;
  }
  return out;
}

// Receptacle index by name within a world being read; -1 if absent.
int receptacle_index(const World& w, const std::string& name) {
  for (size_t i = 0; i < w.receptacles.size(); ++i)
    if (w.receptacles[i].name == name) return static_cast<int>(i);
  return -1;
}

// Format /2, multi-object tasks: defined in their own section at the end of the file.
std::string multi_episode_to_json(const Episode& e);
std::string read_multi_object_episode(Reader& rd, const Json& doc, Episode& e);

}  // namespace

namespace {

// The fields every format version starts with, "format" through "max_steps".
void write_header(Writer& j, const Episode& e, const char* format, bool with_task) {
  j.str("format", format);
  if (with_task) j.str("task", task_type_name(e.task));
  j.str("id", e.id);
  j.str("split", split_name(e.split));
  j.unum("scene_seed", e.scene_seed);
  j.str("instruction", e.instruction);
  j.num("template", e.template_id);
  j.str("ambiguity", ambiguity_label(e.ambiguity));
  j.num("K", e.K);
  j.num("max_steps", e.max_steps);
}

std::vector<std::string> receptacle_names(const World& w) {
  std::vector<std::string> out;
  for (const Receptacle& r : w.receptacles) out.push_back(r.name);
  return out;
}

std::vector<std::string> room_names(const World& w) {
  std::vector<std::string> out;
  for (size_t i = 0; i < w.rooms.size(); ++i) out.push_back(room_name(w, static_cast<int>(i)));
  return out;
}

void write_world(Writer& j, const World& w) {
  const std::vector<std::string> room_list = room_names(w);
  j.open("world", '{');
  j.open("rooms", '[');
  for (size_t i = 0; i < w.rooms.size(); ++i) {
    if (i) j.s += ',';
    append_json_string(j.s, room_list[i]);
  }
  j.close(']');
  j.num("start_room", w.robot_room);
  j.open("receptacles", '[');
  for (size_t i = 0; i < w.receptacles.size(); ++i) {
    const Receptacle& r = w.receptacles[i];
    if (i) j.s += ',';
    Writer o;
    o.s += '{';
    o.str("name", r.name);
    o.str("type", receptacle_types()[r.type].name);
    o.num("room", r.room);
    o.str("finish", finishes()[r.finish].name);
    o.num("slots", r.num_slots);
    o.boolean("open", r.open);
    o.s += '}';
    j.s += o.s;
  }
  j.close(']');
  j.open("objects", '[');
  for (size_t i = 0; i < w.objects.size(); ++i) {
    const Object& ob = w.objects[i];
    if (i) j.s += ',';
    Writer o;
    o.s += '{';
    o.str("category", object_categories()[ob.category].name);
    o.str("color", color_names()[ob.color]);
    o.str("size", size_names()[ob.size]);
    o.str("pattern", pattern_names()[ob.pattern]);
    o.num("receptacle", ob.receptacle);
    o.num("slot", ob.slot);
    o.s += '}';
    j.s += o.s;
  }
  j.close(']');
  j.close('}');
}

}  // namespace

std::string episode_to_json(const Episode& e) {
  if (e.multi_object()) return multi_episode_to_json(e);
  const World& w = e.world;
  Writer j;
  j.s += '{';
  write_header(j, e, kEpisodeFormat, false);
  j.num("target", e.target);
  j.str("goal", w.receptacles[static_cast<size_t>(e.goal)].name);

  const std::vector<std::string> rec_names = receptacle_names(w), room_list = room_names(w);
  j.open("spec", '{');
  j.name_or_null("category", e.spec.category, names_of(object_categories()));
  j.name_or_null("color", e.spec.color, color_names());
  j.name_or_null("size", e.spec.size, size_names());
  j.name_or_null("pattern", e.spec.pattern, pattern_names());
  j.name_or_null("receptacle", e.spec.receptacle, rec_names);
  j.name_or_null("room", e.spec.room, room_list);
  j.name_or_null("goal_receptacle", e.spec.goal_receptacle, rec_names);
  j.name_or_null("goal_type", e.spec.goal_type, names_of(receptacle_types()));
  j.close('}');

  write_world(j, w);
  j.s += '}';
  return j.s;
}

namespace {

// The fields every format version starts with, "id" through "max_steps" ("goal" too for fetch
// tasks in /1, read in the same order as ever so that errors come in the same order).
bool read_header(Reader& rd, const Json& doc, Episode& e, std::string* split, std::string* amb, std::string* goal_name) {
  long long tmpl;
  const int max_template = (e.multi_object() ? kNumMultiTemplates : kNumTemplates) - 1;
  bool ok = rd.string(doc, "id", "", &e.id) && rd.string(doc, "split", "", split) &&
            rd.u64(doc, "scene_seed", "", &e.scene_seed) && rd.string(doc, "instruction", "", &e.instruction) &&
            rd.integer(doc, "template", "", 0, max_template, &tmpl) && rd.string(doc, "ambiguity", "", amb) &&
            rd.int_field(doc, "K", "", 0, 64, &e.K) && rd.int_field(doc, "max_steps", "", 1, 100000, &e.max_steps) &&
            (!goal_name || rd.string(doc, "goal", "", goal_name));
  if (ok) e.template_id = static_cast<int>(tmpl);
  return ok;
}

std::string check_header(Episode& e, const std::string& split, const std::string& amb) {
  if (!parse_split(split, &e.split)) return "split: unknown split '" + split + "'";
  if (!parse_ambiguity_label(amb, &e.ambiguity)) return "ambiguity: unknown label '" + amb + "'";
  if (amb != "none" && std::count(amb.begin(), amb.end(), '+') + 1 != static_cast<long>(std::bitset<32>(e.ambiguity).count()))
    return "ambiguity: '" + amb + "' names a type twice";
  if (e.instruction.empty()) return "instruction: empty";
  return "";
}

// The "world" object: rooms, start room, receptacles, objects.
std::string read_world(Reader& rd, const Json& doc, World& w) {
  const Json* wj = rd.need(doc, "world", "");
  if (!wj || !rd.object(*wj, "world")) return rd.error;
  const Json *rooms, *recs, *objs;
  if (!rd.array(*wj, "rooms", "world.", &rooms)) return rd.error;
  for (size_t i = 0; i < rooms->items.size(); ++i) {
    const Json& r = rooms->items[i];
    std::string path = "world.rooms[" + std::to_string(i) + "]";
    if (r.type != Json::Type::String) return path + ": expected a room name";
    int t = find_room_type(r.text);
    if (t < 0) return path + ": unknown room type '" + r.text + "'";
    w.rooms.push_back(Room{t});
  }
  const int n_rooms = static_cast<int>(w.rooms.size());
  if (n_rooms == 0) return "world.rooms: empty (a world needs at least one room)";
  if (!rd.int_field(*wj, "start_room", "world.", 0, n_rooms - 1, &w.robot_room)) return rd.error;
  if (!rd.array(*wj, "receptacles", "world.", &recs)) return rd.error;
  for (size_t i = 0; i < recs->items.size(); ++i) {
    const Json& r = recs->items[i];
    std::string path = "world.receptacles[" + std::to_string(i) + "].";
    if (!rd.object(r, path.substr(0, path.size() - 1))) return rd.error;
    Receptacle rec;
    if (!(rd.string(r, "name", path, &rec.name) &&
          rd.name(r, "type", path, find_receptacle_type, "receptacle type", false, &rec.type) &&
          rd.int_field(r, "room", path, 0, std::max(0, n_rooms - 1), &rec.room) &&
          rd.name(r, "finish", path, find_finish, "finish", false, &rec.finish) &&
          rd.int_field(r, "slots", path, 1, kMaxSlots, &rec.num_slots) && rd.boolean(r, "open", path, &rec.open)))
      return rd.error;
    rec.slot_object.fill(-1);
    w.receptacles.push_back(rec);
  }
  const int n_recs = static_cast<int>(w.receptacles.size());
  if (!rd.array(*wj, "objects", "world.", &objs)) return rd.error;
  for (size_t i = 0; i < objs->items.size(); ++i) {
    const Json& o = objs->items[i];
    std::string path = "world.objects[" + std::to_string(i) + "].";
    if (!rd.object(o, path.substr(0, path.size() - 1))) return rd.error;
    Object ob;
    if (!(rd.name(o, "category", path, find_category, "category", false, &ob.category) &&
          rd.name(o, "color", path, find_color, "color", false, &ob.color) &&
          rd.name(o, "size", path, find_size, "size", false, &ob.size) &&
          rd.name(o, "pattern", path, find_pattern, "pattern", false, &ob.pattern) &&
          rd.int_field(o, "receptacle", path, 0, std::max(0, n_recs - 1), &ob.receptacle) &&
          rd.int_field(o, "slot", path, 0, kMaxSlots - 1, &ob.slot)))
      return rd.error;
    w.objects.push_back(ob);
  }
  return "";
}

// A fetch task's "target", "goal" (read with the header) and "spec".
std::string read_fetch_task(Reader& rd, const Json& doc, const std::string& goal_name, Episode& e) {
  World& w = e.world;
  const int n_rooms = static_cast<int>(w.rooms.size());
  if (!rd.int_field(doc, "target", "", 0, std::max(0, static_cast<int>(w.objects.size()) - 1), &e.target)) return rd.error;
  e.goal = receptacle_index(w, goal_name);
  if (e.goal < 0) return "goal: no receptacle named '" + goal_name + "'";

  // spec: names resolved against this world
  const Json* sj = rd.need(doc, "spec", "");
  if (!sj || !rd.object(*sj, "spec")) return rd.error;
  TaskSpec& s = e.spec;
  if (!(rd.name(*sj, "category", "spec.", find_category, "category", false, &s.category) &&
        rd.name(*sj, "color", "spec.", find_color, "color", true, &s.color) &&
        rd.name(*sj, "size", "spec.", find_size, "size", true, &s.size) &&
        rd.name(*sj, "pattern", "spec.", find_pattern, "pattern", true, &s.pattern) &&
        rd.name(*sj, "goal_type", "spec.", find_receptacle_type, "receptacle type", true, &s.goal_type)))
    return rd.error;
  for (const char* key : {"receptacle", "goal_receptacle", "room"}) {
    const Json* v = rd.need(*sj, key, "spec.");
    if (!v) return rd.error;
    int idx = -1;
    if (!v->is_null()) {
      if (v->type != Json::Type::String) return std::string("spec.") + key + ": expected a string or null";
      if (std::string(key) == "room") {
        for (int r = 0; r < n_rooms; ++r)
          if (room_name(w, r) == v->text) idx = r;
      } else {
        idx = receptacle_index(w, v->text);
      }
      if (idx < 0) return std::string("spec.") + key + ": '" + v->text + "' is not in this world";
    }
    if (std::string(key) == "receptacle") s.receptacle = idx;
    else if (std::string(key) == "goal_receptacle") s.goal_receptacle = idx;
    else s.room = idx;
  }
  return "";
}

}  // namespace

std::string episode_from_json(std::string_view line, Episode* out) {
  Json doc;
  std::string perr;
  if (!parse_json(line, &doc, &perr)) return perr;  // "(json): column N: ..." or "field: column N: ..."
  Reader rd;
  if (!rd.object(doc, "(episode)")) return rd.error;
  std::string format;
  if (!rd.string(doc, "format", "", &format)) return rd.error;
  if (format != kEpisodeFormat && format != kEpisodeFormatV2)
    return "format: '" + format + "' is not supported (expected '" + kEpisodeFormat + "' or '" + kEpisodeFormatV2 + "')";
  Episode e;
  if (format == kEpisodeFormatV2) {
    std::string task;
    if (!rd.string(doc, "task", "", &task)) return rd.error;
    if (!parse_task_type(task, &e.task))
      return "task: unknown task '" + task + "' (expected fetch, clean_clutter or preference_reasoning)";
  }
  if (e.multi_object()) {
    std::string err = read_multi_object_episode(rd, doc, e);
    if (!err.empty()) return err;
  } else {
    std::string split, amb, goal_name;
    if (!read_header(rd, doc, e, &split, &amb, &goal_name)) return rd.error;
    std::string err = check_header(e, split, amb);
    if (err.empty()) err = read_world(rd, doc, e.world);
    if (err.empty()) err = read_fetch_task(rd, doc, goal_name, e);
    if (!err.empty()) return err;
  }
  std::string err = finalize_episode(e, true);
  if (!err.empty()) return err;
  *out = std::move(e);
  return "";
}

std::vector<Episode> parse_episodes_jsonl(std::string_view text) {
  std::vector<Episode> out;
  std::set<std::string> ids;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    bool blank = true;
    for (char c : line)
      if (c != ' ' && c != '\t' && c != '\r') blank = false;
    if (blank) continue;
    Episode e;
    std::string err = episode_from_json(line, &e);
    if (!err.empty()) throw EpisodeFormatError(line_no, one_line(err));
    if (!ids.insert(e.id).second) throw EpisodeFormatError(line_no, one_line("id: '" + e.id + "' appears twice"));
    out.push_back(std::move(e));
  }
  return out;
}

// ---- format /2: multi-object tasks ---------------------------------------------------------------

namespace {

std::vector<std::string> family_names() {
  std::vector<std::string> out;
  for (const ObjectFamily& f : object_families()) out.push_back(f.name);
  return out;
}

std::string multi_episode_to_json(const Episode& e) {
  const World& w = e.world;
  const MultiTask& m = e.multi;
  const std::vector<std::string> rec_names = receptacle_names(w);
  Writer j;
  j.s += '{';
  write_header(j, e, kEpisodeFormatV2, true);
  j.open("spec", '{');
  j.name_or_null("area_room", m.spec.area_room, room_names(w));
  j.name_or_null("area_receptacle", m.spec.area_receptacle, rec_names);
  j.name_or_null("family", m.spec.family, family_names());
  j.name_or_null("category", m.spec.category, names_of(object_categories()));
  j.name_or_null("color", m.spec.color, color_names());
  j.name_or_null("size", m.spec.size, size_names());
  j.boolean("all", m.spec.all);
  j.name_or_null("goal_receptacle", m.spec.goal_receptacle, rec_names);
  j.name_or_null("goal_type", m.spec.goal_type, names_of(receptacle_types()));
  j.close('}');
  j.open("targets", '[');
  for (size_t i = 0; i < m.targets.size(); ++i) {
    if (i) j.s += ',';
    Writer t;
    t.s += '{';
    t.num("object", m.targets[i].object);
    t.str("goal", rec_names[static_cast<size_t>(m.targets[i].goal)]);
    t.s += '}';
    j.s += t.s;
  }
  j.close(']');
  j.open("preferences", '{');
  j.open("options", '[');
  for (size_t i = 0; i < m.prefs.options.size(); ++i) {
    const MoveOption& o = m.prefs.options[i];
    if (i) j.s += ',';
    Writer t;
    t.s += '{';
    t.str("rule", o.rule);
    t.open("objects", '[');
    for (size_t k = 0; k < o.objects.size(); ++k) t.s += (k ? "," : "") + std::to_string(o.objects[k]);
    t.close(']');
    t.s += '}';
    j.s += t.s;
  }
  j.close(']');
  j.open("places", '[');
  for (size_t i = 0; i < m.prefs.places.size(); ++i) {
    const ObjectPlaces& p = m.prefs.places[i];
    if (i) j.s += ',';
    Writer t;
    t.s += '{';
    t.num("object", p.object);
    t.open("goals", '[');
    for (size_t k = 0; k < p.goals.size(); ++k) {
      if (k) t.s += ',';
      append_json_string(t.s, rec_names[static_cast<size_t>(p.goals[k])]);
    }
    t.close(']');
    t.s += '}';
    j.s += t.s;
  }
  j.close(']');
  j.close('}');
  write_world(j, w);
  j.s += '}';
  return j.s;
}

// A receptacle or room name (or null) resolved against the world being read; -1 for null.
bool world_name(Reader& rd, const Json& obj, const char* key, const std::string& path, const World& w, bool room, int* out) {
  const Json* v = rd.need(obj, key, path);
  if (!v) return false;
  *out = -1;
  if (v->is_null()) return true;
  if (v->type != Json::Type::String) return rd.fail(path + key, "expected a string or null");
  if (room) {
    for (int r = 0; r < static_cast<int>(w.rooms.size()); ++r)
      if (room_name(w, r) == v->text) *out = r;
  } else {
    *out = receptacle_index(w, v->text);
  }
  if (*out < 0) return rd.fail(path + key, "'" + v->text + "' is not in this world");
  return true;
}

// An array of object indices into the world being read.
bool object_list(Reader& rd, const Json& obj, const char* key, const std::string& path, const World& w, std::vector<int>* out) {
  const Json* arr;
  if (!rd.array(obj, key, path, &arr)) return false;
  const long long n_obj = static_cast<long long>(w.objects.size());
  for (size_t i = 0; i < arr->items.size(); ++i) {
    const Json& v = arr->items[i];
    const std::string where = path + key + "[" + std::to_string(i) + "]";
    long long x = -1;
    if (v.type == Json::Type::Number) {
      char* end = nullptr;
      errno = 0;
      x = std::strtoll(v.text.c_str(), &end, 10);
      if (errno || *end) x = -1;
    }
    if (x < 0 || x >= n_obj) return rd.fail(where, "expected an object index in [0, " + std::to_string(n_obj) + ")");
    out->push_back(static_cast<int>(x));
  }
  return true;
}

std::string read_multi_object_episode(Reader& rd, const Json& doc, Episode& e) {
  std::string split, amb;
  if (!read_header(rd, doc, e, &split, &amb, nullptr)) return rd.error;
  std::string err = check_header(e, split, amb);
  if (err.empty()) err = read_world(rd, doc, e.world);
  if (!err.empty()) return err;
  const World& w = e.world;
  MultiTask& m = e.multi;

  const Json* sj = rd.need(doc, "spec", "");
  if (!sj || !rd.object(*sj, "spec")) return rd.error;
  MultiSpec& s = m.spec;
  if (!(world_name(rd, *sj, "area_room", "spec.", w, true, &s.area_room) &&
        world_name(rd, *sj, "area_receptacle", "spec.", w, false, &s.area_receptacle) &&
        rd.name(*sj, "family", "spec.", find_family, "family", true, &s.family) &&
        rd.name(*sj, "category", "spec.", find_category, "category", true, &s.category) &&
        rd.name(*sj, "color", "spec.", find_color, "color", true, &s.color) &&
        rd.name(*sj, "size", "spec.", find_size, "size", true, &s.size) && rd.boolean(*sj, "all", "spec.", &s.all) &&
        world_name(rd, *sj, "goal_receptacle", "spec.", w, false, &s.goal_receptacle) &&
        rd.name(*sj, "goal_type", "spec.", find_receptacle_type, "receptacle type", true, &s.goal_type)))
    return rd.error;

  const Json* tj;
  if (!rd.array(doc, "targets", "", &tj)) return rd.error;
  const int n_obj = static_cast<int>(w.objects.size());
  for (size_t i = 0; i < tj->items.size(); ++i) {
    const std::string path = "targets[" + std::to_string(i) + "].";
    const Json& t = tj->items[i];
    if (!rd.object(t, path.substr(0, path.size() - 1))) return rd.error;
    Target target;
    if (!(rd.int_field(t, "object", path, 0, std::max(0, n_obj - 1), &target.object) &&
          world_name(rd, t, "goal", path, w, false, &target.goal)))
      return rd.error;
    if (target.goal < 0) return path + "goal: expected a receptacle name";
    m.targets.push_back(target);
  }

  const Json* pj = rd.need(doc, "preferences", "");
  if (!pj || !rd.object(*pj, "preferences")) return rd.error;
  const Json *oj, *plj;
  if (!rd.array(*pj, "options", "preferences.", &oj)) return rd.error;
  for (size_t i = 0; i < oj->items.size(); ++i) {
    const std::string path = "preferences.options[" + std::to_string(i) + "].";
    const Json& o = oj->items[i];
    if (!rd.object(o, path.substr(0, path.size() - 1))) return rd.error;
    MoveOption opt;
    if (!(rd.string(o, "rule", path, &opt.rule) && object_list(rd, o, "objects", path, w, &opt.objects))) return rd.error;
    m.prefs.options.push_back(std::move(opt));
  }
  if (!rd.array(*pj, "places", "preferences.", &plj)) return rd.error;
  for (size_t i = 0; i < plj->items.size(); ++i) {
    const std::string path = "preferences.places[" + std::to_string(i) + "].";
    const Json& p = plj->items[i];
    if (!rd.object(p, path.substr(0, path.size() - 1))) return rd.error;
    ObjectPlaces places;
    const Json* gj;
    if (!(rd.int_field(p, "object", path, 0, std::max(0, n_obj - 1), &places.object) && rd.array(p, "goals", path, &gj)))
      return rd.error;
    for (size_t k = 0; k < gj->items.size(); ++k) {
      const Json& g = gj->items[k];
      const std::string where = path + "goals[" + std::to_string(k) + "]";
      if (g.type != Json::Type::String) return where + ": expected a receptacle name";
      int r = receptacle_index(w, g.text);
      if (r < 0) return where + ": no receptacle named '" + g.text + "'";
      places.goals.push_back(r);
    }
    m.prefs.places.push_back(std::move(places));
  }
  return "";
}

}  // namespace

}  // namespace a2a

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

}  // namespace

std::string episode_to_json(const Episode& e) {
  const World& w = e.world;
  Writer j;
  j.s += '{';
  j.str("format", kEpisodeFormat);
  j.str("id", e.id);
  j.str("split", split_name(e.split));
  j.unum("scene_seed", e.scene_seed);
  j.str("instruction", e.instruction);
  j.num("template", e.template_id);
  j.str("ambiguity", ambiguity_label(e.ambiguity));
  j.num("K", e.K);
  j.num("max_steps", e.max_steps);
  j.num("target", e.target);
  j.str("goal", w.receptacles[static_cast<size_t>(e.goal)].name);

  std::vector<std::string> rec_names;
  for (const Receptacle& r : w.receptacles) rec_names.push_back(r.name);
  std::vector<std::string> room_list;
  for (size_t i = 0; i < w.rooms.size(); ++i) room_list.push_back(room_name(w, static_cast<int>(i)));
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
  j.s += '}';
  return j.s;
}

std::string episode_from_json(std::string_view line, Episode* out) {
  Json doc;
  std::string perr;
  if (!parse_json(line, &doc, &perr)) return perr;  // "(json): column N: ..." or "field: column N: ..."
  Reader rd;
  if (!rd.object(doc, "(episode)")) return rd.error;
  std::string format;
  if (!rd.string(doc, "format", "", &format)) return rd.error;
  if (format != kEpisodeFormat) return "format: '" + format + "' is not supported (expected '" + kEpisodeFormat + "')";

  Episode e;
  std::string split, amb, goal_name;
  long long tmpl;
  bool ok = rd.string(doc, "id", "", &e.id) && rd.string(doc, "split", "", &split) &&
            rd.u64(doc, "scene_seed", "", &e.scene_seed) && rd.string(doc, "instruction", "", &e.instruction) &&
            rd.integer(doc, "template", "", 0, kNumTemplates - 1, &tmpl) && rd.string(doc, "ambiguity", "", &amb) &&
            rd.int_field(doc, "K", "", 0, 64, &e.K) && rd.int_field(doc, "max_steps", "", 1, 100000, &e.max_steps) &&
            rd.string(doc, "goal", "", &goal_name);
  if (!ok) return rd.error;
  e.template_id = static_cast<int>(tmpl);
  if (!parse_split(split, &e.split)) return "split: unknown split '" + split + "'";
  if (!parse_ambiguity_label(amb, &e.ambiguity)) return "ambiguity: unknown label '" + amb + "'";
  if (amb != "none" && std::count(amb.begin(), amb.end(), '+') + 1 != static_cast<long>(std::bitset<32>(e.ambiguity).count()))
    return "ambiguity: '" + amb + "' names a type twice";
  if (e.instruction.empty()) return "instruction: empty";

  // world
  const Json* wj = rd.need(doc, "world", "");
  if (!wj || !rd.object(*wj, "world")) return rd.error;
  World& w = e.world;
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
  if (!rd.int_field(*wj, "start_room", "world.", 0, std::max(0, n_rooms - 1), &w.robot_room)) return rd.error;
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

}  // namespace a2a

#include "grammar.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "catalog.h"

namespace a2a {
namespace {

using Tokens = std::vector<std::string_view>;

Tokens split(std::string_view s) {
  Tokens t;
  t.reserve(16);  // longer than any question of the grammar: one allocation
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) t.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return t;
}

// Tokens [from, to) as one string, without copying: tokens of single-spaced (normalized) text are
// contiguous in it.
std::string_view join(const Tokens& t, size_t from, size_t to) {
  if (from >= to) return {};
  return std::string_view(t[from].data(), static_cast<size_t>(t[to - 1].data() + t[to - 1].size() - t[from].data()));
}

// Keys view the catalog's static names (and literals), so lookups need no string copies.
struct WordTables {
  std::unordered_map<std::string_view, int> color, size, category;
  size_t max_category_words = 1;
  WordTables() {
    for (size_t i = 0; i < color_names().size(); ++i) color[color_names()[i]] = static_cast<int>(i);
    for (size_t i = 0; i < size_names().size(); ++i) size[size_names()[i]] = static_cast<int>(i);
    color["grey"] = color["gray"];
    size["big"] = size["large"];
    size["little"] = size["small"];
    for (size_t i = 0; i < object_categories().size(); ++i) {
      const std::string& n = object_categories()[i].name;
      category[n] = static_cast<int>(i);
      max_category_words = std::max(max_category_words, split(n).size());
    }
  }
};
const WordTables& words() {
  static const WordTables w;
  return w;
}

int lookup(const std::unordered_map<std::string_view, int>& m, std::string_view k) {
  auto it = m.find(k);
  return it == m.end() ? -1 : it->second;
}
int lookup(const std::unordered_map<std::string, int>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? -1 : it->second;
}

// Category occupying exactly tokens [from, to).
int category_of(const Tokens& t, size_t from, size_t to) {
  if (to <= from) return -1;
  return lookup(words().category, join(t, from, to));
}

// "[the|a] [size] [color] <category>" over tokens [from, to); category optional if allow_no_category.
bool desc_of(const Tokens& t, size_t from, size_t to, bool allow_no_category, ObjectDesc* out) {
  if (from < to && (t[from] == "the" || t[from] == "a" || t[from] == "an")) ++from;
  ObjectDesc d;
  size_t cat_start = to;
  for (size_t k = std::min(words().max_category_words, to - from); k >= 1; --k) {
    int c = category_of(t, to - k, to);
    if (c >= 0) {
      d.category = c;
      cat_start = to - k;
      break;
    }
  }
  if (d.category < 0 && !allow_no_category) return false;
  for (size_t i = from; i < cat_start; ++i) {
    std::string_view w = t[i];
    if (w == "and") continue;
    int c = lookup(words().color, w), s = lookup(words().size, w);
    if (c >= 0 && d.color < 0) d.color = c;
    else if (s >= 0 && d.size < 0) d.size = s;
    else return false;
  }
  if (d.category < 0 && d.color < 0 && d.size < 0) return false;
  *out = d;
  return true;
}

// Subject of a question: "it", "the <category>", "the object", "the target (object)", or an object
// named by description, "the [size] [color] <category>" (with at least one of size and color; it
// sets *subject). Returns the number of tokens used (0 if none); referent category or -1.
size_t subject_of(const Tokens& t, size_t at, int* referent, ObjectDesc* subject) {
  *referent = -1;
  *subject = ObjectDesc{};
  if (at >= t.size()) return 0;
  if (t[at] == "it" || t[at] == "that") return 1;
  if (t[at] != "the") return 0;
  if (at + 1 < t.size() && (t[at + 1] == "object" || t[at + 1] == "item" || t[at + 1] == "one")) return 2;
  if (at + 1 < t.size() && t[at + 1] == "target") return (at + 2 < t.size() && t[at + 2] == "object") ? 3 : 2;
  for (size_t k = std::min(words().max_category_words, t.size() - at - 1); k >= 1; --k) {
    int c = category_of(t, at + 1, at + 1 + k);
    if (c >= 0) {
      *referent = c;
      return 1 + k;
    }
  }
  // "the red cup": the longest description (size, color, then a category) starting here.
  const size_t longest = std::min(t.size() - at - 1, 2 + words().max_category_words);
  for (size_t k = longest; k >= 2; --k) {
    ObjectDesc d;
    if (desc_of(t, at + 1, at + 1 + k, false, &d) && (d.color >= 0 || d.size >= 0)) {
      *referent = d.category;
      *subject = d;
      return 1 + k;
    }
  }
  return 0;
}

bool all_consumed(const Tokens& t, size_t at) { return at == t.size(); }

bool is_prep(std::string_view w) { return w == "on" || w == "in" || w == "inside" || w == "at"; }

// "(on|in) the <receptacle or room>" from `at` to the end, optionally followed by "located".
bool place_of(const Tokens& t, size_t at, const SceneNames& names, int* receptacle, int* room) {
  *receptacle = *room = -1;
  if (at >= t.size() || !is_prep(t[at])) return false;
  ++at;
  if (at < t.size() && t[at] == "the") ++at;
  size_t end = t.size();
  if (end > at && t[end - 1] == "located") --end;
  if (end <= at) return false;
  std::string name(join(t, at, end));
  *receptacle = lookup(names.receptacle, name);
  if (*receptacle < 0) *room = lookup(names.room, name);
  return *receptacle >= 0 || *room >= 0;
}

Question parse_tokens(const Tokens& t, const SceneNames& names) {
  Question q;
  const size_t n = t.size();
  auto starts = [&](std::initializer_list<const char*> ws) {
    size_t i = 0;
    for (const char* w : ws) {
      if (i >= n || t[i] != w) return false;
      ++i;
    }
    return true;
  };
  auto wh = [&](size_t subject_at, QType type, std::initializer_list<const char*> tails) {
    int ref;
    ObjectDesc subj;
    size_t used = subject_of(t, subject_at, &ref, &subj);
    if (!used) return false;
    size_t at = subject_at + used;
    for (const char* tail : tails) {
      if (at == n) break;
      if (t[at] == tail) ++at;
    }
    if (!all_consumed(t, at)) return false;
    q.type = type;
    q.referent = ref;
    q.subject = subj;
    return true;
  };

  // wh- questions
  if (starts({"what", "color", "is"}) || starts({"what", "colour", "is"})) {
    if (wh(3, QType::ColorWH, {})) return q;
    return Question{};
  }
  if (starts({"what", "size", "is"}) || starts({"how", "big", "is"}) || starts({"how", "large", "is"})) {
    if (wh(3, QType::SizeWH, {})) return q;
    return Question{};
  }
  if (starts({"where", "should", "i"}) && n >= 4 && (t[3] == "put" || t[3] == "place" || t[3] == "leave")) {
    if (wh(4, QType::PlacementWH, {})) return q;
    return Question{};
  }
  if (starts({"where", "does"})) {
    if (wh(2, QType::PlacementWH, {"go"})) return q;
    return Question{};
  }
  if (starts({"where", "is"})) {
    if (wh(2, QType::LocationWH, {"located"})) return q;
    return Question{};
  }
  if (starts({"where", "can", "i", "find"})) {
    if (wh(4, QType::LocationWH, {})) return q;
    return Question{};
  }
  // should i put it on the <receptacle>
  if (starts({"should", "i"}) && n >= 3 && (t[2] == "put" || t[2] == "place" || t[2] == "leave")) {
    int ref, room;
    ObjectDesc subj;
    size_t used = subject_of(t, 3, &ref, &subj);
    if (!used) return Question{};
    int r;
    if (!place_of(t, 3 + used, names, &r, &room) || r < 0) return Question{};
    q.type = QType::PlacementYN;
    q.referent = ref;
    q.subject = subj;
    q.receptacle = r;
    return q;
  }
  // should i move the red cup (too)?
  if (starts({"should", "i", "move"})) {
    int ref;
    ObjectDesc subj;
    size_t used = subject_of(t, 3, &ref, &subj);
    size_t at = 3 + used;
    if (at < n && (t[at] == "too" || t[at] == "also")) ++at;
    if (!used || !all_consumed(t, at)) return Question{};
    q.type = QType::MoveYN;
    q.referent = ref;
    q.subject = subj;
    return q;
  }
  // do you want the red cup moved? / do you want the red cup on the <receptacle>?
  if (starts({"do", "you", "want"})) {
    int ref, room, r;
    ObjectDesc subj;
    size_t used = subject_of(t, 3, &ref, &subj);
    if (used && 3 + used + 1 == n && t[3 + used] == "moved") {
      q.type = QType::MoveYN;
      q.referent = ref;
      q.subject = subj;
      return q;
    }
    if (used && subj.category >= 0 && place_of(t, 3 + used, names, &r, &room) && r >= 0) {
      q.type = QType::PlacementYN;
      q.referent = ref;
      q.subject = subj;
      q.receptacle = r;
      return q;
    }
  }
  // do you mean / do you want the <desc>
  if (starts({"do", "you"}) && n >= 3 && (t[2] == "mean" || t[2] == "want")) {
    ObjectDesc d;
    if (!desc_of(t, 3, n, false, &d) || (d.color < 0 && d.size < 0)) return Question{};
    q.type = d.color >= 0 ? QType::ColorYN : QType::SizeYN;
    q.attr = d;
    return q;
  }
  if (!starts({"is"})) return Question{};

  // is the <desc> the target (object) / the one
  for (size_t k = 2; k + 1 < n; ++k) {
    if (t[k] == "the" && (t[k + 1] == "target" || t[k + 1] == "one") &&
        (k + 2 == n || (k + 3 == n && t[k + 2] == "object") || (k + 4 == n && t[k + 2] == "you" && t[k + 3] == "want"))) {
      ObjectDesc d;
      if (desc_of(t, 1, k, false, &d) && (d.color >= 0 || d.size >= 0)) {
        q.type = d.color >= 0 ? QType::ColorYN : QType::SizeYN;
        q.attr = d;
        return q;
      }
      return Question{};
    }
  }
  // is it the <desc>
  if (n >= 3 && t[1] == "it" && (t[2] == "the" || t[2] == "a")) {
    ObjectDesc d;
    if (desc_of(t, 2, n, false, &d) && (d.color >= 0 || d.size >= 0)) {
      q.type = d.color >= 0 ? QType::ColorYN : QType::SizeYN;
      q.attr = d;
      return q;
    }
  }
  int ref;
  ObjectDesc subj;
  size_t used = subject_of(t, 1, &ref, &subj);
  if (!used) return Question{};
  size_t at = 1 + used;
  q.referent = ref;
  q.subject = subj;
  if (at >= n) return Question{};
  // is it next to the <desc>
  if (t[at] == "next" && at + 1 < n && t[at + 1] == "to") {
    ObjectDesc d;
    if (!desc_of(t, at + 2, n, false, &d)) return Question{};
    q.type = QType::NeighborYN;
    q.neighbor = d;
    return q;
  }
  // is it on/in the <receptacle | room>
  if (is_prep(t[at])) {
    int r, room;
    if (!place_of(t, at, names, &r, &room)) return Question{};
    if (r >= 0) {
      q.type = QType::ReceptacleYN;
      q.receptacle = r;
    } else {
      q.type = QType::RoomYN;
      q.room = room;
    }
    return q;
  }
  // is it <size> <color>
  ObjectDesc d;
  if (!desc_of(t, at, n, true, &d) || d.category >= 0) return Question{};
  q.type = d.color >= 0 ? QType::ColorYN : QType::SizeYN;
  q.attr = d;
  return q;
}

Action invalid(Invalid why) {
  Action a;
  a.invalid = why;
  return a;
}

}  // namespace

const char* qtype_name(QType t) {
  static const char* n[] = {"color_yn", "size_yn", "receptacle_yn", "room_yn", "neighbor_yn", "placement_yn",
                            "color_wh", "size_wh", "location_wh", "placement_wh", "unknown", "move_yn"};
  static_assert(sizeof(n) / sizeof(n[0]) == kNumQTypes, "question type names");
  return n[static_cast<int>(t)];
}

bool is_multi_object_question(const Question& q) { return q.subject.category >= 0 || q.type == QType::MoveYN; }

const char* invalid_reason_text(Invalid r) {
  static const char* n[] = {"",
                            "not of the form verb(argument)",
                            "unknown verb (use navigate, pick, place, open, close or ask)",
                            "empty argument",
                            "no receptacle of that name in this scene",
                            "object description is not [size] [color] <category>",
                            "the robot is not at that receptacle",
                            "that receptacle does not open or close",
                            "it is already open",
                            "it is already closed",
                            "the receptacle is closed",
                            "the robot is already holding an object",
                            "the robot is not holding anything",
                            "no visible object here matches that description",
                            "more than one visible object here matches that description",
                            "the receptacle is full",
                            "action text is too long",
                            "the episode is over"};
  static_assert(sizeof(n) / sizeof(n[0]) == static_cast<size_t>(Invalid::Count), "reason table");
  return n[static_cast<int>(r)];
}

SceneNames::SceneNames(const World& w) {
  for (size_t i = 0; i < w.receptacles.size(); ++i) receptacle[w.receptacles[i].name] = static_cast<int>(i);
  for (size_t i = 0; i < w.rooms.size(); ++i) room[room_name(w, static_cast<int>(i))] = static_cast<int>(i);
}

namespace {

// What each byte becomes in normalized text: itself lowercased for ASCII letters, digits and the
// apostrophe, 0 (a separator) for anything else. ASCII only, whatever the C locale.
const std::array<char, 256>& normal_chars() {
  static const std::array<char, 256> table = [] {
    std::array<char, 256> m{};
    for (int c = '0'; c <= '9'; ++c) m[static_cast<size_t>(c)] = static_cast<char>(c);
    for (int c = 'a'; c <= 'z'; ++c) m[static_cast<size_t>(c)] = static_cast<char>(c);
    for (int c = 'A'; c <= 'Z'; ++c) m[static_cast<size_t>(c)] = static_cast<char>(c - 'A' + 'a');
    m[static_cast<size_t>('\'')] = '\'';
    return m;
  }();
  return table;
}

}  // namespace

std::string normalize_text(std::string_view s) {
  const std::array<char, 256>& normal = normal_chars();
  std::string out(s.size(), '\0');
  size_t n = 0;
  bool space = true;  // suppress leading spaces
  for (char c : s) {
    const char m = normal[static_cast<unsigned char>(c)];
    if (m) {
      out[n++] = m;
      space = false;
    } else if (!space) {
      out[n++] = ' ';
      space = true;
    }
  }
  if (n > 0 && out[n - 1] == ' ') --n;
  out.resize(n);
  return out;
}

bool parse_object_desc(std::string_view normalized, ObjectDesc* out) {
  Tokens t = split(normalized);
  return desc_of(t, 0, t.size(), false, out);
}

namespace {

Question parse_normalized_question(const std::string& norm, const SceneNames& names) {
  Tokens t = split(norm);
  // Politeness that does not change the meaning.
  if (!t.empty() && t[0] == "please") t.erase(t.begin());
  if (t.size() >= 3 && t[0] == "can" && t[1] == "you" && t[2] == "tell") {
    // "can you tell me where it is" -> not in the grammar; keep strict.
  }
  return parse_tokens(t, names);
}

}  // namespace

Question parse_question(std::string_view text, const SceneNames& names) {
  return parse_normalized_question(normalize_text(text), names);
}

Action parse_action(std::string_view text, const SceneNames& names) {
  if (text.size() > kMaxActionChars) return invalid(Invalid::TooLong);
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string_view s = text.substr(b, e - b);
  size_t open = s.find('(');
  if (open == std::string_view::npos || s.empty() || s.back() != ')') return invalid(Invalid::Unparseable);
  std::string verb = normalize_text(s.substr(0, open));
  std::string_view raw_arg = s.substr(open + 1, s.size() - open - 2);

  Action a;
  if (verb == "ask") {
    std::string norm = normalize_text(raw_arg);
    if (norm.empty()) return invalid(Invalid::EmptyArgument);
    a.type = ActionType::Ask;
    a.question = parse_normalized_question(norm, names);
    return a;
  }
  std::string arg = normalize_text(raw_arg);
  if (arg.empty()) return invalid(Invalid::EmptyArgument);
  if (verb == "pick") {
    a.type = ActionType::Pick;
    if (!parse_object_desc(arg, &a.object)) return invalid(Invalid::UnknownObjectWords);
    return a;
  }
  if (verb == "navigate") a.type = ActionType::Navigate;
  else if (verb == "place") a.type = ActionType::Place;
  else if (verb == "open") a.type = ActionType::Open;
  else if (verb == "close") a.type = ActionType::Close;
  else return invalid(Invalid::UnknownVerb);
  if (arg.rfind("the ", 0) == 0) arg.erase(0, 4);
  auto it = names.receptacle.find(arg);
  if (it == names.receptacle.end()) return invalid(Invalid::UnknownReceptacle);
  a.receptacle = it->second;
  return a;
}

std::string question_text(const Question& q, const World& w) {
  std::string subject = q.subject.category >= 0 ? "the " + describe(q.subject)
                        : q.referent >= 0      ? "the " + object_categories()[q.referent].name
                                               : "it";
  switch (q.type) {
    case QType::ColorYN:
    case QType::SizeYN:
      if (q.attr.category >= 0) return "is it the " + describe(q.attr) + "?";
      if (q.referent >= 0) return "is " + subject + " " + describe(q.attr) + "?";
      return "is it " + describe(q.attr) + "?";
    case QType::ReceptacleYN: return "is " + subject + " " + location_phrase(w, q.receptacle) + "?";
    case QType::RoomYN: return "is " + subject + " in the " + room_name(w, q.room) + "?";
    case QType::NeighborYN: return "is " + subject + " next to the " + describe(q.neighbor) + "?";
    case QType::PlacementYN: return "should i put " + subject + " " + location_phrase(w, q.receptacle) + "?";
    case QType::ColorWH: return "what color is " + subject + "?";
    case QType::SizeWH: return "what size is " + subject + "?";
    case QType::LocationWH: return "where is " + subject + "?";
    case QType::PlacementWH: return "where should i put " + subject + "?";
    case QType::MoveYN: return "should i move " + subject + "?";
    case QType::Unknown: break;
  }
  return "";
}

std::string action_text(const Action& a, const World& w) {
  switch (a.type) {
    case ActionType::Navigate: return "navigate(" + w.receptacles[a.receptacle].name + ")";
    case ActionType::Pick: return "pick(" + describe(a.object) + ")";
    case ActionType::Place: return "place(" + w.receptacles[a.receptacle].name + ")";
    case ActionType::Open: return "open(" + w.receptacles[a.receptacle].name + ")";
    case ActionType::Close: return "close(" + w.receptacles[a.receptacle].name + ")";
    case ActionType::Ask: return "ask(" + question_text(a.question, w) + ")";
    case ActionType::Invalid: break;
  }
  return "";
}

std::vector<Question> grammar_questions(const World& w, const std::vector<ObjectDesc>& neighbours) {
  std::vector<Question> qs;
  for (int c = 0; c < static_cast<int>(color_names().size()); ++c) {
    Question q;
    q.type = QType::ColorYN;
    q.attr.color = c;
    qs.push_back(q);
    for (int s = 0; s < kNumSizes; ++s) {  // "is it small red?": color and size at once
      q.attr.size = s;
      qs.push_back(q);
    }
  }
  for (int s = 0; s < kNumSizes; ++s) {
    Question q;
    q.type = QType::SizeYN;
    q.attr.size = s;
    qs.push_back(q);
  }
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r) {
    Question q;
    q.type = QType::ReceptacleYN;
    q.receptacle = r;
    qs.push_back(q);
  }
  for (int r = 0; r < static_cast<int>(w.rooms.size()); ++r) {
    Question q;
    q.type = QType::RoomYN;
    q.room = r;
    qs.push_back(q);
  }
  for (const ObjectDesc& d : neighbours) {
    Question q;
    q.type = QType::NeighborYN;
    q.neighbor = d;
    qs.push_back(q);
  }
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r) {
    Question q;
    q.type = QType::PlacementYN;
    q.receptacle = r;
    qs.push_back(q);
  }
  for (QType t : {QType::ColorWH, QType::SizeWH, QType::LocationWH, QType::PlacementWH}) {
    Question q;
    q.type = t;
    qs.push_back(q);
  }
  return qs;
}

std::vector<std::string> canonical_actions(const World& w) {
  std::vector<std::string> out;
  auto add = [&out](std::string a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
  };
  for (const Receptacle& r : w.receptacles) add("navigate(" + r.name + ")");
  for (const Receptacle& r : w.receptacles) add("place(" + r.name + ")");
  for (const Receptacle& r : w.receptacles)
    if (receptacle_types()[r.type].articulated) {
      add("open(" + r.name + ")");
      add("close(" + r.name + ")");
    }
  // The scene's skills, as in Ask-to-Act: picks by the descriptions of the scene's objects (which
  // objects exist, not where they are) — full, and shortened to what is needed when it is enough
  // where the robot stands ("pick(cup)", "pick(red cup)", "pick(small cup)").
  // Objects are listed in the order of their descriptions, never in the world's object order: the generator
  // makes the target first, so that order would tell an agent which object is meant.
  for (int form = 3; form >= 0; --form) {
    std::vector<std::string> picks;
    for (const Object& o : w.objects)
      picks.push_back(describe(ObjectDesc{(form & 1) ? o.size : -1, (form & 2) ? o.color : -1, o.category}));
    std::sort(picks.begin(), picks.end());
    for (const std::string& d : picks) add("pick(" + d + ")");
  }
  // Neighbours named as the oracle's question space names them: category, with color and/or size.
  std::vector<ObjectDesc> neighbours;
  for (int form = 0; form < 4; ++form) {
    std::vector<std::pair<std::string, ObjectDesc>> named;
    for (const Object& o : w.objects) {
      const ObjectDesc d{(form & 1) ? o.size : -1, (form & 2) ? o.color : -1, o.category};
      named.emplace_back(describe(d), d);
    }
    std::stable_sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& nd : named) neighbours.push_back(nd.second);
  }
  for (const Question& q : grammar_questions(w, neighbours)) add("ask(" + question_text(q, w) + ")");
  return out;
}

std::vector<std::string> preference_actions(const World& w) {
  std::vector<std::string> out;
  std::vector<ObjectDesc> seen;
  auto ask = [&out, &w](const Question& q) { out.push_back("ask(" + question_text(q, w) + ")"); };
  Question it;
  it.type = QType::MoveYN;
  ask(it);
  // In the order of the descriptions, not of the world's objects (which puts the targets first).
  std::vector<std::pair<std::string, ObjectDesc>> named;
  for (const Object& o : w.objects) {
    const ObjectDesc d{o.size, o.color, o.category};
    named.emplace_back(describe(d), d);
  }
  std::stable_sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& nd : named) {
    const ObjectDesc& d = nd.second;
    if (std::find(seen.begin(), seen.end(), d) != seen.end()) continue;
    seen.push_back(d);
    Question q;
    q.referent = d.category;
    q.subject = d;
    for (QType t : {QType::MoveYN, QType::PlacementWH, QType::LocationWH}) {
      q.type = t;
      ask(q);
    }
    q.type = QType::PlacementYN;
    for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r) {
      q.receptacle = r;
      ask(q);
    }
  }
  return out;
}

}  // namespace a2a

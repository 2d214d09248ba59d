// Text actions and the question grammar, parsed without exceptions: every string maps to an
// Action, and anything that is not a well-formed action comes back as ActionType::Invalid with a reason.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "world.h"

namespace a2a {

enum class ActionType : uint8_t { Navigate, Pick, Place, Open, Close, Ask, Invalid };

// The question templates (docs/grammar.md lists every accepted surface form).
enum class QType : uint8_t {
  ColorYN,      // is it red? / is the cup red? / is it the small red cup?
  SizeYN,       // is it small? / is the cup large?
  ReceptacleYN, // is it on the dark table? / is the cup in the fridge?
  RoomYN,       // is it in the kitchen?
  NeighborYN,   // is it next to the red bowl?
  PlacementYN,  // should i put it on the coffee table?
  ColorWH,      // what color is it?
  SizeWH,       // what size is it? / how big is the cup?
  LocationWH,   // where is it? / where is the cup located?
  PlacementWH,  // where should i put it? / where does the red cup go?
  Unknown,      // not in the grammar: the built-in user does not understand it
  // Multi-object preference templates (numbered after Unknown so the codes above stay stable).
  MoveYN,       // should i move the red cup (too)? / do you want the red cup moved?
};
constexpr int kNumQTypes = 12;
const char* qtype_name(QType t);

struct Question {
  QType type = QType::Unknown;
  int referent = -1;  // category named as the question's subject ("the cup"), -1 for "it"
  // An object named by description as the subject ("the red cup": category and at least one of
  // color/size; referent is then its category). Only multi-object episodes understand these.
  ObjectDesc subject;
  ObjectDesc attr;    // ColorYN / SizeYN: the attributes (and optionally category) asked about
  ObjectDesc neighbor;  // NeighborYN
  int receptacle = -1;  // ReceptacleYN / PlacementYN
  int room = -1;        // RoomYN
};

// Why an action was rejected. Stable numbers: they are part of the observation/info contract.
enum class Invalid : uint8_t {
  None = 0,
  Unparseable,         // not "verb(argument)"
  UnknownVerb,
  EmptyArgument,
  UnknownReceptacle,
  UnknownObjectWords,  // pick(...) with words that are not [size] [color] <category>
  NotAtReceptacle,     // place/open/close away from the receptacle
  NotArticulated,      // open/close something without a door
  AlreadyOpen,
  AlreadyClosed,
  ReceptacleClosed,    // pick/place at a closed receptacle
  HandsFull,
  HandsEmpty,
  NoMatchingObject,    // nothing visible here matches the description
  AmbiguousObject,     // more than one visible object matches
  ReceptacleFull,
  TooLong,             // action text over the length limit
  EpisodeOver,         // step on an episode that ended (autoreset disabled)
  Count
};
const char* invalid_reason_text(Invalid r);

struct Action {
  ActionType type = ActionType::Invalid;
  Invalid invalid = Invalid::None;
  int receptacle = -1;
  ObjectDesc object;
  Question question;
};

// Per-scene name tables used by the parser.
struct SceneNames {
  std::unordered_map<std::string, int> receptacle;
  std::unordered_map<std::string, int> room;
  explicit SceneNames(const World& w);
  SceneNames() = default;
};

constexpr size_t kMaxActionChars = 256;

// Lowercase, punctuation to spaces, single spaces, trimmed.
std::string normalize_text(std::string_view s);
Action parse_action(std::string_view text, const SceneNames& names);
Question parse_question(std::string_view text, const SceneNames& names);
// Parses "[size] [color] <category>" (after normalize_text); false if any word is not understood.
bool parse_object_desc(std::string_view normalized, ObjectDesc* out);

// Canonical text of a question (one surface form per template instance).
std::string question_text(const Question& q, const World& w);
std::string action_text(const Action& a, const World& w);

// Whether a question names its subject by description or is a preference template — forms that
// only multi-object episodes understand (a single-object episode treats them as Unknown).
bool is_multi_object_question(const Question& q);

// Every question of the grammar over the scene's names (colors, sizes, receptacles, rooms,
// placements), with the given object descriptions as neighbours.
std::vector<Question> grammar_questions(const World& w, const std::vector<ObjectDesc>& neighbours);

// The scene's skills, as Ask-to-Act enumerates them: navigate/open/close/place over its receptacles,
// pick over the descriptions of its objects (full or shortened), and every question template over its
// names (colors, sizes, receptacles, rooms, its objects as neighbours, placements). It says which
// objects exist but not where they are, so a policy may use it.
std::vector<std::string> canonical_actions(const World& w);

// The preference questions a multi-object episode adds to them, about each object of the scene by
// its full description: "should i move the red cup?", "where should i put the red cup?", "where is
// the red cup?", "should i put the red cup on the <receptacle>?" (every receptacle).
std::vector<std::string> preference_actions(const World& w);

}  // namespace a2a

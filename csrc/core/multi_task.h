// Multi-object Ask-to-Act tasks: clean clutter ("Clean up the clutter on the dark table.") and
// preference reasoning ("Move the dishes to the drawers."). The robot moves several objects, one at a
// time; which objects, and where each goes, is the user's preference. A hypothesis is a whole
// assignment (every object that may move -> its receptacle, or "stays"); the preferences below list
// the assignments the instruction and the catalog leave open, and the episode's targets are the true one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "k_search.h"
#include "world.h"

namespace a2a {

enum class TaskType : uint8_t { Fetch, CleanClutter, PreferenceReasoning };
constexpr int kNumTaskTypes = 3;
const char* task_type_name(TaskType t);  // "fetch", "clean_clutter", "preference_reasoning"
bool parse_task_type(const std::string& s, TaskType* out);

// What a multi-object instruction says; -1 = not said.
struct MultiSpec {
  int area_room = -1, area_receptacle = -1;  // clean clutter: the area to tidy (exactly one is set)
  int family = -1, category = -1;            // preference: "the dishes" (a family) or "the cups" (exactly one)
  int color = -1, size = -1;                 // preference: "the red cups"
  bool all = false;                          // preference: "all of the cups" (the instances are not a choice)
  int goal_receptacle = -1, goal_type = -1;  // preference: "to the dark shelf" or "to the drawers" (exactly one)
};

struct Target {
  int object = -1, goal = -1;
};

// One preference the user may have: these objects move (the rest of the task's objects stay).
struct MoveOption {
  std::string rule;          // how the user would put it: "all", "color=red", "size=small", "category=cup", ""
  std::vector<int> objects;  // object indices
};

// Where an object may go if it moves: receptacles the user may want it on.
struct ObjectPlaces {
  int object = -1;
  std::vector<int> goals;
};

// The hypothesis space: the union over options of every way to send each moving object to one of its places.
struct Preferences {
  std::vector<MoveOption> options;
  std::vector<ObjectPlaces> places;
};

// One hypothesis: per entry of Preferences::places, the receptacle the object goes to, or -1 (stays).
struct Assignment {
  std::vector<int> goal;
  bool operator==(const Assignment& b) const { return goal == b.goal; }
};

struct MultiTask {
  MultiSpec spec;
  std::vector<Target> targets;  // the user's intended assignment: the objects to move, each with its goal
  Preferences prefs;
  // Derived by finalize_multi_task.
  std::vector<Assignment> assignments;
  int true_assignment = -1;
  int true_option = -1;  // index into prefs.options of the targets' object set
};

// The objects the instruction is about: on the area's receptacles (clean clutter), or of the named
// family or category and attributes anywhere (preference reasoning).
std::vector<int> task_scope(const World& w, TaskType task, const MultiSpec& s);
// Preference reasoning: the destinations the instruction names (one receptacle, or every one of a type).
std::vector<int> spec_goals(const World& w, const MultiSpec& s);

// How many assignments the preferences allow, saturating at kMaxHypotheses + 1.
size_t count_assignments(const Preferences& p);
std::vector<Assignment> enumerate_assignments(const Preferences& p);
// Where `object` goes under assignment a (-1: it stays).
int destination(const Preferences& p, const Assignment& a, int object);

// Checks a multi-object task against its (already validated) world and fills in the derived fields;
// "" or "field: message". The caller computes K (multi_min_questions).
std::string finalize_multi_task(const World& w, TaskType task, MultiTask& m);

// The finite question set K is computed over: for each object that may move, named by its full
// description, "should i move it", "where should i put it" and "should i put it on <each place>".
std::vector<Question> multi_question_space(const World& w, const Preferences& p);
int multi_min_questions(const World& w, const MultiTask& m, int max_depth = 8);
// The oracle's next question for the assignments in `mask` (see best_question in hypotheses.h);
// among the worst-case-minimal ones, one that leaves the true assignment as many questions to go as
// the worst case, so that the oracle asks exactly K.
bool multi_best_question(const World& w, const MultiTask& m, HypothesisMask mask, Question* out, int* remaining,
                         int max_depth = 8);
// How many questions the oracle (multi_best_question, answered by the user under the true assignment)
// asks before one assignment is left, in the start world. K is the worst case over assignments; the
// generator keeps only episodes whose truth needs all K of them (-1 if the search fails).
int multi_oracle_dialogue_length(const World& w, const MultiTask& m, int max_depth = 8);
// The assignments of `mask` under which the user would answer `code` to q.
HypothesisMask multi_filter_by_answer(const World& w, const MultiTask& m, HypothesisMask mask, const Question& q, int code);

// The user's preference in words, for LLM users and judges: which objects go where, what stays.
std::string preference_text(const World& w, const MultiTask& m);

}  // namespace a2a

// One Ask-to-Act episode: the initial world, the instruction and what it leaves open, the true
// target and goal, the ambiguity labels and K. Episodes are immutable once built and shared by
// the environments that run them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grammar.h"
#include "hypotheses.h"
#include "multi_task.h"
#include "world.h"

namespace a2a {

// Ambiguity types, as bits (an episode may combine several).
enum Ambiguity : uint32_t {
  kAmbNone = 0,
  kAmbAttribute = 1u << 0,          // the instruction omits the color
  kAmbSize = 1u << 1,               // ... the size
  kAmbSpatialReceptacle = 1u << 2,  // identical objects on receptacles of one room
  kAmbSpatialRoom = 1u << 3,        // identical objects in different rooms
  kAmbSpatialNeighbor = 1u << 4,    // identical objects told apart by what stands next to them
  kAmbPlacement = 1u << 5,          // the goal is one of several receptacles of a type
  kAmbPreference = 1u << 6,         // multi-object: which objects to move is the user's preference
};
constexpr int kNumAmbiguityBits = 7;
const char* ambiguity_bit_name(int bit);            // "attribute", "size", "spatial_receptacle", ...
std::string ambiguity_label(uint32_t bits);         // "none", "attribute+placement"
bool parse_ambiguity_label(const std::string& s, uint32_t* bits);

enum class Split : uint8_t { Train, ValUnseenScenes, ValUnseenTasks, TestUnseenScenes, TestUnseenTasks, Custom };
constexpr int kNumSplits = 6;
const char* split_name(Split s);
bool parse_split(const std::string& s, Split* out);

struct Episode {
  std::string id;        // unique within a dataset, e.g. "train/000123"
  Split split = Split::Custom;
  uint64_t scene_seed = 0;  // provenance: the layout this world was generated from
  World world;              // initial state (robot in start room, nothing held)
  std::string instruction;
  int template_id = -1;
  TaskType task = TaskType::Fetch;
  TaskSpec spec;            // fetch: what the instruction says
  MultiTask multi;          // multi-object tasks: what the instruction says, the targets, the preferences
  int target = -1;          // object index (multi-object: the first target, for display)
  int goal = -1;            // receptacle index (multi-object: the first target's goal)
  uint32_t ambiguity = 0;
  int K = 0;
  int max_steps = 40;

  // Derived at finalize(): name tables, hypotheses, the true hypothesis (fetch; multi-object tasks
  // keep theirs, assignments, in `multi`).
  SceneNames names;
  std::vector<Hypothesis> hypotheses;
  int true_hypothesis = -1;

  bool multi_object() const { return task != TaskType::Fetch; }
  size_t num_hypotheses() const { return multi_object() ? multi.assignments.size() : hypotheses.size(); }
};

using EpisodePtr = std::shared_ptr<const Episode>;

// Checks an episode's invariants and fills in the derived fields. Returns "" when valid, else a
// message naming the field ("target: ...", "K: stored 2, computed 1").
// If check_k is false, K is computed and stored rather than compared.
std::string finalize_episode(Episode& e, bool check_k);

}  // namespace a2a

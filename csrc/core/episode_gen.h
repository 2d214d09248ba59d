// The episode generator: single-object fetch tasks with chosen ambiguity types, planted into
// procedural scenes, labelled with K computed exactly, grouped into splits with held-out scenes
// (seeds and layouts) and held-out tasks (ambiguity combinations and instruction templates).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "episode.h"
#include "scene_gen.h"

namespace a2a {

struct DatasetConfig {
  uint64_t seed = 0;
  int counts[kNumSplits] = {2000, 200, 200, 200, 200, 0};  // per Split
  int train_scenes = 100;  // distinct apartments behind the train split (and unseen tasks)
  int eval_scenes = 40;    // distinct apartments behind each unseen-scenes split
  int max_steps = 40;
  double none_fraction = 0.15;  // share of K=0 episodes in the seen-task splits
  std::vector<uint32_t> combinations;  // fetch ambiguity combinations to draw from (empty: the split's own)
  SceneGenConfig scene;
  // Multi-object episodes: their share of each split (0: fetch only, the original benchmark; 1: none
  // but them) and the task types they are drawn from. They come from a random stream of their own, so
  // the fetch episodes of a mixed split are the first ones of the fetch-only split, in order.
  double multi_share = 0.0;
  std::vector<TaskType> multi_tasks = {TaskType::CleanClutter, TaskType::PreferenceReasoning};
};

// Returns "" if valid.
std::string validate(const DatasetConfig& c);

// Ambiguity combinations a split draws from.
const std::vector<uint32_t>& seen_combinations();
const std::vector<uint32_t>& held_out_combinations();
// Layouts (sets of room types) reserved for the unseen-scenes splits.
bool held_out_layout(const std::string& signature);

// Plants one episode of the given ambiguity combination into the scene of `scene_seed`.
// Returns false when this scene cannot host it (the caller tries another draw).
bool generate_episode(uint64_t scene_seed, uint32_t combination, int template_id, uint64_t draw_seed,
                      const DatasetConfig& cfg, Episode* out);

// Whether position i of a split holds a multi-object episode: they are spread evenly, one wherever
// floor((i + 1) * share) steps up.
bool multi_object_position(int i, double share);

// All episodes of one split, finalized. progress(done, total) is called now and then if given.
std::vector<Episode> generate_split(const DatasetConfig& cfg, Split split,
                                    const std::function<void(int, int)>& progress = nullptr);

}  // namespace a2a

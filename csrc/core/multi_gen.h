// The multi-object episode generator: clean clutter and preference reasoning planted into
// procedural scenes, with their preferences (the assignments the instruction and the catalog leave
// open) bounded to at most kMaxHypotheses so that K stays exact and fast, and a step limit taken
// from the oracle's plan.
#pragma once
#include <cstdint>
#include <vector>

#include "episode.h"
#include "episode_gen.h"

namespace a2a {

// Ambiguity combinations of multi-object tasks: kAmbPreference (which objects move is the user's
// choice) and kAmbPlacement (where some object goes is). Unseen tasks hold out their combination.
const std::vector<uint32_t>& seen_multi_combinations();      // none, preference, placement
const std::vector<uint32_t>& held_out_multi_combinations();  // preference+placement

// Plants one episode of `task` (clean clutter or preference reasoning) with the given combination
// into the scene of `scene_seed`; false when this scene cannot host it (the caller draws again).
bool generate_multi_episode(uint64_t scene_seed, TaskType task, uint32_t combination, int template_id,
                            uint64_t draw_seed, const DatasetConfig& cfg, Episode* out);

// Steps of the oracle's plan: K questions, then for each target (a fetch episode's one, a multi-object
// episode's every one) navigate, open its receptacle if closed, pick, navigate, open the goal if closed, place.
int oracle_plan_length(const Episode& e);

// The step limit of a multi-object episode: max(cfg.max_steps, kStepSlack x the oracle's plan).
constexpr int kStepSlack = 3;

}  // namespace a2a

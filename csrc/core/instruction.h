// Paraphrased instruction templates. Templates 0..kNumSeenTemplates-1 appear in train and the
// unseen-scenes splits; the rest are held out for the unseen-tasks splits.
#pragma once
#include <string>

#include "hypotheses.h"
#include "multi_task.h"
#include "world.h"

namespace a2a {

constexpr int kNumTemplates = 10;
constexpr int kNumSeenTemplates = 8;

// Renders the instruction for a task spec with template `id` (0 <= id < kNumTemplates).
std::string render_instruction(const World& w, const TaskSpec& spec, int id);
std::string template_pattern(int id);  // "Bring the {object} and place it {goal}."

// Multi-object tasks have templates of their own, per task type, numbered from 0; the last
// kNumMultiTemplates - kNumSeenMultiTemplates are held out for the unseen-tasks splits.
constexpr int kNumMultiTemplates = 6;
constexpr int kNumSeenMultiTemplates = 4;
std::string render_multi_instruction(const World& w, TaskType task, const MultiSpec& spec, int id);

}  // namespace a2a

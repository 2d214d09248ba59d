#include "batched_env.h"

namespace a2a {

std::string validate(const BatchConfig& c) {
  if (c.num_envs < 1) return "num_envs must be >= 1, got " + std::to_string(c.num_envs);
  if (c.batch_size < 0 || c.batch_size > c.num_envs)
    return "batch_size must be in [0, num_envs] (0: num_envs), got " + std::to_string(c.batch_size);
  if (c.num_threads < 0) return "num_threads must be >= 0 (0: one per hardware thread), got " + std::to_string(c.num_threads);
  if (c.history < 1 || c.history > 64) return "history must be in [1, 64], got " + std::to_string(c.history);
  return "";
}

}  // namespace a2a

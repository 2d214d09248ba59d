#include "batched_env.h"

namespace a2a {

std::string validate(const BatchConfig& c) {
  if (c.num_envs < 1) return "num_envs must be >= 1";
  if (c.batch_size < 1 || c.batch_size > c.num_envs) return "batch_size must be in [1, num_envs]";
  if (c.num_threads < 1) return "num_threads must be >= 1";
  if (c.history < 1 || c.history > 64) return "history must be in [1, 64]";
  return "";
}

}  // namespace a2a

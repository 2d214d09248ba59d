// Replays a trace of bench actions (write_trace.py) on the C++ core, for profilers: the stepping
// happens in replay_steps() alone, so `valgrind --tool=callgrind --toggle-collect=replay_steps*`
// counts the instructions of the steps and nothing of the setup. Checks that the replay saw as
// many invalid steps as the trace did (same episodes, same actions, so the same run).
//
//   replay DIR NUM_ENVS SIZE THREADS [HISTORY [hash]]      (SIZE 0: no rendering)
//
// With `hash`, also prints a hash of every batch's frames, rewards, flags and texts, to check that an
// optimisation changed no output byte (the hashing is then part of the timed loop).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ask_batched.h"
#include "episode_json.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

template <class T>
uint64_t fnv1a(uint64_t h, const std::vector<T>& v) {
  return fnv1a(h, v.data(), v.size() * sizeof(T));
}

// Steps the envs through every action of the trace; returns the number of invalid steps.
__attribute__((noinline)) long replay_steps(a2a::AskBatchedEnv& envs, const std::vector<std::string>& actions, uint64_t* hash) {
  const size_t n = static_cast<size_t>(envs.num_envs());
  std::vector<std::string_view> step(n);
  long invalid = 0;
  for (size_t at = 0; at + n <= actions.size(); at += n) {
    for (size_t i = 0; i < n; ++i) step[i] = actions[at + i];
    auto b = envs.step(step);
    for (size_t i = 0; i < n; ++i) invalid += b->invalid[i];
    if (hash) {
      const a2a::BatchLayout& l = b->layout;
      uint64_t h = fnv1a(*hash, b->frames, l.row_frame_bytes() * n);
      h = fnv1a(h, b->reward_terms), h = fnv1a(h, b->invalid_reason), h = fnv1a(h, b->frame_count);
      h = fnv1a(h, b->step), h = fnv1a(h, b->first), h = fnv1a(h, b->terminated), h = fnv1a(h, b->truncated);
      h = fnv1a(h, b->useful), h = fnv1a(h, b->question_type);
      *hash = fnv1a(fnv1a(fnv1a(h, b->answer), b->last_action), b->instruction);
    }
  }
  return invalid;
}

}  // namespace

static int run(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DIR NUM_ENVS SIZE THREADS [HISTORY]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int num_envs = std::stoi(argv[2]), size = std::stoi(argv[3]), threads = std::stoi(argv[4]);
  const int history = argc > 5 ? std::stoi(argv[5]) : 1;
  const bool hashing = argc > 6 && std::string(argv[6]) == "hash";
  std::vector<a2a::EpisodePtr> episodes;
  for (auto& e : a2a::parse_episodes_jsonl(slurp(dir + "/episodes.jsonl"))) episodes.push_back(std::make_shared<a2a::Episode>(std::move(e)));
  std::vector<std::string> actions;
  std::istringstream lines(slurp(dir + "/actions.txt"));
  for (std::string line; std::getline(lines, line);) actions.push_back(line);
  const long expected = std::stol(slurp(dir + "/expected.txt"));

  a2a::RenderConfig render;
  render.width = render.height = size;
  a2a::BatchConfig cfg;
  cfg.num_envs = num_envs;
  cfg.num_threads = threads;
  cfg.history = history;
  a2a::AskBatchedEnv envs(std::make_shared<a2a::AskShared>(episodes, a2a::RewardConfig{}, render), cfg);
  envs.reset();
  timespec cpu0, cpu1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  const auto wall0 = std::chrono::steady_clock::now();
  uint64_t hash = 14695981039346656037ull;
  const long invalid = replay_steps(envs, actions, hashing ? &hash : nullptr);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  const double cpu = static_cast<double>(cpu1.tv_sec - cpu0.tv_sec) + 1e-9 * static_cast<double>(cpu1.tv_nsec - cpu0.tv_nsec);
  const double steps = static_cast<double>(actions.size());
  // CPU time counts every thread: on a loaded machine it is the steadier of the two figures.
  std::printf("%zu steps, %ld invalid (trace: %ld); %.0f steps/s wall, %.0f steps per CPU-second\n", actions.size(), invalid,
              expected, steps / wall, steps / cpu);
  if (hashing) std::printf("output hash %016llx\n", static_cast<unsigned long long>(hash));
  return invalid == expected ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay: %s\n", e.what());
    return 2;
  }
}

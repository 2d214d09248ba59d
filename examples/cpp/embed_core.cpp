// Embedding the a2a environment core in a C++ program: generate a few episodes, run 16 envs in a
// batch with a scripted policy that asks where the target is and where it goes, and print results.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <a2a/ask_batched.h>
#include <a2a/episode_gen.h>
#include <a2a/privileged.h>

int main() {
  a2a::DatasetConfig data;
  data.counts[static_cast<int>(a2a::Split::Train)] = 32;
  std::vector<a2a::Episode> generated = a2a::generate_split(data, a2a::Split::Train);
  std::vector<a2a::EpisodePtr> episodes;
  for (auto& e : generated) episodes.push_back(std::make_shared<a2a::Episode>(std::move(e)));

  a2a::RenderConfig render;  // 128 x 128 RGB
  auto shared = std::make_shared<a2a::AskShared>(episodes, a2a::RewardConfig{}, render);
  a2a::BatchConfig cfg;
  cfg.num_envs = 16;
  cfg.num_threads = 2;
  a2a::AskBatchedEnv envs(shared, cfg);

  auto batch = envs.reset();
  std::printf("env 0: %s (K=%d)\n", envs.env(0).env().episode().instruction.c_str(), batch->K[0]);
  // Privileged script: ask the two wh- questions, then fetch the target to the goal.
  std::vector<std::vector<std::string>> plans(16);
  for (int i = 0; i < 16; ++i) {
    const a2a::Episode& e = envs.env(i).env().episode();
    const a2a::World& w = e.world;
    const a2a::Object& t = w.objects[static_cast<size_t>(e.target)];
    const std::string src = w.receptacles[static_cast<size_t>(t.receptacle)].name;
    const std::string dst = w.receptacles[static_cast<size_t>(e.goal)].name;
    auto& p = plans[static_cast<size_t>(i)];
    p = {"ask(where is it?)", "ask(where should i put it?)", "navigate(" + src + ")"};
    if (!w.receptacles[static_cast<size_t>(t.receptacle)].open) p.push_back("open(" + src + ")");
    p.push_back("pick(" + a2a::describe_full(t) + ")");
    p.push_back("navigate(" + dst + ")");
    if (!w.receptacles[static_cast<size_t>(e.goal)].open) p.push_back("open(" + dst + ")");
    p.push_back("place(" + dst + ")");
  }
  int successes = 0;
  for (size_t step = 0; step < 8; ++step) {
    std::vector<std::string> actions(16);
    for (int i = 0; i < 16; ++i) actions[static_cast<size_t>(i)] = step < plans[static_cast<size_t>(i)].size() ? plans[static_cast<size_t>(i)][step] : "ask(done?)";
    std::vector<std::string_view> views(actions.begin(), actions.end());
    batch = envs.step(views);
    for (int i = 0; i < 16; ++i) successes += batch->success[static_cast<size_t>(i)];
    if (step == 0) std::printf("env 0 asked '%s' -> '%s'\n", actions[0].c_str(), batch->answer.data());
  }
  std::printf("successes: %d / 16\n", successes);
  return successes == 16 ? 0 : 1;
}

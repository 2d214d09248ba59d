#include <cstring>
#include <memory>

#include "ask_batched.h"
#include "check.h"
#include "episode_gen.h"
#include "null_env.h"

using namespace a2a;

namespace {

std::shared_ptr<AskShared> make_shared_state(int n_episodes, int px) {
  DatasetConfig cfg;
  cfg.counts[static_cast<int>(Split::Train)] = n_episodes;
  std::vector<EpisodePtr> eps;
  for (auto& e : generate_split(cfg, Split::Train)) eps.push_back(std::make_shared<Episode>(std::move(e)));
  RenderConfig r;
  r.width = r.height = px;
  return std::make_shared<AskShared>(eps, RewardConfig{}, r);
}

std::vector<std::string> scripted_actions(const AskBatchedEnv& envs, int t) {
  std::vector<std::string> out;
  for (int i = 0; i < envs.num_envs(); ++i) {
    const World& w = envs.env(i).env().world();
    int r = (i * 7 + t * 3) % static_cast<int>(w.receptacles.size());
    const char* kinds[] = {"navigate(", "open(", "ask(where is it?", "pick(cup", "place("};
    std::string k = kinds[(i + t) % 5];
    out.push_back(k.back() == '(' ? k + w.receptacles[static_cast<size_t>(r)].name + ")" : k + ")");
  }
  return out;
}

std::string fingerprint(const BatchBuffer& b) {
  std::string s(reinterpret_cast<const char*>(b.frames), b.layout.row_frame_bytes() * static_cast<size_t>(b.rows));
  s.append(reinterpret_cast<const char*>(b.reward.data()), sizeof(float) * static_cast<size_t>(b.rows));
  s.append(b.answer.data(), static_cast<size_t>(kAnswerChars) * static_cast<size_t>(b.rows));
  s.append(reinterpret_cast<const char*>(b.step.data()), sizeof(int32_t) * static_cast<size_t>(b.rows));
  return s;
}

}  // namespace

TEST(byte_identical_whatever_the_thread_count) {
  auto shared = make_shared_state(30, 32);
  std::string out[2];
  for (int k = 0; k < 2; ++k) {
    BatchConfig cfg;
    cfg.num_envs = 12;
    cfg.num_threads = k == 0 ? 1 : 3;
    cfg.history = 3;
    AskBatchedEnv envs(shared, cfg);
    out[k] += fingerprint(*envs.reset());
    for (int t = 0; t < 60; ++t) {
      auto acts = scripted_actions(envs, t);
      std::vector<std::string_view> v(acts.begin(), acts.end());
      out[k] += fingerprint(*envs.step(v));
    }
  }
  CHECK(out[0] == out[1]);
  CHECK(out[0].size() > 1000);
}

TEST(history_ring_is_chronological) {
  auto shared = make_shared_state(4, 16);
  BatchConfig cfg;
  cfg.num_envs = 1;
  cfg.history = 3;
  AskBatchedEnv envs(shared, cfg);
  auto b0 = envs.reset();
  const size_t fb = b0->layout.frame_bytes();
  CHECK_EQ(b0->frame_count[0], 1);
  std::string start(reinterpret_cast<char*>(b0->frames) + 2 * fb, fb);
  for (size_t i = 0; i < 2 * fb; ++i) CHECK(b0->frames[i] == 0);  // not yet seen: zeros
  const World& w = envs.env(0).env().world();
  std::string go = "navigate(" + w.receptacles[0].name + ")";
  auto b1 = envs.step({go});
  CHECK_EQ(b1->frame_count[0], 2);
  CHECK(std::memcmp(b1->frames + fb, start.data(), fb) == 0);  // previous frame moved left
  std::string now(reinterpret_cast<char*>(b1->frames) + 2 * fb, fb);
  CHECK(now != start);  // the view changed
  auto b2 = envs.step({"ask(where is it?)"});  // same view again
  CHECK(std::memcmp(b2->frames + 2 * fb, now.data(), fb) == 0);
  CHECK(std::memcmp(b2->frames + fb, now.data(), fb) == 0);
  CHECK(std::memcmp(b2->frames, start.data(), fb) == 0);
}

TEST(handed_out_batches_are_never_overwritten) {
  auto shared = make_shared_state(8, 16);
  BatchConfig cfg;
  cfg.num_envs = 4;
  AskBatchedEnv envs(shared, cfg);
  auto kept = envs.reset();
  std::string before = fingerprint(*kept);
  for (int t = 0; t < 20; ++t) {
    auto acts = scripted_actions(envs, t);
    std::vector<std::string_view> v(acts.begin(), acts.end());
    envs.step(v);  // dropped at once: its batch returns to the pool
  }
  CHECK(fingerprint(*kept) == before);
  CHECK(envs.buffers_allocated() <= 3);  // kept + recycled
}

TEST(async_send_recv_covers_every_env) {
  auto shared = make_shared_state(10, 0);
  BatchConfig cfg;
  cfg.num_envs = 8;
  cfg.batch_size = 4;
  cfg.num_threads = 3;
  AskBatchedEnv envs(shared, cfg);
  envs.reset();
  std::vector<int> ids = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<std::string> acts(8, "ask(where is it?)");
  std::vector<std::string_view> v(acts.begin(), acts.end());
  envs.send(v, ids);
  auto a = envs.recv();
  auto b = envs.recv();
  CHECK_EQ(a->rows, 4);
  CHECK_EQ(b->rows, 4);
  std::vector<int> seen(8, 0);
  for (int r = 0; r < 4; ++r) seen[static_cast<size_t>(a->env_id[static_cast<size_t>(r)])]++, seen[static_cast<size_t>(b->env_id[static_cast<size_t>(r)])]++;
  for (int s : seen) CHECK_EQ(s, 1);
  bool threw = false;
  try {
    envs.recv();  // nothing in flight: must not hang
  } catch (const std::runtime_error&) {
    threw = true;
  }
  CHECK(threw);
}

TEST(bad_ids_and_sizes_are_rejected) {
  auto shared = make_shared_state(4, 0);
  BatchConfig cfg;
  cfg.num_envs = 2;
  AskBatchedEnv envs(shared, cfg);
  int errors = 0;
  try { envs.step({"a"}); } catch (const std::invalid_argument&) { ++errors; }
  try { envs.reset({5}); } catch (const std::out_of_range&) { ++errors; }
  try { envs.reset({0, 0}); } catch (const std::invalid_argument&) { ++errors; }
  try { envs.reset({0}, {99}); } catch (const std::out_of_range&) { ++errors; }
  try { envs.send({"a"}, {-1}); } catch (const std::out_of_range&) { ++errors; }
  CHECK_EQ(errors, 5);
  BatchConfig bad;
  bad.num_envs = 0;
  bool threw = false;
  try { AskBatchedEnv x(shared, bad); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
}

TEST(null_env_runs_episodes_with_autoreset) {
  auto shared = std::make_shared<NullShared>();
  shared->episode_length = 3;
  BatchConfig cfg;
  cfg.num_envs = 2;
  NullBatchedEnv envs(shared, cfg);
  envs.reset();
  int ends = 0, firsts = 0;
  for (int t = 0; t < 8; ++t) {
    auto b = envs.step({"x", "y"});
    ends += b->terminated[0];
    firsts += b->first[0];
  }
  CHECK_EQ(ends, 2);   // steps 3 and 7 end episodes
  CHECK_EQ(firsts, 2); // steps 4 and 8 reset
}

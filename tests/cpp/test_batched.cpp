#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

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
  // Every step writes an observation like the real env's: the instruction, the echoed action, an answer.
  auto b = envs.step({"noop()", "y"});
  CHECK_EQ(std::string(b->last_action.data()), std::string("noop()"));
  CHECK_EQ(std::string(b->last_action.data() + kActionChars), std::string("y"));
  CHECK_EQ(std::string(b->instruction.data()), shared->instruction);
  CHECK_EQ(std::string(b->answer.data()), shared->answer);
  CHECK_EQ(b->question_type[0], -1);
}

// Calls on one manager from several threads are serialised (batched_env.h): no lost or torn steps,
// no memory errors (this binary also runs under ASan/UBSan), and the async calls refuse cleanly.
// One worker thread: each caller steps the envs itself, as two Python threads would.
TEST(concurrent_callers_are_serialised) {
  auto shared = std::make_shared<NullShared>();
  shared->episode_length = 1 << 30;  // no resets: every step adds one to each env's counter
  BatchConfig cfg;
  cfg.num_envs = 2;
  cfg.num_threads = 1;
  NullBatchedEnv envs(shared, cfg);
  envs.reset();
  const int per_thread = 20000;
  std::vector<std::thread> callers;
  std::atomic<int> bad_rows{0};
  for (int k = 0; k < 3; ++k)
    callers.emplace_back([&] {
      for (int t = 0; t < per_thread; ++t) {
        auto b = envs.step({"a", "b"});
        for (int r = 0; r < b->rows; ++r) bad_rows += b->env_id[static_cast<size_t>(r)] != r;
      }
    });
  for (auto& c : callers) c.join();
  auto last = envs.step({"a", "b"});
  for (int r = 0; r < 2; ++r) CHECK_EQ(last->step[static_cast<size_t>(r)], 3 * per_thread + 1);
  CHECK_EQ(bad_rows.load(), 0);
}

TEST(concurrent_sync_async_and_reads_never_corrupt) {
  auto shared = make_shared_state(6, 16);
  BatchConfig cfg;
  cfg.num_envs = 1;
  cfg.num_threads = 1;
  cfg.history = 4;
  AskBatchedEnv envs(shared, cfg);
  envs.reset();
  const int max_steps = shared->episodes[0]->max_steps;
  const char* kinds[] = {"navigate(kitchen counter)", "ask(where is it?)", "pick(cup)", "open(fridge)",
                         "navigate(sofa)", "ask(what color is it?)"};
  std::atomic<int> stepped{0}, refused{0}, read{0}, async_rounds{0}, bad{0};
  auto check_batch = [&](const BatchBuffer& b) {
    for (int r = 0; r < b.rows; ++r) {
      const size_t i = static_cast<size_t>(r);
      bool known = b.last_action[i * kActionChars] == 0;
      for (const char* k : kinds) known |= std::strncmp(&b.last_action[i * kActionChars], k, kActionChars) == 0;
      if (!known || b.env_id[i] != 0 || b.step[i] < 0 || b.step[i] > max_steps || b.frame_count[i] > 4) ++bad;
    }
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k)
    threads.emplace_back([&, k] {
      // 1500 tries, then on until one step got through (a thread can lose every race to the async caller)
      for (int t = 0; t < 1500 || (stepped.load() == 0 && t < 1000000); ++t) {
        try {
          check_batch(*envs.step({kinds[(t * 7 + k) % 6]}));
          ++stepped;
        } catch (const std::runtime_error&) {
          ++refused;  // async actions were in flight
        }
      }
    });
  threads.emplace_back([&] {
    for (int t = 0; t < 1500 || (read.load() == 0 && t < 1000000); ++t) {  // as above: until one read got in
      try {
        envs.with_env(0, [&](AskEnvSlot& s) { read += !s.env().world().receptacles.empty(); return 0; });
      } catch (const std::runtime_error&) {
        ++refused;  // the env was in flight
      }
    }
  });
  threads.emplace_back([&] {
    for (int t = 0; t < 300; ++t) {
      envs.send({kinds[t % 6]}, {0});
      check_batch(*envs.recv());
      ++async_rounds;
    }
  });
  for (auto& t : threads) t.join();
  CHECK_EQ(bad.load(), 0);
  CHECK(stepped.load() > 0);
  CHECK_EQ(async_rounds.load(), 300);
  CHECK(read.load() > 0);
}

// As in Gymnasium, reset with a seed fixes the whole sequence of episodes (autoresets included), whatever the
// manager played before: the same as a fresh manager built with that seed.
TEST(reset_with_a_seed_restarts_the_episode_sequence) {
  auto shared = make_shared_state(30, 0);
  for (Sampling sampling : {Sampling::Strided, Sampling::Random}) {
    auto played = [&](uint64_t built_with, int prior, bool seeded) {
      BatchConfig cfg;
      cfg.num_envs = 3;
      cfg.sampling = sampling;
      cfg.seed = built_with;
      AskBatchedEnv envs(shared, cfg);
      for (int k = 0; k < prior; ++k) envs.reset();
      std::vector<int> seen;
      auto b = seeded ? envs.reset({}, {}, uint64_t{5}) : envs.reset();
      for (int k = 0; k < 6; ++k) {
        for (int r = 0; r < b->rows; ++r) seen.push_back(b->episode[static_cast<size_t>(r)]);
        b = envs.reset();  // each env's next episode, as an autoreset takes it
      }
      return seen;
    };
    const std::vector<int> fresh = played(5, 0, false);
    CHECK(played(5, 0, true) == fresh);  // a seed equal to the built one changes nothing
    CHECK(played(5, 4, true) == fresh);
    CHECK(played(9, 7, true) == fresh);
    CHECK(played(5, 4, false) != fresh);  // without a seed, each env goes on with its sequence
  }
  // a seed for some envs restarts only theirs
  BatchConfig cfg;
  cfg.num_envs = 2;
  AskBatchedEnv envs(shared, cfg);
  envs.reset();
  envs.reset();
  CHECK_EQ(envs.reset({1}, {}, uint64_t{0})->episode[0], 1);  // env 1 played 1, 3, and restarts at 1
  auto b = envs.reset();
  CHECK_EQ(b->episode[0], 4);  // env 0 went on: 0, 2, then 4
  CHECK_EQ(b->episode[1], 3);
}

TEST(thread_counts_are_checked_and_capped) {
  auto shared = make_shared_state(4, 0);
  BatchConfig cfg;
  cfg.num_envs = 2;
  cfg.num_threads = 1000;
  AskBatchedEnv capped(shared, cfg);
  CHECK_EQ(capped.config().num_threads, 2);  // more threads than envs would only idle
  cfg.num_threads = 0;
  CHECK(AskBatchedEnv(shared, cfg).config().num_threads <= 2);
  for (int bad : {-1, -1000}) {
    cfg.num_threads = bad;
    std::string what;
    try { AskBatchedEnv x(shared, cfg); } catch (const std::invalid_argument& e) { what = e.what(); }
    CHECK(what.find("num_threads must be >= 0") != std::string::npos);
  }
  cfg.num_threads = 1;
  cfg.batch_size = -1;
  std::string what;
  try { AskBatchedEnv x(shared, cfg); } catch (const std::invalid_argument& e) { what = e.what(); }
  CHECK(what.find("batch_size must be in [0, num_envs]") != std::string::npos);
}

#include "check.h"
#include "episode_gen.h"
#include "episode_json.h"
#include "fixtures.h"
#include "hypotheses.h"
#include "instruction.h"

using namespace a2a;

TEST(k_by_hand) {
  // Three cups differing in color; goal named -> one color question identifies it.
  Episode e = a2a_test::cups_episode(false);
  CHECK_EQ(finalize_episode(e, false), std::string());
  CHECK_EQ(e.hypotheses.size(), size_t(3));
  CHECK_EQ(e.K, 1);
  // Naming the color leaves one candidate: K = 0.
  Episode f = a2a_test::cups_episode(true);
  CHECK_EQ(finalize_episode(f, false), std::string());
  CHECK_EQ(f.K, 0);
  // Placement left open too ("one of the tables" with two tables, one holding cups): still
  // single-question-per-dimension, but the table holding a cup cannot be its own goal.
  Episode g = a2a_test::cups_episode(false);
  g.spec.goal_receptacle = -1;
  g.spec.goal_type = find_receptacle_type("table");
  g.goal = 1;  // the light table
  CHECK_EQ(finalize_episode(g, false), std::string());
  // cups 0,1 on the dark table -> goal light table only; cup 3 on the light table -> dark table.
  CHECK_EQ(g.hypotheses.size(), size_t(3));
  CHECK_EQ(g.K, 1);
}

TEST(k_needs_two_questions) {
  // Four cups on one table: {red, blue} x {small, large}. Color and size must both be asked.
  Episode e = a2a_test::cups_episode(false);
  e.world.objects = {a2a_test::obj("cup", "red", "small", 0, 0), a2a_test::obj("cup", "red", "large", 0, 1),
                     a2a_test::obj("cup", "blue", "small", 0, 2), a2a_test::obj("cup", "blue", "large", 0, 3)};
  e.target = 2;
  CHECK_EQ(finalize_episode(e, false), std::string());
  CHECK_EQ(e.K, 2);
  // Stored K must match the computed one.
  e.K = 1;
  CHECK(finalize_episode(e, true).find("K: stored 1, computed 2") != std::string::npos);
}

TEST(validation_names_the_field) {
  Episode e = a2a_test::cups_episode(false);
  e.world.receptacles[1].name = "dark table";
  CHECK(finalize_episode(e, false).find("world.receptacles[1].name") == 0);
  Episode f = a2a_test::cups_episode(false);
  f.world.objects[1].slot = 0;  // collides with object 0
  CHECK(finalize_episode(f, false).find("world.objects[1].slot") == 0);
  Episode g = a2a_test::cups_episode(false);
  g.target = 2;  // a bowl, not a cup
  CHECK(finalize_episode(g, false).find("spec:") == 0);
}

TEST(generated_splits_have_the_promised_properties) {
  DatasetConfig cfg;
  for (int& c : cfg.counts) c = 0;
  cfg.counts[static_cast<int>(Split::Train)] = 150;
  cfg.counts[static_cast<int>(Split::ValUnseenScenes)] = 40;
  cfg.counts[static_cast<int>(Split::ValUnseenTasks)] = 40;
  auto train = generate_split(cfg, Split::Train);
  auto scenes = generate_split(cfg, Split::ValUnseenScenes);
  auto tasks = generate_split(cfg, Split::ValUnseenTasks);
  CHECK_EQ(train.size(), size_t(150));
  int k0 = 0, kmax = 0;
  for (const Episode& e : train) {
    CHECK(!held_out_layout(layout_signature(e.world)));
    CHECK(e.template_id < kNumSeenTemplates);
    CHECK((e.ambiguity == kAmbNone) == (e.K == 0));
    k0 += e.K == 0;
    kmax = std::max(kmax, e.K);
  }
  CHECK(k0 > 5);
  CHECK(kmax >= 2);
  for (const Episode& e : scenes) CHECK(held_out_layout(layout_signature(e.world)));
  for (const Episode& e : tasks) {
    CHECK(e.template_id >= kNumSeenTemplates);
    CHECK(e.K >= 2);
    bool held_out = false;
    for (uint32_t c : held_out_combinations()) held_out |= c == e.ambiguity;
    CHECK(held_out);
  }
  // Same config, same episodes.
  auto again = generate_split(cfg, Split::Train);
  CHECK_EQ(episode_to_json(again[17]), episode_to_json(train[17]));
}

TEST(json_round_trip_and_errors) {
  DatasetConfig cfg;
  cfg.counts[static_cast<int>(Split::Train)] = 20;
  auto eps = generate_split(cfg, Split::Train);
  std::string text;
  for (const Episode& e : eps) text += episode_to_json(e) + "\n";
  auto back = parse_episodes_jsonl(text);
  CHECK_EQ(back.size(), eps.size());
  for (size_t i = 0; i < eps.size(); ++i) CHECK_EQ(episode_to_json(back[i]), episode_to_json(eps[i]));

  std::string line = episode_to_json(eps[3]);
  auto error_of = [](const std::string& t) {
    try {
      parse_episodes_jsonl(t);
    } catch (const EpisodeFormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string bad_color = line;
  size_t at = bad_color.find("\"color\":\"", bad_color.find("\"objects\""));
  bad_color.replace(at, 9, "\"color\":\"x");
  CHECK(error_of("\n" + bad_color).find("line 2: world.objects[0].color: unknown color") == 0);
  CHECK(error_of(line + "\n{\"format\":") .find("line 2: (json): column") == 0);
  CHECK(error_of(line + "\n" + line).find("appears twice") != std::string::npos);
  std::string no_target = line;
  no_target.replace(no_target.find("\"target\""), 8, "\"tarxet\"");
  CHECK(error_of(no_target).find("line 1: target: missing") == 0);
}

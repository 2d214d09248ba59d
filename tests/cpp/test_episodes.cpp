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

// Strings must be valid UTF-8 text and fields distinct; errors name the line and the field.
TEST(json_rejects_bad_text_and_duplicate_fields) {
  DatasetConfig cfg;
  cfg.counts[static_cast<int>(Split::Train)] = 4;
  auto eps = generate_split(cfg, Split::Train);
  const std::string line = episode_to_json(eps[1]);
  auto error_of = [](const std::string& t) {
    try {
      parse_episodes_jsonl(t);
    } catch (const EpisodeFormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto with_instruction = [&](const std::string& raw) {
    std::string l = line;
    const size_t at = l.find("\"instruction\":\"") + 15;
    l.insert(at, raw);
    return l;
  };
  CHECK(error_of(with_instruction("\xff")).find("line 1: instruction: column") == 0);
  CHECK(error_of(with_instruction("\xff")).find("invalid UTF-8 (byte \\xff)") != std::string::npos);
  CHECK(error_of(with_instruction("\xc3")).find("invalid UTF-8") != std::string::npos);          // truncated sequence
  CHECK(error_of(with_instruction("\xc0\xaf")).find("invalid UTF-8") != std::string::npos);      // overlong '/'
  CHECK(error_of(with_instruction("\xed\xa0\x80")).find("invalid UTF-8") != std::string::npos);  // encoded surrogate
  CHECK(error_of(with_instruction("\\uD800")).find("instruction: column") != std::string::npos);
  CHECK(error_of(with_instruction("\\uD800")).find("lone UTF-16 surrogate \\uD800") != std::string::npos);
  CHECK(error_of(with_instruction("\\uDC00x")).find("lone UTF-16 surrogate") != std::string::npos);
  CHECK(error_of(with_instruction("\\uFEFF")).find("byte order mark") != std::string::npos);
  CHECK(error_of(with_instruction("\xef\xbb\xbf")).find("byte order mark") != std::string::npos);
  CHECK(error_of(with_instruction("\\u0000")).find("NUL") != std::string::npos);
  CHECK(error_of("\xef\xbb\xbf" + line).find("line 1: (json): column 1: byte order mark") == 0);
  CHECK(error_of("\n\x01").find("line 2: (json): column 1: unexpected character '\\x01'") == 0);
  // Valid text passes, and an escaped pair is one code point (U+1F600, 4 bytes of UTF-8).
  CHECK_EQ(error_of(with_instruction("caf\xc3\xa9 \\ud83d\\ude00 ")), std::string("no error"));
  CHECK(parse_episodes_jsonl(with_instruction("\\ud83d\\ude00"))[0].instruction.rfind("\xf0\x9f\x98\x80", 0) == 0);

  std::string room = line;
  const size_t rooms_at = room.find("\"rooms\":[\"") + 10;
  room.insert(rooms_at, "\xfe");
  CHECK(error_of(room).find("line 1: world.rooms[0]: column") == 0);
  std::string no_rooms = line;  // said as such, not as a start room out of range [0, 0]
  const size_t list_at = no_rooms.find("\"rooms\":[") + 9;
  no_rooms.erase(list_at, no_rooms.find(']', list_at) - list_at);
  CHECK_EQ(error_of(no_rooms), std::string("line 1: world.rooms: empty (a world needs at least one room)"));

  std::string dup = line;
  dup.insert(1, "\"K\":0,");
  CHECK(error_of(dup).find("line 1: K: column") == 0);
  CHECK(error_of(dup).find("duplicate field") != std::string::npos);
  std::string dup_nested = line;
  const size_t rec_at = dup_nested.find("{\"name\":");
  dup_nested.insert(rec_at + 1, "\"open\":true,");
  CHECK(error_of(dup_nested).find("line 1: world.receptacles[0].open: column") == 0);
}

TEST(episode_fields_reject_repeated_types_and_negative_templates) {
  DatasetConfig cfg;
  cfg.counts[static_cast<int>(Split::Train)] = 4;
  auto eps = generate_split(cfg, Split::Train);
  auto error_of = [](const std::string& t) {
    try {
      parse_episodes_jsonl(t);
    } catch (const EpisodeFormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (const Episode& e : eps) {
    std::string line = episode_to_json(e);
    std::string tmpl = line;
    const size_t at = tmpl.find("\"template\":") + 11;
    tmpl.replace(at, tmpl.find(',', at) - at, "-1");
    CHECK(error_of(tmpl).find("line 1: template: -1 out of range [0, ") == 0);
    if (e.ambiguity == 0) continue;
    const std::string label = ambiguity_label(e.ambiguity);
    std::string amb = line;
    const size_t a = amb.find("\"ambiguity\":\"") + 13;
    amb.insert(a + label.size(), "+" + label.substr(0, label.find('+')));
    CHECK(error_of(amb).find("line 1: ambiguity: '") == 0);
    CHECK(error_of(amb).find("names a type twice") != std::string::npos);
  }
}

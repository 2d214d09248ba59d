#include <limits>
#include <memory>

#include "check.h"
#include "env.h"
#include "episode_gen.h"
#include "fixtures.h"
#include "catalog.h"
#include "render.h"
#include <algorithm>

using namespace a2a;

TEST(user_answers_and_oracle_judge) {
  AskEnv env;
  env.reset(a2a_test::finalized(a2a_test::cups_episode(false)));  // blue cup wanted, K = 1
  env.step("ask(is it red?)");
  CHECK_EQ(env.last_answer(), std::string("No."));
  CHECK(env.last().useful);  // rules out the red cup
  env.step("ask(is it red?)");
  CHECK(!env.last().useful);  // nothing new
  env.step("ask(what color is it?)");
  CHECK_EQ(env.last_answer(), std::string("It is blue."));
  CHECK(env.last().useful);
  env.step("ask(where is it?)");
  CHECK_EQ(env.last_answer(), std::string("It is on the dark table in the kitchen."));
  CHECK(!env.last().useful);  // already identified
  env.step("ask(where should i put it?)");
  CHECK_EQ(env.last_answer(), std::string("Please put it on the coffee table."));
  env.step("ask(is the mug blue?)");
  CHECK_EQ(env.last_answer(), std::string("I asked for the cup."));
  env.step("ask(tell me a joke)");
  CHECK_EQ(env.last_answer(), std::string("I don't understand."));
  CHECK_EQ(env.questions(), 7);
  CHECK_EQ(env.useful_questions(), 2);
}

TEST(question_rewards_respect_the_budget) {
  RewardConfig r;
  r.budget_delta = 1;  // B = K + 1 = 2
  AskEnv env(r);
  env.reset(a2a_test::finalized(a2a_test::cups_episode(false)));
  env.step("ask(is it red?)");  // useful, within budget
  CHECK_EQ(env.last().terms[kRewardQuestion], r[kRewardQuestion]);
  CHECK_EQ(env.last().terms[kRewardOverBudget], 0.f);
  env.step("ask(is it red?)");  // not useful, within budget: free
  CHECK_EQ(env.last().terms[kRewardQuestion], 0.f);
  CHECK_EQ(env.last().terms[kRewardOverBudget], 0.f);
  env.step("ask(is it blue?)");  // useful but third: over budget
  CHECK_EQ(env.last().terms[kRewardQuestion], 0.f);
  CHECK_EQ(env.last().terms[kRewardOverBudget], r[kRewardOverBudget]);
  CHECK_EQ(env.last().reward, r[kRewardOverBudget] + r[kRewardSlack]);
}

TEST(fetch_succeeds_with_subgoals) {
  RewardConfig r;
  AskEnv env(r);
  env.reset(a2a_test::finalized(a2a_test::cups_episode(true)));
  env.step("navigate(dark table)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // target seen
  env.step("pick(blue cup)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // target picked
  CHECK_EQ(env.world().held, 1);
  env.step("place(coffee table)");
  CHECK(env.last().invalid == Invalid::NotAtReceptacle);
  CHECK_EQ(env.last().terms[kRewardInvalid], r[kRewardInvalid]);
  env.step("navigate(coffee table)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // at goal with target
  env.step("place(coffee table)");
  CHECK(env.last().success && env.last().terminated && env.done());
  CHECK_EQ(env.last().terms[kRewardSuccess], r[kRewardSuccess]);
  env.step("navigate(sofa)");
  CHECK(env.last().invalid == Invalid::EpisodeOver);
}

TEST(wrong_delivery_is_a_failure) {
  AskEnv env;
  env.reset(a2a_test::finalized(a2a_test::cups_episode(false)));
  env.step("navigate(dark table)");
  env.step("pick(red cup)");
  env.step("navigate(coffee table)");
  env.step("place(coffee table)");
  CHECK(env.last().failure && env.last().terminated && !env.last().success);
}

TEST(invalid_actions_change_nothing) {
  AskEnv env;
  env.reset(a2a_test::finalized(a2a_test::cups_episode(false)));
  env.step("navigate(fridge)");
  env.step("pick(red apple)");
  CHECK(env.last().invalid == Invalid::ReceptacleClosed);
  env.step("close(fridge)");
  CHECK(env.last().invalid == Invalid::AlreadyClosed);
  env.step("open(dark table)");
  CHECK(env.last().invalid == Invalid::NotAtReceptacle);
  env.step("open(fridge)");
  CHECK(env.last().invalid == Invalid::None);
  env.step("pick(cup)");
  CHECK(env.last().invalid == Invalid::NoMatchingObject);
  env.step("navigate(dark table)");
  env.step("pick(cup)");
  CHECK(env.last().invalid == Invalid::AmbiguousObject);
  env.step("pick(red cup)");
  env.step("pick(blue cup)");
  CHECK(env.last().invalid == Invalid::HandsFull);
  CHECK_EQ(env.invalid_actions(), 6);
  const char* garbage[] = {"", "(", ")", "pick", "pick()", "ask()", "navigate(\xff\xfe)", "place(((((", "\n\t"};
  for (const char* g : garbage) {
    env.step(g);
    CHECK(env.last().invalid != Invalid::None);
  }
}

TEST(step_limit_truncates) {
  Episode e = a2a_test::cups_episode(false);
  e.max_steps = 3;
  AskEnv env;
  env.reset(a2a_test::finalized(e));
  env.step("ask(is it red?)");
  env.step("ask(is it red?)");
  CHECK(!env.done());
  env.step("ask(is it red?)");
  CHECK(env.last().truncated && !env.last().terminated && env.done());
}

TEST(oracle_question_asks_k_questions) {
  // Four cups {red, blue} x {small, large}: K = 2, and the oracle's questions achieve it.
  Episode e = a2a_test::cups_episode(false);
  e.world.objects = {a2a_test::obj("cup", "red", "small", 0, 0), a2a_test::obj("cup", "red", "large", 0, 1),
                     a2a_test::obj("cup", "blue", "small", 0, 2), a2a_test::obj("cup", "blue", "large", 0, 3)};
  e.target = 2;
  AskEnv env;
  env.reset(a2a_test::finalized(e));
  int remaining = 0, asked = 0;
  std::string q;
  while (!(q = env.oracle_question(&remaining)).empty()) {
    CHECK_EQ(remaining, 2 - asked);
    env.step("ask(" + q + ")");
    CHECK(env.last().useful);
    ++asked;
  }
  CHECK_EQ(asked, 2);
  CHECK_EQ(__builtin_popcountll(env.consistent()), 1);
}

TEST(oracle_questions_are_in_the_scene_vocabulary) {
  // Every question the oracle asks is one the policy can produce (constrained decoding, SFT).
  DatasetConfig cfg;
  cfg.counts[static_cast<int>(Split::Train)] = 60;
  int missing = 0, asked = 0;
  for (Episode& e : generate_split(cfg, Split::Train)) {
    std::vector<std::string> vocab = canonical_actions(e.world);
    AskEnv env;
    env.reset(std::make_shared<Episode>(std::move(e)));
    int remaining = 0;
    std::string q;
    while (!(q = env.oracle_question(&remaining)).empty()) {
      std::string a = "ask(" + q + ")";
      missing += std::find(vocab.begin(), vocab.end(), a) == vocab.end();
      ++asked;
      env.step(a);
    }
  }
  CHECK(asked > 30);
  CHECK_EQ(missing, 0);
}

TEST(reward_table_defines_every_term_once) {
  RewardConfig r;
  for (int t = 0; t < kNumRewardTerms; ++t) {
    const RewardTermInfo& info = reward_term_info(t);
    CHECK_EQ(reward_term_index(info.name), t);
    CHECK_EQ(r.weight[t], info.default_weight);
    CHECK(!info.penalty || info.default_weight <= 0.f);
  }
  CHECK_EQ(reward_term_index("nope"), -1);
  r.weight[kRewardSlack] = 0.5f;
  CHECK(std::string(validate(r)) == "slack is a penalty and must be <= 0");
  // NaN passes every comparison (a penalty's `> 0` too) and inf makes returns NaN: neither is a weight
  r = RewardConfig{};
  r.weight[kRewardSlack] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::string(validate(r)) == "slack must be a finite number, got nan");
  r = RewardConfig{};
  r.weight[kRewardSuccess] = std::numeric_limits<float>::infinity();
  CHECK(std::string(validate(r)) == "success must be a finite number, got inf");
  r.weight[kRewardSuccess] = -std::numeric_limits<float>::infinity();
  CHECK(std::string(validate(r)) == "success must be a finite number, got -inf");
}

// The labels a viewer puts over a frame come from Renderer::layout: each item's box must cover what
// is drawn for it — a receptacle block in its finish, an object's pixels in its color.
TEST(view_layout_boxes_cover_what_is_drawn) {
  RenderConfig rc;
  rc.width = rc.height = 96;
  Renderer renderer(rc);
  std::vector<uint8_t> px(static_cast<size_t>(rc.width) * rc.height * 3);
  auto pixel = [&](double fx, double fy) {
    int x = std::min(rc.width - 1, static_cast<int>(fx * rc.width)), y = std::min(rc.height - 1, static_cast<int>(fy * rc.height));
    const uint8_t* p = px.data() + (static_cast<size_t>(y) * rc.width + x) * 3;
    return Rgb{p[0], p[1], p[2]};
  };
  auto same = [](Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; };
  DatasetConfig cfg;
  cfg.counts[static_cast<int>(Split::Train)] = 12;
  int rooms_seen = 0, objects_seen = 0;
  for (Episode& e : generate_split(cfg, Split::Train)) {
    World w = e.world;
    // The start: the room's receptacles as blocks, left to right.
    renderer.render(w, px.data());
    std::vector<ViewItem> items = renderer.layout(w);
    int in_room = 0;
    for (const Receptacle& r : w.receptacles) in_room += r.room == w.robot_room;
    CHECK_EQ(static_cast<int>(items.size()), in_room);
    for (size_t k = 0; k < items.size(); ++k) {
      const ViewItem& v = items[k];
      CHECK(v.kind == ViewItem::Kind::Receptacle);
      CHECK(v.x0 >= 0 && v.x1 <= 1 && v.x0 < v.x1 && v.y0 < v.y1);
      if (k) CHECK(items[k - 1].x1 < v.x0);  // left to right, apart
      CHECK(same(pixel((v.x0 + v.x1) / 2, (v.y0 + v.y1) / 2), finishes()[w.receptacles[static_cast<size_t>(v.index)].finish].color));
    }
    ++rooms_seen;
    // At each receptacle (opened): the receptacle, then its objects numbered left to right.
    for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r) {
      World at = w;
      at.robot_at = r;
      at.robot_room = at.receptacles[static_cast<size_t>(r)].room;
      at.receptacles[static_cast<size_t>(r)].open = true;
      renderer.render(at, px.data());
      items = renderer.layout(at);
      CHECK(!items.empty() && items[0].kind == ViewItem::Kind::Receptacle && items[0].index == r);
      int mark = 0, slot = -1;
      for (size_t k = 1; k < items.size(); ++k) {
        const ViewItem& v = items[k];
        CHECK(v.kind == ViewItem::Kind::Object);
        const Object& o = at.objects[static_cast<size_t>(v.index)];
        CHECK_EQ(o.receptacle, r);
        CHECK(o.slot > slot);
        slot = o.slot;
        CHECK_EQ(v.mark, ++mark);
        bool colored = false;  // some pixel of the box has the object's color
        for (double fy = v.y0; fy < v.y1 && !colored; fy += 1.0 / rc.height)
          for (double fx = v.x0; fx < v.x1 && !colored; fx += 1.0 / rc.width) colored = same(pixel(fx, fy), color_values()[o.color]);
        CHECK(colored);
        ++objects_seen;
      }
      at.receptacles[static_cast<size_t>(r)].open = false;  // closed: no objects in view
      if (at.is_articulated(r)) CHECK_EQ(renderer.layout(at).size(), static_cast<size_t>(1));
    }
  }
  CHECK(rooms_seen == 12 && objects_seen > 20);
  // Without rendering the layout is still given (at 128 x 128).
  Renderer off(RenderConfig{0, 0, false});
  DatasetConfig one;
  one.counts[static_cast<int>(Split::Train)] = 1;
  World w = generate_split(one, Split::Train)[0].world;
  CHECK(!off.layout(w).empty());
}

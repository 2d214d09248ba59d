// Multi-object tasks (clean clutter, preference reasoning): generation, K against brute force,
// answers, usefulness, rewards, and the success and failure predicates.
#include <algorithm>
#include <map>
#include <memory>

#include "check.h"
#include "env.h"
#include "episode_gen.h"
#include "episode_json.h"
#include "fixtures.h"
#include "instruction.h"
#include "multi_gen.h"
#include "preference_user.h"

using namespace a2a;

namespace {


// The cups world (fixtures.h) with the coffee table (3) to tidy: a small green apple that belongs in the
// fridge (2) — out of place in the living room — a blue mug the user may want on one of the kitchen
// tables (0, 1), and a green book that stays. The user wants the mug on the light table.
Episode clean_clutter_episode() {
  Episode e = a2a_test::cups_episode(false);
  e.task = TaskType::CleanClutter;
  e.spec = TaskSpec{};
  World& w = e.world;
  w.objects.push_back(a2a_test::obj("apple", "green", "small", 3, 0));  // 5
  w.objects.push_back(a2a_test::obj("mug", "blue", "medium", 3, 1));   // 6
  w.objects.push_back(a2a_test::obj("book", "green", "large", 3, 2));  // 7
  MultiTask& m = e.multi;
  m.spec.area_receptacle = 3;
  m.prefs.places = {ObjectPlaces{5, {2}}, ObjectPlaces{6, {0, 1}}};
  m.prefs.options = {MoveOption{"", {5}}, MoveOption{"", {5, 6}}};
  m.targets = {Target{5, 2}, Target{6, 1}};
  e.instruction = "Clean up the clutter on the coffee table.";
  e.ambiguity = kAmbPreference | kAmbPlacement;
  e.max_steps = 30;
  return e;
}

// "Move the cups to the tables": three cups on the coffee table (3) and the sofa (4); the user wants
// only the red ones, the small one on the dark table (0) and the large one on the light table (1).
Episode preference_episode() {
  Episode e = a2a_test::cups_episode(false);
  e.task = TaskType::PreferenceReasoning;
  e.spec = TaskSpec{};
  World& w = e.world;
  w.objects = {a2a_test::obj("cup", "red", "small", 3, 0), a2a_test::obj("cup", "red", "large", 4, 0),
               a2a_test::obj("cup", "blue", "small", 3, 1), a2a_test::obj("apple", "red", "small", 2, 0)};
  MultiTask& m = e.multi;
  m.spec.category = find_category("cup");
  m.spec.goal_type = find_receptacle_type("table");
  m.prefs.places = {ObjectPlaces{0, {0, 1}}, ObjectPlaces{1, {0, 1}}, ObjectPlaces{2, {0, 1}}};
  m.prefs.options = {MoveOption{"all", {0, 1, 2}}, MoveOption{"color=red", {0, 1}}, MoveOption{"color=blue", {2}},
                     MoveOption{"size=small", {0, 2}}, MoveOption{"size=large", {1}}};
  m.targets = {Target{0, 0}, Target{1, 1}};
  e.instruction = "Move the cups to the tables.";
  e.ambiguity = kAmbPreference | kAmbPlacement;
  e.max_steps = 40;
  return e;
}

// K by brute force: minimax over every question given, no memo shortcuts beyond the mask.
struct BruteForce {
  std::vector<std::vector<HypothesisMask>> parts;  // per question: the answer classes
  std::map<HypothesisMask, int> memo;
  int k(HypothesisMask mask) {
    if (__builtin_popcountll(mask) <= 1) return 0;
    auto it = memo.find(mask);
    if (it != memo.end()) return it->second;
    int best = 1 << 20;
    for (const auto& ps : parts) {
      int worst = 0;
      bool splits = false;
      for (HypothesisMask p : ps) splits |= (p & mask) && (p & mask) != mask;
      if (!splits) continue;
      for (HypothesisMask p : ps)
        if (p & mask) worst = std::max(worst, k(p & mask));
      best = std::min(best, 1 + worst);
    }
    return memo[mask] = best;
  }
};

// Brute-force K of a multi-object episode over every question its action vocabulary can ask.
int brute_force_k(const Episode& e) {
  BruteForce bf;
  for (const std::string& a : episode_actions(e)) {
    if (a.rfind("ask(", 0) != 0) continue;
    Question q = episode_question(e, a.substr(4, a.size() - 5));
    std::map<int, HypothesisMask> classes;
    const int object = question_object(e.world, q);
    for (size_t i = 0; i < e.multi.assignments.size(); ++i)
      classes[multi_answer_code(e.world, q, object, object < 0 ? -1 : destination(e.multi.prefs, e.multi.assignments[i], object))] |= 1ull << i;
    std::vector<HypothesisMask> ps;
    for (auto& kv : classes) ps.push_back(kv.second);
    bf.parts.push_back(ps);
  }
  return bf.k(full_mask(e.multi.assignments.size()));
}

DatasetConfig multi_config(TaskType task, int train, int unseen_tasks) {
  DatasetConfig cfg;
  for (int& c : cfg.counts) c = 0;
  cfg.counts[static_cast<int>(Split::Train)] = train;
  cfg.counts[static_cast<int>(Split::ValUnseenTasks)] = unseen_tasks;
  cfg.multi_share = 1.0;
  cfg.multi_tasks = {task};
  return cfg;
}

}  // namespace

TEST(clean_clutter_hypotheses_answers_and_k) {
  EpisodePtr e = a2a_test::finalized(clean_clutter_episode());
  CHECK_EQ(e->multi.assignments.size(), size_t(3));  // apple to the fridge; the mug stays, or to either table
  CHECK_EQ(e->K, 1);                                  // "where should i put the blue mug?"
  CHECK_EQ(brute_force_k(*e), 1);
  AskEnv env;
  env.reset(e);
  CHECK_EQ(env.answer("should i move the small green apple?"), std::string("Yes."));
  CHECK_EQ(env.answer("where should i put the green book?"), std::string("Leave it where it is."));
  CHECK_EQ(env.answer("should i move the book too?"), std::string("No."));
  CHECK_EQ(env.answer("do you want the blue mug on the dark table?"), std::string("No."));
  CHECK_EQ(env.answer("where does the mug go?"), std::string("Please put it on the light table."));
  CHECK_EQ(env.answer("where is the blue mug?"), std::string("It is on the coffee table in the living room."));
  CHECK_EQ(env.answer("is it red?"), std::string("Which object do you mean? Please name it, like the red cup."));
  CHECK_EQ(env.answer("where is the cup?"), std::string("There is more than one of those; please give its size and color."));
  CHECK_EQ(env.answer("should i move the purple vase?"), std::string("There is no such object here."));
  CHECK_EQ(env.answer("what is the meaning of life?"), std::string("I don't understand."));
  // Usefulness: only answers that rule out an assignment still consistent.
  env.step("ask(should i move the green book?)");
  CHECK(env.last().asked && !env.last().useful);
  env.step("ask(should i move the blue mug?)");
  CHECK(env.last().useful);
  CHECK_EQ(__builtin_popcountll(env.consistent()), 2);
  env.step("ask(should i move the blue mug?)");
  CHECK(!env.last().useful);
  env.step("ask(where should i put the blue mug?)");
  CHECK(env.last().useful);
  CHECK_EQ(__builtin_popcountll(env.consistent()), 1);
  CHECK_EQ(env.last().question_type, static_cast<int>(QType::PlacementWH));
}

TEST(preference_reasoning_hypotheses_answers_and_k) {
  EpisodePtr e = a2a_test::finalized(preference_episode());
  CHECK_EQ(e->multi.assignments.size(), size_t(8 + 4 + 2 + 4 + 2));
  CHECK(e->K >= 3);
  CHECK_EQ(e->K, brute_force_k(*e));
  AskEnv env;
  env.reset(e);
  CHECK_EQ(env.answer("should i move the small blue cup?"), std::string("No."));
  CHECK_EQ(env.answer("should i move the large red cup?"), std::string("Yes."));
  CHECK_EQ(env.answer("where should i put the small red cup?"), std::string("Please put it on the dark table."));
  CHECK_EQ(env.answer("is the red cup small?"), std::string("There is more than one of those; please give its size and color."));
  CHECK_EQ(env.answer("is the large cup red?"), std::string("Yes."));  // a world fact about a named object
  // The oracle asks K questions, each useful, and ends with the truth alone.
  int remaining = 0, asked = 0;
  std::string q;
  while (!(q = env.oracle_question(&remaining)).empty()) {
    CHECK_EQ(remaining, e->K - asked);
    env.step("ask(" + q + ")");
    CHECK(env.last().useful);
    ++asked;
  }
  CHECK_EQ(asked, e->K);
  CHECK_EQ(env.consistent(), 1ull << e->multi.true_assignment);
}

TEST(multi_object_questions_are_unknown_in_fetch_episodes) {
  AskEnv env;
  env.reset(a2a_test::finalized(a2a_test::cups_episode(false)));
  for (const char* q : {"should i move the red cup?", "where should i put the red cup?", "where is the blue cup?",
                        "do you want the red cup on the sofa?", "should i move it?"}) {
    env.step(std::string("ask(") + q + ")");
    CHECK_EQ(env.last_answer(), std::string("I don't understand."));
    CHECK_EQ(env.last().question_type, static_cast<int>(QType::Unknown));
    CHECK(!env.last().useful);
  }
  // ... and the fetch vocabulary has none of them.
  const Episode& e = env.episode();
  std::vector<std::string> vocab = episode_actions(e);
  CHECK(vocab == canonical_actions(e.world));
}

TEST(clean_clutter_rewards_success_and_put_back) {
  RewardConfig r;
  AskEnv env(r);
  env.reset(a2a_test::finalized(clean_clutter_episode()));
  env.step("navigate(coffee table)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], 2 * r[kRewardSubgoal]);  // apple and mug seen
  env.step("pick(green book)");
  env.step("place(coffee table)");  // put back where it was: not a failure
  CHECK(!env.last().failure && !env.done());
  env.step("pick(green apple)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // picked
  env.step("navigate(fridge)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // at its goal holding it
  env.step("open(fridge)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // a needed receptacle opened
  env.step("place(fridge)");
  CHECK_EQ(env.last().terms[kRewardSubgoal], r[kRewardSubgoal]);  // delivered
  CHECK(!env.last().success && !env.done());
  CHECK_EQ(env.delivered(), 1);
  CHECK_EQ(env.num_targets(), 2);
  env.step("navigate(coffee table)");
  env.step("pick(blue mug)");
  env.step("navigate(light table)");
  env.step("place(light table)");
  CHECK(env.last().success && env.last().terminated && !env.last().failure);
  CHECK_EQ(env.last().terms[kRewardSuccess], r[kRewardSuccess]);
  CHECK_EQ(env.delivered(), 2);
}

TEST(moving_what_should_stay_or_delivering_to_a_rejected_place_fails) {
  RewardConfig r;
  {  // the green book should stay
    AskEnv env(r);
    env.reset(a2a_test::finalized(clean_clutter_episode()));
    env.step("navigate(coffee table)");
    env.step("pick(green book)");
    env.step("navigate(sofa)");
    env.step("place(sofa)");
    CHECK(env.last().failure && env.last().terminated && !env.last().success);
    CHECK_EQ(env.last().terms[kRewardFailure], r[kRewardFailure]);
  }
  {  // an object outside the task moved
    AskEnv env(r);
    env.reset(a2a_test::finalized(clean_clutter_episode()));
    env.step("navigate(dark table)");
    env.step("pick(red cup)");
    env.step("navigate(sofa)");
    env.step("place(sofa)");
    CHECK(env.last().failure);
  }
  {  // the mug to the table the user does not want it on
    AskEnv env(r);
    env.reset(a2a_test::finalized(clean_clutter_episode()));
    env.step("navigate(coffee table)");
    env.step("pick(blue mug)");
    env.step("navigate(dark table)");
    env.step("place(dark table)");
    CHECK(env.last().failure && !env.last().success);
  }
  {  // delivering one target of two is no success
    AskEnv env(r);
    env.reset(a2a_test::finalized(preference_episode()));
    env.step("navigate(coffee table)");
    env.step("pick(small red cup)");
    env.step("navigate(dark table)");
    env.step("place(dark table)");
    CHECK(!env.last().success && !env.last().failure && !env.done());
    env.step("navigate(coffee table)");
    env.step("pick(small blue cup)");  // the user wants only the red ones
    env.step("navigate(light table)");
    env.step("place(light table)");
    CHECK(env.last().failure);
  }
}

TEST(multi_object_validation_names_the_field) {
  auto error_of = [](Episode e) { return finalize_episode(e, false); };
  Episode a = clean_clutter_episode();
  a.multi.targets = {Target{6, 1}};  // the apple is out of place: every option moves it
  CHECK(error_of(a).find("targets: the objects to move are not one of preferences.options") == 0);
  Episode b = clean_clutter_episode();
  b.multi.targets[1].goal = 4;
  CHECK(error_of(b).find("targets[1].goal: 'sofa' is not among the object's places") == 0);
  Episode c = clean_clutter_episode();
  c.multi.prefs.places[0].object = 0;  // the red cup is on the dark table, not in the area
  CHECK(error_of(c).find("preferences.places[0].object: object 0 is not one the instruction is about") == 0);
  Episode d = clean_clutter_episode();
  d.multi.prefs.places[1].goals = {0, 3};
  CHECK(error_of(d).find("preferences.places[1].goals[1]: the object already stands there") == 0);
  Episode f = preference_episode();
  f.multi.prefs.places[0].goals = {0, 4};
  CHECK(error_of(f).find("is not a destination the instruction names") != std::string::npos);
  Episode g = preference_episode();
  g.multi.prefs.options.push_back(MoveOption{"again", {1, 0}});
  CHECK(error_of(g).find("preferences.options[5].objects: the same objects as an earlier option") == 0);
  Episode h = preference_episode();
  h.world.objects[2].color = find_color("red");
  h.world.objects[2].size = find_size("large");  // looks like cup 1
  CHECK(error_of(h).find("looks exactly like object") != std::string::npos);
  Episode k = preference_episode();
  k.K = 1;
  CHECK(finalize_episode(k, true).find("K: stored 1, computed") == 0);
}

TEST(multi_object_json_round_trip_and_errors) {
  Episode src = clean_clutter_episode();
  CHECK_EQ(finalize_episode(src, false), std::string());
  const std::string line = episode_to_json(src);
  CHECK(line.find("\"format\":\"a2a-episode/2\",\"task\":\"clean_clutter\"") == 1);
  Episode back;
  CHECK_EQ(episode_from_json(line, &back), std::string());
  CHECK_EQ(episode_to_json(back), line);
  CHECK_EQ(back.K, src.K);
  auto error_of = [](std::string t) {
    Episode e;
    return episode_from_json(t, &e);
  };
  auto with = [&line](const std::string& from, const std::string& to) {
    std::string t = line;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  CHECK(error_of(with("\"task\":\"clean_clutter\"", "\"task\":\"dusting\"")).find("task: unknown task 'dusting'") == 0);
  CHECK(error_of(with("\"targets\"", "\"targetz\"")).find("targets: missing") == 0);
  CHECK(error_of(with("{\"object\":6,\"goal\":\"light table\"}", "{\"object\":6,\"goal\":\"attic\"}"))
            .find("targets[1].goal: 'attic' is not in this world") == 0);
  CHECK(error_of(with("\"objects\":[5,6]", "\"objects\":[5,99]")).find("preferences.options[1].objects[1]: expected an object index") == 0);
  CHECK(error_of(with("\"format\":\"a2a-episode/2\"", "\"format\":\"a2a-episode/3\"")).find("format: 'a2a-episode/3' is not supported") == 0);
  // A /1 record cannot hold a multi-object task, and /2 reads a fetch task like /1.
  CHECK(error_of(with("\"format\":\"a2a-episode/2\",\"task\":\"clean_clutter\",", "\"format\":\"a2a-episode/1\",")).find("goal: missing") == 0);
  Episode fetch = a2a_test::cups_episode(false);
  CHECK_EQ(finalize_episode(fetch, false), std::string());
  std::string v1 = episode_to_json(fetch);
  CHECK(v1.find("\"format\":\"a2a-episode/1\",\"id\"") == 1);
  std::string v2 = v1;
  v2.replace(v2.find("\"a2a-episode/1\""), 15, "\"a2a-episode/2\",\"task\":\"fetch\"");
  Episode fetch_back;
  CHECK_EQ(episode_from_json(v2, &fetch_back), std::string());
  CHECK_EQ(episode_to_json(fetch_back), v1);
}

TEST(generated_clean_clutter_and_preference_episodes) {
  for (TaskType task : {TaskType::CleanClutter, TaskType::PreferenceReasoning}) {
    DatasetConfig cfg = multi_config(task, 60, 20);
    auto train = generate_split(cfg, Split::Train);
    auto tasks = generate_split(cfg, Split::ValUnseenTasks);
    CHECK_EQ(train.size(), size_t(60));
    int ambiguous = 0, brute_checked = 0;
    for (const Episode& e : train) {
      CHECK(e.task == task);
      CHECK(e.template_id >= 0 && e.template_id < kNumSeenMultiTemplates);
      CHECK((e.ambiguity == kAmbNone) == (e.K == 0));
      CHECK(e.multi.assignments.size() <= static_cast<size_t>(kMaxHypotheses));
      CHECK(e.max_steps >= kStepSlack * oracle_plan_length(e));
      CHECK_EQ(multi_oracle_dialogue_length(e.world, e.multi), e.K);
      const std::vector<int> scope = task_scope(e.world, task, e.multi.spec);
      for (const Target& t : e.multi.targets) CHECK(std::find(scope.begin(), scope.end(), t.object) != scope.end());
      ambiguous += e.K > 0;
      if (e.multi.assignments.size() <= 12 && brute_checked < 12) {  // K over the whole vocabulary agrees
        CHECK_EQ(brute_force_k(e), e.K);
        ++brute_checked;
      }
      Episode back;
      CHECK_EQ(episode_from_json(episode_to_json(e), &back), std::string());
    }
    CHECK(ambiguous > 30);
    CHECK(brute_checked >= 5);
    for (const Episode& e : tasks) {
      CHECK(e.template_id >= kNumSeenMultiTemplates);
      CHECK_EQ(e.ambiguity, static_cast<uint32_t>(kAmbPreference | kAmbPlacement));
      CHECK(e.K >= 2);
    }
  }
}

TEST(a_mixed_split_keeps_the_fetch_episodes_of_the_fetch_only_split) {
  DatasetConfig fetch_only;
  for (int& c : fetch_only.counts) c = 0;
  fetch_only.counts[static_cast<int>(Split::Train)] = 30;
  DatasetConfig mixed = fetch_only;
  mixed.multi_share = 0.25;
  auto a = generate_split(fetch_only, Split::Train);
  auto b = generate_split(mixed, Split::Train);
  size_t next = 0;
  int multi = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    CHECK_EQ(b[i].multi_object(), multi_object_position(static_cast<int>(i), 0.25));
    if (b[i].multi_object()) {
      ++multi;
      continue;
    }
    Episode same = a[next++];
    same.id = b[i].id;
    CHECK_EQ(episode_to_json(b[i]), episode_to_json(same));
  }
  CHECK_EQ(multi, 7);  // floor(30 * 0.25)
}

namespace {

// Plays the oracle's plan (its K questions, then every target's navigate/open/pick/navigate/open/place) on a
// fresh env, checks that every step is valid, that it succeeds within the episode's step limit, and that its
// length is oracle_plan_length; returns how many of the oracle's questions were missing from the action list.
int play_oracle_plan(Episode ep) {
  auto e = std::make_shared<Episode>(std::move(ep));
  std::vector<std::string> vocab = episode_actions(*e);
  AskEnv env;
  env.reset(e);
  int remaining = 0, asked = 0, missing = 0;
  std::string q;
  while (!(q = env.oracle_question(&remaining)).empty()) {
    missing += std::find(vocab.begin(), vocab.end(), "ask(" + q + ")") == vocab.end();
    env.step("ask(" + q + ")");
    ++asked;
  }
  CHECK_EQ(asked, e->K);
  std::vector<bool> open;
  for (const Receptacle& r : e->world.receptacles) open.push_back(r.open);
  const std::vector<Target> fetch = {Target{e->target, e->goal}};
  for (const Target& t : e->task == TaskType::Fetch ? fetch : e->multi.targets) {
    const World& w = env.world();
    const int src = w.objects[static_cast<size_t>(t.object)].receptacle;
    std::vector<std::string> plan = {"navigate(" + w.receptacles[static_cast<size_t>(src)].name + ")"};
    if (!open[static_cast<size_t>(src)]) plan.push_back("open(" + w.receptacles[static_cast<size_t>(src)].name + ")");
    open[static_cast<size_t>(src)] = true;
    plan.push_back("pick(" + describe_full(w.objects[static_cast<size_t>(t.object)]) + ")");
    plan.push_back("navigate(" + w.receptacles[static_cast<size_t>(t.goal)].name + ")");
    if (!open[static_cast<size_t>(t.goal)]) plan.push_back("open(" + w.receptacles[static_cast<size_t>(t.goal)].name + ")");
    open[static_cast<size_t>(t.goal)] = true;
    plan.push_back("place(" + w.receptacles[static_cast<size_t>(t.goal)].name + ")");
    for (const std::string& a : plan) {
      env.step(a);
      CHECK(env.last().invalid == Invalid::None);
    }
  }
  CHECK(env.success());
  CHECK_EQ(env.steps(), oracle_plan_length(*e));
  CHECK(env.steps() <= e->max_steps);
  return missing;
}

}  // namespace

TEST(oracle_plan_succeeds_on_generated_multi_object_episodes) {
  DatasetConfig cfg = multi_config(TaskType::CleanClutter, 30, 0);
  cfg.multi_tasks = {TaskType::CleanClutter, TaskType::PreferenceReasoning};
  int missing = 0;
  for (Episode& ep : generate_split(cfg, Split::Train)) missing += play_oracle_plan(std::move(ep));
  CHECK_EQ(missing, 0);
}

TEST(a_fetch_episodes_step_limit_is_at_least_the_oracles_plan) {
  DatasetConfig cfg;
  for (int& c : cfg.counts) c = 0;
  cfg.counts[static_cast<int>(Split::Train)] = 40;
  cfg.counts[static_cast<int>(Split::ValUnseenTasks)] = 20;  // K up to 4: the longest plans
  cfg.max_steps = 1;  // a floor the generator raises to each episode's plan
  int missing = 0, raised = 0;
  for (Split split : {Split::Train, Split::ValUnseenTasks})
    for (Episode& ep : generate_split(cfg, split)) {
      CHECK(ep.task == TaskType::Fetch);
      CHECK_EQ(ep.max_steps, oracle_plan_length(ep));
      raised += ep.max_steps > 1;
      missing += play_oracle_plan(std::move(ep));
    }
  CHECK_EQ(missing, 0);
  CHECK_EQ(raised, 60);
}

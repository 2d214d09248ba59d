// The robot's observed world (partial observability): it grows only with what was visible.
#include <memory>
#include <string>

#include "check.h"
#include "env.h"
#include "episode_gen.h"
#include "fixtures.h"
#include "observed.h"

using namespace a2a;

namespace {
EpisodePtr cups() {
  Episode e = a2a_test::cups_episode(false);
  std::string err = finalize_episode(e, false);
  if (!err.empty()) std::printf("fixture invalid: %s\n", err.c_str());
  return std::make_shared<Episode>(std::move(e));
}
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST(observed_starts_with_the_start_room_only) {
  AskEnv env;
  env.reset(cups());
  const std::string g = observed_graph_text(env.world(), env.observed());
  CHECK(has(g, "room: living room\n"));
  CHECK(!has(g, "room: kitchen"));
  CHECK(has(g, "receptacle: dark table (not visited yet)\n"));
  CHECK(!has(g, "object:"));
  CHECK_EQ(env.observed().objects_seen(), 0);
  CHECK(visible_objects(env.world()).empty());
}

TEST(observed_grows_with_visits_and_remembers) {
  AskEnv env;
  env.reset(cups());
  env.step("navigate(dark table)");
  std::string g = observed_graph_text(env.world(), env.observed());
  CHECK(has(g, "room: kitchen\n"));
  CHECK(has(g, "receptacle: dark table (table) in the kitchen"));
  CHECK(has(g, "object: medium red cup on the dark table (slot 0)\n"));
  CHECK(has(g, "object: small green bowl on the dark table (slot 2)\n"));
  CHECK(!has(g, "green cup"));  // on the light table, not visited
  CHECK_EQ(env.observed().objects_seen(), 3);
  CHECK_EQ(static_cast<int>(visible_objects(env.world()).size()), 3);
  CHECK_EQ(visible_objects(env.world())[1], 1);  // mark 2 is the blue cup (slot order)
  // A closed receptacle: visited, seen closed, contents unseen until opened.
  env.step("navigate(fridge)");
  g = observed_graph_text(env.world(), env.observed());
  CHECK(has(g, "receptacle: fridge (fridge) in the kitchen, closed"));
  CHECK(!has(g, "apple"));
  CHECK(visible_objects(env.world()).empty());
  env.step("open(fridge)");
  g = observed_graph_text(env.world(), env.observed());
  CHECK(has(g, "receptacle: fridge (fridge) in the kitchen, open"));
  CHECK(has(g, "apple in the fridge (slot 0)"));
  // Objects seen earlier stay in the graph after the robot moved on.
  CHECK(has(g, "medium red cup on the dark table"));
  // Picking and placing update the object's place as the robot did it.
  env.step("navigate(dark table)");
  env.step("pick(blue cup)");
  g = observed_graph_text(env.world(), env.observed());
  CHECK(has(g, "object: medium blue cup (held by the robot)\n"));
  CHECK(has(g, "holding the medium blue cup"));
  env.step("navigate(sofa)");
  env.step("place(sofa)");
  g = observed_graph_text(env.world(), env.observed());
  CHECK(has(g, "object: medium blue cup on the sofa (slot 0)\n"));
  CHECK_EQ(env.observed().objects_seen(), 4);  // the green cup is on the light table, never visited
  // A new episode forgets everything.
  env.reset(cups());
  CHECK_EQ(env.observed().objects_seen(), 0);
}

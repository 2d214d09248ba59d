#include "check.h"
#include "fixtures.h"
#include "grammar.h"

using namespace a2a;

TEST(parse_navigate_and_receptacle_names) {
  Episode e = a2a_test::cups_episode(false);
  SceneNames names(e.world);
  Action a = parse_action("navigate(dark table)", names);
  CHECK(a.type == ActionType::Navigate);
  CHECK_EQ(a.receptacle, 0);
  CHECK_EQ(parse_action("  Navigate( The  Light Table ) ", names).receptacle, 1);
  CHECK(parse_action("navigate(kitchen)", names).invalid == Invalid::UnknownReceptacle);
  CHECK(parse_action("navigate dark table", names).invalid == Invalid::Unparseable);
  CHECK(parse_action("fly(dark table)", names).invalid == Invalid::UnknownVerb);
  CHECK(parse_action("open()", names).invalid == Invalid::EmptyArgument);
  CHECK(parse_action(std::string(300, 'x'), names).invalid == Invalid::TooLong);
  CHECK(parse_action("", names).invalid == Invalid::Unparseable);
  CHECK(parse_action(")(", names).invalid == Invalid::Unparseable);
}

TEST(parse_object_descriptions) {
  ObjectDesc d;
  CHECK(parse_object_desc("small red cup", &d));
  CHECK_EQ(d.size, find_size("small"));
  CHECK_EQ(d.color, find_color("red"));
  CHECK_EQ(d.category, find_category("cup"));
  CHECK(parse_object_desc("toy car", &d) && d.category == find_category("toy car") && d.color < 0);
  CHECK(parse_object_desc("large teddy bear", &d) && d.size == find_size("large"));
  CHECK(!parse_object_desc("red", &d));           // no category
  CHECK(!parse_object_desc("shiny red cup", &d)); // unknown word
  CHECK(!parse_object_desc("red blue cup", &d));  // two colors
}

TEST(parse_every_question_template) {
  Episode e = a2a_test::cups_episode(false);
  SceneNames n(e.world);
  auto type = [&](const char* q) { return parse_question(q, n).type; };
  CHECK(type("is it red?") == QType::ColorYN);
  CHECK(type("Is the cup blue?") == QType::ColorYN);
  CHECK(type("is it the small red cup?") == QType::ColorYN);
  CHECK(type("is the white cup the target object?") == QType::ColorYN);
  CHECK(type("is it large?") == QType::SizeYN);
  CHECK(type("is it on the dark table?") == QType::ReceptacleYN);
  CHECK(type("is the cup in the fridge?") == QType::ReceptacleYN);
  CHECK(type("is it in the kitchen?") == QType::RoomYN);
  CHECK(type("is it next to the green bowl?") == QType::NeighborYN);
  CHECK(type("should i put it on the sofa?") == QType::PlacementYN);
  CHECK(type("what color is it?") == QType::ColorWH);
  CHECK(type("what size is the cup?") == QType::SizeWH);
  CHECK(type("how big is it?") == QType::SizeWH);
  CHECK(type("where is the cup located?") == QType::LocationWH);
  CHECK(type("where is it?") == QType::LocationWH);
  CHECK(type("where should I place it?") == QType::PlacementWH);
  CHECK(type("where does it go?") == QType::PlacementWH);
  CHECK(type("what is the meaning of life?") == QType::Unknown);
  CHECK(type("is it on the moon?") == QType::Unknown);
  CHECK(type("") == QType::Unknown);
  CHECK(parse_question("is the mug red?", n).referent == find_category("mug"));
}

TEST(canonical_actions_parse_back_to_themselves) {
  Episode e = a2a_test::cups_episode(false);
  SceneNames n(e.world);
  std::vector<std::string> all = canonical_actions(e.world);
  CHECK(all.size() > 40 && all.size() < 500);
  int bad = 0;
  for (const std::string& s : all) {
    Action a = parse_action(s, n);
    if (a.type == ActionType::Invalid || action_text(a, e.world) != s) ++bad;
    if (a.type == ActionType::Ask && a.question.type == QType::Unknown) ++bad;
  }
  CHECK_EQ(bad, 0);
}

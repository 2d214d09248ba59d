#include "instruction.h"

#include "catalog.h"

namespace a2a {
namespace {

struct Template {
  const char* text;
  bool to_style;  // goal as "to the X" rather than "on the X"
};

const Template kTemplates[kNumTemplates] = {
    {"Bring the {object} and place it {goal}.", false},
    {"Please put the {object} {goal}.", false},
    {"Take the {object} {goal}.", true},
    {"Can you fetch the {object} and leave it {goal}?", false},
    {"Move the {object} {goal}.", true},
    {"Grab the {object} and set it {goal}.", false},
    {"I need the {object} {goal}.", false},
    {"Could you carry the {object} {goal}, please?", true},
    // held out: unseen tasks
    {"Find the {object} and put it {goal} for me.", false},
    {"Would you bring the {object} over {goal}?", true},
};

std::string object_phrase(const World& w, const TaskSpec& s) {
  std::string p;
  auto add = [&p](const std::string& x) { p += (p.empty() ? "" : " ") + x; };
  if (s.size >= 0) add(size_names()[s.size]);
  if (s.color >= 0) add(color_names()[s.color]);
  if (s.pattern > 0) add(pattern_names()[s.pattern]);
  add(object_categories()[s.category].name);
  if (s.receptacle >= 0) add("from the " + w.receptacles[s.receptacle].name);
  else if (s.room >= 0) add("from the " + room_name(w, s.room));
  return p;
}

std::string goal_phrase(const World& w, const TaskSpec& s, bool to_style) {
  if (s.goal_receptacle >= 0) {
    const Receptacle& r = w.receptacles[s.goal_receptacle];
    return (to_style ? std::string("to") : receptacle_types()[r.type].prep) + " the " + r.name;
  }
  const ReceptacleType& t = receptacle_types()[s.goal_type];
  return (to_style ? std::string("to") : t.prep) + " one of the " + t.plural;
}

std::string replace(std::string s, const std::string& key, const std::string& value) {
  size_t at = s.find(key);
  if (at != std::string::npos) s.replace(at, key.size(), value);
  return s;
}

}  // namespace

std::string template_pattern(int id) { return kTemplates[id].text; }

std::string render_instruction(const World& w, const TaskSpec& spec, int id) {
  const Template& t = kTemplates[id];
  std::string s = replace(t.text, "{object}", object_phrase(w, spec));
  return replace(s, "{goal}", goal_phrase(w, spec, t.to_style));
}

}  // namespace a2a

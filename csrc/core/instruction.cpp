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

namespace {

// {area}: "on the dark table" / "in the kitchen"; {area_name}: "the dark table" / "the kitchen".
const char* const kCleanClutterTemplates[kNumMultiTemplates] = {
    "Clean up the clutter {area}.",
    "Please tidy up {area_name}.",
    "Put away the things that don't belong {area}.",
    "Can you declutter {area_name}?",
    // held out: unseen tasks
    "Clear the mess {area}, please.",
    "Help me clean up {area_name}.",
};

// {group}: "the red cups" / "all of the dishes"; {to}: "to the dark shelf" / "to the drawers";
// {on}: "on the dark shelf" / "in the drawers".
const char* const kPreferenceTemplates[kNumMultiTemplates] = {
    "Move {group} {to}.",
    "Please put {group} {on}.",
    "Take {group} {to}.",
    "Can you bring {group} {to}?",
    // held out: unseen tasks
    "I'd like {group} moved {to}.",
    "Could you put {group} away {on}?",
};

std::string group_phrase(const MultiSpec& s) {
  std::string p = s.all ? "all of the" : "the";
  if (s.size >= 0) p += " " + size_names()[static_cast<size_t>(s.size)];
  if (s.color >= 0) p += " " + color_names()[static_cast<size_t>(s.color)];
  p += " " + (s.family >= 0 ? object_families()[static_cast<size_t>(s.family)].name : category_plural(s.category));
  return p;
}

std::string destination_phrase(const World& w, const MultiSpec& s, bool to_style) {
  if (s.goal_receptacle >= 0) {
    const Receptacle& r = w.receptacles[static_cast<size_t>(s.goal_receptacle)];
    return (to_style ? std::string("to") : receptacle_types()[r.type].prep) + " the " + r.name;
  }
  const ReceptacleType& t = receptacle_types()[static_cast<size_t>(s.goal_type)];
  return (to_style ? std::string("to") : t.prep) + " the " + t.plural;
}

}  // namespace

std::string render_multi_instruction(const World& w, TaskType task, const MultiSpec& spec, int id) {
  if (task == TaskType::CleanClutter) {
    std::string area, name;
    if (spec.area_receptacle >= 0) {
      area = location_phrase(w, spec.area_receptacle);
      name = "the " + w.receptacles[static_cast<size_t>(spec.area_receptacle)].name;
    } else {
      name = "the " + room_name(w, spec.area_room);
      area = "in " + name;
    }
    return replace(replace(kCleanClutterTemplates[id], "{area}", area), "{area_name}", name);
  }
  std::string s = replace(kPreferenceTemplates[id], "{group}", group_phrase(spec));
  return replace(replace(s, "{to}", destination_phrase(w, spec, true)), "{on}", destination_phrase(w, spec, false));
}

}  // namespace a2a

// Episode files: one JSON object per line (jsonl; the Python side adds gzip). The format is
// versioned and documented in docs/episodes.md: "a2a-episode/1" (fetch tasks) and its successor
// "a2a-episode/2" (adds "task": fetch, clean_clutter or preference_reasoning, and for multi-object
// tasks their spec, targets and preferences). Fetch episodes are still written as /1, so
// single-object files stay byte-identical; both versions are read. Reading validates every field and
// recomputes K; errors name the line and the field.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "episode.h"

namespace a2a {

constexpr const char* kEpisodeFormat = "a2a-episode/1";    // written for fetch episodes
constexpr const char* kEpisodeFormatV2 = "a2a-episode/2";  // written for multi-object episodes

class EpisodeFormatError : public std::runtime_error {
 public:
  EpisodeFormatError(int line, const std::string& field_and_message)
      : std::runtime_error("line " + std::to_string(line) + ": " + field_and_message), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

std::string episode_to_json(const Episode& e);
// Parses and finalizes one episode; returns "" or "field: message".
std::string episode_from_json(std::string_view line, Episode* out);
// Every non-blank line is an episode; throws EpisodeFormatError on the first bad one.
std::vector<Episode> parse_episodes_jsonl(std::string_view text);

}  // namespace a2a

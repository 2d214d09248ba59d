// Episode files: one JSON object per line (jsonl; the Python side adds gzip). The format is
// versioned ("format": "a2a-episode/1") and documented in docs/episodes.md. Reading validates
// every field and recomputes K; errors name the line and the field.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "episode.h"

namespace a2a {

constexpr const char* kEpisodeFormat = "a2a-episode/1";

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

// A small JSON reader/writer for episode files (no dependency, exact 64-bit integers, error
// messages with the column). Only what episode I/O needs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace a2a {

struct Json {
  enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  std::string text;  // String: the value; Number: the literal as written
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;

  const Json* get(std::string_view key) const;
  bool is_null() const { return type == Type::Null; }
};

// Parses one JSON document; on failure returns false and sets *error: "(json): column 17: expected ':'"
// for syntax, "world.rooms[2]: column 40: invalid UTF-8 (byte \xff)" for a bad value (strings must be
// valid UTF-8 without lone surrogates, NUL or byte order marks; an object's fields must be distinct).
bool parse_json(std::string_view text, Json* out, std::string* error);

// Appends a JSON string literal (quoted, escaped).
void append_json_string(std::string& out, std::string_view s);

}  // namespace a2a

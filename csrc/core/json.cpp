#include "json.h"

#include <cstdio>

namespace a2a {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool document(Json* out, std::string* error) {
    if (!value(out, 0)) {
      *error = error_;
      return false;
    }
    skip_ws();
    if (pos_ != s_.size()) {
      *error = "(json): " + at("unexpected text after the JSON value");
      return false;
    }
    return true;
  }

 private:
  static constexpr int kMaxDepth = 64;

  std::string at(const std::string& what) const { return "column " + std::to_string(pos_ + 1) + ": " + what; }
  // A syntax error: "(json): column N: what".
  bool fail(const std::string& what) {
    if (error_.empty()) error_ = "(json): " + at(what);
    return false;
  }
  // An error in the value of the field being read: "world.rooms[2]: column N: what".
  bool fail_field(const std::string& what) {
    if (!error_.empty()) return false;
    std::string path;
    for (const std::string& p : path_) path += (path.empty() || p[0] == '[' ? "" : ".") + p;
    error_ = (path.empty() ? "(json)" : path) + ": " + at(what);
    return false;
  }
  static std::string printable(unsigned char c) {
    if (c >= 0x20 && c < 0x7F) return std::string(1, static_cast<char>(c));
    char buf[8];
    std::snprintf(buf, sizeof(buf), "\\x%02x", c);
    return buf;
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool value(Json* out, int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    skip_ws();
    if (pos_ >= s_.size()) return fail("unexpected end of input");
    char c = s_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out->type = Json::Type::String;
      return string(&out->text);
    }
    if (literal("true")) { out->type = Json::Type::Bool; out->boolean = true; return true; }
    if (literal("false")) { out->type = Json::Type::Bool; out->boolean = false; return true; }
    if (literal("null")) { out->type = Json::Type::Null; return true; }
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    if (s_.substr(pos_, 3) == "\xEF\xBB\xBF") return fail("byte order mark (U+FEFF): save the file as UTF-8 without a BOM");
    return fail("unexpected character '" + printable(static_cast<unsigned char>(c)) + "'");
  }

  bool number(Json* out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    bool digits = false;
    while (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '.' || s_[pos_] == 'e' ||
                                s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-')) {
      digits |= s_[pos_] >= '0' && s_[pos_] <= '9';
      ++pos_;
    }
    if (!digits) return fail("malformed number");
    out->type = Json::Type::Number;
    out->text.assign(s_.substr(start, pos_ - start));
    return true;
  }

  // Length of the valid UTF-8 sequence starting at pos_ (lead byte >= 0x80), or 0 if invalid:
  // no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
  size_t utf8_length() const {
    auto byte = [this](size_t k) { return pos_ + k < s_.size() ? static_cast<unsigned char>(s_[pos_ + k]) : 0u; };
    auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(k) >= lo && byte(k) <= hi; };
    const unsigned b = byte(0);
    if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
    if (b == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if (b == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (b >= 0xE1 && b <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (b == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (b >= 0xF1 && b <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (b == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
  }

  static void append_utf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Four hex digits after "\\u" at pos_; -1 if malformed.
  long hex4() {
    if (pos_ + 4 > s_.size()) return -1;
    unsigned cp = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
      else return -1;
    }
    return static_cast<long>(cp);
  }

  // Strings must be valid UTF-8 text: raw bytes are validated, escapes decoded (surrogate pairs
  // combined); lone surrogates, U+0000 and byte order marks are rejected.
  bool string(std::string* out) {
    ++pos_;  // opening quote
    out->clear();
    while (pos_ < s_.size()) {
      const unsigned char u = static_cast<unsigned char>(s_[pos_]);
      if (u >= 0x80) {
        const size_t n = utf8_length();
        if (n == 0) return fail_field("invalid UTF-8 (byte " + printable(u) + ")");
        if (s_.substr(pos_, n) == "\xEF\xBB\xBF") return fail_field("byte order mark (U+FEFF) in a string");
        out->append(s_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      char c = s_[pos_++];
      if (c == '"') return true;
      if (u < 0x20) return fail_field("control character in string");
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          const size_t escape_at = pos_ - 2;
          long cp = hex4();
          if (cp < 0) return fail_field("bad \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            const size_t save = pos_;
            pos_ += 2;
            long lo = hex4();
            if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else pos_ = save;
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            pos_ = escape_at;
            return fail_field("lone UTF-16 surrogate " + std::string(s_.substr(escape_at, 6)) + " (not text)");
          }
          if (cp == 0) return fail_field("\\u0000 (NUL) in a string");
          if (cp == 0xFEFF) return fail_field("byte order mark (U+FEFF) in a string");
          append_utf8(out, static_cast<unsigned>(cp));
          break;
        }
        default: return fail_field("bad escape in string");
      }
    }
    return fail("unterminated string");
  }

  bool array(Json* out, int depth) {
    ++pos_;
    out->type = Json::Type::Array;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; return true; }
    while (true) {
      out->items.emplace_back();
      path_.push_back("[" + std::to_string(out->items.size() - 1) + "]");
      if (!value(&out->items.back(), depth + 1)) return false;
      path_.pop_back();
      skip_ws();
      if (pos_ >= s_.size()) return fail("unterminated array");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == ']') { ++pos_; return true; }
      return fail("expected ',' or ']'");
    }
  }

  bool object(Json* out, int depth) {
    ++pos_;
    out->type = Json::Type::Object;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; return true; }
    while (true) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a field name");
      std::string key;
      const size_t key_at = pos_;
      path_.push_back("(field name)");
      if (!string(&key)) return false;
      path_.back() = key;
      if (out->get(key)) {
        pos_ = key_at;
        return fail_field("duplicate field (each field may appear once)");
      }
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      out->fields.emplace_back(std::move(key), Json{});
      if (!value(&out->fields.back().second, depth + 1)) return false;
      path_.pop_back();
      skip_ws();
      if (pos_ >= s_.size()) return fail("unterminated object");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == '}') { ++pos_; return true; }
      return fail("expected ',' or '}'");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
  std::vector<std::string> path_;  // field names and [indices] down to the value being read
};

}  // namespace

const Json* Json::get(std::string_view key) const {
  for (const auto& f : fields)
    if (f.first == key) return &f.second;
  return nullptr;
}

bool parse_json(std::string_view text, Json* out, std::string* error) {
  *out = Json{};
  return Parser(text).document(out, error);
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace a2a

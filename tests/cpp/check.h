// A tiny test harness: TEST(name) { CHECK(...); CHECK_EQ(a, b); } — no third-party dependency.
#pragma once
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace a2a_test {
struct Case {
  const char* name;
  std::function<void()> fn;
};
std::vector<Case>& registry();
extern int failures;
struct Register {
  Register(const char* n, std::function<void()> f) { registry().push_back({n, std::move(f)}); }
};
}  // namespace a2a_test

#define TEST(name)                                                         \
  static void name();                                                      \
  static a2a_test::Register reg_##name(#name, name);                       \
  static void name()

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);        \
      ++a2a_test::failures;                                                         \
    }                                                                               \
  } while (0)

#define CHECK_EQ(a, b)                                                                             \
  do {                                                                                             \
    auto va_ = (a);                                                                                \
    auto vb_ = (b);                                                                                \
    if (!(va_ == vb_)) {                                                                           \
      std::ostringstream os_;                                                                      \
      os_ << va_ << " != " << vb_;                                                                 \
      std::printf("  %s:%d: CHECK_EQ(%s, %s) failed: %s\n", __FILE__, __LINE__, #a, #b, os_.str().c_str()); \
      ++a2a_test::failures;                                                                        \
    }                                                                                              \
  } while (0)

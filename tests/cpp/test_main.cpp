#include "check.h"

namespace a2a_test {
std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}
int failures = 0;
}  // namespace a2a_test

int main() {
  int failed_cases = 0;
  for (auto& c : a2a_test::registry()) {
    int before = a2a_test::failures;
    c.fn();
    bool ok = a2a_test::failures == before;
    std::printf("[%s] %s\n", ok ? " ok " : "FAIL", c.name);
    failed_cases += !ok;
  }
  std::printf("%zu tests, %d failed\n", a2a_test::registry().size(), failed_cases);
  return failed_cases ? 1 : 0;
}

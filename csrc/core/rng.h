// Deterministic, platform-independent random numbers. std::*_distribution is implementation-defined,
// so the core uses its own: identical seeds give identical worlds on every compiler and library.
#pragma once
#include <cstdint>
#include <vector>
#include <utility>

namespace a2a {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed ^ 0x9E3779B97F4A7C15ull) { next(); }

  // SplitMix64: tiny state, passes BigCrush, trivially seedable.
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform integer in [0, n). n must be > 0.
  int uniform(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  int range(int lo, int hi) { return lo + uniform(hi - lo + 1); }  // inclusive
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  bool chance(double p) { return unit() < p; }

  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(uniform(static_cast<int>(v.size())))]; }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(uniform(static_cast<int>(i)))]);
  }

 private:
  uint64_t state_;
};

// Mixes several integers into one seed (for per-split, per-episode streams).
inline uint64_t mix_seed(uint64_t a, uint64_t b) {
  Rng r(a * 0x100000001B3ull ^ (b + 0x632BE59BD9B4E019ull));
  return r.next();
}

}  // namespace a2a

// Test and benchmark support: a deterministic PRNG, the same stream for a
// given seed on every platform (std:: distributions are implementation-defined,
// so none is used). splitmix64 seeds xoshiro256** 1.0 (Blackman and Vigna).
#ifndef PERPCORE_TESTS_SUPPORT_RNG_HPP_
#define PERPCORE_TESTS_SUPPORT_RNG_HPP_

#include <cmath>
#include <cstdint>

namespace perpcore::testing {

// SplitMix64(): one step of splitmix64 (Steele, Lea, Flood 2014).
inline std::uint64_t SplitMix64(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (std::uint64_t& word : s_) word = SplitMix64(&sm);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Below(n): uniform in [0, n), n >= 1; unbiased (rejects the short tail).
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    std::uint64_t x = Next();
    while (x < threshold) x = Next();
    return x % n;
  }

  // Between(lo, hi): uniform in [lo, hi], lo <= hi.
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(Below(span));
  }

  // Percent(p): true with probability p/100.
  bool Percent(std::uint64_t p) { return Below(100) < p; }

  // Uniform01(): uniform in [0, 1) with 53 random bits.
  double Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Exp(mean): exponential by inversion; 1 - u lies in (0, 1].
  double Exp(double mean) { return -mean * std::log(1.0 - Uniform01()); }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_RNG_HPP_

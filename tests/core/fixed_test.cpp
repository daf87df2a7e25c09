#include "perpcore/core/fixed.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <type_traits>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "support/outcome.hpp"

namespace perpcore {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr Round kAllRounds[] = {Round::kDown, Round::kUp, Round::kTowardZero, Round::kHalfEven};

const char* Name(Round r) {
  switch (r) {
    case Round::kDown:
      return "kDown";
    case Round::kUp:
      return "kUp";
    case Round::kTowardZero:
      return "kTowardZero";
    case Round::kHalfEven:
      return "kHalfEven";
  }
  return "invalid Round";
}

using testing::Err;
using testing::Ok;
using testing::Outcome;
using testing::Of;

constexpr auto kOutOfRange = absl::StatusCode::kOutOfRange;
constexpr auto kInvalidArgument = absl::StatusCode::kInvalidArgument;

// Reference rounding, independent of the implementation: given the floor f of
// num / den (den > 0), derived without dividing, pick the result of `r` from
// the remainder num - f * den alone.
absl::int128 RoundFromFloor(absl::int128 num, absl::int128 den, absl::int128 floor, Round r) {
  const absl::int128 rem = num - floor * den;  // in [0, den)
  if (rem == 0) return floor;
  switch (r) {
    case Round::kDown:
      return floor;
    case Round::kUp:
      return floor + 1;
    case Round::kTowardZero:
      return num >= 0 ? floor : floor + 1;
    case Round::kHalfEven:
      if (2 * rem != den) return 2 * rem < den ? floor : floor + 1;
      return (floor & 1) == 0 ? floor : floor + 1;
  }
  return 0;
}

Outcome Narrow(absl::int128 v) {
  if (v < kMin || v > kMax) return Err(kOutOfRange);
  return Ok(static_cast<std::int64_t>(v));
}

// num / den rounded as `r` for small operands: the floor is found by scanning
// every candidate, the most obviously correct method there is.
Outcome SmallReference(std::int64_t num, std::int64_t den, Round r) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  // With den >= 1 the floor is at least -|num|, so the scan starts below it.
  std::int64_t floor = -(num < 0 ? -num : num) - 1;
  while ((floor + 1) * den <= num) ++floor;
  return Narrow(RoundFromFloor(num, den, floor, r));
}

// num / den rounded as `r` for |num| < 2^127 and 0 < |den| <= 2^63, by
// bisection on q * den <= num: multiplication and comparison only. The floor
// is clamped to [kMin - 2, kMax + 2], enough to tell whether the rounded
// result fits in int64.
Outcome BisectReference(absl::int128 num, absl::int128 den, Round r) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const absl::int128 lo_clamp = absl::int128(kMin) - 2;
  const absl::int128 hi_clamp = absl::int128(kMax) + 2;
  if (lo_clamp * den > num || hi_clamp * den <= num) return Err(kOutOfRange);
  absl::int128 lo = lo_clamp;  // lo * den <= num < hi * den
  absl::int128 hi = hi_clamp;
  while (hi - lo > 1) {
    const absl::int128 mid = lo + ((hi - lo) >> 1);
    if (mid * den <= num) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return Narrow(RoundFromFloor(num, den, lo, r));
}

// PERPCORE_TEST_SEED / PERPCORE_TEST_ITERS override the property tests' defaults.
std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

// Operands biased toward the interesting: extremes, small values and every
// magnitude from 1 bit to 63, so results land on both sides of int64's edge.
class OperandSource {
 public:
  explicit OperandSource(std::uint64_t seed) : rng_(seed) {}

  std::int64_t Next() {
    static constexpr std::int64_t kSpecial[] = {0,
                                                1,
                                                -1,
                                                2,
                                                -2,
                                                3,
                                                kMin,
                                                kMin + 1,
                                                kMax,
                                                kMax - 1,
                                                kMax / 2,
                                                kMin / 2,
                                                std::int64_t{1} << 62,
                                                -(std::int64_t{1} << 62),
                                                std::int64_t{1} << 32,
                                                1'000'000'000'000'000'000};
    switch (rng_() % 4) {
      case 0:
        return kSpecial[rng_() % std::size(kSpecial)];
      case 1:
        return static_cast<std::int64_t>(rng_() % 2001) - 1000;
      case 2:
        return static_cast<std::int64_t>(rng_());
      default: {
        const auto magnitude = static_cast<std::int64_t>(rng_() >> (1 + rng_() % 63));
        return (rng_() & 1) != 0 ? -magnitude : magnitude;
      }
    }
  }

  std::uint64_t Bits() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

// Tally: how many reference results fit in int64 and how many do not, so a
// property test can show that it exercised both sides of the edge.
struct Tally {
  std::uint64_t fits = 0;
  std::uint64_t overflows = 0;
  void Add(const Outcome& o) { ++(o.code == absl::StatusCode::kOk ? fits : overflows); }
};

// ---------------------------------------------------------------------------
// Fixed
// ---------------------------------------------------------------------------

// Operator probes: a requires-expression only yields false for an invalid
// expression inside a template, hence the concepts.
template <class A, class B>
concept Addable = requires(A a, B b) {
  a + b;
};
template <class A, class B>
concept Multipliable = requires(A a, B b) {
  a* b;
};
template <class A, class B>
concept LessComparable = requires(A a, B b) {
  a < b;
};
template <class A, class B>
concept EqualityComparable = requires(A a, B b) {
  a == b;
};

TEST_CASE("Fixed: units do not convert into each other or into integers", "[fixed]") {
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Ticks, Lots>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<Lots, Ticks>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Ticks, std::int64_t>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Quote, Rate>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<TimeNs, Quote>);
}

TEST_CASE("Fixed: construction from an integer is explicit only", "[fixed]") {
  STATIC_REQUIRE_FALSE(std::is_convertible_v<int, Ticks>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<std::int64_t, Ticks>);
  STATIC_REQUIRE(std::is_constructible_v<Ticks, std::int64_t>);
  STATIC_REQUIRE(Ticks(42).raw() == 42);
}

TEST_CASE("Fixed: no arithmetic or comparison across units", "[fixed]") {
  STATIC_REQUIRE_FALSE(Addable<Ticks, Ticks>);
  STATIC_REQUIRE_FALSE(Multipliable<Ticks, Lots>);
  STATIC_REQUIRE_FALSE(Multipliable<Quote, std::int64_t>);
  STATIC_REQUIRE_FALSE(LessComparable<Ticks, Lots>);
  STATIC_REQUIRE_FALSE(EqualityComparable<Ticks, Lots>);
  STATIC_REQUIRE_FALSE(EqualityComparable<Ticks, std::int64_t>);
  STATIC_REQUIRE(LessComparable<Ticks, Ticks>);
}

TEST_CASE("Fixed: is a plain 8-byte value, zero by default, ordered by raw", "[fixed]") {
  STATIC_REQUIRE(sizeof(Quote) == sizeof(std::int64_t));
  STATIC_REQUIRE(std::is_trivially_copyable_v<Quote>);
  STATIC_REQUIRE(Quote().raw() == 0);
  STATIC_REQUIRE(Lots(-3) < Lots(2));
  STATIC_REQUIRE(Lots::Min().raw() == kMin);
  STATIC_REQUIRE(Lots::Max().raw() == kMax);
}

TEST_CASE("Fixed: kRateScale is 10^kRateDecimals", "[fixed]") {
  std::int64_t power = 1;
  for (int i = 0; i < kRateDecimals; ++i) power *= 10;
  CHECK(kRateScale == power);
}

// ---------------------------------------------------------------------------
// Checked same-unit arithmetic
// ---------------------------------------------------------------------------

TEST_CASE("CheckedAdd: sums up to the int64 edges and rejects beyond them", "[fixed]") {
  CHECK(Of(CheckedAdd(Quote(2), Quote(-5))) == Ok(-3));
  CHECK(Of(CheckedAdd(Quote(kMax - 1), Quote(1))) == Ok(kMax));
  CHECK(Of(CheckedAdd(Quote(kMax), Quote(1))) == Err(kOutOfRange));
  CHECK(Of(CheckedAdd(Quote(kMin + 1), Quote(-1))) == Ok(kMin));
  CHECK(Of(CheckedAdd(Quote(kMin), Quote(-1))) == Err(kOutOfRange));
  CHECK(Of(CheckedAdd(Quote(kMin), Quote(kMax))) == Ok(-1));
  CHECK(Of(CheckedAdd(Quote(kMin), Quote(kMin))) == Err(kOutOfRange));
}

TEST_CASE("CheckedSub: differences up to the int64 edges and rejects beyond them", "[fixed]") {
  CHECK(Of(CheckedSub(Lots(2), Lots(5))) == Ok(-3));
  CHECK(Of(CheckedSub(Lots(kMin + 1), Lots(1))) == Ok(kMin));
  CHECK(Of(CheckedSub(Lots(kMin), Lots(1))) == Err(kOutOfRange));
  CHECK(Of(CheckedSub(Lots(-1), Lots(kMin))) == Ok(kMax));
  CHECK(Of(CheckedSub(Lots(0), Lots(kMin))) == Err(kOutOfRange));
  CHECK(Of(CheckedSub(Lots(kMax), Lots(-1))) == Err(kOutOfRange));
}

TEST_CASE("CheckedNeg: negates everything but INT64_MIN", "[fixed]") {
  CHECK(Of(CheckedNeg(Lots(7))) == Ok(-7));
  CHECK(Of(CheckedNeg(Lots(0))) == Ok(0));
  CHECK(Of(CheckedNeg(Lots(kMax))) == Ok(kMin + 1));
  CHECK(Of(CheckedNeg(Lots(kMin + 1))) == Ok(kMax));
  CHECK(Of(CheckedNeg(Lots(kMin))) == Err(kOutOfRange));
}

TEST_CASE("CheckedAbs: magnitudes of everything but INT64_MIN", "[fixed]") {
  CHECK(Of(CheckedAbs(Lots(-7))) == Ok(7));
  CHECK(Of(CheckedAbs(Lots(7))) == Ok(7));
  CHECK(Of(CheckedAbs(Lots(kMax))) == Ok(kMax));
  CHECK(Of(CheckedAbs(Lots(kMin + 1))) == Ok(kMax));
  CHECK(Of(CheckedAbs(Lots(kMin))) == Err(kOutOfRange));
}

TEST_CASE("CheckedMul: scales by a count up to the int64 edges", "[fixed]") {
  constexpr std::int64_t kTwo62 = std::int64_t{1} << 62;
  CHECK(Of(CheckedMul(Quote(-3), 4)) == Ok(-12));
  CHECK(Of(CheckedMul(Quote(-kTwo62), 2)) == Ok(kMin));
  CHECK(Of(CheckedMul(Quote(kTwo62), 2)) == Err(kOutOfRange));
  CHECK(Of(CheckedMul(Quote(kMax), -1)) == Ok(kMin + 1));
  CHECK(Of(CheckedMul(Quote(kMin), 1)) == Ok(kMin));
  CHECK(Of(CheckedMul(Quote(kMin), -1)) == Err(kOutOfRange));
  CHECK(Of(CheckedMul(Quote(kMin), 0)) == Ok(0));
}

TEST_CASE("CheckedAdd: the overflow error names the operation", "[fixed]") {
  const absl::Status status = CheckedAdd(Quote(kMax), Quote(1)).status();
  CHECK(std::string(status.message()) == "result of fixed-point add does not fit in int64");
}

// ---------------------------------------------------------------------------
// DivRound
// ---------------------------------------------------------------------------

TEST_CASE("DivRound: matches a scanning reference for every small num, den and mode", "[fixed]") {
  for (const Round r : kAllRounds) {
    for (std::int64_t num = -200; num <= 200; ++num) {
      for (std::int64_t den = -15; den <= 15; ++den) {
        if (den == 0) continue;
        const Outcome want = SmallReference(num, den, r);
        const Outcome got = Of(DivRound(num, den, r));
        if (got != want) {
          INFO(num << " / " << den << " " << Name(r));
          CHECK(got == want);
        }
      }
    }
  }
}

TEST_CASE("DivRound: a zero divisor is an invalid argument", "[fixed]") {
  const absl::Status status = DivRound(5, 0, Round::kDown).status();
  CHECK(status.code() == kInvalidArgument);
  CHECK(std::string(status.message()) == "DivRound: division by zero (5 / 0)");
}

TEST_CASE("DivRound: INT128_MIN / -1 is out of range, not a trap", "[fixed]") {
  for (const Round r : kAllRounds) {
    CHECK(Of(DivRound(absl::Int128Min(), -1, r)) == Err(kOutOfRange));
  }
}

TEST_CASE("DivRound: the int128 extremes divide exactly where the quotient fits", "[fixed]") {
  const absl::int128 two_64 = absl::int128(1) << 64;
  for (const Round r : kAllRounds) {
    CHECK(Of(DivRound(absl::Int128Min(), absl::Int128Min(), r)) == Ok(1));
    CHECK(Of(DivRound(absl::Int128Max(), absl::Int128Max(), r)) == Ok(1));
    CHECK(Of(DivRound(absl::Int128Min(), two_64, r)) == Ok(kMin));
    CHECK(Of(DivRound(absl::Int128Min(), -two_64, r)) == Err(kOutOfRange));
  }
}

TEST_CASE("DivRound: INT128_MAX / INT128_MIN lies just above -1", "[fixed]") {
  // -(2^127 - 1) / 2^127 = -1 + 2^-127.
  CHECK(Of(DivRound(absl::Int128Max(), absl::Int128Min(), Round::kDown)) == Ok(-1));
  CHECK(Of(DivRound(absl::Int128Max(), absl::Int128Min(), Round::kUp)) == Ok(0));
  CHECK(Of(DivRound(absl::Int128Max(), absl::Int128Min(), Round::kTowardZero)) == Ok(0));
  CHECK(Of(DivRound(absl::Int128Max(), absl::Int128Min(), Round::kHalfEven)) == Ok(-1));
}

TEST_CASE("DivRound: half a step below INT64_MIN rounds into range only upward", "[fixed]") {
  // (2 * INT64_MIN - 1) / 2 = INT64_MIN - 0.5; the tie goes to the even INT64_MIN.
  const absl::int128 num = absl::int128(kMin) * 2 - 1;
  CHECK(Of(DivRound(num, 2, Round::kDown)) == Err(kOutOfRange));
  CHECK(Of(DivRound(num, 2, Round::kUp)) == Ok(kMin));
  CHECK(Of(DivRound(num, 2, Round::kTowardZero)) == Ok(kMin));
  CHECK(Of(DivRound(num, 2, Round::kHalfEven)) == Ok(kMin));
}

TEST_CASE("DivRound: half a step below 2^63 rounds out of range when even is above", "[fixed]") {
  // (2 * INT64_MAX + 1) / 2 = 2^63 - 0.5; its even neighbour 2^63 does not fit.
  const absl::int128 num = absl::int128(kMax) * 2 + 1;
  CHECK(Of(DivRound(num, 2, Round::kDown)) == Ok(kMax));
  CHECK(Of(DivRound(num, 2, Round::kUp)) == Err(kOutOfRange));
  CHECK(Of(DivRound(num, 2, Round::kTowardZero)) == Ok(kMax));
  CHECK(Of(DivRound(num, 2, Round::kHalfEven)) == Err(kOutOfRange));
}

TEST_CASE("DivRound: the out-of-range error quotes both operands", "[fixed]") {
  const absl::Status status = DivRound(absl::Int128Min(), -1, Round::kDown).status();
  CHECK(std::string(status.message()) ==
        "DivRound: quotient of -170141183460469231731687303715884105728 / -1 does not fit in "
        "int64");
}

TEST_CASE("DivRound: matches a bisection reference on random int128 operands",
          "[fixed][property]") {
  const std::uint64_t seed = EnvOr("PERPCORE_TEST_SEED", 20240601);
  const std::uint64_t iters = EnvOr("PERPCORE_TEST_ITERS", 20000);
  INFO("PERPCORE_TEST_SEED=" << seed << " PERPCORE_TEST_ITERS=" << iters);
  OperandSource source(seed);
  Tally tally;
  for (std::uint64_t i = 0; i < iters; ++i) {
    // A product plus a small offset spreads quotients across int64's edges.
    const absl::int128 num = absl::int128(source.Next()) * source.Next() + source.Next() % 1000;
    const std::int64_t den = source.Next();
    if (den == 0) continue;
    for (const Round r : kAllRounds) {
      const Outcome want = BisectReference(num, den, r);
      tally.Add(want);
      const Outcome got = Of(DivRound(num, den, r));
      if (got != want) {
        INFO("iteration " << i << ": " << num << " / " << den << " " << Name(r));
        CHECK(got == want);
      }
    }
  }
  CHECK(tally.fits >= iters / 4);
  CHECK(tally.overflows >= iters / 4);
}

// ---------------------------------------------------------------------------
// MulDiv
// ---------------------------------------------------------------------------

TEST_CASE("MulDiv: matches a scanning reference for every small a, b, c and mode", "[fixed]") {
  for (const Round r : kAllRounds) {
    for (std::int64_t a = -12; a <= 12; ++a) {
      for (std::int64_t b = -12; b <= 12; ++b) {
        for (std::int64_t c = -12; c <= 12; ++c) {
          if (c == 0) continue;
          const Outcome want = SmallReference(a * b, c, r);
          const Outcome got = Of(MulDiv(a, b, c, r));
          if (got != want) {
            INFO(a << " * " << b << " / " << c << " " << Name(r));
            CHECK(got == want);
          }
        }
      }
    }
  }
}

TEST_CASE("MulDiv: kDown rounds toward negative infinity", "[fixed]") {
  CHECK(Of(MulDiv(7, 1, 2, Round::kDown)) == Ok(3));
  CHECK(Of(MulDiv(-7, 1, 2, Round::kDown)) == Ok(-4));
  CHECK(Of(MulDiv(7, 1, -2, Round::kDown)) == Ok(-4));
  CHECK(Of(MulDiv(-7, -1, -2, Round::kDown)) == Ok(-4));
}

TEST_CASE("MulDiv: kUp rounds toward positive infinity", "[fixed]") {
  CHECK(Of(MulDiv(7, 1, 2, Round::kUp)) == Ok(4));
  CHECK(Of(MulDiv(-7, 1, 2, Round::kUp)) == Ok(-3));
  CHECK(Of(MulDiv(1, 1, 3, Round::kUp)) == Ok(1));
  CHECK(Of(MulDiv(-1, 1, 3, Round::kUp)) == Ok(0));
}

TEST_CASE("MulDiv: kTowardZero truncates like C++ division", "[fixed]") {
  CHECK(Of(MulDiv(7, 1, 2, Round::kTowardZero)) == Ok(3));
  CHECK(Of(MulDiv(-7, 1, 2, Round::kTowardZero)) == Ok(-3));
  CHECK(Of(MulDiv(7, -1, 2, Round::kTowardZero)) == Ok(-3));
}

TEST_CASE("MulDiv: kHalfEven rounds ties to the even neighbour", "[fixed]") {
  CHECK(Of(MulDiv(5, 1, 2, Round::kHalfEven)) == Ok(2));    // 2.5
  CHECK(Of(MulDiv(7, 1, 2, Round::kHalfEven)) == Ok(4));    // 3.5
  CHECK(Of(MulDiv(-5, 1, 2, Round::kHalfEven)) == Ok(-2));  // -2.5
  CHECK(Of(MulDiv(-7, 1, 2, Round::kHalfEven)) == Ok(-4));  // -3.5
  CHECK(Of(MulDiv(1, 1, 2, Round::kHalfEven)) == Ok(0));    // 0.5
  CHECK(Of(MulDiv(-1, 1, 2, Round::kHalfEven)) == Ok(0));   // -0.5
}

TEST_CASE("MulDiv: kHalfEven rounds non-ties to the nearest", "[fixed]") {
  CHECK(Of(MulDiv(5, 1, 3, Round::kHalfEven)) == Ok(2));    // 1.67
  CHECK(Of(MulDiv(4, 1, 3, Round::kHalfEven)) == Ok(1));    // 1.33
  CHECK(Of(MulDiv(-5, 1, 3, Round::kHalfEven)) == Ok(-2));  // -1.67
  CHECK(Of(MulDiv(-4, 1, 3, Round::kHalfEven)) == Ok(-1));  // -1.33
}

TEST_CASE("MulDiv: kHalfEven breaks ties at 62-bit magnitudes", "[fixed]") {
  constexpr std::int64_t kTwo62 = std::int64_t{1} << 62;
  // (2^63 - 1) / 2 = 2^62 - 0.5: the even neighbour is 2^62.
  CHECK(Of(MulDiv(kMax, 1, 2, Round::kHalfEven)) == Ok(kTwo62));
  // (2^63 - 3) / 2 = 2^62 - 1.5: the even neighbour is 2^62 - 2.
  CHECK(Of(MulDiv(kMax - 2, 1, 2, Round::kHalfEven)) == Ok(kTwo62 - 2));
  CHECK(Of(MulDiv(kMax, -1, 2, Round::kHalfEven)) == Ok(-kTwo62));
}

TEST_CASE("MulDiv: the product may exceed int64 when the quotient fits", "[fixed]") {
  // 4e18 * 5 = 2e19 > INT64_MAX; the quotient 2e18 fits.
  CHECK(Of(MulDiv(4'000'000'000'000'000'000, 5, 10, Round::kDown)) ==
        Ok(2'000'000'000'000'000'000));
  CHECK(Of(MulDiv(kMax, kMax, kMax, Round::kDown)) == Ok(kMax));
  CHECK(Of(MulDiv(kMin, kMin, kMin, Round::kDown)) == Ok(kMin));
  CHECK(Of(MulDiv(kMin, kMax, kMax, Round::kUp)) == Ok(kMin));
  CHECK(Of(MulDiv(kMax, kMin, kMin, Round::kUp)) == Ok(kMax));
  CHECK(Of(MulDiv(kMin, -1, -1, Round::kDown)) == Ok(kMin));
}

TEST_CASE("MulDiv: INT64_MAX^2 / INT64_MIN rounds in every direction exactly", "[fixed]") {
  // (2^63 - 1)^2 / -2^63 = -(2^63 - 2) - 2^-63.
  CHECK(Of(MulDiv(kMax, kMax, kMin, Round::kDown)) == Ok(kMin + 1));
  CHECK(Of(MulDiv(kMax, kMax, kMin, Round::kUp)) == Ok(kMin + 2));
  CHECK(Of(MulDiv(kMax, kMax, kMin, Round::kTowardZero)) == Ok(kMin + 2));
  CHECK(Of(MulDiv(kMax, kMax, kMin, Round::kHalfEven)) == Ok(kMin + 2));
}

TEST_CASE("MulDiv: negating INT64_MIN is out of range", "[fixed]") {
  for (const Round r : kAllRounds) {
    CHECK(Of(MulDiv(kMin, 1, -1, r)) == Err(kOutOfRange));
    CHECK(Of(MulDiv(kMin, -1, 1, r)) == Err(kOutOfRange));
    CHECK(Of(MulDiv(kMin, kMin, kMax, r)) == Err(kOutOfRange));
  }
}

TEST_CASE("MulDiv: the out-of-range error quotes the operands", "[fixed]") {
  const absl::Status status = MulDiv(kMax, 2, 1, Round::kDown).status();
  CHECK(status.code() == kOutOfRange);
  CHECK(std::string(status.message()) ==
        "MulDiv: result of 9223372036854775807 * 2 / 1 does not fit in int64");
}

TEST_CASE("MulDiv: a zero divisor is an invalid argument", "[fixed]") {
  const absl::Status status = MulDiv(3, 4, 0, Round::kUp).status();
  CHECK(status.code() == kInvalidArgument);
  CHECK(std::string(status.message()) == "MulDiv: division by zero (3 * 4 / 0)");
}

TEST_CASE("MulDiv: matches a bisection reference on random operands", "[fixed][property]") {
  const std::uint64_t seed = EnvOr("PERPCORE_TEST_SEED", 20240601);
  const std::uint64_t iters = EnvOr("PERPCORE_TEST_ITERS", 20000);
  INFO("PERPCORE_TEST_SEED=" << seed << " PERPCORE_TEST_ITERS=" << iters);
  OperandSource source(seed);
  std::uint64_t ties = 0;
  Tally tally;
  for (std::uint64_t i = 0; i < iters; ++i) {
    std::int64_t a = source.Next();
    std::int64_t b = source.Next();
    std::int64_t c = source.Next();
    if ((source.Bits() & 3) == 0) {
      // Make a * b / c an exact tie, q + 1/2, which random operands almost never are.
      c = 2 * (static_cast<std::int64_t>(source.Bits() >> 34) + 1);
      b = 1;
      if (__builtin_mul_overflow(a / c, c, &a) || __builtin_add_overflow(a, c / 2, &a)) continue;
      ++ties;
    }
    if (c == 0) continue;
    for (const Round r : kAllRounds) {
      const Outcome want = BisectReference(absl::int128(a) * b, c, r);
      tally.Add(want);
      const Outcome got = Of(MulDiv(a, b, c, r));
      if (got != want) {
        INFO("iteration " << i << ": " << a << " * " << b << " / " << c << " " << Name(r));
        CHECK(got == want);
      }
    }
  }
  CHECK(ties >= iters / 8);  // the tie branch really ran
  CHECK(tally.fits >= iters / 4);
  CHECK(tally.overflows >= iters / 4);
}

// ---------------------------------------------------------------------------
// Rates
// ---------------------------------------------------------------------------

TEST_CASE("ApplyRate: a 5 bp fee on 1e9 atoms is exactly 500000", "[fixed]") {
  const Rate five_bps(500'000'000'000'000);  // 0.0005 * 10^18
  for (const Round r : kAllRounds) {
    CHECK(Of(ApplyRate(Quote(1'000'000'000), five_bps, r)) == Ok(500'000));
  }
}

TEST_CASE("ApplyRate: an inexact fee rounds in the named direction", "[fixed]") {
  const Rate five_bps(500'000'000'000'000);
  // 999 * 0.0005 = 0.4995
  CHECK(Of(ApplyRate(Quote(999), five_bps, Round::kUp)) == Ok(1));
  CHECK(Of(ApplyRate(Quote(999), five_bps, Round::kDown)) == Ok(0));
  CHECK(Of(ApplyRate(Quote(999), five_bps, Round::kHalfEven)) == Ok(0));
  // -999 * 0.0005 = -0.4995
  CHECK(Of(ApplyRate(Quote(-999), five_bps, Round::kDown)) == Ok(-1));
  CHECK(Of(ApplyRate(Quote(-999), five_bps, Round::kUp)) == Ok(0));
  // 3000 * 0.0005 = 1.5 exactly: a tie
  CHECK(Of(ApplyRate(Quote(3000), five_bps, Round::kHalfEven)) == Ok(2));
  CHECK(Of(ApplyRate(Quote(5000), five_bps, Round::kHalfEven)) == Ok(2));
}

TEST_CASE("ApplyRate: a negative rate yields a rebate", "[fixed]") {
  const Rate minus_one_bp(-100'000'000'000'000);
  CHECK(Of(ApplyRate(Quote(1'000'000), minus_one_bp, Round::kDown)) == Ok(-100));
  CHECK(Of(ApplyRate(Quote(1'000'001), minus_one_bp, Round::kDown)) == Ok(-101));
  CHECK(Of(ApplyRate(Quote(1'000'001), minus_one_bp, Round::kUp)) == Ok(-100));
}

TEST_CASE("ApplyRate: a rate of one is the identity at the int64 edges", "[fixed]") {
  CHECK(Of(ApplyRate(Quote::Max(), Rate(kRateScale), Round::kDown)) == Ok(kMax));
  CHECK(Of(ApplyRate(Quote::Min(), Rate(kRateScale), Round::kDown)) == Ok(kMin));
  CHECK(Of(ApplyRate(Quote::Min(), Rate(-kRateScale), Round::kDown)) == Err(kOutOfRange));
}

TEST_CASE("ApplyRate: a result beyond int64 is out of range", "[fixed]") {
  const absl::Status status = ApplyRate(Quote::Max(), Rate(2 * kRateScale), Round::kDown).status();
  CHECK(status.code() == kOutOfRange);
  CHECK(std::string(status.message()) ==
        "ApplyRate: 9223372036854775807 * rate 2000000000000000000e-18 does not fit in int64");
}

TEST_CASE("RateFromRatio: 1/150 rounds to the exact neighbours of 10^18 / 150", "[fixed]") {
  // 10^18 / 150 = 6666666666666666 + 100/150
  CHECK(Of(RateFromRatio(1, 150, Round::kUp)) == Ok(6'666'666'666'666'667));
  CHECK(Of(RateFromRatio(1, 150, Round::kDown)) == Ok(6'666'666'666'666'666));
  CHECK(Of(RateFromRatio(1, 150, Round::kHalfEven)) == Ok(6'666'666'666'666'667));
  CHECK(Of(RateFromRatio(-1, 150, Round::kDown)) == Ok(-6'666'666'666'666'667));
  CHECK(Of(RateFromRatio(1, -150, Round::kTowardZero)) == Ok(-6'666'666'666'666'666));
}

TEST_CASE("RateFromRatio: ratios beyond +-9.22 are out of range", "[fixed]") {
  CHECK(Of(RateFromRatio(9, 1, Round::kDown)) == Ok(9 * kRateScale));
  CHECK(Of(RateFromRatio(-9, 1, Round::kDown)) == Ok(-9 * kRateScale));
  CHECK(Of(RateFromRatio(10, 1, Round::kDown)) == Err(kOutOfRange));
  CHECK(Of(RateFromRatio(kMax, kMax, Round::kDown)) == Ok(kRateScale));
  CHECK(Of(RateFromRatio(kMin, 1, Round::kDown)) == Err(kOutOfRange));
}

TEST_CASE("RateFromRatio: a zero denominator is an invalid argument", "[fixed]") {
  const absl::Status status = RateFromRatio(1, 0, Round::kUp).status();
  CHECK(status.code() == kInvalidArgument);
  CHECK(std::string(status.message()) == "RateFromRatio: division by zero (1 / 0)");
}

// ---------------------------------------------------------------------------
// CompareRatios
// ---------------------------------------------------------------------------

TEST_CASE("CompareRatios: matches a common-denominator reference on small ratios", "[fixed]") {
  constexpr std::int64_t kLcm = 27720;  // lcm(1, ..., 12): a/b = a * (kLcm / b) / kLcm
  for (std::int64_t a = -12; a <= 12; ++a) {
    for (std::int64_t b = 1; b <= 12; ++b) {
      for (std::int64_t c = -12; c <= 12; ++c) {
        for (std::int64_t d = 1; d <= 12; ++d) {
          const std::int64_t lhs = a * (kLcm / b);
          const std::int64_t rhs = c * (kLcm / d);
          const int want = lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
          const int got = CompareRatios(a, b, c, d);
          if (got != want) {
            INFO(a << "/" << b << " vs " << c << "/" << d);
            CHECK(got == want);
          }
        }
      }
    }
  }
}

TEST_CASE("CompareRatios: tells apart huge ratios that division would call equal", "[fixed]") {
  // M/(M-1) = 1 + 1/(M-1) < (M-1)/(M-2) = 1 + 1/(M-2), though both divide to 1.
  CHECK(CompareRatios(kMax, kMax - 1, kMax - 1, kMax - 2) == -1);
  CHECK(CompareRatios(kMax - 1, kMax - 2, kMax, kMax - 1) == 1);
  CHECK(CompareRatios(kMax, kMax - 1, kMax, kMax - 1) == 0);
  // -2^63 / (2^63 - 1) is just below -1.
  CHECK(CompareRatios(kMin, kMax, -1, 1) == -1);
  CHECK(CompareRatios(kMin, 1, kMin, 1) == 0);
  CHECK(CompareRatios(kMin, 1, kMax, 1) == -1);
  CHECK(CompareRatios(kMin, kMax, kMin + 1, kMax) == -1);
}

TEST_CASE("CompareRatios: equal ratios in different terms compare equal", "[fixed]") {
  CHECK(CompareRatios(1, 3, 2, 6) == 0);
  CHECK(CompareRatios(-1, 2, -3, 6) == 0);
  CHECK(CompareRatios(0, 5, 0, kMax) == 0);
}

// ---------------------------------------------------------------------------
// Fatal handler
// ---------------------------------------------------------------------------

// FatalCall: what a test handler saw, thrown to escape the "must not return".
struct FatalCall {
  std::string condition;
  std::string file;
  int line;
};

void ThrowingHandler(const char* condition, const char* file, int line) {
  throw FatalCall{condition, file, line};
}
void OtherHandler(const char*, const char*, int) {}

// Restores the handler a test found, whatever happens in the test.
class ScopedFatalHandler {
 public:
  explicit ScopedFatalHandler(FatalHandler handler) : previous_(SetFatalHandler(handler)) {}
  ~ScopedFatalHandler() { SetFatalHandler(previous_); }
  ScopedFatalHandler(const ScopedFatalHandler&) = delete;
  ScopedFatalHandler& operator=(const ScopedFatalHandler&) = delete;

 private:
  FatalHandler previous_;
};

TEST_CASE("SetFatalHandler: returns the handler it replaces, nullptr for the default", "[fixed]") {
  const FatalHandler original = SetFatalHandler(&ThrowingHandler);
  CHECK(original == nullptr);  // nothing in this binary installs a handler for good
  CHECK(SetFatalHandler(&OtherHandler) == &ThrowingHandler);
  CHECK(SetFatalHandler(nullptr) == &OtherHandler);
  CHECK(SetFatalHandler(original) == nullptr);
}

TEST_CASE("PERPCORE_CHECK: a failed check calls the handler with its text and place", "[fixed]") {
  ScopedFatalHandler scoped(&ThrowingHandler);
  const int line = __LINE__ + 2;
  try {
    PERPCORE_CHECK(1 + 1 == 3);
    FAIL("the check passed");
  } catch (const FatalCall& call) {
    CHECK(call.condition == "1 + 1 == 3");
    CHECK(call.file == __FILE__);
    CHECK(call.line == line);
  }
}

TEST_CASE("PERPCORE_CHECK: a passing check does not call the handler", "[fixed]") {
  ScopedFatalHandler scoped(&ThrowingHandler);
  CHECK_NOTHROW([] { PERPCORE_CHECK(1 + 1 == 2); }());
}

TEST_CASE("CompareRatios: a non-positive denominator is a failed check", "[fixed]") {
  ScopedFatalHandler scoped(&ThrowingHandler);
  CHECK_THROWS_AS(CompareRatios(1, 0, 1, 1), FatalCall);
  CHECK_THROWS_AS(CompareRatios(1, 1, 1, -1), FatalCall);
}

TEST_CASE("MulDiv: a Round outside the enum is a failed check", "[fixed]") {
  ScopedFatalHandler scoped(&ThrowingHandler);
  CHECK_THROWS_AS(MulDiv(1, 1, 1, static_cast<Round>(9)), FatalCall);
}

// ChildResult: how a forked child ended and what it wrote to stderr.
struct ChildResult {
  int wait_status = 0;
  std::string stderr_text;
};

// Runs `body` in a forked child with stderr captured, the only way to observe
// an abort without ending the test binary.
ChildResult RunInChild(void (*body)()) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);  // or the child would flush the parent's buffers again
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::signal(SIGABRT, SIG_DFL);  // not Catch's crash reporter
    body();
    _exit(0);
  }
  close(fds[1]);
  ChildResult result;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) {
    result.stderr_text.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  REQUIRE(waitpid(pid, &result.wait_status, 0) == pid);
  return result;
}

TEST_CASE("Fatal: the default handler reports the check on stderr and aborts", "[fixed]") {
  const ChildResult child = RunInChild([] { detail::Fatal("x > 0", "src/a/b.cpp", 42); });
  CHECK(WIFSIGNALED(child.wait_status));
  CHECK(WTERMSIG(child.wait_status) == SIGABRT);
  CHECK(child.stderr_text == "perpcore: check failed: x > 0 at src/a/b.cpp:42\n");
}

TEST_CASE("Fatal: perpcore aborts when a custom handler returns", "[fixed]") {
  const ChildResult child = RunInChild([] {
    SetFatalHandler(&OtherHandler);
    detail::Fatal("x > 0", "src/a/b.cpp", 42);
  });
  CHECK(WIFSIGNALED(child.wait_status));
  CHECK(WTERMSIG(child.wait_status) == SIGABRT);
  CHECK(child.stderr_text.empty());  // the custom handler replaced the default
}

}  // namespace
}  // namespace perpcore

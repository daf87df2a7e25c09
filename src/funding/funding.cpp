// Funding: the pure arithmetic of funding/funding.hpp and one market's clock.
//
// No floating point: powers go through an integer log2 / exp2 on 64-bit
// fixed point, and every product that can pass 128 bits is formed exactly in
// 256 bits (two uint128 halves) before its one documented rounding.
#include "perpcore/funding/funding.hpp"

#include <algorithm>
#include <bit>
#include <limits>

#include "perpcore/detail/encode.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace funding {
namespace {

using absl::int128;
using absl::uint128;
using detail::PutI128;
using detail::PutI64;
using detail::PutU32;
using detail::PutU8;

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kOne = kRateScale;

// |v| as unsigned: exact for INT64_MIN too.
std::uint64_t UAbs(std::int64_t v) {
  return v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
}
std::uint64_t Pos(std::int64_t v) { return v > 0 ? static_cast<std::uint64_t>(v) : 0; }

// a * b / c with the product exact in 256 bits, rounded down (all operands
// are magnitudes). overflow: the quotient does not fit in 128 bits (then q
// and r are meaningless). 0 < c < 2^127: every caller divides by a period,
// a power of ten below 1e36 < 2^120 or kIndexScale.
struct QuotRem {
  uint128 q = 0, r = 0;
  bool overflow = false;
};
// x / 10^18 and x % 10^18 by multiplication, with no division instruction:
// Owed() divides by kIndexScale on every valuation of an unsettled position,
// and a 128-bit division costs some hundred cycles where this costs about
// twenty. 10^18 = 2^18 * 5^18 and floor(x / 10^18) = floor(y / 5^18) with
// y = floor(x / 2^18) < 2^110. With M = ceil(2^128 / 5^18) (87 bits),
// q' = floor(y * M / 2^128) lies in [y / 5^18, y / 5^18 + y / 2^128), so it
// is the quotient or one more; one multiply-compare corrects it. The
// remainder is (y - q * 5^18) * 2^18 + (x mod 2^18).
QuotRem DivByIndexScale(uint128 x) {
  static_assert(kIndexScale == 1'000'000'000'000'000'000);
  constexpr std::uint64_t kFive18 = 3'814'697'265'625;  // 5^18
  constexpr uint128 kM = absl::MakeUint128(0x49c977, 0x47490eae839d7f9a);
  const uint128 y = x >> 18;
  const uint128 y0 = absl::Uint128Low64(y), y1 = absl::Uint128High64(y);
  const uint128 m0 = absl::Uint128Low64(kM), m1 = absl::Uint128High64(kM);
  const uint128 p00 = y0 * m0, p01 = y0 * m1, p10 = y1 * m0, p11 = y1 * m1;
  const uint128 mid = (p00 >> 64) + absl::Uint128Low64(p01) + absl::Uint128Low64(p10);
  uint128 q = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  uint128 qd = q * kFive18;  // q < 2^69: no overflow
  if (qd > y) {
    q -= 1;
    qd -= kFive18;
  }
  QuotRem out;
  out.q = q;
  out.r = ((y - qd) << 18) | (absl::Uint128Low64(x) & 0x3FFFF);
  return out;
}

QuotRem MulDivU(uint128 a, uint128 b, uint128 c) {
  // Schoolbook product on 64-bit limbs: a * b = hi * 2^128 + lo.
  const uint128 a0 = absl::Uint128Low64(a), a1 = absl::Uint128High64(a);
  const uint128 b0 = absl::Uint128Low64(b), b1 = absl::Uint128High64(b);
  const uint128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  // mid < 3 * 2^64: no overflow.
  const uint128 mid = (p00 >> 64) + absl::Uint128Low64(p01) + absl::Uint128Low64(p10);
  const uint128 lo = (mid << 64) | absl::Uint128Low64(p00);
  const uint128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  QuotRem out;
  if (hi == 0) {
    if (c == static_cast<std::uint64_t>(kIndexScale)) return DivByIndexScale(lo);
    out.q = lo / c;
    out.r = lo - out.q * c;
    return out;
  }
  if (hi >= c) {  // the quotient is at least 2^128
    out.overflow = true;
    return out;
  }
  // Restoring long division of (hi:lo) by c, one bit of lo at a time; the
  // remainder stays below c < 2^127, so doubling it never leaves 128 bits.
  PERPCORE_DCHECK(c < (uint128(1) << 127));
  uint128 r = hi, q = 0;
  for (int i = 127; i >= 0; --i) {
    r = (r << 1) | ((lo >> i) & 1);
    q <<= 1;
    if (r >= c) {
      r -= c;
      q |= 1;
    }
  }
  out.q = q;
  out.r = r;
  return out;
}

Rate Clamp(int128 v, std::int64_t lo, std::int64_t hi) {
  if (v < lo) return Rate(lo);
  if (v > hi) return Rate(hi);
  return Rate(static_cast<std::int64_t>(v));
}
Rate SaturateRate(int128 v) { return Clamp(v, -kMaxI64, kMaxI64); }

// ---- integer log2 / exp2 (Pow) -------------------------------------------

// log2(x) for x >= 1, in Q64 (integer part above bit 64): the integer part
// is the position of the top bit; the 64 fraction bits come one at a time by
// squaring the mantissa (Q1.63) and halving it when it reaches 2. Each
// squaring truncates (< 2^-63 relative); the error of the result is below
// 2^-61.
uint128 Log2Q64(std::uint64_t x) {
  const int k = 63 - std::countl_zero(x);
  std::uint64_t m = x << (63 - k);  // x / 2^k in Q1.63, in [1, 2), exact
  std::uint64_t frac = 0;
  for (int i = 63; i >= 0; --i) {
    const uint128 sq = uint128(m) * m;  // Q2.126, in [1, 4)
    if ((sq >> 127) != 0) {            // m^2 >= 2: bit set, halve
      frac |= std::uint64_t{1} << i;
      m = absl::Uint128Low64(sq >> 64);
    } else {
      m = absl::Uint128Low64(sq >> 63);
    }
  }
  return (uint128(static_cast<std::uint64_t>(k)) << 64) | frac;
}

// floor(2^(2^-j) * 2^63) for j = 1..64.
constexpr std::uint64_t kExp2Table[64] = {
    0xb504f333f9de6484ULL,  // 2^(2^-1)
    0x9837f0518db8a96fULL,  // 2^(2^-2)
    0x8b95c1e3ea8bd6e6ULL,  // 2^(2^-3)
    0x85aac367cc487b14ULL,  // 2^(2^-4)
    0x82cd8698ac2ba1d7ULL,  // 2^(2^-5)
    0x8164d1f3bc030773ULL,  // 2^(2^-6)
    0x80b1ed4fd999ab6cULL,  // 2^(2^-7)
    0x8058d7d2d5e5f6b0ULL,  // 2^(2^-8)
    0x802c6436d0e04f50ULL,  // 2^(2^-9)
    0x8016302f17467628ULL,  // 2^(2^-10)
    0x800b179c82028fd0ULL,  // 2^(2^-11)
    0x80058baf7fee3b5dULL,  // 2^(2^-12)
    0x8002c5d00fdcfcb6ULL,  // 2^(2^-13)
    0x800162e61bed4a48ULL,  // 2^(2^-14)
    0x8000b17292f702a3ULL,  // 2^(2^-15)
    0x800058b92abbae02ULL,  // 2^(2^-16)
    0x80002c5c8dade4d7ULL,  // 2^(2^-17)
    0x8000162e44eaf636ULL,  // 2^(2^-18)
    0x80000b1721fa7c18ULL,  // 2^(2^-19)
    0x8000058b90de7e4cULL,  // 2^(2^-20)
    0x800002c5c8678f36ULL,  // 2^(2^-21)
    0x80000162e431db9fULL,  // 2^(2^-22)
    0x800000b1721872d0ULL,  // 2^(2^-23)
    0x80000058b90c1aa8ULL,  // 2^(2^-24)
    0x8000002c5c8605a4ULL,  // 2^(2^-25)
    0x800000162e4300e6ULL,  // 2^(2^-26)
    0x8000000b17217ff8ULL,  // 2^(2^-27)
    0x800000058b90bfddULL,  // 2^(2^-28)
    0x80000002c5c85fe6ULL,  // 2^(2^-29)
    0x8000000162e42ff1ULL,  // 2^(2^-30)
    0x80000000b17217f8ULL,  // 2^(2^-31)
    0x8000000058b90bfcULL,  // 2^(2^-32)
    0x800000002c5c85fdULL,  // 2^(2^-33)
    0x80000000162e42feULL,  // 2^(2^-34)
    0x800000000b17217fULL,  // 2^(2^-35)
    0x80000000058b90bfULL,  // 2^(2^-36)
    0x8000000002c5c85fULL,  // 2^(2^-37)
    0x800000000162e42fULL,  // 2^(2^-38)
    0x8000000000b17217ULL,  // 2^(2^-39)
    0x800000000058b90bULL,  // 2^(2^-40)
    0x80000000002c5c85ULL,  // 2^(2^-41)
    0x8000000000162e42ULL,  // 2^(2^-42)
    0x80000000000b1721ULL,  // 2^(2^-43)
    0x8000000000058b90ULL,  // 2^(2^-44)
    0x800000000002c5c8ULL,  // 2^(2^-45)
    0x80000000000162e4ULL,  // 2^(2^-46)
    0x800000000000b172ULL,  // 2^(2^-47)
    0x80000000000058b9ULL,  // 2^(2^-48)
    0x8000000000002c5cULL,  // 2^(2^-49)
    0x800000000000162eULL,  // 2^(2^-50)
    0x8000000000000b17ULL,  // 2^(2^-51)
    0x800000000000058bULL,  // 2^(2^-52)
    0x80000000000002c5ULL,  // 2^(2^-53)
    0x8000000000000162ULL,  // 2^(2^-54)
    0x80000000000000b1ULL,  // 2^(2^-55)
    0x8000000000000058ULL,  // 2^(2^-56)
    0x800000000000002cULL,  // 2^(2^-57)
    0x8000000000000016ULL,  // 2^(2^-58)
    0x800000000000000bULL,  // 2^(2^-59)
    0x8000000000000005ULL,  // 2^(2^-60)
    0x8000000000000002ULL,  // 2^(2^-61)
    0x8000000000000001ULL,  // 2^(2^-62)
    0x8000000000000000ULL,  // 2^(2^-63)
    0x8000000000000000ULL,  // 2^(2^-64)
};

// 2^(t / 2^64) for a Q64 fraction t, in Q1.63: the product of 2^(2^-j) over
// the set bits of t, each product truncated (< 2^-63 relative each, below
// 2^-57 in all).
std::uint64_t Exp2Q63(std::uint64_t t) {
  std::uint64_t m = std::uint64_t{1} << 63;
  for (int j = 1; j <= 64; ++j) {
    if (((t >> (64 - j)) & 1) != 0) {
      m = absl::Uint128Low64((uint128(m) * kExp2Table[j - 1]) >> 63);
    }
  }
  return m;
}

bool IsSkewModel(FundingModel m) {
  return m == FundingModel::kSkewLinear || m == FundingModel::kSkewPower ||
         m == FundingModel::kSkewAdaptive;
}
bool InUnit(Rate r) { return r.raw() >= 0 && r.raw() <= kOne; }  // [0, 1]
bool WithinOne(Rate r) { return r.raw() >= -kOne && r.raw() <= kOne; }  // [-1, 1]

// floor(v / d) for d > 0 (C++ division truncates toward zero).
std::int64_t FloorDiv(std::int64_t v, std::int64_t d) {
  const std::int64_t q = v / d;
  return (v % d != 0 && v < 0) ? q - 1 : q;
}
// a + b, saturating at INT64_MAX (b >= 0): a clock near the end of time.
std::int64_t AddSat(std::int64_t a, std::int64_t b) {
  std::int64_t out;
  return __builtin_add_overflow(a, b, &out) ? kMaxI64 : out;
}

// The bound of the margin-multiple cap: cap_multiple * max(0, imm), rounded
// toward zero, saturating at INT64_MAX.
std::int64_t MarginCap(Rate cap_multiple, Rate imm) {
  const int128 v = int128(std::max<std::int64_t>(0, cap_multiple.raw())) *
                   std::max<std::int64_t>(0, imm.raw()) / kOne;
  return v > kMaxI64 ? kMaxI64 : static_cast<std::int64_t>(v);
}

// The magnitude kIndexBound as uint128.
const uint128 kIndexBoundU = uint128(1) << 126;

// a + b clamped to +-kIndexBound, for |a|, |b| <= kIndexBound (whose plain
// sum could reach 2^127, one past int128).
int128 AddIndex(int128 a, int128 b) {
  if (b > 0) return a > kIndexBound - b ? kIndexBound : a + b;
  return a < -kIndexBound - b ? -kIndexBound : a + b;
}

}  // namespace

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

Rate MaxRate(const FundingParams& p, Rate initial_minus_maintenance) {
  switch (p.model) {
    case FundingModel::kPremium:
      if (p.cap_mode == CapMode::kMarginMultiple) {
        return Rate(MarginCap(p.cap_multiple, initial_minus_maintenance));
      }
      return Rate(static_cast<std::int64_t>(
          std::min<std::uint64_t>(std::max(UAbs(p.cap.raw()), UAbs(p.floor.raw())),
                                  static_cast<std::uint64_t>(kMaxI64))));
    case FundingModel::kSkewLinear:
    case FundingModel::kSkewPower:
    case FundingModel::kSkewAdaptive:
      return Rate(std::max<std::int64_t>(0, p.skew_max.raw()));
    case FundingModel::kNone:
      break;
  }
  return Rate(0);
}

Reason Validate(const FundingParams& p, const MarketBounds& market) {
  if (static_cast<std::uint8_t>(p.model) > static_cast<std::uint8_t>(FundingModel::kSkewAdaptive)) {
    return Reason::kFundingInvalidModel;
  }
  if (static_cast<std::uint8_t>(p.payment) > 1 || static_cast<std::uint8_t>(p.price) > 1) {
    return Reason::kFundingInvalidPayment;
  }
  if (p.interval < kMinInterval || p.interval > kMaxInterval || p.period < kMinInterval ||
      p.period > kMaxInterval) {
    return Reason::kFundingInvalidInterval;
  }
  const std::int64_t cadence = p.sample_cadence.raw();
  if (cadence <= 0 || p.interval.raw() % cadence != 0 ||
      p.interval.raw() / cadence > kMaxSamplesPerInterval) {
    return Reason::kFundingInvalidCadence;
  }
  if (static_cast<std::uint8_t>(p.weighting) > 1) return Reason::kFundingInvalidWeighting;
  if (p.impact_notional < 1) return Reason::kFundingInvalidImpactNotional;
  if (!WithinOne(p.interest) || !InUnit(p.interest_band)) return Reason::kFundingInvalidInterest;
  if (p.cap < p.floor || !WithinOne(p.cap) || !WithinOne(p.floor) ||
      static_cast<std::uint8_t>(p.cap_mode) > 1 || p.cap_multiple.raw() <= 0 ||
      p.cap_multiple.raw() > kMaxCapMultiple.raw()) {
    return Reason::kFundingCapBelowFloor;
  }
  if (IsSkewModel(p.model) && p.counterparty == 0) return Reason::kFundingNoCounterparty;
  if (p.skew_kappa.raw() < 0 || !InUnit(p.skew_factor) || p.skew_max.raw() <= 0 ||
      p.skew_max.raw() > kOne || !InUnit(p.ramp_up) || !InUnit(p.decay) ||
      !InUnit(p.stable_threshold) || p.decay_threshold.raw() < 0 ||
      p.decay_threshold > p.stable_threshold) {
    return Reason::kFundingInvalidSkew;
  }
  if (p.skew_exponent.raw() < kOne || p.skew_exponent > kMaxExponent) {
    return Reason::kFundingInvalidExponent;
  }
  // The largest index move per second, rounded down:
  //   MaxRate * max_price * atoms * kIndexScale / kRateScale * 1e9 / period_ns
  // (kIndexScale = kRateScale), exact in 256 bits; times the horizon (2^32 s)
  // it must stay within kIndexBound / 2 = 2^125, i.e. at most 2^93 per second.
  static_assert(kIndexScale == kRateScale);
  const uint128 rate_price =
      uint128(UAbs(MaxRate(p, market.initial_minus_maintenance).raw())) * Pos(market.max_price);
  const uint128 atoms_ns = uint128(Pos(market.atoms_per_tick_lot)) * kNsPerSecond;
  const QuotRem per_second =
      MulDivU(rate_price, atoms_ns, uint128(static_cast<std::uint64_t>(p.period.raw())));
  if (per_second.overflow || per_second.q > (uint128(1) << 93)) {
    return Reason::kFundingIndexOverflow;
  }
  return Reason::kOk;
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

Rate PremiumSample(Ticks impact_bid, Ticks impact_ask, Ticks index) {
  const std::int64_t i = index.raw();
  if (i <= 0) return Rate(0);
  // A missing side (0) contributes nothing; a present one only beyond the index.
  const int128 bid_excess = impact_bid.raw() > i ? int128(impact_bid.raw()) - i : 0;
  const int128 ask_deficit =
      impact_ask.raw() > 0 && impact_ask.raw() < i ? int128(i) - impact_ask.raw() : 0;
  // Division toward zero (C++), then the Rate's range.
  return SaturateRate((bid_excess - ask_deficit) * kOne / i);
}

Rate PremiumRate(Rate premium, const FundingParams& p, Rate initial_minus_maintenance) {
  const int128 pr = premium.raw();
  const int128 band = std::max<std::int64_t>(0, p.interest_band.raw());
  int128 diff = int128(p.interest.raw()) - pr;
  if (diff > band) diff = band;
  if (diff < -band) diff = -band;
  const int128 f = pr + diff;
  if (p.cap_mode == CapMode::kMarginMultiple) {
    const std::int64_t m = MarginCap(p.cap_multiple, initial_minus_maintenance);
    return Clamp(f, -m, m);
  }
  return Clamp(f, p.floor.raw(), p.cap.raw());
}

Rate Skew(std::int64_t long_lots, std::int64_t short_lots) {
  const int128 l = std::max<std::int64_t>(0, long_lots);
  const int128 s = std::max<std::int64_t>(0, short_lots);
  if (l + s == 0) return Rate(0);
  return Rate(static_cast<std::int64_t>((l - s) * kOne / (l + s)));  // toward zero, |.| <= 1
}

Rate Pow(Rate x, Rate e) {
  const std::int64_t xr = std::clamp<std::int64_t>(x.raw(), 0, kOne);
  const std::int64_t er = std::clamp<std::int64_t>(e.raw(), kOne, kMaxExponent.raw());
  if (xr == 0) return Rate(0);
  const auto ux = static_cast<std::uint64_t>(xr);
  const std::int64_t whole = er / kOne;
  if (er % kOne == 0) {
    // x^n / 1e18^(n-1), the one rounding at the end: exact.
    if (whole == 1) return Rate(xr);
    const uint128 sq = uint128(ux) * ux;  // < 2^120
    if (whole == 2) return Rate(static_cast<std::int64_t>(sq / kOne));
    const uint128 one2 = uint128(static_cast<std::uint64_t>(kOne)) * static_cast<std::uint64_t>(kOne);
    return Rate(static_cast<std::int64_t>(MulDivU(sq, ux, one2).q));
  }
  if (xr == kOne) return Rate(kOne);
  // x^e = 2^-y with y = e * (log2(1e18) - log2(x raw)) >= 0, in Q64 (rounded
  // down); then 2^-y = 2^-(I + 1) * 2^(1 - r) for y = I + r, 0 < r < 1.
  const uint128 lx = Log2Q64(ux);
  const uint128 l1 = Log2Q64(static_cast<std::uint64_t>(kOne));
  const uint128 a = l1 > lx ? l1 - lx : 0;
  const uint128 y = MulDivU(a, static_cast<std::uint64_t>(er), static_cast<std::uint64_t>(kOne)).q;
  const std::uint64_t whole_bits = absl::Uint128High64(y);
  const std::uint64_t r = absl::Uint128Low64(y);
  if (r == 0) return Rate(whole_bits < 63 ? kOne >> whole_bits : 0);
  const std::uint64_t m = Exp2Q63(~r + 1);  // 2^(1 - r), Q1.63
  const std::uint64_t shift = whole_bits + 64;  // 63 (Q1.63) + I + 1
  if (shift >= 128) return Rate(0);
  return Rate(static_cast<std::int64_t>((uint128(static_cast<std::uint64_t>(kOne)) * m) >>
                                        static_cast<int>(shift)));
}

Rate SkewRate(Rate skew, const FundingParams& p) {
  const std::int64_t max = std::max<std::int64_t>(0, p.skew_max.raw());
  if (p.model == FundingModel::kSkewLinear) {
    return Clamp(int128(p.skew_kappa.raw()) * skew.raw() / kOne, -max, max);  // toward zero
  }
  if (p.model == FundingModel::kSkewPower) {
    const std::uint64_t mag = std::min<std::uint64_t>(UAbs(skew.raw()), kOne);
    const int128 f = int128(p.skew_factor.raw()) *
                     Pow(Rate(static_cast<std::int64_t>(mag)), p.skew_exponent).raw() / kOne;
    return Clamp(skew.raw() < 0 ? -f : f, -max, max);
  }
  return Rate(0);
}

Rate AdaptiveStep(Rate rate, Rate skew, TimeNs dt, const FundingParams& p) {
  const std::int64_t max = std::max<std::int64_t>(0, p.skew_max.raw());
  const std::int64_t f = std::clamp<std::int64_t>(rate.raw(), -max, max);
  const std::int64_t s = skew.raw();
  const std::uint64_t dt_ns = Pos(dt.raw());
  const std::uint64_t mag = std::min<std::uint64_t>(UAbs(s), kOne);
  const bool against = f != 0 && s != 0 && ((f > 0) != (s > 0));
  const bool above_stable = mag > static_cast<std::uint64_t>(std::max<std::int64_t>(0, p.stable_threshold.raw()));
  if (against || above_stable) {
    // Ramp: ramp_up * |skew|^e * dt / 1e9 per period, toward zero, exact in
    // 256 bits (quotient < 2^93).
    const uint128 coeff = uint128(Pos(p.ramp_up.raw())) *
                          static_cast<std::uint64_t>(Pow(Rate(static_cast<std::int64_t>(mag)), p.skew_exponent).raw());
    const QuotRem inc = MulDivU(coeff, dt_ns, uint128(static_cast<std::uint64_t>(kOne)) * kNsPerSecond);
    const int128 step = inc.overflow ? int128(kMaxI64) : int128(std::min(inc.q, uint128(kMaxI64)));
    const int128 next = s > 0 ? int128(f) + step : int128(f) - step;
    if (against && !above_stable) {
      // Toward the skew's side, but at |skew| <= stable_threshold F = 0
      // holds: the ramp stops at 0.
      return f > 0 ? Rate(static_cast<std::int64_t>(std::max<int128>(next, 0)))
                   : Rate(static_cast<std::int64_t>(std::min<int128>(next, 0)));
    }
    return Clamp(next, -max, max);
  }
  if (mag < static_cast<std::uint64_t>(std::max<std::int64_t>(0, p.decay_threshold.raw()))) {
    // Decay: decay * dt / 1e9, toward zero; never past 0.
    const uint128 dec = uint128(Pos(p.decay.raw())) * dt_ns / kNsPerSecond;  // < 2^123
    const uint128 fm = UAbs(f);
    if (dec >= fm) return Rate(0);
    const auto left = static_cast<std::int64_t>(fm - dec);
    return Rate(f > 0 ? left : -left);
  }
  return Rate(f);  // between the thresholds: holds
}

absl::int128 IndexDelta(Rate rate, TimeNs elapsed, TimeNs period, Ticks price,
                        std::int64_t atoms_per_tick_lot) {
  if (rate.raw() == 0 || elapsed.raw() <= 0 || period.raw() <= 0 || price.raw() <= 0 ||
      atoms_per_tick_lot <= 0) {
    return 0;
  }
  // rate * elapsed * price * atoms * (kIndexScale / kRateScale = 1) / period,
  // the magnitude rounded down (toward zero), exact in 256 bits.
  const uint128 rate_price = uint128(UAbs(rate.raw())) * static_cast<std::uint64_t>(price.raw());
  const uint128 time_atoms = uint128(static_cast<std::uint64_t>(elapsed.raw())) *
                             static_cast<std::uint64_t>(atoms_per_tick_lot);
  const QuotRem d = MulDivU(rate_price, time_atoms, static_cast<std::uint64_t>(period.raw()));
  const uint128 mag = d.overflow || d.q > kIndexBoundU ? kIndexBoundU : d.q;
  const auto v = static_cast<int128>(mag);
  return rate.raw() < 0 ? -v : v;
}

namespace {
// The exact (now - settled) * size / kIndexScale as a sign, a quotient
// (rounded down in magnitude) and a remainder.
struct OwedParts {
  bool negative = false;
  bool overflow = false;
  uint128 q = 0, r = 0;
};
OwedParts OwedOf(int128 now, int128 settled, std::int64_t size) {
  OwedParts o;
  // |now - settled| < 2^128 always: form it on the unsigned bits (wrapping).
  const bool down = now < settled;
  const uint128 d = down ? static_cast<uint128>(settled) - static_cast<uint128>(now)
                         : static_cast<uint128>(now) - static_cast<uint128>(settled);
  const std::uint64_t lots = UAbs(size);
  // Realistic positions (an index move below 2^96, a size below 2^32) have a
  // product below 2^128: one native multiply, no 256-bit product.
  const QuotRem qr = absl::Uint128High64(d) < (std::uint64_t{1} << 32) &&
                             lots < (std::uint64_t{1} << 32)
                         ? DivByIndexScale(d * lots)
                         : MulDivU(d, lots, static_cast<std::uint64_t>(kIndexScale));
  o.negative = (down != (size < 0)) && d != 0 && size != 0;
  o.overflow = qr.overflow;
  o.q = qr.q;
  o.r = qr.r;
  return o;
}
}  // namespace

namespace {
// ceil: a payer pays the fraction (q + 1), a receiver forgoes it (-q).
int128 OwedFrom(const OwedParts& o) {
  uint128 mag = o.q;
  if (!o.negative && o.r != 0) mag += 1;
  if (o.overflow || mag > kIndexBoundU) mag = kIndexBoundU;
  const auto v = static_cast<int128>(mag);
  return o.negative ? -v : v;
}
// Payer: (q + 1) * S - exact = S - r. Receiver: -q * S + exact = r.
std::int64_t ExcessFrom(const OwedParts& o) {
  if (o.overflow || o.r == 0) return 0;
  return static_cast<std::int64_t>(
      o.negative ? o.r : uint128(static_cast<std::uint64_t>(kIndexScale)) - o.r);
}
}  // namespace

// Owed() alone on the valuation path: it runs for every unsettled position
// a margin check values, and the excess is not needed there.
absl::int128 Owed(absl::int128 now, absl::int128 settled, std::int64_t size) {
  return OwedFrom(OwedOf(now, settled, size));
}

std::int64_t ExcessOf(absl::int128 now, absl::int128 settled, std::int64_t size) {
  return ExcessFrom(OwedOf(now, settled, size));
}

Settlement SettlementOf(absl::int128 now, absl::int128 settled, std::int64_t size) {
  const OwedParts o = OwedOf(now, settled, size);
  return {.owed = OwedFrom(o), .excess = ExcessFrom(o)};
}

// ---------------------------------------------------------------------------
// Funding
// ---------------------------------------------------------------------------

namespace {
// The price payments are made at: 0 (nothing paid) without a usable index.
Ticks PayPrice(const FundingParams& p, const Inputs& in) {
  if (in.index.raw() <= 0) return Ticks(0);
  const Ticks price = p.price == FundingPrice::kMark ? in.mark : in.index;
  return price.raw() > 0 ? price : Ticks(0);
}
}  // namespace

Funding::Funding(const FundingParams& p, TimeNs now) : advanced_to_(now) {
  const std::int64_t interval = std::max<std::int64_t>(1, p.interval.raw());
  interval_start_ = TimeNs(FloorDiv(now.raw(), interval) * interval);
  interval_end_ = TimeNs(AddSat(interval_start_.raw(), interval));
}

bool Funding::SampleDue(const FundingParams& p, TimeNs now) const {
  if (p.model != FundingModel::kPremium || now < advanced_to_) return false;
  if (now >= interval_end_) return true;  // a new interval: no sample in it yet
  const std::int64_t cadence = std::max<std::int64_t>(1, p.sample_cadence.raw());
  return (now.raw() - interval_start_.raw()) / cadence != last_slot_;
}

Rate Funding::RunningPremium(const FundingParams& p) const {
  (void)p;
  if (weight_sum_ == 0) return Rate(0);
  return Rate(static_cast<std::int64_t>(premium_sum_ / weight_sum_));  // toward zero
}

Rate Funding::PredictedRate(const FundingParams& p, const Inputs& in) const {
  switch (p.model) {
    case FundingModel::kPremium:
      return PremiumRate(RunningPremium(p), p, in.initial_minus_maintenance);
    case FundingModel::kSkewLinear:
    case FundingModel::kSkewPower:
      return SkewRate(Skew(in.long_lots, in.short_lots), p);
    case FundingModel::kSkewAdaptive:
      return AdaptiveStep(rate_, Skew(in.long_lots, in.short_lots),
                          TimeNs(std::max<std::int64_t>(0, in.now.raw() - advanced_to_.raw())), p);
    case FundingModel::kNone:
      break;
  }
  return Rate(0);
}

void Funding::ResetSamples() {
  premium_sum_ = 0;
  weight_sum_ = 0;
  samples_ = 0;
  last_slot_ = -1;
}


// Continuous accrual over [advanced_to_, to): the rate in effect at the
// span's start (skew linear/power: the skew that held since the last
// advance), then the adaptive rate steps over the span.
absl::int128 Funding::Accrue(const FundingParams& p, const Inputs& in, Ticks price, TimeNs to) {
  const TimeNs dt(to.raw() - advanced_to_.raw());
  advanced_to_ = to;
  if (dt.raw() <= 0) return 0;
  const Rate accrue_at = AccrualRate(p, in);
  const bool skew_model =
      p.model == FundingModel::kSkewLinear || p.model == FundingModel::kSkewPower;
  if (skew_model && p.payment == FundingPayment::kContinuous) rate_ = accrue_at;
  if (p.model == FundingModel::kSkewAdaptive) {
    rate_ = AdaptiveStep(rate_, Skew(in.long_lots, in.short_lots), dt, p);
  }
  if (p.payment != FundingPayment::kContinuous) return 0;
  const absl::int128 d = IndexDelta(accrue_at, dt, p.period, price, in.atoms_per_tick_lot);
  AddToIndex(d);
  return d;
}

Rate Funding::AccrualRate(const FundingParams& p, const Inputs& in) const {
  const bool skew_model =
      p.model == FundingModel::kSkewLinear || p.model == FundingModel::kSkewPower;
  if (skew_model && p.payment == FundingPayment::kContinuous) {
    return SkewRate(Skew(in.long_lots, in.short_lots), p);
  }
  return rate_;
}

void Funding::AddToIndex(absl::int128 d) {
  // Saturates at +-kIndexBound (unreachable within kIndexHorizonSeconds for
  // validated parameters).
  index_ = AddIndex(index_, d);
}

// The F an interval closing now has (before the payment).
Rate Funding::CloseRate(const FundingParams& p, const Inputs& in) const {
  switch (p.model) {
    case FundingModel::kPremium:
      return PremiumRate(RunningPremium(p), p, in.initial_minus_maintenance);
    case FundingModel::kSkewLinear:
    case FundingModel::kSkewPower:
      return SkewRate(Skew(in.long_lots, in.short_lots), p);
    case FundingModel::kSkewAdaptive:
      return rate_;  // stepped up to the close by Accrue()
    case FundingModel::kNone:
      break;
  }
  return Rate(0);
}

RateSet Funding::CloseAt(const FundingParams& p, const Inputs& in, Ticks price, TimeNs end) {
  RateSet r;
  r.start = interval_start_;
  r.end = end;
  r.intervals = 1;
  r.premium = p.model == FundingModel::kPremium ? RunningPremium(p) : Rate(0);
  r.rate = CloseRate(p, in);
  r.price = price;
  if (p.payment == FundingPayment::kIntervalEnd) {
    r.index_delta = IndexDelta(r.rate, TimeNs(end.raw() - interval_start_.raw()), p.period, price,
                               in.atoms_per_tick_lot);
    AddToIndex(r.index_delta);
  }
  rate_ = r.rate;
  ResetSamples();
  return r;
}

Advanced Funding::Advance(const FundingParams& p, const Inputs& in) {
  Advanced out;
  if (in.now < advanced_to_) return out;  // time never goes back: nothing to do
  const std::int64_t interval = std::max<std::int64_t>(1, p.interval.raw());
  if (p.model == FundingModel::kNone) {
    // The clock keeps aligned; nothing accrues, closes or samples.
    if (in.now >= interval_end_) {
      interval_start_ = TimeNs(FloorDiv(in.now.raw(), interval) * interval);
      interval_end_ = TimeNs(AddSat(interval_start_.raw(), interval));
      ResetSamples();
    }
    advanced_to_ = in.now;
    return out;
  }
  const Ticks price = PayPrice(p, in);
  if (interval_end_ <= in.now) {
    // (a) the interval in progress: accrue up to its end, close it there.
    const TimeNs end = interval_end_;
    out.index_delta = AddIndex(out.index_delta, Accrue(p, in, price, end));
    const RateSet first = CloseAt(p, in, price, end);
    out.index_delta = AddIndex(out.index_delta, first.index_delta);
    out.closed[out.closes++] = first;
    interval_start_ = end;
    interval_end_ = TimeNs(AddSat(end.raw(), interval));
    // The run of k whole intervals that ended by now without a tick.
    const std::int64_t k = (in.now.raw() - interval_start_.raw()) / interval;
    if (k >= 1) {
      const TimeNs span(k * interval);  // <= now - start: no overflow
      const TimeNs run_end(interval_start_.raw() + span.raw());
      RateSet r;
      r.start = interval_start_;
      r.end = run_end;
      r.intervals = static_cast<std::uint32_t>(
          std::min<std::int64_t>(k, std::numeric_limits<std::uint32_t>::max()));
      r.premium = Rate(0);
      r.price = price;
      const Rate skew = Skew(in.long_lots, in.short_lots);
      absl::int128 accrued = 0;
      switch (p.model) {
        case FundingModel::kPremium:
          r.rate = PremiumRate(Rate(0), p, in.initial_minus_maintenance);
          if (p.payment == FundingPayment::kContinuous) {
            // The run's first interval pays the F closed before it, each
            // later one the run's own F (the one of its predecessor).
            accrued = AddIndex(
                IndexDelta(rate_, TimeNs(interval), p.period, price, in.atoms_per_tick_lot),
                IndexDelta(r.rate, TimeNs(span.raw() - interval), p.period, price,
                           in.atoms_per_tick_lot));
          }
          break;
        case FundingModel::kSkewLinear:
        case FundingModel::kSkewPower:
          r.rate = SkewRate(skew, p);
          if (p.payment == FundingPayment::kContinuous) {
            accrued = IndexDelta(r.rate, span, p.period, price, in.atoms_per_tick_lot);
          }
          break;
        case FundingModel::kSkewAdaptive:
          if (p.payment == FundingPayment::kContinuous) {
            accrued = IndexDelta(rate_, span, p.period, price, in.atoms_per_tick_lot);
          }
          r.rate = AdaptiveStep(rate_, skew, span, p);
          break;
        case FundingModel::kNone:
          break;
      }
      if (p.payment == FundingPayment::kIntervalEnd) {
        r.index_delta = IndexDelta(r.rate, span, p.period, price, in.atoms_per_tick_lot);
        AddToIndex(r.index_delta);
        out.index_delta = AddIndex(out.index_delta, r.index_delta);
      } else {
        AddToIndex(accrued);
        out.index_delta = AddIndex(out.index_delta, accrued);
      }
      rate_ = r.rate;
      out.closed[out.closes++] = r;
      interval_start_ = run_end;
      interval_end_ = TimeNs(AddSat(run_end.raw(), interval));
      advanced_to_ = run_end;
    }
  }
  // (b) continuous accrual up to now.
  out.index_delta = AddIndex(out.index_delta, Accrue(p, in, price, in.now));
  // (c) a premium sample in a new cadence slot.
  if (p.model == FundingModel::kPremium && in.index.raw() > 0 && in.book_open) {
    const std::int64_t cadence = std::max<std::int64_t>(1, p.sample_cadence.raw());
    const std::int64_t slot = (in.now.raw() - interval_start_.raw()) / cadence;
    if (slot != last_slot_) {
      const Rate s = PremiumSample(in.impact_bid, in.impact_ask, in.index);
      const std::int64_t w = p.weighting == PremiumWeighting::kTimeWeighted ? slot + 1 : 1;
      premium_sum_ += absl::int128(w) * s.raw();
      weight_sum_ += w;
      ++samples_;
      last_slot_ = slot;
      last_sample_ = s;
      out.sampled = true;
      out.sample = s;
    }
  }
  return out;
}

std::optional<RateSet> Funding::Close(const FundingParams& old, const FundingParams& next,
                                      const Inputs& in) {
  if (in.now > advanced_to_) Advance(old, in);
  // Time never goes back: an earlier in.now closes at the last advance.
  const TimeNs now = std::max(in.now, advanced_to_);
  std::optional<RateSet> out;
  if (old.model != FundingModel::kNone && now > interval_start_) {
    out = CloseAt(old, in, PayPrice(old, in), now);
  }
  if (next.model != old.model) rate_ = Rate(0);
  // The next interval runs from now to the next multiple of next.interval.
  const std::int64_t interval = std::max<std::int64_t>(1, next.interval.raw());
  interval_start_ = now;
  interval_end_ = TimeNs(AddSat(FloorDiv(interval_start_.raw(), interval) * interval, interval));
  ResetSamples();
  return out;
}

absl::int128 Funding::IndexAt(const FundingParams& p, const Inputs& in) const {
  // The usual case under continuous payment, which every valuation in such
  // a market meets: no interval ends by in.now, so the advance would only
  // accrue (Accrue()) and nothing needs copying.
  if (p.payment == FundingPayment::kContinuous && p.model != FundingModel::kNone &&
      in.now < interval_end_ && in.now >= advanced_to_) {
    const TimeNs dt(in.now.raw() - advanced_to_.raw());
    return AddIndex(index_, IndexDelta(AccrualRate(p, in), dt, p.period, PayPrice(p, in),
                                       in.atoms_per_tick_lot));
  }
  Funding projected = *this;
  Inputs no_sample = in;
  no_sample.book_open = false;
  projected.Advance(p, no_sample);
  return projected.index_;
}

void RateHistory::Record(const RateSet& r) {
  ring_[head_] = r;
  head_ = static_cast<std::uint32_t>((head_ + 1) % kHistory);
  if (size_ < kHistory) ++size_;
}

std::size_t RateHistory::Newest(std::span<RateSet> out) const {
  const std::size_t n = std::min<std::size_t>(size_, out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = ring_[(head_ + kHistory - 1 - i) % kHistory];
  return n;
}

void RateHistory::EncodeCanonical(std::string* out) const {
  PutU32(out, size_);
  for (std::uint32_t i = 0; i < size_; ++i) {
    const RateSet& r = ring_[(head_ + kHistory - 1 - i) % kHistory];
    PutI64(out, r.start.raw());
    PutI64(out, r.end.raw());
    PutU32(out, r.intervals);
    PutI64(out, r.premium.raw());
    PutI64(out, r.rate.raw());
    PutI64(out, r.price.raw());
    PutI128(out, r.index_delta);
  }
}

void Funding::EncodeCanonical(std::string* out) const {
  out->append("perpcore/funding/v1");
  PutI128(out, index_);
  PutI64(out, rate_.raw());
  PutI64(out, last_sample_.raw());
  PutI64(out, interval_start_.raw());
  PutI64(out, interval_end_.raw());
  PutI64(out, advanced_to_.raw());
  PutI64(out, last_slot_);
  PutI128(out, premium_sum_);
  PutI64(out, weight_sum_);
  PutU32(out, samples_);
}

}  // namespace funding
PERPCORE_NAMESPACE_END

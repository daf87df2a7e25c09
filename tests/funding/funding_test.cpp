// Tests of funding/funding.hpp: every piece of arithmetic with values worked
// out by hand (in the comments), every one-unit boundary of a decision, one
// test per Validate() reason, the Funding clock, and worked examples from the
// venues' public documentation and code (cited at each).
//
// Units used throughout: Rate raw 1e18 = 1, so 1 basis point (0.01%) is
// 1e14 raw; index units are atoms per lot times 1e18.
#include "perpcore/detail/int128_text.hpp"
#include "perpcore/funding/funding.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "perpcore/core/level.hpp"
#include "perpcore/core/side.hpp"
#include "perpcore/oracle/oracle.hpp"
#include "support/rng.hpp"

namespace {

using perpcore::Lots;
using perpcore::Rate;
using perpcore::Reason;
using perpcore::Ticks;
using perpcore::TimeNs;
using namespace perpcore::funding;
using absl::int128;

constexpr std::int64_t kOne = perpcore::kRateScale;  // Rate 1
constexpr std::int64_t kBp = kOne / 10'000;           // 0.01%
constexpr std::int64_t kSec = kNsPerSecond;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 3600 * kSec;
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();

// A market for Validate(): prices up to 1e6 ticks, 1 atom per tick-lot,
// initial - maintenance = 2%.
MarketBounds Bounds() { return {.max_price = 1'000'000, .atoms_per_tick_lot = 1,
                                .initial_minus_maintenance = Rate(2 * kOne / 100)}; }

FundingParams PremiumParams() {
  FundingParams p;  // defaults: premium, interval-end, index, 8 h / 8 h, 60 s
  return p;
}
FundingParams SkewParams(FundingModel m) {
  FundingParams p;
  p.model = m;
  p.counterparty = 7;
  return p;
}

Inputs At(std::int64_t now_ns, std::int64_t index = 100) {
  Inputs in;
  in.now = TimeNs(now_ns);
  in.index = Ticks(index);
  in.mark = Ticks(index);
  in.impact_bid = Ticks(index);  // no premium
  in.impact_ask = Ticks(index);
  return in;
}

// The seed of a seeded sweep: PERPCORE_TEST_SEED if set, else `fallback`;
// printed so a failure can be rerun.
std::uint64_t Seed(std::uint64_t fallback) {
  const char* env = std::getenv("PERPCORE_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : fallback;
  std::printf("[funding] seed %llu (PERPCORE_TEST_SEED)\n", static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace

// ===========================================================================
// Validate
// ===========================================================================

TEST_CASE("Funding Validate: the default parameters are valid for an ordinary market",
          "[funding]") {
  CHECK(Validate(FundingParams{}, Bounds()) == Reason::kOk);
  // The skew models are valid with a counterparty and their defaults.
  CHECK(Validate(SkewParams(FundingModel::kSkewLinear), Bounds()) == Reason::kOk);
  CHECK(Validate(SkewParams(FundingModel::kSkewPower), Bounds()) == Reason::kOk);
  CHECK(Validate(SkewParams(FundingModel::kSkewAdaptive), Bounds()) == Reason::kOk);
  FundingParams none;
  none.model = FundingModel::kNone;
  CHECK(Validate(none, Bounds()) == Reason::kOk);
}

TEST_CASE("Funding Validate: a model that is not a FundingModel is refused", "[funding]") {
  FundingParams p;
  p.model = static_cast<FundingModel>(5);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidModel);
}

TEST_CASE("Funding Validate: a payment or price that is not an enumerator is refused",
          "[funding]") {
  FundingParams p;
  p.payment = static_cast<FundingPayment>(2);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidPayment);
  FundingParams q;
  q.price = static_cast<FundingPrice>(2);
  CHECK(Validate(q, Bounds()) == Reason::kFundingInvalidPayment);
}

TEST_CASE("Funding Validate: interval of exactly 1 s is accepted and 1 ns less refused",
          "[funding]") {
  FundingParams p;
  p.interval = TimeNs(kSec);
  p.sample_cadence = TimeNs(kSec);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interval = TimeNs(kSec - 1);
  p.sample_cadence = TimeNs(1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterval);
  p.interval = TimeNs(0);  // the "interval 0"
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding Validate: interval of exactly 7 days is accepted and 1 ns more refused",
          "[funding]") {
  FundingParams p;
  p.interval = kMaxInterval;  // 604800 s = 10080 slots of 60 s
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interval = TimeNs(kMaxInterval.raw() + 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding Validate: the period has the interval's bounds", "[funding]") {
  FundingParams p;
  p.period = TimeNs(kSec);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.period = TimeNs(kSec - 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterval);
  p.period = kMaxInterval;
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.period = TimeNs(kMaxInterval.raw() + 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding Validate: a sample cadence of 0 is refused", "[funding]") {
  FundingParams p;
  p.sample_cadence = TimeNs(0);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidCadence);
  p.sample_cadence = TimeNs(-kMin);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidCadence);
}

TEST_CASE("Funding Validate: a cadence that does not divide the interval is refused",
          "[funding]") {
  FundingParams p;
  p.sample_cadence = TimeNs(7 * kSec);  // 28800 s / 7 s is not whole
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidCadence);
  p.sample_cadence = TimeNs(5 * kSec);  // 5760 slots, Binance's 5 s
  CHECK(Validate(p, Bounds()) == Reason::kOk);
}

TEST_CASE("Funding Validate: exactly 2^20 sample slots are accepted and one more refused",
          "[funding]") {
  FundingParams p;
  p.sample_cadence = TimeNs(1000);
  p.interval = TimeNs(std::int64_t{1000} << 20);  // 1.048576 s: 2^20 slots
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interval = TimeNs(((std::int64_t{1} << 20) + 1) * 1000);  // 2^20 + 1 slots
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidCadence);
}

TEST_CASE("Funding Validate: a weighting that is not a PremiumWeighting is refused",
          "[funding]") {
  FundingParams p;
  p.weighting = static_cast<PremiumWeighting>(2);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidWeighting);
}

TEST_CASE("Funding Validate: impact notional of 1 atom is accepted and 0 refused",
          "[funding]") {
  FundingParams p;
  p.impact_notional = 1;
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.impact_notional = 0;
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidImpactNotional);
}

TEST_CASE("Funding Validate: interest within +-100 percent is accepted, one unit beyond refused",
          "[funding]") {
  FundingParams p;
  p.interest = Rate(kOne);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interest = Rate(kOne + 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterest);
  p.interest = Rate(-kOne);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interest = Rate(-kOne - 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterest);
}

TEST_CASE("Funding Validate: a negative interest band is refused, 0 and 1 accepted",
          "[funding]") {
  FundingParams p;
  p.interest_band = Rate(-1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterest);
  p.interest_band = Rate(0);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interest_band = Rate(kOne);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.interest_band = Rate(kOne + 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidInterest);
}

TEST_CASE("Funding Validate: cap equal to the floor is accepted and one unit below refused",
          "[funding]") {
  FundingParams p;
  p.cap = Rate(5 * kBp);
  p.floor = Rate(5 * kBp);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.cap = Rate(5 * kBp - 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingCapBelowFloor);
}

TEST_CASE("Funding Validate: a cap or floor beyond +-100 percent is refused", "[funding]") {
  FundingParams p;
  p.cap = Rate(kOne);
  p.floor = Rate(-kOne);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.cap = Rate(kOne + 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingCapBelowFloor);
  p.cap = Rate(kOne);
  p.floor = Rate(-kOne - 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingCapBelowFloor);
}

TEST_CASE("Funding Validate: a bad cap mode or cap multiple is refused", "[funding]") {
  FundingParams p;
  p.cap_mode = static_cast<CapMode>(2);
  CHECK(Validate(p, Bounds()) == Reason::kFundingCapBelowFloor);
  FundingParams q;
  q.cap_mode = CapMode::kMarginMultiple;
  q.cap_multiple = Rate(0);
  CHECK(Validate(q, Bounds()) == Reason::kFundingCapBelowFloor);
  q.cap_multiple = Rate(1);
  CHECK(Validate(q, Bounds()) == Reason::kOk);
  q.cap_multiple = kMaxCapMultiple;  // 9.2
  CHECK(Validate(q, Bounds()) == Reason::kOk);
  q.cap_multiple = Rate(kMaxCapMultiple.raw() + 1);
  CHECK(Validate(q, Bounds()) == Reason::kFundingCapBelowFloor);
}

TEST_CASE("Funding Validate: a skew model without a counterparty is refused", "[funding]") {
  for (FundingModel m :
       {FundingModel::kSkewLinear, FundingModel::kSkewPower, FundingModel::kSkewAdaptive}) {
    FundingParams p = SkewParams(m);
    p.counterparty = 0;
    CHECK(Validate(p, Bounds()) == Reason::kFundingNoCounterparty);
  }
  // The premium model needs none (the default counterparty is 0).
  CHECK(Validate(PremiumParams(), Bounds()) == Reason::kOk);
}

TEST_CASE("Funding Validate: skew coefficients are checked at their bounds, even under the premium model",
          "[funding]") {
  auto with = [](auto set) {
    FundingParams p;  // the premium model: other models' fields are checked too
    set(p);
    return Validate(p, Bounds());
  };
  CHECK(with([](FundingParams& p) { p.skew_kappa = Rate(0); }) == Reason::kOk);
  CHECK(with([](FundingParams& p) { p.skew_kappa = Rate(-1); }) == Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.skew_factor = Rate(kOne); }) == Reason::kOk);
  CHECK(with([](FundingParams& p) { p.skew_factor = Rate(kOne + 1); }) ==
        Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.skew_factor = Rate(-1); }) == Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.skew_max = Rate(1); }) == Reason::kOk);
  CHECK(with([](FundingParams& p) { p.skew_max = Rate(0); }) == Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.skew_max = Rate(kOne); }) == Reason::kOk);
  CHECK(with([](FundingParams& p) { p.skew_max = Rate(kOne + 1); }) ==
        Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.ramp_up = Rate(kOne + 1); }) == Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.ramp_up = Rate(-1); }) == Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.decay = Rate(kOne); }) == Reason::kOk);
  CHECK(with([](FundingParams& p) { p.decay = Rate(kOne + 1); }) == Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.stable_threshold = Rate(kOne + 1); }) ==
        Reason::kFundingInvalidSkew);
  CHECK(with([](FundingParams& p) { p.decay_threshold = Rate(-1); }) ==
        Reason::kFundingInvalidSkew);
  // decay_threshold <= stable_threshold: equal accepted, one unit above refused.
  CHECK(with([](FundingParams& p) {
          p.stable_threshold = Rate(kOne / 10);
          p.decay_threshold = Rate(kOne / 10);
        }) == Reason::kOk);
  CHECK(with([](FundingParams& p) {
          p.stable_threshold = Rate(kOne / 10);
          p.decay_threshold = Rate(kOne / 10 + 1);
        }) == Reason::kFundingInvalidSkew);
}

TEST_CASE("Funding Validate: the exponent must lie between 1 and 3, both ends included", "[funding]") {
  FundingParams p;
  p.skew_exponent = Rate(kOne);
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.skew_exponent = Rate(kOne - 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidExponent);
  p.skew_exponent = kMaxExponent;
  CHECK(Validate(p, Bounds()) == Reason::kOk);
  p.skew_exponent = Rate(kMaxExponent.raw() + 1);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidExponent);
}

TEST_CASE("Funding Validate: the index bound is met exactly at 2^93 index units per second",
          "[funding]") {
  // Period 1 s, |F| <= 1 (cap 1, floor -1), atoms 1: the move per second is
  // 1e18 * max_price index units; kIndexBound / 2 / 2^32 s = 2^125 / 2^32 =
  // 2^93 = 9903520314283042199192993792, so max_price may be at most
  // floor(2^93 / 1e18) = 9903520314 ticks.
  FundingParams p;
  p.period = TimeNs(kSec);
  p.cap = Rate(kOne);
  p.floor = Rate(-kOne);
  MarketBounds m = Bounds();
  m.max_price = 9'903'520'314;
  CHECK(Validate(p, m) == Reason::kOk);
  m.max_price = 9'903'520'315;  // 9903520315e18 > 2^93
  CHECK(Validate(p, m) == Reason::kFundingIndexOverflow);
  // The margin multiple's bound counts: 6 * 2% = 12%, so 8.25x the price is
  // allowed: floor(2^93 / 1.2e17) = 82529335952.
  FundingParams q = p;
  q.cap_mode = CapMode::kMarginMultiple;
  q.cap_multiple = Rate(6 * kOne);
  m.max_price = 82'529'335'952;
  CHECK(Validate(q, m) == Reason::kOk);
  m.max_price = 82'529'335'953;
  CHECK(Validate(q, m) == Reason::kFundingIndexOverflow);
}

TEST_CASE("Funding Validate: a move of exactly 2^93 index units per second is accepted, more refused",
          "[funding]") {
  // Cap 2^59 raw (0.576), period 1 s, atoms 1: the move per second is
  // 2^59 * max_price; at max_price 2^34 it is 2^93 exactly (times 2^32 s:
  // 2^125 = kIndexBound / 2, allowed); one tick more passes it.
  FundingParams p;
  p.period = TimeNs(kSec);
  p.cap = Rate(std::int64_t{1} << 59);
  p.floor = Rate(0);
  MarketBounds m = Bounds();
  m.max_price = std::int64_t{1} << 34;
  CHECK(Validate(p, m) == Reason::kOk);
  m.max_price = (std::int64_t{1} << 34) + 1;
  CHECK(Validate(p, m) == Reason::kFundingIndexOverflow);
  // The period divides: 2 s halves the move, so twice the price is allowed.
  p.period = TimeNs(2 * kSec);
  m.max_price = std::int64_t{1} << 35;
  CHECK(Validate(p, m) == Reason::kOk);
  m.max_price = (std::int64_t{1} << 35) + 2;  // 2^59 * (2^35 + 2) / 2 = 2^93 + 2^59
  CHECK(Validate(p, m) == Reason::kFundingIndexOverflow);
}

TEST_CASE("Funding Validate: extreme markets are refused for overflow, without overflowing",
          "[funding]") {
  FundingParams p;
  p.cap = Rate(kOne);
  p.floor = Rate(-kOne);
  MarketBounds m{.max_price = kI64Max, .atoms_per_tick_lot = kI64Max,
                 .initial_minus_maintenance = Rate(kOne)};
  CHECK(Validate(p, m) == Reason::kFundingIndexOverflow);  // 2^189 in 256 bits
  // The skew models use skew_max (0.01 per 1 s period here).
  FundingParams s = SkewParams(FundingModel::kSkewPower);
  s.period = TimeNs(kSec);
  m = Bounds();
  // 1e16 * max_price <= 2^93: max_price <= 990352031428.
  m.max_price = 990'352'031'428;
  CHECK(Validate(s, m) == Reason::kOk);
  m.max_price = 990'352'031'429;
  CHECK(Validate(s, m) == Reason::kFundingIndexOverflow);
}

TEST_CASE("Funding Validate: the first fault in field order is the one reported", "[funding]") {
  FundingParams p;
  p.sample_cadence = TimeNs(0);  // kFundingInvalidCadence
  p.impact_notional = 0;         // kFundingInvalidImpactNotional, later
  p.skew_exponent = Rate(0);     // kFundingInvalidExponent, later still
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidCadence);
  p.sample_cadence = TimeNs(kMin);
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidImpactNotional);
  p.impact_notional = 1;
  CHECK(Validate(p, Bounds()) == Reason::kFundingInvalidExponent);
}

TEST_CASE("Funding MaxRate: the cap, the margin multiple or skew_max per model", "[funding]") {
  FundingParams p;
  p.cap = Rate(50 * kBp);
  p.floor = Rate(-75 * kBp);
  CHECK(MaxRate(p, Rate(0)).raw() == 75 * kBp);  // max(|0.5%|, |-0.75%|)
  p.cap_mode = CapMode::kMarginMultiple;
  p.cap_multiple = Rate(6 * kOne);
  CHECK(MaxRate(p, Rate(2 * kOne / 100)).raw() == 12 * (kOne / 100));  // 6 * 2%
  FundingParams s = SkewParams(FundingModel::kSkewLinear);
  s.skew_max = Rate(3 * kOne / 100);
  CHECK(MaxRate(s, Rate(0)).raw() == 3 * kOne / 100);
  FundingParams none;
  none.model = FundingModel::kNone;
  CHECK(MaxRate(none, Rate(0)).raw() == 0);
}

// ===========================================================================
// PremiumSample / PremiumRate
// ===========================================================================

TEST_CASE("Funding PremiumSample: an impact bid above the index gives a positive premium",
          "[funding]") {
  // (max(0, 101 - 100) - max(0, 100 - 102)) / 100 = 1/100 = 1e16.
  CHECK(PremiumSample(Ticks(101), Ticks(102), Ticks(100)).raw() == kOne / 100);
}

TEST_CASE("Funding PremiumSample: an impact ask below the index gives a negative premium",
          "[funding]") {
  // (0 - (100 - 99)) / 100 = -1e16.
  CHECK(PremiumSample(Ticks(98), Ticks(99), Ticks(100)).raw() == -kOne / 100);
}

TEST_CASE("Funding PremiumSample: a book straddling the index gives 0", "[funding]") {
  CHECK(PremiumSample(Ticks(99), Ticks(101), Ticks(100)).raw() == 0);
  // Exactly at the index on both sides: 0 as well.
  CHECK(PremiumSample(Ticks(100), Ticks(100), Ticks(100)).raw() == 0);
  // One tick beyond: 1/100.
  CHECK(PremiumSample(Ticks(101), Ticks(101), Ticks(100)).raw() == kOne / 100);
}

TEST_CASE("Funding PremiumSample: a side too thin for the impact notional contributes 0",
          "[funding]") {
  // No impact ask (0): only the bid counts, not (index - 0).
  CHECK(PremiumSample(Ticks(101), Ticks(0), Ticks(100)).raw() == kOne / 100);
  // No impact bid: only the ask counts.
  CHECK(PremiumSample(Ticks(0), Ticks(99), Ticks(100)).raw() == -kOne / 100);
  CHECK(PremiumSample(Ticks(0), Ticks(0), Ticks(100)).raw() == 0);
}

TEST_CASE("Funding PremiumSample: rounds toward zero on both sides", "[funding]") {
  // 1/3 = 0.333..., in Rate 333333333333333333 (not ...334), and -1/3 the same.
  CHECK(PremiumSample(Ticks(4), Ticks(5), Ticks(3)).raw() == 333'333'333'333'333'333);
  CHECK(PremiumSample(Ticks(1), Ticks(2), Ticks(3)).raw() == -333'333'333'333'333'333);
}

TEST_CASE("Funding PremiumSample: no usable index gives 0", "[funding]") {
  CHECK(PremiumSample(Ticks(101), Ticks(102), Ticks(0)).raw() == 0);
}

TEST_CASE("Funding PremiumRate: a premium within the band of the interest gives the interest",
          "[funding]") {
  FundingParams p;  // interest 1 bp, band 5 bp
  // P = 3 bp: interest - P = -2 bp, within +-5 bp: F = 3 - 2 = 1 bp.
  CHECK(PremiumRate(Rate(3 * kBp), p, Rate(0)).raw() == kBp);
  CHECK(PremiumRate(Rate(-4 * kBp), p, Rate(0)).raw() == kBp);  // diff +5 bp exactly
}

TEST_CASE("Funding PremiumRate: the band binds one unit beyond its edge", "[funding]") {
  FundingParams p;
  // P = 6 bp: interest - P = -5 bp, exactly the band: F = interest = 1 bp.
  CHECK(PremiumRate(Rate(6 * kBp), p, Rate(0)).raw() == kBp);
  // P = 6 bp + 1: diff clamps to -5 bp: F = 6 bp + 1 - 5 bp = 1 bp + 1.
  CHECK(PremiumRate(Rate(6 * kBp + 1), p, Rate(0)).raw() == kBp + 1);
  // P = -4 bp - 1: diff = 5 bp + 1 clamps to 5 bp: F = 1 bp - 1.
  CHECK(PremiumRate(Rate(-4 * kBp - 1), p, Rate(0)).raw() == kBp - 1);
}

TEST_CASE("Funding PremiumRate: the fixed cap is reached exactly and binds one unit beyond",
          "[funding]") {
  FundingParams p;  // cap 75 bp, floor -75 bp
  // P = 80 bp: F = 80 - 5 = 75 bp, exactly the cap.
  CHECK(PremiumRate(Rate(80 * kBp), p, Rate(0)).raw() == 75 * kBp);
  // P = 80 bp + 1: F = 75 bp + 1, capped at 75 bp.
  CHECK(PremiumRate(Rate(80 * kBp + 1), p, Rate(0)).raw() == 75 * kBp);
  // P = -81 bp: F = -81 + 5 = -76 bp, floored at -75 bp; P = -80 bp: F = -75.
  CHECK(PremiumRate(Rate(-80 * kBp), p, Rate(0)).raw() == -75 * kBp);
  CHECK(PremiumRate(Rate(-80 * kBp - 1), p, Rate(0)).raw() == -75 * kBp);
}

TEST_CASE("Funding PremiumRate: the margin multiple caps at cap_multiple times the margin gap",
          "[funding]") {
  FundingParams p;
  p.cap_mode = CapMode::kMarginMultiple;
  p.cap_multiple = Rate(6 * kOne);
  const Rate imm(2 * kOne / 100);  // 6 * 2% = 12%
  CHECK(PremiumRate(Rate(1205 * kBp), p, imm).raw() == 1200 * kBp);      // 12.05 - 0.05 = 12%
  CHECK(PremiumRate(Rate(1205 * kBp + 1), p, imm).raw() == 1200 * kBp);  // capped
  CHECK(PremiumRate(Rate(-2000 * kBp), p, imm).raw() == -1200 * kBp);
}

// ===========================================================================
// Skew / Pow / SkewRate / AdaptiveStep
// ===========================================================================

TEST_CASE("Funding Skew: (long - short) / (long + short) rounded toward zero", "[funding]") {
  CHECK(Skew(3, 1).raw() == kOne / 2);    // 2/4
  CHECK(Skew(1, 3).raw() == -kOne / 2);
  CHECK(Skew(5, 0).raw() == kOne);        // all long
  CHECK(Skew(0, 5).raw() == -kOne);
  CHECK(Skew(0, 0).raw() == 0);           // no open interest
  CHECK(Skew(2, 1).raw() == 333'333'333'333'333'333);   // 1/3 down
  CHECK(Skew(1, 2).raw() == -333'333'333'333'333'333);  // -1/3 toward zero
  // Open interest near INT64_MAX does not overflow (128-bit sum).
  CHECK(Skew(kI64Max, kI64Max).raw() == 0);
}

TEST_CASE("Funding Pow: whole exponents are exact", "[funding]") {
  CHECK(Pow(Rate(kOne / 2), Rate(kOne)).raw() == kOne / 2);
  CHECK(Pow(Rate(kOne / 2), Rate(2 * kOne)).raw() == kOne / 4);
  CHECK(Pow(Rate(kOne / 2), Rate(3 * kOne)).raw() == kOne / 8);
  // x = 0.644461693100611747: x^3 = 0.267664838173863684135140149...
  // (x raw cubed = 267664838173863684135140149108233635346688080308329723,
  // over 1e36), so the exact floor is 267664838173863684; truncating x^2
  // first would give ...683.
  CHECK(Pow(Rate(644'461'693'100'611'747), Rate(3 * kOne)).raw() == 267'664'838'173'863'684);
  // x^2 = 415330873874107082624738065634392009 / 1e18, floor.
  CHECK(Pow(Rate(644'461'693'100'611'747), Rate(2 * kOne)).raw() == 415'330'873'874'107'082);
  CHECK(Pow(Rate(0), Rate(2 * kOne)).raw() == 0);
  CHECK(Pow(Rate(kOne), Rate(3 * kOne)).raw() == kOne);
}

TEST_CASE("Funding Pow: fractional exponents agree with long double within 1e-15",
          "[funding]") {
  // 0.25^1.5 = 0.125; 0.5^2.5 = 0.1767766952966369; and a sweep.
  const std::vector<std::int64_t> xs = {1, 7, 1'000, 123'456'789, kOne / 1000, kOne / 4,
                                        kOne / 3, kOne / 2, 644'461'693'100'611'747,
                                        999'999'999'999'999'999, kOne};
  const std::vector<std::int64_t> es = {kOne + 1, kOne + kOne / 10, 3 * kOne / 2,
                                        2 * kOne + kOne / 3, 5 * kOne / 2,
                                        3 * kOne - 1};
  for (std::int64_t x : xs) {
    for (std::int64_t e : es) {
      const long double ref = std::pow(static_cast<long double>(x) / 1e18L,
                                       static_cast<long double>(e) / 1e18L) * 1e18L;
      const long double got = static_cast<long double>(Pow(Rate(x), Rate(e)).raw());
      INFO("x=" << x << " e=" << e << " got=" << static_cast<double>(got)
                << " ref=" << static_cast<double>(ref));
      // 1e-15 relative, plus the one raw unit of the final rounding down.
      CHECK(std::fabs(got - ref) <= ref * 1e-15L + 1.0L);
    }
  }
  CHECK(Pow(Rate(kOne / 4), Rate(3 * kOne / 2)).raw() >= kOne / 8 - 1);
  CHECK(Pow(Rate(kOne / 4), Rate(3 * kOne / 2)).raw() <= kOne / 8);
}

TEST_CASE("Funding Pow: a seeded sweep agrees with long double within 1e-15", "[funding]") {
  perpcore::testing::Rng rng(Seed(20261207));
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t x = rng.Between(1, kOne);
    const std::int64_t e = rng.Between(kOne, 3 * kOne);
    const long double ref = std::pow(static_cast<long double>(x) / 1e18L,
                                     static_cast<long double>(e) / 1e18L) * 1e18L;
    const long double got = static_cast<long double>(Pow(Rate(x), Rate(e)).raw());
    INFO("x=" << x << " e=" << e);
    REQUIRE(std::fabs(got - ref) <= ref * 1e-15L + 1.0L);
  }
}

TEST_CASE("Funding SkewRate: the linear model clamps kappa times the skew", "[funding]") {
  FundingParams p = SkewParams(FundingModel::kSkewLinear);
  p.skew_kappa = Rate(5 * kOne / 100);  // 0.05
  p.skew_max = Rate(3 * kOne / 100);    // 3%
  // skew 0.5: 0.05 * 0.5 = 0.025, inside the cap.
  CHECK(SkewRate(Rate(kOne / 2), p).raw() == 25 * (kOne / 1000));
  CHECK(SkewRate(Rate(-kOne / 2), p).raw() == -25 * (kOne / 1000));
  // skew 0.6: exactly 3% = the cap; 0.6 + 20 raw: 0.05 * that = 3% + 1: capped.
  CHECK(SkewRate(Rate(6 * kOne / 10), p).raw() == 3 * kOne / 100);
  CHECK(SkewRate(Rate(6 * kOne / 10 + 20), p).raw() == 3 * kOne / 100);
  CHECK(SkewRate(Rate(6 * kOne / 10 + 19), p).raw() == 3 * kOne / 100);  // 0 .95 raw: toward zero
  CHECK(SkewRate(Rate(-kOne), p).raw() == -3 * kOne / 100);
  // kappa * skew rounds toward zero: 0.05 * 1e-18 * 19 = 0.95 raw -> 0.
  CHECK(SkewRate(Rate(19), p).raw() == 0);
  CHECK(SkewRate(Rate(-19), p).raw() == 0);
}

TEST_CASE("Funding SkewRate: the power model signs factor times |skew|^e as the skew",
          "[funding]") {
  FundingParams p = SkewParams(FundingModel::kSkewPower);
  p.skew_factor = Rate(kOne / 100);     // 1%
  p.skew_exponent = Rate(2 * kOne);
  p.skew_max = Rate(kOne / 100);
  // skew -0.5: 0.01 * 0.25 = 0.0025, negative (shorts pay).
  CHECK(SkewRate(Rate(-kOne / 2), p).raw() == -25 * kBp);
  CHECK(SkewRate(Rate(kOne / 2), p).raw() == 25 * kBp);
  // Full skew: 1% exactly the cap.
  CHECK(SkewRate(Rate(kOne), p).raw() == kOne / 100);
  p.skew_max = Rate(kOne / 100 - 1);
  CHECK(SkewRate(Rate(kOne), p).raw() == kOne / 100 - 1);
  // Other models have no SkewRate.
  p.model = FundingModel::kPremium;
  CHECK(SkewRate(Rate(kOne / 2), p).raw() == 0);
}

namespace {
// Adaptive parameters: period 1 s, ramp 1e-6 per second per second (1e12
// raw), decay 1e-7 per second (1e11 raw), stable above 10%, decay below 5%,
// |F| <= 1e-3 per second, exponent 1.
FundingParams Adaptive() {
  FundingParams p = SkewParams(FundingModel::kSkewAdaptive);
  p.period = TimeNs(kSec);
  p.ramp_up = Rate(1'000'000'000'000);
  p.decay = Rate(100'000'000'000);
  p.stable_threshold = Rate(kOne / 10);
  p.decay_threshold = Rate(kOne / 20);
  p.skew_max = Rate(kOne / 1000);
  p.skew_exponent = Rate(kOne);
  return p;
}
}  // namespace

TEST_CASE("Funding AdaptiveStep: above the stable threshold F ramps linearly in the skew's direction",
          "[funding]") {
  const FundingParams p = Adaptive();
  // From 0, skew 0.5 for 100 s: 1e12 * 0.5 * 100 = 5e13.
  CHECK(AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(100 * kSec), p).raw() == 50'000'000'000'000);
  CHECK(AdaptiveStep(Rate(0), Rate(-kOne / 2), TimeNs(100 * kSec), p).raw() ==
        -50'000'000'000'000);
  // Same direction: 1e13 + 5e13.
  CHECK(AdaptiveStep(Rate(10'000'000'000'000), Rate(kOne / 2), TimeNs(100 * kSec), p).raw() ==
        60'000'000'000'000);
  // Sub-second: 1 ns at skew 0.5 is 1e12 * 0.5 / 1e9 = 500 raw.
  CHECK(AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(1), p).raw() == 500);
  // The ramp is the closed form: one 200 s step = two 100 s steps.
  const Rate a = AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(200 * kSec), p);
  const Rate b = AdaptiveStep(AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(100 * kSec), p),
                              Rate(kOne / 2), TimeNs(100 * kSec), p);
  CHECK(a == b);
}

TEST_CASE("Funding AdaptiveStep: the ramp stops at skew_max", "[funding]") {
  const FundingParams p = Adaptive();
  // 1e15 = skew_max is reached after 1e15 / 5e11 = 2000 s at skew 0.5.
  CHECK(AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(2000 * kSec), p).raw() == kOne / 1000);
  CHECK(AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(1999 * kSec), p).raw() ==
        kOne / 1000 - 500'000'000'000);
  CHECK(AdaptiveStep(Rate(0), Rate(kOne / 2), TimeNs(kI64Max), p).raw() == kOne / 1000);
  CHECK(AdaptiveStep(Rate(0), Rate(-kOne), TimeNs(kI64Max), p).raw() == -kOne / 1000);
}

TEST_CASE("Funding AdaptiveStep: the stable threshold itself holds and one unit above ramps",
          "[funding]") {
  const FundingParams p = Adaptive();
  const Rate f(10'000'000'000'000);
  CHECK(AdaptiveStep(f, Rate(kOne / 10), TimeNs(100 * kSec), p) == f);
  // skew 0.1 + 1e-18 for 100 s: 1e12 * (1e17 + 1) * 100 / 1e18 = 1e13 + 1e-4 -> 1e13 (down).
  CHECK(AdaptiveStep(f, Rate(kOne / 10 + 1), TimeNs(100 * kSec), p).raw() == 20'000'000'000'000);
}

TEST_CASE("Funding AdaptiveStep: between the thresholds F holds", "[funding]") {
  const FundingParams p = Adaptive();
  const Rate f(-30'000'000'000'000);
  // skew -0.08: same side as F, 5% <= 8% <= 10%.
  CHECK(AdaptiveStep(f, Rate(-8 * kOne / 100), TimeNs(1000 * kSec), p) == f);
  // Exactly at the decay threshold: holds, one unit below decays.
  CHECK(AdaptiveStep(f, Rate(-kOne / 20), TimeNs(100 * kSec), p) == f);
  // -3e13 + 1e11 * 100 = -2e13.
  CHECK(AdaptiveStep(f, Rate(-kOne / 20 + 1), TimeNs(100 * kSec), p).raw() ==
        -20'000'000'000'000);
}

TEST_CASE("Funding AdaptiveStep: below the decay threshold F decays to 0 and no further",
          "[funding]") {
  const FundingParams p = Adaptive();
  // 1e14 - 1e11 * 100 s = 9.99e13... 1e11 * 100 = 1e13: 9e13.
  CHECK(AdaptiveStep(Rate(100'000'000'000'000), Rate(kOne / 100), TimeNs(100 * kSec), p).raw() ==
        90'000'000'000'000);
  // 1e14 / 1e11 = 1000 s to 0; longer stays at 0 (not negative).
  CHECK(AdaptiveStep(Rate(100'000'000'000'000), Rate(kOne / 100), TimeNs(1000 * kSec), p).raw() ==
        0);
  CHECK(AdaptiveStep(Rate(100'000'000'000'000), Rate(0), TimeNs(5000 * kSec), p).raw() == 0);
  CHECK(AdaptiveStep(Rate(-100'000'000'000'000), Rate(0), TimeNs(5000 * kSec), p).raw() == 0);
  CHECK(AdaptiveStep(Rate(-100'000'000'000'000), Rate(0), TimeNs(100 * kSec), p).raw() ==
        -90'000'000'000'000);
}

TEST_CASE("Funding AdaptiveStep: a skew against F ramps through 0 when above the stable threshold",
          "[funding]") {
  const FundingParams p = Adaptive();
  // F = 1e13, skew -0.5 for 100 s: 1e13 - 5e13 = -4e13 (GMX: "the funding
  // should increase in the opposite direction").
  CHECK(AdaptiveStep(Rate(10'000'000'000'000), Rate(-kOne / 2), TimeNs(100 * kSec), p).raw() ==
        -40'000'000'000'000);
}

TEST_CASE("Funding AdaptiveStep: a weak skew against F ramps it to 0 and stops there",
          "[funding]") {
  const FundingParams p = Adaptive();
  // F = 1e13, skew -0.06 (against, below stable): 1e12 * 0.06 * 100 = 6e12.
  CHECK(AdaptiveStep(Rate(10'000'000'000'000), Rate(-6 * kOne / 100), TimeNs(100 * kSec), p)
            .raw() == 4'000'000'000'000);
  // 1000 s would be 6e13 > 1e13: stops at 0 (then F = 0 holds at |skew| <= stable).
  CHECK(AdaptiveStep(Rate(10'000'000'000'000), Rate(-6 * kOne / 100), TimeNs(1000 * kSec), p)
            .raw() == 0);
  CHECK(AdaptiveStep(Rate(-10'000'000'000'000), Rate(6 * kOne / 100), TimeNs(1000 * kSec), p)
            .raw() == 0);
}

TEST_CASE("Funding AdaptiveStep: from 0 a skew at or below the stable threshold holds at 0",
          "[funding]") {
  const FundingParams p = Adaptive();
  CHECK(AdaptiveStep(Rate(0), Rate(kOne / 10), TimeNs(1000 * kSec), p).raw() == 0);
  CHECK(AdaptiveStep(Rate(0), Rate(-kOne / 10), TimeNs(1000 * kSec), p).raw() == 0);
}

// ===========================================================================
// IndexDelta / Owed / ExcessOf
// ===========================================================================

TEST_CASE("Funding IndexDelta: a whole period pays rate times price times atoms exactly",
          "[funding]") {
  // 1 bp * 100 ticks * 1e4 atoms = 1e14 * 1e6 = 1e20 index units = 100 atoms
  // per lot (0.01% of the 1e6-atom notional of a lot).
  CHECK(IndexDelta(Rate(kBp), TimeNs(8 * kHour), TimeNs(8 * kHour), Ticks(100), 10'000) ==
        int128(100) * kOne);
  CHECK(IndexDelta(Rate(-kBp), TimeNs(8 * kHour), TimeNs(8 * kHour), Ticks(100), 10'000) ==
        -int128(100) * kOne);
}

TEST_CASE("Funding IndexDelta: part of a period is prorated and rounded toward zero",
          "[funding]") {
  // One hour of an 8-hour rate: 1e20 / 8 = 1.25e19.
  CHECK(IndexDelta(Rate(kBp), TimeNs(kHour), TimeNs(8 * kHour), Ticks(100), 10'000) ==
        int128(12'500'000'000'000'000'000ULL));
  // 7 * 1 s / 2 s = 3.5 -> 3, and -3.5 -> -3 (toward zero, not -4).
  CHECK(IndexDelta(Rate(7), TimeNs(kSec), TimeNs(2 * kSec), Ticks(1), 1) == 3);
  CHECK(IndexDelta(Rate(-7), TimeNs(kSec), TimeNs(2 * kSec), Ticks(1), 1) == -3);
  // 8 * 1 s / 2 s = 4 exactly.
  CHECK(IndexDelta(Rate(8), TimeNs(kSec), TimeNs(2 * kSec), Ticks(1), 1) == 4);
}

TEST_CASE("Funding IndexDelta: nothing moves without a price, time or rate", "[funding]") {
  CHECK(IndexDelta(Rate(kBp), TimeNs(kHour), TimeNs(8 * kHour), Ticks(0), 1) == 0);
  CHECK(IndexDelta(Rate(kBp), TimeNs(0), TimeNs(8 * kHour), Ticks(100), 1) == 0);
  CHECK(IndexDelta(Rate(0), TimeNs(kHour), TimeNs(8 * kHour), Ticks(100), 1) == 0);
}

TEST_CASE("Funding IndexDelta: a product past 128 bits is still exact", "[funding]") {
  // rate 1, 7 days of a 7-day period, price 2^40, atoms 1e6: the product
  // 1e18 * 6.048e14 * 2^40 * 1e6 ~ 6.6e50 passes 2^128, the quotient is
  // 1e24 * 2^40 exactly.
  const TimeNs week = kMaxInterval;
  CHECK(IndexDelta(Rate(kOne), week, week, Ticks(std::int64_t{1} << 40), 1'000'000) ==
        int128(1'000'000'000'000) * 1'000'000'000'000 * (int128(1) << 40));
}

TEST_CASE("Funding IndexDelta: saturates at the index bound", "[funding]") {
  CHECK(IndexDelta(Rate(kI64Max), TimeNs(kI64Max), TimeNs(1), Ticks(kI64Max), kI64Max) ==
        kIndexBound);
  CHECK(IndexDelta(Rate(-kI64Max), TimeNs(kI64Max), TimeNs(1), Ticks(kI64Max), kI64Max) ==
        -kIndexBound);
}

TEST_CASE("Funding Owed: a payer pays the fraction (ceil)", "[funding]") {
  // The index rose 1.5 atoms per lot; a long of 1 lot owes ceil(1.5) = 2,
  // 0.5 atom more than exact: excess 0.5e18 index units.
  const int128 up = int128(3) * kOne / 2;
  CHECK(Owed(up, 0, 1) == 2);
  CHECK(ExcessOf(up, 0, 1) == kOne / 2);
  // The index fell 1.5: a short of 1 lot owes ceil(1.5) = 2 as well.
  CHECK(Owed(0, up, -1) == 2);
  CHECK(ExcessOf(0, up, -1) == kOne / 2);
}

TEST_CASE("Funding Owed: a receiver forgoes the fraction (ceil toward +infinity)",
          "[funding]") {
  // Index +1.5, short 1 lot: exact -1.5, ceil = -1 (receives 1); excess
  // -1e18 - (-1.5e18) = 0.5e18.
  const int128 up = int128(3) * kOne / 2;
  CHECK(Owed(up, 0, -1) == -1);
  CHECK(ExcessOf(up, 0, -1) == kOne / 2);
  CHECK(Owed(0, up, 1) == -1);
  CHECK(ExcessOf(0, up, 1) == kOne / 2);
}

TEST_CASE("Funding Owed: one index unit past a whole atom is a whole atom more", "[funding]") {
  // Exactly 1 atom per lot, 3 lots: 3, no excess.
  CHECK(Owed(kOne, 0, 3) == 3);
  CHECK(ExcessOf(kOne, 0, 3) == 0);
  // One index unit more on 1 lot: 1 + 1e-18 atoms -> 2 atoms, excess 1e18 - 1
  // (the largest: ExcessOf < kIndexScale).
  CHECK(Owed(int128(kOne) + 1, 0, 1) == 2);
  CHECK(ExcessOf(int128(kOne) + 1, 0, 1) == kOne - 1);
  // The receiver's side of it: -(1 + 1e-18) -> -1, excess 1.
  CHECK(Owed(int128(kOne) + 1, 0, -1) == -1);
  CHECK(ExcessOf(int128(kOne) + 1, 0, -1) == 1);
  // Nothing moved or no size: 0.
  CHECK(Owed(5, 5, 100) == 0);
  CHECK(Owed(5, 0, 0) == 0);
  CHECK(ExcessOf(5, 0, 0) == 0);
}

TEST_CASE("Funding Owed: products past 128 bits are exact and results saturate at 2^126",
          "[funding]") {
  // (2^100) * 2^40 = 2^140 index units: ceil(2^140 / 1e18) =
  // 1393796574908163946345983, excess 607959477405876224 (by exact integer
  // arithmetic: 1393796574908163946345983e18 - 2^140).
  const int128 d = int128(1) << 100;
  const std::int64_t size = std::int64_t{1} << 40;
  CHECK(Owed(d, 0, size) == (int128(1'393'796'574'908LL) * 1'000'000'000'000LL + 163'946'345'983LL));
  CHECK(ExcessOf(d, 0, size) == 607'959'477'405'876'224);
  // The whole index range times the largest size: saturated.
  CHECK(Owed(kIndexBound, -kIndexBound, kI64Max) == kIndexBound);
  CHECK(Owed(kIndexBound, -kIndexBound, -kI64Max) == -kIndexBound);
  CHECK(Owed(-kIndexBound, kIndexBound, std::numeric_limits<std::int64_t>::min()) == kIndexBound);
}

TEST_CASE("Funding Owed: Owed times kIndexScale minus the exact product is ExcessOf, below kIndexScale and not negative",
          "[funding]") {
  perpcore::testing::Rng rng(Seed(1207));
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t now = rng.Between(-(std::int64_t{1} << 61), std::int64_t{1} << 61);
    const std::int64_t settled = rng.Between(-(std::int64_t{1} << 61), std::int64_t{1} << 61);
    const std::int64_t size = rng.Between(-1'000'000, 1'000'000);
    const int128 exact = (int128(now) - settled) * size;  // < 2^63 * 2^20: fits
    const int128 owed = Owed(now, settled, size);
    const std::int64_t excess = ExcessOf(now, settled, size);
    INFO("now=" << now << " settled=" << settled << " size=" << size);
    REQUIRE(excess >= 0);
    REQUIRE(excess < kIndexScale);
    REQUIRE(owed * kIndexScale - exact == excess);
  }
}

TEST_CASE("Funding Owed: an exact multiple of kIndexScale and one unit either side, up to 2^126",
          "[funding]") {
  // d = k * 1e18 owes exactly k; one unit less still k (ceil), one more
  // k + 1; a receiver (size -1) gets -k, -(k - 1) and -k. k runs over
  // powers of two and their neighbours up to 2^66 (d below 2^126), where the
  // quotient's estimate by multiplication is one too high at some of them.
  for (int e = 0; e <= 66; ++e) {
    for (const int128 k : {(int128(1) << e) - 1, int128(1) << e, (int128(1) << e) + 1}) {
      if (k <= 0) continue;
      const int128 d = k * kIndexScale;
      INFO("k = 2^" << e);
      CHECK(Owed(d, 0, 1) == k);
      CHECK(Owed(d - 1, 0, 1) == k);
      CHECK(Owed(d + 1, 0, 1) == k + 1);
      CHECK(Owed(d, 0, -1) == -k);
      CHECK(Owed(d - 1, 0, -1) == -(k - 1));
      CHECK(Owed(d + 1, 0, -1) == -k);
      CHECK(ExcessOf(d, 0, 1) == 0);
      CHECK(ExcessOf(d - 1, 0, 1) == 1);
      CHECK(ExcessOf(d + 1, 0, 1) == kIndexScale - 1);
    }
  }
}

TEST_CASE("Funding Owed: both sides of the native-product path's edges (index move 2^96, size 2^32) agree with the exact product",
          "[funding]") {
  // An index move below 2^96 with a size below 2^32 takes one native
  // multiply; at either edge the 256-bit path takes over. Each is checked
  // against Owed * 1e18 - exact = ExcessOf in [0, 1e18), the exact product
  // formed by int128 (below 2^127 for every pair here).
  struct Case {
    int128 d;
    std::int64_t size;
  };
  const int128 below = (int128(1) << 96) - 1, at = int128(1) << 96, small = (int128(1) << 93) + 12345;
  const std::int64_t size_below = (std::int64_t{1} << 32) - 1, size_at = std::int64_t{1} << 32;
  for (const Case c : {Case{below, 1 << 29}, Case{at, 1 << 29}, Case{below, -(1 << 29)},
                       Case{at, -(1 << 29)}, Case{small, size_below}, Case{small, size_at},
                       Case{small, -size_below}, Case{small, -size_at}}) {
    const int128 exact = c.d * c.size;  // |exact| < 2^126
    INFO("d=" << perpcore::detail::Int128Text(c.d) << " size=" << c.size);
    const int128 owed = Owed(c.d, 0, c.size);
    const std::int64_t excess = ExcessOf(c.d, 0, c.size);
    CHECK(excess >= 0);
    CHECK(excess < kIndexScale);
    CHECK(owed * kIndexScale - exact == excess);
  }
}

TEST_CASE("Funding Owed: products up to 2^126 divide exactly (the excess identity across the 128-bit range)",
          "[funding]") {
  // Products that fit 128 bits take the one-division path of funding.cpp's
  // MulDivU, products near 2^126 its top bits. The identity Owed * 1e18 - exact = ExcessOf in [0, 1e18) pins the quotient
  // and the remainder together, the exact product formed here by int128.
  perpcore::testing::Rng rng(Seed(20261208));
  int top = 0;
  for (int i = 0; i < 20000; ++i) {
    const int bits = 64 + static_cast<int>(rng.Below(36));  // |index| below 2^99
    const int128 now = (int128(rng.Between(-(std::int64_t{1} << 61), std::int64_t{1} << 61))
                        << (bits - 61)) + static_cast<std::int64_t>(rng.Below(1u << 30));
    const int128 settled = -(now >> 1) + static_cast<std::int64_t>(rng.Below(1u << 20));
    const std::int64_t size = rng.Between(-(std::int64_t{1} << 26), std::int64_t{1} << 26);
    const int128 exact = (now - settled) * size;  // < 2^100 * 2^26
    const int128 owed = Owed(now, settled, size);
    const std::int64_t excess = ExcessOf(now, settled, size);
    INFO("now=" << perpcore::detail::Int128Text(now) << " settled="
                 << perpcore::detail::Int128Text(settled) << " size=" << size);
    REQUIRE(excess >= 0);
    REQUIRE(excess < kIndexScale);
    REQUIRE(owed * kIndexScale - exact == excess);
    const int128 mag = exact < 0 ? -exact : exact;
    if (mag >= (int128(1) << 120)) ++top;
  }
  CHECK(top > 100);
}

// ===========================================================================
// Funding: the clock
// ===========================================================================

namespace {
// Premium model, hourly intervals of an 8-hour rate, 60 s samples.
FundingParams Hourly() {
  FundingParams p;
  p.interval = TimeNs(kHour);
  p.period = TimeNs(8 * kHour);
  p.sample_cadence = TimeNs(kMin);
  return p;
}
// Inputs whose impact bid sits `bid_above` ticks above the index.
Inputs WithBid(std::int64_t now_ns, std::int64_t index, std::int64_t bid_above) {
  Inputs in = At(now_ns, index);
  in.impact_bid = Ticks(index + bid_above);
  in.impact_ask = Ticks(index + bid_above + 1);
  return in;
}
Inputs Skewed(std::int64_t now_ns, std::int64_t index, std::int64_t long_lots,
              std::int64_t short_lots) {
  Inputs in = At(now_ns, index);
  in.long_lots = long_lots;
  in.short_lots = short_lots;
  return in;
}
}  // namespace

TEST_CASE("Funding: the clock starts at the aligned interval holding now", "[funding]") {
  const FundingParams p = Hourly();
  const Funding f(p, TimeNs(5 * kHour + 17 * kMin));
  CHECK(f.interval_start().raw() == 5 * kHour);
  CHECK(f.interval_end().raw() == 6 * kHour);
  CHECK(f.advanced_to().raw() == 5 * kHour + 17 * kMin);
  CHECK(f.index() == 0);
  CHECK(f.rate().raw() == 0);
  const Funding g(p, TimeNs(5 * kHour));  // exactly on a boundary: that interval
  CHECK(g.interval_start().raw() == 5 * kHour);
  CHECK(g.interval_end().raw() == 6 * kHour);
}

TEST_CASE("Funding SampleDue: a new cadence slot is due at its first nanosecond, not before",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  CHECK(f.SampleDue(p, TimeNs(0)));
  CHECK(f.Advance(p, At(0)).sampled);
  CHECK_FALSE(f.SampleDue(p, TimeNs(kMin - 1)));
  CHECK_FALSE(f.Advance(p, At(kMin - 1)).sampled);
  CHECK(f.SampleDue(p, TimeNs(kMin)));
  CHECK(f.Advance(p, At(kMin)).sampled);
  CHECK(f.samples() == 2);
  // Other models never sample.
  FundingParams s = SkewParams(FundingModel::kSkewLinear);
  CHECK_FALSE(f.SampleDue(s, TimeNs(2 * kMin)));
}

TEST_CASE("Funding SampleDue: the first slot of the next interval is due even if its number was sampled",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  // Slot 0 sampled at 0; at exactly 1 h slot 0 of the next interval is due.
  REQUIRE(f.Advance(p, At(0)).sampled);
  CHECK(f.SampleDue(p, TimeNs(kHour)));
  const Advanced a = f.Advance(p, At(kHour));
  CHECK(a.closes == 1);
  CHECK(a.sampled);
  CHECK(f.samples() == 1);
}

TEST_CASE("Funding Advance: no sample without a usable index or while the book is halted",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  CHECK_FALSE(f.Advance(p, WithBid(0, 0, 5)).sampled);  // index 0
  Inputs halted = WithBid(kMin, 100, 5);
  halted.book_open = false;
  CHECK_FALSE(f.Advance(p, halted).sampled);
  CHECK(f.samples() == 0);
  CHECK(f.SampleDue(p, TimeNs(2 * kMin)));
}

TEST_CASE("Funding RunningPremium: equal weights average the samples, toward zero",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  // Index 3, impact ask 2: -1/3 -> -333333333333333333; then 0.
  Inputs a = At(0, 3);
  a.impact_bid = Ticks(1);
  a.impact_ask = Ticks(2);
  REQUIRE(f.Advance(p, a).sample.raw() == -333'333'333'333'333'333);
  CHECK(f.last_sample().raw() == -333'333'333'333'333'333);
  REQUIRE(f.Advance(p, At(kMin, 3)).sampled);
  // (-333333333333333333 + 0) / 2 = -166666666666666666.5 -> ...666 (toward zero).
  CHECK(f.RunningPremium(p).raw() == -166'666'666'666'666'666);
  CHECK(f.samples() == 2);
}

TEST_CASE("Funding RunningPremium: time-weighted samples weigh their 1-based slot", "[funding]") {
  FundingParams p = Hourly();
  p.weighting = PremiumWeighting::kTimeWeighted;
  Funding f(p, TimeNs(0));
  REQUIRE(f.Advance(p, WithBid(0, 100, 1)).sample.raw() == kOne / 100);           // slot 0, w 1
  REQUIRE(f.Advance(p, WithBid(2 * kMin, 100, 4)).sample.raw() == 4 * kOne / 100);  // slot 2, w 3
  // (1 * 1% + 3 * 4%) / (1 + 3) = 13% / 4 = 3.25%.
  CHECK(f.RunningPremium(p).raw() == 325 * kBp);
}

TEST_CASE("Funding Advance: an interval ending exactly at now closes, 1 ns before it does not",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  CHECK(f.Advance(p, At(kHour - 1)).closes == 0);
  CHECK(f.interval_end().raw() == kHour);
  const Advanced a = f.Advance(p, At(kHour));
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].start.raw() == 0);
  CHECK(a.closed[0].end.raw() == kHour);
  CHECK(a.closed[0].intervals == 1);
  CHECK(f.interval_start().raw() == kHour);
  CHECK(f.interval_end().raw() == 2 * kHour);
}

TEST_CASE("Funding Advance: interval-end payment pays the interval's F at its end", "[funding]") {
  const FundingParams p = Hourly();  // cap 75 bp
  Funding f(p, TimeNs(0));
  // P = (101 - 100) / 100 = 1%; F = 1% + clamp(1 bp - 1%, +-5 bp) = 95 bp,
  // capped at 75 bp.
  REQUIRE(f.Advance(p, WithBid(0, 100, 1)).sampled);
  CHECK(f.PredictedRate(p, At(kMin)).raw() == 75 * kBp);
  CHECK(f.index() == 0);
  // Closed at 1 h at the index then (200 ticks), 10 atoms per tick-lot:
  // 75e14 * (1 h / 8 h) * 200 * 10 = 75e14 * 250 = 1.875e18.
  Inputs end = At(kHour, 200);
  end.atoms_per_tick_lot = 10;
  const Advanced a = f.Advance(p, end);
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].premium.raw() == kOne / 100);
  CHECK(a.closed[0].rate.raw() == 75 * kBp);
  CHECK(a.closed[0].price.raw() == 200);
  CHECK(a.closed[0].index_delta == int128(1'875'000'000'000'000'000));
  CHECK(a.index_delta == int128(1'875'000'000'000'000'000));
  CHECK(f.index() == int128(1'875'000'000'000'000'000));
  CHECK(f.rate().raw() == 75 * kBp);
  // The samples restart with the new interval (the close at 1 h sampled slot 0
  // of it: a premium of 0 at the straddling book).
  CHECK(f.samples() == 1);
  CHECK(f.RunningPremium(p).raw() == 0);
}

TEST_CASE("Funding Advance: continuous premium payment accrues the last closed F through the next interval",
          "[funding]") {
  FundingParams p = Hourly();
  p.payment = FundingPayment::kContinuous;
  Funding f(p, TimeNs(0));
  REQUIRE(f.Advance(p, WithBid(0, 100, 1)).sampled);  // F will be 75 bp
  // Before the first close the rate in effect is 0: nothing accrues.
  Inputs mid = At(30 * kMin);
  mid.book_open = false;  // (no second sample)
  CHECK(f.Advance(p, mid).index_delta == 0);
  const Advanced a = f.Advance(p, At(kHour));
  CHECK(a.closes == 1);
  CHECK(a.closed[0].rate.raw() == 75 * kBp);
  CHECK(a.closed[0].index_delta == 0);  // continuous: nothing paid at the end
  CHECK(f.index() == 0);
  CHECK(f.rate().raw() == 75 * kBp);
  // Half an hour at 75 bp per 8 h at 100 ticks: 75e14 * 100 / 16 = 4.6875e16.
  CHECK(f.Advance(p, At(kHour + 30 * kMin)).index_delta == int128(46'875'000'000'000'000));
  CHECK(f.index() == int128(46'875'000'000'000'000));
}

TEST_CASE("Funding Advance: a gap of 10^6 intervals closes in O(1) and equals advancing interval by interval",
          "[funding]") {
  // Premium model, interval-end payment, no samples: each interval's F is
  // PremiumRate(0) = 0 + clamp(1 bp - 0, +-5 bp) = 1 bp, paying
  // 1e14 * (1 h / 8 h) * 100 ticks = 1.25e15 exactly, so the run of 10^6
  // pays 1.25e21 however it is cut.
  const FundingParams p = Hourly();
  const std::int64_t n = 1'000'000;
  Inputs closed_book = At(0);
  closed_book.book_open = false;

  Funding gap(p, TimeNs(0));
  gap.Advance(p, closed_book);
  Inputs late = closed_book;
  late.now = TimeNs(n * kHour);
  const Advanced a = gap.Advance(p, late);
  REQUIRE(a.closes == 2);  // the interval in progress, then one run
  CHECK(a.closed[0].intervals == 1);
  CHECK(a.closed[0].index_delta == int128(1'250'000'000'000'000));
  CHECK(a.closed[1].intervals == n - 1);
  CHECK(a.closed[1].start.raw() == kHour);
  CHECK(a.closed[1].end.raw() == n * kHour);
  CHECK(a.closed[1].premium.raw() == 0);
  CHECK(a.closed[1].rate.raw() == kBp);
  CHECK(gap.index() == int128(1'250'000'000'000'000) * n);

  Funding step(p, TimeNs(0));
  for (std::int64_t k = 0; k <= n; ++k) {
    Inputs in = closed_book;
    in.now = TimeNs(k * kHour);
    step.Advance(p, in);
  }
  CHECK(step.index() == gap.index());
  CHECK(step.interval_start() == gap.interval_start());
  CHECK(step.interval_end() == gap.interval_end());
  CHECK(step.rate() == gap.rate());
}

TEST_CASE("Funding Advance: a continuous premium gap pays the closed F for one interval, then the run's F",
          "[funding]") {
  // Sample P = 1% in [0, 1 h): F = 75 bp (capped). A tick at 3.5 h: the
  // interval [0, 1 h) closes (nothing accrued in it: no F before the first
  // close), [1 h, 2 h) accrues 75 bp: 75e14 / 8 * 100 = 9.375e16, [2 h, 3 h)
  // accrues the run's F, PremiumRate(0) = 1 bp: 1.25e15, and [3 h, 3.5 h)
  // 1 bp as well: 6.25e14. In all 9.5625e16, as advancing hour by hour.
  FundingParams p = Hourly();
  p.payment = FundingPayment::kContinuous;
  Funding gap(p, TimeNs(0)), step(p, TimeNs(0));
  gap.Advance(p, WithBid(0, 100, 1));
  step.Advance(p, WithBid(0, 100, 1));
  Inputs late = At(3 * kHour + 30 * kMin);
  late.book_open = false;
  const Advanced a = gap.Advance(p, late);
  REQUIRE(a.closes == 2);
  CHECK(a.closed[1].intervals == 2);
  CHECK(a.closed[1].rate.raw() == kBp);
  CHECK(gap.index() == int128(95'625'000'000'000'000));
  for (std::int64_t t : {kHour, 2 * kHour, 3 * kHour, 3 * kHour + 30 * kMin}) {
    Inputs in = At(t);
    in.book_open = false;
    step.Advance(p, in);
  }
  CHECK(step.index() == gap.index());
  CHECK(step.rate() == gap.rate());
}

TEST_CASE("Funding Advance: the mark pays when asked, and nothing is paid without an index",
          "[funding]") {
  FundingParams p = Hourly();
  p.price = FundingPrice::kMark;
  Funding f(p, TimeNs(0));
  f.Advance(p, At(0));  // P = 0: F = 1 bp
  Inputs end = At(kHour, 100);
  end.mark = Ticks(300);
  // 1e14 / 8 * 300 = 3.75e15 at the mark (not 1.25e15 at the index).
  const Advanced a = f.Advance(p, end);
  CHECK(a.closed[0].price.raw() == 300);
  CHECK(f.index() == int128(3'750'000'000'000'000));
  // The next interval closes while the index is unusable: its rate is
  // recorded, unpaid, even though a mark is given.
  Inputs dark = At(2 * kHour, 0);
  dark.mark = Ticks(300);
  const Advanced b = f.Advance(p, dark);
  REQUIRE(b.closes == 1);
  CHECK(b.closed[0].rate.raw() == kBp);
  CHECK(b.closed[0].price.raw() == 0);
  CHECK(b.closed[0].index_delta == 0);
  CHECK(f.index() == int128(3'750'000'000'000'000));
}

TEST_CASE("Funding Advance: the index saturates at kIndexBound instead of wrapping", "[funding]") {
  // Parameters Validate() would refuse for this market: each 1 s interval at
  // F = cap 1, price and atoms INT64_MAX pays IndexDelta = 2^126 (saturated),
  // so two closes would sum to 2^127, one past int128.
  FundingParams p;
  p.interval = TimeNs(kSec);
  p.period = TimeNs(kSec);
  p.sample_cadence = TimeNs(kSec);
  p.cap = Rate(kOne);
  p.interest = Rate(kOne);
  p.interest_band = Rate(kOne);
  Funding f(p, TimeNs(0));
  Inputs in = At(kSec, kI64Max);
  in.atoms_per_tick_lot = kI64Max;
  in.book_open = false;
  const Advanced a = f.Advance(p, in);
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].rate.raw() == kOne);  // F = 0 + clamp(1 - 0, +-1) = 1
  CHECK(f.index() == kIndexBound);
  in.now = TimeNs(3 * kSec);  // the interval [1 s, 2 s) and a run of one
  const Advanced b = f.Advance(p, in);
  CHECK(b.closes == 2);
  CHECK(b.index_delta == kIndexBound);
  CHECK(f.index() == kIndexBound);
}

TEST_CASE("Funding Advance: a time before the last advance changes nothing", "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  f.Advance(p, WithBid(2 * kHour, 100, 1));
  const Funding before = f;
  const Advanced a = f.Advance(p, WithBid(2 * kHour - 1, 100, 3));
  CHECK(a.closes == 0);
  CHECK_FALSE(a.sampled);
  CHECK(a.index_delta == 0);
  CHECK(f == before);
  CHECK_FALSE(f.SampleDue(p, TimeNs(2 * kHour - 1)));
}

TEST_CASE("Funding Advance: a run of more than 2^32 - 1 intervals records that many and the exact end",
          "[funding]") {
  // 1 s intervals, a gap of 5e9 s (158 years): the run after the first
  // interval holds 4999999999 intervals, more than a uint32 counts.
  FundingParams p = Hourly();
  p.interval = TimeNs(kSec);
  p.sample_cadence = TimeNs(kSec);
  Funding f(p, TimeNs(0));
  Inputs in = At(5'000'000'000 * kSec);
  in.book_open = false;
  const Advanced a = f.Advance(p, in);
  REQUIRE(a.closes == 2);
  CHECK(a.closed[1].intervals == std::numeric_limits<std::uint32_t>::max());
  CHECK(a.closed[1].start.raw() == kSec);
  CHECK(a.closed[1].end.raw() == 5'000'000'000 * kSec);
  // 1 bp per 8 h for 5e9 s at 100 ticks: 1e16 * 5e9 / 28800 = 1736111111111111111111.1,
  // paid as 1e16 / 28800 (one interval: 347222222222) plus the run's
  // 1e16 * 4999999999 / 28800 = 1736111110763888888888.
  CHECK(f.index() == int128(347'222'222'222) + (int128(1'736'111'110'763LL) * 1'000'000'000 + 888'888'888));
  CHECK(f.interval_start().raw() == 5'000'000'000 * kSec);
}

TEST_CASE("Funding Advance: model kNone keeps the clock and records nothing", "[funding]") {
  FundingParams p = Hourly();
  p.model = FundingModel::kNone;
  Funding f(p, TimeNs(30 * kMin));
  const Advanced a = f.Advance(p, WithBid(5 * kHour + 10 * kMin, 100, 5));
  CHECK(a.closes == 0);
  CHECK_FALSE(a.sampled);
  CHECK(f.index() == 0);
  CHECK(f.interval_start().raw() == 5 * kHour);
  CHECK(f.interval_end().raw() == 6 * kHour);
}

TEST_CASE("RateHistory: keeps the newest 32 closes, newest first", "[funding]") {
  FundingParams p = Hourly();
  p.interval = TimeNs(kSec);
  p.sample_cadence = TimeNs(kSec);
  Funding f(p, TimeNs(0));
  RateHistory h;
  for (std::int64_t s = 1; s <= 40; ++s) {
    const Advanced a = f.Advance(p, At(s * kSec));
    for (std::uint32_t i = 0; i < a.closes; ++i) h.Record(a.closed[i]);
  }
  std::vector<RateSet> out(40);
  REQUIRE(h.Newest(out) == kHistory);
  CHECK(out[0].start.raw() == 39 * kSec);  // the interval [39 s, 40 s]
  CHECK(out[0].end.raw() == 40 * kSec);
  CHECK(out[31].start.raw() == 8 * kSec);
  std::vector<RateSet> three(3);
  REQUIRE(h.Newest(three) == 3);
  CHECK(three[2].start.raw() == 37 * kSec);
}

TEST_CASE("Funding IndexAt: the index an advance would leave, the clock unchanged", "[funding]") {
  FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  f.Advance(p, WithBid(10 * kMin, 100, 5));
  const Funding before = f;
  const Inputs later = WithBid(2 * kHour + 5 * kMin, 100, 5);
  const absl::int128 projected = f.IndexAt(p, later);
  CHECK(f == before);
  f.Advance(p, later);
  CHECK(projected == f.index());
  CHECK(projected != before.index());
}

TEST_CASE("Funding Close: the running interval pays its elapsed part with the old parameters",
          "[funding]") {
  FundingParams old_p;  // 8 h / 8 h, interval-end
  Funding f(old_p, TimeNs(0));
  f.Advance(old_p, At(0));  // P = 0: F = 1 bp
  FundingParams next = old_p;
  next.interval = TimeNs(kHour);
  const Inputs now = At(2 * kHour + 30 * kMin, 100);
  f.Advance(old_p, now);
  const std::optional<RateSet> r = f.Close(old_p, next, now);
  REQUIRE(r.has_value());
  CHECK(r->start.raw() == 0);
  CHECK(r->end.raw() == 2 * kHour + 30 * kMin);
  CHECK(r->rate.raw() == kBp);
  // 1e14 * 2.5 h / 8 h * 100 = 1e16 * 5 / 16 = 3.125e15.
  CHECK(r->index_delta == int128(3'125'000'000'000'000));
  CHECK(f.index() == int128(3'125'000'000'000'000));
  // The next interval runs to the next multiple of 1 h: 3 h.
  CHECK(f.interval_start().raw() == 2 * kHour + 30 * kMin);
  CHECK(f.interval_end().raw() == 3 * kHour);
  CHECK(f.samples() == 0);
  // It then pays its 30 minutes at the new parameters (1 bp * 0.5 h / 8 h *
  // 100 = 6.25e14), and the intervals after it are aligned.
  const Advanced a = f.Advance(next, At(3 * kHour));
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].index_delta == int128(625'000'000'000'000));
  CHECK(f.interval_end().raw() == 4 * kHour);
}

TEST_CASE("Funding Close: nothing to close at the interval's start, and the clock re-aligns",
          "[funding]") {
  FundingParams old_p;
  Funding f(old_p, TimeNs(8 * kHour));
  FundingParams next = old_p;
  next.interval = TimeNs(kHour);
  CHECK_FALSE(f.Close(old_p, next, At(8 * kHour)).has_value());
  CHECK(f.interval_start().raw() == 8 * kHour);
  CHECK(f.interval_end().raw() == 9 * kHour);
  CHECK(f.index() == 0);
  // From kNone nothing is closed either.
  FundingParams none = old_p;
  none.model = FundingModel::kNone;
  Funding g(none, TimeNs(0));
  CHECK_FALSE(g.Close(none, old_p, At(3 * kHour)).has_value());
  CHECK(g.interval_start().raw() == 3 * kHour);
  CHECK(g.interval_end().raw() == 8 * kHour);
}

TEST_CASE("Funding Close: a model change resets the rate in effect to 0", "[funding]") {
  FundingParams p = Hourly();
  p.payment = FundingPayment::kContinuous;
  Funding f(p, TimeNs(0));
  f.Advance(p, WithBid(0, 100, 1));
  f.Advance(p, At(kHour));
  REQUIRE(f.rate().raw() == 75 * kBp);
  FundingParams same = p;
  same.cap = Rate(50 * kBp);
  const Inputs now = At(kHour + kMin);
  f.Advance(p, now);
  REQUIRE(f.Close(p, same, now).has_value());
  CHECK(f.rate().raw() == kBp);  // the closed minute's F (no samples: 1 bp), same model
  FundingParams other = SkewParams(FundingModel::kSkewLinear);
  const Inputs later = At(kHour + 2 * kMin);
  f.Advance(same, later);
  REQUIRE(f.Close(same, other, later).has_value());
  CHECK(f.rate().raw() == 0);
}

TEST_CASE("Funding Advance: linear skew funding accrues continuously at the skew since the last advance",
          "[funding]") {
  FundingParams p = SkewParams(FundingModel::kSkewLinear);
  p.payment = FundingPayment::kContinuous;
  p.skew_kappa = Rate(5 * kOne / 100);
  p.skew_max = Rate(3 * kOne / 100);
  Funding f(p, TimeNs(0));
  // 300 long, 100 short: skew 0.5, F = 2.5% per 8 h; an hour at 100 ticks:
  // 2.5e16 / 8 * 100 = 3.125e17.
  const Advanced a = f.Advance(p, Skewed(kHour, 100, 300, 100));
  CHECK(a.index_delta == int128(312'500'000'000'000'000));
  CHECK(f.rate().raw() == 25 * (kOne / 1000));
  CHECK(f.PredictedRate(p, Skewed(kHour, 100, 100, 300)).raw() == -25 * (kOne / 1000));
}

TEST_CASE("Funding Advance: adaptive funding accrues at the rate at the span's start, then steps",
          "[funding]") {
  FundingParams p = Adaptive();  // period 1 s, ramp 1e-6 per s per s
  p.payment = FundingPayment::kContinuous;
  p.interval = TimeNs(kHour);
  Funding f(p, TimeNs(0));
  // 100 s at skew 0.5 from F = 0: nothing accrues; F becomes 5e13.
  CHECK(f.Advance(p, Skewed(100 * kSec, 100, 3, 1)).index_delta == 0);
  CHECK(f.rate().raw() == 50'000'000'000'000);
  CHECK(f.PredictedRate(p, Skewed(150 * kSec, 100, 3, 1)).raw() == 75'000'000'000'000);
  // The next 100 s accrue 5e13 * 100 s / 1 s * 100 ticks = 5e17; F = 1e14.
  CHECK(f.Advance(p, Skewed(200 * kSec, 100, 3, 1)).index_delta ==
        int128(500'000'000'000'000'000));
  CHECK(f.rate().raw() == 100'000'000'000'000);
}

TEST_CASE("Funding EncodeCanonical: equal states encode equally and a sample changes it",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding a(p, TimeNs(0)), b(p, TimeNs(0));
  for (Funding* f : {&a, &b}) {
    f->Advance(p, WithBid(0, 100, 1));
    f->Advance(p, At(kHour));
  }
  std::string ea, eb;
  a.EncodeCanonical(&ea);
  b.EncodeCanonical(&eb);
  CHECK(a == b);
  CHECK(ea == eb);
  CHECK(ea.rfind("perpcore/funding/v1", 0) == 0);
  b.Advance(p, WithBid(kHour + kMin, 100, 2));
  eb.clear();
  b.EncodeCanonical(&eb);
  CHECK_FALSE(a == b);
  CHECK(ea != eb);
}

TEST_CASE("Funding EncodeCanonical: every field in declaration order",
          "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  f.Advance(p, WithBid(0, 100, 1));  // sample 1% in slot 0
  Inputs end = At(kHour, 200);
  end.atoms_per_tick_lot = 10;
  f.Advance(p, end);  // close: index 1.875e18, F 75 bp; sample 0
  f.Advance(p, WithBid(kHour + 2 * kMin, 100, 2));  // sample 2% in slot 2
  std::string e;
  f.EncodeCanonical(&e);
  auto u64 = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(e[at + static_cast<std::size_t>(i)]);
    return v;
  };
  auto i64 = [&](std::size_t at) { return static_cast<std::int64_t>(u64(at)); };
  auto i128 = [&](std::size_t at) {
    return static_cast<int128>((absl::uint128(u64(at + 8)) << 64) | u64(at));
  };
  const std::size_t tag = std::string("perpcore/funding/v1").size();  // 19
  CHECK(e.substr(0, tag) == "perpcore/funding/v1");
  CHECK(i128(tag) == f.index());                        // index_
  CHECK(f.index() == int128(1'875'000'000'000'000'000));
  CHECK(i64(tag + 16) == 75 * kBp);                     // rate_
  CHECK(i64(tag + 24) == 2 * kOne / 100);               // last_sample_
  CHECK(i64(tag + 32) == kHour);                        // interval_start_
  CHECK(i64(tag + 40) == 2 * kHour);                    // interval_end_
  CHECK(i64(tag + 48) == kHour + 2 * kMin);             // advanced_to_
  CHECK(i64(tag + 56) == 2);                            // last_slot_
  CHECK(i128(tag + 64) == int128(2) * kOne / 100);      // premium_sum_ (0 + 2%)
  CHECK(i64(tag + 80) == 2);                            // weight_sum_
  CHECK((u64(tag + 88) & 0xFFFFFFFFu) == 2);            // samples_
  CHECK(e.size() == tag + 92);
}

TEST_CASE("RateHistory EncodeCanonical: its size, then each close newest first", "[funding]") {
  const FundingParams p = Hourly();
  Funding f(p, TimeNs(0));
  f.Advance(p, WithBid(0, 100, 1));  // sample 1% in slot 0
  Inputs end = At(kHour, 200);
  end.atoms_per_tick_lot = 10;
  const Advanced closed = f.Advance(p, end);  // close: index 1.875e18, F 75 bp
  RateHistory history;
  REQUIRE(closed.closes == 1);
  history.Record(closed.closed[0]);
  std::string e;
  history.EncodeCanonical(&e);
  auto u64 = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(e[at + static_cast<std::size_t>(i)]);
    return v;
  };
  auto i64 = [&](std::size_t at) { return static_cast<std::int64_t>(u64(at)); };
  auto i128 = [&](std::size_t at) {
    return static_cast<int128>((absl::uint128(u64(at + 8)) << 64) | u64(at));
  };
  CHECK((u64(0) & 0xFFFFFFFFu) == 1);  // the history's size
  // One RateSet: start, end, intervals, premium, rate, price, index_delta.
  const std::size_t h = 4;
  CHECK(i64(h) == 0);
  CHECK(i64(h + 8) == kHour);
  CHECK((u64(h + 16) & 0xFFFFFFFFu) == 1);
  CHECK(i64(h + 20) == kOne / 100);
  CHECK(i64(h + 28) == 75 * kBp);
  CHECK(i64(h + 36) == 200);
  CHECK(i128(h + 44) == int128(1'875'000'000'000'000'000));
  CHECK(e.size() == h + 60);
}

// ===========================================================================
// Worked examples from the venues
// ===========================================================================

TEST_CASE("Funding venue dYdX v4: premium from an impact walk, the 8-hour rate paid hourly, a position's payment",
          "[funding][venue]") {
  // Sources: dYdX Chain help centre, "Funding Rates on dYdX Chain"
  // (help.dydx.trade/en/articles/166992): premium = (max(0, impact bid -
  // index) - max(0, index - impact ask)) / index, impact notional = 500 USDC
  // / initial margin fraction, samples each minute averaged over the hour,
  // an 8-hour rate paid hourly (F * T / 8 h, dYdX "Funding" page:
  // F = -R * (T / 8 hours) * B * X at the index price X).
  //
  // BTC-USD: tick $1, lot 0.01 BTC, quote atoms 1e-6 USDC, so a tick-lot is
  // worth 0.01 USDC = 1e4 atoms. IMF 5%: impact notional 500 / 0.05 =
  // 10,000 USDC = 1e10 atoms. Index $50,000.
  const std::int64_t atoms = 10'000;
  const std::int64_t notional = 10'000'000'000;
  const std::vector<perpcore::LevelView> bids = {{Ticks(50'100), Lots(10), 1},
                                                 {Ticks(50'050), Lots(20), 1}};
  const std::vector<perpcore::LevelView> asks = {{Ticks(50'120), Lots(100), 1}};
  // Impact bid: the first level is worth 50100 * 10 * 1e4 = 5.01e9 atoms;
  // the other R = 4.99e9 come from 50050: the average is
  // 1e10 * 50050 / (1e4 * 10 * 50050 + 4.99e9) = 5.005e14 / 9.995e9 =
  // 50075.04, down: 50075. Impact ask: 50120 fills it all: 50120.
  const Ticks bid = perpcore::oracle::ImpactPrice(perpcore::Side::kBuy, bids, notional, atoms);
  const Ticks ask = perpcore::oracle::ImpactPrice(perpcore::Side::kSell, asks, notional, atoms);
  REQUIRE(bid.raw() == 50'075);
  REQUIRE(ask.raw() == 50'120);
  // P = (75 - 0) / 50000 = 0.15% = 1.5e15.
  CHECK(PremiumSample(bid, ask, Ticks(50'000)).raw() == 15 * kBp);

  // The funding clock: hourly intervals of an 8-hour rate, the cap at 600% of
  // (IMF 5% - MMF 3%) = 12% (dYdX v4 x/perpetuals funding rate clamp factor).
  FundingParams p = Hourly();
  p.impact_notional = notional;
  p.cap_mode = CapMode::kMarginMultiple;
  p.cap_multiple = Rate(6 * kOne);
  Funding f(p, TimeNs(0));
  Inputs in = At(0, 50'000);
  in.impact_bid = bid;
  in.impact_ask = ask;
  in.atoms_per_tick_lot = atoms;
  in.initial_minus_maintenance = Rate(2 * kOne / 100);
  for (std::int64_t m = 0; m < 60; ++m) {  // the same book each minute
    in.now = TimeNs(m * kMin);
    REQUIRE(f.Advance(p, in).sampled);
  }
  // F = 15 bp + clamp(1 bp - 15 bp, +-5 bp) = 10 bp per 8 h.
  CHECK(f.PredictedRate(p, in).raw() == 10 * kBp);
  in.now = TimeNs(kHour);
  const Advanced a = f.Advance(p, in);
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].premium.raw() == 15 * kBp);
  CHECK(a.closed[0].rate.raw() == 10 * kBp);
  // One hour: 1e15 / 8 * 50000 * 1e4 = 6.25e22 = 62,500 atoms per lot
  // ($0.0625 per 0.01 BTC: $500 notional * 0.1% / 8).
  CHECK(f.index() == int128(62'500) * kIndexScale);
  // A long of 0.5 BTC (50 lots) pays 3.125 USDC = $25,000 * 0.1% / 8; the
  // short receives it.
  CHECK(Owed(f.index(), 0, 50) == 3'125'000);
  CHECK(Owed(f.index(), 0, -50) == -3'125'000);
}

TEST_CASE("Funding venue dYdX v4: the margin-multiple clamp caps an extreme premium",
          "[funding][venue]") {
  // dYdX v4 x/perpetuals: |F| <= funding rate clamp factor (600%) *
  // (initial - maintenance margin fraction). BTC: IMF 5%, MMF 3%: 12%.
  FundingParams p;
  p.cap_mode = CapMode::kMarginMultiple;
  p.cap_multiple = Rate(6 * kOne);
  const Rate imm(2 * kOne / 100);
  // P = 15%: F = 15% - 0.05% = 14.95% -> 12%; P = -15% -> -12%.
  CHECK(PremiumRate(Rate(15 * (kOne / 100)), p, imm).raw() == 12 * (kOne / 100));
  CHECK(PremiumRate(Rate(-15 * (kOne / 100)), p, imm).raw() == -12 * (kOne / 100));
  // A smaller premium is untouched: P = 1%: 0.95%.
  CHECK(PremiumRate(Rate(kOne / 100), p, imm).raw() == 95 * kBp);
}

TEST_CASE("Funding venue Hyperliquid: an 8-hour rate paid hourly at the oracle price",
          "[funding][venue]") {
  // Hyperliquid docs, Trading > Funding: F = average premium P +
  // clamp(interest rate - P, -0.0005, 0.0005); interest 0.01% per 8 h;
  // premium sampled every 5 seconds and averaged over the hour; funding paid
  // every hour at one eighth of the 8-hour rate; payment = position size *
  // oracle price * funding rate.
  //
  // ETH: tick $0.1, lot 0.01 ETH: a tick-lot is $0.001 = 1000 atoms. Oracle
  // $3000 = 30000 ticks. Three samples, 5 s apart: premiums 5, 7 and 9 bp
  // (impact bids 15, 21 and 27 ticks above the index, 15 / 30000 = 5e-4).
  FundingParams p = Hourly();
  p.sample_cadence = TimeNs(5 * kSec);
  Funding f(p, TimeNs(0));
  const std::int64_t above[] = {15, 21, 27};
  for (int i = 0; i < 3; ++i) {
    Inputs in = WithBid(i * 5 * kSec, 30'000, above[i]);
    in.atoms_per_tick_lot = 1000;
    REQUIRE(f.Advance(p, in).sampled);
  }
  // Equal weights: (5 + 7 + 9) / 3 = 7 bp; F = 7 + clamp(1 - 7, +-5) = 2 bp.
  CHECK(f.RunningPremium(p).raw() == 7 * kBp);
  Inputs end = At(kHour, 30'000);
  end.atoms_per_tick_lot = 1000;
  const Advanced a = f.Advance(p, end);
  CHECK(a.closed[0].rate.raw() == 2 * kBp);
  // One hour of 2 bp per 8 h at 30000 ticks: 2e14 / 8 * 30000 * 1000 =
  // 7.5e20, 750 atoms per lot. 10 ETH long (1000 lots) pays 750,000 atoms =
  // $0.75 = 10 * $3000 * 0.02% / 8.
  CHECK(f.index() == int128(750) * kIndexScale);
  CHECK(Owed(f.index(), 0, 1000) == 750'000);
  // With no premium the hourly payment is the interest alone: 0.01% / 8 =
  // 0.00125% per hour, $0.375 on the same position.
  CHECK(IndexDelta(Rate(kBp), TimeNs(kHour), TimeNs(8 * kHour), Ticks(30'000), 1000) ==
        int128(375) * kIndexScale);
}

TEST_CASE("Funding venue Hyperliquid: the fixed cap of 4 percent an hour", "[funding][venue]") {
  // Hyperliquid docs, Funding: "funding is capped at 4%/hour". As an 8-hour
  // rate paid hourly that is a cap of 32% per period.
  FundingParams p = Hourly();
  p.cap = Rate(32 * (kOne / 100));
  p.floor = Rate(-32 * (kOne / 100));
  // P = 50%: F = 49.95% -> 32%; an hour pays 32% / 8 = 4% of the notional:
  // 3.2e17 / 8 * 30000 ticks * 1000 atoms = 1.2e24 = 1.2e6 atoms per lot
  // ($1.2 = 4% of the $30 of 0.01 ETH).
  const Rate f = PremiumRate(Rate(kOne / 2), p, Rate(0));
  CHECK(f.raw() == 32 * (kOne / 100));
  CHECK(IndexDelta(f, TimeNs(kHour), TimeNs(8 * kHour), Ticks(30'000), 1000) ==
        int128(1'200'000) * kIndexScale);
}

TEST_CASE("Funding venue Binance: the time-weighted average premium and a payment at the mark",
          "[funding][venue]") {
  // Binance, "Introduction to Binance Futures Funding Rates": Average Premium
  // Index P = (1 * PI_1 + 2 * PI_2 + ... + n * PI_n) / (1 + 2 + ... + n);
  // F = P + clamp(interest rate - P, 0.05%, -0.05%); interest 0.01% per 8 h;
  // funding amount = nominal value of the position (mark price * size) * F,
  // paid at the 8-hour interval ends.
  //
  // BTCUSDT: tick $0.1, lot 0.001 BTC: a tick-lot is $0.0001 = 100 atoms.
  // Index $60,000 = 600000 ticks. Samples a minute apart: 2, 8 and 14 bp
  // (impact bids 120, 480, 840 ticks above: 120 / 600000 = 2e-4).
  FundingParams p;  // 8 h / 8 h, interval-end
  p.weighting = PremiumWeighting::kTimeWeighted;
  p.price = FundingPrice::kMark;
  Funding f(p, TimeNs(0));
  const std::int64_t above[] = {120, 480, 840};
  for (int i = 0; i < 3; ++i) {
    Inputs in = WithBid(i * kMin, 600'000, above[i]);
    in.atoms_per_tick_lot = 100;
    REQUIRE(f.Advance(p, in).sampled);
  }
  // (1 * 2 + 2 * 8 + 3 * 14) / (1 + 2 + 3) = 60 / 6 = 10 bp (equal weights
  // would give 24 / 3 = 8 bp).
  CHECK(f.RunningPremium(p).raw() == 10 * kBp);
  // F = 10 + clamp(1 - 10, +-5) = 5 bp.
  Inputs end = At(8 * kHour, 600'000);
  end.mark = Ticks(600'500);  // $60,050
  end.atoms_per_tick_lot = 100;
  const Advanced a = f.Advance(p, end);
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].rate.raw() == 5 * kBp);
  CHECK(a.closed[0].price.raw() == 600'500);
  // 5e14 * 600500 * 100 = 3.0025e22: 30,025 atoms per lot; 1 BTC long (1000
  // lots) pays $30.025 = $60,050 * 0.05%.
  CHECK(f.index() == int128(30'025) * kIndexScale);
  CHECK(Owed(f.index(), 0, 1000) == 30'025'000);
}

TEST_CASE("Funding venue PerpX: clamp of kappa times the open-interest skew, paid every 8 hours",
          "[funding][venue]") {
  // The rule as the issue states it for PerpX: F = clamp(kappa * skew,
  // +-F_max), skew = (OI_long - OI_short) / (OI_long + OI_short), settled
  // every 8 h. kappa 0.05, F_max 1%.
  FundingParams p = SkewParams(FundingModel::kSkewLinear);
  p.skew_kappa = Rate(5 * kOne / 100);
  p.skew_max = Rate(kOne / 100);
  Funding f(p, TimeNs(0));
  f.Advance(p, Skewed(0, 100, 300, 100));
  // 300 long, 100 short at the close: skew 0.5, 0.05 * 0.5 = 2.5% -> 1%.
  const Advanced a = f.Advance(p, Skewed(8 * kHour, 100, 300, 100));
  REQUIRE(a.closes == 1);
  CHECK(a.closed[0].rate.raw() == kOne / 100);
  // 1% of 100 ticks * 1 atom = 1 atom per lot; the 300 long lots pay 300.
  CHECK(f.index() == kIndexScale);
  CHECK(Owed(f.index(), 0, 300) == 300);
  // A skew of 0.1 gives 0.5%, inside the clamp.
  CHECK(SkewRate(Rate(kOne / 10), p).raw() == 5 * (kOne / 1000));
}

TEST_CASE("Funding venue GMX v2: per-second funding from the skew, paid continuously",
          "[funding][venue]") {
  // gmx-synthetics contracts/market/MarketUtils.sol
  // getNextFundingFactorPerSecond (non-adaptive): fundingFactorPerSecond =
  // fundingFactor * diffUsd^fundingExponentFactor / totalOpenInterest, paid
  // per second by the larger side. With exponent 1 this is fundingFactor *
  // |skew|, which perpcore's kSkewPower gives with period 1 s.
  //
  // ETH at $2000: tick $1, lot 1 ETH: 1e6 atoms per tick-lot. Longs $3M
  // (1500 ETH), shorts $1M (500 ETH): skew 0.5. fundingFactor 2e-8 / s.
  FundingParams p = SkewParams(FundingModel::kSkewPower);
  p.payment = FundingPayment::kContinuous;
  p.period = TimeNs(kSec);
  p.interval = TimeNs(kHour);
  p.skew_factor = Rate(20'000'000'000);   // 2e-8
  p.skew_max = Rate(1'000'000'000'000);   // 1e-6 per second
  p.skew_exponent = Rate(kOne);
  REQUIRE(Validate(p, {.max_price = 1'000'000, .atoms_per_tick_lot = 1'000'000,
                       .initial_minus_maintenance = Rate(0)}) == Reason::kOk);
  // 2e-8 * 0.5 = 1e-8 per second, longs pay.
  CHECK(SkewRate(Rate(kOne / 2), p).raw() == 10'000'000'000);
  Funding f(p, TimeNs(0));
  Inputs in = Skewed(kHour, 2000, 1500, 500);
  in.atoms_per_tick_lot = 1'000'000;
  f.Advance(p, in);
  // An hour: 1e-8 * 3600 * $2000 = $0.072 per ETH = 72,000 atoms per lot;
  // the longs' 1500 ETH pay $108 = $3M * 3.6e-5.
  CHECK(f.index() == int128(72'000) * kIndexScale);
  CHECK(Owed(f.index(), 0, 1500) == 108'000'000);
  // Exponent 2 (GMX's fundingExponentFactor): 2e-8 * 0.25 = 5e-9 per second.
  p.skew_exponent = Rate(2 * kOne);
  CHECK(SkewRate(Rate(kOne / 2), p).raw() == 5'000'000'000);
}

TEST_CASE("Funding venue GMX v2.1: the adaptive rate ramps above the stable threshold and decays below the decay threshold",
          "[funding][venue]") {
  // gmx-synthetics MarketUtils.getNextFundingFactorPerSecond (adaptive
  // funding): while the skew is on the funding's side and above
  // thresholdForStableFunding the saved factor grows by
  // fundingIncreaseFactorPerSecond * skew^e * duration; below
  // thresholdForDecreaseFunding it shrinks by fundingDecreaseFactorPerSecond
  // * duration; it is bounded by maxFundingFactorPerSecond. (GMX decays to
  // +-1 unit, perpcore to 0.)
  //
  // Increase 1e-12 / s per s, decrease 1e-13 / s per s, max 1e-8 / s, stable
  // above 4%, decrease below 2%; ETH at $2000 as above.
  FundingParams p = SkewParams(FundingModel::kSkewAdaptive);
  p.payment = FundingPayment::kContinuous;
  p.period = TimeNs(kSec);
  p.interval = TimeNs(kHour);
  p.ramp_up = Rate(1'000'000);
  p.decay = Rate(100'000);
  p.skew_max = Rate(10'000'000'000);
  p.stable_threshold = Rate(4 * kOne / 100);
  p.decay_threshold = Rate(2 * kOne / 100);
  p.skew_exponent = Rate(kOne);
  REQUIRE(Validate(p, {.max_price = 1'000'000, .atoms_per_tick_lot = 1'000'000,
                       .initial_minus_maintenance = Rate(0)}) == Reason::kOk);
  Funding f(p, TimeNs(0));
  auto at = [](std::int64_t t, std::int64_t l, std::int64_t s) {
    Inputs in = Skewed(t, 2000, l, s);
    in.atoms_per_tick_lot = 1'000'000;
    return in;
  };
  // Hour 1 at skew 0.5 (1500 vs 500): from 0, nothing accrues; the factor
  // ramps to 1e-12 * 0.5 * 3600 = 1.8e-9 per second.
  f.Advance(p, at(kHour, 1500, 500));
  CHECK(f.index() == 0);
  CHECK(f.rate().raw() == 1'800'000'000);
  // Hour 2, still 0.5: accrues 1.8e-9 * 3600 s * $2000 = $0.01296 per ETH
  // (12,960 atoms); the factor reaches 3.6e-9.
  f.Advance(p, at(2 * kHour, 1500, 500));
  CHECK(f.index() == int128(12'960) * kIndexScale);
  CHECK(f.rate().raw() == 3'600'000'000);
  // Hour 3, the skew falls to 1% (1010 vs 990): accrues 3.6e-9 * 3600 *
  // 2000 = $0.02592 (25,920 atoms); the factor decays by 1e-13 * 3600 =
  // 3.6e-10 to 3.24e-9.
  f.Advance(p, at(3 * kHour, 1010, 990));
  CHECK(f.index() == int128(12'960 + 25'920) * kIndexScale);
  CHECK(f.rate().raw() == 3'240'000'000);
  // Hour 4 at 3% (between the thresholds): it holds.
  f.Advance(p, at(4 * kHour, 1030, 970));
  CHECK(f.rate().raw() == 3'240'000'000);
  // Ten hours at full skew: +3.6e-8 would pass the 1e-8 maximum: capped.
  f.Advance(p, at(14 * kHour, 2000, 0));
  CHECK(f.rate().raw() == 10'000'000'000);
}

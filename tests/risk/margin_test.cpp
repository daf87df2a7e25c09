#include "perpcore/risk/margin.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "support/rng.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace risk {
// Lets Catch print a LiquidationPrice when a comparison fails.
std::ostream& operator<<(std::ostream& os, const LiquidationPrice& lp) {
  return os << "{price " << lp.price.raw() << ", tier " << lp.tier
            << (lp.always ? ", always}" : "}");
}
}  // namespace risk
PERPCORE_NAMESPACE_END

namespace perpcore {
namespace {

using absl::int128;
using risk::ComputeLiquidationPrice;
using risk::LiquidationInput;
using risk::LiquidationPrice;
using risk::MarginTier;
using risk::TierTable;
using testing::Rng;
using Catch::Matchers::Contains;

constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr int128 kScale = kRateScale;

// Quote atoms are 1e-6 of the quote currency (USDT, USDC) throughout.
constexpr std::int64_t kAtomsPerUnit = 1'000'000;
Quote Usd(std::int64_t whole) { return Quote(whole * kAtomsPerUnit); }
// A rate in basis points: 1 bp = 1e-4 = 10^14 raw.
Rate Bps(std::int64_t bps) { return Rate(bps * 100'000'000'000'000); }
// A Quote amount carrying the Rate scale, as MaintenanceDeduction returns it.
int128 ScaledUsd(std::int64_t whole) { return int128(whole * kAtomsPerUnit) * kScale; }

TierTable Table(const std::vector<MarginTier>& tiers) {
  absl::StatusOr<TierTable> t = TierTable::Create(tiers);
  REQUIRE(t.ok());
  return *std::move(t);
}

// Binance USD-M BTCUSDT "notional value tiers" as Binance published them in
// 2021 (leverage and margin page; the FAQ "How to Calculate Liquidation Price
// of USDⓈ-M Futures Contracts" cites tiers 2 and 3): floor, max leverage,
// maintenance rate, and the published maintenance amount in USDT.
struct BinanceRow {
  std::int64_t floor_usdt;
  std::uint32_t max_leverage;
  std::int64_t mmr_bps;
  std::int64_t maintenance_amount_usdt;
};
constexpr BinanceRow kBinanceBtcusdt[] = {
    {0, 125, 40, 0},
    {50'000, 100, 50, 50},
    {250'000, 50, 100, 1'300},
    {1'000'000, 20, 250, 16'300},
    {10'000'000, 10, 500, 266'300},
    {20'000'000, 5, 1000, 1'266'300},
    {50'000'000, 4, 1250, 2'516'300},
    {100'000'000, 3, 1500, 5'016'300},
    {200'000'000, 2, 2500, 25'016'300},
    {300'000'000, 1, 5000, 100'016'300},
};

std::vector<MarginTier> BinanceTiers() {
  std::vector<MarginTier> tiers;
  for (const BinanceRow& row : kBinanceBtcusdt) {
    tiers.push_back({Usd(row.floor_usdt), row.max_leverage, Bps(row.mmr_bps)});
  }
  return tiers;
}

// Hyperliquid BTC margin table (docs, "Margin tiers"): 40x below 150M USDC
// of notional and 20x from there; maintenance is half the initial margin at
// the tier's max leverage, so 1/80 and 1/40.
std::vector<MarginTier> HyperliquidBtcTiers() {
  return {{Usd(0), 40, Bps(125)}, {Usd(150'000'000), 20, Bps(250)}};
}

// ---------------------------------------------------------------------------
// Independent reference: a requirement as the sum over tiers of the part of
// the notional inside each tier times that tier's rate (no deductions), and
// liquidatability straight from its definition. All in int128.
// ---------------------------------------------------------------------------

template <class RateOf>
int128 SumOfParts(std::span<const MarginTier> tiers, int128 notional, RateOf rate_of) {
  int128 total = 0;
  for (std::size_t j = 0; j < tiers.size(); ++j) {
    const int128 lo = tiers[j].notional_floor.raw();
    const int128 hi = j + 1 < tiers.size() ? int128(tiers[j + 1].notional_floor.raw()) : notional;
    const int128 part = std::min(notional, hi) - lo;
    if (part > 0) total += part * rate_of(j);
  }
  return total;
}

int128 MaintenanceScaled(std::span<const MarginTier> tiers, int128 notional) {
  return SumOfParts(tiers, notional,
                    [&](std::size_t j) { return int128(tiers[j].maintenance_rate.raw()); });
}

int128 CeilScaled(int128 scaled) { return (scaled + kScale - 1) / kScale; }  // scaled >= 0

int128 RefMaintenance(std::span<const MarginTier> tiers, int128 notional) {
  return CeilScaled(MaintenanceScaled(tiers, notional));
}

int128 RefInitial(std::span<const MarginTier> tiers, int128 notional, std::uint32_t leverage) {
  return CeilScaled(SumOfParts(tiers, notional, [&](std::size_t j) {
    const std::uint32_t l = std::min(leverage, tiers[j].max_leverage);
    absl::StatusOr<Rate> rate = RateFromRatio(1, l, Round::kUp);
    REQUIRE(rate.ok());
    return int128(rate->raw());
  }));
}

// equity(P) < other_maintenance + Maintenance(|s| * P * m), the definition.
bool Liquidatable(std::span<const MarginTier> tiers, const LiquidationInput& in, int128 price) {
  const int128 size = in.size.raw();
  const int128 value = size * price * in.atoms_per_tick_lot;
  const int128 notional = value < 0 ? -value : value;
  return in.other_equity.raw() + value <
         in.other_maintenance.raw() + RefMaintenance(tiers, notional);
}

// The tier holding the exact liquidation notional: equity minus the exact
// requirement, scaled by 1e18, changes sign inside it (rising for a long,
// falling for a short), so it is the last tier whose floor is not past the
// root.
std::size_t RefTier(std::span<const MarginTier> tiers, const LiquidationInput& in) {
  const bool is_long = in.size.raw() > 0;
  const int128 margin = int128(in.other_equity.raw()) - in.other_maintenance.raw();
  std::size_t tier = 0;
  for (std::size_t j = 0; j < tiers.size(); ++j) {
    const int128 floor = tiers[j].notional_floor.raw();
    const int128 slack = margin * kScale + (is_long ? floor : -floor) * kScale -
                         MaintenanceScaled(tiers, floor);
    if (is_long ? slack <= 0 : slack >= 0) tier = j;
  }
  return tier;
}

absl::StatusCode Code(const absl::StatusOr<LiquidationPrice>& r) { return r.status().code(); }

LiquidationPrice Liq(const TierTable& table, const LiquidationInput& in) {
  absl::StatusOr<LiquidationPrice> r = ComputeLiquidationPrice(table, in);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

// FatalCall: thrown by the test handler to escape PERPCORE_CHECK's "must not
// return"; the handler is restored when the test ends.
struct FatalCall {};
void ThrowingHandler(const char*, const char*, int) { throw FatalCall{}; }
class ScopedThrowingHandler {
 public:
  ScopedThrowingHandler() : previous_(SetFatalHandler(&ThrowingHandler)) {}
  ~ScopedThrowingHandler() { SetFatalHandler(previous_); }
  ScopedThrowingHandler(const ScopedThrowingHandler&) = delete;
  ScopedThrowingHandler& operator=(const ScopedThrowingHandler&) = delete;

 private:
  FatalHandler previous_;
};

// Property tests: seeds are fixed and printed; PERPCORE_TEST_SEED=<n> runs
// only that seed and PERPCORE_TEST_ITERS=<n> sets the cases per seed.
std::optional<std::uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}
std::vector<std::uint64_t> Seeds() {
  if (std::optional<std::uint64_t> s = EnvU64("PERPCORE_TEST_SEED")) return {*s};
  return {0x3a6100, 0x3a6101, 0x3a6102};
}
std::uint64_t Iterations(std::uint64_t fallback) {
  return EnvU64("PERPCORE_TEST_ITERS").value_or(fallback);
}

// A random valid table of up to `max_tiers` brackets: floors `max_gap`
// apart at most, leverage falling, rates rising and at most `max_rate_raw`.
// Half the tables use whole-percent rates and floors in hundreds, so that
// requirements are often whole atoms and the "equity == requirement" edge,
// at a tick or exactly at a floor, can be reached.
std::vector<MarginTier> RandomTiers(Rng& rng, std::size_t max_tiers, std::int64_t max_gap,
                                    std::int64_t max_rate_raw) {
  const std::size_t count = 1 + rng.Below(max_tiers);
  const bool whole_percent = rng.Percent(50);
  constexpr std::int64_t kPercent = kRateScale / 100;
  std::vector<MarginTier> tiers;
  std::int64_t floor = 0;
  auto leverage = static_cast<std::uint32_t>(rng.Between(1, risk::kMaxLeverage));
  std::int64_t rate = 1;
  for (std::size_t j = 0; j < count; ++j) {
    if (j > 0) {
      floor += whole_percent ? rng.Between(1, max_gap / 100) * 100 : rng.Between(1, max_gap);
      leverage = static_cast<std::uint32_t>(rng.Between(1, leverage));
    }
    // The largest rate below 1/leverage, and the cap of this test.
    const std::int64_t cap = std::min<std::int64_t>(max_rate_raw, (kRateScale - 1) / leverage);
    const std::int64_t lo_pct = (rate + kPercent - 1) / kPercent;
    if (whole_percent && lo_pct <= cap / kPercent) {
      rate = rng.Between(lo_pct, cap / kPercent) * kPercent;
    } else {
      rate = rng.Between(rate, cap);
    }
    tiers.push_back({Quote(floor), leverage, Rate(rate)});
  }
  REQUIRE(TierTable::Validate(tiers).ok());
  return tiers;
}

// ===========================================================================
// Deductions and requirements
// ===========================================================================

TEST_CASE("Margin: Binance BTCUSDT deductions reproduce the published maintenance amounts",
          "[risk]") {
  const TierTable t = Table(BinanceTiers());
  REQUIRE(t.tiers().size() == std::size(kBinanceBtcusdt));
  for (std::size_t i = 0; i < std::size(kBinanceBtcusdt); ++i) {
    INFO("tier " << i);
    CHECK(t.MaintenanceDeduction(i) == ScaledUsd(kBinanceBtcusdt[i].maintenance_amount_usdt));
  }
  CHECK(t.MaxLeverage() == 125);
}

TEST_CASE("Margin: Binance FAQ examples pick the tier and amount it names", "[risk]") {
  const TierTable t = Table(BinanceTiers());
  // "if the position size ... is 264,000 USDT, then the maintenance margin
  // rate would be 1%": 264,000 * 1% - 1,300 = 1,340 USDT.
  CHECK(t.Tier(Usd(264'000)) == 2);
  CHECK(t.Maintenance(Usd(264'000)) == Usd(1'340));
  // "if the position size ... is 500,000 USDT, then the maintenance amount
  // would be 1,300 USDT": 500,000 * 1% - 1,300 = 3,700 USDT.
  CHECK(t.Tier(Usd(500'000)) == 2);
  CHECK(t.MaintenanceDeduction(2) == ScaledUsd(1'300));
  CHECK(t.Maintenance(Usd(500'000)) == Usd(3'700));
  // The header's example: 40,000 USDT in tier 0 at 0.4% is 160 USDT.
  CHECK(t.Maintenance(Quote(40'000'000'000)) == Usd(160));
  CHECK(t.Maintenance(Quote(0)) == Quote(0));
}

TEST_CASE("Margin: requirements at every Binance tier boundary are exact and continuous",
          "[risk]") {
  const std::vector<MarginTier> tiers = BinanceTiers();
  const TierTable t = Table(tiers);
  // Worked by hand at the first boundaries, 1 atom = 1e-6 USDT:
  //   (50,000 USDT - 1 atom) * 0.4%      = 199,999,999.996 atoms -> 200,000,000
  //    50,000 USDT * 0.5% - 50 USDT      = 200 USDT (= 50,000 * 0.4%: continuous)
  //   (50,000 USDT + 1 atom) * 0.5% - 50 = 200,000,000.005 atoms -> 200,000,001
  CHECK(t.Maintenance(Quote(50'000'000'000 - 1)) == Quote(200'000'000));
  CHECK(t.Maintenance(Usd(50'000)) == Usd(200));
  CHECK(t.Maintenance(Quote(50'000'000'000 + 1)) == Quote(200'000'001));
  //   250,000 * 1% - 1,300 = 1,200 USDT; one atom below is 1,199.999999995 USDT
  CHECK(t.Maintenance(Quote(250'000'000'000 - 1)) == Usd(1'200));
  CHECK(t.Maintenance(Usd(250'000)) == Usd(1'200));
  CHECK(t.Maintenance(Quote(250'000'000'000 + 1)) == Quote(1'200'000'001));
  //   1M: 1,000,000 * 2.5% - 16,300 = 8,700;  10M: 10M * 5% - 266,300 = 233,700
  //   300M: 300M * 50% - 100,016,300 = 49,983,700 (= 300M * 25% - 25,016,300)
  CHECK(t.Maintenance(Usd(1'000'000)) == Usd(8'700));
  CHECK(t.Maintenance(Usd(10'000'000)) == Usd(233'700));
  CHECK(t.Maintenance(Usd(300'000'000)) == Usd(49'983'700));

  for (std::size_t i = 1; i < tiers.size(); ++i) {
    const std::int64_t f = tiers[i].notional_floor.raw();
    INFO("boundary of tier " << i << " at " << f);
    CHECK(t.Tier(Quote(f - 1)) == i - 1);
    CHECK(t.Tier(Quote(f)) == i);
    CHECK(t.Tier(Quote(f + 1)) == i);
    // Continuity, exactly: both tiers' lines meet at the floor.
    const int128 below = int128(f) * tiers[i - 1].maintenance_rate.raw() -
                         t.MaintenanceDeduction(i - 1);
    const int128 above = int128(f) * tiers[i].maintenance_rate.raw() - t.MaintenanceDeduction(i);
    CHECK(below == above);
    for (std::int64_t n : {f - 1, f, f + 1}) {
      CHECK(int128(t.Maintenance(Quote(n)).raw()) == RefMaintenance(tiers, n));
      for (std::uint32_t lev : {1u, 20u, 100u, 125u, 150u}) {
        CHECK(int128(t.Initial(Quote(n), lev).raw()) == RefInitial(tiers, n, lev));
      }
    }
    CHECK(t.Maintenance(Quote(f - 1)) <= t.Maintenance(Quote(f)));
    CHECK(t.Maintenance(Quote(f)) <= t.Maintenance(Quote(f + 1)));
  }
  CHECK(t.Tier(Quote::Max()) == tiers.size() - 1);
  // The largest notional: 50% of it minus the last deduction still fits.
  CHECK(int128(t.Maintenance(Quote::Max()).raw()) == RefMaintenance(tiers, kI64Max));
  CHECK(t.Initial(Quote::Max(), 1) == Quote::Max());
}

TEST_CASE("Margin: requirements match the sum over tiers and rise by at most one atom per atom",
          "[risk][property]") {
  for (std::uint64_t seed : Seeds()) {
    std::printf("[property] margin requirements: seed 0x%" PRIx64 "\n", seed);
    Rng rng(seed);
    const std::uint64_t iters = Iterations(20'000);
    for (std::uint64_t k = 0; k < iters; ++k) {
      const std::vector<MarginTier> tiers =
          RandomTiers(rng, 6, rng.Percent(50) ? 1'000 : 1'000'000'000'000, kRateScale - 1);
      const TierTable t = Table(tiers);
      const std::int64_t top = tiers.back().notional_floor.raw();
      const std::int64_t n = rng.Percent(10) ? rng.Between(0, kI64Max - 1)
                                             : rng.Between(0, top + top / 2 + 10);
      const auto lev = static_cast<std::uint32_t>(rng.Between(1, risk::kMaxLeverage));
      INFO("seed " << seed << " case " << k << " n " << n << " leverage " << lev);
      const Quote mm = t.Maintenance(Quote(n));
      const Quote im = t.Initial(Quote(n), lev);
      REQUIRE(int128(mm.raw()) == RefMaintenance(tiers, n));
      REQUIRE(int128(im.raw()) == RefInitial(tiers, n, lev));
      const std::int64_t step = t.Maintenance(Quote(n + 1)).raw() - mm.raw();
      REQUIRE((step == 0 || step == 1));
      REQUIRE(t.Initial(Quote(n + 1), lev) >= im);
      REQUIRE(mm <= im);
      REQUIRE(im <= Quote(n));
      // A leverage above the first tier's max is capped tier by tier.
      REQUIRE(t.Initial(Quote(n), std::max(lev, t.MaxLeverage())) ==
              t.Initial(Quote(n), t.MaxLeverage()));
    }
  }
}

TEST_CASE("Margin: initial margin follows the user's leverage, capped by each tier", "[risk]") {
  const TierTable t = Table(BinanceTiers());
  // 40,000 USDT at 125x: 0.8% = 320 USDT.
  CHECK(t.Initial(Usd(40'000), 125) == Usd(320));
  // 5M USDT at 10x, below every tier's max: a flat 10%.
  CHECK(t.Initial(Usd(5'000'000), 10) == Usd(500'000));
  // 5M at 20x: tiers 0-3 all allow 20x, so a flat 5% = 250,000.
  CHECK(t.Initial(Usd(5'000'000), 20) == Usd(250'000));
  // 5M at 100x: rates 1%, 1%, 2%, 5% over the four tiers it spans:
  //   250,000 * 1% + 750,000 * 2% + 4,000,000 * 5% = 217,500 USDT.
  CHECK(t.Initial(Usd(5'000'000), 100) == Usd(217'500));
  // 5M at 125x: 0.8% on the first 50,000 and the same above:
  //   400 + 200,000 * 1% + 750,000 * 2% + 4,000,000 * 5% = 217,400 USDT.
  CHECK(t.Initial(Usd(5'000'000), 125) == Usd(217'400));
  // 150x asks more than tier 0 allows: the same as 125x.
  CHECK(t.Initial(Usd(5'000'000), 150) == Usd(217'400));
  CHECK(t.Initial(Usd(40'000), 150) == Usd(320));
  // 1x: the whole notional.
  CHECK(t.Initial(Usd(5'000'000), 1) == Usd(5'000'000));
}

TEST_CASE("Margin: leverage 150 on a tier that allows 150 uses 1/150 rounded up", "[risk]") {
  const TierTable t = Table({{Quote(0), 150, Rate(kRateScale / 300)}});
  CHECK(t.MaxLeverage() == 150);
  const absl::StatusOr<Rate> rate = RateFromRatio(1, 150, Round::kUp);
  REQUIRE(rate.ok());
  CHECK(rate->raw() == 6'666'666'666'666'667);
  // 150,000 atoms * 0.006666666666666667 = 1000.00000000000005 -> 1001: the
  // one-atom price of a finite Rate for 1/150 (see the header).
  CHECK(t.Initial(Quote(150'000), 150) == Quote(1'001));
  CHECK(t.Initial(Quote(149'999), 150) == Quote(1'000));  // 999.99333... -> 1000
  CHECK(t.Initial(Usd(1'500), 150) == Quote(10'000'001));  // 10 USDT and one atom
  CHECK(t.Initial(Usd(1'500), 100) == Usd(15));            // 1% is exact
  // Maintenance 1/300 rounded down to 0.003333333333333333: 5 USDT minus
  // 0.5e-12 atoms, rounded up to 5 USDT.
  CHECK(t.Maintenance(Usd(1'500)) == Usd(5));
}

TEST_CASE("Margin: Hyperliquid BTC tiers keep maintenance at half the initial margin", "[risk]") {
  const TierTable t = Table(HyperliquidBtcTiers());
  // Deduction of tier 1: 150M * (2.5% - 1.25%) = 1,875,000 USDC.
  CHECK(t.MaintenanceDeduction(1) == ScaledUsd(1'875'000));
  CHECK(t.Maintenance(Usd(100'000'000)) == Usd(1'250'000));
  CHECK(t.Initial(Usd(100'000'000), 40) == Usd(2'500'000));
  // 300M: 300M * 2.5% - 1.875M = 5.625M; initial 300M * 5% - 3.75M = 11.25M.
  CHECK(t.Maintenance(Usd(300'000'000)) == Usd(5'625'000));
  CHECK(t.Initial(Usd(300'000'000), 40) == Usd(11'250'000));
  for (std::int64_t n : {std::int64_t{80}, std::int64_t{150'000'000'000'000},
                         std::int64_t{150'000'000'000'080}, Usd(1'000'000'000).raw()}) {
    CHECK(t.Initial(Quote(n), 40).raw() == 2 * t.Maintenance(Quote(n)).raw());
  }
}

TEST_CASE("Margin: a default-constructed table and bad arguments fail PERPCORE_CHECK",
          "[risk]") {
  ScopedThrowingHandler handler;
  const TierTable empty;
  CHECK_THROWS_AS(empty.Maintenance(Quote(1)), FatalCall);
  CHECK_THROWS_AS(empty.Tier(Quote(1)), FatalCall);
  CHECK_THROWS_AS(empty.MaxLeverage(), FatalCall);
  const TierTable t = Table(BinanceTiers());
  CHECK_THROWS_AS(t.Maintenance(Quote(-1)), FatalCall);
  CHECK_THROWS_AS(t.Initial(Quote(-1), 10), FatalCall);
  CHECK_THROWS_AS(t.Initial(Quote(1), 0), FatalCall);
  CHECK_THROWS_AS(t.Initial(Quote(1), risk::kMaxLeverage + 1), FatalCall);
  CHECK_THROWS_AS(t.MaintenanceDeduction(t.tiers().size()), FatalCall);
  CHECK_NOTHROW(t.Initial(Quote(1), risk::kMaxLeverage));
}

// ===========================================================================
// Validate
// ===========================================================================

void CheckRejected(const std::vector<MarginTier>& tiers, const std::string& message) {
  const absl::Status s = TierTable::Validate(tiers);
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.message()), Contains(message));
  const absl::StatusOr<TierTable> created = TierTable::Create(tiers);
  CHECK(created.status() == s);
}

TEST_CASE("Margin: Validate names the tier and field of every broken rule", "[risk]") {
  const std::vector<MarginTier> good = BinanceTiers();
  REQUIRE(TierTable::Validate(good).ok());

  CheckRejected({}, "need 1..32 tiers, got 0");
  std::vector<MarginTier> many;
  for (std::int64_t i = 0; i < 33; ++i) many.push_back({Quote(i), 10, Bps(10)});
  CheckRejected(many, "need 1..32 tiers, got 33");
  many.pop_back();
  CHECK(TierTable::Validate(many).ok());

  auto with = [&](std::size_t i, auto change) {
    std::vector<MarginTier> t = good;
    change(t[i]);
    return t;
  };
  CheckRejected(with(0, [](MarginTier& t) { t.notional_floor = Quote(1); }),
                "tier 0: notional_floor must be 0");
  CheckRejected(with(3, [](MarginTier& t) { t.notional_floor = Usd(250'000); }),
                "tier 3: notional_floor must exceed tier 2's");
  CheckRejected(with(3, [](MarginTier& t) { t.notional_floor = Usd(1); }),
                "tier 3: notional_floor must exceed tier 2's");
  CheckRejected(with(0, [](MarginTier& t) { t.max_leverage = 0; }),
                "tier 0: max_leverage must be in 1..150");
  CheckRejected(with(0, [](MarginTier& t) { t.max_leverage = 151; }),
                "tier 0: max_leverage must be in 1..150");
  CheckRejected(with(2, [](MarginTier& t) { t.max_leverage = 101; }),
                "tier 2: max_leverage must not exceed tier 1's");
  CheckRejected(with(0, [](MarginTier& t) { t.maintenance_rate = Rate(0); }),
                "tier 0: maintenance_rate must be positive");
  CheckRejected(with(5, [](MarginTier& t) { t.maintenance_rate = Rate(-1); }),
                "tier 5: maintenance_rate must be positive");
  CheckRejected(with(2, [](MarginTier& t) { t.maintenance_rate = Bps(49); }),
                "tier 2: maintenance_rate must not be below tier 1's");
  // 2% at 50x is exactly 1/50: not below it.
  CheckRejected(with(2, [](MarginTier& t) { t.maintenance_rate = Bps(200); }),
                "tier 2: maintenance_rate must be below 1/max_leverage");
  CHECK(TierTable::Validate(
            with(2, [](MarginTier& t) { t.maintenance_rate = Rate(Bps(200).raw() - 1); }))
            .ok());
  // 1/3 rounded up is above 1/3 and 1/3 rounded down below it.
  CheckRejected({{Quote(0), 3, Rate(333'333'333'333'333'334)}},
                "tier 0: maintenance_rate must be below 1/max_leverage");
  CHECK(TierTable::Validate({{{Quote(0), 3, Rate(333'333'333'333'333'333)}}}).ok());
  CheckRejected({{Quote(0), 1, Rate(kRateScale)}},
                "tier 0: maintenance_rate must be below 1/max_leverage");
  // The first broken rule is the one reported.
  CheckRejected(with(4, [](MarginTier& t) {
                  t.max_leverage = 0;
                  t.maintenance_rate = Rate(0);
                }),
                "tier 4: max_leverage");
}

// ===========================================================================
// Liquidation price: worked examples
// ===========================================================================

// Binance's FAQ gives the formula but no worked number, so these are derived
// by hand from it. Isolated, one-way mode (TMM = UPNL = 0):
//   LP = (WB + cum - side * Q * EP) / (Q * MMR - side * Q),
// which is this module's formula with other_equity = WB - side * Q * EP and
// other_maintenance = 0. BTCUSDT: tick 0.1 USDT, lot 0.001 BTC, so one tick
// of one lot is 0.0001 USDT = 100 atoms.
TEST_CASE("Margin: Binance isolated BTCUSDT liquidation prices, derived from its formula",
          "[risk]") {
  const TierTable t = Table(BinanceTiers());
  constexpr std::int64_t kAtoms = 100;
  // Long 1 BTC at 40,000 with 20x: WB = 2,000 USDT, tier 0 (0.4%, cum 0):
  //   LP = (2,000 - 40,000) / (0.004 - 1) = 38,152.6104... -> 38,152.7 up.
  // In atoms: other_equity = 2,000 USDT - 1,000 lots * 400,000 ticks * 100.
  const LiquidationInput long_in{.size = Lots(1'000),
                                 .atoms_per_tick_lot = kAtoms,
                                 .other_equity = Usd(2'000 - 40'000)};
  CHECK(Liq(t, long_in) == LiquidationPrice{.price = Ticks(381'527), .tier = 0});
  // Short 1 BTC at 40,000 with 20x: LP = (2,000 + 40,000) / (1.004) =
  // 41,832.6693... -> 41,832.6 down.
  const LiquidationInput short_in{.size = Lots(-1'000),
                                  .atoms_per_tick_lot = kAtoms,
                                  .other_equity = Usd(2'000 + 40'000)};
  CHECK(Liq(t, short_in) == LiquidationPrice{.price = Ticks(418'326), .tier = 0});
  // Long 100 BTC at 50,000 (notional 5M, tier 3) with 20x: WB = 250,000.
  // Tier 3 (2.5%, cum 16,300): LP = (250,000 + 16,300 - 5,000,000) /
  // (100 * (0.025 - 1)) = 48,550.769...; 100 * LP = 4.855M is inside tier 3
  // (1M..10M), so it stands: 48,550.8 up.
  const LiquidationInput big{.size = Lots(100'000),
                             .atoms_per_tick_lot = kAtoms,
                             .other_equity = Usd(250'000 - 5'000'000)};
  CHECK(Liq(t, big) == LiquidationPrice{.price = Ticks(485'508), .tier = 3});
  for (const LiquidationInput& in : {long_in, big}) {
    const std::int64_t p = Liq(t, in).price.raw();
    CHECK(Liquidatable(t.tiers(), in, p - 1));
    CHECK_FALSE(Liquidatable(t.tiers(), in, p));
  }
  CHECK_FALSE(Liquidatable(t.tiers(), short_in, 418'326));
  CHECK(Liquidatable(t.tiers(), short_in, 418'327));
}

// Hyperliquid's docs give liq_price = price - side * margin_available /
// position_size / (1 - l * side), l = 1 / MAINTENANCE_LEVERAGE; the same
// line as here once the tier is fixed. Cross, USDC atoms 1e-6, tick 1 USDC,
// lot 0.00001 BTC (szDecimals 5): 10 atoms per tick-lot.
TEST_CASE("Margin: Hyperliquid cross BTC long liquidates in the 20x tier", "[risk]") {
  const TierTable t = Table(HyperliquidBtcTiers());
  // 20M USDC deposited, long 3,000 BTC bought at 100,000: cash -280M, no
  // other positions. Tier 0 would put the notional at 280M / 0.9875 =
  // 283.5M, past 150M; tier 1 (2.5%, deduction 1.875M):
  //   n* = (280M - 1.875M) / 0.975 = 285,256,410.26 USDC  (in 150M..)
  //   P* = n* / 3,000 = 95,085.47 -> 95,086 up.
  const LiquidationInput in{.size = Lots(300'000'000),
                            .atoms_per_tick_lot = 10,
                            .other_equity = Usd(20'000'000 - 300'000'000)};
  CHECK(Liq(t, in) == LiquidationPrice{.price = Ticks(95'086), .tier = 1});
  CHECK(Liquidatable(t.tiers(), in, 95'085));
  CHECK_FALSE(Liquidatable(t.tiers(), in, 95'086));
  // At 95,086: equity 5.258M USDC against maintenance 7.1325M - 1.875M.
  CHECK(t.Maintenance(Usd(285'258'000)) == Usd(5'256'450));
}

// dYdX v4 BTC-USD: initial margin fraction 5%, maintenance 3%, one tier
// (20x). A cross account: 10,000 USDC deposited, long 1 BTC bought at
// 50,000 and short 10 ETH sold at 3,000 (same margin parameters), marks
// unchanged. USDC balance 10,000 - 50,000 + 30,000 = -10,000.
TEST_CASE("Margin: dYdX-style cross account liquidation prices, worked by hand", "[risk]") {
  const TierTable t = Table({{Quote(0), 20, Bps(300)}});
  // BTC: tick 0.1 USD, lot 0.0001 BTC: 10 atoms per tick-lot. Held fixed:
  // cash plus the ETH position's value, -10,000 - 30,000 = -40,000, and its
  // maintenance, 3% of 30,000 = 900.
  //   P* = (900 + 40,000) / (1 * 0.97) = 42,164.948... -> 42,165.0 up.
  const LiquidationInput btc{.size = Lots(10'000),
                             .atoms_per_tick_lot = 10,
                             .other_equity = Usd(-40'000),
                             .other_maintenance = Usd(900)};
  CHECK(Liq(t, btc) == LiquidationPrice{.price = Ticks(421'650), .tier = 0});
  // At 42,164.9: equity 2,164.90 < 900 + 1,264.947 = 2,164.947;
  // at 42,165.0: equity 2,165.00 > 900 + 1,264.95.
  CHECK(Liquidatable(t.tiers(), btc, 421'649));
  CHECK_FALSE(Liquidatable(t.tiers(), btc, 421'650));
  // ETH: tick 0.01 USD, lot 0.001 ETH: 10 atoms per tick-lot. Held fixed:
  // -10,000 + 50,000 = 40,000 and 3% of 50,000 = 1,500.
  //   P* = (40,000 - 1,500) / (10 * 1.03) = 3,737.8640... -> 3,737.86 down.
  const LiquidationInput eth{.size = Lots(-10'000),
                             .atoms_per_tick_lot = 10,
                             .other_equity = Usd(40'000),
                             .other_maintenance = Usd(1'500)};
  CHECK(Liq(t, eth) == LiquidationPrice{.price = Ticks(373'786), .tier = 0});
  CHECK_FALSE(Liquidatable(t.tiers(), eth, 373'786));
  CHECK(Liquidatable(t.tiers(), eth, 373'787));
}

TEST_CASE("Margin: a liquidation notional exactly at a floor belongs to the tier starting there",
          "[risk]") {
  const TierTable t = Table(BinanceTiers());
  // Long 1 BTC (1,000 lots, 100 atoms per tick-lot), 49,800 USDT short of
  // margin: tier 0 gives 49,800 / 0.996 = 50,000 USDT of notional exactly,
  // tier 1's floor; tier 1 gives (49,800 + 50) / 0.995 = 50,000 as well.
  // Price 50,000.0 USDT = 500,000 ticks, in tier 1.
  const LiquidationInput lng{
      .size = Lots(1'000), .atoms_per_tick_lot = 100, .other_equity = Usd(-49'800)};
  CHECK(Liq(t, lng) == LiquidationPrice{.price = Ticks(500'000), .tier = 1});
  CHECK(Liquidatable(t.tiers(), lng, 499'999));
  CHECK_FALSE(Liquidatable(t.tiers(), lng, 500'000));
  // Short 1 BTC with 50,200 USDT: 50,200 / 1.004 = 50,000 exactly.
  const LiquidationInput sht{
      .size = Lots(-1'000), .atoms_per_tick_lot = 100, .other_equity = Usd(50'200)};
  CHECK(Liq(t, sht) == LiquidationPrice{.price = Ticks(500'000), .tier = 1});
  CHECK_FALSE(Liquidatable(t.tiers(), sht, 500'000));
  CHECK(Liquidatable(t.tiers(), sht, 500'001));
}

TEST_CASE("Margin: at the exact liquidation price equity equals the requirement and is safe",
          "[risk]") {
  // Long, 50%: P* = 50 / 0.5 = 100 exactly. At 100 equity 50 = requirement 50.
  const TierTable half = Table({{Quote(0), 1, Rate(kRateScale / 2)}});
  const LiquidationInput lng{.size = Lots(1), .other_equity = Quote(-50)};
  CHECK(Liq(half, lng) == LiquidationPrice{.price = Ticks(100)});
  CHECK(half.Maintenance(Quote(100)) == Quote(50));
  CHECK(Liquidatable(half.tiers(), lng, 99));
  CHECK_FALSE(Liquidatable(half.tiers(), lng, 100));
  // Short, 25%: P* = 125 / 1.25 = 100 exactly: equity 25 = requirement 25.
  const TierTable quarter = Table({{Quote(0), 2, Rate(kRateScale / 4)}});
  const LiquidationInput sht{.size = Lots(-1), .other_equity = Quote(125)};
  CHECK(Liq(quarter, sht) == LiquidationPrice{.price = Ticks(100)});
  CHECK_FALSE(Liquidatable(quarter.tiers(), sht, 100));
  CHECK(Liquidatable(quarter.tiers(), sht, 101));
}

TEST_CASE("Margin: a long backed by its other maintenance is never liquidatable", "[risk]") {
  const TierTable t = Table(BinanceTiers());
  for (std::int64_t extra : {0, 1, 1'000'000}) {
    const LiquidationInput in{.size = Lots(5),
                              .atoms_per_tick_lot = 3,
                              .other_equity = Quote(700 + extra),
                              .other_maintenance = Quote(700)};
    CHECK(Liq(t, in) == LiquidationPrice{});
  }
  CHECK(Liq(t, {.size = Lots(kI64Max), .atoms_per_tick_lot = kI64Max,
                .other_equity = Quote::Max()}) == LiquidationPrice{});
  // Short of margin by one atom on one lot: liquidatable below exactly
  // 1 / (1 - 0.004) = 1.004 ticks, so at tick 1 (equity 0, requirement 1).
  const LiquidationInput one{.size = Lots(1), .other_equity = Quote(-1)};
  CHECK(Liq(t, one) == LiquidationPrice{.price = Ticks(2)});
  CHECK(Liquidatable(t.tiers(), one, 1));
  CHECK_FALSE(Liquidatable(t.tiers(), one, 2));
  // The same on two lots: 1 / (2 * 0.996) = 0.502 ticks, so safe at every
  // tick; reported as 1, the lowest safe tick.
  const LiquidationInput thin{.size = Lots(2), .other_equity = Quote(-1)};
  CHECK(Liq(t, thin) == LiquidationPrice{.price = Ticks(1)});
  CHECK(Liquidatable(t.tiers(), thin, 0));
  CHECK_FALSE(Liquidatable(t.tiers(), thin, 1));
}

TEST_CASE("Margin: a short with no safe tick is always liquidatable", "[risk]") {
  const TierTable t = Table(BinanceTiers());
  // Already short of margin at price 0.
  CHECK(Liq(t, {.size = Lots(-1), .other_equity = Quote(-1)}) ==
        LiquidationPrice{.always = true});
  CHECK(Liq(t, {.size = Lots(-1), .other_equity = Quote(10), .other_maintenance = Quote(11)}) ==
        LiquidationPrice{.always = true});
  // Exactly at margin at price 0 and short of it at every positive price.
  CHECK(Liq(t, {.size = Lots(-1), .other_equity = Quote(11), .other_maintenance = Quote(11)}) ==
        LiquidationPrice{.always = true});
  // P* = 1 / 1.004 < 1 tick: safe only below one tick.
  const LiquidationInput in{.size = Lots(-1), .other_equity = Quote(1)};
  CHECK(Liq(t, in) == LiquidationPrice{.always = true});
  CHECK(Liquidatable(t.tiers(), in, 1));
  // 2 / 1.004 = 1.99...: the highest safe tick is 1.
  CHECK(Liq(t, {.size = Lots(-1), .other_equity = Quote(2)}) ==
        LiquidationPrice{.price = Ticks(1)});
  CHECK(Liq(t, {.size = Lots(kI64Min), .atoms_per_tick_lot = kI64Max,
                .other_equity = Quote::Max()}) == LiquidationPrice{.always = true});
}

TEST_CASE("Margin: bad liquidation inputs are kInvalidArgument", "[risk]") {
  const TierTable t = Table(BinanceTiers());
  const LiquidationInput ok{.size = Lots(1), .atoms_per_tick_lot = 1, .other_equity = Quote(-5)};
  REQUIRE(ComputeLiquidationPrice(t, ok).ok());
  LiquidationInput in = ok;
  in.size = Lots(0);
  CHECK(Code(ComputeLiquidationPrice(t, in)) == absl::StatusCode::kInvalidArgument);
  in = ok;
  in.atoms_per_tick_lot = 0;
  CHECK(Code(ComputeLiquidationPrice(t, in)) == absl::StatusCode::kInvalidArgument);
  in.atoms_per_tick_lot = -1;
  CHECK(Code(ComputeLiquidationPrice(t, in)) == absl::StatusCode::kInvalidArgument);
  in = ok;
  in.other_maintenance = Quote(-1);
  CHECK(Code(ComputeLiquidationPrice(t, in)) == absl::StatusCode::kInvalidArgument);
  CHECK(Code(ComputeLiquidationPrice(TierTable(), ok)) == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Margin: a liquidation price beyond int64 is kOutOfRange", "[risk]") {
  // Maintenance rate 1 - 1e-18 at 1x: a long short of margin by m atoms has
  // P* = m * 1e18 ticks of one lot.
  const TierTable t = Table({{Quote(0), 1, Rate(kRateScale - 1)}});
  const LiquidationInput edge{.size = Lots(1), .other_equity = Quote(-1)};
  CHECK(Liq(t, edge) == LiquidationPrice{.price = Ticks(kRateScale)});
  // The definition at the edge, in int64: equity 1e18 - 2 against a
  // requirement of ceil((1e18 - 1)^2 / 1e18) = 1e18 - 1 one tick below.
  CHECK(t.Maintenance(Quote(kRateScale - 1)) == Quote(kRateScale - 1));
  CHECK(t.Maintenance(Quote(kRateScale)) == Quote(kRateScale - 1));
  const LiquidationInput far{.size = Lots(1), .other_equity = Quote(-10)};
  CHECK(Code(ComputeLiquidationPrice(t, far)) == absl::StatusCode::kOutOfRange);
  const LiquidationInput extreme{.size = Lots(1),
                                 .other_equity = Quote::Min(),
                                 .other_maintenance = Quote::Max()};
  CHECK(Code(ComputeLiquidationPrice(t, extreme)) == absl::StatusCode::kOutOfRange);
  // The same margin spread over enough lots fits again, still exact:
  // (2^64 - 1) * 1e18 / ((2^63 - 1) * 1e6) = 2e12 + 1e12 / (2^63 - 1),
  // just above 2e12, so it rounds up to 2e12 + 1 (a double would say 2e12).
  const LiquidationInput spread{.size = Lots(kI64Max),
                                .atoms_per_tick_lot = 1'000'000,
                                .other_equity = Quote::Min(),
                                .other_maintenance = Quote::Max()};
  CHECK(Liq(t, spread) == LiquidationPrice{.price = Ticks(2'000'000'000'001)});
  // And |size| * atoms_per_tick_lot near 2^126 is no trouble either.
  CHECK(Liq(t, {.size = Lots(kI64Max),
                .atoms_per_tick_lot = kI64Max,
                .other_equity = Quote::Min(),
                .other_maintenance = Quote::Max()}) == LiquidationPrice{.price = Ticks(1)});
}

// ===========================================================================
// Liquidation price: properties
// ===========================================================================

// What a scan of prices 0, 1, 2, ... says ComputeLiquidationPrice must
// return, checking on the way that the liquidatable prices form one run
// (a prefix for a long, a suffix for a short) for `tail` prices past the
// boundary.
LiquidationPrice ScanForLiquidationPrice(std::span<const MarginTier> tiers,
                                         const LiquidationInput& in, std::int64_t limit,
                                         std::int64_t tail) {
  if (in.size.raw() > 0) {
    std::int64_t p = 0;
    while (p <= limit && Liquidatable(tiers, in, p)) ++p;
    REQUIRE(p <= limit);
    for (std::int64_t q = p; q <= p + tail; ++q) REQUIRE_FALSE(Liquidatable(tiers, in, q));
    if (p == 0) return {};
    return {.price = Ticks(p), .tier = RefTier(tiers, in)};
  }
  std::int64_t p = 1;
  while (p <= limit && !Liquidatable(tiers, in, p)) ++p;
  REQUIRE(p <= limit);
  for (std::int64_t q = p; q <= p + tail; ++q) REQUIRE(Liquidatable(tiers, in, q));
  if (p == 1) return {.always = true};
  return {.price = Ticks(p - 1), .tier = RefTier(tiers, in)};
}

// A small position for the scan. Most draws sit on the side of zero where a
// price exists (a long short of margin at price 0, a short not); some are
// within a tick of it; some are built to be exactly at margin at a whole
// tick T, so that T is the answer and "equity == requirement" is met there,
// and some to be exactly at margin at a tier's floor, where the tier
// reported must be the one starting there.
LiquidationInput SmallInput(Rng& rng, std::span<const MarginTier> tiers) {
  const std::uint64_t kind = rng.Below(100);
  const bool at_floor = kind >= 95 && tiers.size() > 1;
  const std::int64_t lots = at_floor ? 1 : rng.Between(1, 8);
  const bool is_long = rng.Percent(50);
  LiquidationInput in{.size = Lots(is_long ? lots : -lots),
                      .atoms_per_tick_lot = at_floor ? 1 : rng.Between(1, 5),
                      .other_maintenance = Quote(rng.Percent(30) ? 0 : rng.Between(0, 1'000))};
  const std::int64_t side = is_long ? -1 : 1;  // the sign of a margin with a price
  std::int64_t margin = 0;
  if (kind < 10) {
    margin = rng.Between(-40, 40);
  } else if (kind < 30) {
    margin = -side * rng.Between(0, 3'000);
  } else {
    margin = side * rng.Between(0, 3'000);
  }
  if (kind >= 85) {
    // Exactly at margin at tick T: needs the exact requirement there to be
    // a whole number of atoms, which whole-percent tables often give.
    for (int attempt = 0; attempt < 20; ++attempt) {
      const std::int64_t tick =
          at_floor ? tiers[1 + rng.Below(tiers.size() - 1)].notional_floor.raw()
                   : rng.Between(1, 2'000);
      const std::int64_t notional = lots * tick * in.atoms_per_tick_lot;
      const int128 scaled = MaintenanceScaled(tiers, notional);
      if (scaled % kScale == 0) {
        margin = static_cast<std::int64_t>(scaled / kScale) + (is_long ? -notional : notional);
        break;
      }
    }
  }
  in.other_equity = Quote(in.other_maintenance.raw() + margin);
  return in;
}

TEST_CASE("Margin: liquidation price agrees with a brute-force price scan", "[risk][property]") {
  std::uint64_t never = 0, always = 0, one_tick = 0, exact = 0, upper_tiers = 0, on_floor = 0;
  for (std::uint64_t seed : Seeds()) {
    std::printf("[property] liquidation scan: seed 0x%" PRIx64 "\n", seed);
    Rng rng(seed);
    const std::uint64_t iters = Iterations(10'000);
    for (std::uint64_t k = 0; k < iters; ++k) {
      // Rates up to 60% keep a long's price within 2.5x its margin, so the
      // scan stays short; floors up to 800 atoms apart put liquidations in
      // every tier.
      const std::vector<MarginTier> tiers = RandomTiers(rng, 4, 800, kRateScale / 10 * 6);
      const TierTable t = Table(tiers);
      const LiquidationInput in = SmallInput(rng, tiers);
      INFO("seed " << seed << " case " << k << " size " << in.size.raw() << " m "
                   << in.atoms_per_tick_lot << " other_equity " << in.other_equity.raw()
                   << " other_maintenance " << in.other_maintenance.raw() << " tiers "
                   << tiers.size());
      const LiquidationPrice want = ScanForLiquidationPrice(tiers, in, 20'000, 64);
      REQUIRE(Liq(t, in) == want);

      if (in.size.raw() > 0 && want.price.raw() == 0) ++never;
      if (want.always) ++always;
      if (in.size.raw() > 0 && want.price.raw() == 1) ++one_tick;
      if (want.tier > 0) ++upper_tiers;
      if (want.price.raw() > 0) {
        const int128 value = int128(in.size.raw()) * want.price.raw() * in.atoms_per_tick_lot;
        const int128 notional = value < 0 ? -value : value;
        const int128 slack = (int128(in.other_equity.raw()) + value -
                              in.other_maintenance.raw()) * kScale -
                             MaintenanceScaled(tiers, notional);
        if (slack == 0) ++exact;
        if (notional == tiers[want.tier].notional_floor.raw() && want.tier > 0) ++on_floor;
      }
    }
  }
  // Every edge the scan can meet was met.
  CHECK(never > 0);
  CHECK(always > 0);
  CHECK(one_tick > 0);
  CHECK(exact > 0);
  CHECK(upper_tiers > 0);
  CHECK(on_floor > 0);
}

TEST_CASE("Margin: liquidation price is the boundary tick at large magnitudes",
          "[risk][property]") {
  for (std::uint64_t seed : Seeds()) {
    std::printf("[property] liquidation boundary: seed 0x%" PRIx64 "\n", seed);
    Rng rng(seed);
    const std::uint64_t iters = Iterations(20'000);
    for (std::uint64_t k = 0; k < iters; ++k) {
      const std::vector<MarginTier> tiers =
          RandomTiers(rng, 8, 2'000'000'000'000, kRateScale / 2);
      const TierTable t = Table(tiers);
      const std::int64_t lots = rng.Between(1, 1'000'000);
      const LiquidationInput in{
          .size = Lots(rng.Percent(50) ? lots : -lots),
          .atoms_per_tick_lot = rng.Between(1, 10'000),
          .other_equity = Quote(rng.Between(-1'000'000'000'000'000, 1'000'000'000'000'000)),
          .other_maintenance = Quote(rng.Between(0, 100'000'000'000'000))};
      INFO("seed " << seed << " case " << k << " size " << in.size.raw() << " m "
                   << in.atoms_per_tick_lot << " other_equity " << in.other_equity.raw()
                   << " other_maintenance " << in.other_maintenance.raw());
      const LiquidationPrice got = Liq(t, in);
      const std::int64_t p = got.price.raw();
      if (in.size.raw() > 0) {
        REQUIRE_FALSE(got.always);
        REQUIRE_FALSE(Liquidatable(tiers, in, p));
        if (p == 0) {
          REQUIRE(in.other_equity.raw() >= in.other_maintenance.raw());
        } else {
          REQUIRE(Liquidatable(tiers, in, p - 1));
          REQUIRE(got.tier == RefTier(tiers, in));
        }
      } else if (got.always) {
        REQUIRE(p == 0);
        REQUIRE(Liquidatable(tiers, in, 1));
      } else {
        REQUIRE(p > 0);
        REQUIRE_FALSE(Liquidatable(tiers, in, p));
        REQUIRE(Liquidatable(tiers, in, p + 1));
        REQUIRE(got.tier == RefTier(tiers, in));
      }
    }
  }
}

}  // namespace
}  // namespace perpcore

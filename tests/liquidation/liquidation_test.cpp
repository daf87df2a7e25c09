// Tests of liquidation/liquidation.hpp: every function with values worked
// out by hand (in the comments), every one-unit boundary of a decision, one
// test per Validate() reason, and worked examples from dYdX v4, Hyperliquid
// and Binance (cited at each).
//
// The venues' examples use one market throughout: BTC with a tick of $1, a
// lot of 0.001 BTC and atoms of 1e-6 USDC, so a tick-lot is worth
// 1 * 0.001 * 1e6 = 1,000 atoms (m = 1000), 0.1 BTC is 100 lots and its
// notional at $50,000 is 100 * 50,000 * 1,000 = 5e9 atoms ($5,000).
#include "perpcore/liquidation/liquidation.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <vector>

#include "perpcore/risk/margin.hpp"
#include "support/rng.hpp"

namespace {

using absl::int128;
using perpcore::Quote;
using perpcore::Rate;
using perpcore::Reason;
using perpcore::Ticks;
using perpcore::TimeNs;
using namespace perpcore::liquidation;

constexpr std::int64_t kOne = perpcore::kRateScale;  // Rate 1
constexpr std::int64_t kPct = kOne / 100;             // 1%
constexpr std::int64_t kSec = kNsPerSecond;
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kM = 1000;       // atoms per tick-lot (see the top)
constexpr std::int64_t kUsd = 1'000'000;  // atoms per USDC

// dYdX v4's test configuration (x/clob/keeper/liquidations_test.go, with
// LiquidationsConfig_Default: BA 1, SMMR 0.1, MaxLiquidationFeePpm 0.5%).
LiquidationParams DydxDefault() {
  LiquidationParams p;
  p.bankruptcy_adjustment = Rate(kOne);
  p.spread_to_maintenance = Rate(kOne / 10);
  p.fee = Rate(kPct / 2);
  return p;
}

// Equity after closing the whole position at `price`: equity + size *
// (price - mark) * m (BankruptcyPrice()'s derivation).
int128 EquityAfterClose(std::int64_t size, Ticks mark, int128 equity, Ticks price,
                        std::int64_t m) {
  return equity + int128(size) * (int128(price.raw()) - mark.raw()) * m;
}

// ----------------------------------------------------------------- Classify

TEST_CASE("Classify: negative equity is bankrupt and zero equity is not", "[liquidation]") {
  CHECK(Classify(-1, 0, Rate(80 * kPct)) == Health::kBankrupt);
  CHECK(Classify(-1, 100, Rate(80 * kPct)) == Health::kBankrupt);
  // 0 equity with no requirement: healthy. With 1 atom of requirement:
  // 0 < 1, liquidatable but not bankrupt.
  CHECK(Classify(0, 0, Rate(80 * kPct)) == Health::kHealthy);
  CHECK(Classify(0, 1, Rate(80 * kPct)) == Health::kLiquidatable);
}

TEST_CASE("Classify: equity equal to maintenance is not liquidatable and one atom less is",
          "[liquidation]") {
  // 100 = 100: not liquidatable; the ratio 100/100 >= 80%: warning.
  CHECK(Classify(100, 100, Rate(80 * kPct)) == Health::kWarning);
  CHECK(Classify(99, 100, Rate(80 * kPct)) == Health::kLiquidatable);
}

TEST_CASE("WarningMargin: maintenance over the threshold, rounded down to an atom",
          "[liquidation]") {
  // 100 / 0.8 = 125 exactly; 101 / 0.8 = 126.25; 1 / 0.3 = 3.33..
  CHECK(WarningMargin(100, Rate(80 * kPct)) == 125);
  CHECK(WarningMargin(101, Rate(80 * kPct)) == 126);
  CHECK(WarningMargin(1, Rate(30 * kPct)) == 3);
  CHECK(WarningMargin(0, Rate(80 * kPct)) == 0);
  CHECK(WarningMargin(-5, Rate(80 * kPct)) == 0);
  // 2^126 / 0.01 does not fit: saturated.
  CHECK(WarningMargin(absl::int128(1) << 126, Rate(kOne / 100)) == absl::Int128Max());
}

TEST_CASE("ClassifyMargins: warning at the warning margin and not one atom above it",
          "[liquidation]") {
  CHECK(ClassifyMargins(125, 100, 125) == Health::kWarning);
  CHECK(ClassifyMargins(126, 100, 125) == Health::kHealthy);
  CHECK(ClassifyMargins(99, 100, 125) == Health::kLiquidatable);
  CHECK(ClassifyMargins(-1, 0, 0) == Health::kBankrupt);
  CHECK(ClassifyMargins(0, 0, 0) == Health::kHealthy);
}

TEST_CASE("ClassifyMargins with one position's WarningMargin agrees with Classify",
          "[liquidation]") {
  // Exhaustive over a small grid that includes every exact boundary
  // maintenance * 1e18 == threshold * equity (threshold 80%, 25%, 1%).
  int boundaries = 0;
  for (const std::int64_t pct : {1, 25, 80, 99}) {
    const Rate w(pct * kPct);
    for (absl::int128 m = 0; m <= 120; ++m) {
      for (absl::int128 e = -2; e <= 13'000; e += (e < 200 ? 1 : 97)) {
        CHECK(ClassifyMargins(e, m, WarningMargin(m, w)) == Classify(e, m, w));
        if (m > 0 && m * 100 == e * pct) ++boundaries;
      }
    }
  }
  CHECK(boundaries > 50);
}

TEST_CASE("Classify: the warning starts exactly at the threshold ratio", "[liquidation]") {
  // maintenance 80, equity 100: 80 * 1e18 >= 0.8e18 * 100 (equal): warning.
  CHECK(Classify(100, 80, Rate(80 * kPct)) == Health::kWarning);
  // One atom more equity: 80e18 < 0.8e18 * 101 = 80.8e18: healthy.
  CHECK(Classify(101, 80, Rate(80 * kPct)) == Health::kHealthy);
  // One atom less requirement: 79e18 < 80e18: healthy.
  CHECK(Classify(100, 79, Rate(80 * kPct)) == Health::kHealthy);
  // One raw unit more threshold: 80e18 < (0.8e18 + 1) * 100: healthy.
  CHECK(Classify(100, 80, Rate(80 * kPct + 1)) == Health::kHealthy);
}

TEST_CASE("Classify: an account without requirement is healthy whatever its equity",
          "[liquidation]") {
  CHECK(Classify(0, 0, Rate(1)) == Health::kHealthy);
  CHECK(Classify(1'000'000, 0, Rate(1)) == Health::kHealthy);
}

TEST_CASE("Classify: the ratio is compared exactly beyond 128-bit products", "[liquidation]") {
  // maintenance 2^100, equity 1.25 * 2^100: 2^100 * 1e18 = 0.8e18 * 1.25 * 2^100
  // exactly (a product near 2^160): warning; one atom more equity: healthy.
  const int128 m = int128(1) << 100;
  const int128 e = m + (m >> 2);
  CHECK(Classify(e, m, Rate(80 * kPct)) == Health::kWarning);
  CHECK(Classify(e + 1, m, Rate(80 * kPct)) == Health::kHealthy);
}

// ----------------------------------------------------------------- Validate

TEST_CASE("Validate: the defaults are valid and are the documented venue values",
          "[liquidation]") {
  const LiquidationParams p;
  CHECK(Validate(p) == Reason::kOk);
  CHECK(p.warning_threshold == Rate(80 * kPct));
  CHECK(p.fee == Rate(15 * kPct / 10));                    // dYdX mainnet 1.5%
  CHECK(p.keeper_share == Rate(5 * kPct));                 // PerpX 5%
  CHECK(p.buffer == Rate(10 * kPct));
  CHECK(p.chunk_threshold == 100'000 * kUsd);              // Hyperliquid 100k USDC
  CHECK(p.chunk_fraction == Rate(20 * kPct));              // Hyperliquid 20%
  CHECK(p.cooldown == TimeNs(30 * kSec));                  // Hyperliquid 30 s
  CHECK(p.bankruptcy_adjustment == Rate(kOne));            // dYdX BA 1
  CHECK(p.spread_to_maintenance == Rate(3 * kOne / 2));  // dYdX mainnet SMMR 1.5
  CHECK(p.max_notional_per_command == 100'000 * kUsd);     // dYdX mainnet $100k
}

TEST_CASE("Validate: warning threshold must lie in 1% up to but excluding 100%", "[liquidation]") {
  LiquidationParams p;
  p.warning_threshold = Rate(kOne / 100);
  CHECK(Validate(p) == Reason::kOk);
  p.warning_threshold = Rate(kOne - 1);
  CHECK(Validate(p) == Reason::kOk);
  p.warning_threshold = Rate(kOne / 100 - 1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidWarningThreshold);
  p.warning_threshold = Rate(0);
  CHECK(Validate(p) == Reason::kLiquidationInvalidWarningThreshold);
  p.warning_threshold = Rate(kOne);
  CHECK(Validate(p) == Reason::kLiquidationInvalidWarningThreshold);
}

TEST_CASE("Validate: fee rate must lie in 0..1", "[liquidation]") {
  LiquidationParams p;
  p.fee = Rate(0);  // Hyperliquid: no clearance fee
  CHECK(Validate(p) == Reason::kOk);
  p.fee = Rate(kOne);
  CHECK(Validate(p) == Reason::kOk);
  p.fee = Rate(-1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidFee);
  p.fee = Rate(kOne + 1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidFee);
}

TEST_CASE("Validate: keeper share must lie in 0..1", "[liquidation]") {
  LiquidationParams p;
  p.keeper_share = Rate(0);
  CHECK(Validate(p) == Reason::kOk);
  p.keeper_share = Rate(kOne);
  CHECK(Validate(p) == Reason::kOk);
  p.keeper_share = Rate(-1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidKeeperShare);
  p.keeper_share = Rate(kOne + 1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidKeeperShare);
}

TEST_CASE("Validate: buffer must lie in 0..1", "[liquidation]") {
  LiquidationParams p;
  p.buffer = Rate(0);
  CHECK(Validate(p) == Reason::kOk);
  p.buffer = Rate(kOne);
  CHECK(Validate(p) == Reason::kOk);
  p.buffer = Rate(-1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidBuffer);
  p.buffer = Rate(kOne + 1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidBuffer);
}

TEST_CASE("Validate: chunk threshold must not be negative", "[liquidation]") {
  LiquidationParams p;
  p.chunk_threshold = 0;
  CHECK(Validate(p) == Reason::kOk);
  p.chunk_threshold = -1;
  CHECK(Validate(p) == Reason::kLiquidationInvalidChunkThreshold);
}

TEST_CASE("Validate: chunk fraction must be above 0 and at most 1", "[liquidation]") {
  LiquidationParams p;
  p.chunk_fraction = Rate(1);
  CHECK(Validate(p) == Reason::kOk);
  p.chunk_fraction = Rate(kOne);
  CHECK(Validate(p) == Reason::kOk);
  p.chunk_fraction = Rate(0);
  CHECK(Validate(p) == Reason::kLiquidationInvalidChunkFraction);
  p.chunk_fraction = Rate(kOne + 1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidChunkFraction);
}

TEST_CASE("Validate: cooldown must lie between 0 and one day", "[liquidation]") {
  LiquidationParams p;
  p.cooldown = TimeNs(0);
  CHECK(Validate(p) == Reason::kOk);
  p.cooldown = kMaxCooldown;
  CHECK(Validate(p) == Reason::kOk);
  p.cooldown = TimeNs(-1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidCooldown);
  p.cooldown = TimeNs(kMaxCooldown.raw() + 1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidCooldown);
}

TEST_CASE("Validate: bankruptcy adjustment must be at least 1 as dYdX requires",
          "[liquidation]") {
  LiquidationParams p;
  p.bankruptcy_adjustment = Rate(kOne);
  CHECK(Validate(p) == Reason::kOk);
  p.bankruptcy_adjustment = Rate(kI64Max);
  CHECK(Validate(p) == Reason::kOk);
  p.bankruptcy_adjustment = Rate(kOne - 1);  // dYdX: 999,999 ppm is invalid
  CHECK(Validate(p) == Reason::kLiquidationInvalidBankruptcyAdjustment);
}

TEST_CASE("Validate: spread to maintenance must be positive and may exceed 1",
          "[liquidation]") {
  LiquidationParams p;
  p.spread_to_maintenance = Rate(1);
  CHECK(Validate(p) == Reason::kOk);
  p.spread_to_maintenance = Rate(kOne + 1);  // dYdX: above one million ppm is valid
  CHECK(Validate(p) == Reason::kOk);
  p.spread_to_maintenance = Rate(0);
  CHECK(Validate(p) == Reason::kLiquidationInvalidSpread);
}

TEST_CASE("Validate: max notional per command must be at least one atom", "[liquidation]") {
  LiquidationParams p;
  p.max_notional_per_command = 1;
  CHECK(Validate(p) == Reason::kOk);
  p.max_notional_per_command = 0;
  CHECK(Validate(p) == Reason::kLiquidationInvalidMaxNotional);
}

TEST_CASE("Validate: the first bad field in declaration order wins", "[liquidation]") {
  LiquidationParams p;
  p.max_notional_per_command = 0;
  p.fee = Rate(-1);
  CHECK(Validate(p) == Reason::kLiquidationInvalidFee);
}

// ---------------------------------------------------------- BankruptcyPrice

TEST_CASE("BankruptcyPrice: dYdX v4 long closing 0.1 BTC with 4,501 USDC borrowed",
          "[liquidation][dydx]") {
  // dYdX v4 x/clob/keeper/liquidations_test.go, TestGetBankruptcyPriceInQuoteQuantums
  // ("fully closing one long position that is slightly below maintenance"):
  // 0.1 BTC long at $50,000 and -$4,501 USDC; bankruptcy $4,501 for 0.1 BTC.
  // Equity = 5,000e6 - 4,501e6 = 499e6 atoms; q = floor(499e6 / (100 * 1000))
  // = 4990; P_b = 50,000 - 4,990 = 45,010 ($45,010/BTC = $4,501 per 0.1 BTC).
  CHECK(BankruptcyPrice(100, Ticks(50'000), 499 * kUsd, kM) == Ticks(45'010));
  // At the bankruptcy price (-$5,000 USDC: equity 0): P_b = mark.
  CHECK(BankruptcyPrice(100, Ticks(50'000), 0, kM) == Ticks(50'000));
  // Their partial case (closing 0.05 of the 0.1 BTC at equity 0: $2,500)
  // is the same price per BTC: 50 lots * 50,000 * 1000 = 2,500e6 atoms.
  CHECK(std::int64_t{50} * BankruptcyPrice(100, Ticks(50'000), 0, kM).raw() * kM ==
        2'500 * kUsd);
}

TEST_CASE("BankruptcyPrice: dYdX v4 short closing 0.1 BTC with 5,499 USDC", "[liquidation][dydx]") {
  // Same test file, the short case: +$5,499 USDC, 0.1 BTC short at $50,000:
  // equity = 5,499e6 - 5,000e6 = 499e6; P_b = 50,000 + 4,990 = 54,990
  // ($5,499 for 0.1 BTC).
  CHECK(BankruptcyPrice(-100, Ticks(50'000), 499 * kUsd, kM) == Ticks(54'990));
}

TEST_CASE("BankruptcyPrice: a long rounds up so one tick lower would go below zero",
          "[liquidation]") {
  // equity 499,999,999: q = floor(4,999.99999) = 4,999, P_b = 45,001.
  // E(45,001) = 499,999,999 - 100 * 1000 * 4,999 = 99,999 >= 0;
  // E(45,000) = 99,999 - 100,000 = -1 < 0.
  const Ticks pb = BankruptcyPrice(100, Ticks(50'000), 499'999'999, kM);
  CHECK(pb == Ticks(45'001));
  CHECK(EquityAfterClose(100, Ticks(50'000), 499'999'999, pb, kM) == 99'999);
  CHECK(EquityAfterClose(100, Ticks(50'000), 499'999'999, Ticks(pb.raw() - 1), kM) == -1);
  // One atom more equity: 500,000,000 / 100,000 = 5,000 exactly: 45,000.
  CHECK(BankruptcyPrice(100, Ticks(50'000), 500'000'000, kM) == Ticks(45'000));
}

TEST_CASE("BankruptcyPrice: a short rounds down so one tick higher would go below zero",
          "[liquidation]") {
  // equity 499,999,999: P_b = 50,000 + 4,999 = 54,999; E(55,000) = -1.
  const Ticks pb = BankruptcyPrice(-100, Ticks(50'000), 499'999'999, kM);
  CHECK(pb == Ticks(54'999));
  CHECK(EquityAfterClose(-100, Ticks(50'000), 499'999'999, pb, kM) == 99'999);
  CHECK(EquityAfterClose(-100, Ticks(50'000), 499'999'999, Ticks(pb.raw() + 1), kM) == -1);
}

TEST_CASE("BankruptcyPrice: negative equity floors toward minus infinity", "[liquidation]") {
  // equity -1: q = floor(-1 / 100,000) = -1. Long: 50,001 (E = -1 + 100,000);
  // at 50,000, E = -1. Short: 49,999.
  CHECK(BankruptcyPrice(100, Ticks(50'000), -1, kM) == Ticks(50'001));
  CHECK(BankruptcyPrice(-100, Ticks(50'000), -1, kM) == Ticks(49'999));
  // equity -100,000 exactly one tick-worth: q = -1 as well.
  CHECK(BankruptcyPrice(100, Ticks(50'000), -100'000, kM) == Ticks(50'001));
  // -100,001: q = -2.
  CHECK(BankruptcyPrice(100, Ticks(50'000), -100'001, kM) == Ticks(50'002));
}

TEST_CASE("BankruptcyPrice: is the tightest tick on random inputs", "[liquidation]") {
  // For any equity, closing at P_b leaves 0 <= E(P_b) < |size| * m: at
  // least nothing, and one tick worse for the account would be below 0.
  perpcore::testing::Rng rng(1313);
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t abs_size = rng.Between(1, 1'000'000'000);
    const std::int64_t size = rng.Percent(50) ? abs_size : -abs_size;
    const std::int64_t m = rng.Between(1, 1'000'000);
    const Ticks mark(rng.Between(1, 1'000'000'000));
    const int128 equity = int128(rng.Between(-(std::int64_t{1} << 61), std::int64_t{1} << 61));
    const Ticks pb = BankruptcyPrice(size, mark, equity, m);
    const int128 after = EquityAfterClose(size, mark, equity, pb, m);
    INFO("size " << size << " mark " << mark.raw() << " m " << m << " pb " << pb.raw());
    REQUIRE(after >= 0);
    REQUIRE(after < int128(abs_size) * m);
  }
}

TEST_CASE("BankruptcyPrice: saturates at the int64 bounds", "[liquidation]") {
  // A long backed by 2^126 atoms: mark - 2^126 is below INT64_MIN.
  CHECK(BankruptcyPrice(1, Ticks(50'000), int128(1) << 126, 1) == Ticks(kI64Min));
  CHECK(BankruptcyPrice(-1, Ticks(50'000), int128(1) << 126, 1) == Ticks(kI64Max));
  // INT64_MIN lots (|size| = 2^63) is a valid divisor.
  CHECK(BankruptcyPrice(kI64Min, Ticks(7), int128(1) << 63, 1) == Ticks(8));
}

// ------------------------------------------------------------ FillablePrice

TEST_CASE("FillablePrice: dYdX v4 long 0.1 BTC slightly below maintenance",
          "[liquidation][dydx]") {
  // dYdX v4 x/clob/keeper/liquidations_test.go, TestGetFillablePrice: 0.1 BTC
  // long at $50,000, -$4,501 USDC, 10% maintenance. TNC = 499e6, TMMR = PMMR
  // = 500e6. ABR = 1 * (1 - 499/500) = 1/500; spread = 1/500 * 0.1 * 500e6 =
  // 100,000 atoms = 1 tick over 100 lots: fillable $49,999 (theirs: 49,999/100
  // subticks, "$4,999.9 notional").
  const LiquidationParams p = DydxDefault();
  CHECK(FillablePrice(100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(49'999));
  // The short mirror (+$5,499 USDC): $50,001.
  CHECK(FillablePrice(-100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(50'001));
}

TEST_CASE("FillablePrice: dYdX v4 with bankruptcy adjustment 2 or spread ratio 0.2",
          "[liquidation][dydx]") {
  // Same test: BA 2 doubles ABR to 2/500, spread 200,000 atoms = 2 ticks:
  // $49,998 long, $50,002 short; SMMR 0.2 instead gives the same.
  LiquidationParams ba2 = DydxDefault();
  ba2.bankruptcy_adjustment = Rate(2 * kOne);
  CHECK(FillablePrice(100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, ba2) ==
        Ticks(49'998));
  CHECK(FillablePrice(-100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, ba2) ==
        Ticks(50'002));
  LiquidationParams smmr2 = DydxDefault();
  smmr2.spread_to_maintenance = Rate(kOne / 5);
  CHECK(FillablePrice(100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, smmr2) ==
        Ticks(49'998));
}

TEST_CASE("FillablePrice: rounds toward the mark one atom below a whole tick",
          "[liquidation]") {
  // TNC one atom above 499e6: ABR = (1e6 - 1) / 500e6, spread = 99,999.9
  // atoms, below one tick (100,000): the mark on both sides.
  const LiquidationParams p = DydxDefault();
  CHECK(FillablePrice(100, Ticks(50'000), 499 * kUsd + 1, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(50'000));
  CHECK(FillablePrice(-100, Ticks(50'000), 499 * kUsd + 1, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(50'000));
}

TEST_CASE("FillablePrice: ABR is clamped to 1 for an account at or past bankruptcy",
          "[liquidation]") {
  // BA 2, SMMR 1.5, TMMR = PMMR = 500e6, 100 lots: the full spread is
  // 1.5 * 500e6 = 750e6 atoms = 7,500 ticks.
  LiquidationParams p = DydxDefault();
  p.bankruptcy_adjustment = Rate(2 * kOne);
  p.spread_to_maintenance = Rate(3 * kOne / 2);
  // TNC = 250e6: ABR = 2 * (1 - 1/2) = 1 exactly: 42,500.
  CHECK(FillablePrice(100, Ticks(50'000), 250 * kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(42'500));
  // One atom more: ABR = (250e6 - 1) / 250e6, spread = 750e6 - 3 atoms:
  // floor(7,499.99997) = 7,499 ticks: 42,501.
  CHECK(FillablePrice(100, Ticks(50'000), 250 * kUsd + 1, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(42'501));
  // TNC 0: unclamped ABR would be 2 (15,000 ticks); clamped to 1: 42,500.
  CHECK(FillablePrice(100, Ticks(50'000), 0, 500 * kUsd, 500 * kUsd, kM, p) == Ticks(42'500));
  // Negative TNC: the same.
  CHECK(FillablePrice(100, Ticks(50'000), -kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(42'500));
}

TEST_CASE("FillablePrice: ABR is clamped to 0 at or above maintenance", "[liquidation]") {
  const LiquidationParams p = DydxDefault();
  // TNC = TMMR: ABR = 0: the mark. TNC one atom below: ABR = 1 / 500e6,
  // spread 0.1 atom: still the mark (rounded toward it).
  CHECK(FillablePrice(100, Ticks(50'000), 500 * kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(50'000));
  CHECK(FillablePrice(100, Ticks(50'000), 600 * kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(50'000));
  // No requirement at all: the mark.
  CHECK(FillablePrice(100, Ticks(50'000), -kUsd, 0, 0, kM, p) == Ticks(50'000));
}

TEST_CASE("FillablePrice: spreads only the position's share of the requirement",
          "[liquidation]") {
  // Cross account: TMMR 1,000e6, this position's PMMR 250e6, TNC 0 (ABR 1),
  // SMMR 1: spread = 250e6 atoms over 100 lots * 1000 = 2,500 ticks.
  LiquidationParams p = DydxDefault();
  p.spread_to_maintenance = Rate(kOne);
  CHECK(FillablePrice(100, Ticks(50'000), 0, 1000 * kUsd, 250 * kUsd, kM, p) ==
        Ticks(47'500));
  CHECK(FillablePrice(-100, Ticks(50'000), 0, 1000 * kUsd, 250 * kUsd, kM, p) ==
        Ticks(52'500));
}

TEST_CASE("FillablePrice: exact with requirements near 2^64 where 128 bits would overflow",
          "[liquidation]") {
  // TMMR = PMMR = 2^63, TNC = 2^62 (ABR = 1/2 with BA 1), SMMR 1.5: spread =
  // 0.75 * 2^63 = 3 * 2^61 atoms; over 1 lot of 1 atom: 3 * 2^61 ticks.
  // The numerator BA * (TMMR - TNC) * SMMR * PMMR is about 2^248.
  LiquidationParams p = DydxDefault();
  p.spread_to_maintenance = Rate(3 * kOne / 2);
  const int128 tmmr = int128(1) << 63;
  const std::int64_t spread = std::int64_t{3} << 61;
  CHECK(FillablePrice(-1, Ticks(0), int128(1) << 62, tmmr, tmmr, 1, p) == Ticks(spread));
  // One atom more TNC: ABR = (2^62 - 1) / 2^63, spread = 3 * 2^61 - 1.5
  // atoms: floor gives 3 * 2^61 - 2.
  CHECK(FillablePrice(-1, Ticks(0), (int128(1) << 62) + 1, tmmr, tmmr, 1, p) ==
        Ticks(spread - 2));
}

// --------------------------------------------------------------- LimitPrice

TEST_CASE("LimitPrice: the fillable price when it is better than bankruptcy",
          "[liquidation]") {
  // The dYdX example: fillable 49,999 above bankruptcy 45,010: 49,999.
  const LiquidationParams p = DydxDefault();
  CHECK(LimitPrice(100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000),
                   p) == Ticks(49'999));
  CHECK(LimitPrice(-100, Ticks(50'000), 499 * kUsd, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000),
                   p) == Ticks(50'001));
}

TEST_CASE("LimitPrice: the bankruptcy price bounds a solvent account's order",
          "[liquidation]") {
  // TNC $10, TMMR = PMMR $500, BA 1, SMMR 1.5: ABR = 1 - 10/500 = 0.98,
  // spread = 0.98 * 1.5 * 500e6 = 735e6 atoms = 7,350 ticks: fillable 42,650
  // (long). Bankruptcy: 50,000 - floor(10e6 / 100,000) = 49,900. Long:
  // max = 49,900. Short: fillable 57,350, bankruptcy 50,100: min = 50,100.
  LiquidationParams p = DydxDefault();
  p.spread_to_maintenance = Rate(3 * kOne / 2);
  CHECK(FillablePrice(100, Ticks(50'000), 10 * kUsd, 500 * kUsd, 500 * kUsd, kM, p) ==
        Ticks(42'650));
  CHECK(LimitPrice(100, Ticks(50'000), 10 * kUsd, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000),
                   p) == Ticks(49'900));
  CHECK(LimitPrice(-100, Ticks(50'000), 10 * kUsd, 500 * kUsd, 500 * kUsd, kM,
                   Ticks(1'000'000), p) == Ticks(50'100));
  // Equity exactly 0: bankruptcy = mark = 50,000 binds the long.
  CHECK(LimitPrice(100, Ticks(50'000), 0, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000), p) ==
        Ticks(50'000));
}

TEST_CASE("LimitPrice: a bankrupt account uses the fillable price alone", "[liquidation]") {
  // TNC -1 atom: ABR 1, spread 750e6 = 7,500 ticks: long 42,500 (its
  // bankruptcy price 50,001 is ignored), short 57,500.
  LiquidationParams p = DydxDefault();
  p.spread_to_maintenance = Rate(3 * kOne / 2);
  CHECK(LimitPrice(100, Ticks(50'000), -1, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000), p) ==
        Ticks(42'500));
  CHECK(LimitPrice(-100, Ticks(50'000), -1, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000), p) ==
        Ticks(57'500));
}

TEST_CASE("LimitPrice: clamped into 1..max_price", "[liquidation]") {
  LiquidationParams p = DydxDefault();
  p.spread_to_maintenance = Rate(3 * kOne / 2);
  // Short bankrupt: 57,500 above max 55,000: 55,000; at max 57,500: 57,500.
  CHECK(LimitPrice(-100, Ticks(50'000), -1, 500 * kUsd, 500 * kUsd, kM, Ticks(55'000), p) ==
        Ticks(55'000));
  CHECK(LimitPrice(-100, Ticks(50'000), -1, 500 * kUsd, 500 * kUsd, kM, Ticks(57'500), p) ==
        Ticks(57'500));
  // Long bankrupt at mark 5,000: 5,000 - 7,500 = -2,500: clamped to 1.
  CHECK(LimitPrice(100, Ticks(5'000), -1, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000), p) ==
        Ticks(1));
  // Exactly 1 tick: mark 7,501 gives 1 unclamped.
  CHECK(LimitPrice(100, Ticks(7'501), -1, 500 * kUsd, 500 * kUsd, kM, Ticks(1'000'000), p) ==
        Ticks(1));
}

TEST_CASE("LimitPrice: a full close at the limit never leaves a solvent account below zero",
          "[liquidation]") {
  // The header's derivation, checked on random inputs: equity >= 0, any
  // requirement, any parameters; the closing side's equity after a full
  // close at the limit (the worst fill the order allows) is >= 0.
  perpcore::testing::Rng rng(13);
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t abs_size = rng.Between(1, 1'000'000);
    const std::int64_t size = rng.Percent(50) ? abs_size : -abs_size;
    const std::int64_t m = rng.Between(1, 10'000);
    const Ticks max_price(rng.Between(1, 10'000'000));
    const Ticks mark(rng.Between(1, max_price.raw()));
    const int128 tmmr = rng.Between(0, std::int64_t{1} << 50);
    const int128 pmmr = rng.Between(0, static_cast<std::int64_t>(tmmr));
    const int128 equity = rng.Between(0, std::int64_t{1} << 52);
    LiquidationParams p;
    p.bankruptcy_adjustment = Rate(rng.Between(kOne, 5 * kOne));
    p.spread_to_maintenance = Rate(rng.Between(1, 5 * kOne));
    const Ticks limit = LimitPrice(size, mark, equity, tmmr, pmmr, m, max_price, p);
    INFO("size " << size << " mark " << mark.raw() << " m " << m << " limit " << limit.raw());
    REQUIRE(limit >= Ticks(1));
    REQUIRE(limit <= max_price);
    REQUIRE(EquityAfterClose(size, mark, equity, limit, m) >= 0);
  }
}

// ----------------------------------------------------------- LiquidationFee

TEST_CASE("LiquidationFee: dYdX v4 long closed 10% above bankruptcy pays the max fee",
          "[liquidation][dydx]") {
  // dYdX v4 x/clob/keeper/liquidations_test.go, TestGetLiquidationInsuranceFundDelta:
  // 0.1 BTC long, -$5,100 USDC, sold at $56,100: receives 100 * 56,100 *
  // 1000 = 5,610,000,000 atoms; equity after = 5,610e6 - 5,100e6 = 510e6.
  // Fee 0.5% * 5,610e6 = 28,050,000 < 510e6: the insurance fund gets
  // 28,050,000 (their expectation). Keeper 5%: floor(1,402,500) = 1,402,500.
  const LiquidationParams p = [] {
    LiquidationParams q = DydxDefault();
    q.keeper_share = Rate(5 * kPct);
    return q;
  }();
  const std::int64_t notional = 100 * 56'100 * kM;
  CHECK(notional == 5'610'000'000);
  CHECK(LiquidationFee(notional, notional - 5'100 * kUsd, p) == FeeSplit{28'050'000, 1'402'500});
  // MaxLiquidationFeePpm 25,000 (2.5%): 140,250,000 (theirs).
  LiquidationParams p25 = p;
  p25.fee = Rate(25 * kPct / 10);
  CHECK(LiquidationFee(notional, 510 * kUsd, p25).fee == 140'250'000);
  // 100%: capped by the 510,000,000 left (theirs: "all of the leftover").
  LiquidationParams p100 = p;
  p100.fee = Rate(kOne);
  CHECK(LiquidationFee(notional, 510 * kUsd, p100).fee == 510'000'000);
}

TEST_CASE("LiquidationFee: dYdX v4 long closed 0.1% above bankruptcy pays what is left",
          "[liquidation][dydx]") {
  // Same test, sold at $51,051: receives 5,105,100,000, 5,100,000 left above
  // bankruptcy; 0.5% would be 25,525,500: the fee is 5,100,000.
  const std::int64_t notional = 100 * 51'051 * kM;
  CHECK(LiquidationFee(notional, notional - 5'100 * kUsd, DydxDefault()).fee == 5'100'000);
}

TEST_CASE("LiquidationFee: dYdX v4 short closed above bankruptcy pays the max fee",
          "[liquidation][dydx]") {
  // Same test, the short: +$4,900 USDC, 0.1 BTC short bought back at $44,100:
  // pays 4,410,000,000, leaves 490e6; 0.5% * 4,410e6 = 22,050,000 (theirs).
  const std::int64_t notional = 100 * 44'100 * kM;
  CHECK(LiquidationFee(notional, 4'900 * kUsd - notional, DydxDefault()).fee == 22'050'000);
}

TEST_CASE("LiquidationFee: the cap is what is left above zero to the atom", "[liquidation]") {
  // Uncapped fee 28,050,000 (0.5% of 5,610,000,000).
  const LiquidationParams p = DydxDefault();
  CHECK(LiquidationFee(5'610'000'000, 28'050'000, p).fee == 28'050'000);
  CHECK(LiquidationFee(5'610'000'000, 28'049'999, p).fee == 28'049'999);
  // Nothing left, or a deficit: no fee and no keeper reward.
  CHECK(LiquidationFee(5'610'000'000, 0, p) == FeeSplit{0, 0});
  CHECK(LiquidationFee(5'610'000'000, -1'000, p) == FeeSplit{0, 0});
}

TEST_CASE("LiquidationFee: the fee rounds up and the keeper's share down", "[liquidation]") {
  LiquidationParams p;  // 1.5%, keeper 5%
  // 1.5% of 200 = 3 exactly; of 201 = 3.015: 4; of 1 = 0.015: 1; of 0: 0.
  CHECK(LiquidationFee(200, 1'000'000, p).fee == 3);
  CHECK(LiquidationFee(201, 1'000'000, p).fee == 4);
  CHECK(LiquidationFee(1, 1'000'000, p).fee == 1);
  CHECK(LiquidationFee(0, 1'000'000, p).fee == 0);
  // Keeper: 5% of a fee of 19 = 0.95: 0; of 20 = 1 exactly.
  p.fee = Rate(kOne);
  CHECK(LiquidationFee(19, 1'000'000, p) == FeeSplit{19, 0});
  CHECK(LiquidationFee(20, 1'000'000, p) == FeeSplit{20, 1});
}

TEST_CASE("LiquidationFee: exact for notionals beyond int64", "[liquidation]") {
  // 1.5% of 3e20 + 1 atoms = 4.5e18 + 0.015: rounded up, 4,500,000,000,000,000,001.
  const LiquidationParams p;
  const int128 notional = int128(300'000'000'000'000'000) * 1000 + 1;
  CHECK(LiquidationFee(notional, notional, p).fee == 4'500'000'000'000'000'001);
  // A fee beyond int64 saturates (only with equity beyond int64 as well).
  CHECK(LiquidationFee(int128(1) << 100, int128(1) << 100, p).fee == kI64Max);
}

TEST_CASE("LiquidationFee: Binance charges its clearance fee on the amount liquidated only",
          "[liquidation][binance]") {
  // Binance USD-M futures, Liquidation Protocol ("a liquidation fee will be
  // charged on the amount liquidated only (not the notional value of the
  // position)"; the fee goes to the insurance fund; a bankrupt account pays
  // from what remains, and the fund balances it back to 0). Binance pays no
  // keeper: keeper_share 0. Its rate is per contract; 1% here is
  // illustrative. A 10 BTC long at $30,000 of which 2 BTC (2,000 lots) are
  // liquidated at $29,900: 2,000 * 29,900 * 1000 = 59,800,000,000 atoms
  // ($59,800). Fee 1% = $598 = 598,000,000 atoms, all to the fund; the other
  // 8 BTC pay nothing.
  LiquidationParams p;
  p.fee = Rate(kPct);
  p.keeper_share = Rate(0);
  const std::int64_t closed = 2'000 * 29'900 * kM;
  CHECK(LiquidationFee(closed, 5'000 * kUsd, p) == FeeSplit{598 * kUsd, 0});
  // The same close leaving only $100 of collateral: the fund gets the $100.
  CHECK(LiquidationFee(closed, 100 * kUsd, p) == FeeSplit{100 * kUsd, 0});
}

// ---------------------------------------------------------------- ChunkLots

TEST_CASE("ChunkLots: Hyperliquid liquidates 20% of a position above 100k USDC",
          "[liquidation][hyperliquid]") {
  // Hyperliquid docs (trading/liquidations, "Partial liquidations"): "For
  // liquidatable positions larger than 100k USDC ... only 20% of the
  // position will be sent as a market liquidation order". 3 BTC (3,000 lots)
  // at $50,000 = 150,000 USDC: ceil(0.2 * 3,000) = 600 lots.
  const LiquidationParams p;
  CHECK(ChunkLots(3'000, int128(3'000) * 50'000 * kM, p) == 600);
  // 2 BTC at $50,000 = exactly 100,000 USDC, not larger: the whole position.
  CHECK(ChunkLots(2'000, 100'000 * kUsd, p) == 2'000);
  // One atom larger: 20%, 400 lots.
  CHECK(ChunkLots(2'000, 100'000 * kUsd + 1, p) == 400);
}

TEST_CASE("ChunkLots: a chunk rounds up and is at least one lot", "[liquidation]") {
  LiquidationParams p;
  p.chunk_threshold = 0;
  // 20% of 7 = 1.4: 2; of 5 = 1 exactly; of 1 = 0.2: 1; of 0: 0.
  CHECK(ChunkLots(7, 1, p) == 2);
  CHECK(ChunkLots(5, 1, p) == 1);
  CHECK(ChunkLots(1, 1, p) == 1);
  CHECK(ChunkLots(0, 0, p) == 0);
  // A fraction of 1: the whole position.
  p.chunk_fraction = Rate(kOne);
  CHECK(ChunkLots(7, 1, p) == 7);
  // The smallest fraction, 1e-18, of 2^62 lots: ceil(4.6) = 5.
  p.chunk_fraction = Rate(1);
  CHECK(ChunkLots(std::int64_t{1} << 62, 1, p) == 5);
}

TEST_CASE("CooledDown: Hyperliquid's 30 second cooldown passes exactly at 30 s",
          "[liquidation][hyperliquid]") {
  // Hyperliquid (announcement of partial liquidations): "After a block where
  // any position of a user is partially liquidated, there is a cooldown
  // period of 30 seconds."
  const LiquidationParams p;
  CHECK(!CooledDown(TimeNs(0), TimeNs(30 * kSec - 1), p));
  CHECK(CooledDown(TimeNs(0), TimeNs(30 * kSec), p));
  // Never chunked (TimeNs::Min()): cooled down, without overflow.
  CHECK(CooledDown(TimeNs::Min(), TimeNs(0), p));
  CHECK(CooledDown(TimeNs::Min(), TimeNs::Max(), p));
  // Time before the last chunk (not reachable in the engine): not cooled.
  CHECK(!CooledDown(TimeNs::Max(), TimeNs::Min(), p));
}

// --------------------------------------------------- Hyperliquid liq price

TEST_CASE("Hyperliquid's liquidation price is where Classify turns liquidatable",
          "[liquidation][hyperliquid]") {
  // Hyperliquid docs (trading/liquidations, "Computing liquidation price"):
  //   liq_price = price - side * margin_available / position_size / (1 - l * side)
  // with l = 1 / maintenance leverage and margin_available = account_value -
  // maintenance_margin_required. BTC at 40x max leverage: maintenance
  // leverage 80, l = 1.25%. A 1 BTC long (1,000 lots) at $50,000 with account
  // value $5,000: maintenance $625, margin_available $4,375,
  //   liq = 50,000 - 4,375 / 1 / 0.9875 = 45,569.62...
  // The lowest safe tick is 45,570 (risk::ComputeLiquidationPrice rounds a
  // long up), and Classify() agrees at that tick and the one below.
  const auto table = perpcore::risk::TierTable::Create(
      std::vector<perpcore::risk::MarginTier>{{Quote(0), 40, Rate(125 * kPct / 100)}});
  REQUIRE(table.ok());
  const std::int64_t size = 1'000;
  const int128 other_equity = int128(5'000) * kUsd - int128(size) * 50'000 * kM;  // cash
  perpcore::risk::LiquidationInput in;
  in.size = perpcore::Lots(size);
  in.atoms_per_tick_lot = kM;
  in.other_equity = Quote(static_cast<std::int64_t>(other_equity));
  in.other_maintenance = Quote(0);
  const auto liq = perpcore::risk::ComputeLiquidationPrice(*table, in);
  REQUIRE(liq.ok());
  CHECK(liq->price == Ticks(45'570));
  auto health_at = [&](std::int64_t price) {
    const std::int64_t notional = size * price * kM;
    const int128 equity = other_equity + notional;
    return Classify(equity, table->Maintenance(Quote(notional)).raw(), Rate(80 * kPct));
  };
  // 45,570: equity 570e6 >= maintenance 1.25% * 45.57e9 = 569,625,000.
  CHECK(health_at(45'570) == Health::kWarning);
  // 45,569: equity 569e6 < 569,612,500.
  CHECK(health_at(45'569) == Health::kLiquidatable);
  // And its bankruptcy price: 50,000 - floor(5,000e6 / 1e6) = 45,000.
  CHECK(BankruptcyPrice(size, Ticks(50'000), 5'000 * kUsd, kM) == Ticks(45'000));
}

}  // namespace

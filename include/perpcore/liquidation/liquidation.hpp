// -----------------------------------------------------------------------------
// File: perpcore/liquidation/liquidation.hpp
// -----------------------------------------------------------------------------
//
// The pure arithmetic of liquidation: an account's (or isolated bucket's)
// health, the bankruptcy and fillable prices of a position, the limit price
// of the IOC order that liquidates it, the liquidation fee and the keeper's
// share of it, and the size of one chunk. Plain inputs only (no engine
// types): the engine values the account (valuation, equity including accrued
// funding) and feeds the numbers in.
//
// Vocabulary (the names of dYdX v4's x/clob liquidation code in brackets)
//   equity       what the account (cross) or isolated bucket is worth at the
//                mark: cash plus the mark value of its positions plus accrued
//                funding, in quote atoms [TNC, total net collateral].
//   maintenance  its total maintenance requirement, atoms, >= 0 [TMMR].
//   position     one market's signed size in lots (+ long), valued at `mark`
//                ticks; a tick-lot is worth `atoms_per_tick_lot` atoms, so its
//                notional is |size| * mark * atoms_per_tick_lot [PNNV] and its
//                own maintenance requirement is `position_maintenance` [PMMR].
//
// Units: prices in Ticks, sizes in lots (int64), money in quote atoms
// (int128 where it is a sum over positions), fractions as Rate (1e18 = 1),
// time as TimeNs. Rounding: every division names its direction; a price that
// bounds a liquidation order rounds so that the order can never close the
// account worse than the formula allows, fees round up, the keeper's share
// down (the insurance fund keeps the remainder).
// Errors: parameters are checked by Validate() (a Reason each, 800..809);
// the functions below take validated parameters and document their
// preconditions on the other inputs (PERPCORE_CHECK: the engine guarantees
// them, they are never user input). Results that would leave int64 saturate
// at its bounds (documented per function; unreachable under the engine's
// bounds).
// Thread safety: pure functions and value types. Determinism: integer-only.
// Complexity: O(1) each (FillablePrice() runs fixed 256-step loops).
#ifndef PERPCORE_LIQUIDATION_LIQUIDATION_HPP_
#define PERPCORE_LIQUIDATION_LIQUIDATION_HPP_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/reason.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {

inline constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// kMaxRequirement: FillablePrice() and LimitPrice() need the maintenance
// requirements below 2^64 atoms (1.8e13 USDC at 1e-6 atoms: far above the
// engine's cash bound of 2^61), so that every product fits the 256-bit
// intermediate exactly.
inline constexpr absl::int128 kMaxRequirement = absl::int128(1) << 64;

// Bounds of the parameters (Validate()).
inline constexpr TimeNs kMaxCooldown{24 * 3600 * kNsPerSecond};  // 1 day

// ---------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------

// LossPolicy: what closes a bankrupt position whose loss the insurance fund
// cannot cover (engine.hpp, "Auto-deleveraging"). Pinned values.
//   kAdl   positions on the other side, in the ADL ranking, are closed
//          against it at its bankruptcy price (the default: dYdX, Binance,
//          Hyperliquid all deleverage);
//   kNone  nothing: the book closes it as far as it can and the shortfall
//          keeps what the fund could not cover (withdrawals gated).
enum class LossPolicy : std::uint8_t { kAdl = 0, kNone = 1 };

// Health: pinned values (they reach events, the C API and Python).
enum class Health : std::uint8_t {
  kHealthy = 0,
  kWarning = 1,        // margin ratio maintenance / equity >= warning_threshold
  kLiquidatable = 2,   // equity < maintenance
  kBankrupt = 3,       // equity < 0
};

// Classify(): the health of an account or isolated bucket, in this order:
//   kBankrupt      equity < 0
//   kLiquidatable  equity < maintenance (equal is NOT liquidatable)
//   kWarning       maintenance > 0 and maintenance >= warning_threshold *
//                  equity, that is the margin ratio maintenance / equity has
//                  reached the threshold. Compared exactly, without division:
//                  maintenance * 1e18 >= warning_threshold * equity, both
//                  products formed in 256 bits.
//   kHealthy       otherwise (in particular an account without requirement).
// Any int128 inputs; `maintenance` should be >= 0 (a negative one is never a
// warning). O(1).
Health Classify(absl::int128 equity, absl::int128 maintenance, Rate warning_threshold);

// WarningMargin(): the equity at or below which a requirement of
// `maintenance` atoms is at warning for `warning_threshold`:
// floor(maintenance * 1e18 / warning_threshold) atoms, so that for an
// integer equity, equity <= WarningMargin(m, w) exactly when m * 1e18 >=
// w * equity. 0 for maintenance <= 0; saturates at INT128_MAX. A threshold
// must be > 0 (Validate()). The engine sums it over a cross account's
// positions, each with its own market's threshold (engine.hpp, "Margin
// warnings"). O(1).
absl::int128 WarningMargin(absl::int128 maintenance, Rate warning_threshold);

// ClassifyMargins(): Classify() with the warning level given as a margin
// (the sum of the positions' WarningMargin()s): kBankrupt, kLiquidatable as
// there; kWarning when warning_margin > 0 and equity <= warning_margin.
// For one position, ClassifyMargins(e, m, WarningMargin(m, w)) ==
// Classify(e, m, w). O(1).
Health ClassifyMargins(absl::int128 equity, absl::int128 maintenance, absl::int128 warning_margin);

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

// LiquidationParams: per market (MarketParams::liquidation from the next
// session on). Defaults and where they come from:
//   warning_threshold  80%: issue 13's example ("80% of maintenance used").
//   fee                1.5% of the closed notional: dYdX v4 mainnet
//                      (MaxLiquidationFeePpm 15,000 in protocol/testing/
//                      genesis.sh and scripts/genesis/sample_pregenesis.json;
//                      the code default in types/liquidations_config_keeper.go
//                      is 0.5%). Hyperliquid charges none (its announcement of
//                      partial liquidations: "there is no clearance fee").
//   keeper_share       5% of the fee: PerpX pays its keepers 5% (issue 13).
//   buffer             10%: a partial liquidation closes enough to bring
//                      equity to >= maintenance * (1 + buffer). Our choice:
//                      Binance and Hyperliquid stop as soon as the account is
//                      back at maintenance (buffer 0), which leaves it
//                      liquidatable again at the next adverse tick and pays a
//                      second fee; 10% of maintenance is the headroom of about
//                      a 0.05% to 1.7% mark move at maintenance rates 0.5% to
//                      16.7%.
//   chunk_threshold    100,000 USDC = 1e11 atoms at 1e-6 USDC: Hyperliquid
//                      liquidates positions above 100k USDC in chunks
//                      (docs: trading/liquidations, "Partial liquidations").
//   chunk_fraction     20%: Hyperliquid sends 20% of such a position.
//   cooldown           30 s: Hyperliquid's cooldown after a partial
//                      liquidation (see CooledDown() for how it is used).
//   bankruptcy_adjustment  1.0: dYdX v4 BankruptcyAdjustmentPpm 1,000,000
//                      (code default and mainnet genesis).
//   spread_to_maintenance  1.5: dYdX v4 mainnet
//                      SpreadToMaintenanceMarginRatioPpm 1,500,000 (genesis;
//                      the code default is 0.1).
//   max_notional_per_command  100,000 USDC = 1e11 atoms: dYdX v4 mainnet
//                      SubaccountBlockLimits.MaxNotionalLiquidated
//                      100,000,000,000 quote quantums per subaccount per block
//                      (genesis.sh; the code default is $100M).
//   backstop           0: none. The account (an AccountId's value) that takes
//                      over liquidated positions in the market (engine.hpp,
//                      "Backstop takeover"): Hyperliquid's liquidator vault.
//   backstop_threshold 2/3: the backstop takes the position without trying
//                      the book once equity < backstop_threshold *
//                      maintenance (Hyperliquid, docs: trading/liquidations,
//                      "backstop liquidation ... account value is less than
//                      2/3 of the maintenance margin"); 0: only a bankrupt
//                      target (equity < 0) and what the book cannot absorb.
//   loss_policy        kAdl (see LossPolicy).
// The amounts in atoms assume a 6-decimal quote (USDC); a market in another
// quote scales them.
struct LiquidationParams {
  Rate warning_threshold{kRateScale / 10 * 8};            // [1%, 100%)
  Rate fee{kRateScale / 1000 * 15};                       // [0, 1]
  Rate keeper_share{kRateScale / 100 * 5};                // [0, 1]
  Rate buffer{kRateScale / 10};                           // [0, 1]
  std::int64_t chunk_threshold = 100'000'000'000;         // atoms, >= 0
  Rate chunk_fraction{kRateScale / 10 * 2};               // (0, 1]
  TimeNs cooldown{30 * kNsPerSecond};                     // [0, kMaxCooldown]
  Rate bankruptcy_adjustment{kRateScale};                 // >= 1 (dYdX's rule)
  Rate spread_to_maintenance{kRateScale / 10 * 15};       // > 0
  std::int64_t max_notional_per_command = 100'000'000'000;  // atoms, >= 1
  std::uint64_t backstop = 0;                             // an account id, 0: none
  Rate backstop_threshold{kRateScale / 3 * 2};            // [0, 1]
  LossPolicy loss_policy = LossPolicy::kAdl;
  friend bool operator==(const LiquidationParams&, const LiquidationParams&) = default;
};

// Validate(): kOk, or the first fault in the order of the fields above:
//   kLiquidationInvalidWarningThreshold  outside [1%, 100%): a warning strictly
//                                        before liquidation, and at most 100x
//                                        the maintenance (which keeps the
//                                        warning indexes' X within int128)
//   kLiquidationInvalidFee               outside [0, 1]
//   kLiquidationInvalidKeeperShare       outside [0, 1]
//   kLiquidationInvalidBuffer            outside [0, 1]
//   kLiquidationInvalidChunkThreshold    < 0 (0: every position in chunks)
//   kLiquidationInvalidChunkFraction     outside (0, 1] (1: no chunking)
//   kLiquidationInvalidCooldown          outside [0, 1 day]
//   kLiquidationInvalidBankruptcyAdjustment  < 1 (dYdX's rule: with BA < 1
//                                        an account at bankruptcy, TNC = 0,
//                                        would get ABR = BA < 1, less than
//                                        the full spread)
//   kLiquidationInvalidSpread            <= 0 (dYdX: SMMR 0 is invalid; above
//                                        1 is valid)
//   kLiquidationInvalidMaxNotional       < 1
//   kLiquidationInvalidBackstopThreshold outside [0, 1] (the backstop
//                                        account is not checked here: it
//                                        may be created later; engine.hpp)
//   kLiquidationInvalidLossPolicy        not a LossPolicy
// O(1).
Reason Validate(const LiquidationParams& p);

// ---------------------------------------------------------------------------
// Prices
// ---------------------------------------------------------------------------

// BankruptcyPrice(): the price at which closing the whole position leaves
// the account's equity at exactly 0, everything else fixed.
//
// Derivation. Closing `size` lots at price P instead of valuing them at
// `mark` changes the equity by size * (P - mark) * m (m =
// atoms_per_tick_lot): the position's mark value leaves the account and the
// trade's proceeds arrive. So equity after a full close at P is
//     E(P) = equity + size * (P - mark) * m,
// and E(P) = 0 at P* = mark - equity / (size * m).
// Rounding: E is increasing in P for a long and decreasing for a short, so
// the tick that keeps E >= 0 rounds a long's P* up and a short's down. With
// q = floor(equity / (|size| * m)) (toward -infinity):
//     long   P_b = ceil(mark - equity / (size * m))  = mark - q
//     short  P_b = floor(mark + equity / (|size| * m)) = mark + q
// and E(P_b) = equity - |size| * m * q >= 0 (and < |size| * m: one tick
// more would go below 0). A long whose equity exceeds its notional has
// P_b <= 0 (no price bankrupts it); a bankrupt account (equity < 0) has a
// long's P_b above the mark and a short's below.
// dYdX v4 (GetBankruptcyPriceInQuoteQuantums) spreads the equity over a
// partial close by its share of the maintenance requirement (-DNNV - TNC *
// |DMMR| / TMMR); for a full close of the account's only position (DMMR =
// TMMR) that is this price. The engine passes the equity that backs the
// position (an isolated bucket's, or a cross account's).
// Preconditions: size != 0, atoms_per_tick_lot >= 1. Saturates at int64.
Ticks BankruptcyPrice(std::int64_t size, Ticks mark, absl::int128 equity,
                      std::int64_t atoms_per_tick_lot);

// FillablePrice(): the worst price at which a liquidation order may close
// the position, after dYdX v4's GetFillablePrice (x/clob/keeper/
// liquidations.go):
//     ABR      = clamp(BA * (1 - TNC / TMMR), 0, 1)   adjusted bankruptcy rating
//     spread   = ABR * SMMR * PMMR                     atoms
//     fillable = mark - sign(size) * spread / (|size| * m)
// with BA = bankruptcy_adjustment, SMMR = spread_to_maintenance, TNC =
// `equity`, TMMR = `maintenance`, PMMR = `position_maintenance`. An account
// just below maintenance (TNC close to TMMR) gets a price close to the mark;
// one at bankruptcy (TNC <= 0) gets the full spread SMMR * PMMR (a long
// sells up to SMMR * PMMR / (|size| * m) ticks below the mark).
// Rounding: toward the mark (a long's up, a short's down), once, from the
// exact rational: fillable = mark -+ floor(spread / (|size| * m)), the
// numerator BA * (TMMR - TNC) * SMMR * PMMR formed exactly in 256 bits.
// TMMR = 0 or PMMR = 0 give the mark (no spread).
// Preconditions: size != 0, atoms_per_tick_lot >= 1, 0 <= PMMR and TMMR <
// kMaxRequirement, Validate(p) == kOk. Saturates at int64 (a short's price
// beyond it; unreachable when the spread is a fraction of the notional).
Ticks FillablePrice(std::int64_t size, Ticks mark, absl::int128 equity,
                    absl::int128 maintenance, absl::int128 position_maintenance,
                    std::int64_t atoms_per_tick_lot, const LiquidationParams& p);

// LimitPrice(): the limit of the IOC order that liquidates the position:
// the fillable price, but never worse for the account than its bankruptcy
// price while it is solvent, clamped into [1, max_price]:
//     equity >= 0:  long  max(fillable, bankruptcy)
//                   short min(fillable, bankruptcy)
//     equity <  0:  fillable alone (the account is already bankrupt: the
//                   insurance fund covers what it lacks, and a limit at the
//                   bankruptcy price, beyond the mark, would rarely fill)
// then clamp(., 1, max_price).
//
// Why a full close at the limit never costs more than the equity (equity
// >= 0, 1 <= mark <= max_price). A long sells at prices P >= L, the limit;
// L >= P_b before the clamp, and the clamp keeps it so: raising to 1 only
// raises L, and P_b = mark - q <= mark <= max_price (q >= 0 when equity >=
// 0), so lowering to max_price stays >= P_b. Then, with E(P) from
// BankruptcyPrice(),
//     E(P) = equity - size * (mark - P) * m >= equity - size * (mark - P_b) * m
//          = equity - size * m * q >= 0,
// since q = floor(equity / (size * m)) <= equity / (size * m). A short buys
// at P <= L <= P_b = mark + q (the clamp to max_price lowers L; the clamp
// to 1 does not pass P_b >= mark >= 1), and E(P) = equity - |size| * (P -
// mark) * m >= equity - |size| * m * q >= 0. Each partial fill closes a
// part at a price no worse than P_b, so the same bound holds for the part
// (the loss of closing k of |size| lots is at most k/|size| of the equity).
// Preconditions: those of FillablePrice(), 1 <= mark <= max_price.
Ticks LimitPrice(std::int64_t size, Ticks mark, absl::int128 equity, absl::int128 maintenance,
                 absl::int128 position_maintenance, std::int64_t atoms_per_tick_lot,
                 Ticks max_price, const LiquidationParams& p);

// ---------------------------------------------------------------------------
// Fee
// ---------------------------------------------------------------------------

// FeeSplit: the liquidation fee in atoms and the keeper's part of it (the
// insurance fund receives fee - keeper).
struct FeeSplit {
  std::int64_t fee = 0;
  std::int64_t keeper = 0;
  friend bool operator==(const FeeSplit&, const FeeSplit&) = default;
};

// LiquidationFee(): for a liquidation that closed `closed_notional` atoms
// (|lots| * fill price * m summed over its fills, >= 0) and left the account
// with `equity_after_close` (after the fills, before the fee):
//     fee    = min(ceil(fee_rate * closed_notional), max(0, equity_after_close))
//     keeper = floor(fee * keeper_share)
// The fee never takes the account below 0: it is capped by what the account
// has above bankruptcy (dYdX v4 GetLiquidationInsuranceFundDelta: the
// minimum of MaxLiquidationFeePpm * |quote quantums| and what is left above
// the bankruptcy price; a bankrupt account pays nothing). Keeper rewards come
// out of the fee, never from other users. Exact: the product is split so no
// intermediate overflows for any closed_notional >= 0. Saturates at int64
// (unreachable: the fee is at most the equity after the close).
// Preconditions: closed_notional >= 0, Validate(p) == kOk.
FeeSplit LiquidationFee(absl::int128 closed_notional, absl::int128 equity_after_close,
                        const LiquidationParams& p);

// ---------------------------------------------------------------------------
// Chunks
// ---------------------------------------------------------------------------

// ChunkLots(): how many lots one liquidation step may close of a position of
// `abs_size` lots worth `notional` atoms at the mark:
//     notional <= chunk_threshold:  abs_size (the whole position)
//     otherwise:                    ceil(chunk_fraction * abs_size),
//                                   at least 1 and at most abs_size.
// (Hyperliquid: above 100k USDC, 20% of the position.) abs_size 0 gives 0.
// Preconditions: abs_size >= 0, Validate(p) == kOk. O(1).
std::int64_t ChunkLots(std::int64_t abs_size, absl::int128 notional,
                       const LiquidationParams& p);

// CooledDown(): whether `cooldown` has passed since the last chunk:
// now - last_chunk >= cooldown, computed in 128 bits (so any pair of times is
// safe; an account never chunked passes TimeNs::Min() and is cooled down).
// How the engine composes it with ChunkLots() is its choice; Hyperliquid's
// rule (announcement of partial liquidations) is that within the cooldown
// after a partial liquidation every liquidation order is for the entire
// position, so
//     lots = CooledDown(last, now, p) ? ChunkLots(...) : abs_size.
// O(1).
bool CooledDown(TimeNs last_chunk, TimeNs now, const LiquidationParams& p);

}  // namespace liquidation
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_LIQUIDATION_LIQUIDATION_HPP_

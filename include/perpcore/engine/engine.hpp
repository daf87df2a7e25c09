// -----------------------------------------------------------------------------
// File: perpcore/engine/engine.hpp
// -----------------------------------------------------------------------------
//
// The exchange state machine: markets (each with its book and oracle),
// accounts with cross and isolated positions, tiered margin, fees, the fee
// pool and the insurance fund. Apply() takes one command at a time and
// answers with a Reason and the events it caused.
//
// The rules of ../DESIGN.md, as this class keeps them:
//   1. Integers only. Notionals are lots * ticks * atoms_per_tick_lot, exact;
//      market bounds keep every product far inside int64, and sums of them
//      are formed in 128 bits.
//   2. Deterministic: no clock, no randomness; hash maps are for lookup and
//      never iterated into events or the digest.
//   3. Atomic: a command is validated in full before anything changes; a
//      rejected command returns its Reason, emits no event and changes
//      nothing but last_seq and the time.
//   4. Conservation. Money is kept the way dYdX v4 keeps it: every account
//      (and every isolated bucket) holds cash, and a trade moves
//      price * size * atoms_per_tick_lot of cash from buyer to seller,
//      exactly. So, after every command,
//          sum(cash) + fee pool + insurance fund + funding pools
//            + funding residual - shortfall == deposits - withdrawals
//      with no rounding anywhere, and since long and short open interest
//      are equal, the mark value of all positions nets to zero: unrealized
//      PnL is zero-sum by construction, and so is funding (one cumulative
//      index per market; each market's pool holds what settled payers paid
//      and settled receivers have not yet taken, and settlement rounding,
//      always against the account, goes to the residual: ledger.hpp). Cost basis, entry price and
//      realized PnL are bookkeeping on top of cash (what a user sees); they
//      never move money. Fees round up, rebates and referrer cuts down, and
//      the fee pool takes the remainders.
//   5. Bounded work: a command touches one market's book and the accounts of
//      the orders it matches; margin checks walk the live records of one
//      account (at most one per market, each with a position or open
//      orders: an account keeps no record where it has neither). TimeTick
//      with market 0 and cancel all with market 0 are O(markets); an oracle
//      refresh (OraclePrice, TimeTick, RetireSource) reads at most
//      oracle::kImpactLevels levels of each side of the market's book.
//   6. Host-supplied order: a command is processed when its seq is
//      last_seq + 1 and its time does not go back; processing consumes the
//      seq and takes the time whether the command is accepted or rejected.
//      Anything else is a framing error (a Status) and changes nothing.
//
// Margin (risk::TierTable for the tier arithmetic):
//   value(position) = size * mark * atoms_per_tick_lot - pending funding
//   (funding accrued since the position was last settled, owed > 0);
//   notional = |size * mark * atoms_per_tick_lot|.
//   Cross equity = cross cash + sum of cross positions' values.
//   The worst case of open orders in a market is the larger, over the two
//   sides, of Initial(|size + all open lots of that side| * mark) plus the
//   open loss of that side's orders: each order priced worse than the mark
//   loses on its own what it would realize against the mark if it filled
//   at its limit, (price - mark) * lots * atoms for a bid above the mark,
//   (mark - price) * lots * atoms for an ask below it, and an order at or
//   on the good side of the mark counts 0 (Binance's "open loss", per
//   order: a bid below the mark never offsets one above it). O(log levels)
//   per side from the account's price-ordered prefix sums
//   (risk/order_ladder.hpp), O(1) when no order is on the losing side.
//   An order is accepted if, with it counted as resting at its limit price
//   and its taker fee paid, equity covers the cross initial requirement of
//   every market at its worst case (plus what isolated positions may need
//   to draw from cross collateral) - or if it does not raise that
//   requirement (an order that only reduces risk is always allowed, as at
//   Binance and dYdX).
//   Isolated: the bucket's equity is its cash plus the position's value. A
//   fill that grows the position draws from cross cash whatever the bucket
//   lacks to cover the position's initial requirement; closing the position
//   returns the whole bucket to cross cash.
//   A position in a market whose index is not usable (Market::IndexUsable:
//   there is none, or it is stale at the command's own timestamp,
//   oracle/oracle.hpp usable_until()) counts in the margin check at its
//   stressed value (below), so it blocks nothing in healthy markets; orders
//   that add risk in that market itself are refused (kNoIndexPrice, or
//   kIndexStale for a stale one).
//
// Withdrawals (money that leaves cross collateral: Withdraw, Transfer out,
// AdjustIsolatedMargin into a bucket; and money that leaves a bucket:
// AdjustIsolatedMargin out). Unrealized profit is paid by other accounts
// and is only as real as the price behind it (Mango Markets, Oct 2022: an
// oracle pumped tenfold in minutes let one long withdraw against it), so
// what may leave is valued conservatively (src/engine/valuation.hpp):
//   withdrawable value of a position: losses in full at the mark;
//     unrealized profit per MarketParams::withdrawable_pnl (default: at the
//     more conservative of mark and TWAP, a long at min(mark, twap), a
//     short at max, none before the market has a TWAP; or none at all);
//     while the market's breaker is tripped or its index is not usable:
//     no profit, and the loss at the worse of the mark and the last valid
//     index moved against the position by MarketParams::stress_fraction;
//   cross: after the move, cross cash + the cross positions' withdrawable
//     values must be >= max(initial requirement with orders (with each
//     isolated bucket's draw, its bucket valued the same way),
//     ceil(withdraw_margin_fraction * sum of the cross positions' |size| *
//     mark * atoms)) (EngineConfig::withdraw_margin_fraction, 10% by
//     default: Hyperliquid's rule since March 2025), else
//     kInsufficientCollateral;
//   a bucket: after the move, its cash + its position's withdrawable value
//     must be >= max(its worst case, ceil(withdraw_margin_fraction * its
//     notional)), else kInsufficientCollateral;
//   a Withdraw must also be at most what the engine holds, total deposits
//     - total withdrawals (the sum of every bucket, fee pool and insurance
//     fund included), else kWithdrawalExceedsHeld: total withdrawals never
//     exceed total deposits, by a refusal rather than an invariant.
// Exactly the smaller of the two bounds is AccountSummary::free_collateral.
//
// Place order checks, in order (the first failure is the Reason):
//   market exists; account exists; market not halted/delisted unless the
//   order is reduce-only (a halt must not freeze positions); the account
//   not locked by the cash bound (kCashBoundExceeded); reduce_only
//   must be IOC/FOK and needs an opposite position (it is clamped to its
//   size via max_fill); in a
//   reduce-only market (or one whose breaker tripped) only reduce-only
//   orders; size in 1..max_order_size and price in 1..max_price
//   (book reasons kInvalidSize, kSizeAboveMax, kInvalidPrice, and
//   kPriceAboveMax); a non-reduce-only order needs a usable index in its
//   market (kNoIndexPrice, or kIndexStale if it expired since the last
//   refresh), keeps the account's worst-case exposure within
//   max_open_interest (kOpenInterestLimit), keeps the market's open
//   interest within max_market_open_interest if it fills in full
//   (kMarketOpenInterestLimit) and passes the margin check
//   (kInsufficientMargin; a position in another market without a usable
//   index counts at its stressed value there); then the book's checks
//   (book/order_book.hpp).
// Events of an accepted order (events.hpp): the book's, in its order, with
// each Fill carrying fees and both resulting positions, each followed by the
// IsolatedMarginChanged events of the top-ups and releases it caused.
//
// Amend (AmendOrder) changes a resting order's price and size in place and
// never trades: a new price that would cross the opposite best is refused
// (kAmendWouldCross), as the book documents. Only a smaller size at the same
// price keeps time priority. Adding size or moving the price needs margin
// as an order does; reducing never does.
//
// Cancel-replace (CancelReplace) is the alternative for a price that
// crosses, or for changing anything else about an order (side, type, time
// in force, ids): it cancels a live order and places a new one atomically,
// both or neither, in one command and one seq. The new order has no time
// priority from the old one and may trade. Checks, in order: market exists;
// account exists; the old order is live in the market (kUnknownOrder); it
// belongs to the account (kNotOrderOwner);
// market not halted/delisted unless the new order is reduce-only; then the place order checks above from
// reduce_only on, and then the book's checks of the new order
// (OrderBook::CheckPlace), all as if the old order were already cancelled:
// its lots leave the open-interest exposure; the margin check sees, in one
// delta, the old order removed from its side (its lots and its own open
// loss go) and the new order added to its side, the same or the other, at
// its limit (its own open loss counts) with its taker fee paid (exactly the
// state a cancel then a place would leave), and it passes if equity covers
// that or if the command as a whole does not raise the requirement; the book
// counts the old order's id, client id (both may be reused), its slot in
// the account's and the book's order limits and its level as free, and does
// not count it as liquidity, as a self-trade or as the best price for a
// post-only check. So an account at max_orders_per_account can replace an
// order. Any refusal changes nothing: the old order stays as it was. Events
// of an accepted one: the old order's OrderCanceled (reason
// book::CancelReason::kUser), then the new order's, as a placement's;
// Result::filled/rested are the new order's. Self-trade prevention applies
// to the new order as to any taker (the old order is gone by then).
//
// Liquidation (liquidation/liquidation.hpp for the pure rules; each market's
// MarketParams::liquidation for the numbers):
//   Health is decided at the mark: a cross account's health equity is its
//   cross cash plus its cross positions at their markets' marks less their
//   pending funding, against the sum of their maintenance requirements; an
//   isolated bucket's is its cash plus its position the same way, against
//   that position's maintenance. liquidation::Classify() grades it (equal to
//   maintenance is not liquidatable). Stressed values (above) are for what
//   may leave and what may be added, never for taking positions away.
//   Liquidate (commands.hpp) checks, in order: both accounts exist
//   (kUnknownAccount); keeper != account (kLiquidationSelf); max_size >= 1
//   (kLiquidationInvalidSize); a named market exists (kUnknownMarket) and
//   holds a position of the account (kLiquidationNoPosition); the target is
//   liquidatable now (kLiquidationNotLiquidatable); the market's book is not
//   halted or delisted (kMarketHalted) and its index is usable (kNoIndexPrice
//   / kIndexStale: no liquidation on a price nobody can see). Then:
//   1. The target's resting orders are cancelled (reason kLiquidation): the
//      cross account's in every market, an isolated bucket's in its market.
//   2. Size. Partial first: the fewest lots q that, closed at the mark with
//      the liquidation fee paid, bring the target to equity >= maintenance *
//      (1 + buffer) (searched over 1..|size| when closing releases more
//      maintenance per lot than the fees take, (1 + buffer) * the lowest
//      tier's rate > fee + taker_fee; otherwise, or if no q does, the whole
//      position).
//      A position above chunk_threshold of notional closes at most
//      ChunkLots() of it at a time, but within `cooldown` of its last
//      partial liquidation the whole of it (Hyperliquid's rule); then at most
//      max_size and at most max_notional_per_command / (mark * atoms) lots
//      (at least one).
//   3. The lots go through the book as an IOC market order, reduce-only,
//      with protection price liquidation::LimitPrice() (the fillable price,
//      never worse than the bankruptcy price while the target is solvent;
//      the equity it is given is net of the taker fee of a full close at the
//      mark), sent with an engine-chosen order id (bit 63 set, from the seq),
//      tightened to the market's price band like any market order. It pays
//      the taker fee like any taker. It never trades with the owner's other
//      accounts, whatever scope the account chose (self-trade prevention
//      with the owner's group cancels their orders): a bankrupt account's
//      order may fill below the mark at the insurance fund's cost.
//      A partial liquidation of the engine's sizing (a chunk, or the
//      restoring size) that leaves the position open starts its cooldown; a
//      keeper's max_size never does.
//   4. The liquidation fee, LiquidationFee() of the notional it closed,
//      capped by what the target has left above zero, leaves the target's
//      bucket: keeper_share of it to the keeper's cross cash (the insurance
//      fund keeps a share the keeper's cash bound would not take), the rest
//      to the insurance fund, which pays any shortfall down with it first.
//   4b. Backstop takeover (below). What the IOC could not close of its lots
//      within the protection price goes to the backstop while the target
//      is still liquidatable, if the backstop can take it.
//   5. When nothing is left to close (an isolated position closed, or a
//      cross account without cross positions) and the bucket is below zero,
//      a cross deficit first takes what the account's isolated buckets can
//      spare (what a withdrawal could take from each, by market id;
//      IsolatedMarginChanged, kDeficit); then the insurance fund pays the
//      rest in (InsuranceCover) as far as it
//      can (it never goes below zero) and the shortfall bucket takes the
//      rest (Shortfall); the closed isolated bucket then returns to cross
//      cash (zero). While shortfall() > 0, Withdraw is refused
//      (kWithdrawalsGated, as dYdX gates withdrawals while a negative-equity
//      account exists); FundInsurance and the fund's share of liquidation
//      fees pay it down first.
//   A cross account with negative cash and no cross position is liquidatable
//   too: its Liquidate cancels its orders and covers the deficit (steps 1
//   and 5).
//   Liquidatable() answers from per-market candidate indexes (liquidation/
//   candidate_index.hpp) that every command keeps current for the accounts
//   it touched, without walking accounts (complexity there).
//
// Auto-deleveraging (LiquidationParams::loss_policy kAdl, the default;
// liquidation/adl_queue.hpp for the ranking): what the insurance fund
// cannot cover is taken from the other side's positions, best ranked first,
// never left in the shortfall while a counterparty can take it.
//   When: a Liquidate whose target (after the backstop) has equity E < 0
//   with E + insurance_fund < 0 deleverages first; otherwise the book's
//   protection price for a bankrupt target is tightened to the bankruptcy
//   price of E + fund (liquidation::BankruptcyPrice), so that no fill
//   leaves a deficit the fund cannot cover, and what the IOC leaves of a
//   target that the fund still cannot carry is deleveraged after it (step
//   4c).
//   How: the target's position in the market closes against the positions
//   of the other side in ranking order (PnL% x leverage setting; AdlRank()
//   shows where a position stands), each at the mark with the target's
//   equity share (as a backstop takeover's: floor(E * taken notional /
//   target notional), here <= 0) moved to the counterparty's bucket: the
//   trade is at the target's bankruptcy price, exactly, in atoms, with no
//   fee. Recomputed per counterparty, as dYdX does per fill.
//   Counterparties: at most kAdlCounterpartiesPerCommand (64) ranked
//   positions per command, ranked as the command found them (a position
//   this command already changed is re-checked: it must still exist on the
//   other side); each takes the most lots that leave it not liquidatable
//   (its equity less the share at or above its maintenance after; dYdX's
//   rule that deleveraging must not undercollateralize the offsetting
//   account), none if it is liquidatable already. What is still open after
//   them goes to the book at the fillable price as the last resort (then
//   the fund and the shortfall, step 5); a later Liquidate deleverages
//   again. A cross account with positions in several markets is
//   deleveraged one market per Liquidate.
//   Events: events::Deleveraged, one per counterparty.
//   Work: O(G log n) to start the ranking (G leverage settings present on
//   the side) and O(G + records of the two accounts + log q) per
//   counterparty; the ranking itself is kept by every command for the
//   positions it changed (O(log n) each).
//   kNone: no deleveraging; the book's limit is the fillable price and the
//   shortfall keeps what the fund cannot cover (withdrawals gated).
//
// Backstop takeover (LiquidationParams::backstop, backstop_threshold;
// Hyperliquid's liquidator vault): a market may name a backstop account.
//   When: a Liquidate whose target has equity < backstop_threshold *
//   maintenance (Hyperliquid: 2/3) skips steps 2-4: the backstop takes the
//   whole position. Otherwise step 4b gives it the lots the book did not
//   fill. Either way only if the backstop exists, is not the target, is not
//   locked by the cash bound, and passes its own check; if it cannot take,
//   the liquidation goes on as if there were none (the book, then step 5).
//   Price: the position moves at the mark, off the book (no order, no fee,
//   no Fill, no volume), with the target's equity share
//     share = floor(equity * taken notional / target notional)
//   (the target's notional: the isolated position's, or all its cross
//   positions' at their marks) moved from the target's bucket to the
//   backstop's cross cash; a negative share is paid by the backstop. For a
//   whole position of its own this is exactly the trade at the bankruptcy
//   price (the price at which the target's equity is 0), but in atoms, not
//   rounded to a tick. The target's health ratio is unchanged by a
//   takeover of part of it (up to the atom), so a cross account whose
//   largest position went to the backstop is still liquidatable and the
//   next Liquidate takes the next position (one market per command).
//   The backstop's check: a dry run of the takeover on a copy of its
//   account (funding settled, the position, the legs, an isolated top-up)
//   after which it must cover its initial requirement with orders, hold a
//   position within the market's max_open_interest and keep every bucket
//   within the cash bound. O(records and orders of the
//   backstop).
//   No liquidation fee is charged on what the backstop takes (the keeper
//   is paid only for what the book closed): the backstop's compensation is
//   the equity share. Event: events::BackstopTakeover.
//
// Final settlement (SettleMarket, commands.hpp): a delisted market's
// positions can be neither traded away (nothing rests in a delisted book
// for long) nor valued forever, so the host settles the market once, at
// one price. SettleMarket checks, in order: the market exists
// (kUnknownMarket); it is delisted (kSettlementNotDelisted); its settlement
// has not started (kSettlementStarted); the price, the command's or for 0
// the market's last valid index, is 1..max_price (kSettlementInvalidPrice).
// Then the market is "settling" (MarketStats::settlement, part of the
// canonical encoding): it takes no order of any kind, reduce-only included
// (kMarketHalted). Each account's record in the market is settled in turn,
// in account slot order (the order the accounts were created in):
//   1. its resting orders are cancelled (book::CancelReason::kMarketSettled);
//   2. its funding settles (the index has been frozen since the delisting);
//   3. its position closes at the settlement price as a fill at that price
//      with no fee would: size and cost basis through TradePosition(), the
//      cash size * price * atoms between its bucket and the market's
//      settlement pool (a long receives it, a short pays it), open
//      interest down (events::PositionSettled);
//   4. an isolated bucket below zero is covered by the insurance fund, then
//      the shortfall, as after a liquidation, and released to cross cash; a
//      cross account below zero that has no cross position left in any
//      market is covered as Liquidate step 5 covers it (its isolated
//      buckets' spare cash first). A cross account below zero that still
//      has cross positions elsewhere is left to liquidation there.
// Work is bounded: one command settles records, in account creation order,
// until it has done 256 units of work (a record is one unit plus one per
// order it cancels; the last record is always finished) and looks at most
// at 4096 account slots; SettleMarket settles the first ones, and every TimeTick
// naming the market (not a TimeTick of every market, which stays
// O(markets)) continues after its oracle refresh. When the slots are
// exhausted the market is settled (events::MarketSettled), final.
// Conservation holds after every command: longs and shorts close at one
// price, so the settlement pool is exactly the still-open positions'
// imbalance, (long - short open interest) * price * atoms, and returns to
// zero; realized PnL is zero-sum but for deficits, which the insurance fund
// and the shortfall take, never the winners.
//
// Margin warnings (events::MarginWarning): each cross account and each
// isolated bucket is "warned" while its equity is at or below its warning
// margin, the sum over its positions of liquidation::WarningMargin(): the
// position's maintenance over its market's warning_threshold, rounded down
// to an atom (for one position exactly "maintenance / equity >=
// threshold"), or while its equity is negative; liquidatable and bankrupt
// targets are warned too (liquidation::ClassifyMargins()). The state is part
// of the canonical encoding. An event is emitted once when a target becomes
// warned (set) and once when it is healthy again (cleared), never while it
// stays on one side, with the exact equity and maintenance at that moment.
//   - A command that changes a target (its cash, a position, a funding
//     settlement: the same marks that re-key the liquidation indexes)
//     re-checks it exactly at its end.
//   - A price or funding move alone: each market keeps a second candidate
//     index for warnings (entries that fire when a target may have entered
//     warning, or, once warned, may have left it). OraclePrice, TimeTick
//     and RetireSource re-check exactly, at their end, the targets whose
//     entries fired in their market, at most kWarningChecksPerTick (256) per
//     market and tick (the most crossed first within each of the market's
//     indexes, the indexes from a start that moves on at each tick that
//     ran out of budget); the rest stay fired and the market's next ticks
//     take them (so a move that crosses more than 256 targets of a market
//     reports them over several ticks). Funding that accrues between ticks
//     is seen at the next tick.
//   - UpdateMarket that changes the warning_threshold (or the tiers)
//     re-checks every position of the market (admin, O(positions)).
//   Events come after the command's other events, in account id order (the
//   cross account, then its buckets by market id). A bucket released while
//   warned (its position closed) is cleared with equity and maintenance 0.
//   Work: a tick costs O(1) per market when nothing fires, else O(c log n)
//   for the c <= 256 targets it re-checks.
//
// Thread safety: not thread-safe. Copies are independent engines.
//
// Example:
//   Engine eng(EngineConfig{});
//   Result r = eng.Apply(
//       {.seq = 1, .timestamp = TimeNs(t),
//        .payload = CreateMarket{.market = 1,
//                                .params = std::make_shared<const MarketParams>(p)}});
//   if (!r.ok()) std::puts(ReasonMessage(r.reason).data());
#ifndef PERPCORE_ENGINE_ENGINE_HPP_
#define PERPCORE_ENGINE_ENGINE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/engine/commands.hpp"
#include "perpcore/engine/events.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/liquidation/adl_queue.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// kMaxTotalDeposits: deposits minus withdrawals never exceed this (2^62
// atoms). Balances are bounded on their own (the cash bound): a deposit,
// withdrawal, transfer or isolated-margin move that would take a cash
// balance beyond 2^61 atoms is refused (kCashBoundExceeded); a fill that
// takes one beyond locks the account: its resting orders are cancelled at
// the end of that command (book::CancelReason::kAccountLocked) and it may
// place, amend or replace nothing until money commands bring every balance
// back within the bound; a referrer's cut that would take it beyond stays
// in the fee pool.
inline constexpr std::int64_t kMaxTotalDeposits = std::int64_t{1} << 62;

// Result
//
// The answer to a processed command. seq: the sequence number it consumed
// (every processed command consumes one, accepted or not). reason == kOk
// iff it was accepted; a rejected command changed nothing but the engine's
// last_seq and time. events: what it caused, valid until the next Apply()
// (empty when the events went to an EventSink). For orders, filled/rested as
// book::PlaceResult.
struct Result {
  Reason reason = Reason::kOk;
  std::span<const Event> events;
  Lots filled;
  Lots rested;
  std::uint64_t seq = 0;
  bool ok() const { return reason == Reason::kOk; }
};

// EventSink
//
// Where a command's events go, in order, as they happen. Events are emitted
// only by a command the engine accepts (validation precedes every change),
// so a sink never sees part of a rejected command.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(const Event& event) = 0;
};

struct State;  // the engine's state; defined in src/engine/state.hpp

// Engine
//
// A facade over the state (pimpl): the layout of the state is not part of
// the API. Not thread-safe. Copies are independent engines; a moved-from
// engine may only be destroyed or assigned to.
class Engine {
 public:
  // Validate()
  //
  // kInvalidArgument naming the field if an EngineConfig field is out of
  // range. ValidateMarket(): the same for MarketParams (also what
  // CreateMarket's kInvalidMarketParams means).
  static absl::Status Validate(const EngineConfig& config);
  absl::Status ValidateMarket(const MarketParams& params) const;

  // Create(): an engine, or Validate()'s error.
  static absl::StatusOr<Engine> Create(const EngineConfig& config);

  // Requires Validate(config).ok() (checked).
  explicit Engine(const EngineConfig& config);
  Engine(const Engine& other);
  Engine& operator=(const Engine& other);
  Engine(Engine&& other) noexcept;
  Engine& operator=(Engine&& other) noexcept;
  ~Engine();

  // Apply()
  //
  // Processes one command (see the file comment for the rules and the order
  // of checks). Framing comes first, and a framing error is a Status, not a
  // Reason; it changes nothing:
  //   kAlreadyExists       seq <= last_seq(): the command was applied
  //                        before (at-least-once delivery is idempotent);
  //   kOutOfRange          seq > last_seq() + 1: a gap in the input log;
  //   kFailedPrecondition  timestamp before now(), or the engine is
  //                        poisoned (poisoned()).
  // Otherwise the command is processed: last_seq() becomes seq and now() the
  // timestamp whether the Result is accepted or rejected, so seq is the
  // index of the input log and a host may pipeline.
  // The second form sends the events to `sink` as they happen instead
  // (Result::events is then empty), for hosts that keep every event.
  // Complexity: see rule 5 above.
  absl::StatusOr<Result> Apply(const Command& command);
  absl::StatusOr<Result> Apply(const Command& command, EventSink& sink);

  // poisoned()
  //
  // True once a command was interrupted by an exception from below (an
  // allocation that failed): the state may be half-applied, so every later
  // Apply() is refused with kFailedPrecondition. Queries still answer, from
  // that state; destroying the engine is always safe.
  bool poisoned() const;

  // retained_event_capacity()
  //
  // The capacity, in events, that the engine's event buffer and its books'
  // buffers hold between commands (for memory accounting). Apply(command)
  // keeps the last command's events; one that finds the engine's buffer
  // above kRetainedEvents releases it first, as each book does with its own
  // (book::OrderBook::event_capacity()). With every command's events
  // bounded (a placement's by O(max_matches_per_order), a cancel-all's by
  // max_orders_per_account per market, a time tick for all markets by
  // O(markets)), so is what stays allocated. O(markets).
  std::size_t retained_event_capacity() const;
  static constexpr std::size_t kRetainedEvents = 4096;

  // --- queries: none mutates -------------------------------------------
  std::uint64_t last_seq() const;
  TimeNs now() const;
  Quote fee_pool() const;
  Quote insurance_fund() const;
  // The funding residual sink: settlement rounding collected from the
  // markets' funding pools (FundingResidual events).
  absl::int128 funding_residual() const;
  // The shortfall bucket: liquidation deficits the insurance fund could not
  // cover (events::Shortfall); withdrawals wait while it is non-zero.
  Quote shortfall() const;
  // Cumulative, so 128-bit: they only ever grow.
  absl::int128 total_deposits() const;
  absl::int128 total_withdrawals() const;
  const EngineConfig& config() const;

  // Markets in id order.
  std::vector<MarketId> Markets() const;
  // Accounts in id order. O(accounts log accounts).
  std::vector<AccountId> Accounts() const;

  // Each of these: kNotFound for an unknown market or account.
  absl::StatusOr<MarketStats> Stats(MarketId market) const;
  absl::StatusOr<FundingView> Funding(MarketId market) const;
  absl::StatusOr<MarketParams> Params(MarketId market) const;
  absl::StatusOr<std::optional<book::LevelView>> Best(MarketId market, Side side) const;
  // The best out.size() levels of a side, best first; returns how many.
  absl::StatusOr<std::size_t> Depth(MarketId market, Side side,
                                    std::span<book::LevelView> out) const;
  absl::StatusOr<AccountSummary> Summary(AccountId account) const;
  // Live orders of an account, by market id then placement order.
  absl::StatusOr<std::vector<OpenOrder>> OpenOrders(AccountId account) const;

  // Liquidatable()
  //
  // Every liquidatable cross account (market 0) and isolated bucket, most
  // under-margined first (equity / maintenance ascending, a deficit without
  // requirement first; ties by account id, then market id), at most `limit`
  // of them. Exact: each one returned is liquidatable now, and none missing
  // (the property test compares it with a full scan). Not a walk over
  // accounts: per market and margin tier, a candidate index ordered by the
  // position's trigger in X = mark * atoms * (1e18 -+ the tier's
  // maintenance rate) - funding index (longs -, shorts +), in which a
  // position's health is linear, so a move of the mark or of the funding
  // index fires exactly the positions it crossed; a cross account holding
  // several markets splits its slack between them, and a position whose
  // notional left its tier fires a second index. Fired candidates are then
  // checked exactly. O(markets * tiers + f (log n + r) + f log f) for f fired
  // candidates (the liquidatable ones, plus those a move brought within their
  // budget or out of their tier but not below maintenance), n positions and
  // r records per fired account. Allocates the answer.
  std::vector<LiquidationCandidate> Liquidatable(std::size_t limit) const;
  // AdlRank()
  //
  // Where the account's position in the market stands in the market's ADL
  // ranking at the current mark (engine.hpp, "Auto-deleveraging";
  // liquidation/adl_queue.hpp): how many positions of its side come before
  // it, of how many, and the bucket 0..4 (4: the first fifth, deleveraged
  // first; Binance's adlQuantile, the "ADL light"). kNotFound for an
  // unknown account or market, or no position there. O(positions of the
  // side): a query.
  absl::StatusOr<liquidation::AdlRank> AdlRank(AccountId account, MarketId market) const;
  // PreviewOrder()
  //
  // What PlaceOrder would do, without doing it (see Preview). The margin
  // verdict is the one Apply would give, from the same code; the book's own
  // checks (duplicate ids, FOK, limits) are not run. There is no preview of
  // a CancelReplace: previewing its new order as a PlaceOrder counts the old
  // order as still resting (its margin, its liquidity, its id).
  // kNotFound for an unknown market or account.
  absl::StatusOr<Preview> PreviewOrder(const PlaceOrder& order) const;

  // CheckInvariants()
  //
  // For tests; O(state). Conservation (rule 4) exactly, open interest long
  // == short == the sum of positions per market, each position's order
  // ladders equal to the book's orders (every price level and running sum),
  // every book's invariants; no empty position record (each has a position
  // or open orders), each with the account's margin mode and leverage for
  // its market, and those choices kept sorted by market and only where they
  // differ from the defaults.
  absl::Status CheckInvariants() const;

  // EncodeCanonical() / Digest()
  //
  // A canonical byte encoding of the whole state: config, counters, totals,
  // markets by id (params, status, oracle, stats, book), accounts by id
  // (each with its creation index, balances, live position records by
  // market, then the margin mode and leverage chosen per market where not
  // the defaults, by market).
  // Digest() is its SHA-256 (BIP-340
  // tagged, tag "perpcore/engine"). Equal states give equal digests in every
  // process. O(state).
  void EncodeCanonical(std::string* out) const;
  std::array<std::uint8_t, 32> Digest() const;

 private:
  absl::Status CheckFraming(const Command& command) const;
  Result Process(const Command& command, EventSink& sink);

  std::unique_ptr<State> s_;
  std::vector<Event> events_;  // what Apply(command) returns a span of
};

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ENGINE_ENGINE_HPP_

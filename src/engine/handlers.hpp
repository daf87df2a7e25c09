// The command handlers. Each command C has a plan type and two functions:
//
//   Reason Validate(const State&, const C&, Plan*)  read-only; kOk and a
//                                                   filled plan, or why not
//   Outcome Apply(State&, const Plan&, EventSink&)  cannot be refused by the
//                                                   engine's rules
//
// so a rejected command changes nothing by construction. The one refusal
// Apply may still report is the order book's own (book/order_book.hpp:
// duplicate ids, FOK, post-only, capacity), which the book decides before it
// changes anything, and which Apply reports before the engine changes
// anything. (CancelReplace asks the book in Validate, with CheckPlace: its
// Apply cancels first, so it must not be refused after.) PreviewOrder runs ValidatePlace and a dry run of the same plan.
//
// A module adds its commands with a plan, a Validate/Apply pair in its own
// handler file, a line here, and an alternative of Payload.
#ifndef PERPCORE_SRC_ENGINE_HANDLERS_HPP_
#define PERPCORE_SRC_ENGINE_HANDLERS_HPP_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"

#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// Outcome: what Apply reports; filled/rested for orders.
struct Outcome {
  Reason reason = Reason::kOk;
  Lots filled;
  Lots rested;
};

// --- markets.cpp ---------------------------------------------------------
struct MarketPlan {
  const MarketParams* params = nullptr;
  MarketId market = 0;
  std::uint32_t market_slot = kNone;  // kNone for a new market
  std::int64_t atoms = 0;
  MarketStatus status = MarketStatus::kActive;
};
// CheckMarketParams(): every bound of MarketParams and the derived atoms per
// tick-lot; why: the field and rule for kInvalidMarketParams.
Reason CheckMarketParams(const EngineConfig& config, const MarketParams& p, std::int64_t* atoms,
                         std::string* why);
// MarketOpenInterestCap(): the market-wide open interest bound of valid
// params with `atoms` per tick-lot (MarketParams::max_market_open_interest,
// 0 read as floor(2^54 / (max_price * atoms))).
std::int64_t MarketOpenInterestCap(const MarketParams& p, std::int64_t atoms);
Reason Validate(const State& s, const CreateMarket& c, MarketPlan* plan);
Reason Validate(const State& s, const UpdateMarket& c, MarketPlan* plan);
Reason Validate(const State& s, const SetMarketStatus& c, MarketPlan* plan);
Outcome ApplyCreateMarket(State& s, const MarketPlan& plan, EventSink& sink);
Outcome ApplyUpdateMarket(State& s, const MarketPlan& plan, EventSink& sink);
Outcome ApplySetMarketStatus(State& s, const MarketPlan& plan, EventSink& sink);

// --- accounts.cpp --------------------------------------------------------
// One plan shape for the account family: the slots involved and the
// command's values, checked.
struct AccountPlan {
  std::uint32_t account_slot = kNone;
  std::uint32_t other_slot = kNone;   // transfer target
  std::uint32_t market_slot = kNone;
  std::int64_t amount = 0;
  std::uint32_t value = 0;            // fee tier, leverage
  MarginMode mode = MarginMode::kCross;
  SelfTradeScope scope = SelfTradeScope::kOwner;
  const CreateAccount* create = nullptr;
};
Reason Validate(const State& s, const CreateAccount& c, AccountPlan* plan);
Reason Validate(const State& s, const Deposit& c, AccountPlan* plan);
Reason Validate(const State& s, const Withdraw& c, AccountPlan* plan);
Reason Validate(const State& s, const Transfer& c, AccountPlan* plan);
Reason Validate(const State& s, const FundInsurance& c, AccountPlan* plan);
Reason Validate(const State& s, const SetFeeTier& c, AccountPlan* plan);
Reason Validate(const State& s, const SetSelfTradeScope& c, AccountPlan* plan);
Reason Validate(const State& s, const SetMarginMode& c, AccountPlan* plan);
Reason Validate(const State& s, const SetLeverage& c, AccountPlan* plan);
Reason Validate(const State& s, const AdjustIsolatedMargin& c, AccountPlan* plan);
Outcome ApplyCreateAccount(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplyDeposit(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplyWithdraw(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplyTransfer(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplyFundInsurance(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplySetFeeTier(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplySetSelfTradeScope(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplySetMarginMode(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplySetLeverage(State& s, const AccountPlan& plan, EventSink& sink);
Outcome ApplyAdjustIsolatedMargin(State& s, const AccountPlan& plan, EventSink& sink);

// --- orders.cpp ----------------------------------------------------------
struct OrderPlan {
  std::uint32_t market_slot = kNone, account_slot = kNone;
  book::OrderRequest request;      // PlaceOrder, CancelReplace: max_fill set for reduce-only
  book::AmendRequest amend;        // AmendOrder
  book::OrderView old;             // AmendOrder, CancelReplace: the order as it is
  OrderId order_id = 0;            // CancelOrder
  ClientOrderId client_id = 0;     // CancelByClientId
  bool all_markets = false;        // CancelAll with market 0
};
// RequestOf(): the book's request for a new order, before the engine sets
// max_fill (reduce-only) and stp_group (the account's scope).
book::OrderRequest RequestOf(const PlaceOrder& c);
Reason Validate(const State& s, const PlaceOrder& c, OrderPlan* plan);
Reason Validate(const State& s, const CancelOrder& c, OrderPlan* plan);
Reason Validate(const State& s, const CancelByClientId& c, OrderPlan* plan);
Reason Validate(const State& s, const CancelAll& c, OrderPlan* plan);
Reason Validate(const State& s, const AmendOrder& c, OrderPlan* plan);
Reason Validate(const State& s, const CancelReplace& c, OrderPlan* plan);
Outcome ApplyPlace(State& s, const OrderPlan& plan, EventSink& sink);
Outcome ApplyCancel(State& s, const OrderPlan& plan, EventSink& sink);
Outcome ApplyCancelByClientId(State& s, const OrderPlan& plan, EventSink& sink);
Outcome ApplyCancelAll(State& s, const OrderPlan& plan, EventSink& sink);
Outcome ApplyAmend(State& s, const OrderPlan& plan, EventSink& sink);
Outcome ApplyCancelReplace(State& s, const OrderPlan& plan, EventSink& sink);

// --- preview.cpp ---------------------------------------------------------
// PreviewPlace(): Validate(PlaceOrder) and a dry run of its plan. Requires
// the market and the account to exist (checked).
Preview PreviewPlace(const State& s, const PlaceOrder& c);

// DiscardSink: drops every event, for the dry runs on copies of accounts
// (PreviewOrder, a backstop's check before a takeover).
struct DiscardSink final : EventSink {
  void Emit(const Event&) override {}
};

// --- settlement.cpp ------------------------------------------------------
// Settle(): applies the events of the market's last book call to
// positions, balances and order aggregates, and emits the engine's events.
// taker_slot: the account of the call; taker_id: the incoming order of a
// placement (0 for cancels), whose own cancels were never counted as resting.
void Settle(State& s, std::uint32_t market_slot, std::uint32_t taker_slot, OrderId taker_id,
            EventSink& sink);
// TradePosition(): size, cost basis and realized PnL of a trade of delta
// lots at price (bookkeeping; the cash moves in the ledger). Returns the
// PnL realized.
std::int64_t TradePosition(const Market& m, Position& p, std::int64_t delta, std::int64_t price);
// TopUpIsolated(): after a fill that took an isolated position from
// old_size lots to its size: a closed position returns its whole bucket to
// cross cash; a grown (or flipped) one draws from cross cash whatever the
// bucket lacks to cover the position's initial requirement; a reduced one
// moves nothing (the bucket keeps its cash, as at Binance). Through the
// ledger; a no-op for a cross position.
// CancelLockedOrders(): cancels every resting order of the accounts the
// running command locked (ledger.hpp, the cash bound), with
// book::CancelReason::kAccountLocked, and empties the list. Run by the
// dispatcher after every command that locked one. O(orders of those
// accounts).
void CancelLockedOrders(State& s, EventSink& sink);
void TopUpIsolated(State* s, TimeNs now, const Market& m, Account& a, Position& p,
                   std::int64_t old_size, EventSink& sink);
// OffBookFill(): a trade of `delta` lots (the change of `from`'s position;
// `to`'s changes by -delta) at `price` between two accounts, off the book
// and without fees: what a fill does to both positions (funding settled
// first, cost basis, realized PnL, open interest, the funding
// counterparty's size, both trade legs through the ledger, the isolated
// top-ups and releases, empty records removed) but no order, no Fill
// event, no volume and no last trade: `describe` emits the caller's event
// (a backstop takeover, a deleveraging), after the trade legs and before
// the top-ups. keep_from: `from`'s isolated bucket
// and record stay, as a liquidated bucket does until its deficit is
// covered. Invalidates pointers to both accounts' records. O(records of
// the two accounts).
struct OffBookResult {
  std::int64_t from_realized = 0, to_realized = 0;
  std::int64_t from_position = 0, to_position = 0;  // after
};
OffBookResult OffBookFill(State& s, std::uint32_t market_slot, std::uint32_t from_slot,
                          std::uint32_t to_slot, std::int64_t delta, std::int64_t price,
                          bool keep_from, EventSink& sink,
                          absl::FunctionRef<void(const OffBookResult&)> describe);
// AddOrder(): lots (< 0: removed) of the position's open orders at price
// on side, in its ladder. O(price levels of the side). Inline: one call,
// not two, on every rest, cancel and fill.
inline void AddOrder(Position& p, Side side, std::int64_t price, std::int64_t lots) {
  if (side == Side::kBuy) {
    p.bids.Add(price, lots);
  } else {
    p.asks.Add(price, lots);
  }
}

// --- oracle_tick.cpp -----------------------------------------------------
struct OraclePlan {
  std::uint32_t market_slot = kNone;
  const OraclePrice* publish = nullptr;
  SourceId retire = 0;
};
Reason Validate(const State& s, const OraclePrice& c, OraclePlan* plan);
Reason Validate(const State& s, const TimeTick& c, OraclePlan* plan);
Outcome ApplyOraclePrice(State& s, const OraclePlan& plan, EventSink& sink);
Outcome ApplyTimeTick(State& s, const OraclePlan& plan, EventSink& sink);
Reason Validate(const State& s, const RetireSource& c, OraclePlan* plan);
Outcome ApplyRetireSource(State& s, const OraclePlan& plan, EventSink& sink);
// ImpactPrice(): the impact price of one side of the market's book at
// `notional` atoms (oracle::ImpactPrice over at most oracle::kImpactLevels
// levels); Ticks(0) if the side is too thin.
Ticks ImpactPrice(const Market& m, Side side, std::int64_t notional);

// --- funding_tick.cpp ----------------------------------------------------
// AdvanceFunding(): brings the market's funding to s.now
// (funding::Funding::Advance) and emits a FundingRateSet per interval it
// closed. sample: whether a premium sample may be taken — on time ticks
// only, so that no trader's command can time a sample. Requires
// FundingDue() or a time tick. O(1). walked: the impact prices the tick's
// oracle refresh just read at the funding's impact notional, if it did
// (the sample then walks nothing).
void AdvanceFunding(State& s, std::uint32_t market_slot, bool sample, EventSink& sink,
                    const oracle::BookPrices* walked = nullptr);
// CloseFunding(): an UpdateMarket that changes the funding parameters:
// advances with the old ones, then closes the running interval early
// (funding::Funding::Close()).
void CloseFunding(State& s, std::uint32_t market_slot, const funding::FundingParams& next,
                  EventSink& sink);
// SettleAccount(): a command that touches the account (a withdrawal or a
// transfer out): every market it has a position in advances if due, then
// each position's funding settles (ledger::SettleFunding), so the account's
// cash holds its funding at s.now. O(records of the account).
void SettleAccount(State& s, Account& a, EventSink& sink);
// SettlePosition(): the same for one position (an isolated-margin change).
void SettlePosition(State& s, Account& a, Position& p, EventSink& sink);

// --- liquidate.cpp -------------------------------------------------------
struct LiquidationPlan {
  std::uint32_t market_slot = kNone;  // kNone: a deficit cover only
  std::uint32_t account_slot = kNone, keeper_slot = kNone;
  bool isolated = false;
  liquidation::Health health = liquidation::Health::kHealthy;
  bool starts_cooldown = false;  // a partial size of the engine's choosing
  book::OrderRequest request;    // the IOC that closes the lots (none for a cover only)
  std::uint32_t backstop_slot = kNone;  // the market's backstop, if it may take
  std::int64_t takeover_lots = 0;       // > 0: the backstop takes them, no IOC
  std::int64_t takeover_equity = 0;     // and this equity share
  bool deleverage_first = false;  // bankrupt beyond the fund: ADL, then the IOC for the rest
};
// kAdlCounterpartiesPerCommand: the most ranked positions one Liquidate's
// deleveraging looks at (engine.hpp, "Auto-deleveraging").
inline constexpr std::size_t kAdlCounterpartiesPerCommand = 64;
Reason Validate(const State& s, const Liquidate& c, LiquidationPlan* plan);
Outcome ApplyLiquidate(State& s, const LiquidationPlan& plan, EventSink& sink);

// CoverCrossDeficit(): a cross account below zero with nothing left to
// close takes first what its isolated buckets can spare, then the insurance
// fund and the shortfall cover the rest (liquidate.cpp; also the final
// settlement's).
void CoverCrossDeficit(State& s, Account& a, EventSink& sink);
// HasCrossPosition(): the account has a cross position (size != 0).
bool HasCrossPosition(const Account& a);
// TradeOpenInterest(): the market's open interest after a position went
// from old_size to new_size lots (settlement.cpp).
void TradeOpenInterest(Market& m, std::int64_t old_size, std::int64_t new_size);

// --- settle_market.cpp ---------------------------------------------------
// kSettlementWorkPerCommand: the work one command spends settling records
// (positions, or orders without a position) of a settling market, a record
// counting one plus one per order it cancels; the command stops once it
// has reached it, so it does at most kSettlementWorkPerCommand - 1 +
// (1 + max_orders_per_account).
// kSettlementScanPerCommand: the most account slots one command looks at
// for them (each O(log records of the account)).
inline constexpr std::uint32_t kSettlementWorkPerCommand = 256;
inline constexpr std::uint32_t kSettlementScanPerCommand = 4096;
struct SettlePlan {
  std::uint32_t market_slot = kNone;
  Ticks price;
};
Reason Validate(const State& s, const SettleMarket& c, SettlePlan* plan);
Outcome ApplySettleMarket(State& s, const SettlePlan& plan, EventSink& sink);
// ContinueSettlement(): settles the next records of a settling market (at
// most the bounds above) and, when no account is left to look at, marks it
// settled (events::MarketSettled). A TimeTick naming the market runs it.
void ContinueSettlement(State& s, std::uint32_t market_slot, EventSink& sink);

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_HANDLERS_HPP_

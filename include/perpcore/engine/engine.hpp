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
//      rejected command returns its Reason, emits no event and leaves the
//      digest unchanged.
//   4. Conservation. Money is kept the way dYdX v4 keeps it: every account
//      (and every isolated bucket) holds cash, and a trade moves
//      price * size * atoms_per_tick_lot of cash from buyer to seller,
//      exactly. So, after every command,
//          sum(cash) + fee pool + insurance fund == deposits - withdrawals
//      with no rounding anywhere, and since long and short open interest
//      are equal, the mark value of all positions nets to zero: unrealized
//      PnL is zero-sum by construction. Cost basis, entry price and
//      realized PnL are bookkeeping on top of cash (what a user sees); they
//      never move money. Fees round up, rebates and referrer cuts down, and
//      the fee pool takes the remainders.
//   5. Bounded work: a command touches one market's book and the accounts of
//      the orders it matches; margin checks walk the positions of one
//      account (at most one per market). TimeTick with market 0 and cancel
//      all with market 0 are O(markets).
//   6. Host-supplied order: seq must be previous + 1, time must not go back.
//
// Margin (risk::TierTable for the tier arithmetic):
//   value(position) = size * mark * atoms_per_tick_lot; notional = |value|.
//   Cross equity = cross cash + sum of cross positions' values.
//   The worst case of open orders in a market is the larger, over the two
//   sides, of Initial(|size + all open lots of that side| * mark) plus the
//   loss those orders would realize against the mark if they all filled at
//   their limit prices (Binance's "open loss", netted per side: a bid
//   below the mark offsets one above it; O(1) from per-side aggregates).
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
//   Withdrawals, transfers out and isolated-margin removal go only up to
//   free collateral (equity - initial requirement with orders), so
//   unrealized profit is withdrawable only as far as the initial-margin
//   check allows, and nothing is withdrawable from an account below it.
//   Every market with a position must have a valid index for these.
//
// Place order checks, in order (the first failure is the Reason):
//   market exists; order.account exists; market not halted/delisted; reduce_only must be IOC/FOK and needs an
//   opposite position (it is clamped to its size via max_fill); in a
//   reduce-only market (or one whose breaker tripped) only reduce-only
//   orders; size in 1..max_order_size and price in 1..max_price
//   (book reasons kInvalidSize, kSizeAboveMax, kInvalidPrice, and
//   kPriceAboveMax); a non-reduce-only order needs an index (kNoIndexPrice),
//   keeps the account's worst-case exposure within max_open_interest
//   (kOpenInterestLimit) and passes the margin check (kInsufficientMargin);
//   then the book's checks (book/order_book.hpp).
// Events of an accepted order: the book's, in its order, with each fill
// carrying fees and both resulting positions; isolated top-ups and
// releases are folded into the fills (no separate event).
//
// Thread safety: not thread-safe. Copies are independent engines.
//
// Example:
//   Engine eng(EngineConfig{});
//   Result r = eng.Apply({.seq = 1, .timestamp = TimeNs(t),
//                         .payload = CreateMarket{.market = 1, .params = p}});
//   if (!r.ok()) std::puts(ReasonMessage(r.reason).data());
#ifndef PERPCORE_ENGINE_ENGINE_HPP_
#define PERPCORE_ENGINE_ENGINE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/oracle/oracle.hpp"
#include "perpcore/risk/margin.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// kMaxTotalDeposits: deposits minus withdrawals never exceed this (2^62
// atoms), which with the market bounds keeps every balance inside int64.
inline constexpr std::int64_t kMaxTotalDeposits = std::int64_t{1} << 62;

// Result
//
// reason == kOk iff the command was applied. events: what it caused, valid
// until the next Apply(). For orders, filled/rested as book::PlaceResult.
struct Result {
  Reason reason = Reason::kOk;
  std::span<const Event> events;
  Lots filled;
  Lots rested;
  bool ok() const { return reason == Reason::kOk; }
};

// Engine
//
// Not thread-safe.
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

  // Apply()
  //
  // Applies one command. See the file comment for the rules and the order
  // of checks. Complexity: see rule 5 above.
  Result Apply(const Command& command);

  // --- queries: none mutates -------------------------------------------
  std::uint64_t last_seq() const { return last_seq_; }
  TimeNs now() const { return now_; }
  Quote fee_pool() const { return Quote(fee_pool_); }
  Quote insurance_fund() const { return Quote(insurance_); }
  // Cumulative, so 128-bit: they only ever grow.
  absl::int128 total_deposits() const { return deposits_; }
  absl::int128 total_withdrawals() const { return withdrawals_; }
  const EngineConfig& config() const { return config_; }

  // Markets in id order.
  std::vector<MarketId> Markets() const;
  // Accounts in id order. O(accounts log accounts).
  std::vector<AccountId> Accounts() const;

  // Each of these: kNotFound for an unknown market or account.
  absl::StatusOr<MarketStats> Stats(MarketId market) const;
  absl::StatusOr<MarketParams> Params(MarketId market) const;
  absl::StatusOr<std::optional<book::LevelView>> Best(MarketId market, Side side) const;
  // The best out.size() levels of a side, best first; returns how many.
  absl::StatusOr<std::size_t> Depth(MarketId market, Side side,
                                    std::span<book::LevelView> out) const;
  absl::StatusOr<AccountSummary> Summary(AccountId account) const;
  // Live orders of an account, by market id then placement order.
  absl::StatusOr<std::vector<OpenOrder>> OpenOrders(AccountId account) const;

  // PreviewOrder()
  //
  // What PlaceOrder would do, without doing it (see Preview). The margin
  // verdict is the one Apply would give, from the same code; the book's own
  // checks (duplicate ids, FOK, limits) are not run.
  // kNotFound for an unknown market or account.
  absl::StatusOr<Preview> PreviewOrder(const PlaceOrder& order) const;

  // CheckInvariants()
  //
  // For tests; O(state). Conservation (rule 4) exactly, open interest long
  // == short == the sum of positions per market, order aggregates equal to
  // the books' orders, every book's invariants.
  absl::Status CheckInvariants() const;

  // EncodeCanonical() / Digest()
  //
  // A canonical byte encoding of the whole state: config, counters, totals,
  // markets by id (params, status, oracle, stats, book), accounts by id
  // (balances, positions by market). Digest() is its SHA-256 (BIP-340
  // tagged, tag "perpcore/engine"). Equal states give equal digests in every
  // process. O(state).
  void EncodeCanonical(std::string* out) const;
  std::array<std::uint8_t, 32> Digest() const;

 private:
  struct Position {
    MarketId market = 0;
    std::uint32_t market_slot = 0;
    MarginMode mode = MarginMode::kCross;
    std::uint32_t leverage = 1;
    std::int64_t size = 0;
    std::int64_t cost = 0;       // signed entry value, atoms
    std::int64_t realized = 0;   // cumulative realized PnL, atoms
    std::int64_t iso_cash = 0;   // isolated bucket, atoms
    std::int64_t bid_lots = 0, ask_lots = 0;
    absl::int128 bid_value = 0, ask_value = 0;  // sum price * lots of open orders
    std::uint32_t open_orders = 0;
  };
  struct Account {
    AccountId id = 0;
    OwnerId owner = 0;
    std::int64_t cash = 0;  // cross cash, atoms
    std::uint32_t fee_tier = 0;
    AccountId referrer = 0;
    std::vector<Position> positions;  // sorted by market id
  };
  struct Market {
    MarketId id = 0;
    MarketParams params;
    std::int64_t atoms = 1;  // atoms_per_tick_lot
    risk::TierTable tiers;
    book::OrderBook book;
    oracle::PriceFeed feed;
    MarketStatus status = MarketStatus::kActive;
    Ticks mark{0};  // the last valid mark
    Ticks last_trade{0};
    std::int64_t oi_long = 0, oi_short = 0;
    std::int64_t volume = 0;
    std::int64_t notional_volume = 0;  // saturates at INT64_MAX
  };

  // The margin state of one account: cross part and each isolated bucket's
  // claim on it. All in atoms, 128-bit so sums cannot overflow.
  struct Risk {
    absl::int128 equity = 0;           // cross
    absl::int128 initial = 0;          // cross positions
    absl::int128 initial_with_orders = 0;  // + worst case orders + isolated draws
    absl::int128 maintenance = 0;      // cross positions
    bool missing_price = false;        // a position's market has no index
  };
  // A hypothetical change to one market's open orders, for checks.
  struct OrderDelta {
    std::uint32_t market_slot = 0;
    std::int64_t bid_lots = 0, ask_lots = 0;
    absl::int128 bid_value = 0, ask_value = 0;
    absl::int128 fee = 0;  // charged against the market's bucket
    std::uint32_t leverage = 0;  // 0: unchanged
  };

  Result Reject(Reason r) { return Result{r, {}, Lots(0), Lots(0)}; }
  Result Accept() { return Result{Reason::kOk, events_, Lots(0), Lots(0)}; }

  Result Do(const CreateMarket& c);
  Result Do(const UpdateMarket& c);
  Result Do(const SetMarketStatus& c);
  Result Do(const CreateAccount& c);
  Result Do(const Deposit& c);
  Result Do(const Withdraw& c);
  Result Do(const Transfer& c);
  Result Do(const FundInsurance& c);
  Result Do(const SetFeeTier& c);
  Result Do(const SetMarginMode& c);
  Result Do(const SetLeverage& c);
  Result Do(const AdjustIsolatedMargin& c);
  Result Do(const PlaceOrder& c);
  Result Do(const CancelOrder& c);
  Result Do(const CancelByClientId& c);
  Result Do(const CancelAll& c);
  Result Do(const AmendOrder& c);
  Result Do(const OraclePrice& c);
  Result Do(const TimeTick& c);

  Reason CheckMarketParams(const MarketParams& p, std::int64_t* atoms, std::string* why) const;
  std::uint32_t FindMarket(MarketId id) const;
  std::uint32_t FindAccount(AccountId id) const;
  const Position* FindPosition(const Account& a, MarketId market) const;
  // The account's record for a market, created (with the market's default
  // leverage, cross) if it has none.
  Position& GetPosition(Account& a, std::uint32_t market_slot) const;
  std::uint32_t EffectiveLeverage(const Market& m, const Position& p) const;

  Risk Evaluate(const Account& a, const OrderDelta* delta) const;
  // The worst-case initial requirement plus open loss of one position with
  // its open orders (and a hypothetical delta), at the market's mark; the
  // Scaled form is the same before its one rounding (times 10^18).
  absl::int128 WorstCase(const Market& m, const Position& p, const OrderDelta* delta) const;
  absl::int128 WorstCaseScaled(const Market& m, const Position& p, const OrderDelta* delta) const;
  // Calls fn(position, delta-or-null) for each position with size or open
  // orders, and for the delta's market even without a record yet.
  template <class Fn>
  void ForEachActive(const Account& a, const OrderDelta* delta, Fn&& fn) const;
  Reason CheckOrderRisk(const Account& a, const OrderDelta& delta) const;
  absl::int128 FreeCollateral(const Risk& r) const;
  Quote TakerFee(const Market& m, const Account& a, absl::int128 notional) const;
  Rate EffectiveRate(Rate rate, std::uint32_t fee_tier) const;

  struct OrderPlan {
    std::uint32_t market_slot = 0, account_slot = 0;
    book::OrderRequest request;
  };
  Reason ValidatePlace(const PlaceOrder& c, OrderPlan* plan) const;
  // Applies the book events of the last book call to positions, balances
  // and aggregates, and translates them into engine events. taker_id: the
  // incoming order of a placement (0 for cancels), whose own cancels were
  // never counted as resting.
  void Settle(std::uint32_t market_slot, std::uint32_t taker_slot, OrderId taker_id);
  void SettleFill(Market& m, const book::Event& e, std::uint32_t taker_slot, Event* out);
  void ApplyTrade(Market& m, Account& a, Position& p, std::int64_t delta_lots,
                  std::int64_t price, std::int64_t* realized);
  static void TradePosition(Position& p, std::int64_t& cross_cash, std::int64_t delta_lots,
                            std::int64_t price, std::int64_t atoms, std::int64_t* realized);
  void TopUpIsolated(const Market& m, Account& a, Position& p);
  void AddOrder(Position& p, Side side, std::int64_t price, std::int64_t lots);
  void RemoveOrder(Position& p, Side side, std::int64_t price, std::int64_t lots);
  void RefreshOracle(std::uint32_t market_slot);
  PositionView View(const Market& m, const Position& p, const Risk& r) const;
  risk::LiquidationPrice Liquidation(const Market& m, const Position& p, const Risk& r) const;
  bool IsReduceOnly(const Market& m) const;

  EngineConfig config_;
  std::uint64_t last_seq_ = 0;
  TimeNs now_{0};
  std::int64_t fee_pool_ = 0;
  std::int64_t insurance_ = 0;
  absl::int128 deposits_ = 0;
  absl::int128 withdrawals_ = 0;

  std::vector<Market> markets_;
  std::vector<std::uint32_t> market_order_;  // slots of markets_ by market id
  std::vector<Account> accounts_;
  // Lookup only; never iterated into events or the encoding.
  absl::flat_hash_map<MarketId, std::uint32_t> market_index_;
  absl::flat_hash_map<AccountId, std::uint32_t> account_index_;

  std::vector<Event> events_;
};

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ENGINE_ENGINE_HPP_

// The engine's state as plain data, shared by every handler file. Not a
// public header: nothing outside src/engine/ includes it.
//
// Ownership of the fields: cash (Account::cash, Position::iso_cash,
// State::fee_pool, insurance, deposits, withdrawals) is written only by
// ledger.cpp; everything else by the handler of the command family that
// owns it (markets.cpp, accounts.cpp, orders.cpp + settlement.cpp,
// oracle_tick.cpp).
#ifndef PERPCORE_SRC_ENGINE_STATE_HPP_
#define PERPCORE_SRC_ENGINE_STATE_HPP_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/numeric/int128.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/detail/chunked_vector.hpp"
#include "perpcore/detail/slot_index.hpp"
#include "perpcore/engine/engine.hpp"
#include "perpcore/fees/fees.hpp"
#include "perpcore/funding/funding.hpp"
#include "perpcore/liquidation/adl_queue.hpp"
#include "perpcore/liquidation/candidate_index.hpp"
#include "perpcore/oracle/oracle.hpp"
#include "perpcore/risk/margin.hpp"
#include "perpcore/risk/order_ladder.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;
inline constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();
inline constexpr std::uint8_t kUnkeyed = 0xFF;

// Position
//
// An account's live record for one market: the position, its open orders
// per side aggregated by price (the ladders: 24 bytes each inline, heap only
// for a side with two or more prices; see perpcore/risk/order_ladder.hpp),
// and a copy of the account's choices there (MarketPref) for the margin
// check. A record exists only while it is live, with a position (size != 0)
// or open orders: it is made on first use from the account's MarketPref
// (NewPosition) and removed as soon as it is empty again (RemoveIfEmpty:
// after the fills and cancels that empty it), so margin checks, summaries
// and the encoding walk live records only. An isolated bucket exists only
// with a position (closing releases it).
struct Position {
  MarketId market = 0;
  std::uint32_t market_slot = 0;
  MarginMode mode = MarginMode::kCross;
  std::uint32_t leverage = 0;  // as chosen; 0: not chosen (the market's max)
  std::int64_t size = 0;
  std::int64_t cost = 0;       // signed entry value, atoms
  std::int64_t realized = 0;   // realized by reducing this position since it opened
  std::int64_t iso_cash = 0;   // isolated bucket, atoms (ledger only)
  // The market's funding index this position's funding was last settled at
  // (ledger::SettleFunding); its pending funding is funding::Owed() from
  // here to the market's index (valuation.hpp).
  absl::int128 funding_index = 0;
  // Liquidation (liquidation_index.hpp): the time of the last partial
  // liquidation of this position (the chunk cooldown; Min: none); and, while
  // the position is keyed in its market's candidate index, its floor
  // (atoms: the entry fires when the position's part of its account's
  // health may have fallen below it), the size its tier exit was placed for
  // and the index that holds it (LiquidationIndex::by[liq_slot]; kUnkeyed:
  // none).
  // The warning family likewise (liquidation_index.hpp): the floor of its
  // entry and the index that holds it (LiquidationIndex::warn[warn_slot]).
  TimeNs last_partial = TimeNs::Min();
  absl::int128 liq_floor = 0;
  absl::int128 warn_floor = 0;
  std::int64_t liq_exit_lots = 0;  // the size its tier exit was placed for
  std::uint8_t liq_slot = kUnkeyed;
  std::uint8_t warn_slot = kUnkeyed;
  risk::BidLadder bids;  // open orders' remaining lots by price
  risk::AskLadder asks;
  std::uint32_t open_orders = 0;
};

// MarketPref
//
// An account's choices for one market, kept whether or not it has a record
// there. Stored only where they differ from the defaults: cross, leverage 0
// (not chosen: a position takes the market's max_leverage, whatever it is
// then). SetMarginMode and SetLeverage write them; NewPosition applies them.
struct MarketPref {
  MarketId market = 0;
  MarginMode mode = MarginMode::kCross;
  std::uint32_t leverage = 0;
  bool IsDefault() const { return mode == MarginMode::kCross && leverage == 0; }
};

struct Account {
  AccountId id = 0;
  // Its index in State::accounts (accounts never move): the liquidation
  // candidate indexes key it by this, so that a candidate needs no lookup.
  std::uint32_t slot = 0;
  OwnerId owner = 0;
  std::int64_t cash = 0;  // cross cash, atoms (ledger only)
  std::uint32_t fee_tier = 0;
  AccountId referrer = 0;
  SelfTradeScope stp_scope = SelfTradeScope::kOwner;
  // A bucket went beyond the cash bound (ledger.hpp): no orders until a
  // money command brings every bucket back within it.
  bool cash_locked = false;
  // Warning state (events::MarginWarning, margin_warning.hpp): the cross
  // account's, and the markets of the isolated buckets that are, as last
  // classified, at warning or worse (sorted; kept on the account, not the
  // bucket's record, so that a bucket released while warned is still
  // cleared by an event).
  bool warned = false;
  std::vector<MarketId> warned_buckets;
  std::vector<Position> positions;  // live records, sorted by market id
  std::vector<MarketPref> prefs;    // non-default choices, sorted by market id
};

// LiquidationIndex
//
// A market's liquidation candidates (liquidation_index.hpp, engine.hpp
// Liquidatable()): per margin tier t, by[2t] holds the tier's longs and
// by[2t + 1] its shorts, keyed in X_t = mark * atoms * (1e18 -+ rate_t) -
// funding index; `above` holds each keyed position's tier exit in price
// (fires when the mark takes its notional to the next tier's floor). The
// margin warnings' entries: warn[2t], warn[2t + 1] the "enter" family (of
// targets not warned), warn[2T + 2t], warn[2T + 2t + 1] the "clear" family
// (of warned targets), T tiers. Ids are account slots (Account::slot; one
// record per account and market).
struct LiquidationIndex {
  std::vector<liquidation::CandidateIndex> by;
  liquidation::CandidateIndex above{0};
  std::vector<liquidation::CandidateIndex> warn;
  // The warning index a tick services first (ServiceWarnings()).
  std::uint32_t warn_cursor = 0;
};

struct Market {
  MarketId id = 0;
  MarketParams params;
  std::int64_t atoms = 1;  // atoms_per_tick_lot
  std::int64_t oi_cap = 0;  // MarketOpenInterestCap(params, atoms), kept with params
  risk::TierTable tiers;
  book::OrderBook book;
  oracle::PriceFeed feed;
  MarketStatus status = MarketStatus::kActive;
  Ticks mark{0};        // the last valid mark
  Ticks last_index{0};  // the last valid index; 0: never had one
  Ticks last_trade{0};
  std::int64_t oi_long = 0, oi_short = 0;
  std::int64_t volume = 0;           // saturates at INT64_MAX
  std::int64_t notional_volume = 0;  // saturates at INT64_MAX
  // Funding (funding/funding.hpp): the clock, the cumulative index and the
  // rates. The pool holds what settled payers paid and settled receivers
  // have not taken (ledger only; negative when receivers settled first);
  // carry: settlement rounding below one atom, in index units, not yet moved
  // to State::funding_residual (ledger.hpp, "Funding").
  funding::Funding funding;
  funding::RateHistory funding_history;
  absl::int128 funding_pool = 0;
  std::int64_t funding_carry = 0;
  // The liquidation candidate indexes (liquidation_index.cpp): derived from
  // the positions, never encoded.
  LiquidationIndex liq;
  // Every position of the market in its auto-deleveraging ranking (adl.cpp;
  // derived from the positions, kept by RekeyDirty).
  liquidation::AdlQueue adl;
  // Final settlement of a delisted market (settle_market.cpp, engine.hpp
  // "Final settlement"): the phase, the settlement price, the next account
  // slot to settle, and the settlement pool (ledger only): what the
  // positions closed so far received (< 0) or paid at the settlement price,
  // exactly (oi_long - oi_short) * settle_price * atoms while settling (the
  // positions still open owe it), 0 once settled. Canonical: encoded.
  SettlementPhase settlement = SettlementPhase::kNone;
  Ticks settle_price{0};
  std::uint32_t settle_cursor = 0;
  absl::int128 settlement_pool = 0;
  // The funding counterparty's position here (params.funding.counterparty;
  // 0 without one), kept by the fills that change it so that the skew needs
  // no account lookup (derived: CheckInvariants recomputes it).
  std::int64_t counterparty_size = 0;

  // IndexUsable(): the index may value positions and admit new risk at
  // `now`: there is one, the sources it was computed from are all still
  // fresh and the mark is within max_mark_age (oracle.hpp, usable_until();
  // -1 without an index, so one comparison decides). Everything that relies
  // on the index asks this, never the feed.
  bool IndexUsable(TimeNs now) const { return now <= feed.usable_until(); }
  // IndexRefusal(): why the index is not usable at `now` (cold path):
  // kNoIndexPrice if the last Refresh found none, else kIndexStale.
  Reason IndexRefusal(TimeNs now) const {
    if (IndexUsable(now)) return Reason::kOk;
    return feed.index().raw() == 0 ? Reason::kNoIndexPrice : Reason::kIndexStale;
  }
  fees::MarketFees Fees() const { return {params.taker_fee, params.maker_fee}; }
  // A tripped breaker makes an active market reduce-only until it clears.
  bool ReduceOnly() const { return status == MarketStatus::kReduceOnly || feed.breaker(); }
  bool Halted() const {
    return status == MarketStatus::kHalted || status == MarketStatus::kDelisted;
  }
  // Settling or settled: no order of any kind (reduce-only included).
  bool Settling() const { return settlement != SettlementPhase::kNone; }
};

// FundingDue(): whether the market's funding must advance to `now` before
// a position there changes size: an interval ended, or continuous payment
// has time to accrue. Delisted markets are frozen (no funding accrues).
inline bool FundingDue(const Market& m, TimeNs now) {
  if (m.status == MarketStatus::kDelisted) return false;
  if (m.funding.interval_end() <= now) return true;
  const funding::FundingParams& f = m.params.funding;
  return f.payment == funding::FundingPayment::kContinuous &&
         f.model != funding::FundingModel::kNone && m.funding.advanced_to() < now;
}

// FundingMarginGap(): the first tier's initial - maintenance margin
// fraction, initial = 1 / max_leverage rounded down (so a cap it scales is
// never above the exact one): the funding cap's base under
// funding::CapMode::kMarginMultiple.
inline Rate FundingMarginGap(const MarketParams& p) {
  const risk::MarginTier& t = p.tiers.front();
  return Rate(kRateScale / t.max_leverage - t.maintenance_rate.raw());
}

// FundingInputs(): what the market shows the funding module at `now`: the
// index if usable (else 0), the mark, the open interest without the
// funding counterparty's position, the first tier's initial - maintenance
// fraction; the impact prices only when `sample` and a sample is due (the
// book walk is paid for only then, and not at all when `walked` has them;
// funding_tick.cpp). book_open: `sample` and the market not halted.
funding::Inputs FundingInputs(const Market& m, TimeNs now, bool sample,
                              const oracle::BookPrices* walked = nullptr);

// FundingIndexAt(): the market's funding index at `now`: the index as it
// stands, or, when funding is due (an interval ended, or continuous funding
// has time to accrue), the index the advance will leave
// (funding::Funding::IndexAt), so that every valuation before the advance
// (a margin check, a withdrawal's validation, a preview, a summary) counts
// the funding of the command's time. O(1).
inline absl::int128 FundingIndexAt(const Market& m, TimeNs now) {
  if (!FundingDue(m, now)) return m.funding.index();
  return m.funding.IndexAt(m.params.funding, FundingInputs(m, now, false));
}

// State
//
// Everything a command reads or writes. Lookups go through the slot
// indexes; every iteration that reaches events or the encoding goes through
// market_order (by id) or a sort.
//
// Bounded growth (DESIGN.md rule 5): no command pays for the size of the
// state when a container grows. The market containers are reserved for
// config.max_markets (<= 1024) up front. Accounts (up to 2^24: too many to
// reserve) live in a chunked vector that never moves an account, and their
// index grows incrementally (detail/chunked_vector.hpp, slot_index.hpp).
// An account's own lists (positions, prefs) are bounded by the markets, and
// the books' pools and indexes grow incrementally too. The indexes are
// SlotIndexes rather than Abseil maps also because a failed allocation
// leaves a SlotIndex consistent, where Debian's Abseil (20220623) leaves a
// flat_hash_map whose destructor crashes (abseil/abseil-cpp#1581): the
// market index's reservation runs when an engine is made, and a poisoned
// engine must still be destroyed cleanly.
struct State {
  explicit State(const EngineConfig& c) : config(c) { Reserve(); }

  // Reserve(): the room the bounds above rely on (a copy has only what it
  // holds; Engine's copy calls this again).
  void Reserve() {
    markets.reserve(config.max_markets);
    market_order.reserve(config.max_markets);
    market_index.Reserve(config.max_markets);
    accounts.reserve_chunk_table(config.max_accounts);
  }

  EngineConfig config;
  std::uint64_t last_seq = 0;
  TimeNs now{0};
  // Set while a command runs; still set when a command was interrupted by
  // an exception, which poisons the engine.
  bool in_command = false;
  // Accounts locked by the running command, whose resting orders go at its
  // end (ledger.hpp); empty between commands, never encoded.
  std::vector<AccountId> newly_locked;
  std::int64_t fee_pool = 0;
  std::int64_t insurance = 0;
  absl::int128 funding_residual = 0;  // ledger only: FundingResidual events
  // Liquidation deficits nobody covered (ledger only: Shortfall events);
  // conservation counts it with a minus sign (engine.hpp rule 4).
  absl::int128 shortfall = 0;
  // (account, market slot or kNone) pairs whose health inputs the
  // running command changed (ledger.hpp: every cash or size move marks one);
  // their candidate entries are re-keyed at its end (RekeyDirty()). Empty
  // between commands, never encoded.
  std::vector<std::pair<Account*, std::uint32_t>> liq_dirty;
  // Scratch of the re-keying (liquidation_index.cpp), kept for its capacity.
  std::vector<Position*> liq_scratch;
  std::vector<std::uint64_t> adl_scratch;  // a deleveraging's ranked picks (liquidate.cpp)
  std::vector<absl::int128> liq_kept;
  // The fired entries a tick takes (ServiceWarnings()), kept for its
  // capacity.
  std::vector<liquidation::CandidateEntry> warn_fired;
  // Cross accounts with negative cash and no cross position: liquidatable
  // (Liquidate covers their deficit) with nothing for an index to key.
  absl::btree_set<AccountId> debtors;
  // The account a Liquidate is closing, while its order settles (kNone
  // otherwise): an isolated bucket it empties stays until the fee and the
  // deficit are settled (settlement.cpp).
  std::uint32_t liquidating = kNone;
  absl::int128 deposits = 0;
  absl::int128 withdrawals = 0;

  std::vector<Market> markets;
  std::vector<std::uint32_t> market_order;  // slots of markets by market id
  detail::ChunkedVector<Account> accounts;
  // Lookup only; never iterated into events or the encoding.
  detail::SlotIndex market_index;   // MarketHash(id) -> slot in markets
  detail::SlotIndex account_index;  // AccountHash(id) -> slot in accounts

  fees::Schedule FeeSchedule() const {
    return {config.fee_tier_discounts, config.referrer_share};
  }
  std::uint32_t FindMarket(MarketId id) const {
    return market_index.Find(MarketHash(id),
                             [&](std::uint32_t slot) { return markets[slot].id == id; });
  }
  std::uint32_t MarketHash(MarketId id) const {
    return detail::Hash32(id.value(), config.hash_seed ^ 0x6d61726b657473ULL);
  }
  std::uint32_t AccountHash(AccountId id) const {
    return detail::Hash32(id.value(), config.hash_seed ^ 0x6163636f756e7473ULL);
  }
  std::uint32_t FindAccount(AccountId id) const {
    return account_index.Find(AccountHash(id),
                              [&](std::uint32_t slot) { return accounts[slot].id == id; });
  }
};

// MarkDirty(): the running command changed the account's cash or its
// position in the market (market_slot; kNone: cash only), so its candidate
// entries are re-keyed at the command's end (liquidation_index.hpp). Accounts
// never move (a ChunkedVector), so the pointer stays valid.
inline void MarkDirty(State& s, Account& a, std::uint32_t market_slot) {
  s.liq_dirty.emplace_back(&a, market_slot);
}

// FindPosition(): the account's record for a market, or null.
const Position* FindPosition(const Account& a, MarketId market);
Position* FindPosition(Account& a, MarketId market);

// PrefOf(): the account's choices for a market (the defaults if none).
MarketPref PrefOf(const Account& a, MarketId market);

// SetPref(): stores the account's choices for pref.market, or drops them
// when they are the defaults.
void SetPref(Account& a, const MarketPref& pref);

// NewPosition(): the record an account gets when it first needs one in a
// market, with its MarketPref applied; not inserted anywhere.
Position NewPosition(const Account& a, const Market& m, std::uint32_t market_slot);

// InsertPosition(), ErasePosition(): the slow paths of GetPosition() and
// RemoveIfEmpty(), out of line so that the inline fast paths stay small on
// the order path (instruction cache).
Position& InsertPosition(const State& s, Account& a, std::uint32_t market_slot);
void ErasePosition(Account& a, Position& p);

// GetPosition(): the account's record for a market, created if it has none.
// Invalidates pointers to the account's other records.
inline Position& GetPosition(const State& s, Account& a, std::uint32_t market_slot) {
  Position* p = FindPosition(a, s.markets[market_slot].id);
  return p != nullptr ? *p : InsertPosition(s, a, market_slot);
}

// RemoveIfEmpty(): removes the record if it holds nothing (no position, no
// open orders; checked: no isolated bucket). Invalidates `p` and pointers
// to the account's other records when it does. O(records of the account).
inline void RemoveIfEmpty(Account& a, Position& p) {
  if (p.size == 0 && p.open_orders == 0) ErasePosition(a, p);
}

// EffectiveLeverage(): the record's leverage (the market's max_leverage if
// not chosen), capped by the market's current max_leverage (which an update
// may lower).
inline std::uint32_t EffectiveLeverage(const Market& m, std::uint32_t setting) {
  const std::uint32_t max = m.params.max_leverage;
  return setting == 0 ? max : std::min(setting, max);
}
inline std::uint32_t EffectiveLeverage(const Market& m, const Position& p) {
  return EffectiveLeverage(m, p.leverage);
}

inline absl::int128 Abs(absl::int128 v) { return v < 0 ? -v : v; }

// ToQuote(): a requirement or notional as Quote, saturating: anything beyond
// int64 is a requirement no account can meet, which is the safe reading.
inline Quote ToQuote(absl::int128 v) {
  if (v > kMaxI64) return Quote::Max();
  if (v < -kMaxI64) return Quote(-kMaxI64);
  return Quote(static_cast<std::int64_t>(v));
}

template <class E>
constexpr std::uint8_t Raw(E e) {
  return static_cast<std::uint8_t>(e);
}

inline bool IsImmediate(const book::OrderRequest& o) {
  return o.type == OrderType::kMarket || o.tif == TimeInForce::kIoc ||
         o.tif == TimeInForce::kFok;
}

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_STATE_HPP_

// Allocation failures inside Engine::Apply (DESIGN.md rule 3): the engine
// poisons itself. This executable replaces the global operator new
// (tests/support/failing_new.cpp), so that every allocation a command makes
// can be made to throw std::bad_alloc in turn.
//
// Each sweep builds the same engine afresh, counts the allocations the
// command makes in a clean run (A), then for n = 0..A-1 fails the n-th one.
// Every such run must throw bad_alloc out of Apply() and leave the engine
// poisoned: poisoned() is true, every later Apply() is refused with
// kFailedPrecondition "engine poisoned: ..." and changes nothing, every
// query answers without crashing (the state may be half-applied, so their
// answers are not checked), and the engine, a copy and a move of it are
// destroyed cleanly: every block they allocated comes back (counted by the
// allocator itself, so in every build; under the sanitizer build ASan and
// LeakSanitizer watch too). With n = A the command completes as in the
// clean run. Where an Abseil container is not exception-safe, the sweeps
// step around it; the KNOWN DEFECT tests at the end show what happens there.
//
// Where the allocations are (Release build; the counts depend on the
// library's capacities, so only "some" and "none" are asserted):
//   CreateMarket: the book (order, level and account pools, its slot
//     indexes, the event buffer, the node pool behind its two ladders), the
//     margin tier table and the parameters' tier list. The markets, their
//     id order and index are reserved for max_markets when the engine is
//     made, so they never grow in a command.
//   CreateAccount: a chunk of the accounts every 1,024 accounts (the 1st,
//     the 1,025th, ...), and the account index's incremental growth (its
//     13th, 25th, 49th, ... entry starts one: a page-pointer list and a
//     first page; inserts while it drains may write a new page).
//   PlaceOrder: the account's position record (first order or fill in a
//     market, while its list of records is below its high-water mark), the
//     ladder node of a new price level and the node pool's free-list table,
//     the block of the position's order ladder when a side of the account's
//     orders gets its second price or outgrows the block's capacity (4
//     prices, doubling; risk/order_ladder.hpp), and the book's and the
//     engine's event buffers beyond 64 events.
//   AmendOrder to a new price: the ladder node of the new level, and the
//     position's ladder block as for PlaceOrder.
//   OraclePrice from a new source: the source list.
//   SetLeverage / SetMarginMode: the account's list of choices (its first
//     non-default one beyond its capacity).
//   CancelAll over every market: the list of the account's market slots.
//   UpdateMarket: the new parameters (their tier table) and the book's
//     limits.
//   Deposit, Withdraw, TimeTick, Transfer, FundInsurance, SetFeeTier,
//   SetSelfTradeScope, SetMarketStatus, AdjustIsolatedMargin,
//   CancelByClientId, a CancelReplace that reuses its level's ladder node,
//   an OraclePrice from a known source, a market order that fills a level
//   and every command refused by its Validate() make none, except a
//   CreateMarket or UpdateMarket with invalid parameters, whose Validate()
//   builds the message of the reason. A cancel or fill that frees a book's
//   record while one of its indexes grows may allocate a page of the index
//   (detail/slot_index.hpp); no sweep here reaches one.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/engine/engine.hpp"
#include "support/child_process.hpp"
#include "support/failing_new.hpp"

namespace perpcore::engine {
namespace {

using testing::AllocationFailure;
using testing::AllocationFailureFired;
using testing::AllocationsSinceArmed;
using testing::LiveAllocations;

constexpr std::int64_t kUsd = 1'000'000;  // atoms per USD
constexpr std::int64_t kBtc = 1'000;      // lots per BTC
constexpr std::int64_t kT0 = 1'000'000'000;
constexpr Ticks Usd(std::int64_t dollars) { return Ticks(dollars * 10); }

// What a CreateMarket or UpdateMarket carries.
std::shared_ptr<const MarketParams> Shared(MarketParams p) {
  return std::make_shared<const MarketParams>(std::move(p));
}

// BTC-USD as in engine_test.cpp: 0.1 USD ticks, 0.001 BTC lots.
MarketParams Btc() {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.tick_size = {1, -1};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(100 * kBtc);
  p.max_open_interest = Lots(1'000 * kBtc);
  p.max_price = Usd(1'000'000);
  p.max_leverage = 20;
  p.tiers = {{Quote(0), 20, Rate(kRateScale / 100)}};
  p.oracle.min_sources = 1;
  return p;
}

// Builds an engine with commands that must be accepted. It uses no Catch
// macro (a sweep counts live allocations around it): `failed` names the
// first command that was not accepted, for the caller to check.
struct Builder {
  Engine eng{EngineConfig{}};
  std::string_view failed;

  Command Next(Payload p) const { return Command{eng.last_seq() + 1, TimeNs(kT0), std::move(p)}; }
  void Ok(Payload p) {
    const absl::StatusOr<Result> r = eng.Apply(Next(std::move(p)));
    if (failed.empty() && !r.ok()) failed = "a framing error";
    if (failed.empty() && !r->ok()) failed = ReasonName(r->reason);
  }
  void Market(MarketId id) {
    Ok(CreateMarket{.market = id, .params = Shared(Btc())});
    Ok(OraclePrice{.market = id, .source = 1, .price = Usd(30'000), .publish_time = TimeNs(kT0)});
  }
  void Account(AccountId id, std::int64_t usd) {
    Ok(CreateAccount{.account = id, .owner = OwnerId(id.value())});
    if (usd > 0) Ok(Deposit{.account = id, .amount = Quote(usd * kUsd)});
  }
  void Order(MarketId market, AccountId account, OrderId id, Side side, Ticks price, Lots size) {
    Ok(PlaceOrder{.market = market,
                  .account = account,
                  .order_id = id,
                  .side = side,
                  .price = price,
                  .size = size});
  }
};

PlaceOrder Limit(MarketId market, AccountId account, OrderId id, Side side, Ticks price,
                 Lots size) {
  return PlaceOrder{.market = market,
                    .account = account,
                    .order_id = id,
                    .side = side,
                    .price = price,
                    .size = size};
}

std::string Encoding(const Engine& eng) {
  std::string bytes;
  eng.EncodeCanonical(&bytes);
  return bytes;
}

// Every query, on every market and account the engine knows, for the
// effect only: on a half-applied state their answers mean little, but none
// may crash (or, under the sanitizers, touch memory it should not).
void RunEveryQuery(const Engine& eng) {
  (void)eng.last_seq();
  (void)eng.now();
  (void)eng.fee_pool();
  (void)eng.insurance_fund();
  (void)eng.total_deposits();
  (void)eng.total_withdrawals();
  (void)eng.config();
  const std::vector<MarketId> markets = eng.Markets();
  const std::vector<AccountId> accounts = eng.Accounts();
  std::array<book::LevelView, 8> levels{};
  for (MarketId m : markets) {
    (void)eng.Stats(m);
    (void)eng.Params(m);
    for (Side side : {Side::kBuy, Side::kSell}) {
      (void)eng.Best(m, side);
      (void)eng.Depth(m, side, levels);
    }
  }
  for (AccountId a : accounts) {
    (void)eng.Summary(a);
    (void)eng.OpenOrders(a);
    for (MarketId m : markets) {
      (void)eng.PreviewOrder(Limit(m, a, 999'999, Side::kBuy, Usd(30'000), Lots(1)));
    }
  }
  (void)eng.CheckInvariants();  // may well report the half-applied state
  (void)Encoding(eng);
  (void)eng.Digest();
}

// A sink that keeps nothing and counts what it was given.
struct CountingSink final : EventSink {
  void Emit(const Event&) override { ++events; }
  int events = 0;
};

void CheckRefused(const absl::StatusOr<Result>& r) {
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(r.status().message()), Catch::StartsWith("engine poisoned"));
}

// What a poisoned engine must do: refuse every command, whatever its
// framing, in both forms of Apply(), without changing anything; answer its
// queries; copy, move and destroy cleanly.
void CheckPoisoned(Engine& eng) {
  REQUIRE(eng.poisoned());
  const std::string frozen = Encoding(eng);
  const std::uint64_t last = eng.last_seq();
  const std::int64_t now = eng.now().raw();
  const std::vector<Command> later = {
      {last + 1, TimeNs(now), Deposit{.account = 1, .amount = Quote(kUsd)}},
      {last + 1, TimeNs(now + 1), CreateMarket{.market = 77, .params = Shared(Btc())}},
      {last + 1, TimeNs(now), CreateAccount{.account = 77, .owner = 77}},
      {last + 1, TimeNs(now), Limit(1, 1, 77, Side::kBuy, Usd(29'000), Lots(1))},
      {last + 1, TimeNs(now), TimeTick{.market = 0}},
      {last + 1, TimeNs(now), CancelAll{.market = 0, .account = 1}},
      {last + 3, TimeNs(now), TimeTick{.market = 0}},          // a gap
      {last, TimeNs(now), TimeTick{.market = 0}},              // a replay
      {last + 1, TimeNs(now - 1), TimeTick{.market = 0}},      // time going back
  };
  for (const Command& c : later) {
    CheckRefused(eng.Apply(c));
    CountingSink sink;
    CheckRefused(eng.Apply(c, sink));
    CHECK(sink.events == 0);
  }
  CHECK(eng.poisoned());
  CHECK(eng.last_seq() == last);
  CHECK(eng.now().raw() == now);
  CHECK(Encoding(eng) == frozen);
  RunEveryQuery(eng);

  // Copies are poisoned too (they copy the same half-applied state), and
  // every one of them, like the original, is destroyed cleanly.
  Engine copy(eng);
  CHECK(copy.poisoned());
  CHECK(Encoding(copy) == frozen);
  CheckRefused(copy.Apply(later.front()));
  RunEveryQuery(copy);
  Engine assigned(EngineConfig{});
  assigned = eng;
  CHECK(assigned.poisoned());
  Engine moved(std::move(copy));
  CHECK(moved.poisoned());
  CheckRefused(moved.Apply(later.front()));
}

// Sweep()
//
// Fails each allocation of `command`, applied to a fresh setup(), in turn
// (see the file comment); returns the number of allocations the command
// makes. `expect` checks the clean run's result.
std::int64_t Sweep(const std::function<Builder()>& setup, const Payload& command,
                   const std::function<void(const Result&)>& expect) {
  Builder clean = setup();
  REQUIRE(clean.failed.empty());
  const Command cmd = clean.Next(command);
  const std::string before = Encoding(clean.eng);
  absl::StatusOr<Result> clean_result;
  std::int64_t allocations = 0;
  {
    AllocationFailure count_only(-1);
    clean_result = clean.eng.Apply(cmd);
    allocations = AllocationsSinceArmed();
  }
  REQUIRE(clean_result.ok());
  expect(*clean_result);
  REQUIRE(clean.eng.CheckInvariants().ok());
  const std::string after = Encoding(clean.eng);

  for (std::int64_t n = 0; n <= allocations; ++n) {
    INFO("failing allocation " << n << " of the command's " << allocations);
    // First the leak check: no Catch macro may run between the two readings
    // of LiveAllocations(). The engine, a copy and a move of it are
    // destroyed, and every block they allocated must be back.
    std::string_view setup_failed;
    bool fired = false, threw = false, poisoned = false;
    const std::int64_t live_before = LiveAllocations();
    {
      Builder b = setup();
      setup_failed = b.failed;
      {
        AllocationFailure fail(n);
        try {
          (void)b.eng.Apply(cmd);
        } catch (const std::bad_alloc&) {
          threw = true;
        }
        fired = AllocationFailureFired();
      }
      poisoned = b.eng.poisoned();
      Engine copy(b.eng);
      const Engine moved(std::move(copy));
    }
    const std::int64_t leaked = LiveAllocations() - live_before;
    REQUIRE(setup_failed.empty());
    CHECK(leaked == 0);
    CHECK(fired == (n < allocations));
    CHECK(threw == fired);
    CHECK(poisoned == fired);

    // Then the behaviour, on a second engine failed the same way.
    Builder b = setup();
    REQUIRE(b.failed.empty());
    REQUIRE(Encoding(b.eng) == before);  // the setup is deterministic
    threw = false;
    absl::StatusOr<Result> r;
    {
      AllocationFailure fail(n);
      try {
        r = b.eng.Apply(cmd);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    if (n == allocations) {  // one past the last allocation: never fires
      REQUIRE_FALSE(AllocationFailureFired());
      REQUIRE_FALSE(threw);
      REQUIRE(r.ok());
      CHECK(r->reason == clean_result->reason);
      CHECK_FALSE(b.eng.poisoned());
      CHECK(Encoding(b.eng) == after);
      continue;
    }
    // The same state makes the same allocations, so the n-th one failed,
    // and nothing inside the engine may swallow the exception.
    REQUIRE(AllocationFailureFired());
    REQUIRE(threw);
    CheckPoisoned(b.eng);
  }
  return allocations;
}

// The allocations `command` makes on a fresh setup().
std::int64_t CountAllocations(const std::function<Builder()>& setup, const Payload& command) {
  Builder b = setup();
  REQUIRE(b.failed.empty());
  const Command cmd = b.Next(command);
  AllocationFailure count_only(-1);
  (void)b.eng.Apply(cmd);
  return AllocationsSinceArmed();
}

auto Accepted() {
  return [](const Result& r) {
    INFO(ReasonName(r.reason));
    CHECK(r.ok());
  };
}

auto RejectedWith(Reason reason) {
  return [reason](const Result& r) { CHECK(ReasonName(r.reason) == ReasonName(reason)); };
}

// ---------------------------------------------------------------------------

TEST_CASE("EngineAllocFailure: CreateMarket into an engine with 0 to 4 markets", "[engine]") {
  // The market containers were reserved up front: only the new market's
  // own allocations (its book, its tiers) can fail.
  for (std::uint32_t existing : {0u, 1u, 2u, 3u, 4u}) {
    INFO(existing << " markets before");
    const auto setup = [existing] {
      Builder b;
      for (std::uint32_t m = 1; m <= existing; ++m) b.Market(MarketId(m));
      return b;
    };
    CHECK(Sweep(setup, CreateMarket{.market = 10, .params = Shared(Btc())}, Accepted()) > 0);
  }
}

TEST_CASE("EngineAllocFailure: CreateAccount as the account chunks and the account index grow",
          "[engine]") {
  // The account index starts with 16 entries and grows at 3/4 full: the
  // 13th account starts its growth to 32 entries, the 385th to 1,024 (two
  // pages), the 769th to 2,048 (four pages). The 1st and the 1,025th
  // account take a new chunk of 1,024 accounts. 5 and 13 accounts before:
  // none of these (the 14th drains into a table whose one page is there).
  for (std::uint64_t existing : {0u, 12u, 384u, 768u, 1'024u}) {
    INFO(existing << " accounts before");
    const auto setup = [existing] {
      Builder b;
      for (std::uint64_t a = 1; a <= existing; ++a) b.Account(AccountId(a), 0);
      return b;
    };
    CHECK(Sweep(setup, CreateAccount{.account = 10'000, .owner = 10'000}, Accepted()) > 0);
  }
  for (std::uint64_t existing : {5u, 13u}) {
    INFO(existing << " accounts before");
    const auto setup = [existing] {
      Builder b;
      for (std::uint64_t a = 1; a <= existing; ++a) b.Account(AccountId(a), 0);
      return b;
    };
    CHECK(Sweep(setup, CreateAccount{.account = 10'000, .owner = 10'000}, Accepted()) == 0);
  }
}

// CreateAccount allocates (a chunk of accounts, the index's growth) before
// it changes anything, so a poisoned engine lists no account it cannot find.
TEST_CASE("EngineAllocFailure: a CreateAccount that runs out of memory lists only accounts it "
          "finds",
          "[engine]") {
  for (std::uint64_t existing : {0u, 12u, 1'024u}) {
    INFO(existing << " accounts before");
    const auto setup = [existing] {
      Builder b;
      for (std::uint64_t a = 1; a <= existing; ++a) b.Account(AccountId(a), 0);
      return b;
    };
    const CreateAccount create{.account = 10'000, .owner = 10'000};
    const std::int64_t allocations = CountAllocations(setup, create);
    CHECK(allocations > 0);
    for (std::int64_t n = 0; n < allocations; ++n) {
      INFO("failing allocation " << n);
      Builder b = setup();
      {
        AllocationFailure fail(n);
        CHECK_THROWS_AS(b.eng.Apply(b.Next(create)), std::bad_alloc);
      }
      REQUIRE(b.eng.poisoned());
      const std::vector<AccountId> listed = b.eng.Accounts();
      CHECK(listed.size() == existing);
      for (AccountId a : listed) CHECK(b.eng.Summary(a).ok());
    }
  }
}

TEST_CASE("EngineAllocFailure: PlaceOrder that rests in a fresh market", "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    return b;
  };
  CHECK(Sweep(setup, Limit(1, 1, 1, Side::kBuy, Usd(29'000), Lots(kBtc)), Accepted()) > 0);
}

TEST_CASE("EngineAllocFailure: PlaceOrder that fills two makers and rests the remainder",
          "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    b.Account(2, 100'000);
    b.Account(3, 100'000);
    b.Order(1, 1, 1, Side::kSell, Usd(30'000), Lots(kBtc));
    b.Order(1, 2, 2, Side::kSell, Usd(30'001), Lots(kBtc));
    return b;
  };
  CHECK(Sweep(setup, Limit(1, 3, 3, Side::kBuy, Usd(30'001), Lots(3 * kBtc)), Accepted()) > 0);
}

TEST_CASE("EngineAllocFailure: PlaceOrder whose 70 fills outgrow the event buffers",
          "[engine]") {
  // 70 one-lot asks from 10 makers; a taker buys them all. The book's and
  // the engine's event buffers hold 64 events before they grow, so the
  // failures here land mid-match and mid-settlement.
  const auto setup = [] {
    Builder b;
    b.Market(1);
    for (std::uint64_t a = 1; a <= 11; ++a) b.Account(AccountId(a), 100'000);
    for (std::uint64_t id = 1; id <= 70; ++id) {
      const Ticks price(Usd(30'000).raw() + static_cast<std::int64_t>(id));
      b.Order(1, AccountId(1 + id % 10), OrderId(id), Side::kSell, price, Lots(1));
    }
    return b;
  };
  CHECK(Sweep(setup, Limit(1, 11, 100, Side::kBuy, Usd(30'100), Lots(70)), Accepted()) > 0);
}

// A market, an account and `levels` one-lot bids at distinct prices.
Builder WithBidLevels(std::int64_t levels) {
  Builder b;
  b.Market(1);
  b.Account(1, 1'000'000);
  for (std::int64_t i = 1; i <= levels; ++i) {
    b.Order(1, 1, OrderId(static_cast<std::uint64_t>(i)), Side::kBuy,
            Ticks(Usd(28'600).raw() + i), Lots(1));  // inside the 5% band
  }
  return b;
}

// A node of Abseil 20220623's btree_map<int64, uint32> (the ladder) holds
// 15 keys: the 16th level of a side splits the root leaf.
constexpr std::int64_t kLadderRootSplit = 15;

TEST_CASE("EngineAllocFailure: PlaceOrder and AmendOrder at a new price level, as the "
          "ladder's B-tree splits",
          "[engine]") {
  // 1..40 bid levels, then a new level above them all: the ladder's B-tree
  // needs a node whenever the level lands in a full leaf (its root leaf
  // grows 1, 2, 4, 8, 15; then leaves split). The bids are one account's,
  // so its position's order ladder gets its block at 2 prices and grows it
  // past 4, 8, 16 and 32. Not 15 levels, where the root itself splits: see
  // the KNOWN DEFECT test at the end.
  std::int64_t with_allocations = 0;
  for (std::int64_t levels = 1; levels <= 40; ++levels) {
    if (levels == kLadderRootSplit) continue;
    INFO(levels << " levels before");
    const auto setup = [levels] { return WithBidLevels(levels); };
    const std::int64_t place =
        Sweep(setup, Limit(1, 1, 1'000, Side::kBuy, Usd(29'000), Lots(1)), Accepted());
    const AmendOrder amend{.market = 1,
                           .account = 1,
                           .order_id = 1,
                           .new_price = Usd(29'000),
                           .new_size = Lots(1)};
    const std::int64_t moved = Sweep(setup, amend, Accepted());
    with_allocations += (place > 0) + (moved > 0);
  }
  CHECK(with_allocations > 0);
}

TEST_CASE("EngineAllocFailure: OraclePrice from a new source", "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    return b;
  };
  const OraclePrice price{.market = 1, .source = 2, .price = Usd(30'010),
                          .publish_time = TimeNs(kT0)};
  CHECK(Sweep(setup, price, Accepted()) > 0);
}

TEST_CASE("EngineAllocFailure: SetLeverage and SetMarginMode store the account's first choice",
          "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    return b;
  };
  CHECK(Sweep(setup, SetLeverage{.market = 1, .account = 1, .leverage = 5}, Accepted()) > 0);
  CHECK(Sweep(setup, SetMarginMode{.market = 1, .account = 1, .mode = MarginMode::kIsolated},
              Accepted()) > 0);
}

TEST_CASE("EngineAllocFailure: CancelAll over every market", "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    b.Market(2);
    b.Account(1, 100'000);
    b.Order(1, 1, 1, Side::kBuy, Usd(29'000), Lots(kBtc));
    b.Order(2, 1, 2, Side::kSell, Usd(31'000), Lots(kBtc));
    return b;
  };
  CHECK(Sweep(setup, CancelAll{.market = 0, .account = 1}, Accepted()) > 0);
}

// Every command kind not swept above, each on an engine where it is
// accepted: two markets, accounts 1 and 2 of owner 1 and 3 of owner 3,
// account 1 with a bid (client id 11) and an ask in market 1, and account 3
// long 1 lot in market 1 on isolated margin (bought from account 1's ask).
Builder Busy() {
  Builder b;
  b.Market(1);
  b.Market(2);
  b.Ok(CreateAccount{.account = 1, .owner = 1});
  b.Ok(CreateAccount{.account = 2, .owner = 1});
  b.Ok(CreateAccount{.account = 3, .owner = 3});
  for (std::uint64_t a = 1; a <= 3; ++a) {
    b.Ok(Deposit{.account = AccountId(a), .amount = Quote(100'000 * kUsd)});
  }
  b.Ok(PlaceOrder{.market = 1,
                  .account = 1,
                  .order_id = 1,
                  .client_id = 11,
                  .side = Side::kBuy,
                  .price = Usd(29'000),
                  .size = Lots(kBtc)});
  b.Order(1, 1, 2, Side::kSell, Usd(30'000), Lots(kBtc));
  b.Ok(SetMarginMode{.market = 1, .account = 3, .mode = MarginMode::kIsolated});
  b.Ok(PlaceOrder{.market = 1,
                  .account = 3,
                  .order_id = 3,
                  .side = Side::kBuy,
                  .tif = TimeInForce::kIoc,
                  .price = Usd(30'000),
                  .size = Lots(1)});
  return b;
}

TEST_CASE("EngineAllocFailure: RetireSource of a market's second source", "[engine]") {
  const auto two_sources = [] {
    Builder b = Busy();
    b.Ok(OraclePrice{.market = 1, .source = 2, .price = Usd(30'000), .publish_time = TimeNs(kT0)});
    return b;
  };
  (void)Sweep(two_sources, RetireSource{.market = 1, .source = 2}, Accepted());
}

TEST_CASE("EngineAllocFailure: UpdateMarket", "[engine]") {
  // The new parameters' tier table and the book's limits.
  MarketParams cheaper = Btc();
  cheaper.taker_fee = Rate(kRateScale / 10'000);
  CHECK(Sweep(Busy, UpdateMarket{.market = 1, .params = Shared(cheaper)}, Accepted()) > 0);
}

TEST_CASE("EngineAllocFailure: the other commands allocate nothing on a busy engine, so "
          "nothing can interrupt them",
          "[engine]") {
  // Account 3's bucket (1 lot long at 30,000: 30 USD of notional) holds its
  // initial requirement, 1.5 USD; with 3 USD more it may release 1 USD and
  // still keep 10% of the notional (3 USD), the withdrawal rule.
  const auto topped_up = [] {
    Builder b = Busy();
    b.Ok(AdjustIsolatedMargin{.market = 1, .account = 3, .delta = Quote(3 * kUsd)});
    return b;
  };
  CHECK(Sweep(Busy, SetMarketStatus{.market = 1, .status = MarketStatus::kReduceOnly},
              Accepted()) == 0);
  CHECK(Sweep(Busy, SetMarketStatus{.market = 2, .status = MarketStatus::kDelisted},
              Accepted()) == 0);
  CHECK(Sweep(Busy, Transfer{.from = 1, .to = 2, .amount = Quote(kUsd)}, Accepted()) == 0);
  CHECK(Sweep(Busy, FundInsurance{.amount = Quote(kUsd)}, Accepted()) == 0);
  CHECK(Sweep(Busy, SetFeeTier{.account = 2, .fee_tier = 0}, Accepted()) == 0);
  CHECK(Sweep(Busy, SetSelfTradeScope{.account = 1, .scope = SelfTradeScope::kAccount},
              Accepted()) == 0);
  CHECK(Sweep(Busy, AdjustIsolatedMargin{.market = 1, .account = 3, .delta = Quote(kUsd)},
              Accepted()) == 0);
  CHECK(Sweep(topped_up, AdjustIsolatedMargin{.market = 1, .account = 3, .delta = Quote(-kUsd)},
              Accepted()) == 0);
  CHECK(Sweep(Busy, CancelByClientId{.market = 1, .account = 1, .client_id = 11}, Accepted()) ==
        0);
  // Cancel-replace to a new price level (the ladder's node pool has a free
  // node: the old order's level goes first), at the same price, and to an
  // order that trades (account 1's bid replaced by a buy at its own ask:
  // the self-trade cancels the maker).
  CHECK(Sweep(Busy, Replacing(2, Limit(1, 1, 20, Side::kSell, Usd(30'500), Lots(kBtc))),
              Accepted()) == 0);
  CHECK(Sweep(Busy, Replacing(1, Limit(1, 1, 21, Side::kBuy, Usd(29'000), Lots(2 * kBtc))),
              Accepted()) == 0);
  CHECK(Sweep(Busy, Replacing(1, Limit(1, 1, 22, Side::kBuy, Usd(30'000), Lots(kBtc))),
              Accepted()) == 0);
  CHECK(Sweep(Busy,
              OraclePrice{.market = 1, .source = 1, .price = Usd(30'100),
                          .publish_time = TimeNs(kT0)},
              Accepted()) == 0);
  CHECK(Sweep(Busy,
              PlaceOrder{.market = 1,
                         .account = 2,
                         .order_id = 30,
                         .side = Side::kSell,
                         .type = OrderType::kMarket,
                         .tif = TimeInForce::kIoc,
                         .price = Usd(28'000),
                         .size = Lots(kBtc)},
              Accepted()) == 0);
}

TEST_CASE("EngineAllocFailure: commands that allocate nothing cannot be interrupted",
          "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    b.Account(2, 0);
    b.Order(1, 1, 1, Side::kBuy, Usd(29'000), Lots(kBtc));
    return b;
  };
  CHECK(Sweep(setup, Deposit{.account = 2, .amount = Quote(kUsd)}, Accepted()) == 0);
  CHECK(Sweep(setup, Withdraw{.account = 1, .amount = Quote(kUsd)}, Accepted()) == 0);
  CHECK(Sweep(setup, TimeTick{.market = 0}, Accepted()) == 0);
  CHECK(Sweep(setup, CancelOrder{.market = 1, .account = 1, .order_id = 1}, Accepted()) == 0);
  // Refused by Validate(), which reads the state and allocates nothing.
  CHECK(Sweep(setup, Limit(1, 2, 5, Side::kBuy, Usd(30'000), Lots(kBtc)),
              RejectedWith(Reason::kInsufficientMargin)) == 0);
  CHECK(Sweep(setup, Limit(9, 1, 5, Side::kBuy, Usd(30'000), Lots(kBtc)),
              RejectedWith(Reason::kUnknownMarket)) == 0);
  CHECK(Sweep(setup, CreateAccount{.account = 1, .owner = 1},
              RejectedWith(Reason::kAccountExists)) == 0);
}

TEST_CASE("EngineAllocFailure: a CreateMarket refused for its parameters allocates its "
          "message, and a failure there poisons without changing the state",
          "[engine]") {
  const auto setup = [] {
    Builder b;
    b.Market(1);
    return b;
  };
  MarketParams bad = Btc();
  bad.max_leverage = 50;  // above the first tier's 20
  const std::string before = [&] {
    const Builder b = setup();
    std::string bytes = Encoding(b.eng);
    return bytes.substr(16);  // without last_seq and the time
  }();
  // The sweep checks the poisoning; each poisoned engine here also kept its
  // state, as Validate() had not mutated anything yet.
  const std::int64_t allocations =
      Sweep(setup, CreateMarket{.market = 2, .params = Shared(bad)},
            RejectedWith(Reason::kInvalidMarketParams));
  CHECK(allocations > 0);
  for (std::int64_t n = 0; n < allocations; ++n) {
    Builder b = setup();
    const Command cmd = b.Next(CreateMarket{.market = 2, .params = Shared(bad)});
    {
      AllocationFailure fail(n);
      try {
        (void)b.eng.Apply(cmd);
      } catch (const std::bad_alloc&) {
      }
    }
    REQUIRE(b.eng.poisoned());
    CHECK(Encoding(b.eng).substr(16) == before);
  }
}

TEST_CASE("EngineAllocFailure: a failure while building a framing error's message does not "
          "poison: nothing had changed",
          "[engine]") {
  // Framing is checked before the command starts (before poisoning is
  // armed); its messages are built with absl::StrCat. A failure there
  // escapes Apply() but leaves the engine as it was, and usable.
  const auto setup = [] {
    Builder b;
    b.Market(1);
    return b;
  };
  // The seq of the command, as an offset from last_seq.
  const std::vector<std::pair<const char*, std::uint64_t>> framings = {
      {"a gap", 2}, {"a replay", 0}};
  for (const auto& [name, offset] : framings) {
    INFO(name);
    std::int64_t allocations = 0;
    {
      Builder b = setup();
      REQUIRE(b.failed.empty());
      AllocationFailure count_only(-1);
      const absl::StatusOr<Result> r =
          b.eng.Apply(Command{b.eng.last_seq() + offset, TimeNs(kT0), TimeTick{}});
      allocations = AllocationsSinceArmed();
      REQUIRE_FALSE(r.ok());
    }
    CHECK(allocations > 0);
    for (std::int64_t n = 0; n < allocations; ++n) {
      Builder b = setup();
      const std::string before = Encoding(b.eng);
      const Command cmd{b.eng.last_seq() + offset, TimeNs(kT0), TimeTick{}};
      bool threw = false;
      {
        AllocationFailure fail(n);
        try {
          (void)b.eng.Apply(cmd);
        } catch (const std::bad_alloc&) {
          threw = true;
        }
      }
      REQUIRE(AllocationFailureFired());
      CHECK(threw);
      CHECK_FALSE(b.eng.poisoned());
      CHECK(Encoding(b.eng) == before);
      const absl::StatusOr<Result> next = b.eng.Apply(b.Next(TimeTick{}));
      REQUIRE(next.ok());
      CHECK(next->ok());
    }
  }
}

TEST_CASE("EngineAllocFailure: an exception from the host's EventSink poisons the engine too",
          "[engine]") {
  struct ThrowingSink final : EventSink {
    void Emit(const Event&) override { throw std::bad_alloc(); }
  };
  Builder b = [] {
    Builder x;
    x.Market(1);
    x.Account(1, 100'000);
    return x;
  }();
  REQUIRE(b.failed.empty());
  ThrowingSink sink;
  CHECK_THROWS_AS(b.eng.Apply(b.Next(Deposit{.account = 1, .amount = Quote(kUsd)}), sink),
                  std::bad_alloc);
  CheckPoisoned(b.eng);
}

// ---------------------------------------------------------------------------
// KNOWN DEFECTS, left to the engine's and the book's owners. Each test below
// checks that its defect is still there, precisely (which allocation, what
// happens), in child processes; when one fails because the defect is gone,
// widen the sweeps above as it says and delete it.

// Fails allocation n of `command` on a fresh setup() in a child process and
// destroys the engine there. The child exits 0 if the engine was poisoned
// and every block it allocated came back, 1 otherwise; a crash kills it.
testing::ChildOutcome FailInChild(const std::function<Builder()>& setup, const Payload& command,
                                  std::int64_t n) {
  return testing::RunInChild([&] {
    const std::int64_t live_before = LiveAllocations();
    bool poisoned = false;
    {
      Builder b = setup();
      const Command cmd = b.Next(command);
      AllocationFailure fail(n);
      try {
        (void)b.eng.Apply(cmd);
      } catch (const std::bad_alloc&) {
      }
      poisoned = AllocationFailureFired() && b.eng.poisoned();
    }  // the engine is destroyed here
    return poisoned && LiveAllocations() == live_before;
  });
}


// The book's price ladders are absl::btree_maps. In Abseil 20220623,
// btree::rebalance_or_split() splitting the root first installs a new
// internal root (one allocation), then allocates the new sibling; when that
// second allocation throws, the tree is left with a root of zero keys over
// the old root leaf, and clear() deletes such a root without visiting its
// child: the old leaf (with the first 15 levels' keys) leaks. So a failure
// while a side of a book reaches its 16th price level (and, much later,
// while an internal root splits) leaks a node; the engine is poisoned and
// otherwise destroyed cleanly.
//
// Here: a 16th bid level makes two allocations; failing the second leaks
// (the child's count of live blocks does not come back), failing the first
// does not. Once fixed: drop the `continue` of the ladder sweep above.
TEST_CASE("EngineAllocFailure: KNOWN DEFECT (still there): a failure while a ladder's B-tree "
          "root splits leaks a node",
          "[engine]") {
  const auto setup = [] { return WithBidLevels(kLadderRootSplit); };
  const Payload place = Limit(1, 1, 1'000, Side::kBuy, Usd(29'000), Lots(1));
  REQUIRE(CountAllocations(setup, place) == 2);
  const testing::ChildOutcome new_root = FailInChild(setup, place, 0);
  const testing::ChildOutcome sibling = FailInChild(setup, place, 1);
  CHECK(new_root.ok());
  CHECK_FALSE(sibling.crashed());
  CHECK(sibling.exit_code == 1);  // poisoned, but a block did not come back
}

}  // namespace
}  // namespace perpcore::engine

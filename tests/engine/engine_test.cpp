// Worked examples for the engine. Money is in 1e-6 USDC atoms; the test
// market is BTC-USD with a 0.1 USD tick and a 0.001 BTC lot, so one tick of
// one lot is 0.1 * 0.001 USD = 100 atoms, 30,000 USD is 300,000 ticks and
// 1 BTC is 1,000 lots (notional 1 BTC at 30,000 = 3e10 atoms).
#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "perpcore/engine/engine.hpp"
#include "support/catch_ids.hpp"

namespace perpcore::engine {
namespace {

constexpr std::int64_t kUsd = 1'000'000;  // atoms per USD
constexpr std::int64_t kBtc = 1'000;      // lots per BTC
constexpr Ticks Usd(std::int64_t dollars) { return Ticks(dollars * 10); }
constexpr Rate Bp(std::int64_t bp) { return Rate(bp * (kRateScale / 10'000)); }
constexpr Rate Percent(std::int64_t pct) { return Rate(pct * (kRateScale / 100)); }

// Binance USD-M BTCUSDT's first brackets (notional in USDT, max leverage,
// maintenance margin rate): 0-50k 125x 0.40%, 50k-250k 100x 0.50%,
// 250k-1M 50x 1.00%.
MarketParams Btc() {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.tick_size = {1, -1};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(100 * kBtc);
  p.max_open_interest = Lots(1'000 * kBtc);
  p.max_price = Usd(1'000'000);
  p.max_leverage = 125;
  p.tiers = {{Quote(0), 125, Rate(4 * kRateScale / 1000)},
             {Quote(50'000 * kUsd), 100, Rate(5 * kRateScale / 1000)},
             {Quote(250'000 * kUsd), 50, Percent(1)}};
  p.maker_fee = Bp(1);
  p.taker_fee = Bp(5);
  p.oracle.min_sources = 1;
  return p;
}

// What a CreateMarket or UpdateMarket carries.
std::shared_ptr<const MarketParams> Shared(MarketParams p) {
  return std::make_shared<const MarketParams>(std::move(p));
}

// The event `e` as kind E (the test fails if it is another kind).
template <class E>
const E& As(const Event& e) {
  REQUIRE(std::holds_alternative<E>(e));
  return std::get<E>(e);
}

class Harness {
 public:
  explicit Harness(EngineConfig config = {}) : eng(config) {}

  Result Do(Payload p, std::int64_t advance_ns = 0) {
    now += advance_ns;
    absl::StatusOr<Result> r = eng.Apply(Command{eng.last_seq() + 1, TimeNs(now), std::move(p)});
    REQUIRE(r.ok());
    REQUIRE(eng.CheckInvariants().ok());
    return *r;
  }
  void Ok(Payload p, std::int64_t advance_ns = 0) {
    const Result r = Do(std::move(p), advance_ns);
    INFO(ReasonName(r.reason));
    REQUIRE(r.ok());
  }
  // An account of its own owner with `usd` dollars deposited.
  void Account(AccountId id, std::int64_t usd, AccountId referrer = 0, std::uint32_t tier = 0) {
    Ok(CreateAccount{
        .account = id, .owner = OwnerId(id.value()), .fee_tier = tier, .referrer = referrer});
    if (usd > 0) Ok(Deposit{.account = id, .amount = Quote(usd * kUsd)});
  }
  void Price(MarketId m, Ticks price, SourceId source = 1) {
    Ok(OraclePrice{.market = m, .source = source, .price = price, .publish_time = TimeNs(now)});
  }
  Result Order(AccountId account, OrderId id, Side side, Ticks price, Lots size,
               TimeInForce tif = TimeInForce::kGtc, bool reduce_only = false,
               OrderType type = OrderType::kLimit) {
    return Do(PlaceOrder{.market = 1,
                         .account = account,
                         .order_id = id,
                         .side = side,
                         .type = type,
                         .tif = tif,
                         .reduce_only = reduce_only,
                         .price = price,
                         .size = size});
  }
  AccountSummary Summary(AccountId id) const {
    auto s = eng.Summary(id);
    REQUIRE(s.ok());
    return *s;
  }
  PositionView PositionIn(AccountId id, MarketId market = 1) const {
    for (const PositionView& p : Summary(id).positions) {
      if (p.market == market) return p;
    }
    FAIL("no position record");
    return {};
  }
  bool HasRecord(AccountId id, MarketId market = 1) const {
    for (const PositionView& p : Summary(id).positions) {
      if (p.market == market) return true;
    }
    return false;
  }

  Engine eng;
  std::int64_t now = 1'000'000'000;
};

// A BTC market with an index of 30,000, a maker (account 1) with 100k USD
// and a taker (account 2).
Harness BtcAt30k(std::int64_t taker_usd, EngineConfig config = {}) {
  Harness h(config);
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  h.Price(1, Usd(30'000));
  h.Account(1, 100'000);
  h.Account(2, 0);
  if (taker_usd > 0) h.Ok(Deposit{.account = 2, .amount = Quote(taker_usd * kUsd)});
  return h;
}

// ---------------------------------------------------------------------------
// Sequencing and atomicity
// ---------------------------------------------------------------------------

// The canonical encoding without its first 16 bytes (last_seq and the
// time), which every processed command advances.
std::string StateAfterCursor(const Engine& eng) {
  std::string bytes;
  eng.EncodeCanonical(&bytes);
  return bytes.substr(16);
}

TEST_CASE("Engine: a sequence gap is a framing error and changes nothing", "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  const auto before = h.eng.Digest();
  const absl::StatusOr<Result> r =
      h.eng.Apply(Command{3, TimeNs(h.now), Deposit{.account = 1, .amount = Quote(5)}});
  CHECK(absl::IsOutOfRange(r.status()));
  CHECK(r.status().message() == "sequence gap: expected seq 2, got 3");
  CHECK(h.eng.last_seq() == 1);
  CHECK(h.eng.Digest() == before);
}

TEST_CASE("Engine: a seq already processed answers already-applied and changes nothing",
          "[engine]") {
  Harness h;
  h.Ok(CreateAccount{.account = 1, .owner = 1});
  h.Ok(Deposit{.account = 1, .amount = Quote(5)});
  const auto before = h.eng.Digest();
  for (std::uint64_t seq : {std::uint64_t{1}, std::uint64_t{2}}) {
    const absl::StatusOr<Result> r =
        h.eng.Apply(Command{seq, TimeNs(h.now), Deposit{.account = 1, .amount = Quote(5)}});
    CHECK(absl::IsAlreadyExists(r.status()));
  }
  CHECK(h.eng.Digest() == before);
  CHECK(h.Summary(1).cash == Quote(5));
}

TEST_CASE("Engine: time going back is a framing error, equal time is fine", "[engine]") {
  Harness h;
  h.Ok(CreateAccount{.account = 1, .owner = 1}, 10);
  const auto before = h.eng.Digest();
  const absl::StatusOr<Result> back = h.eng.Apply(
      Command{2, TimeNs(h.now - 1), Deposit{.account = 1, .amount = Quote(5)}});
  CHECK(absl::IsFailedPrecondition(back.status()));
  CHECK(h.eng.Digest() == before);
  CHECK(h.eng.last_seq() == 1);
  h.Ok(Deposit{.account = 1, .amount = Quote(5)});
  CHECK(h.eng.now() == TimeNs(h.now));
}

TEST_CASE("Engine: a rejected command consumes its seq and time and changes nothing else",
          "[engine]") {
  Harness h = BtcAt30k(1'000);
  const std::string before = StateAfterCursor(h.eng);
  const std::uint64_t seq = h.eng.last_seq();
  const Result r = h.Do(Withdraw{.account = 2, .amount = Quote(1'000 * kUsd + 1)}, 7);
  CHECK(r.reason == Reason::kInsufficientCollateral);
  CHECK(r.seq == seq + 1);
  CHECK(r.events.empty());
  CHECK(h.eng.last_seq() == seq + 1);
  CHECK(h.eng.now() == TimeNs(h.now));
  CHECK(StateAfterCursor(h.eng) == before);
  // The next command follows the rejected one in the log.
  h.Ok(Withdraw{.account = 2, .amount = Quote(1'000 * kUsd)});
}

TEST_CASE("Engine: two engines fed the same commands have the same digest", "[engine]") {
  Harness a = BtcAt30k(5'000);
  Harness b = BtcAt30k(5'000, EngineConfig{.hash_seed = 12345});
  for (Harness* h : {&a, &b}) {
    REQUIRE(h->Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
    REQUIRE(h->Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc / 2)).ok());
  }
  CHECK(a.eng.Digest() == b.eng.Digest());
  REQUIRE(a.Order(2, 12, Side::kBuy, Usd(30'000), Lots(1)).ok());
  CHECK(a.eng.Digest() != b.eng.Digest());
}

// ---------------------------------------------------------------------------
// Markets
// ---------------------------------------------------------------------------

TEST_CASE("Engine: atoms per tick-lot is tick * lot * 10^decimals, exactly", "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  CHECK(h.eng.Stats(1)->atoms_per_tick_lot == 100);
  MarketParams eth = Btc();
  eth.symbol = "ETH-USD";
  eth.tick_size = {5, -2};  // 0.05 USD
  eth.lot_size = {1, -2};   // 0.01 ETH
  h.Ok(CreateMarket{.market = 2, .params = Shared(eth)});
  CHECK(h.eng.Stats(2)->atoms_per_tick_lot == 500);
}

TEST_CASE("Engine: parameters that need fractional atoms are refused", "[engine]") {
  Harness h(EngineConfig{.quote_decimals = 2});
  // 0.1 USD * 0.001 BTC = 0.0001 USD, a hundredth of a cent.
  const Result r = h.Do(CreateMarket{.market = 1, .params = Shared(Btc())});
  CHECK(r.reason == Reason::kInvalidMarketParams);
  const absl::Status why = h.eng.ValidateMarket(Btc());
  CHECK(absl::IsInvalidArgument(why));
  CHECK(std::string(why.message()).find("not a whole number of quote atoms") != std::string::npos);
}

TEST_CASE("Engine: a create or update without parameters is refused", "[engine]") {
  Harness h;
  CHECK(h.Do(CreateMarket{.market = 1}).reason == Reason::kInvalidMarketParams);
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  CHECK(h.Do(UpdateMarket{.market = 1}).reason == Reason::kInvalidMarketParams);
  CHECK(h.eng.Params(1)->taker_fee == Btc().taker_fee);
}

TEST_CASE("Engine: a maker rebate larger than the taker fee can pay is refused", "[engine]") {
  Harness h(EngineConfig{.fee_tier_discounts = {Rate(0), Percent(20)}, .referrer_share = Percent(10)});
  MarketParams p = Btc();
  // 5 bp * 0.8 * 0.9 = 3.6 bp is what the pool keeps at worst.
  p.maker_fee = Rate(-36 * (kRateScale / 100'000) - 1);
  CHECK(h.Do(CreateMarket{.market = 1, .params = Shared(p)}).reason == Reason::kInvalidMarketParams);
  p.maker_fee = Rate(-36 * (kRateScale / 100'000));
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
}

TEST_CASE("Engine: tick and lot size cannot change on update", "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  MarketParams p = Btc();
  p.tick_size = {5, -1};
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(p)}).reason == Reason::kParamImmutable);
  p = Btc();
  p.taker_fee = Bp(4);
  h.Ok(UpdateMarket{.market = 1, .params = Shared(p)});
  CHECK(h.eng.Params(1)->taker_fee == Bp(4));
}

TEST_CASE("Engine: a delisted market never reopens", "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  h.Ok(SetMarketStatus{.market = 1, .status = MarketStatus::kDelisted});
  CHECK(h.Do(SetMarketStatus{.market = 1, .status = MarketStatus::kActive}).reason ==
        Reason::kInvalidStatus);
}

TEST_CASE("Engine: a halted market refuses orders but allows cancels", "[engine]") {
  Harness h = BtcAt30k(0);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(31'000), Lots(kBtc)).ok());
  h.Ok(SetMarketStatus{.market = 1, .status = MarketStatus::kHalted});
  CHECK(h.Order(1, 11, Side::kSell, Usd(31'000), Lots(kBtc)).reason == Reason::kMarketHalted);
  h.Ok(CancelOrder{.market = 1, .account = 1, .order_id = 10});
  CHECK(h.eng.OpenOrders(1)->empty());
  CHECK_FALSE(h.HasRecord(1));
}

// ---------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------

TEST_CASE("Engine: deposits and withdrawals move cash and the totals", "[engine]") {
  Harness h;
  h.Account(1, 500);
  h.Ok(Withdraw{.account = 1, .amount = Quote(200 * kUsd)});
  CHECK(h.Summary(1).cash == Quote(300 * kUsd));
  CHECK(h.eng.total_deposits() == 500 * kUsd);
  CHECK(h.eng.total_withdrawals() == 200 * kUsd);
  CHECK(h.Do(Withdraw{.account = 1, .amount = Quote(300 * kUsd + 1)}).reason ==
        Reason::kInsufficientCollateral);
  CHECK(h.Do(Deposit{.account = 1, .amount = Quote(0)}).reason == Reason::kInvalidAmount);
  CHECK(h.Do(Deposit{.account = 9, .amount = Quote(1)}).reason == Reason::kUnknownAccount);
}

TEST_CASE("Engine: transfers only between accounts of the same owner", "[engine]") {
  Harness h;
  h.Ok(CreateAccount{.account = 1, .owner = 7});
  h.Ok(CreateAccount{.account = 2, .owner = 7});
  h.Ok(CreateAccount{.account = 3, .owner = 8});
  h.Ok(Deposit{.account = 1, .amount = Quote(100)});
  h.Ok(Transfer{.from = 1, .to = 2, .amount = Quote(60)});
  CHECK(h.Summary(2).cash == Quote(60));
  CHECK(h.Do(Transfer{.from = 1, .to = 3, .amount = Quote(10)}).reason == Reason::kNotSameOwner);
  CHECK(h.Do(Transfer{.from = 1, .to = 1, .amount = Quote(10)}).reason == Reason::kSameAccount);
  CHECK(h.Do(Transfer{.from = 1, .to = 2, .amount = Quote(41)}).reason ==
        Reason::kInsufficientCollateral);
}

// ---------------------------------------------------------------------------
// Trades and fees
// ---------------------------------------------------------------------------

TEST_CASE("Engine: a trade moves price * size in cash and charges both fees", "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  const Result r = h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  REQUIRE(r.events.size() == 1);
  const auto& fill = As<events::Fill>(r.events[0]);
  // 5 bp and 1 bp of 30,000 USD.
  CHECK(fill.taker.fee == Quote(15 * kUsd));
  CHECK(fill.maker.fee == Quote(3 * kUsd));
  CHECK(fill.taker.position == Lots(kBtc));
  CHECK(fill.maker.position == Lots(-kBtc));
  CHECK(h.Summary(2).cash == Quote((10'000 - 30'000 - 15) * kUsd));
  CHECK(h.Summary(1).cash == Quote((100'000 + 30'000 - 3) * kUsd));
  CHECK(h.eng.fee_pool() == Quote(18 * kUsd));
  const MarketStats s = *h.eng.Stats(1);
  CHECK(s.open_interest_long == Lots(kBtc));
  CHECK(s.open_interest_short == Lots(kBtc));
  CHECK(s.last_trade == Usd(30'000));
}

TEST_CASE("Engine: fees round up and a rebate rounds down", "[engine]") {
  MarketParams p = Btc();
  p.maker_fee = Rate(-5 * kRateScale / 100'000);  // -0.5 bp
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));
  h.Account(1, 1'000);
  h.Account(2, 1'000);
  // One lot at 30,000.1 USD: notional 300,001 * 100 = 30,000,100 atoms.
  REQUIRE(h.Order(1, 10, Side::kSell, Ticks(300'001), Lots(1)).ok());
  const Result r = h.Order(2, 11, Side::kBuy, Ticks(300'001), Lots(1), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(As<events::Fill>(r.events[0]).taker.fee == Quote(15'001));  // 15,000.05 up
  CHECK(As<events::Fill>(r.events[0]).maker.fee == Quote(-1'500));  // 1,500.005 rebate down
  CHECK(h.eng.fee_pool() == Quote(13'501));
}

TEST_CASE("Engine: fee tier discount and referrer share", "[engine]") {
  EngineConfig config{.fee_tier_discounts = {Rate(0), Percent(20)}, .referrer_share = Percent(10)};
  MarketParams p = Btc();
  p.maker_fee = Rate(-5 * kRateScale / 100'000);
  Harness h(config);
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));
  h.Account(1, 100'000);
  h.Account(3, 0);                        // the referrer
  h.Account(2, 10'000, /*referrer=*/3, /*tier=*/1);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  const Result r = h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  const auto& fill = As<events::Fill>(r.events[0]);
  CHECK(fill.taker.fee == Quote(12 * kUsd));         // 5 bp * 0.8 = 4 bp
  CHECK(fill.referrer == 3);
  CHECK(fill.referrer_fee == Quote(1'200'000));      // 10% of 12 USD
  CHECK(fill.maker.fee == Quote(-1'500'000));        // 0.5 bp rebate
  CHECK(h.Summary(3).cash == Quote(1'200'000));
  CHECK(h.eng.fee_pool() == Quote(12'000'000 - 1'200'000 - 1'500'000));
}

TEST_CASE("Engine: closing a position realizes PnL against its cost basis", "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(30'300), Lots(kBtc / 2)).ok());
  const Result r = h.Order(2, 13, Side::kSell, Usd(30'300), Lots(kBtc / 2), TimeInForce::kIoc);
  REQUIRE(r.ok());
  // Half a BTC closed 300 USD above entry.
  CHECK(As<events::Fill>(r.events[0]).taker.realized == Quote(150 * kUsd));
  const PositionView p = h.PositionIn(2);
  CHECK(p.size == Lots(kBtc / 2));
  CHECK(p.entry_price == Usd(30'000));
  CHECK(p.realized_pnl == Quote(150 * kUsd));
  CHECK(p.cost == Quote(15'000 * kUsd));
}

// ---------------------------------------------------------------------------
// Initial margin on orders
// ---------------------------------------------------------------------------

// At 10x, 1 BTC at 30,000 needs 3,000 USD of initial margin, and the 5 bp
// taker fee (15 USD) must be paid on top (Binance: "initial margin + open
// loss + fee" must fit the available balance).
TEST_CASE("Engine: an order is accepted when equity covers initial margin and fee", "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  h.Ok(Deposit{.account = 2, .amount = Quote(3'015 * kUsd - 1)});
  CHECK(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).reason ==
        Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  const Result r = h.Order(2, 12, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(kBtc));
  const AccountSummary s = h.Summary(2);
  CHECK(s.equity == Quote(3'000 * kUsd));
  CHECK(s.initial_requirement == Quote(3'000 * kUsd));
  CHECK(s.free_collateral == Quote(0));
}

TEST_CASE("Engine: resting orders count at their worst case", "[engine]") {
  Harness h = BtcAt30k(3'000);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  // Bids for 0.5 BTC use 1,500 USD at 10x; asks on the other side do not add.
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(kBtc / 2)).ok());
  REQUIRE(h.Order(2, 12, Side::kSell, Usd(31'000), Lots(kBtc / 2)).ok());
  const AccountSummary s = h.Summary(2);
  CHECK(s.initial_with_orders == Quote(1'500 * kUsd));
  CHECK(s.free_collateral == Quote(1'500 * kUsd));
  // Another 0.5 BTC of bids fits exactly (fee 7.25 USD at 29,000 is also needed).
  CHECK(h.Order(2, 13, Side::kBuy, Usd(29'000), Lots(kBtc / 2)).reason ==
        Reason::kInsufficientMargin);
  REQUIRE(h.Order(2, 14, Side::kBuy, Usd(29'000), Lots(kBtc / 2 - 3)).ok());
}

TEST_CASE("Engine: a bid above the mark counts its open loss", "[engine]") {
  Harness h = BtcAt30k(3'000);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  // 0.1 BTC bid 1,000 USD above the mark: IM 300 + open loss 100 USD.
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(31'000), Lots(100)).ok());
  CHECK(h.Summary(2).initial_with_orders == Quote(400 * kUsd));
}

TEST_CASE("Engine: an order that only reduces risk is accepted below initial margin", "[engine]") {
  Harness h = BtcAt30k(3'015);
  h.Account(3, 100'000);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  h.Price(1, Usd(29'500));  // equity 2,500 < IM 2,950
  CHECK(h.Summary(2).free_collateral == Quote(0));
  REQUIRE(h.Order(3, 20, Side::kBuy, Usd(29'400), Lots(kBtc)).ok());
  const Result r = h.Order(2, 12, Side::kSell, Usd(29'400), Lots(kBtc / 2), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(h.PositionIn(2).size == Lots(kBtc / 2));
  // Adding risk beyond initial margin is still refused: 1.5 BTC needs 4,425 USD.
  CHECK(h.Order(2, 13, Side::kBuy, Usd(29'000), Lots(kBtc)).reason ==
        Reason::kInsufficientMargin);
}

TEST_CASE("Engine: exposure beyond max open interest is refused", "[engine]") {
  MarketParams p = Btc();
  p.max_open_interest = Lots(100 * kBtc);
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));
  h.Account(1, 10'000'000);
  REQUIRE(h.Order(1, 10, Side::kBuy, Usd(29'000), Lots(60 * kBtc)).ok());
  CHECK(h.Order(1, 11, Side::kBuy, Usd(29'000), Lots(40 * kBtc + 1)).reason ==
        Reason::kOpenInterestLimit);
  REQUIRE(h.Order(1, 12, Side::kBuy, Usd(29'000), Lots(40 * kBtc)).ok());
}

TEST_CASE("Engine: leverage above the market maximum is refused", "[engine]") {
  Harness h = BtcAt30k(0);
  CHECK(h.Do(SetLeverage{.market = 1, .account = 2, .leverage = 126}).reason ==
        Reason::kInvalidLeverage);
  CHECK(h.Do(SetLeverage{.market = 1, .account = 2, .leverage = 0}).reason ==
        Reason::kInvalidLeverage);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 125});
}

TEST_CASE("Engine: lowering leverage needs the margin it implies", "[engine]") {
  Harness h = BtcAt30k(3'015);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  CHECK(h.Do(SetLeverage{.market = 1, .account = 2, .leverage = 9}).reason ==
        Reason::kInsufficientMargin);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 20});
  CHECK(h.Summary(2).initial_requirement == Quote(1'500 * kUsd));
}

TEST_CASE("Engine: amending an order bigger needs margin, smaller never does", "[engine]") {
  Harness h = BtcAt30k(3'000);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(kBtc / 2)).ok());
  CHECK(h.Do(AmendOrder{.market = 1,
                        .account = 2,
                        .order_id = 11,
                        .new_price = Usd(29'000),
                        .new_size = Lots(kBtc + 1)})
            .reason == Reason::kInsufficientMargin);
  h.Ok(AmendOrder{.market = 1,
                  .account = 2,
                  .order_id = 11,
                  .new_price = Usd(29'000),
                  .new_size = Lots(kBtc / 4)});
  CHECK(h.PositionIn(2).open_bid_lots == Lots(kBtc / 4));
}

// ---------------------------------------------------------------------------
// Margin decisions to the atom
// ---------------------------------------------------------------------------
//
// Every decision of the margin check turns on a single atom: exactly at the
// requirement it passes, one atom short it does not. The examples work at
// 3x, whose initial rate is 1/3 rounded up to 1e-18 (risk/margin.hpp),
// 0.333333333333333334, so one lot at the 30,000 USD mark (300,000 ticks *
// 100 atoms = 30,000,000 atoms, 30 USD) needs
//     30,000,000 * 0.333333333333333334 = 10,000,000.00000000002 -> 10,000,001
// atoms, one more than a third of 30 USD; two lots (60,000,000 atoms) need
//     60,000,000 * 0.333333333333333334 = 20,000,000.00000000004 -> 20,000,001.
// All of it is in the first bracket (below 50,000 USD), where 125x allows 3x.

// The bid rests (no asks), below the mark so without open loss, and its
// taker fee is checked as if paid: 290,000 * 100 * 5 bp = 14,500 atoms. So it
// needs equity 10,000,001 + 14,500 = 10,014,501.
TEST_CASE("Engine: an order needs its initial margin and fee to the atom", "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(10'014'500)});
  CHECK(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(1)).reason == Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  REQUIRE(h.Order(2, 12, Side::kBuy, Usd(29'000), Lots(1)).ok());
  const AccountSummary s = h.Summary(2);
  CHECK(s.initial_with_orders == Quote(10'000'001));
  CHECK(s.free_collateral == Quote(14'500));  // the bid rests: its fee was never charged
}

// From the resting bid above (equity 10,014,501): amended to 2 lots it needs
// 20,000,001 atoms and an amend pays no fee, so 9,985,499 atoms more leave
// it one atom short and one more atom is enough.
TEST_CASE("Engine: an amend needs its initial margin to the atom", "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(10'014'501)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(1)).ok());
  h.Ok(Deposit{.account = 2, .amount = Quote(9'985'499)});
  const AmendOrder two{.market = 1,
                       .account = 2,
                       .order_id = 11,
                       .new_price = Usd(29'000),
                       .new_size = Lots(2)};
  CHECK(h.Do(two).reason == Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  h.Ok(two);
  CHECK(h.Summary(2).initial_with_orders == Quote(20'000'001));
  CHECK(h.Summary(2).free_collateral == Quote(0));
}

// Isolated at 3x, buying 1 lot at the 30,000 USD ask (the mark): the empty
// bucket pays the 15,000-atom fee (30,000,000 * 5 bp) and must then hold the
// initial requirement 10,000,001, so cross collateral must cover a top-up of
// 10,000,001 + 15,000 = 10,015,001 atoms.
TEST_CASE("Engine: an isolated order needs cross to cover its top-up to the atom", "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(1)).ok());
  h.Ok(Deposit{.account = 2, .amount = Quote(10'015'000)});
  CHECK(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(1), TimeInForce::kIoc).reason ==
        Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  const Result r = h.Order(2, 12, Side::kBuy, Usd(30'000), Lots(1), TimeInForce::kIoc);
  REQUIRE(r.ok());
  REQUIRE(r.filled == Lots(1));
  // The bucket paid 30,000,000 + 15,000 and drew 10,015,001 from cross:
  // -30,015,000 + 10,015,001 + the position's 30,000,000 = 10,000,001.
  CHECK(h.Summary(2).cash == Quote(0));
  const PositionView p = h.PositionIn(2);
  CHECK(p.isolated_equity == Quote(10'000'001));
  CHECK(p.initial_requirement == Quote(10'000'001));
}

// The isolated long of 1 lot above, with 5 USD more in cross: free
// collateral is all of cross (5,000,000; the bucket covers its own worst
// case 10,000,001), so adding 5,000,001 is refused and 5,000,000 accepted.
// The bucket then holds 15,000,001 against a worst case of 10,000,001, so
// it gives back 5,000,000 and not an atom more.
TEST_CASE("Engine: isolated margin goes in up to free collateral and out down to the worst case",
          "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(1)).ok());
  h.Ok(Deposit{.account = 2, .amount = Quote(15'015'001)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(1), TimeInForce::kIoc).filled == Lots(1));
  REQUIRE(h.Summary(2).cash == Quote(5'000'000));
  auto adjust = [&](std::int64_t delta) {
    return h.Do(AdjustIsolatedMargin{.market = 1, .account = 2, .delta = Quote(delta)}).reason;
  };
  CHECK(adjust(5'000'001) == Reason::kInsufficientCollateral);
  CHECK(adjust(5'000'000) == Reason::kOk);
  CHECK(h.PositionIn(2).isolated_equity == Quote(15'000'001));
  CHECK(adjust(-5'000'001) == Reason::kInsufficientCollateral);
  CHECK(adjust(-5'000'000) == Reason::kOk);
  CHECK(h.PositionIn(2).isolated_equity == Quote(10'000'001));
  CHECK(h.Summary(2).cash == Quote(5'000'000));
}

// At 3x a bid of 1 lot at 31,000 USD, above the 30,000 mark, rests (the
// book has no asks). Its worst case is the 10,000,001 of one lot at the mark
// plus the open loss if it filled at its limit, (310,000 - 300,000) ticks *
// 100 atoms = 1,000,000: 11,000,001. (Its fee, 310,000 * 100 * 5 bp = 15,500,
// only counts when it is placed: 20,000,000 - 15,500 covers 11,000,001.)
// With 20 USD deposited, free collateral is 20,000,000 - 11,000,001 = 8,999,999.
Harness BidAboveTheMark() {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(20 * kUsd)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(31'000), Lots(1)).ok());
  REQUIRE(h.Summary(2).initial_with_orders == Quote(11'000'001));
  return h;
}

TEST_CASE("Engine: a withdrawal of exactly free collateral is accepted, one atom more is refused",
          "[engine]") {
  Harness h = BidAboveTheMark();
  CHECK(h.Summary(2).free_collateral == Quote(8'999'999));
  CHECK(h.Do(Withdraw{.account = 2, .amount = Quote(9'000'000)}).reason ==
        Reason::kInsufficientCollateral);
  h.Ok(Withdraw{.account = 2, .amount = Quote(8'999'999)});
  CHECK(h.Summary(2).equity == Quote(11'000'001));
  CHECK(h.Do(Withdraw{.account = 2, .amount = Quote(1)}).reason ==
        Reason::kInsufficientCollateral);
}

TEST_CASE("Engine: a transfer of exactly free collateral is accepted, one atom more is refused",
          "[engine]") {
  Harness h = BidAboveTheMark();
  h.Ok(CreateAccount{.account = 4, .owner = 2});  // account 2's owner is 2
  CHECK(h.Do(Transfer{.from = 2, .to = 4, .amount = Quote(9'000'000)}).reason ==
        Reason::kInsufficientCollateral);
  h.Ok(Transfer{.from = 2, .to = 4, .amount = Quote(8'999'999)});
  CHECK(h.Summary(4).cash == Quote(8'999'999));
  CHECK(h.Summary(2).free_collateral == Quote(0));
}

// Open loss is per order (issue 10, Binance's rule): an order priced worse
// than the mark loses on its own, and one on the good side of the mark
// offsets nothing. At 3x with the mark at 30,000 USD, two resting bids of 1
// lot, at 31,000 and at 29,000, need Initial(2 lots) = 20,000,001 (see
// above) plus the 31,000 bid's own loss, (310,000 - 300,000) ticks * 100
// atoms = 1,000,000: 21,000,001. Netted per side (the rule before), the
// 29,000 bid offset it: max(0, 310,000 + 290,000 - 2 * 300,000) = 0, so
// they needed 20,000,001.
// The 29,000 bid comes second and pays its fee as a check, 290,000 * 100 *
// 5 bp = 14,500, so it needs 21,000,001 + 14,500 = 21,014,501 of equity:
// 21,014,500 is one atom short (netted, it left 999,999 atoms to spare).
TEST_CASE("Engine: a bid below the mark never offsets the open loss of one above it",
          "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(21'014'500)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(31'000), Lots(1)).ok());
  CHECK(h.Summary(2).initial_with_orders == Quote(11'000'001));
  CHECK(h.Order(2, 12, Side::kBuy, Usd(29'000), Lots(1)).reason == Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  REQUIRE(h.Order(2, 13, Side::kBuy, Usd(29'000), Lots(1)).ok());
  const AccountSummary s = h.Summary(2);
  CHECK(s.initial_with_orders == Quote(21'000'001));
  CHECK(s.free_collateral == Quote(14'500));  // resting bids were never charged a fee
}

// The mirror: asks of 1 lot at 29,000 (below the mark: loses 1,000,000) and
// at 31,000 (above: offsets nothing) need Initial(2 lots short) 20,000,001 +
// 1,000,000. The 31,000 ask comes second with its fee, 310,000 * 100 * 5 bp
// = 15,500: it needs 21,015,501, and 21,015,500 is one atom short (netted,
// max(0, 2 * 300,000 - 290,000 - 310,000) = 0 left 999,999 to spare).
TEST_CASE("Engine: an ask above the mark never offsets the open loss of one below it",
          "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(21'015'500)});
  REQUIRE(h.Order(2, 11, Side::kSell, Usd(29'000), Lots(1)).ok());
  CHECK(h.Summary(2).initial_with_orders == Quote(11'000'001));
  CHECK(h.Order(2, 12, Side::kSell, Usd(31'000), Lots(1)).reason == Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  REQUIRE(h.Order(2, 13, Side::kSell, Usd(31'000), Lots(1)).ok());
  CHECK(h.Summary(2).initial_with_orders == Quote(21'000'001));
}

// Two bids of 1 lot at 29,000 rest (20,000,001, no loss; their fees of
// 14,500 each pass as checks) with equity 21,000,000. Amending one to
// 31,000, across the mark, adds its own loss of 1,000,000: 21,000,001, one
// atom short (netted, 310,000 + 290,000 - 600,000 = 0 and the amend did not
// even raise the requirement). An amend pays no fee. One more atom and it
// goes through; then one tick higher, 310,001, loses 10,001 * 100 =
// 1,000,100 instead of 1,000,000 (the old price's loss is taken out, the new
// one's put in): 100 atoms short until they are deposited. Back below the
// mark its loss is gone.
TEST_CASE("Engine: an amend across the mark needs the order's own open loss", "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(21'000'000)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(1)).ok());
  REQUIRE(h.Order(2, 12, Side::kBuy, Usd(29'000), Lots(1)).ok());
  REQUIRE(h.Summary(2).initial_with_orders == Quote(20'000'001));
  auto amend = [](Ticks price) {
    return AmendOrder{
        .market = 1, .account = 2, .order_id = 12, .new_price = price, .new_size = Lots(1)};
  };
  CHECK(h.Do(amend(Usd(31'000))).reason == Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  h.Ok(amend(Usd(31'000)));
  CHECK(h.Summary(2).initial_with_orders == Quote(21'000'001));
  CHECK(h.Summary(2).free_collateral == Quote(0));
  CHECK(h.Do(amend(Ticks(310'001))).reason == Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(100)});
  h.Ok(amend(Ticks(310'001)));
  CHECK(h.Summary(2).initial_with_orders == Quote(21'000'101));
  h.Ok(amend(Usd(29'500)));
  CHECK(h.Summary(2).initial_with_orders == Quote(20'000'001));
}

// Long 1 lot at the 30,000 USD mark at 10x: 30,000,000 / 10 = 3,000,000
// atoms (1/10 is exact). A deposit of 10,015,000 less the 15,000 fee leaves
// equity 10,000,000, one atom short of the 10,000,001 that 3x needs.
TEST_CASE("Engine: a leverage cut needs its initial margin to the atom", "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(1)).ok());
  h.Ok(Deposit{.account = 2, .amount = Quote(10'015'000)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(1), TimeInForce::kIoc).filled == Lots(1));
  REQUIRE(h.Summary(2).equity == Quote(10'000'000));
  CHECK(h.Summary(2).initial_requirement == Quote(3'000'000));
  CHECK(h.Do(SetLeverage{.market = 1, .account = 2, .leverage = 3}).reason ==
        Reason::kInsufficientMargin);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  CHECK(h.Summary(2).initial_requirement == Quote(10'000'001));
  CHECK(h.Summary(2).free_collateral == Quote(0));
}

// An isolated position needs an index before its margin moves: the only
// source goes stale (60 s) after the position opened, and both ways are
// refused until a price comes back.
TEST_CASE("Engine: isolated margin cannot move while the market has no index", "[engine]") {
  Harness h = BtcAt30k(100);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(1)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(1), TimeInForce::kIoc).filled == Lots(1));
  h.Ok(TimeTick{.market = 1}, 61'000'000'000);
  REQUIRE(h.eng.Stats(1)->index == Ticks(0));
  REQUIRE(h.PositionIn(2).size == Lots(1));
  const AdjustIsolatedMargin add{.market = 1, .account = 2, .delta = Quote(kUsd)};
  const AdjustIsolatedMargin take{.market = 1, .account = 2, .delta = Quote(-1)};
  CHECK(h.Do(add).reason == Reason::kNoIndexPrice);
  CHECK(h.Do(take).reason == Reason::kNoIndexPrice);
  h.Price(1, Usd(30'000));
  h.Ok(add);
  h.Ok(take);
}

// Max open interest 100 BTC. Bids of 60 and 30 BTC are 90,000 lots of
// exposure; the 30 BTC bid amended to 40,001 lots would make 100,001.
TEST_CASE("Engine: an amend beyond max open interest is refused", "[engine]") {
  MarketParams p = Btc();
  p.max_open_interest = Lots(100 * kBtc);
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));
  h.Account(1, 10'000'000);
  REQUIRE(h.Order(1, 10, Side::kBuy, Usd(29'000), Lots(60 * kBtc)).ok());
  REQUIRE(h.Order(1, 11, Side::kBuy, Usd(29'000), Lots(30 * kBtc)).ok());
  auto amend = [](std::int64_t lots) {
    return AmendOrder{.market = 1,
                      .account = 1,
                      .order_id = 11,
                      .new_price = Usd(29'000),
                      .new_size = Lots(lots)};
  };
  CHECK(h.Do(amend(40 * kBtc + 1)).reason == Reason::kOpenInterestLimit);
  h.Ok(amend(40 * kBtc));
  CHECK(h.PositionIn(1).open_bid_lots == Lots(100 * kBtc));
}

// ---------------------------------------------------------------------------
// Maintenance, liquidation price, withdrawals
// ---------------------------------------------------------------------------

// Binance's isolated long formula LP = (WB - pos * EP) / (pos * MMR - pos)
// with WB = 3,000, pos = 1, EP = 30,000, MMR = 0.4% gives 27,108.43 USD, so
// 271,085 ticks after rounding up.
TEST_CASE("Engine: cross liquidation price of a single long", "[engine]") {
  Harness h = BtcAt30k(3'015);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  const AccountSummary s = h.Summary(2);
  CHECK(s.maintenance_requirement == Quote(120 * kUsd));  // 0.4% of 30,000
  CHECK(s.margin_ratio == Rate(4 * kRateScale / 100));    // 120 / 3,000
  const PositionView& p = s.positions.at(0);
  CHECK(p.liquidation.price == Ticks(271'085));
  CHECK(p.liquidation.tier == 0);
  CHECK_FALSE(s.liquidatable);
  h.Price(1, Ticks(271'084));
  CHECK(h.Summary(2).liquidatable);
}

TEST_CASE("Engine: isolated position draws its initial margin from cross", "[engine]") {
  Harness h = BtcAt30k(5'000);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  // The bucket paid the 15 USD fee and was topped up to IM = 3,000 USD.
  const PositionView p = h.PositionIn(2);
  CHECK(p.isolated_equity == Quote(3'000 * kUsd));
  CHECK(h.Summary(2).cash == Quote((5'000 - 3'015) * kUsd));
  CHECK(p.liquidation.price == Ticks(271'085));
  CHECK(h.Do(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kCross}).reason ==
        Reason::kMarginModeLocked);
  // Removing margin below IM is refused; adding is fine.
  CHECK(h.Do(AdjustIsolatedMargin{.market = 1, .account = 2, .delta = Quote(-1)}).reason ==
        Reason::kInsufficientCollateral);
  h.Ok(AdjustIsolatedMargin{.market = 1, .account = 2, .delta = Quote(1'000 * kUsd)});
  CHECK(h.PositionIn(2).isolated_equity == Quote(4'000 * kUsd));
}

// Accounts 1 and 4 belong to owner 9: by default (owner scope) an order of
// one never trades with the other's; the incoming order's StpMode decides
// (cancel-maker here). With account 4 in account scope they trade.
TEST_CASE("Engine: accounts of one owner do not trade with each other unless one opts out",
          "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  h.Price(1, Usd(30'000));
  h.Ok(CreateAccount{.account = 1, .owner = 9});
  h.Ok(CreateAccount{.account = 4, .owner = 9});
  for (AccountId a : {AccountId(1u), AccountId(4u)}) {
    h.Ok(Deposit{.account = a, .amount = Quote(100'000 * kUsd)});
  }
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  const Result r = h.Order(4, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(0));
  REQUIRE(r.events.size() == 2);
  const auto& maker = As<events::OrderCanceled>(r.events[0]);  // the maker, by STP
  CHECK(maker.order_id == 10);
  CHECK(maker.reason == book::CancelReason::kSelfTrade);
  CHECK(KindOf(r.events[1]) == EventKind::kOrderCanceled);  // the taker's unfilled rest
  REQUIRE(h.Order(1, 12, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  const Result scope = h.Do(SetSelfTradeScope{.account = 4, .scope = SelfTradeScope::kAccount});
  REQUIRE(scope.ok());
  CHECK(scope.events[0] ==
        Event(events::SelfTradeScopeSet{.account = 4, .scope = SelfTradeScope::kAccount}));
  CHECK(h.Order(4, 13, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).filled ==
        Lots(kBtc));
  CHECK(h.Do(SetSelfTradeScope{.account = 4, .scope = static_cast<SelfTradeScope>(2)}).reason ==
        Reason::kInvalidSelfTradeScope);
}

// Accounts 1 and 4 belong to owner 9. Account 1's only order is an ask of
// 100 lots at 30,000; account 4's buy up to 30,010 meets it first, STP
// (cancel-maker) cancels it, and the buy fills account 3's ask at 30,010
// instead. Account 1 is left with nothing in the market: no record.
TEST_CASE("Engine: an STP cancel of an account's last order in a market removes its record",
          "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  h.Price(1, Usd(30'000));
  h.Ok(CreateAccount{.account = 1, .owner = 9});
  h.Ok(CreateAccount{.account = 4, .owner = 9});
  h.Account(3, 100'000);
  for (AccountId a : {AccountId(1u), AccountId(4u)}) {
    h.Ok(Deposit{.account = a, .amount = Quote(100'000 * kUsd)});
  }
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(100)).ok());
  REQUIRE(h.Order(3, 30, Side::kSell, Usd(30'010), Lots(100)).ok());
  CHECK(h.PositionIn(1).open_orders == 1);
  const Result r = h.Order(4, 40, Side::kBuy, Usd(30'010), Lots(100), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(100));
  REQUIRE(r.events.size() == 2);
  const auto& canceled = As<events::OrderCanceled>(r.events[0]);
  CHECK(canceled.account == 1);
  CHECK(canceled.reason == book::CancelReason::kSelfTrade);
  CHECK(As<events::Fill>(r.events[1]).maker.account == 3);
  CHECK_FALSE(h.HasRecord(1));
  CHECK(h.PositionIn(4).size == Lots(100));
  CHECK(h.PositionIn(3).size == Lots(-100));
}

// The top-up is a ledger event after the fill: 3,015 USD from cross into
// the bucket (the 30,015 USD the bucket paid, less the 30,000 USD position,
// plus the 3,000 USD IM at 10x).
TEST_CASE("Engine: an isolated top-up is an event that follows its fill", "[engine]") {
  Harness h = BtcAt30k(5'000);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  const Result r = h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.events.size() == 2);
  CHECK(KindOf(r.events[0]) == EventKind::kFill);
  CHECK(r.events[1] == Event(events::IsolatedMarginChanged{.market = 1,
                                                           .account = 2,
                                                           .amount = Quote(3'015 * kUsd),
                                                           .cause = IsolatedMarginCause::kTopUp}));
}

// A fill that only reduces an isolated position draws nothing from cross
// (the bucket keeps what it has, as at Binance). Long 1 BTC at 30,000 with
// a 3,000 USD bucket (cross 1,985 USD); at a 27,500 mark the bucket's equity
// is 500 USD. Selling 0.5 BTC at 27,500 pays 6.875 USD taker fee from the
// bucket: equity 500 - 6.875 = 493.125 USD, below the 1,375 USD IM of the
// remaining 0.5 BTC, and cross stays 1,985 USD.
TEST_CASE("Engine: a fill that reduces an isolated position draws nothing from cross",
          "[engine]") {
  Harness h = BtcAt30k(5'000);
  h.Account(3, 100'000);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  h.Price(1, Usd(27'500));
  REQUIRE(h.eng.Stats(1)->mark == Usd(27'500));
  CHECK(h.PositionIn(2).isolated_equity == Quote(500 * kUsd));
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(27'500), Lots(kBtc / 2)).ok());
  const Result r = h.Order(2, 13, Side::kSell, Usd(27'500), Lots(kBtc / 2), TimeInForce::kIoc,
                           /*reduce_only=*/true);
  REQUIRE(r.filled == Lots(kBtc / 2));
  REQUIRE(r.events.size() == 1);  // the fill, and no isolated move
  CHECK(h.Summary(2).cash == Quote(1'985 * kUsd));
  CHECK(h.PositionIn(2).isolated_equity == Quote(493'125'000));
}

// PreviewOrder dry-runs Apply's plan, top-up included: the isolated buy of
// 1 BTC at 10x previews the bucket at its 3,000 USD IM, the margin ratio
// 120 / 3,000 = 4% (maintenance 0.4% of 30,000) and the liquidation price
// Apply then shows.
TEST_CASE("Engine: an isolated preview shows the state after the top-up, as Apply leaves it",
          "[engine]") {
  Harness h = BtcAt30k(5'000);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  const PlaceOrder buy{.market = 1,
                       .account = 2,
                       .order_id = 11,
                       .side = Side::kBuy,
                       .tif = TimeInForce::kIoc,
                       .price = Usd(30'000),
                       .size = Lots(kBtc)};
  const Preview pv = *h.eng.PreviewOrder(buy);
  CHECK(pv.reason == Reason::kOk);
  CHECK(pv.resulting_position == Lots(kBtc));
  CHECK(pv.resulting_equity == Quote(3'000 * kUsd));
  CHECK(pv.resulting_margin_ratio == Percent(4));
  REQUIRE(h.Do(buy).ok());
  const PositionView p = h.PositionIn(2);
  CHECK(p.isolated_equity == pv.resulting_equity);
  CHECK(p.liquidation == pv.resulting_liquidation);
  CHECK(p.liquidation.price == Ticks(271'085));
}

TEST_CASE("Engine: closing an isolated position returns its bucket to cross", "[engine]") {
  Harness h = BtcAt30k(5'000);
  h.Account(3, 100'000);
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(30'100), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 13, Side::kSell, Usd(30'100), Lots(kBtc), TimeInForce::kIoc).ok());
  // +100 USD, minus 15 and 15.05 USD taker fees.
  CHECK(h.Summary(2).cash == Quote(5'000 * kUsd + 100 * kUsd - 15 * kUsd - 15'050'000));
  CHECK_FALSE(h.HasRecord(2));  // closed, the bucket released, no orders: no record
}

TEST_CASE("Engine: unrealized profit is withdrawable only down to initial margin", "[engine]") {
  Harness h = BtcAt30k(3'015);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  h.Price(1, Usd(33'000));
  // equity 6,000; IM 3,300; free 2,700.
  const AccountSummary s = h.Summary(2);
  CHECK(s.unrealized_pnl == Quote(3'000 * kUsd));
  CHECK(s.equity == Quote(6'000 * kUsd));
  CHECK(s.free_collateral == Quote(2'700 * kUsd));
  CHECK(h.Do(Withdraw{.account = 2, .amount = Quote(2'700 * kUsd + 1)}).reason ==
        Reason::kInsufficientCollateral);
  h.Ok(Withdraw{.account = 2, .amount = Quote(2'700 * kUsd)});
}

// ---------------------------------------------------------------------------
// Position records: live only
// ---------------------------------------------------------------------------

TEST_CASE("Engine: leverage and margin mode set without a position leave no record, yet apply",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  const std::string before = StateAfterCursor(h.eng);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 10});
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
  CHECK(h.Summary(2).positions.empty());
  CHECK(StateAfterCursor(h.eng) != before);  // the choices are state
  // The first trade makes the record with both choices.
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc / 2)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc / 2), TimeInForce::kIoc).ok());
  PositionView p = h.PositionIn(2);
  CHECK(p.mode == MarginMode::kIsolated);
  CHECK(p.leverage == 10);
  CHECK(p.isolated_equity == Quote(1'500 * kUsd));  // IM at 10x
  // Closed: the record goes; the choices stay and apply to the next one.
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(30'000), Lots(kBtc / 2)).ok());
  REQUIRE(h.Order(2, 13, Side::kSell, Usd(30'000), Lots(kBtc / 2), TimeInForce::kIoc).ok());
  CHECK(h.Summary(2).positions.empty());
  REQUIRE(h.Order(2, 14, Side::kBuy, Usd(29'000), Lots(10)).ok());
  p = h.PositionIn(2);
  CHECK(p.mode == MarginMode::kIsolated);
  CHECK(p.leverage == 10);
  CHECK(p.size == Lots(0));
  CHECK(p.open_orders == 1);
  // Once the orders are gone the mode is free again.
  CHECK(h.Do(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kCross}).reason ==
        Reason::kMarginModeLocked);
  h.Ok(CancelAll{.account = 2});
  CHECK(h.Summary(2).positions.empty());
  h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kCross});
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 100});
  REQUIRE(h.Order(2, 15, Side::kBuy, Usd(29'000), Lots(10)).ok());
  CHECK(h.PositionIn(2).mode == MarginMode::kCross);
  // A chosen leverage is capped by the market's max_leverage; one not chosen
  // (account 3, long since it bought from 2) follows it.
  CHECK(h.PositionIn(2).leverage == 100);
  CHECK(h.PositionIn(3).leverage == 125);
  MarketParams lower = Btc();
  lower.max_leverage = 50;
  h.Ok(UpdateMarket{.market = 1, .params = Shared(lower)});
  CHECK(h.PositionIn(2).leverage == 50);
  CHECK(h.PositionIn(3).leverage == 50);
  h.Ok(UpdateMarket{.market = 1, .params = Shared(Btc())});
  CHECK(h.PositionIn(2).leverage == 100);
  CHECK(h.PositionIn(3).leverage == 125);
}

TEST_CASE("Engine: a record lives while the account has a position or orders in the market",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  REQUIRE(h.Order(2, 20, Side::kBuy, Usd(29'000), Lots(10)).ok());
  CHECK(h.PositionIn(2).open_orders == 1);
  h.Ok(CancelOrder{.market = 1, .account = 2, .order_id = 20});
  CHECK_FALSE(h.HasRecord(2));
  // A position with an order left: the record stays when the position
  // closes, and goes with the last order.
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(2, 21, Side::kBuy, Usd(29'000), Lots(10)).ok());
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(30'300), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 13, Side::kSell, Usd(30'300), Lots(kBtc), TimeInForce::kIoc).ok());
  const PositionView p = h.PositionIn(2);
  CHECK(p.size == Lots(0));
  CHECK(p.open_orders == 1);
  CHECK(p.realized_pnl == Quote(0));  // the closing fill's event carried it
  h.Ok(CancelAll{.account = 2});
  CHECK_FALSE(h.HasRecord(2));
  // Both sides of a fill: account 3's resting ask closes its long as a maker,
  // account 1's buy closes its short as a taker.
  REQUIRE(h.Order(3, 14, Side::kSell, Usd(30'400), Lots(kBtc)).ok());
  CHECK(h.PositionIn(3).open_orders == 1);
  REQUIRE(h.Order(1, 15, Side::kBuy, Usd(30'400), Lots(kBtc), TimeInForce::kIoc).ok());
  CHECK_FALSE(h.HasRecord(3));
  CHECK_FALSE(h.HasRecord(1));
  CHECK(h.eng.Stats(1)->open_interest_long == Lots(0));
}

TEST_CASE("Engine: realized PnL is per position: it restarts when one opens or flips",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(30'300), Lots(2 * kBtc)).ok());
  // Half closed 300 USD up, then the rest and half a BTC more: a flip.
  REQUIRE(h.Order(2, 13, Side::kSell, Usd(30'300), Lots(kBtc / 2), TimeInForce::kIoc).ok());
  CHECK(h.PositionIn(2).realized_pnl == Quote(150 * kUsd));
  const Result r = h.Order(2, 14, Side::kSell, Usd(30'300), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(As<events::Fill>(r.events[0]).taker.realized == Quote(150 * kUsd));  // the closing half
  const PositionView p = h.PositionIn(2);
  CHECK(p.size == Lots(-kBtc / 2));
  CHECK(p.entry_price == Usd(30'300));
  CHECK(p.realized_pnl == Quote(0));
}

// ---------------------------------------------------------------------------
// Cancel-replace
// ---------------------------------------------------------------------------

CancelReplace Replace(AccountId account, OrderId old_id, OrderId id, Side side, Ticks price,
                      Lots size, TimeInForce tif = TimeInForce::kGtc) {
  return CancelReplace{.market = 1,
                       .account = account,
                       .old_order_id = old_id,
                       .order_id = id,
                       .side = side,
                       .tif = tif,
                       .price = price,
                       .size = size};
}

// The ids of an account's live orders, in OpenOrders() order.
std::vector<OrderId> LiveIds(const Harness& h, AccountId account) {
  const absl::StatusOr<std::vector<OpenOrder>> orders = h.eng.OpenOrders(account);
  REQUIRE(orders.ok());
  std::vector<OrderId> ids;
  for (const OpenOrder& o : *orders) ids.push_back(o.order.id);
  return ids;
}

TEST_CASE("Engine: cancel-replace cancels the old order and rests the new one in one seq",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(kBtc / 2)).ok());
  const std::uint64_t seq = h.eng.last_seq();
  const Result r = h.Do(Replace(2, 11, 12, Side::kBuy, Usd(29'500), Lots(kBtc)));
  REQUIRE(r.ok());
  CHECK(r.seq == seq + 1);
  CHECK(h.eng.last_seq() == seq + 1);
  CHECK(r.filled == Lots(0));
  CHECK(r.rested == Lots(kBtc));
  REQUIRE(r.events.size() == 2);
  CHECK(r.events[0] == Event(events::OrderCanceled{.market = 1,
                                                   .account = 2,
                                                   .order_id = 11,
                                                   .side = Side::kBuy,
                                                   .reason = book::CancelReason::kUser,
                                                   .price = Usd(29'000),
                                                   .size = Lots(kBtc / 2),
                                                   .remaining = Lots(0)}));
  CHECK(r.events[1] == Event(events::OrderRested{.market = 1,
                                                 .account = 2,
                                                 .order_id = 12,
                                                 .side = Side::kBuy,
                                                 .price = Usd(29'500),
                                                 .size = Lots(kBtc)}));
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{12});
  CHECK(h.PositionIn(2).open_bid_lots == Lots(kBtc));
  CHECK(h.PositionIn(2).open_orders == 1);
  // The old order's id and client id are free for the new one.
  CancelReplace same = Replace(2, 12, 12, Side::kBuy, Usd(29'400), Lots(kBtc));
  same.client_id = 7;
  h.Ok(same);
  same.price = Usd(29'300);
  h.Ok(same);
  const absl::StatusOr<std::vector<OpenOrder>> orders = h.eng.OpenOrders(2);
  REQUIRE(orders.ok());
  REQUIRE(orders->size() == 1);
  CHECK((*orders)[0].order.id == 12);
  CHECK((*orders)[0].order.client_id == 7);
  CHECK((*orders)[0].order.price == Usd(29'300));
}

// At 3x a resting bid of 1 lot at 29,000 USD takes 10,000,001 atoms of
// initial margin (see "an order needs its initial margin and fee to the
// atom"). Replaced by 2 lots at 29,000 it frees those and needs 20,000,001
// for the two lots plus the new order's taker fee, 290,000 * 2 * 100 * 5 bp
// = 29,000 (a replacement is a new order; an amend pays no fee): cash
// 20,029,000 is one atom short.
TEST_CASE("Engine: a cancel-replace refused for margin changes nothing, the old order stays",
          "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(10'014'501)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(1)).ok());
  h.Ok(Deposit{.account = 2, .amount = Quote(10'014'499)});
  const std::string before = StateAfterCursor(h.eng);
  const std::uint64_t seq = h.eng.last_seq();
  const CancelReplace two = Replace(2, 11, 12, Side::kBuy, Usd(29'000), Lots(2));
  const Result r = h.Do(two, 5);
  CHECK(r.reason == Reason::kInsufficientMargin);
  CHECK(r.events.empty());
  CHECK(r.seq == seq + 1);
  CHECK(h.eng.now() == TimeNs(h.now));
  CHECK(StateAfterCursor(h.eng) == before);
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{11});
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  h.Ok(two);
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{12});
  CHECK(h.Summary(2).initial_with_orders == Quote(20'000'001));
  CHECK(h.Summary(2).free_collateral == Quote(29'000));  // the fee, never charged: it rests
}

// Open loss is per order for a cancel-replace too, priced with the old
// order gone. At 3x with the mark at 30,000 USD, bids of 1 lot at 29,000
// (ids 11 and 12) need Initial(2 lots) = 20,000,001 and lose nothing.
// Replacing 12 by a bid of 1 lot at 31,000 keeps two lots but adds that
// bid's own loss, (310,000 - 300,000) ticks * 100 atoms = 1,000,000, and
// the new order's taker fee, 310,000 * 100 * 5 bp = 15,500: 21,015,501.
// Cash 21,015,500 is one atom short (netted per side, the 29,000 bid offset
// the loss, 290,000 + 310,000 - 2 * 300,000 = 0, and it left 999,999 to
// spare); the placements before needed at most 20,000,001 + 14,500.
TEST_CASE("Engine: a cancel-replace that moves a bid above the mark needs its own open loss",
          "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(21'015'500)});
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(1)).ok());
  REQUIRE(h.Order(2, 12, Side::kBuy, Usd(29'000), Lots(1)).ok());
  REQUIRE(h.Summary(2).initial_with_orders == Quote(20'000'001));
  const std::string before = StateAfterCursor(h.eng);
  const CancelReplace up = Replace(2, 12, 13, Side::kBuy, Usd(31'000), Lots(1));
  CHECK(h.Do(up).reason == Reason::kInsufficientMargin);
  CHECK(StateAfterCursor(h.eng) == before);
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  h.Ok(up);
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{11, 13});
  const AccountSummary s = h.Summary(2);
  CHECK(s.initial_with_orders == Quote(21'000'001));
  CHECK(s.free_collateral == Quote(15'500));  // the fee, never charged: it rests
}

// The old order leaves its side and the new one joins the other. At 3x an
// ask of 1 lot at 31,000 (above the 30,000 mark: no loss) needs Initial(1
// lot short) = 10,000,001, and 15,500 of fee to place. Replaced by a bid of
// 1 lot at 31,000 the asks are empty and the bids need Initial(1 lot long)
// 10,000,001 plus the bid's own loss 1,000,000 plus its fee 15,500:
// 11,015,501, so cash 11,015,500 is one atom short. (Were the old ask taken
// off the bids instead, the bid's loss would cancel out and 10,015,501
// would do.)
TEST_CASE("Engine: a cancel-replace from an ask to a bid above the mark needs the bid's open loss",
          "[engine]") {
  Harness h = BtcAt30k(0);
  h.Ok(SetLeverage{.market = 1, .account = 2, .leverage = 3});
  h.Ok(Deposit{.account = 2, .amount = Quote(11'015'500)});
  REQUIRE(h.Order(2, 11, Side::kSell, Usd(31'000), Lots(1)).ok());
  REQUIRE(h.Summary(2).initial_with_orders == Quote(10'000'001));
  const CancelReplace flip = Replace(2, 11, 12, Side::kBuy, Usd(31'000), Lots(1));
  CHECK(h.Do(flip).reason == Reason::kInsufficientMargin);
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{11});
  h.Ok(Deposit{.account = 2, .amount = Quote(1)});
  h.Ok(flip);
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{12});
  CHECK(h.PositionIn(2).open_ask_lots == Lots(0));
  CHECK(h.PositionIn(2).open_bid_lots == Lots(1));
  CHECK(h.Summary(2).initial_with_orders == Quote(11'000'001));
  CHECK(h.Summary(2).free_collateral == Quote(15'500));
}

TEST_CASE("Engine: a cancel-replace to a crossing post-only order is refused, the old one stays",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(100)).ok());
  const std::string before = StateAfterCursor(h.eng);
  const Result r =
      h.Do(Replace(2, 11, 12, Side::kBuy, Usd(30'000), Lots(100), TimeInForce::kPostOnly));
  CHECK(r.reason == Reason::kPostOnlyWouldCross);
  CHECK(r.events.empty());
  CHECK(StateAfterCursor(h.eng) == before);
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{11});
  // Post-only slide rests one tick (0.1 USD) behind the best ask instead.
  const Result slid =
      h.Do(Replace(2, 11, 12, Side::kBuy, Usd(30'000), Lots(100), TimeInForce::kPostOnlySlide));
  REQUIRE(slid.ok());
  REQUIRE(slid.events.size() == 2);
  CHECK(KindOf(slid.events[0]) == EventKind::kOrderCanceled);
  CHECK(As<events::OrderRested>(slid.events[1]).price == Ticks(299'999));
}

TEST_CASE("Engine: an account at max_orders_per_account can still cancel-replace", "[engine]") {
  MarketParams p = Btc();
  p.max_orders_per_account = 2;
  p.price_band = Rate(0);  // bids at 28,000, 6.7% below the index
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));
  h.Account(2, 10'000);
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(100)).ok());
  REQUIRE(h.Order(2, 12, Side::kBuy, Usd(28'000), Lots(100)).ok());
  CHECK(h.Order(2, 13, Side::kBuy, Usd(28'500), Lots(100)).reason ==
        Reason::kTooManyOrders);
  const Result r = h.Do(Replace(2, 12, 13, Side::kBuy, Usd(28'500), Lots(100)));
  REQUIRE(r.ok());
  CHECK(r.rested == Lots(100));
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{11, 13});
}

// An amend never trades; a cancel-replace to the same crossing price does.
// 1 BTC at 30,000 USD: taker fee 5 bp = 15 USD, maker fee 1 bp = 3 USD.
TEST_CASE("Engine: cancel-replace to a crossing price trades, where an amend is refused",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(kBtc)).ok());
  CHECK(h.Do(AmendOrder{.market = 1,
                        .account = 2,
                        .order_id = 11,
                        .new_price = Usd(30'000),
                        .new_size = Lots(kBtc)})
            .reason == Reason::kAmendWouldCross);
  const Result r = h.Do(Replace(2, 11, 12, Side::kBuy, Usd(30'000), Lots(kBtc)));
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(kBtc));
  CHECK(r.rested == Lots(0));
  REQUIRE(r.events.size() == 2);
  CHECK(As<events::OrderCanceled>(r.events[0]).order_id == 11);
  CHECK(r.events[1] == Event(events::Fill{.market = 1,
                                          .price = Usd(30'000),
                                          .size = Lots(kBtc),
                                          .taker = {.account = 2,
                                                    .order_id = 12,
                                                    .side = Side::kBuy,
                                                    .remaining = Lots(0),
                                                    .fee = Quote(15 * kUsd),
                                                    .position = Lots(kBtc)},
                                          .maker = {.account = 1,
                                                    .order_id = 10,
                                                    .side = Side::kSell,
                                                    .remaining = Lots(0),
                                                    .fee = Quote(3 * kUsd),
                                                    .position = Lots(-kBtc)}}));
  CHECK(h.Summary(2).cash == Quote((10'000 - 30'000 - 15) * kUsd));
  CHECK(h.PositionIn(2).size == Lots(kBtc));
  CHECK(h.PositionIn(2).open_orders == 0);
  CHECK(h.eng.OpenOrders(2)->empty());
}

// Account 2's own best ask is the order it replaces, so the buy does not
// meet it; it fills account 1's ask at 30,010 and then meets account 2's
// other ask at 30,020, which self-trade prevention (cancel-maker) cancels.
// 100 lots at 30,010 USD = 3,001 USD: taker fee 1.5005 USD, maker 0.3001.
TEST_CASE("Engine: the replaced order is gone before the new one matches", "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'010), Lots(100)).ok());
  REQUIRE(h.Order(2, 11, Side::kSell, Usd(30'000), Lots(100)).ok());
  REQUIRE(h.Order(2, 13, Side::kSell, Usd(30'020), Lots(100)).ok());
  const Result r = h.Do(Replace(2, 11, 12, Side::kBuy, Usd(30'020), Lots(200)));
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(100));
  CHECK(r.rested == Lots(100));
  REQUIRE(r.events.size() == 4);
  CHECK(As<events::OrderCanceled>(r.events[0]).order_id == 11);
  CHECK(As<events::OrderCanceled>(r.events[0]).reason == book::CancelReason::kUser);
  const auto& fill = As<events::Fill>(r.events[1]);
  CHECK(fill.maker.order_id == 10);
  CHECK(fill.price == Usd(30'010));
  CHECK(fill.size == Lots(100));
  CHECK(fill.taker.fee == Quote(1'500'500));
  CHECK(fill.maker.fee == Quote(300'100));
  CHECK(As<events::OrderCanceled>(r.events[2]).order_id == 13);
  CHECK(As<events::OrderCanceled>(r.events[2]).reason == book::CancelReason::kSelfTrade);
  const auto& rested = As<events::OrderRested>(r.events[3]);
  CHECK(rested.order_id == 12);
  CHECK(rested.price == Usd(30'020));
  CHECK(rested.size == Lots(100));
  CHECK(LiveIds(h, 2) == std::vector<OrderId>{12});
  CHECK(h.PositionIn(2).size == Lots(100));
  CHECK(h.PositionIn(2).open_ask_lots == Lots(0));
}

TEST_CASE("Engine: cancel-replace of an unknown or another account's order is refused",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(31'000), Lots(100)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(100)).ok());
  std::string before = StateAfterCursor(h.eng);
  auto refused = [&](const CancelReplace& c, Reason want) {
    const Result r = h.Do(c);
    CHECK(r.reason == want);
    CHECK(r.events.empty());
    CHECK(StateAfterCursor(h.eng) == before);
    CHECK(LiveIds(h, 2) == std::vector<OrderId>{11});
  };
  const CancelReplace ok = Replace(2, 11, 12, Side::kBuy, Usd(29'500), Lots(100));
  refused(Replace(2, 99, 12, Side::kBuy, Usd(29'500), Lots(100)),
          Reason::kUnknownOrder);
  refused(Replace(2, 10, 12, Side::kBuy, Usd(29'500), Lots(100)),  // account 1's order
          Reason::kNotOrderOwner);
  CancelReplace elsewhere = ok;
  elsewhere.market = 9;
  refused(elsewhere, Reason::kUnknownMarket);
  CancelReplace nobody = ok;
  nobody.account = 7;
  refused(nobody, Reason::kUnknownAccount);
  // The book's checks of the new order come before anything changes too.
  refused(Replace(2, 11, 10, Side::kBuy, Usd(29'500), Lots(100)),
          Reason::kDuplicateOrderId);
  refused(Replace(2, 11, 12, Side::kBuy, Usd(29'500), Lots(200), TimeInForce::kFok),
          Reason::kFokNotFilled);
  h.Ok(SetMarketStatus{.market = 1, .status = MarketStatus::kHalted});
  before = StateAfterCursor(h.eng);
  refused(ok, Reason::kMarketHalted);
}

// Account 2's only order is a bid at 29,000. Replaced by an IOC bid at
// 29,500, below the best ask (30,000), it fills nothing and rests nothing:
// the cancel emptied the record and the new order never made one. Then
// account 2 goes long 100 lots and rests a bid; replacing that bid with an
// IOC sell of 100 into account 3's bid at 29,900 closes the position, and
// again nothing is left in the market.
TEST_CASE("Engine: a cancel-replace that leaves nothing in the market leaves no record",
          "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(29'000), Lots(100)).ok());
  const Result r =
      h.Do(Replace(2, 11, 12, Side::kBuy, Usd(29'500), Lots(100), TimeInForce::kIoc));
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(0));
  CHECK(r.rested == Lots(0));
  CHECK(h.eng.OpenOrders(2)->empty());
  CHECK_FALSE(h.HasRecord(2));

  REQUIRE(h.Order(2, 13, Side::kBuy, Usd(30'000), Lots(100), TimeInForce::kIoc).filled ==
          Lots(100));
  REQUIRE(h.Order(2, 14, Side::kBuy, Usd(29'000), Lots(10)).ok());
  REQUIRE(h.Order(3, 30, Side::kBuy, Usd(29'900), Lots(100)).ok());
  const Result closed =
      h.Do(Replace(2, 14, 15, Side::kSell, Usd(29'900), Lots(100), TimeInForce::kIoc));
  REQUIRE(closed.ok());
  CHECK(closed.filled == Lots(100));
  CHECK(As<events::Fill>(closed.events.back()).taker.position == Lots(0));
  CHECK_FALSE(h.HasRecord(2));
  CHECK(h.PositionIn(3).size == Lots(100));
}

// ---------------------------------------------------------------------------
// Reduce-only, oracle, breaker
// ---------------------------------------------------------------------------

TEST_CASE("Engine: reduce-only is clamped to the position and never flips it", "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(30'000), Lots(2 * kBtc)).ok());
  const Result r =
      h.Order(2, 13, Side::kSell, Usd(30'000), Lots(2 * kBtc), TimeInForce::kIoc, true);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(kBtc));
  CHECK_FALSE(h.HasRecord(2));
  CHECK(h.Order(2, 14, Side::kSell, Usd(30'000), Lots(1), TimeInForce::kIoc, true).reason ==
        Reason::kReduceOnlyWouldIncrease);
  CHECK(h.Order(2, 15, Side::kSell, Usd(30'000), Lots(1), TimeInForce::kGtc, true).reason ==
        Reason::kReduceOnlyNotImmediate);
}

TEST_CASE("Engine: without a fresh index nothing may add risk, but closing works", "[engine]") {
  Harness h = BtcAt30k(10'000);
  h.Account(3, 100'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 11, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(3, 12, Side::kBuy, Usd(29'900), Lots(kBtc)).ok());
  // The only source goes stale (default staleness 60 s).
  h.Ok(TimeTick{.market = 1}, 61'000'000'000);
  CHECK(h.eng.Stats(1)->index == Ticks(0));
  CHECK(h.Order(2, 13, Side::kBuy, Usd(29'000), Lots(1)).reason == Reason::kNoIndexPrice);
  CHECK(h.Do(Withdraw{.account = 2, .amount = Quote(1)}).reason == Reason::kNoIndexPrice);
  const Result r =
      h.Order(2, 14, Side::kSell, Usd(29'900), Lots(kBtc), TimeInForce::kIoc, true);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(kBtc));
  CHECK_FALSE(h.HasRecord(2));
}

TEST_CASE("Engine: index is the median of fresh sources", "[engine]") {
  Harness h;
  MarketParams p = Btc();
  p.oracle.min_sources = 2;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000), 1);
  CHECK(h.eng.Stats(1)->index == Ticks(0));  // one source is not enough
  h.Price(1, Usd(30'020), 2);
  h.Price(1, Usd(30'010), 3);
  const MarketStats s = *h.eng.Stats(1);
  CHECK(s.index == Usd(30'010));
  CHECK(s.mark == Usd(30'010));
  CHECK(s.fresh_sources == 3);
}

TEST_CASE("Engine: an outlier source trips the breaker and the market goes reduce-only",
          "[engine]") {
  Harness h;
  MarketParams p = Btc();
  p.oracle.max_source_deviation = Percent(1);
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Account(1, 100'000);
  h.Price(1, Usd(30'000), 1);
  h.Price(1, Usd(30'010), 2);
  const Result r = h.Do(OraclePrice{.market = 1, .source = 3, .price = Usd(33'000),
                                    .publish_time = TimeNs(h.now)});
  REQUIRE(r.ok());
  bool tripped = false;
  for (const Event& e : r.events) {
    if (const auto* b = std::get_if<events::CircuitBreaker>(&e)) {
      tripped = b->tripped && b->cause == oracle::BreakerCause::kSourceDeviation;
    }
  }
  CHECK(tripped);
  CHECK(h.eng.Stats(1)->breaker);
  CHECK(h.Order(1, 10, Side::kBuy, Usd(29'000), Lots(1)).reason == Reason::kMarketReduceOnly);
  h.Price(1, Usd(30'005), 3);
  CHECK_FALSE(h.eng.Stats(1)->breaker);
  REQUIRE(h.Order(1, 11, Side::kBuy, Usd(29'000), Lots(1)).ok());
}

TEST_CASE("Engine: oracle refusals have their own reasons", "[engine]") {
  Harness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(Btc())});
  auto publish = [&](SourceId s, Ticks price, std::int64_t at) {
    return h.Do(OraclePrice{.market = 1, .source = s, .price = price, .publish_time = TimeNs(at)})
        .reason;
  };
  CHECK(publish(0, Usd(1), h.now) == Reason::kOracleInvalidSource);
  CHECK(publish(1, Ticks(0), h.now) == Reason::kOracleInvalidPrice);
  CHECK(publish(1, Usd(1), h.now + 1) == Reason::kOracleFromTheFuture);
  CHECK(publish(1, Usd(2'000'000), h.now) == Reason::kPriceAboveMax);
  CHECK(publish(1, Usd(1), h.now) == Reason::kOk);
  CHECK(publish(1, Usd(1), h.now - 1) == Reason::kOracleOutOfOrder);
  CHECK(publish(1, Usd(1), h.now) == Reason::kOk);
}

// ---------------------------------------------------------------------------
// Queries and preview
// ---------------------------------------------------------------------------

TEST_CASE("Engine: open orders are listed by market then placement", "[engine]") {
  Harness h = BtcAt30k(10'000);
  MarketParams eth = Btc();
  eth.symbol = "ETH-USD";
  h.Ok(CreateMarket{.market = 2, .params = Shared(eth)});
  h.Price(2, Usd(2'000));
  REQUIRE(h.Do(PlaceOrder{.market = 2,
                          .account = 2,
                          .order_id = 5,
                          .side = Side::kBuy,
                          .price = Usd(1'900),
                          .size = Lots(10)})
              .ok());
  REQUIRE(h.Order(2, 7, Side::kBuy, Usd(29'000), Lots(10)).ok());
  REQUIRE(h.Order(2, 6, Side::kBuy, Usd(28'600), Lots(10)).ok());  // inside the 5% band
  const auto orders = *h.eng.OpenOrders(2);
  REQUIRE(orders.size() == 3);
  CHECK(orders[0].market == 1);
  CHECK(orders[0].order.id == 7);
  CHECK(orders[1].order.id == 6);
  CHECK(orders[2].market == 2);
  h.Ok(CancelAll{.account = 2});
  CHECK(h.eng.OpenOrders(2)->empty());
}

TEST_CASE("Engine: preview walks the book and changes nothing", "[engine]") {
  Harness h = BtcAt30k(10'000);
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(30'000), Lots(kBtc / 2)).ok());
  REQUIRE(h.Order(1, 11, Side::kSell, Usd(30'100), Lots(kBtc)).ok());
  REQUIRE(h.Order(1, 12, Side::kBuy, Usd(29'900), Lots(kBtc)).ok());
  const auto before = h.eng.Digest();
  const PlaceOrder order{.market = 1,
                         .account = 2,
                         .order_id = 20,
                         .side = Side::kBuy,
                         .tif = TimeInForce::kIoc,
                         .price = Usd(30'100),
                         .size = Lots(kBtc)};
  const Preview pv = *h.eng.PreviewOrder(order);
  CHECK(h.eng.Digest() == before);
  CHECK(pv.reason == Reason::kOk);
  CHECK(pv.fill_size == Lots(kBtc));
  CHECK(pv.average_price == Usd(30'050));
  CHECK(pv.fill_notional == Quote(30'050 * kUsd));
  // mid 29,950; (30,050 - 29,950) / 29,950, rounded up.
  CHECK(pv.slippage == Rate(3'338'898'163'606'011));  // 3,338,898,163,606,010.01 up
  CHECK(pv.fee == Quote(15'025'000));
  CHECK(pv.rest_size == Lots(0));
  CHECK(pv.resulting_position == Lots(kBtc));
  // Equity after: 10,000 - 30,050 - 15.025 + 1 BTC at mark 30,000.
  CHECK(pv.resulting_equity == Quote(10'000 * kUsd - 50 * kUsd - 15'025'000));
  const Result r = h.Do(order);
  REQUIRE(r.ok());
  CHECK(r.filled == pv.fill_size);
  CHECK(h.Summary(2).equity == pv.resulting_equity);
}

TEST_CASE("Engine: preview reports the margin verdict Apply would give", "[engine]") {
  Harness h = BtcAt30k(100);
  const PlaceOrder order{.market = 1,
                         .account = 2,
                         .order_id = 20,
                         .side = Side::kBuy,
                         .price = Usd(30'000),
                         .size = Lots(kBtc)};
  CHECK(h.eng.PreviewOrder(order)->reason == Reason::kInsufficientMargin);
  CHECK(h.Do(order).reason == Reason::kInsufficientMargin);
  CHECK(absl::IsNotFound(h.eng.PreviewOrder(PlaceOrder{.market = 9, .account = 2, .order_id = 20}).status()));
}

}  // namespace
}  // namespace perpcore::engine

namespace perpcore::engine {
namespace {

// Sizes admitted under one max_open_interest must not meet a max_price
// admitted under another: that is what keeps every notional below 2^54.
TEST_CASE("Engine: bounds cannot be lowered while the market has positions or orders",
          "[engine]") {
  Harness h = BtcAt30k(0);
  MarketParams lower_oi = Btc();
  lower_oi.max_open_interest = Lots(500 * kBtc);
  MarketParams lower_price = Btc();
  lower_price.max_price = Usd(500'000);
  h.Ok(UpdateMarket{.market = 1, .params = Shared(lower_oi)});  // empty market: fine
  h.Ok(UpdateMarket{.market = 1, .params = Shared(Btc())});
  REQUIRE(h.Order(1, 10, Side::kSell, Usd(31'000), Lots(kBtc)).ok());
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(lower_oi)}).reason == Reason::kParamImmutable);
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(lower_price)}).reason == Reason::kParamImmutable);
  h.Ok(CancelOrder{.market = 1, .account = 1, .order_id = 10});
  h.Ok(UpdateMarket{.market = 1, .params = Shared(lower_price)});
}

}  // namespace
}  // namespace perpcore::engine

namespace perpcore::engine {
namespace {

TEST_CASE("Engine: the default market parameters are valid", "[engine]") {
  Harness h;
  CHECK(h.eng.ValidateMarket(MarketParams{}).ok());
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
}

}  // namespace
}  // namespace perpcore::engine

// Unit tests of perpcore/book/order_book.hpp: one behaviour per test case,
// every expected value worked out by hand from the header contract.
#include "perpcore/book/order_book.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <utility>
#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "perpcore/detail/encode.hpp"
#include "support/catch_ids.hpp"

namespace perpcore::testing {

using book::AmendRequest;
using book::BookConfig;
using book::CancelReason;
using book::Event;
using book::EventKind;
using book::LevelView;
using book::OrderBook;
using book::OrderRequest;
using book::OrderType;
using book::OrderView;
using book::PlaceResult;
using perpcore::Reason;
using book::Side;
using book::StpMode;
using book::TimeInForce;

using Events = std::vector<Event>;

// Half of int64 plus one: two of these at one level overflow its total.
constexpr std::int64_t kHalfPlus = std::numeric_limits<std::int64_t>::max() / 2 + 1;

// Rate(kRateScale / 20): a band of +-5% around the reference price.
constexpr Rate kFivePercent{kRateScale / 20};

OrderRequest Limit(OrderId id, AccountId account, Side side, std::int64_t price,
                   std::int64_t size, TimeInForce tif = TimeInForce::kGtc,
                   StpMode stp = StpMode::kCancelMaker) {
  OrderRequest o;
  o.id = id;
  o.account = account;
  o.side = side;
  o.type = OrderType::kLimit;
  o.tif = tif;
  o.stp = stp;
  o.price = Ticks(price);
  o.size = Lots(size);
  return o;
}

OrderRequest Market(OrderId id, AccountId account, Side side, std::int64_t protection,
                    std::int64_t size, TimeInForce tif = TimeInForce::kIoc) {
  OrderRequest o = Limit(id, account, side, protection, size, tif);
  o.type = OrderType::kMarket;
  return o;
}

AmendRequest AmendTo(AccountId account, OrderId id, std::int64_t price, std::int64_t size) {
  AmendRequest a;
  a.account = account;
  a.id = id;
  a.new_price = Ticks(price);
  a.new_size = Lots(size);
  return a;
}

// Expected events, every field spelled out; unused fields keep their defaults.
Event FillEv(OrderId taker, AccountId taker_account, Side taker_side, std::int64_t price,
             std::int64_t size, std::int64_t taker_remaining, OrderId maker,
             AccountId maker_account, std::int64_t maker_remaining) {
  Event e;
  e.kind = EventKind::kFill;
  e.side = taker_side;
  e.order_id = taker;
  e.account = taker_account;
  e.price = Ticks(price);
  e.size = Lots(size);
  e.remaining = Lots(taker_remaining);
  e.maker_order_id = maker;
  e.maker_account = maker_account;
  e.maker_remaining = Lots(maker_remaining);
  return e;
}

Event RestedEv(OrderId id, AccountId account, Side side, std::int64_t price, std::int64_t size) {
  Event e;
  e.kind = EventKind::kRested;
  e.side = side;
  e.order_id = id;
  e.account = account;
  e.price = Ticks(price);
  e.size = Lots(size);
  e.remaining = Lots(size);
  return e;
}

Event CanceledEv(OrderId id, AccountId account, Side side, std::int64_t price, std::int64_t size,
                 std::int64_t remaining, CancelReason reason) {
  Event e;
  e.kind = EventKind::kCanceled;
  e.side = side;
  e.reason = reason;
  e.order_id = id;
  e.account = account;
  e.price = Ticks(price);
  e.size = Lots(size);
  e.remaining = Lots(remaining);
  return e;
}

Event ReducedEv(OrderId id, AccountId account, Side side, std::int64_t price, std::int64_t size,
                std::int64_t remaining) {
  Event e;
  e.kind = EventKind::kReduced;
  e.side = side;
  e.reason = CancelReason::kSelfTrade;
  e.order_id = id;
  e.account = account;
  e.price = Ticks(price);
  e.size = Lots(size);
  e.remaining = Lots(remaining);
  return e;
}

Event AmendedEv(OrderId id, AccountId account, Side side, std::int64_t new_price,
                std::int64_t old_size, std::int64_t new_size, bool priority_kept) {
  Event e;
  e.kind = EventKind::kAmended;
  e.side = side;
  e.priority_kept = priority_kept;
  e.order_id = id;
  e.account = account;
  e.price = Ticks(new_price);
  e.size = Lots(old_size);
  e.remaining = Lots(new_size);
  return e;
}

std::string KindName(EventKind k) {
  switch (k) {
    case EventKind::kFill: return "Fill";
    case EventKind::kRested: return "Rested";
    case EventKind::kCanceled: return "Canceled";
    case EventKind::kReduced: return "Reduced";
    case EventKind::kAmended: return "Amended";
  }
  return "Kind(" + std::to_string(static_cast<int>(k)) + ")";
}

std::string CancelReasonName(CancelReason r) {
  switch (r) {
    case CancelReason::kUser: return "User";
    case CancelReason::kCancelAll: return "CancelAll";
    case CancelReason::kUnfilledRemainder: return "UnfilledRemainder";
    case CancelReason::kSelfTrade: return "SelfTrade";
    case CancelReason::kMaxFill: return "MaxFill";
    case CancelReason::kMatchLimit: return "MatchLimit";
    case CancelReason::kAccountLocked: return "AccountLocked";
    case CancelReason::kLiquidation: return "Liquidation";
    case CancelReason::kMarketSettled: return "MarketSettled";
  }
  return "CancelReason(" + std::to_string(static_cast<int>(r)) + ")";
}

// One line per event with every field, so a failed comparison shows the
// whole sequence and equal lines mean equal events.
std::vector<std::string> Dump(std::span<const Event> events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(KindName(e.kind) + " side=" + (e.side == Side::kBuy ? "Buy" : "Sell") +
                  " reason=" + CancelReasonName(e.reason) +
                  " kept=" + (e.priority_kept ? "1" : "0") +
                  " id=" + std::to_string(e.order_id.value()) +
                  " acct=" + std::to_string(e.account.value()) +
                  " px=" + std::to_string(e.price.raw()) + " sz=" + std::to_string(e.size.raw()) +
                  " rem=" + std::to_string(e.remaining.raw()) +
                  " maker=" + std::to_string(e.maker_order_id.value()) +
                  " macct=" + std::to_string(e.maker_account.value()) +
                  " mrem=" + std::to_string(e.maker_remaining.raw()));
  }
  return out;
}

std::string Encoding(const OrderBook& book) {
  std::string out;
  book.EncodeCanonical(&out);
  return out;
}

// The ids at one level, in queue order.
std::vector<OrderId> QueueIds(const OrderBook& book, Side side, std::int64_t price) {
  std::array<OrderView, 64> views{};
  const std::size_t n = book.OrdersAt(side, Ticks(price), views);
  std::vector<OrderId> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(views[i].id);
  return ids;
}

// {price, total, orders} of the best `n` levels.
std::vector<std::array<std::int64_t, 3>> Levels(const OrderBook& book, Side side,
                                                std::size_t n = 16) {
  std::vector<LevelView> views(n);
  const std::size_t written = book.Depth(side, views);
  std::vector<std::array<std::int64_t, 3>> out;
  for (std::size_t i = 0; i < written && i < n; ++i) {
    out.push_back({views[i].price.raw(), views[i].total.raw(),
                   static_cast<std::int64_t>(views[i].orders)});
  }
  return out;
}

// Places an order that must rest in full without trading. `line` defaults to
// the caller's (__builtin_LINE(), in GCC and Clang): std::source_location is
// not usable with Clang 14 over libstdc++ 12, which needs Clang 15's
// __builtin_source_location.
void Rest(OrderBook& book, const OrderRequest& o,
          int line = __builtin_LINE()) {
  INFO("Rest() called from line " << line);
  const PlaceResult r = book.Place(o);
  REQUIRE(r.reason == Reason::kOk);
  REQUIRE(r.filled.raw() == 0);
  REQUIRE(r.rested.raw() == o.size.raw());
  REQUIRE(book.CheckInvariants().ok());
}

// `call` must return `want` (a refusal), emit no event and leave the book
// byte-identical.
template <class F>
void ExpectRefusal(OrderBook& book, F&& call, Reason want,
                   int line = __builtin_LINE()) {
  INFO("refusal expected at line " << line);
  const std::string before = Encoding(book);
  const Reason got = call();
  CHECK(got == want);
  CHECK(book.events().empty());
  CHECK(Encoding(book) == before);
  CHECK(book.CheckInvariants().ok());
}

void ExpectPlaceRefused(OrderBook& book, const OrderRequest& o, Reason want,
                        int line = __builtin_LINE()) {
  PlaceResult r;
  ExpectRefusal(
      book,
      [&] {
        r = book.Place(o);
        return r.reason;
      },
      want, line);
  INFO("refusal expected at line " << line);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
}

void ExpectAmendRefused(OrderBook& book, const AmendRequest& a, Reason want,
                        int line = __builtin_LINE()) {
  ExpectRefusal(book, [&] { return book.Amend(a); }, want, line);
}

// Sha256() / TaggedSha256()
//
// A plain FIPS 180-4 SHA-256, independent of the library's, to check that
// Digest() is the BIP-340 tagged hash of EncodeCanonical():
// SHA256(SHA256(tag) || SHA256(tag) || msg).
std::array<std::uint8_t, 32> Sha256(std::string_view msg) {
  static constexpr std::array<std::uint32_t, 64> kK = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string data(msg);
  const std::uint64_t bits = static_cast<std::uint64_t>(msg.size()) * 8;
  data.push_back(static_cast<char>(0x80));
  while (data.size() % 64 != 56) data.push_back('\0');
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (std::size_t off = 0; off < data.size(); off += 64) {
    std::array<std::uint32_t, 64> w{};
    for (std::size_t i = 0; i < 16; ++i) {
      for (std::size_t j = 0; j < 4; ++j) {
        w[i] = (w[i] << 8) | static_cast<std::uint8_t>(data[off + 4 * i + j]);
      }
    }
    for (std::size_t i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::array<std::uint32_t, 8> v = h;
    for (std::size_t i = 0; i < 64; ++i) {
      const std::uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
      const std::uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
      const std::uint32_t t1 = v[7] + s1 + ch + kK[i] + w[i];
      const std::uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
      const std::uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
      const std::uint32_t t2 = s0 + maj;
      v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
    }
    for (std::size_t i = 0; i < 8; ++i) h[i] += v[i];
  }
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  }
  return out;
}

std::array<std::uint8_t, 32> TaggedSha256(std::string_view tag, std::string_view msg) {
  const std::array<std::uint8_t, 32> t = Sha256(tag);
  std::string pre(reinterpret_cast<const char*>(t.data()), t.size());
  return Sha256(pre + pre + std::string(msg));
}

std::string Hex(const std::array<std::uint8_t, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace perpcore::testing

using namespace perpcore;        // NOLINT(build/namespaces)
using namespace perpcore::book;  // NOLINT(build/namespaces)
using perpcore::testing::AmendTo;
using perpcore::testing::AmendedEv;
using perpcore::testing::CanceledEv;
using perpcore::testing::Dump;
using perpcore::testing::Encoding;
using perpcore::testing::Events;
using perpcore::testing::ExpectAmendRefused;
using perpcore::testing::ExpectPlaceRefused;
using perpcore::testing::ExpectRefusal;
using perpcore::testing::FillEv;
using perpcore::testing::Hex;
using perpcore::testing::Sha256;
using perpcore::testing::TaggedSha256;
using perpcore::testing::kFivePercent;
using perpcore::testing::kHalfPlus;
using perpcore::testing::Levels;
using perpcore::testing::Limit;
using perpcore::testing::Market;
using perpcore::testing::QueueIds;
using perpcore::testing::ReducedEv;
using perpcore::testing::Rest;
using perpcore::testing::RestedEv;

namespace {
constexpr Side kBuy = Side::kBuy;
constexpr Side kSell = Side::kSell;
using Lv = std::vector<std::array<std::int64_t, 3>>;
using Ids = std::vector<OrderId>;
}  // namespace

// ---------------------------------------------------------------------------
// Limit orders and matching
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: a non-crossing GTC limit order rests", "[book]") {
  OrderBook book(BookConfig{});
  const PlaceResult r = book.Place(Limit(1, 10, kBuy, 100, 5));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 5);
  CHECK(r.rest_price.raw() == 100);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(1, 10, kBuy, 100, 5)}));
  CHECK(book.BestBid() == Ticks(100));
  CHECK(book.BestAsk() == std::nullopt);
  CHECK(book.Best(kBuy) == LevelView{Ticks(100), Lots(5), 1});
  CHECK(book.order_count() == 1);
  CHECK(book.level_count(kBuy) == 1);
  CHECK(book.level_count(kSell) == 0);
  CHECK(book.account_order_count(10) == 1);
}

TEST_CASE("OrderBook: a crossing limit order fills at the maker's price", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  const PlaceResult r = book.Place(Limit(2, 20, kSell, 95, 5));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 5);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(2, 20, kSell, 100, 5, 0, 1, 10, 0)}));
  CHECK(book.order_count() == 0);
  CHECK(book.level_count(kBuy) == 0);
  CHECK(book.level_count(kSell) == 0);
  CHECK(book.account_order_count(10) == 0);
  CHECK(book.BestBid() == std::nullopt);
}

TEST_CASE("OrderBook: a sweep takes the best price first, then time priority in a level",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 101, 2));
  Rest(book, Limit(2, 12, kSell, 100, 3));
  Rest(book, Limit(3, 13, kSell, 100, 4));
  Rest(book, Limit(4, 14, kSell, 102, 5));
  const PlaceResult r = book.Place(Limit(10, 20, kBuy, 101, 8));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 8);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) == Dump(Events{
                                   FillEv(10, 20, kBuy, 100, 3, 5, 2, 12, 0),
                                   FillEv(10, 20, kBuy, 100, 4, 1, 3, 13, 0),
                                   FillEv(10, 20, kBuy, 101, 1, 0, 1, 11, 1),
                               }));
  CHECK(Levels(book, kSell) == Lv{{101, 1, 1}, {102, 5, 1}});
  CHECK(book.BestBid() == std::nullopt);
  CHECK(book.order_count() == 2);
  REQUIRE(book.Find(1).has_value());
  CHECK(book.Find(1)->remaining.raw() == 1);
}

TEST_CASE("OrderBook: a partially filled GTC order rests its remainder at its limit",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 3));
  const PlaceResult r = book.Place(Limit(2, 20, kBuy, 101, 10));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 3);
  CHECK(r.rested.raw() == 7);
  CHECK(r.rest_price.raw() == 101);
  CHECK(Dump(book.events()) == Dump(Events{
                                   FillEv(2, 20, kBuy, 100, 3, 7, 1, 11, 0),
                                   RestedEv(2, 20, kBuy, 101, 7),
                               }));
  CHECK(book.BestBid() == Ticks(101));
  CHECK(book.BestAsk() == std::nullopt);
  REQUIRE(book.Find(2).has_value());
  CHECK(book.Find(2)->remaining.raw() == 7);
}

TEST_CASE("OrderBook: a market order stops at its protection price and cancels the rest",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 3));
  Rest(book, Limit(2, 12, kSell, 101, 3));
  Rest(book, Limit(3, 13, kSell, 102, 5));
  const PlaceResult r = book.Place(Market(10, 20, kBuy, 101, 10));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 6);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(10, 20, kBuy, 100, 3, 7, 1, 11, 0),
            FillEv(10, 20, kBuy, 101, 3, 4, 2, 12, 0),
            CanceledEv(10, 20, kBuy, 101, 4, 0, CancelReason::kUnfilledRemainder),
        }));
  CHECK(book.BestAsk() == Ticks(102));
  CHECK(book.BestBid() == std::nullopt);
  CHECK(book.order_count() == 1);
}

TEST_CASE("OrderBook: a market sell stops at its protection price", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kBuy, 100, 2));
  Rest(book, Limit(2, 12, kBuy, 98, 2));
  const PlaceResult r = book.Place(Market(10, 20, kSell, 99, 5));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 2);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(10, 20, kSell, 100, 2, 3, 1, 11, 0),
            CanceledEv(10, 20, kSell, 99, 3, 0, CancelReason::kUnfilledRemainder),
        }));
  CHECK(book.BestBid() == Ticks(98));
}

TEST_CASE("OrderBook: a market order with GTC or post-only time in force is refused",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 3));
  ExpectPlaceRefused(book, Market(10, 20, kBuy, 100, 1, TimeInForce::kGtc),
                     Reason::kInvalidTimeInForce);
  ExpectPlaceRefused(book, Market(10, 20, kBuy, 100, 1, TimeInForce::kPostOnly),
                     Reason::kInvalidTimeInForce);
  ExpectPlaceRefused(book, Market(10, 20, kBuy, 100, 1, TimeInForce::kPostOnlySlide),
                     Reason::kInvalidTimeInForce);
  // The same order as FOK is accepted.
  const PlaceResult r = book.Place(Market(10, 20, kBuy, 100, 3, TimeInForce::kFok));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 3);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(10, 20, kBuy, 100, 3, 0, 1, 11, 0)}));
  CHECK(book.order_count() == 0);
}

// ---------------------------------------------------------------------------
// IOC and FOK
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: IOC remainder is cancelled, not rested", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 5));
  const PlaceResult r = book.Place(Limit(2, 20, kBuy, 100, 8, TimeInForce::kIoc));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 5);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(2, 20, kBuy, 100, 5, 3, 1, 11, 0),
            CanceledEv(2, 20, kBuy, 100, 3, 0, CancelReason::kUnfilledRemainder),
        }));
  CHECK(book.BestBid() == std::nullopt);
  CHECK(book.order_count() == 0);
  CHECK(book.Find(2) == std::nullopt);
}

TEST_CASE("OrderBook: an IOC that cannot trade is accepted and cancelled in full", "[book]") {
  OrderBook book(BookConfig{});
  const PlaceResult r = book.Place(Limit(1, 20, kSell, 100, 4, TimeInForce::kIoc));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(1, 20, kSell, 100, 4, 0, CancelReason::kUnfilledRemainder)}));
  CHECK(book.order_count() == 0);
}

TEST_CASE("OrderBook: a fully fillable FOK order fills across levels", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 3));
  Rest(book, Limit(2, 12, kSell, 101, 3));
  const PlaceResult r = book.Place(Limit(3, 20, kBuy, 101, 6, TimeInForce::kFok));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 6);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) == Dump(Events{
                                   FillEv(3, 20, kBuy, 100, 3, 3, 1, 11, 0),
                                   FillEv(3, 20, kBuy, 101, 3, 0, 2, 12, 0),
                               }));
  CHECK(book.order_count() == 0);
}

TEST_CASE("OrderBook: a FOK order that cannot fill in full is refused and changes nothing",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 3));
  Rest(book, Limit(2, 12, kSell, 101, 3));
  ExpectPlaceRefused(book, Limit(3, 20, kBuy, 101, 7, TimeInForce::kFok),
                     Reason::kFokNotFilled);
  ExpectPlaceRefused(book, Limit(3, 20, kBuy, 100, 4, TimeInForce::kFok),
                     Reason::kFokNotFilled);
  ExpectPlaceRefused(book, Market(3, 20, kBuy, 101, 7, TimeInForce::kFok),
                     Reason::kFokNotFilled);
  CHECK(book.order_count() == 2);
}

TEST_CASE("OrderBook: FOK does not count own liquidity under STP cancel-maker", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 5));  // the taker's own
  Rest(book, Limit(2, 12, kSell, 100, 3));
  ExpectPlaceRefused(book, Limit(3, 20, kBuy, 100, 5, TimeInForce::kFok),
                     Reason::kFokNotFilled);
  // 3 lots are fillable: the own order in front is cancelled, then it trades.
  const PlaceResult r = book.Place(Limit(3, 20, kBuy, 100, 3, TimeInForce::kFok));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 3);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            FillEv(3, 20, kBuy, 100, 3, 0, 2, 12, 0),
        }));
  CHECK(book.order_count() == 0);
}

TEST_CASE("OrderBook: FOK with STP cancel-taker fails if it meets its own order first",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 12, kSell, 100, 2));
  Rest(book, Limit(2, 20, kSell, 100, 5));  // the taker's own
  Rest(book, Limit(3, 13, kSell, 100, 5));
  ExpectPlaceRefused(
      book, Limit(4, 20, kBuy, 100, 4, TimeInForce::kFok, StpMode::kCancelTaker),
      Reason::kFokNotFilled);
  // 2 lots fill before the own order is reached.
  const PlaceResult r =
      book.Place(Limit(4, 20, kBuy, 100, 2, TimeInForce::kFok, StpMode::kCancelTaker));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 2);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(4, 20, kBuy, 100, 2, 0, 1, 12, 0)}));
  CHECK(QueueIds(book, kSell, 100) == Ids{2, 3});
}

TEST_CASE("OrderBook: FOK needs only min(size, max_fill) to be fillable", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 3));
  OrderRequest o = Limit(2, 20, kBuy, 100, 10, TimeInForce::kFok);
  o.max_fill = Lots(3);
  OrderRequest too_big = o;
  too_big.max_fill = Lots(4);
  ExpectPlaceRefused(book, too_big, Reason::kFokNotFilled);
  const PlaceResult r = book.Place(o);
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 3);
  CHECK(Dump(book.events()) == Dump(Events{
                                   CanceledEv(2, 20, kBuy, 100, 7, 3, CancelReason::kMaxFill),
                                   FillEv(2, 20, kBuy, 100, 3, 0, 1, 11, 0),
                               }));
  CHECK(book.order_count() == 0);
}

// ---------------------------------------------------------------------------
// Post-only
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: a post-only order that does not cross rests", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 101, 5));
  PlaceResult r = book.Place(Limit(2, 20, kBuy, 100, 4, TimeInForce::kPostOnly));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.rested.raw() == 4);
  CHECK(r.rest_price.raw() == 100);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(2, 20, kBuy, 100, 4)}));
  r = book.Place(Limit(3, 21, kSell, 105, 1, TimeInForce::kPostOnly));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(3, 21, kSell, 105, 1)}));
  CHECK(Levels(book, kSell) == Lv{{101, 5, 1}, {105, 1, 1}});
}

TEST_CASE("OrderBook: a post-only order that would cross is refused", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 5));
  Rest(book, Limit(2, 12, kBuy, 98, 5));
  ExpectPlaceRefused(book, Limit(3, 20, kBuy, 100, 1, TimeInForce::kPostOnly),
                     Reason::kPostOnlyWouldCross);
  ExpectPlaceRefused(book, Limit(3, 20, kBuy, 101, 1, TimeInForce::kPostOnly),
                     Reason::kPostOnlyWouldCross);
  ExpectPlaceRefused(book, Limit(3, 20, kSell, 98, 1, TimeInForce::kPostOnly),
                     Reason::kPostOnlyWouldCross);
  ExpectPlaceRefused(book, Limit(3, 20, kSell, 90, 1, TimeInForce::kPostOnly),
                     Reason::kPostOnlyWouldCross);
}

TEST_CASE("OrderBook: post-only slide re-prices one price step behind the opposite best",
          "[book]") {
  BookConfig cfg;
  cfg.price_step = Ticks(5);
  OrderBook book(cfg);
  Rest(book, Limit(1, 11, kSell, 100, 5));
  Rest(book, Limit(2, 12, kBuy, 90, 5));

  PlaceResult r = book.Place(Limit(3, 20, kBuy, 110, 4, TimeInForce::kPostOnlySlide));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 4);
  CHECK(r.rest_price.raw() == 95);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(3, 20, kBuy, 95, 4)}));
  CHECK(book.Best(kBuy) == LevelView{Ticks(95), Lots(4), 1});

  // A sell slides to best bid (now 95) + 5 and joins the ask level at 100.
  r = book.Place(Limit(4, 21, kSell, 80, 2, TimeInForce::kPostOnlySlide));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.rest_price.raw() == 100);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(4, 21, kSell, 100, 2)}));
  CHECK(book.Best(kSell) == LevelView{Ticks(100), Lots(7), 2});
  CHECK(QueueIds(book, kSell, 100) == Ids{1, 4});

  // A slide order that does not cross keeps its price.
  r = book.Place(Limit(5, 22, kBuy, 85, 1, TimeInForce::kPostOnlySlide));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(5, 22, kBuy, 85, 1)}));
}

TEST_CASE("OrderBook: a post-only slide to a price outside the band is refused", "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  Rest(book, Limit(1, 11, kSell, 95, 5));
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);  // band [95, 105]
  CHECK(book.CheckInvariants().ok());
  // 100 is in the band but the slide target 94 is not.
  ExpectPlaceRefused(book, Limit(2, 20, kBuy, 100, 1, TimeInForce::kPostOnlySlide),
                     Reason::kPriceOutsideBand);
}

TEST_CASE("OrderBook: a post-only slide to a price of zero is refused", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 1, 5));
  ExpectPlaceRefused(book, Limit(2, 20, kBuy, 5, 1, TimeInForce::kPostOnlySlide),
                     Reason::kPriceOutsideBand);
}

// ---------------------------------------------------------------------------
// max_fill
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: max_fill cuts the excess first, then the order fills and rests",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 4));
  OrderRequest o = Limit(2, 20, kBuy, 100, 10);
  o.max_fill = Lots(6);
  const PlaceResult r = book.Place(o);
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 4);
  CHECK(r.rested.raw() == 2);
  CHECK(r.rest_price.raw() == 100);
  CHECK(Dump(book.events()) == Dump(Events{
                                   CanceledEv(2, 20, kBuy, 100, 4, 6, CancelReason::kMaxFill),
                                   FillEv(2, 20, kBuy, 100, 4, 2, 1, 11, 0),
                                   RestedEv(2, 20, kBuy, 100, 2),
                               }));
  CHECK(book.Best(kBuy) == LevelView{Ticks(100), Lots(2), 1});
  CHECK(book.BestAsk() == std::nullopt);
}

TEST_CASE("OrderBook: max_fill 0 cancels the whole order", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 4));
  OrderRequest o = Limit(2, 20, kBuy, 100, 10);
  o.max_fill = Lots(0);
  const PlaceResult r = book.Place(o);
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(2, 20, kBuy, 100, 10, 0, CancelReason::kMaxFill)}));
  CHECK(book.Best(kSell) == LevelView{Ticks(100), Lots(4), 1});
  CHECK(book.order_count() == 1);
}

TEST_CASE("OrderBook: max_fill equal to the size cuts nothing", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 4));
  OrderRequest o = Limit(2, 20, kBuy, 100, 5);
  o.max_fill = Lots(5);
  const PlaceResult r = book.Place(o);
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) == Dump(Events{
                                   FillEv(2, 20, kBuy, 100, 4, 1, 1, 11, 0),
                                   RestedEv(2, 20, kBuy, 100, 1),
                               }));
}

// ---------------------------------------------------------------------------
// Self-trade prevention
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: STP cancel-maker cancels the own order and keeps matching", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 5));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r =
      book.Place(Limit(3, 20, kBuy, 100, 5, TimeInForce::kGtc, StpMode::kCancelMaker));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 5);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            FillEv(3, 20, kBuy, 100, 5, 0, 2, 12, 0),
        }));
  CHECK(book.order_count() == 0);
  CHECK(book.account_order_count(20) == 0);
}

TEST_CASE("OrderBook: STP cancel-maker then rests the remainder", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 5));
  const PlaceResult r = book.Place(Limit(3, 20, kBuy, 100, 8));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 8);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            RestedEv(3, 20, kBuy, 100, 8),
        }));
  CHECK(book.BestAsk() == std::nullopt);
  CHECK(book.BestBid() == Ticks(100));
}

TEST_CASE("OrderBook: STP cancel-taker cancels the taker's remainder, prior fills stand",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 12, kSell, 100, 3));
  Rest(book, Limit(2, 20, kSell, 100, 5));
  Rest(book, Limit(3, 13, kSell, 101, 5));
  const PlaceResult r =
      book.Place(Limit(4, 20, kBuy, 101, 10, TimeInForce::kGtc, StpMode::kCancelTaker));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 3);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(4, 20, kBuy, 100, 3, 7, 1, 12, 0),
            CanceledEv(4, 20, kBuy, 101, 7, 0, CancelReason::kSelfTrade),
        }));
  CHECK(Levels(book, kSell) == Lv{{100, 5, 1}, {101, 5, 1}});
  CHECK(QueueIds(book, kSell, 100) == Ids{2});
  CHECK(book.BestBid() == std::nullopt);
}

TEST_CASE("OrderBook: STP cancel-both cancels the own maker and the taker", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 5));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r =
      book.Place(Limit(3, 20, kBuy, 100, 8, TimeInForce::kGtc, StpMode::kCancelBoth));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            CanceledEv(3, 20, kBuy, 100, 8, 0, CancelReason::kSelfTrade),
        }));
  CHECK(QueueIds(book, kSell, 100) == Ids{2});
  CHECK(book.BestBid() == std::nullopt);
}

TEST_CASE("OrderBook: STP decrement-and-cancel with a smaller maker reduces the taker",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 3));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r = book.Place(
      Limit(3, 20, kBuy, 100, 8, TimeInForce::kGtc, StpMode::kDecrementAndCancel));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 5);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 3, 0, CancelReason::kSelfTrade),
            ReducedEv(3, 20, kBuy, 100, 3, 5),
            FillEv(3, 20, kBuy, 100, 5, 0, 2, 12, 0),
        }));
  CHECK(book.order_count() == 0);
}

TEST_CASE("OrderBook: STP decrement-and-cancel rests what is left of a reduced taker",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 3));
  const PlaceResult r = book.Place(
      Limit(2, 20, kBuy, 100, 8, TimeInForce::kGtc, StpMode::kDecrementAndCancel));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 5);
  CHECK(r.rest_price.raw() == 100);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 3, 0, CancelReason::kSelfTrade),
            ReducedEv(2, 20, kBuy, 100, 3, 5),
            RestedEv(2, 20, kBuy, 100, 5),
        }));
  CHECK(book.BestAsk() == std::nullopt);
  CHECK(book.Best(kBuy) == LevelView{Ticks(100), Lots(5), 1});
}

TEST_CASE("OrderBook: STP decrement-and-cancel with a larger maker keeps its priority",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 8));
  Rest(book, Limit(2, 12, kSell, 100, 2));
  REQUIRE(book.Find(1).has_value());
  const std::uint64_t priority = book.Find(1)->priority;
  const PlaceResult r = book.Place(
      Limit(3, 20, kBuy, 100, 3, TimeInForce::kGtc, StpMode::kDecrementAndCancel));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            ReducedEv(1, 20, kSell, 100, 3, 5),
            CanceledEv(3, 20, kBuy, 100, 3, 0, CancelReason::kSelfTrade),
        }));
  CHECK(QueueIds(book, kSell, 100) == Ids{1, 2});
  CHECK(book.Best(kSell) == LevelView{Ticks(100), Lots(7), 2});
  REQUIRE(book.Find(1).has_value());
  CHECK(book.Find(1)->remaining.raw() == 5);
  CHECK(book.Find(1)->priority == priority);
  CHECK(book.BestBid() == std::nullopt);
}

TEST_CASE("OrderBook: STP decrement-and-cancel with equal sizes cancels both", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 20, kSell, 100, 5));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r = book.Place(
      Limit(3, 20, kBuy, 100, 5, TimeInForce::kGtc, StpMode::kDecrementAndCancel));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            CanceledEv(3, 20, kBuy, 100, 5, 0, CancelReason::kSelfTrade),
        }));
  CHECK(QueueIds(book, kSell, 100) == Ids{2});
  CHECK(book.Best(kSell) == LevelView{Ticks(100), Lots(5), 1});
}

// ---------------------------------------------------------------------------
// Self-trade prevention by STP group (OrderRequest::stp_group)
// ---------------------------------------------------------------------------

namespace {
// `o` with an explicit STP group.
OrderRequest InGroup(OrderRequest o, std::uint64_t group) {
  o.stp_group = group;
  return o;
}
}  // namespace

// Accounts 21 and 22 share group 7 (one owner); account 12 is someone else.
// In each case: 21's sell of 5 rests first, then 12's sell of 5, and 22
// buys 8 at 100.
TEST_CASE("OrderBook: STP group cancel-maker cancels the other account's order, then trades",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 5), 7));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r = book.Place(InGroup(Limit(3, 22, kBuy, 100, 8), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 5);
  CHECK(r.rested.raw() == 3);
  // The cancel names the resting order and its own account, not the taker's.
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 21, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            FillEv(3, 22, kBuy, 100, 5, 3, 2, 12, 0),
            RestedEv(3, 22, kBuy, 100, 3),
        }));
  CHECK(book.account_order_count(21) == 0);
  CHECK(book.BestAsk() == std::nullopt);
}

TEST_CASE("OrderBook: STP group cancel-taker cancels the taker, the other account's order stays",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 5), 7));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r = book.Place(
      InGroup(Limit(3, 22, kBuy, 100, 8, TimeInForce::kGtc, StpMode::kCancelTaker), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(3, 22, kBuy, 100, 8, 0, CancelReason::kSelfTrade)}));
  CHECK(QueueIds(book, kSell, 100) == Ids{1, 2});
  CHECK(book.BestBid() == std::nullopt);
}

TEST_CASE("OrderBook: STP group cancel-both cancels the other account's order and the taker",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 5), 7));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r = book.Place(
      InGroup(Limit(3, 22, kBuy, 100, 8, TimeInForce::kGtc, StpMode::kCancelBoth), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 0);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 21, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            CanceledEv(3, 22, kBuy, 100, 8, 0, CancelReason::kSelfTrade),
        }));
  CHECK(QueueIds(book, kSell, 100) == Ids{2});
}

TEST_CASE("OrderBook: STP group decrement-and-cancel reduces across accounts without a trade",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 5), 7));
  Rest(book, Limit(2, 12, kSell, 100, 5));
  const PlaceResult r = book.Place(
      InGroup(Limit(3, 22, kBuy, 100, 8, TimeInForce::kGtc, StpMode::kDecrementAndCancel), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 3);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 21, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            ReducedEv(3, 22, kBuy, 100, 5, 3),
            FillEv(3, 22, kBuy, 100, 3, 0, 2, 12, 2),
        }));
  CHECK(QueueIds(book, kSell, 100) == Ids{2});

  // A larger resting order of the group is reduced, the taker cancelled.
  Rest(book, InGroup(Limit(4, 21, kSell, 101, 9), 7));
  const PlaceResult r2 = book.Place(InGroup(
      Limit(5, 22, kBuy, 101, 4, TimeInForce::kIoc, StpMode::kDecrementAndCancel), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r2.filled.raw() == 2);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(5, 22, kBuy, 100, 2, 2, 2, 12, 0),
            ReducedEv(4, 21, kSell, 101, 2, 7),
            CanceledEv(5, 22, kBuy, 101, 2, 0, CancelReason::kSelfTrade),
        }));
  CHECK(book.Best(kSell) == LevelView{Ticks(101), Lots(7), 1});
}

TEST_CASE("OrderBook: accounts in different STP groups, or without one, trade", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 2), 7));
  Rest(book, Limit(2, 23, kSell, 100, 2));  // no group
  // Group 8 meets group 7 and an account of its own: two trades.
  PlaceResult r = book.Place(
      InGroup(Limit(3, 22, kBuy, 100, 4, TimeInForce::kGtc, StpMode::kCancelBoth), 8));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 4);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(3, 22, kBuy, 100, 2, 2, 1, 21, 0),
            FillEv(3, 22, kBuy, 100, 2, 0, 2, 23, 0),
        }));
  // And an order without a group trades with a grouped order of another account.
  Rest(book, InGroup(Limit(4, 21, kSell, 100, 1), 7));
  r = book.Place(Limit(5, 24, kBuy, 100, 1, TimeInForce::kIoc, StpMode::kCancelBoth));
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{FillEv(5, 24, kBuy, 100, 1, 0, 4, 21, 0)}));
}

TEST_CASE("OrderBook: an STP group equal to an account id is not that account's group",
          "[book]") {
  // Account 7 is its own group; account 30 carries explicit group 7. The
  // numbers collide, the groups do not: they trade both ways round.
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 7, kSell, 100, 3));
  PlaceResult r = book.Place(
      InGroup(Limit(2, 30, kBuy, 100, 3, TimeInForce::kIoc, StpMode::kCancelBoth), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 3);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(2, 30, kBuy, 100, 3, 0, 1, 7, 0)}));

  Rest(book, InGroup(Limit(3, 30, kSell, 100, 3), 7));
  r = book.Place(Limit(4, 7, kBuy, 100, 3, TimeInForce::kIoc, StpMode::kCancelBoth));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 3);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(4, 7, kBuy, 100, 3, 0, 3, 30, 0)}));

  // Account 7 joining group 7 explicitly is in it.
  Rest(book, InGroup(Limit(5, 30, kSell, 100, 3), 7));
  r = book.Place(
      InGroup(Limit(6, 7, kBuy, 100, 3, TimeInForce::kIoc, StpMode::kCancelBoth), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(5, 30, kSell, 100, 3, 0, CancelReason::kSelfTrade),
            CanceledEv(6, 7, kBuy, 100, 3, 0, CancelReason::kSelfTrade),
        }));
  CHECK(book.order_count() == 0);
}

TEST_CASE("OrderBook: an account never trades with itself, whatever its orders' groups",
          "[book]") {
  // While an account moves from its own group to its owner's (or between
  // groups), its resting and incoming orders carry different groups.
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 21, kSell, 100, 2));               // own group
  Rest(book, InGroup(Limit(2, 21, kSell, 100, 2), 7));   // group 7
  Rest(book, InGroup(Limit(3, 21, kSell, 100, 2), 9));   // group 9
  const PlaceResult r = book.Place(InGroup(Limit(4, 21, kBuy, 100, 6, TimeInForce::kIoc), 8));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 21, kSell, 100, 2, 0, CancelReason::kSelfTrade),
            CanceledEv(2, 21, kSell, 100, 2, 0, CancelReason::kSelfTrade),
            CanceledEv(3, 21, kSell, 100, 2, 0, CancelReason::kSelfTrade),
            CanceledEv(4, 21, kBuy, 100, 6, 0, CancelReason::kUnfilledRemainder),
        }));
}

TEST_CASE("OrderBook: FOK does not count its STP group's orders as liquidity", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 5), 7));
  Rest(book, Limit(2, 12, kSell, 100, 3));
  // Account 22 has no order in the book, its group has one.
  ExpectPlaceRefused(book, InGroup(Limit(3, 22, kBuy, 100, 4, TimeInForce::kFok), 7),
                     Reason::kFokNotFilled);
  ExpectPlaceRefused(
      book,
      InGroup(Limit(3, 22, kBuy, 100, 1, TimeInForce::kFok, StpMode::kCancelTaker), 7),
      Reason::kFokNotFilled);
  // Without the group all 8 lots are liquidity.
  const PlaceResult r = book.Place(Limit(3, 22, kBuy, 100, 8, TimeInForce::kFok));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 8);
}

TEST_CASE("OrderBook: a resting order keeps its STP group through amends and queries",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 101, 5), 7));
  Rest(book, Limit(2, 21, kSell, 102, 5));
  REQUIRE(book.Find(1).has_value());
  CHECK(book.Find(1)->stp_group == 7);
  CHECK(book.Find(2)->stp_group == 0);
  REQUIRE(book.Amend(AmendTo(21, 1, 100, 6)) == Reason::kOk);  // re-queued
  CHECK(book.CheckInvariants().ok());
  std::array<OrderView, 4> views{};
  REQUIRE(book.OrdersAt(kSell, Ticks(100), views) == 1);
  CHECK(views[0].stp_group == 7);
  REQUIRE(book.OrdersOf(21, views) == 2);
  CHECK(views[0].stp_group == 7);
  CHECK(views[1].stp_group == 0);
  // Still group 7: another account of the group does not trade with it.
  const PlaceResult r = book.Place(InGroup(Limit(3, 22, kBuy, 100, 6, TimeInForce::kIoc), 7));
  CHECK(r.filled.raw() == 0);
  CHECK(book.events().front() == CanceledEv(1, 21, kSell, 100, 6, 0, CancelReason::kSelfTrade));
  CHECK(book.CheckInvariants().ok());
}

TEST_CASE("OrderBook: a group with no resting order left is forgotten and can come back",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, InGroup(Limit(1, 21, kSell, 100, 5), 7));
  REQUIRE(book.Cancel(21, 1) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  // Group 7 is gone: a group-7 order of another account now rests and trades.
  Rest(book, InGroup(Limit(2, 22, kSell, 100, 5), 7));
  Rest(book, Limit(3, 22, kSell, 101, 5));
  const PlaceResult r = book.Place(InGroup(Limit(4, 23, kBuy, 101, 6, TimeInForce::kIoc), 9));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 6);
  // STP cancels free the taker's account record (its last order) and the
  // group's (its last order); the remainder then rests with both made anew.
  Rest(book, InGroup(Limit(5, 21, kSell, 102, 1), 7));
  const PlaceResult r2 = book.Place(InGroup(Limit(6, 22, kBuy, 102, 3), 7));
  CHECK(book.CheckInvariants().ok());
  CHECK(r2.filled.raw() == 0);
  CHECK(r2.rested.raw() == 3);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(3, 22, kSell, 101, 4, 0, CancelReason::kSelfTrade),
            CanceledEv(5, 21, kSell, 102, 1, 0, CancelReason::kSelfTrade),
            RestedEv(6, 22, kBuy, 102, 3),
        }));
}

// Accounts 1..2,100 each rest a 1-lot bid at 3,000 - account, in group
// 10,000 + account: 2,100 groups, more than the orders of one pool chunk
// (1,024). Account 1's bid at 2,999 is the best; a sell of group 10,001
// there meets it first.
TEST_CASE("OrderBook: orders of many STP groups keep their group and match by it",
          "[book]") {
  OrderBook book(BookConfig{});
  constexpr std::uint64_t kAccounts = 2'100;
  for (std::uint64_t a = 1; a <= kAccounts; ++a) {
    const PlaceResult r = book.Place(InGroup(
        Limit(OrderId(a), AccountId(a), kBuy, 3'000 - static_cast<std::int64_t>(a), 1),
        10'000 + a));
    REQUIRE(r.rested.raw() == 1);
  }
  CHECK(book.CheckInvariants().ok());
  for (std::uint64_t a = 1; a <= kAccounts; ++a) {
    INFO("order " << a);
    CHECK(book.Find(OrderId(a))->stp_group == 10'000 + a);
  }
  const PlaceResult r = book.Place(InGroup(Limit(5'000, 9'001, kSell, 2'999, 1), 10'001));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.filled.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 1, kBuy, 2'999, 1, 0, CancelReason::kSelfTrade),
            RestedEv(5'000, 9'001, kSell, 2'999, 1),
        }));
}

TEST_CASE("OrderBook: EncodeCanonical adds the STP groups only when some order has one",
          "[book]") {
  using detail::PutI64;
  using detail::PutU64;
  // The layout documented on EncodeCanonical, for one resting buy.
  auto expected = [](OrderId id, std::uint64_t priority, std::uint64_t next_priority) {
    std::string e = "perpcore/book/v1";
    PutI64(&e, 1);                                        // price_step
    PutI64(&e, 1);                                        // size_step
    PutI64(&e, std::numeric_limits<std::int64_t>::max());  // max_order_size
    PutU64(&e, 1000);                                     // max_orders_per_account
    PutU64(&e, 10000);                                    // max_levels_per_side
    PutU64(&e, 1u << 24);                                 // max_book_orders
    PutU64(&e, 1000);                                     // max_matches_per_order
    PutI64(&e, 0);                                        // price_band
    PutI64(&e, 0);                                        // reference price
    PutU64(&e, next_priority);
    PutU64(&e, 1);  // bid levels
    PutI64(&e, 100);
    PutI64(&e, 5);
    PutU64(&e, 1);
    PutU64(&e, id);
    PutU64(&e, 10);  // account
    PutU64(&e, 0);   // client id
    PutI64(&e, 5);   // remaining
    PutU64(&e, priority);
    PutU64(&e, 0);  // ask levels
    PutU64(&e, 1);  // accounts
    PutU64(&e, 10);
    PutU64(&e, 1);
    PutU64(&e, id);
    return e;
  };
  OrderBook plain(BookConfig{});
  Rest(plain, Limit(1, 10, kBuy, 100, 5));
  CHECK(Encoding(plain) == expected(1, 1, 2));

  OrderBook grouped(BookConfig{});
  Rest(grouped, InGroup(Limit(1, 10, kBuy, 100, 5), 7));
  std::string with_group = expected(1, 1, 2);
  PutU64(&with_group, 1);  // orders with a group
  PutU64(&with_group, 1);  // id
  PutU64(&with_group, 7);  // stp_group
  CHECK(Encoding(grouped) == with_group);
  CHECK(grouped.Digest() != plain.Digest());

  // Once no order has a group, the section is gone again.
  Rest(grouped, Limit(2, 10, kBuy, 100, 5));
  REQUIRE(grouped.Cancel(10, 1) == Reason::kOk);
  CHECK(grouped.CheckInvariants().ok());
  CHECK(Encoding(grouped) == expected(2, 2, 3));
}

// ---------------------------------------------------------------------------
// Cancel
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: Cancel removes a live order with a kUser cancel of its open size",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  REQUIRE(book.Place(Limit(2, 20, kSell, 100, 2)).reason == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.Cancel(10, 1) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(1, 10, kBuy, 100, 3, 0, CancelReason::kUser)}));
  CHECK(book.order_count() == 0);
  CHECK(book.level_count(kBuy) == 0);
  CHECK(book.account_order_count(10) == 0);
  CHECK(book.Find(1) == std::nullopt);
}

TEST_CASE("OrderBook: Cancel refuses an unknown id and another account's order", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  ExpectRefusal(book, [&] { return book.Cancel(10, 99); }, Reason::kUnknownOrder);
  ExpectRefusal(book, [&] { return book.Cancel(11, 1); }, Reason::kNotOrderOwner);
  CHECK(book.Cancel(10, 1) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  ExpectRefusal(book, [&] { return book.Cancel(10, 1); }, Reason::kUnknownOrder);
}

TEST_CASE("OrderBook: CancelByClientId cancels the account's order with that client id",
          "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kSell, 100, 5);
  o.client_id = 7;
  Rest(book, o);
  Rest(book, Limit(2, 10, kSell, 101, 1));
  ExpectRefusal(book, [&] { return book.CancelByClientId(10, 0); },
                Reason::kInvalidClientOrderId);
  ExpectRefusal(book, [&] { return book.CancelByClientId(11, 7); }, Reason::kUnknownOrder);
  ExpectRefusal(book, [&] { return book.CancelByClientId(10, 8); }, Reason::kUnknownOrder);
  CHECK(book.CancelByClientId(10, 7) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(1, 10, kSell, 100, 5, 0, CancelReason::kUser)}));
  CHECK(book.FindByClientId(10, 7) == std::nullopt);
  CHECK(book.order_count() == 1);
  ExpectRefusal(book, [&] { return book.CancelByClientId(10, 7); }, Reason::kUnknownOrder);
}

TEST_CASE("OrderBook: CancelAll cancels an account's orders in placement order", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(5, 10, kSell, 105, 1));
  Rest(book, Limit(3, 10, kBuy, 95, 2));
  Rest(book, Limit(6, 11, kBuy, 97, 1));
  Rest(book, Limit(9, 10, kSell, 101, 3));
  Rest(book, Limit(4, 10, kBuy, 96, 4));
  std::uint32_t canceled = 99;
  CHECK(book.CancelAll(10, &canceled) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(canceled == 4);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(5, 10, kSell, 105, 1, 0, CancelReason::kCancelAll),
            CanceledEv(3, 10, kBuy, 95, 2, 0, CancelReason::kCancelAll),
            CanceledEv(9, 10, kSell, 101, 3, 0, CancelReason::kCancelAll),
            CanceledEv(4, 10, kBuy, 96, 4, 0, CancelReason::kCancelAll),
        }));
  CHECK(book.order_count() == 1);
  CHECK(book.account_order_count(10) == 0);
  CHECK(Levels(book, kBuy) == Lv{{97, 1, 1}});
  CHECK(book.level_count(kSell) == 0);
}

TEST_CASE("OrderBook: CancelAll frees the client ids of the cancelled orders", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 1);
  o.client_id = 5;
  Rest(book, o);
  CHECK(book.CancelAll(10) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.FindByClientId(10, 5) == std::nullopt);
  ExpectRefusal(book, [&] { return book.CancelByClientId(10, 5); }, Reason::kUnknownOrder);
  o.id = 2;
  Rest(book, o);
  REQUIRE(book.FindByClientId(10, 5).has_value());
  CHECK(book.FindByClientId(10, 5)->id == 2);
}

TEST_CASE("OrderBook: CancelAll of an account with no orders is fine, account 0 is refused",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kBuy, 97, 1));
  const std::string before = Encoding(book);
  std::uint32_t canceled = 99;
  CHECK(book.CancelAll(10, &canceled) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(canceled == 0);
  CHECK(book.events().empty());
  CHECK(Encoding(book) == before);
  CHECK(book.CancelAll(10) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  ExpectRefusal(book, [&] { return book.CancelAll(0); }, Reason::kInvalidAccount);
}

// ---------------------------------------------------------------------------
// Client order ids
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: a live client id cannot be reused by the same account", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 5);
  o.client_id = 7;
  Rest(book, o);
  OrderRequest dup = Limit(2, 10, kSell, 200, 1);
  dup.client_id = 7;
  ExpectPlaceRefused(book, dup, Reason::kDuplicateClientOrderId);
  dup.tif = TimeInForce::kIoc;
  ExpectPlaceRefused(book, dup, Reason::kDuplicateClientOrderId);
}

TEST_CASE("OrderBook: the same client id is fine on another account", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 5);
  o.client_id = 7;
  Rest(book, o);
  OrderRequest other = Limit(2, 11, kBuy, 99, 1);
  other.client_id = 7;
  Rest(book, other);
  REQUIRE(book.FindByClientId(10, 7).has_value());
  REQUIRE(book.FindByClientId(11, 7).has_value());
  CHECK(book.FindByClientId(10, 7)->id == 1);
  CHECK(book.FindByClientId(11, 7)->id == 2);
}

TEST_CASE("OrderBook: a client id is reusable once its order is gone", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 5);
  o.client_id = 7;
  Rest(book, o);
  CHECK(book.Cancel(10, 1) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  // Reused after a cancel, then the order fills completely.
  o.id = 2;
  Rest(book, o);
  REQUIRE(book.Place(Limit(3, 20, kSell, 100, 5)).reason == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.FindByClientId(10, 7) == std::nullopt);
  // Reused after a fill, by an IOC that never rests.
  o.id = 4;
  o.tif = TimeInForce::kIoc;
  const PlaceResult r = book.Place(o);
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(4, 10, kBuy, 100, 5, 0, CancelReason::kUnfilledRemainder)}));
  // And once more after the IOC.
  o.id = 5;
  o.tif = TimeInForce::kGtc;
  Rest(book, o);
  REQUIRE(book.FindByClientId(10, 7).has_value());
  CHECK(book.FindByClientId(10, 7)->id == 5);
}

// ---------------------------------------------------------------------------
// Amend
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: amend size down keeps time priority", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  Rest(book, Limit(2, 11, kBuy, 100, 5));
  REQUIRE(book.Find(1).has_value());
  const std::uint64_t priority = book.Find(1)->priority;
  CHECK(book.Amend(AmendTo(10, 1, 100, 3)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kBuy, 100, 5, 3, true)}));
  CHECK(QueueIds(book, kBuy, 100) == Ids{1, 2});
  CHECK(book.Best(kBuy) == LevelView{Ticks(100), Lots(8), 2});
  REQUIRE(book.Find(1).has_value());
  CHECK(book.Find(1)->remaining.raw() == 3);
  CHECK(book.Find(1)->priority == priority);
}

TEST_CASE("OrderBook: amend sizes are open sizes of a partially filled order", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kSell, 100, 5);
  o.client_id = 9;
  Rest(book, o);
  REQUIRE(book.Place(Limit(2, 20, kBuy, 100, 2)).reason == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  // Open size 3: amending to 3 at the same price is no change.
  ExpectAmendRefused(book, AmendTo(10, 1, 100, 3), Reason::kAmendNoChange);
  CHECK(book.Amend(AmendTo(10, 1, 100, 2)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kSell, 100, 3, 2, true)}));
  CHECK(book.Amend(AmendTo(10, 1, 102, 2)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kSell, 102, 2, 2, false)}));
  // The client id follows the order.
  REQUIRE(book.FindByClientId(10, 9).has_value());
  CHECK(book.FindByClientId(10, 9)->price == Ticks(102));
  CHECK(book.FindByClientId(10, 9)->remaining == Lots(2));
}

TEST_CASE("OrderBook: amend size up loses time priority", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  Rest(book, Limit(2, 11, kBuy, 100, 5));
  CHECK(book.Amend(AmendTo(10, 1, 100, 8)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kBuy, 100, 5, 8, false)}));
  CHECK(QueueIds(book, kBuy, 100) == Ids{2, 1});
  CHECK(book.Best(kBuy) == LevelView{Ticks(100), Lots(13), 2});
  REQUIRE(book.Find(1).has_value());
  REQUIRE(book.Find(2).has_value());
  CHECK(book.Find(1)->priority > book.Find(2)->priority);
  // The next seller trades with order 2 first.
  REQUIRE(book.Place(Limit(3, 20, kSell, 100, 1)).reason == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{FillEv(3, 20, kSell, 100, 1, 0, 2, 11, 4)}));
}

TEST_CASE("OrderBook: amend to a new price moves to the back of the new level", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  Rest(book, Limit(2, 11, kBuy, 100, 5));
  Rest(book, Limit(3, 12, kBuy, 99, 4));
  CHECK(book.Amend(AmendTo(10, 1, 99, 5)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kBuy, 99, 5, 5, false)}));
  CHECK(QueueIds(book, kBuy, 99) == Ids{3, 1});
  CHECK(QueueIds(book, kBuy, 100) == Ids{2});
  CHECK(Levels(book, kBuy) == Lv{{100, 5, 1}, {99, 9, 2}});
  // A price change with a smaller size does not keep priority either, and
  // the emptied level disappears.
  CHECK(book.Amend(AmendTo(11, 2, 98, 2)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(2, 11, kBuy, 98, 5, 2, false)}));
  CHECK(Levels(book, kBuy) == Lv{{99, 9, 2}, {98, 2, 1}});
  CHECK(book.level_count(kBuy) == 2);
  REQUIRE(book.Find(2).has_value());
  CHECK(book.Find(2)->price.raw() == 98);
}

TEST_CASE("OrderBook: amend refusals follow the documented checks", "[book]") {
  BookConfig cfg;
  cfg.price_step = Ticks(5);
  cfg.size_step = Lots(2);
  cfg.max_order_size = Lots(100);
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 100, 4));
  Rest(book, Limit(2, 11, kSell, 110, 4));
  ExpectAmendRefused(book, AmendTo(10, 99, 100, 2), Reason::kUnknownOrder);
  ExpectAmendRefused(book, AmendTo(11, 1, 100, 2), Reason::kNotOrderOwner);
  ExpectAmendRefused(book, AmendTo(11, 1, 0, 0), Reason::kNotOrderOwner);
  ExpectAmendRefused(book, AmendTo(10, 1, 100, 0), Reason::kInvalidSize);
  ExpectAmendRefused(book, AmendTo(10, 1, 100, -2), Reason::kInvalidSize);
  ExpectAmendRefused(book, AmendTo(10, 1, 0, 0), Reason::kInvalidSize);
  ExpectAmendRefused(book, AmendTo(10, 1, 100, 3), Reason::kSizeNotOnStep);
  ExpectAmendRefused(book, AmendTo(10, 1, 100, 102), Reason::kSizeAboveMax);
  ExpectAmendRefused(book, AmendTo(10, 1, 0, 4), Reason::kInvalidPrice);
  ExpectAmendRefused(book, AmendTo(10, 1, -5, 4), Reason::kInvalidPrice);
  ExpectAmendRefused(book, AmendTo(10, 1, 102, 4), Reason::kPriceNotOnStep);
  ExpectAmendRefused(book, AmendTo(10, 1, 100, 4), Reason::kAmendNoChange);
}

TEST_CASE("OrderBook: amend to a crossing price is refused", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 4));
  Rest(book, Limit(2, 11, kSell, 110, 4));
  ExpectAmendRefused(book, AmendTo(10, 1, 110, 4), Reason::kAmendWouldCross);
  ExpectAmendRefused(book, AmendTo(10, 1, 115, 2), Reason::kAmendWouldCross);
  ExpectAmendRefused(book, AmendTo(11, 2, 100, 4), Reason::kAmendWouldCross);
  ExpectAmendRefused(book, AmendTo(11, 2, 90, 4), Reason::kAmendWouldCross);
  // One step short of crossing is fine.
  CHECK(book.Amend(AmendTo(10, 1, 109, 4)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kBuy, 109, 4, 4, false)}));
}

TEST_CASE("OrderBook: amend checks the band only for a changed price", "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 90, 4));
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);  // band [95, 105]
  CHECK(book.CheckInvariants().ok());
  CHECK(book.Amend(AmendTo(10, 1, 90, 2)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kBuy, 90, 4, 2, true)}));
  ExpectAmendRefused(book, AmendTo(10, 1, 94, 2), Reason::kPriceOutsideBand);
  ExpectAmendRefused(book, AmendTo(10, 1, 106, 2), Reason::kPriceOutsideBand);
  CHECK(book.Amend(AmendTo(10, 1, 95, 2)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(1, 10, kBuy, 95, 2, 2, false)}));
}

TEST_CASE("OrderBook: amend to a new level at the level limit is refused unless it frees one",
          "[book]") {
  BookConfig cfg;
  cfg.max_levels_per_side = 2;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  Rest(book, Limit(2, 11, kBuy, 100, 5));
  Rest(book, Limit(3, 10, kBuy, 99, 4));
  ExpectAmendRefused(book, AmendTo(10, 1, 98, 5), Reason::kTooManyLevels);
  // Order 3 is alone at 99: its level is freed by the move.
  CHECK(book.Amend(AmendTo(10, 3, 98, 4)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) == Dump(Events{AmendedEv(3, 10, kBuy, 98, 4, 4, false)}));
  CHECK(Levels(book, kBuy) == Lv{{100, 10, 2}, {98, 4, 1}});
  // Moving to an existing level needs no room.
  CHECK(book.Amend(AmendTo(10, 1, 98, 5)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Levels(book, kBuy) == Lv{{100, 5, 1}, {98, 9, 2}});
}

TEST_CASE("OrderBook: amend that would overflow a level total is refused", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, kHalfPlus));
  Rest(book, Limit(2, 11, kBuy, 99, kHalfPlus));
  Rest(book, Limit(3, 12, kBuy, 100, 1));
  ExpectAmendRefused(book, AmendTo(11, 2, 100, kHalfPlus), Reason::kOverflow);
  ExpectAmendRefused(book, AmendTo(12, 3, 100, kHalfPlus), Reason::kOverflow);
  // kHalfPlus + (kHalfPlus - 1) = INT64_MAX fits.
  CHECK(book.Amend(AmendTo(12, 3, 100, kHalfPlus - 1)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(Dump(book.events()) ==
        Dump(Events{AmendedEv(3, 12, kBuy, 100, 1, kHalfPlus - 1, false)}));
  CHECK(book.Best(kBuy) ==
        LevelView{Ticks(100), Lots(std::numeric_limits<std::int64_t>::max()), 2});
}

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: an account at max_orders_per_account cannot rest another order",
          "[book]") {
  BookConfig cfg;
  cfg.max_orders_per_account = 2;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 90, 1));
  Rest(book, Limit(2, 10, kBuy, 91, 1));
  ExpectPlaceRefused(book, Limit(3, 10, kBuy, 92, 1), Reason::kTooManyOrders);
  ExpectPlaceRefused(book, Limit(3, 10, kSell, 120, 1, TimeInForce::kPostOnly),
                     Reason::kTooManyOrders);
  CHECK(book.account_order_count(10) == 2);
}

TEST_CASE("OrderBook: an account at its order limit may still trade without resting",
          "[book]") {
  BookConfig cfg;
  cfg.max_orders_per_account = 2;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 90, 1));
  Rest(book, Limit(2, 10, kBuy, 91, 1));
  Rest(book, Limit(4, 11, kSell, 100, 5));
  // IOC.
  PlaceResult r = book.Place(Limit(5, 10, kBuy, 100, 2, TimeInForce::kIoc));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(5, 10, kBuy, 100, 2, 0, 4, 11, 3)}));
  // A GTC that fills completely.
  r = book.Place(Limit(6, 10, kBuy, 100, 3));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(6, 10, kBuy, 100, 3, 0, 4, 11, 0)}));
  // A GTC that would rest a remainder is refused before it trades.
  Rest(book, Limit(7, 11, kSell, 100, 2));
  ExpectPlaceRefused(book, Limit(8, 10, kBuy, 100, 3), Reason::kTooManyOrders);
  CHECK(book.account_order_count(10) == 2);
}

TEST_CASE("OrderBook: an account at its order limit may place a GTC that fills after a decrement",
          "[book]") {
  // Found by the differential test: the remainder for the resting limits is
  // what is left after fills and decrement-and-cancel reductions.
  BookConfig cfg;
  cfg.max_orders_per_account = 1;
  OrderBook book(cfg);
  Rest(book, Limit(1, 20, kBuy, 100, 3));
  Rest(book, Limit(2, 12, kBuy, 99, 5));
  const PlaceResult r = book.Place(
      Limit(3, 20, kSell, 99, 8, TimeInForce::kGtc, StpMode::kDecrementAndCancel));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 5);
  CHECK(r.rested.raw() == 0);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kBuy, 100, 3, 0, CancelReason::kSelfTrade),
            ReducedEv(3, 20, kSell, 99, 3, 5),
            FillEv(3, 20, kSell, 99, 5, 0, 2, 12, 0),
        }));
  CHECK(book.order_count() == 0);
}

TEST_CASE("OrderBook: an account at its order limit may place a GTC that STP stops from resting",
          "[book]") {
  BookConfig cfg;
  cfg.max_orders_per_account = 1;
  OrderBook book(cfg);
  Rest(book, Limit(1, 20, kSell, 100, 5));
  // Cancel-taker: the taker never rests.
  PlaceResult r =
      book.Place(Limit(2, 20, kBuy, 100, 5, TimeInForce::kGtc, StpMode::kCancelTaker));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(2, 20, kBuy, 100, 5, 0, CancelReason::kSelfTrade)}));
  // Decrement-and-cancel with equal sizes: both go.
  r = book.Place(
      Limit(3, 20, kBuy, 100, 5, TimeInForce::kGtc, StpMode::kDecrementAndCancel));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(1, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            CanceledEv(3, 20, kBuy, 100, 5, 0, CancelReason::kSelfTrade),
        }));
  CHECK(book.order_count() == 0);
  // Cancel-maker would free the account's slot, but the limit uses the count
  // from before matching, so a remainder that would rest is refused.
  Rest(book, Limit(4, 20, kSell, 100, 5));
  ExpectPlaceRefused(book, Limit(5, 20, kBuy, 100, 8), Reason::kTooManyOrders);
  // Cancel-both never rests.
  r = book.Place(Limit(5, 20, kBuy, 100, 3, TimeInForce::kGtc, StpMode::kCancelBoth));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            CanceledEv(4, 20, kSell, 100, 5, 0, CancelReason::kSelfTrade),
            CanceledEv(5, 20, kBuy, 100, 3, 0, CancelReason::kSelfTrade),
        }));
}

TEST_CASE("OrderBook: the level limit applies to a slid post-only order's new price",
          "[book]") {
  BookConfig cfg;
  cfg.max_levels_per_side = 1;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 99, 1));
  Rest(book, Limit(2, 11, kSell, 100, 1));
  // 105 would be a new level, but it slides to 99, which exists.
  const PlaceResult r = book.Place(Limit(3, 20, kBuy, 105, 1, TimeInForce::kPostOnlySlide));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.rest_price.raw() == 99);
  CHECK(Dump(book.events()) == Dump(Events{RestedEv(3, 20, kBuy, 99, 1)}));
  CHECK(book.Best(kBuy) == LevelView{Ticks(99), Lots(2), 2});
  ExpectPlaceRefused(book, Limit(4, 20, kBuy, 98, 1, TimeInForce::kPostOnlySlide),
                     Reason::kTooManyLevels);
}

TEST_CASE("OrderBook: a side at max_levels_per_side refuses a new level", "[book]") {
  BookConfig cfg;
  cfg.max_levels_per_side = 2;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 100, 1));
  Rest(book, Limit(2, 11, kBuy, 99, 1));
  ExpectPlaceRefused(book, Limit(3, 12, kBuy, 98, 1), Reason::kTooManyLevels);
  ExpectPlaceRefused(book, Limit(3, 12, kBuy, 101, 1), Reason::kTooManyLevels);
  Rest(book, Limit(3, 12, kBuy, 99, 1));  // an existing level is fine
  Rest(book, Limit(4, 13, kSell, 110, 1));
  Rest(book, Limit(5, 13, kSell, 111, 1));
  ExpectPlaceRefused(book, Limit(6, 13, kSell, 112, 1), Reason::kTooManyLevels);
  // An IOC at a new price never rests, so it is accepted.
  const PlaceResult r = book.Place(Limit(6, 12, kBuy, 97, 1, TimeInForce::kIoc));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{CanceledEv(6, 12, kBuy, 97, 1, 0, CancelReason::kUnfilledRemainder)}));
  CHECK(Levels(book, kBuy) == Lv{{100, 1, 1}, {99, 2, 2}});
}

TEST_CASE("OrderBook: a book at max_book_orders refuses another resting order", "[book]") {
  BookConfig cfg;
  cfg.max_book_orders = 3;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 100, 1));
  Rest(book, Limit(2, 11, kBuy, 99, 1));
  Rest(book, Limit(3, 12, kSell, 105, 1));
  ExpectPlaceRefused(book, Limit(4, 13, kBuy, 100, 1), Reason::kBookFull);
  ExpectPlaceRefused(book, Limit(4, 13, kSell, 110, 1), Reason::kBookFull);
  CHECK(book.order_count() == 3);
}

TEST_CASE("OrderBook: resting limits use the counts from before the order matches",
          "[book]") {
  BookConfig cfg;
  cfg.max_book_orders = 2;
  OrderBook book(cfg);
  Rest(book, Limit(1, 11, kSell, 100, 1));
  Rest(book, Limit(2, 12, kSell, 101, 1));
  // It would free a slot by trading with order 1, but the book is full now.
  ExpectPlaceRefused(book, Limit(3, 20, kBuy, 100, 2), Reason::kBookFull);
  const PlaceResult r = book.Place(Limit(3, 20, kBuy, 100, 2, TimeInForce::kIoc));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(3, 20, kBuy, 100, 1, 1, 1, 11, 0),
            CanceledEv(3, 20, kBuy, 100, 1, 0, CancelReason::kUnfilledRemainder),
        }));
}

TEST_CASE("OrderBook: resting-limit checks run in the documented order", "[book]") {
  BookConfig cfg;
  cfg.max_book_orders = 2;
  cfg.max_orders_per_account = 1;
  cfg.max_levels_per_side = 1;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 100, 1));
  Rest(book, Limit(2, 11, kSell, 110, 1));
  // Full book, account at its limit and a new level: kBookFull wins.
  ExpectPlaceRefused(book, Limit(3, 10, kBuy, 99, 1), Reason::kBookFull);
  CHECK(book.Cancel(11, 2) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  // Account at its limit and a new level: kTooManyOrders wins.
  ExpectPlaceRefused(book, Limit(3, 10, kBuy, 99, 1), Reason::kTooManyOrders);
  // Another account at a new level.
  ExpectPlaceRefused(book, Limit(3, 12, kBuy, 99, 1), Reason::kTooManyLevels);
}

TEST_CASE("OrderBook: a resting order that would overflow its level total is refused",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, kHalfPlus));
  ExpectPlaceRefused(book, Limit(2, 11, kBuy, 100, kHalfPlus), Reason::kOverflow);
  Rest(book, Limit(2, 11, kBuy, 99, kHalfPlus));
  Rest(book, Limit(3, 12, kBuy, 100, kHalfPlus - 1));
  CHECK(book.Best(kBuy) ==
        LevelView{Ticks(100), Lots(std::numeric_limits<std::int64_t>::max()), 2});
}

// ---------------------------------------------------------------------------
// Price band
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: a limit price outside the band is refused", "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);  // band [95, 105]
  CHECK(book.CheckInvariants().ok());
  CHECK(book.events().empty());
  CHECK(book.reference_price() == Ticks(100));
  ExpectPlaceRefused(book, Limit(1, 10, kBuy, 106, 1), Reason::kPriceOutsideBand);
  ExpectPlaceRefused(book, Limit(1, 10, kBuy, 94, 1), Reason::kPriceOutsideBand);
  ExpectPlaceRefused(book, Limit(1, 10, kSell, 106, 1), Reason::kPriceOutsideBand);
  ExpectPlaceRefused(book, Limit(1, 10, kSell, 94, 1, TimeInForce::kIoc),
                     Reason::kPriceOutsideBand);
  Rest(book, Limit(1, 10, kBuy, 95, 1));
  Rest(book, Limit(2, 10, kSell, 105, 1));
}

TEST_CASE("OrderBook: a market order's protection price is tightened to the band edge",
          "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  Rest(book, Limit(1, 11, kSell, 104, 2));
  Rest(book, Limit(2, 12, kSell, 105, 2));
  Rest(book, Limit(3, 13, kSell, 106, 2));  // rested before the band existed
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);  // band [95, 105]
  CHECK(book.CheckInvariants().ok());
  CHECK(book.order_count() == 3);  // resting orders are never touched
  const PlaceResult r = book.Place(Market(4, 20, kBuy, 200, 10));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(r.filled.raw() == 4);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(4, 20, kBuy, 104, 2, 8, 1, 11, 0),
            FillEv(4, 20, kBuy, 105, 2, 6, 2, 12, 0),
            CanceledEv(4, 20, kBuy, 105, 6, 0, CancelReason::kUnfilledRemainder),
        }));
  CHECK(Levels(book, kSell) == Lv{{106, 2, 1}});
}

TEST_CASE("OrderBook: a market FOK counts only liquidity inside the band", "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  Rest(book, Limit(1, 11, kBuy, 96, 2));
  Rest(book, Limit(2, 12, kBuy, 94, 2));  // rested before the band existed
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);  // band [95, 105]
  CHECK(book.CheckInvariants().ok());
  ExpectPlaceRefused(book, Market(3, 20, kSell, 1, 3, TimeInForce::kFok),
                     Reason::kFokNotFilled);
  const PlaceResult r = book.Place(Market(3, 20, kSell, 1, 2, TimeInForce::kFok));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) == Dump(Events{FillEv(3, 20, kSell, 96, 2, 0, 1, 11, 0)}));
  CHECK(Levels(book, kBuy) == Lv{{94, 2, 1}});
}

TEST_CASE("OrderBook: SetReferencePrice(0) clears the band, a negative one is refused",
          "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  ExpectRefusal(book, [&] { return book.SetReferencePrice(Ticks(-1)); }, Reason::kInvalidPrice);
  CHECK(book.reference_price() == Ticks(100));
  ExpectPlaceRefused(book, Limit(1, 10, kBuy, 200, 1), Reason::kPriceOutsideBand);
  Rest(book, Limit(3, 11, kBuy, 100, 1));
  REQUIRE(!book.events().empty());
  CHECK(book.SetReferencePrice(Ticks(0)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.events().empty());
  CHECK(book.reference_price() == Ticks(0));
  Rest(book, Limit(1, 10, kBuy, 200, 1));
  Rest(book, Limit(2, 10, kBuy, 1, 1));
}

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: each malformed order field is refused with its own reason", "[book]") {
  BookConfig cfg;
  cfg.price_step = Ticks(5);
  cfg.size_step = Lots(2);
  cfg.max_order_size = Lots(100);
  OrderBook book(cfg);
  Rest(book, Limit(50, 11, kSell, 200, 2));  // so the book is not empty
  const OrderRequest good = Limit(1, 10, kBuy, 100, 4);
  OrderRequest o;

  o = good;
  o.id = 0;
  ExpectPlaceRefused(book, o, Reason::kInvalidOrderId);
  o = good;
  o.account = 0;
  ExpectPlaceRefused(book, o, Reason::kInvalidAccount);
  o = good;
  o.side = static_cast<Side>(2);
  ExpectPlaceRefused(book, o, Reason::kInvalidSide);
  o = good;
  o.type = static_cast<OrderType>(2);
  ExpectPlaceRefused(book, o, Reason::kInvalidOrderType);
  o = good;
  o.tif = static_cast<TimeInForce>(5);
  ExpectPlaceRefused(book, o, Reason::kInvalidTimeInForce);
  o = good;
  o.stp = static_cast<StpMode>(4);
  ExpectPlaceRefused(book, o, Reason::kInvalidStpMode);
  o = good;
  o.size = Lots(0);
  ExpectPlaceRefused(book, o, Reason::kInvalidSize);
  o = good;
  o.size = Lots(-2);
  ExpectPlaceRefused(book, o, Reason::kInvalidSize);
  o = good;
  o.size = Lots(3);
  ExpectPlaceRefused(book, o, Reason::kSizeNotOnStep);
  o = good;
  o.size = Lots(102);
  ExpectPlaceRefused(book, o, Reason::kSizeAboveMax);
  o = good;
  o.max_fill = Lots(-1);
  ExpectPlaceRefused(book, o, Reason::kInvalidMaxFill);
  o = good;
  o.price = Ticks(0);
  ExpectPlaceRefused(book, o, Reason::kInvalidPrice);
  o = good;
  o.price = Ticks(-5);
  ExpectPlaceRefused(book, o, Reason::kInvalidPrice);
  o = good;
  o.price = Ticks(102);
  ExpectPlaceRefused(book, o, Reason::kPriceNotOnStep);
  ExpectPlaceRefused(book, Market(1, 10, kBuy, 0, 4), Reason::kInvalidPrice);
  ExpectPlaceRefused(book, Market(1, 10, kBuy, 201, 4), Reason::kPriceNotOnStep);

  // The valid order itself is accepted.
  Rest(book, good);
}

TEST_CASE("OrderBook: the first failing check decides the reason", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(0, 0, kBuy, 0, 0);
  ExpectPlaceRefused(book, o, Reason::kInvalidOrderId);
  o.id = 1;
  ExpectPlaceRefused(book, o, Reason::kInvalidAccount);
  o.account = 10;
  o.side = static_cast<Side>(7);
  ExpectPlaceRefused(book, o, Reason::kInvalidSide);
  o.side = kBuy;
  ExpectPlaceRefused(book, o, Reason::kInvalidSize);  // size before price
  o.size = Lots(1);
  o.max_fill = Lots(-1);
  ExpectPlaceRefused(book, o, Reason::kInvalidMaxFill);  // max_fill before price
  o.max_fill = Lots::Max();
  ExpectPlaceRefused(book, o, Reason::kInvalidPrice);
}

TEST_CASE("OrderBook: band, duplicate, post-only and FOK checks come before resting limits",
          "[book]") {
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  cfg.max_book_orders = 1;
  OrderBook book(cfg);
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);  // band [95, 105]
  CHECK(book.CheckInvariants().ok());
  Rest(book, Limit(1, 10, kBuy, 96, 1));
  // 4 (band) before 5 (duplicate id).
  ExpectPlaceRefused(book, Limit(1, 11, kSell, 200, 1), Reason::kPriceOutsideBand);
  // 5 before 6 (post-only crossing).
  ExpectPlaceRefused(book, Limit(1, 11, kSell, 96, 1, TimeInForce::kPostOnly),
                     Reason::kDuplicateOrderId);
  // 6 before 8 (book full).
  ExpectPlaceRefused(book, Limit(2, 11, kSell, 96, 1, TimeInForce::kPostOnly),
                     Reason::kPostOnlyWouldCross);
  // 7 (FOK).
  ExpectPlaceRefused(book, Limit(2, 11, kSell, 96, 2, TimeInForce::kFok),
                     Reason::kFokNotFilled);
  ExpectPlaceRefused(book, Limit(2, 11, kSell, 97, 1), Reason::kBookFull);
}

TEST_CASE("OrderBook: a reference price without a configured band restricts nothing",
          "[book]") {
  OrderBook book(BookConfig{});  // price_band 0
  CHECK(book.SetReferencePrice(Ticks(100)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.reference_price() == Ticks(100));
  Rest(book, Limit(1, 10, kBuy, 1, 1));
  Rest(book, Limit(2, 10, kSell, 1000000, 1));
  const PlaceResult r = book.Place(Market(3, 20, kBuy, 1000000, 2));
  CHECK(book.CheckInvariants().ok());
  CHECK(r.reason == Reason::kOk);
  CHECK(Dump(book.events()) ==
        Dump(Events{
            FillEv(3, 20, kBuy, 1000000, 1, 1, 2, 10, 0),
            CanceledEv(3, 20, kBuy, 1000000, 1, 0, CancelReason::kUnfilledRemainder),
        }));
}

TEST_CASE("OrderBook: a band around a reference near INT64_MAX does not overflow", "[book]") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  BookConfig cfg;
  cfg.price_band = kFivePercent;
  OrderBook book(cfg);
  CHECK(book.SetReferencePrice(Ticks(kMax)) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  Rest(book, Limit(1, 10, kSell, kMax, 1));
  Rest(book, Limit(2, 10, kBuy, kMax - 1, 1));
  Rest(book, Limit(3, 10, kBuy, kMax / 100 * 96, 1));
  ExpectPlaceRefused(book, Limit(4, 10, kBuy, kMax / 2, 1), Reason::kPriceOutsideBand);
}

TEST_CASE("OrderBook: a live order id is refused, a gone one may be reused", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 5);
  o.client_id = 3;
  Rest(book, o);
  ExpectPlaceRefused(book, Limit(1, 11, kSell, 200, 1), Reason::kDuplicateOrderId);
  // The duplicate id is reported before the duplicate client id.
  ExpectPlaceRefused(book, o, Reason::kDuplicateOrderId);
  ExpectPlaceRefused(book, Limit(1, 11, kSell, 100, 1, TimeInForce::kIoc),
                     Reason::kDuplicateOrderId);
  CHECK(book.Cancel(10, 1) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  Rest(book, Limit(1, 11, kSell, 200, 1));
  REQUIRE(book.Find(1).has_value());
  CHECK(book.Find(1)->account == 11);
}

// ---------------------------------------------------------------------------
// CheckPlace
// ---------------------------------------------------------------------------

namespace {

// CheckPlace(o, replaced) must answer `want`, change nothing, and agree with
// what a copy answers: Place(o), after Cancel(o.account, replaced) if given.
void ExpectCheckPlace(const OrderBook& book, const OrderRequest& o, OrderId replaced,
                      Reason want, int line = __builtin_LINE()) {
  INFO("CheckPlace expected at line " << line);
  const std::string before = perpcore::testing::Encoding(book);
  CHECK(book.CheckPlace(o, replaced) == want);
  CHECK(perpcore::testing::Encoding(book) == before);
  OrderBook copy = book;
  if (replaced != 0) {
    const Reason canceled = copy.Cancel(o.account, replaced);
    if (canceled != Reason::kOk) {
      CHECK(canceled == want);
      return;
    }
  }
  CHECK(copy.Place(o).reason == want);
  CHECK(copy.CheckInvariants().ok());
}

}  // namespace

TEST_CASE("OrderBook: CheckPlace answers what Place would and changes nothing", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 11, kSell, 100, 5));
  Rest(book, Limit(2, 10, kBuy, 90, 5));
  const Events last(book.events().begin(), book.events().end());
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 100, 1, TimeInForce::kPostOnly), 0,
                   Reason::kPostOnlyWouldCross);
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 100, 6, TimeInForce::kFok), 0, Reason::kFokNotFilled);
  ExpectCheckPlace(book, Limit(1, 12, kBuy, 80, 1), 0, Reason::kDuplicateOrderId);
  ExpectCheckPlace(book, Limit(0, 12, kBuy, 80, 1), 0, Reason::kInvalidOrderId);
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 100, 8), 0, Reason::kOk);
  // The events of the last mutating call are still there.
  CHECK(Dump(book.events()) == Dump(last));
}

TEST_CASE("OrderBook: CheckPlace refuses an unknown or foreign replaced order first", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 90, 5));
  // Before the new order's own checks (its id 0 would be kInvalidOrderId).
  ExpectCheckPlace(book, Limit(0, 10, kBuy, 91, 1), 99, Reason::kUnknownOrder);
  ExpectCheckPlace(book, Limit(0, 11, kBuy, 91, 1), 1, Reason::kNotOrderOwner);
  ExpectCheckPlace(book, Limit(0, 10, kBuy, 91, 1), 1, Reason::kInvalidOrderId);
}

TEST_CASE("OrderBook: a replaced order's id, client id and order slot count as free",
          "[book]") {
  BookConfig cfg;
  cfg.max_orders_per_account = 2;
  OrderBook book(cfg);
  OrderRequest first = Limit(1, 10, kBuy, 90, 5);
  first.client_id = 7;
  Rest(book, first);
  Rest(book, Limit(2, 10, kBuy, 91, 5));
  OrderRequest again = Limit(1, 10, kBuy, 95, 3);
  again.client_id = 7;
  ExpectCheckPlace(book, again, 0, Reason::kDuplicateOrderId);
  ExpectCheckPlace(book, again, 1, Reason::kOk);  // the same id and client id again
  OrderRequest other = Limit(3, 10, kBuy, 95, 3);
  other.client_id = 7;
  ExpectCheckPlace(book, other, 2, Reason::kDuplicateClientOrderId);  // 7 is order 1's
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 95, 3), 0, Reason::kTooManyOrders);
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 95, 3), 2, Reason::kOk);
}

TEST_CASE("OrderBook: a replaced order is neither liquidity nor a self-trade nor the best",
          "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kSell, 100, 5));
  Rest(book, Limit(2, 11, kSell, 102, 5));
  // Post-only: the replaced ask at 100 no longer caps the bid; 102 does.
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 100, 1, TimeInForce::kPostOnly), 0,
                   Reason::kPostOnlyWouldCross);
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 101, 1, TimeInForce::kPostOnly), 1, Reason::kOk);
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 102, 1, TimeInForce::kPostOnly), 1,
                   Reason::kPostOnlyWouldCross);
  // FOK with cancel-taker STP meets its own ask at 100 first, unless it is
  // the replaced order; its 5 lots are not liquidity either way.
  const OrderRequest fok = Limit(3, 10, kBuy, 102, 5, TimeInForce::kFok, StpMode::kCancelTaker);
  ExpectCheckPlace(book, fok, 0, Reason::kFokNotFilled);
  ExpectCheckPlace(book, fok, 1, Reason::kOk);
  ExpectCheckPlace(book, Limit(3, 10, kBuy, 102, 6, TimeInForce::kFok), 1,
                   Reason::kFokNotFilled);
}

TEST_CASE("OrderBook: a replaced order frees its level and its share of the level total",
          "[book]") {
  BookConfig cfg;
  cfg.max_levels_per_side = 2;
  cfg.max_book_orders = 3;
  OrderBook book(cfg);
  Rest(book, Limit(1, 10, kBuy, 100, kHalfPlus));
  Rest(book, Limit(2, 11, kBuy, 100, kHalfPlus - 1));  // the level total is INT64_MAX
  Rest(book, Limit(3, 12, kBuy, 99, 1));
  ExpectCheckPlace(book, Limit(4, 12, kBuy, 98, 1), 0, Reason::kBookFull);
  ExpectCheckPlace(book, Limit(4, 12, kBuy, 98, 1), 3, Reason::kOk);  // its level goes too
  ExpectCheckPlace(book, Limit(4, 11, kBuy, 98, 1), 2, Reason::kTooManyLevels);
  ExpectCheckPlace(book, Limit(4, 10, kBuy, 100, kHalfPlus), 1, Reason::kOk);
  ExpectCheckPlace(book, Limit(4, 10, kBuy, 100, kHalfPlus + 1), 1, Reason::kOverflow);
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

TEST_CASE("OrderBook: queries on an empty book find nothing", "[book]") {
  OrderBook book(BookConfig{});
  CHECK(book.CheckInvariants().ok());
  CHECK(book.Best(kBuy) == std::nullopt);
  CHECK(book.Best(kSell) == std::nullopt);
  CHECK(book.BestBid() == std::nullopt);
  CHECK(book.BestAsk() == std::nullopt);
  std::array<LevelView, 4> levels{};
  CHECK(book.Depth(kBuy, levels) == 0);
  CHECK(book.Depth(kSell, levels) == 0);
  std::array<OrderView, 4> orders{};
  CHECK(book.OrdersAt(kBuy, Ticks(100), orders) == 0);
  CHECK(book.Find(1) == std::nullopt);
  CHECK(book.FindByClientId(1, 1) == std::nullopt);
  CHECK(book.order_count() == 0);
  CHECK(book.level_count(kBuy) == 0);
  CHECK(book.level_count(kSell) == 0);
  CHECK(book.account_order_count(1) == 0);
  CHECK(book.reference_price() == Ticks(0));
  CHECK(book.events().empty());
}

namespace {
// Bids 100 (3+4), 99 (5), 98 (1); asks 101 (2), 103 (6).
OrderBook QueryBook() {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 3);
  o.client_id = 77;
  Rest(book, o);
  Rest(book, Limit(2, 11, kBuy, 100, 4));
  Rest(book, Limit(3, 10, kBuy, 99, 5));
  Rest(book, Limit(4, 12, kBuy, 98, 1));
  Rest(book, Limit(5, 13, kSell, 101, 2));
  Rest(book, Limit(6, 13, kSell, 103, 6));
  return book;
}
}  // namespace

TEST_CASE("OrderBook: Best, BestBid and BestAsk report the top of each side", "[book]") {
  const OrderBook book = QueryBook();
  CHECK(book.Best(kBuy) == LevelView{Ticks(100), Lots(7), 2});
  CHECK(book.Best(kSell) == LevelView{Ticks(101), Lots(2), 1});
  CHECK(book.BestBid() == Ticks(100));
  CHECK(book.BestAsk() == Ticks(101));
}

TEST_CASE("OrderBook: Depth aggregates the best levels with their order counts", "[book]") {
  const OrderBook book = QueryBook();
  // A span smaller than the side.
  std::array<LevelView, 2> two{};
  CHECK(book.Depth(kBuy, two) == 2);
  CHECK(two[0] == LevelView{Ticks(100), Lots(7), 2});
  CHECK(two[1] == LevelView{Ticks(99), Lots(5), 1});
  // A span larger than the side: the rest is not written.
  const LevelView sentinel{Ticks(-1), Lots(-1), 99};
  std::array<LevelView, 5> five;
  five.fill(sentinel);
  CHECK(book.Depth(kBuy, five) == 3);
  CHECK(five[0] == LevelView{Ticks(100), Lots(7), 2});
  CHECK(five[1] == LevelView{Ticks(99), Lots(5), 1});
  CHECK(five[2] == LevelView{Ticks(98), Lots(1), 1});
  CHECK(five[3] == sentinel);
  CHECK(five[4] == sentinel);
  five.fill(sentinel);
  CHECK(book.Depth(kSell, five) == 2);
  CHECK(five[0] == LevelView{Ticks(101), Lots(2), 1});
  CHECK(five[1] == LevelView{Ticks(103), Lots(6), 1});
  CHECK(five[2] == sentinel);
  // An empty span.
  CHECK(book.Depth(kBuy, std::span<LevelView>()) == 0);
}

TEST_CASE("OrderBook: OrdersAt lists a level's orders in queue order", "[book]") {
  const OrderBook book = QueryBook();
  std::array<OrderView, 4> views{};
  REQUIRE(book.OrdersAt(kBuy, Ticks(100), views) == 2);
  CHECK(views[0].id == 1);
  CHECK(views[0].account == 10);
  CHECK(views[0].client_id == 77);
  CHECK(views[0].side == kBuy);
  CHECK(views[0].price == Ticks(100));
  CHECK(views[0].remaining == Lots(3));
  CHECK(views[1].id == 2);
  CHECK(views[1].account == 11);
  CHECK(views[1].client_id == 0);
  CHECK(views[1].side == kBuy);
  CHECK(views[1].price == Ticks(100));
  CHECK(views[1].remaining == Lots(4));
  CHECK(views[0].priority < views[1].priority);
  // A smaller span gets the front of the queue.
  std::array<OrderView, 1> one{};
  CHECK(book.OrdersAt(kBuy, Ticks(100), one) == 1);
  CHECK(one[0].id == 1);
  // No such level (on this side).
  CHECK(book.OrdersAt(kBuy, Ticks(97), views) == 0);
  CHECK(book.OrdersAt(kSell, Ticks(100), views) == 0);
  CHECK(book.OrdersAt(kSell, Ticks(103), views) == 1);
  CHECK(views[0].id == 6);
}

TEST_CASE("OrderBook: Find and FindByClientId return the live order", "[book]") {
  OrderBook book = QueryBook();
  const std::optional<OrderView> v = book.Find(1);
  REQUIRE(v.has_value());
  CHECK(v->id == 1);
  CHECK(v->account == 10);
  CHECK(v->client_id == 77);
  CHECK(v->side == kBuy);
  CHECK(v->price == Ticks(100));
  CHECK(v->remaining == Lots(3));
  CHECK(book.FindByClientId(10, 77) == v);
  CHECK(book.FindByClientId(11, 77) == std::nullopt);
  CHECK(book.FindByClientId(10, 78) == std::nullopt);
  REQUIRE(book.Find(6).has_value());
  CHECK(book.Find(6)->side == kSell);
  CHECK(book.Find(6)->price == Ticks(103));
  CHECK(book.Find(42) == std::nullopt);
  CHECK(book.Cancel(10, 1) == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.Find(1) == std::nullopt);
  CHECK(book.FindByClientId(10, 77) == std::nullopt);
}

TEST_CASE("OrderBook: order, level and account counts track the book", "[book]") {
  OrderBook book = QueryBook();
  CHECK(book.order_count() == 6);
  CHECK(book.level_count(kBuy) == 3);
  CHECK(book.level_count(kSell) == 2);
  CHECK(book.account_order_count(10) == 2);
  CHECK(book.account_order_count(11) == 1);
  CHECK(book.account_order_count(13) == 2);
  CHECK(book.account_order_count(99) == 0);
  // A sell of 8 at 99 takes 100 (3+4) and 1 of 99.
  REQUIRE(book.Place(Limit(7, 20, kSell, 99, 8)).reason == Reason::kOk);
  CHECK(book.CheckInvariants().ok());
  CHECK(book.order_count() == 4);
  CHECK(book.level_count(kBuy) == 2);
  CHECK(book.account_order_count(10) == 1);
  CHECK(book.account_order_count(11) == 0);
  CHECK(book.account_order_count(20) == 0);
  CHECK(Levels(book, kBuy) == Lv{{99, 4, 1}, {98, 1, 1}});
}

// ---------------------------------------------------------------------------
// Reasons, digest, config
// ---------------------------------------------------------------------------

namespace {
void BuildDigestBook(OrderBook& book) {
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  Rest(book, Limit(2, 11, kBuy, 99, 3));
  Rest(book, Limit(3, 12, kSell, 103, 4));
  REQUIRE(book.Place(Limit(4, 13, kSell, 100, 2)).reason == Reason::kOk);
  REQUIRE(book.CheckInvariants().ok());
  REQUIRE(book.Amend(AmendTo(11, 2, 98, 3)) == Reason::kOk);
  REQUIRE(book.CheckInvariants().ok());
  REQUIRE(book.Cancel(12, 3) == Reason::kOk);
  REQUIRE(book.CheckInvariants().ok());
  REQUIRE(book.SetReferencePrice(Ticks(100)) == Reason::kOk);
  REQUIRE(book.CheckInvariants().ok());
}
}  // namespace

TEST_CASE("OrderBook: the same commands give the same digest, one more order changes it",
          "[book]") {
  BookConfig cfg;
  cfg.price_band = Rate(kRateScale / 10);
  OrderBook a(cfg);
  OrderBook b(cfg);
  BuildDigestBook(a);
  BuildDigestBook(b);
  CHECK(Encoding(a) == Encoding(b));
  CHECK(a.Digest() == b.Digest());
  const OrderBook copy = a;
  CHECK(copy.Digest() == a.Digest());

  Rest(b, Limit(5, 14, kSell, 105, 1));
  CHECK(Encoding(a) != Encoding(b));
  CHECK(a.Digest() != b.Digest());

  // The reference price is part of the state.
  CHECK(a.SetReferencePrice(Ticks(101)) == Reason::kOk);
  CHECK(a.CheckInvariants().ok());
  CHECK(copy.Digest() != a.Digest());
}

TEST_CASE("OrderBook: Digest is the tagged SHA-256 of EncodeCanonical", "[book]") {
  // The helper itself against the FIPS 180-4 examples.
  CHECK(Hex(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Hex(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

  OrderBook book(BookConfig{});
  CHECK(Hex(book.Digest()) == Hex(TaggedSha256("perpcore/book", Encoding(book))));
  BuildDigestBook(book);
  CHECK(Hex(book.Digest()) == Hex(TaggedSha256("perpcore/book", Encoding(book))));
}

TEST_CASE("OrderBook: EncodeCanonical appends to what the string holds", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 10, kBuy, 100, 5));
  const std::string alone = Encoding(book);
  CHECK(!alone.empty());
  std::string out = "prefix";
  book.EncodeCanonical(&out);
  CHECK(out == "prefix" + alone);
  book.EncodeCanonical(&out);
  CHECK(out == "prefix" + alone + alone);
}

TEST_CASE("OrderBook: the hash seed changes no event, encoding or digest", "[book]") {
  BookConfig cfg_a;
  cfg_a.hash_seed = 1;
  BookConfig cfg_b;
  cfg_b.hash_seed = 0x9E3779B97F4A7C15ULL;
  OrderBook a(cfg_a);
  OrderBook b(cfg_b);
  std::vector<OrderId> placed;
  for (std::uint64_t i = 1; i <= 400; ++i) {
    const OrderId id((i * 7919) % 100003 + 1);
    const AccountId account(i % 7 + 1);
    const Side side = (i * 13) % 3 == 0 ? kSell : kBuy;
    const std::int64_t price = 100 + static_cast<std::int64_t>((i * 31) % 11) - 5;
    const std::int64_t size = static_cast<std::int64_t>(i % 5) + 1;
    OrderRequest o = Limit(id, account, side, price, size,
                           i % 9 == 0 ? TimeInForce::kIoc : TimeInForce::kGtc,
                           static_cast<StpMode>(i % 4));
    o.client_id = ClientOrderId(i % 3 == 0 ? 0 : i);
    const PlaceResult ra = a.Place(o);
    const PlaceResult rb = b.Place(o);
    CHECK(a.CheckInvariants().ok());
    CHECK(b.CheckInvariants().ok());
    CHECK(ra == rb);
    CHECK(Dump(a.events()) == Dump(b.events()));
    placed.push_back(id);
    if (i % 5 == 0) {
      const OrderId victim = placed[(i * 17) % placed.size()];
      const AccountId owner = a.Find(victim) ? a.Find(victim)->account : account;
      CHECK(a.Cancel(owner, victim) == b.Cancel(owner, victim));
      CHECK(a.CheckInvariants().ok());
      CHECK(b.CheckInvariants().ok());
      CHECK(Dump(a.events()) == Dump(b.events()));
    }
  }
  CHECK(a.order_count() > 0);
  CHECK(Encoding(a) == Encoding(b));
  CHECK(a.Digest() == b.Digest());
}

TEST_CASE("OrderBook: a copied book is independent of the original", "[book]") {
  OrderBook book(BookConfig{});
  OrderRequest o = Limit(1, 10, kBuy, 100, 5);
  o.client_id = 4;
  Rest(book, o);
  Rest(book, Limit(2, 11, kSell, 105, 5));
  const std::string before = Encoding(book);
  OrderBook copy = book;
  CHECK(Encoding(copy) == before);
  REQUIRE(copy.Place(Limit(3, 12, kSell, 100, 5)).reason == Reason::kOk);
  CHECK(copy.CheckInvariants().ok());
  CHECK(copy.Cancel(11, 2) == Reason::kOk);
  CHECK(copy.CheckInvariants().ok());
  CHECK(copy.order_count() == 0);
  CHECK(Encoding(book) == before);
  CHECK(book.CheckInvariants().ok());
  REQUIRE(book.FindByClientId(10, 4).has_value());
  CHECK(book.FindByClientId(10, 4)->remaining == Lots(5));
  CHECK(book.order_count() == 2);
}

TEST_CASE("OrderBook: swapping two non-empty books exchanges their states", "[book]") {
  OrderBook a(BookConfig{});
  OrderBook b(BookConfig{});
  Rest(a, Limit(1, 7, kBuy, 100, 5));
  Rest(b, Limit(2, 8, kSell, 200, 5));
  const std::string a_state = Encoding(a);
  const std::string b_state = Encoding(b);
  std::swap(a, b);
  CHECK(Encoding(a) == b_state);
  CHECK(Encoding(b) == a_state);
  CHECK(a.CheckInvariants().ok());
  CHECK(b.CheckInvariants().ok());
  // Both keep working: new levels come from each book's own ladder pool.
  Rest(a, Limit(3, 9, kSell, 201, 1));
  Rest(b, Limit(4, 9, kBuy, 99, 1));
  CHECK(a.level_count(kSell) == 2);
  CHECK(b.level_count(kBuy) == 2);
}

TEST_CASE("OrderBook: books inserted mid-vector keep their states", "[book]") {
  OrderBook first(BookConfig{});
  Rest(first, Limit(1, 7, kBuy, 100, 5));
  const std::string state = Encoding(first);
  std::vector<OrderBook> books{first, first};
  books.insert(books.begin(), OrderBook(BookConfig{}));
  REQUIRE(books.size() == 3);
  CHECK(books[0].order_count() == 0);
  CHECK(Encoding(books[1]) == state);
  CHECK(Encoding(books[2]) == state);
  for (OrderBook& b : books) CHECK(b.CheckInvariants().ok());
  Rest(books[0], Limit(5, 7, kSell, 110, 1));
  CHECK(books[0].CheckInvariants().ok());
}

TEST_CASE("OrderBook: a moved-from book is an empty, working book", "[book]") {
  BookConfig cfg;
  cfg.price_band = Rate(kRateScale / 10);
  OrderBook a(cfg);
  REQUIRE(a.SetReferencePrice(Ticks(100)) == Reason::kOk);
  Rest(a, Limit(1, 7, kBuy, 100, 5));
  const std::string state = Encoding(a);
  OrderBook b = std::move(a);
  CHECK(Encoding(b) == state);
  CHECK(a.order_count() == 0);
  CHECK(a.BestBid() == std::nullopt);
  CHECK(a.Find(1) == std::nullopt);
  CHECK(a.reference_price() == Ticks(0));
  CHECK(a.CheckInvariants().ok());
  CHECK(Encoding(a) == Encoding(OrderBook(cfg)));
  Rest(a, Limit(1, 7, kSell, 300, 2));  // no band: the reference went with the state
  CHECK(a.CheckInvariants().ok());
  // Move-assigning over a live book replaces it; the source becomes empty.
  b = std::move(a);
  CHECK(b.order_count() == 1);
  CHECK(b.BestAsk() == Ticks(300));
  CHECK(a.order_count() == 0);
  CHECK(a.CheckInvariants().ok());
  CHECK(b.CheckInvariants().ok());
}

TEST_CASE("OrderBook: L3 query at a non-positive price finds nothing", "[book]") {
  OrderBook book(BookConfig{});
  Rest(book, Limit(1, 7, kBuy, 100, 5));
  std::array<OrderView, 4> out{};
  CHECK(book.OrdersAt(kBuy, Ticks(0), out) == 0);
  CHECK(book.OrdersAt(kBuy, Ticks(std::numeric_limits<std::int64_t>::min()), out) == 0);
  CHECK(book.OrdersAt(kSell, Ticks(-100), out) == 0);
}

TEST_CASE("OrderBook: Create returns Validate's error or a working book", "[book]") {
  BookConfig bad;
  bad.max_book_orders = 0;
  const absl::StatusOr<OrderBook> refused = OrderBook::Create(bad);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.status() == OrderBook::Validate(bad));
  BookConfig good;
  good.price_step = Ticks(5);
  absl::StatusOr<OrderBook> created = OrderBook::Create(good);
  REQUIRE(created.ok());
  OrderBook& book = *created;
  CHECK(book.config().price_step == Ticks(5));
  Rest(book, Limit(1, 10, kBuy, 100, 1));
  CHECK(Encoding(book).size() > 0);
  // Same state as a book built by the constructor.
  OrderBook direct(good);
  Rest(direct, Limit(1, 10, kBuy, 100, 1));
  CHECK(Encoding(book) == Encoding(direct));
}

TEST_CASE("OrderBook: Validate rejects out-of-range config fields", "[book]") {
  CHECK(OrderBook::Validate(BookConfig{}).ok());
  auto expect_bad = [](BookConfig cfg, std::string_view field) {
    const absl::Status st = OrderBook::Validate(cfg);
    INFO("field " << field << ": " << st.ToString());
    CHECK(st.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(st.message()).find(field) != std::string::npos);
  };
  BookConfig cfg;
  cfg.price_step = Ticks(0);
  expect_bad(cfg, "price_step");
  cfg = BookConfig{};
  cfg.price_step = Ticks(-1);
  expect_bad(cfg, "price_step");
  cfg = BookConfig{};
  cfg.size_step = Lots(0);
  expect_bad(cfg, "size_step");
  cfg = BookConfig{};
  cfg.size_step = Lots(-2);
  expect_bad(cfg, "size_step");
  cfg = BookConfig{};
  cfg.max_order_size = Lots(0);
  expect_bad(cfg, "max_order_size");
  cfg = BookConfig{};
  cfg.max_order_size = Lots(-1);
  expect_bad(cfg, "max_order_size");
  cfg = BookConfig{};
  cfg.max_orders_per_account = 0;
  expect_bad(cfg, "max_orders_per_account");
  cfg = BookConfig{};
  cfg.max_levels_per_side = 0;
  expect_bad(cfg, "max_levels_per_side");
  cfg = BookConfig{};
  cfg.max_book_orders = 0;
  expect_bad(cfg, "max_book_orders");
  cfg = BookConfig{};
  cfg.price_band = Rate(-1);
  expect_bad(cfg, "price_band");
  cfg = BookConfig{};
  cfg.max_book_orders = 0xFFFFFFFFu;  // the reserved "no slot" value
  expect_bad(cfg, "max_book_orders");

  // The smallest valid values; expected_orders is only a hint.
  cfg = BookConfig{};
  cfg.max_order_size = Lots(1);
  cfg.max_orders_per_account = 1;
  cfg.max_levels_per_side = 1;
  cfg.max_book_orders = 1;
  cfg.expected_orders = 0;
  cfg.price_band = Rate(0);
  CHECK(OrderBook::Validate(cfg).ok());
}

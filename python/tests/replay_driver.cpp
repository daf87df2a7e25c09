// -----------------------------------------------------------------------------
// File: python/tests/replay_driver.cpp
// -----------------------------------------------------------------------------
//
// A C++ replayer for the Python tests: reads a command log written by
// python/tests/test_session.py, applies it to an engine::Engine directly (no
// Python, no bindings), and prints the reason of every command and the final
// digest. The test compares both with what the same commands gave through the
// Python module, so the bindings are checked against the library itself.
//
// Log format: text, one command per line, fields separated by spaces; the
// first line configures the engine. Every command carries its timestamp and
// takes seq = last_seq + 1.
//   config <quote_decimals> <n> <discount>*n <referrer_share> <max_markets> <max_accounts> <hash_seed>
//   <ts> market|update <id> <symbol> <tick_m> <tick_e> <lot_m> <lot_e> <max_order_size>
//        <max_oi> <max_price> <price_band> <max_leverage> <maker_fee> <taker_fee>
//        <staleness> <min_sources> <max_src_dev> <max_twap_dev> <twap_window> <basis_window>
//        <max_orders_per_account> <max_levels_per_side> <max_book_orders>
//        <n_tiers> (<floor> <max_leverage> <mmr>)*n
//   <ts> status <market> <status>
//   <ts> account <account> <owner> <fee_tier> <referrer>
//   <ts> deposit|withdraw <account> <amount>
//   <ts> transfer <from> <to> <amount>
//   <ts> insurance <amount>
//   <ts> feetier <account> <tier>
//   <ts> marginmode <account> <market> <mode>
//   <ts> leverage <account> <market> <leverage>
//   <ts> isomargin <account> <market> <delta>
//   <ts> place <market> <id> <account> <side> <price> <size> <type> <tif> <stp> <client_id> <reduce_only>
//   <ts> cancel <market> <account> <id>
//   <ts> cancelcid <market> <account> <client_id>
//   <ts> cancelall <account> <market>
//   <ts> amend <market> <account> <id> <new_price> <new_size>
//   <ts> oracle <market> <source> <price> <publish_time>
//   <ts> tick <market>
// Output: one line per command with its Reason value, then "digest <hex>".
// Exit status 2 on a malformed log.
//
// Usage: perpcore_replay_driver LOG

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "perpcore/engine/engine.hpp"

namespace {

using namespace perpcore;          // NOLINT: a test tool
using namespace perpcore::engine;  // NOLINT

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "replay_driver: %s\n", why.c_str());
  std::exit(2);
}

template <class T>
T Read(std::istringstream& in) {
  T v{};
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    unsigned x = 0;
    if (!(in >> x)) Die("bad field");
    return static_cast<std::uint8_t>(x);
  } else {
    if (!(in >> v)) Die("bad field");
    return v;
  }
}

std::int64_t I(std::istringstream& in) { return Read<std::int64_t>(in); }
std::uint64_t U(std::istringstream& in) { return Read<std::uint64_t>(in); }
std::uint32_t U32(std::istringstream& in) { return Read<std::uint32_t>(in); }
// An id, read as the integer of its width.
template <class IdT>
IdT ReadId(std::istringstream& in) {
  return IdT(Read<typename IdT::rep>(in));
}

MarketParams ReadParams(std::istringstream& in) {
  MarketParams p;
  p.symbol = Read<std::string>(in);
  p.tick_size.mantissa = I(in);
  p.tick_size.exponent = Read<std::int32_t>(in);
  p.lot_size.mantissa = I(in);
  p.lot_size.exponent = Read<std::int32_t>(in);
  p.max_order_size = Lots(I(in));
  p.max_open_interest = Lots(I(in));
  p.max_price = Ticks(I(in));
  p.price_band = Rate(I(in));
  p.max_leverage = U32(in);
  p.maker_fee = Rate(I(in));
  p.taker_fee = Rate(I(in));
  p.oracle.staleness = TimeNs(I(in));
  p.oracle.min_sources = U32(in);
  p.oracle.max_source_deviation = Rate(I(in));
  p.oracle.max_twap_deviation = Rate(I(in));
  p.oracle.twap_window = TimeNs(I(in));
  p.oracle.basis_window = TimeNs(I(in));
  p.max_orders_per_account = U32(in);
  p.max_levels_per_side = U32(in);
  p.max_book_orders = U32(in);
  const std::uint32_t n = U32(in);
  p.tiers.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    risk::MarginTier t;
    t.notional_floor = Quote(I(in));
    t.max_leverage = U32(in);
    t.maintenance_rate = Rate(I(in));
    p.tiers.push_back(t);
  }
  return p;
}

Payload ReadCommand(const std::string& kind, std::istringstream& in) {
  if (kind == "market" || kind == "update") {
    const MarketId id = ReadId<MarketId>(in);
    MarketParams p = ReadParams(in);
    auto params = std::make_shared<const MarketParams>(std::move(p));
    if (kind == "market") return CreateMarket{id, std::move(params)};
    return UpdateMarket{id, std::move(params)};
  }
  if (kind == "status") {
    const MarketId m = ReadId<MarketId>(in);
    return SetMarketStatus{m, static_cast<MarketStatus>(U32(in))};
  }
  if (kind == "account") {
    const AccountId a = ReadId<AccountId>(in);
    const OwnerId o = ReadId<OwnerId>(in);
    const std::uint32_t tier = U32(in);
    return CreateAccount{a, o, tier, ReadId<AccountId>(in)};
  }
  if (kind == "deposit") {
    const AccountId a = ReadId<AccountId>(in);
    return Deposit{a, Quote(I(in))};
  }
  if (kind == "withdraw") {
    const AccountId a = ReadId<AccountId>(in);
    return Withdraw{a, Quote(I(in))};
  }
  if (kind == "transfer") {
    const AccountId from = ReadId<AccountId>(in);
    const AccountId to = ReadId<AccountId>(in);
    return Transfer{from, to, Quote(I(in))};
  }
  if (kind == "insurance") return FundInsurance{Quote(I(in))};
  if (kind == "feetier") {
    const AccountId a = ReadId<AccountId>(in);
    return SetFeeTier{a, U32(in)};
  }
  if (kind == "marginmode") {
    const AccountId a = ReadId<AccountId>(in);
    const MarketId m = ReadId<MarketId>(in);
    return SetMarginMode{m, a, static_cast<MarginMode>(U32(in))};
  }
  if (kind == "leverage") {
    const AccountId a = ReadId<AccountId>(in);
    const MarketId m = ReadId<MarketId>(in);
    return SetLeverage{m, a, U32(in)};
  }
  if (kind == "isomargin") {
    const AccountId a = ReadId<AccountId>(in);
    const MarketId m = ReadId<MarketId>(in);
    return AdjustIsolatedMargin{m, a, Quote(I(in))};
  }
  if (kind == "place") {
    PlaceOrder o;
    o.market = ReadId<MarketId>(in);
    o.order_id = ReadId<OrderId>(in);
    o.account = ReadId<AccountId>(in);
    o.side = static_cast<Side>(U32(in));
    o.price = Ticks(I(in));
    o.size = Lots(I(in));
    o.type = static_cast<OrderType>(U32(in));
    o.tif = static_cast<TimeInForce>(U32(in));
    o.stp = static_cast<StpMode>(U32(in));
    o.client_id = ReadId<ClientOrderId>(in);
    o.reduce_only = U32(in) != 0;
    return o;
  }
  if (kind == "cancel") {
    const MarketId m = ReadId<MarketId>(in);
    const AccountId a = ReadId<AccountId>(in);
    return CancelOrder{m, a, ReadId<OrderId>(in)};
  }
  if (kind == "cancelcid") {
    const MarketId m = ReadId<MarketId>(in);
    const AccountId a = ReadId<AccountId>(in);
    return CancelByClientId{m, a, ReadId<ClientOrderId>(in)};
  }
  if (kind == "cancelall") {
    const AccountId a = ReadId<AccountId>(in);
    return CancelAll{ReadId<MarketId>(in), a};
  }
  if (kind == "amend") {
    AmendOrder a;
    a.market = ReadId<MarketId>(in);
    a.account = ReadId<AccountId>(in);
    a.order_id = ReadId<OrderId>(in);
    a.new_price = Ticks(I(in));
    a.new_size = Lots(I(in));
    return a;
  }
  if (kind == "oracle") {
    const MarketId m = ReadId<MarketId>(in);
    const SourceId s = ReadId<SourceId>(in);
    const Ticks price(I(in));
    return OraclePrice{m, s, price, TimeNs(I(in))};
  }
  if (kind == "tick") return TimeTick{ReadId<MarketId>(in)};
  Die("unknown command " + kind);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Die("usage: perpcore_replay_driver LOG");
  std::ifstream file(argv[1]);
  if (!file) Die(std::string("cannot open ") + argv[1]);
  std::string line;
  if (!std::getline(file, line)) Die("empty log");
  std::istringstream head(line);
  if (Read<std::string>(head) != "config") Die("the first line must be config");
  EngineConfig config;
  config.quote_decimals = U32(head);
  const std::uint32_t tiers = U32(head);
  config.fee_tier_discounts.clear();
  for (std::uint32_t i = 0; i < tiers; ++i) config.fee_tier_discounts.push_back(Rate(I(head)));
  config.referrer_share = Rate(I(head));
  config.max_markets = U32(head);
  config.max_accounts = U32(head);
  config.hash_seed = U(head);
  if (!Engine::Validate(config).ok()) Die("invalid config");
  Engine eng(config);
  std::string out;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    std::istringstream in(line);
    const std::int64_t ts = I(in);
    const std::string kind = Read<std::string>(in);
    const absl::StatusOr<Result> r =
        eng.Apply(Command{eng.last_seq() + 1, TimeNs(ts), ReadCommand(kind, in)});
    if (!r.ok()) Die("a recorded command was not processed: " + r.status().ToString());
    out += std::to_string(static_cast<unsigned>(r->reason));
    out += '\n';
  }
  if (!eng.CheckInvariants().ok()) Die("invariants broken");
  std::fputs(out.c_str(), stdout);
  std::printf("digest ");
  for (std::uint8_t b : eng.Digest()) std::printf("%02x", b);
  std::printf("\n");
  return 0;
}

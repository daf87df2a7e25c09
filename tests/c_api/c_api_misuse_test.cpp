// Misuse of the C API that the library detects instead of suffering
// (perpcore.h, "Thread safety" and "Versioning and ABI"):
//   * a second call inside an engine while a first is in progress - from
//     another thread, or re-entering from code the first call runs - gets
//     PERPCORE_E_MISUSE and changes nothing; perpcore_engine_destroy() there
//     leaves the engine to the call in progress;
//   * a struct_size above the size of the struct this library knows is
//     PERPCORE_E_STRUCT_SIZE, with nothing read beyond it and nothing written.
//
// The C API calls no host code, so "inside a call" is made deterministic
// with the allocation hook of tests/support/failing_new.cpp (this
// executable replaces the global operator new): the hook runs at the first
// allocation of a call, after the call has taken the engine, and plays the
// part of a callback the library would invoke.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// The struct_size cap holds for the experimental analytics structs too.
#define PERPCORE_EXPERIMENTAL
#include "perpcore/perpcore.h"
#include "support/child_process.hpp"
#include "support/failing_new.hpp"

namespace {

using perpcore::testing::OnNextAllocation;

constexpr std::int64_t kT0 = 1'000'000'000;
constexpr std::int64_t kUsd = 1'000'000;
constexpr std::int64_t Px(std::int64_t usd) { return usd * 10; }  // 0.1 USD ticks

struct Destroy {
  void operator()(perpcore_engine* e) const { perpcore_engine_destroy(e); }
};
using EnginePtr = std::unique_ptr<perpcore_engine, Destroy>;
using Digest = std::array<std::uint8_t, PERPCORE_DIGEST_SIZE>;

Digest DigestOf(const perpcore_engine* e) {
  Digest d{};
  REQUIRE(perpcore_engine_digest(e, d.data()) == PERPCORE_OK);
  return d;
}

std::uint64_t LastSeq(const perpcore_engine* e) {
  std::uint64_t seq = 0;
  REQUIRE(perpcore_engine_last_seq(e, &seq) == PERPCORE_OK);
  return seq;
}

std::string LastError(const perpcore_engine* e) {
  std::array<char, 256> buf{};
  REQUIRE(perpcore_engine_last_error(e, buf.data(), buf.size()) == PERPCORE_OK);
  return buf.data();
}

bool IsZero(const void* p, std::size_t n) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

perpcore_market_params Btc() {
  perpcore_market_params p;
  perpcore_market_params_init(&p);
  std::strcpy(p.symbol, "BTC-USD");
  p.max_order_size = 100 * 1000;
  p.max_open_interest = 1000 * 1000;
  p.max_price = Px(1'000'000);
  return p;
}

perpcore_order Limit(std::uint64_t id, std::uint64_t account, std::uint8_t side,
                     std::int64_t price, std::int64_t size) {
  perpcore_order o;
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = id;
  o.account = account;
  o.side = side;
  o.price = price;
  o.size = size;
  return o;
}

// A market at 30,000 USD, accounts 1 (100k USD, a resting bid of 1 BTC at
// 29,000) and 2 (10k USD). Uses no Catch macro (the stress test builds it in
// a child process): NULL if any command was not accepted.
EnginePtr Build() {
  perpcore_engine* raw = nullptr;
  if (perpcore_engine_create(&raw, nullptr) != PERPCORE_OK) return nullptr;
  EnginePtr e(raw);
  std::uint64_t seq = 0;
  bool ok = true;
  const auto run = [&](const std::function<perpcore_status(perpcore_result*, std::uint64_t)>& c) {
    perpcore_result r{};
    ok = ok && c(&r, ++seq) == PERPCORE_OK && r.reason == PERPCORE_REASON_OK;
  };
  const perpcore_market_params p = Btc();
  const perpcore_order bid = Limit(1, 1, PERPCORE_SIDE_BUY, Px(29'000), 1000);
  run([&](perpcore_result* r, std::uint64_t s) {
    return perpcore_market_create(e.get(), r, s, kT0, 1, &p);
  });
  run([&](perpcore_result* r, std::uint64_t s) {
    return perpcore_oracle_publish(e.get(), r, s, kT0, 1, 1, Px(30'000), kT0);
  });
  for (std::uint64_t a : {1u, 2u}) {
    run([&](perpcore_result* r, std::uint64_t s) {
      return perpcore_account_create(e.get(), r, s, kT0, a, a, 0, 0);
    });
  }
  run([&](perpcore_result* r, std::uint64_t s) {
    return perpcore_account_deposit(e.get(), r, s, kT0, 1, 100'000 * kUsd);
  });
  run([&](perpcore_result* r, std::uint64_t s) {
    return perpcore_account_deposit(e.get(), r, s, kT0, 2, 10'000 * kUsd);
  });
  run([&](perpcore_result* r, std::uint64_t s) {
    return perpcore_order_place(e.get(), r, s, kT0, &bid);
  });
  return ok ? std::move(e) : nullptr;
}

// Build() with a position each: account 2 sells 1 lot into account 1's bid
// (for the queries that answer only for a position). NULL as Build().
EnginePtr BuildWithPositions() {
  EnginePtr e = Build();
  if (e == nullptr) return nullptr;
  const perpcore_order ask = Limit(2, 2, PERPCORE_SIDE_SELL, Px(29'000), 1);
  perpcore_result r{};
  std::uint64_t seq = 0;
  if (perpcore_engine_last_seq(e.get(), &seq) != PERPCORE_OK ||
      perpcore_order_place(e.get(), &r, seq + 1, kT0, &ask) != PERPCORE_OK ||
      r.reason != PERPCORE_REASON_OK || r.filled != 1) {
    return nullptr;
  }
  return e;
}

// Call
//
// One function of perpcore.h that takes an engine handle, with arguments a
// free engine from Build() would take (commands at `seq`), so that only the
// in-use flag can refuse it. `outputs_zero` checks that its scalar or
// struct outputs were zeroed, as on any failure.
struct Call {
  const char* name;
  std::function<perpcore_status(perpcore_engine*)> run;
};

// EveryHandleCall()
//
// Every function that takes an engine handle but perpcore_engine_destroy()
// (it returns nothing; its own tests are below): 52 of them.
std::vector<Call> EveryHandleCall(std::uint64_t seq) {
  const auto command = [seq](const char* name, auto fn) {
    return Call{name, [seq, fn](perpcore_engine* e) {
                  perpcore_result r;
                  std::memset(&r, 0xAB, sizeof r);
                  const perpcore_status s = fn(e, &r, seq);
                  // A refused call still zeroes its result (perpcore.h).
                  return IsZero(&r, sizeof r) || s == PERPCORE_OK ? s : PERPCORE_E_INTERNAL;
                }};
  };
  std::vector<Call> calls = {
      command("perpcore_market_create",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                const perpcore_market_params p = Btc();
                return perpcore_market_create(e, r, s, kT0, 2, &p);
              }),
      command("perpcore_market_update",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                const perpcore_market_params p = Btc();
                return perpcore_market_update(e, r, s, kT0, 1, &p);
              }),
      command("perpcore_market_set_status",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_market_set_status(e, r, s, kT0, 1, PERPCORE_MARKET_HALTED);
              }),
      command("perpcore_account_create",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_create(e, r, s, kT0, 9, 9, 0, 0);
              }),
      command("perpcore_account_deposit",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_deposit(e, r, s, kT0, 2, kUsd);
              }),
      command("perpcore_account_withdraw",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_withdraw(e, r, s, kT0, 2, kUsd);
              }),
      command("perpcore_account_transfer",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_transfer(e, r, s, kT0, 2, 1, kUsd);
              }),
      command("perpcore_account_set_fee_tier",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_set_fee_tier(e, r, s, kT0, 2, 0);
              }),
      command("perpcore_account_set_stp_scope",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_set_stp_scope(e, r, s, kT0, 2, PERPCORE_STP_SCOPE_OWNER);
              }),
      command("perpcore_account_set_margin_mode",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_set_margin_mode(e, r, s, kT0, 1, 2,
                                                        PERPCORE_MARGIN_ISOLATED);
              }),
      command("perpcore_account_set_leverage",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_set_leverage(e, r, s, kT0, 1, 2, 5);
              }),
      command("perpcore_account_adjust_isolated_margin",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_account_adjust_isolated_margin(e, r, s, kT0, 1, 2, kUsd);
              }),
      command("perpcore_insurance_deposit",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_insurance_deposit(e, r, s, kT0, kUsd);
              }),
      command("perpcore_order_place",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                const perpcore_order o = Limit(7, 2, PERPCORE_SIDE_SELL, Px(31'000), 10);
                return perpcore_order_place(e, r, s, kT0, &o);
              }),
      command("perpcore_order_cancel",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_order_cancel(e, r, s, kT0, 1, 1, 1);
              }),
      command("perpcore_order_cancel_by_client_id",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_order_cancel_by_client_id(e, r, s, kT0, 1, 1, 5);
              }),
      command("perpcore_order_cancel_all",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_order_cancel_all(e, r, s, kT0, 0, 1);
              }),
      command("perpcore_order_amend",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                perpcore_amend a;
                perpcore_amend_init(&a);
                a.market = 1;
                a.account = 1;
                a.order_id = 1;
                a.new_price = Px(28'000);
                a.new_size = 500;
                return perpcore_order_amend(e, r, s, kT0, &a);
              }),
      command("perpcore_order_cancel_replace",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                const perpcore_order o = Limit(8, 1, PERPCORE_SIDE_BUY, Px(28'500), 1000);
                return perpcore_order_cancel_replace(e, r, s, kT0, 1, 1, 1, &o);
              }),
      command("perpcore_oracle_publish",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_oracle_publish(e, r, s, kT0, 1, 2, Px(30'001), kT0);
              }),
      command("perpcore_oracle_retire_source",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_oracle_retire_source(e, r, s, kT0, 1, 1);
              }),
      command("perpcore_engine_time_tick",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_engine_time_tick(e, r, s, kT0, 0);
              }),
      command("perpcore_engine_liquidate",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_engine_liquidate(e, r, s, kT0, 1, 2, 1, INT64_MAX);
              }),
      command("perpcore_engine_settle_market",
              [](perpcore_engine* e, perpcore_result* r, std::uint64_t s) {
                return perpcore_engine_settle_market(e, r, s, kT0, 1, 0);
              }),
  };
  const auto add = [&calls](const char* name, std::function<perpcore_status(perpcore_engine*)> f) {
    calls.push_back(Call{name, std::move(f)});
  };
  add("perpcore_engine_config_get", [](perpcore_engine* e) {
    perpcore_engine_config c;
    perpcore_engine_config_init(&c);
    const perpcore_status s = perpcore_engine_config_get(e, &c);
    return c.struct_size == sizeof c && IsZero(&c.quote_decimals, sizeof c - 4) ? s : PERPCORE_OK;
  });
  add("perpcore_engine_last_error", [](perpcore_engine* e) {
    std::array<char, 64> buf{};
    buf.fill('x');
    const perpcore_status s = perpcore_engine_last_error(e, buf.data(), buf.size());
    return buf[0] == '\0' ? s : PERPCORE_OK;
  });
  add("perpcore_engine_events", [](perpcore_engine* e) {
    std::array<perpcore_event, 4> ev{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_engine_events(e, ev.data(), ev.size(), &n);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_digest", [](perpcore_engine* e) {
    Digest d;
    d.fill(0xAB);
    const perpcore_status s = perpcore_engine_digest(e, d.data());
    return IsZero(d.data(), d.size()) ? s : PERPCORE_OK;
  });
  add("perpcore_engine_last_seq", [](perpcore_engine* e) {
    std::uint64_t v = 99;
    const perpcore_status s = perpcore_engine_last_seq(e, &v);
    return v == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_now", [](perpcore_engine* e) {
    std::int64_t v = 99;
    const perpcore_status s = perpcore_engine_now(e, &v);
    return v == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_fee_pool", [](perpcore_engine* e) {
    std::int64_t v = 99;
    const perpcore_status s = perpcore_engine_fee_pool(e, &v);
    return v == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_insurance_fund", [](perpcore_engine* e) {
    std::int64_t v = 99;
    const perpcore_status s = perpcore_engine_insurance_fund(e, &v);
    return v == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_markets", [](perpcore_engine* e) {
    std::array<std::uint32_t, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_engine_markets(e, out.data(), out.size(), &n);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_accounts", [](perpcore_engine* e) {
    std::array<std::uint64_t, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_engine_accounts(e, out.data(), out.size(), &n);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_check_invariants",
      [](perpcore_engine* e) { return perpcore_engine_check_invariants(e); });
  add("perpcore_market_params_check", [](perpcore_engine* e) {
    const perpcore_market_params p = Btc();
    std::array<char, 64> msg{};
    return perpcore_market_params_check(e, msg.data(), msg.size(), &p);
  });
  add("perpcore_market_params_get", [](perpcore_engine* e) {
    perpcore_market_params p;
    perpcore_market_params_init(&p);
    return perpcore_market_params_get(e, &p, 1);
  });
  add("perpcore_market_stats_get", [](perpcore_engine* e) {
    perpcore_market_stats st;
    perpcore_market_stats_init(&st);
    return perpcore_market_stats_get(e, &st, 1);
  });
  add("perpcore_market_funding_get", [](perpcore_engine* e) {
    perpcore_funding_view v;
    perpcore_funding_view_init(&v);
    return perpcore_market_funding_get(e, &v, 1);
  });
  add("perpcore_market_funding_history", [](perpcore_engine* e) {
    std::array<perpcore_funding_rate, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_market_funding_history(e, out.data(), out.size(), &n, 1);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_funding_residual", [](perpcore_engine* e) {
    perpcore_i128 v{.hi = 9, .lo = 9};
    const perpcore_status s = perpcore_engine_funding_residual(e, &v);
    return v.hi == 0 && v.lo == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_account_pending_funding", [](perpcore_engine* e) {
    std::int64_t v = 99;
    const perpcore_status s = perpcore_account_pending_funding(e, &v, 1, 1);
    return v == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_shortfall", [](perpcore_engine* e) {
    std::int64_t v = 99;
    const perpcore_status s = perpcore_engine_shortfall(e, &v);
    return v == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_engine_liquidatable", [](perpcore_engine* e) {
    std::array<perpcore_liquidation_candidate, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_engine_liquidatable(e, out.data(), out.size(), &n);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_account_position_health", [](perpcore_engine* e) {
    std::uint32_t health = 99;
    std::int64_t buffer = 99;
    const perpcore_status s = perpcore_account_position_health(e, &health, &buffer, 1, 1);
    return health == 0 && buffer == 0 ? s : PERPCORE_OK;
  });
  // Free, it answers NOT_FOUND here (Build() has no position); only the
  // in-use flag is tested with it.
  add("perpcore_engine_adl_rank", [](perpcore_engine* e) {
    perpcore_adl_rank r;
    std::memset(&r, 0xAB, sizeof r);
    r.struct_size = sizeof r;
    const perpcore_status s = perpcore_engine_adl_rank(e, &r, 1, 1);
    return r.struct_size == sizeof r && IsZero(&r.bucket, sizeof r - 4) ? s : PERPCORE_OK;
  });
  add("perpcore_book_best", [](perpcore_engine* e) {
    perpcore_level l;
    std::memset(&l, 0xAB, sizeof l);
    const perpcore_status s = perpcore_book_best(e, &l, 1, PERPCORE_SIDE_BUY);
    return IsZero(&l, sizeof l) ? s : PERPCORE_OK;
  });
  add("perpcore_book_depth", [](perpcore_engine* e) {
    std::array<perpcore_level, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_book_depth(e, out.data(), out.size(), &n, 1,
                                                  PERPCORE_SIDE_BUY);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_account_summary_get", [](perpcore_engine* e) {
    perpcore_account_summary sm;
    perpcore_account_summary_init(&sm);
    return perpcore_account_summary_get(e, &sm, 1);
  });
  add("perpcore_account_positions", [](perpcore_engine* e) {
    std::array<perpcore_position, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_account_positions(e, out.data(), out.size(), &n, 1);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_account_open_orders", [](perpcore_engine* e) {
    std::array<perpcore_open_order, 4> out{};
    std::size_t n = 99;
    const perpcore_status s = perpcore_account_open_orders(e, out.data(), out.size(), &n, 1);
    return n == 0 ? s : PERPCORE_OK;
  });
  add("perpcore_order_preview", [](perpcore_engine* e) {
    perpcore_preview pv;
    perpcore_preview_init(&pv);
    const perpcore_order o = Limit(7, 2, PERPCORE_SIDE_SELL, Px(29'000), 10);
    return perpcore_order_preview(e, &pv, &o);
  });
  return calls;
}

// Runs every call of EveryHandleCall() on `e` and checks each returned
// PERPCORE_E_MISUSE (with its outputs zeroed). Returns how many did.
int CheckEveryCallIsMisuse(perpcore_engine* e, std::uint64_t seq) {
  int misuse = 0;
  for (const Call& c : EveryHandleCall(seq)) {
    INFO(c.name);
    const perpcore_status s = c.run(e);
    CHECK(std::string(perpcore_status_name(s)) == "PERPCORE_E_MISUSE");
    misuse += s == PERPCORE_E_MISUSE;
  }
  return misuse;
}

// The outer calls a hook runs inside: a command and a query.
struct Outer {
  const char* name;
  std::function<perpcore_status(perpcore_engine*, std::uint64_t seq)> run;
};

std::vector<Outer> OuterCalls() {
  return {
      {"perpcore_market_create",
       [](perpcore_engine* e, std::uint64_t seq) {
         const perpcore_market_params p = Btc();
         perpcore_result r{};
         const perpcore_status s = perpcore_market_create(e, &r, seq, kT0, 3, &p);
         return s == PERPCORE_OK && r.reason != PERPCORE_REASON_OK ? PERPCORE_E_INTERNAL : s;
       }},
      {"perpcore_engine_markets",
       [](perpcore_engine* e, std::uint64_t) {
         std::array<std::uint32_t, 4> out{};
         std::size_t n = 0;
         const perpcore_status s = perpcore_engine_markets(e, out.data(), out.size(), &n);
         return s == PERPCORE_OK && (n != 1 || out[0] != 1) ? PERPCORE_E_INTERNAL : s;
       }},
  };
}

// ---------------------------------------------------------------------------

TEST_CASE("CApiMisuse: PERPCORE_E_MISUSE is -1010 and perpcore_status_name knows it",
          "[c_api]") {
  CHECK(PERPCORE_E_MISUSE == -1010);
  CHECK(std::string(perpcore_status_name(PERPCORE_E_MISUSE)) == "PERPCORE_E_MISUSE");
}

TEST_CASE("CApiMisuse: every call re-entering an engine from inside a call gets "
          "PERPCORE_E_MISUSE and changes nothing",
          "[c_api]") {
  for (const Outer& outer : OuterCalls()) {
    INFO("inside " << outer.name);
    // The same outer call on an engine nobody re-enters: what it must
    // leave behind.
    const EnginePtr reference = Build();
    REQUIRE(reference != nullptr);
    const std::uint64_t seq = LastSeq(reference.get()) + 1;
    REQUIRE(outer.run(reference.get(), seq) == PERPCORE_OK);
    const Digest expected = DigestOf(reference.get());
    const std::uint64_t expected_seq = LastSeq(reference.get());

    const EnginePtr e = Build();
    REQUIRE(e != nullptr);
    struct Reentry {
      perpcore_engine* e;
      std::uint64_t seq;
      int calls = 0;
      int misuse = 0;
    } reentry{e.get(), seq};
    OnNextAllocation(
        [](void* arg) {
          auto* r = static_cast<Reentry*>(arg);
          r->calls = static_cast<int>(EveryHandleCall(r->seq).size());
          r->misuse = CheckEveryCallIsMisuse(r->e, r->seq);
        },
        &reentry);
    const perpcore_status status = outer.run(e.get(), seq);
    OnNextAllocation(nullptr, nullptr);
    REQUIRE(reentry.calls == 52);  // the hook ran, inside the call
    CHECK(reentry.misuse == 52);
    CHECK(status == PERPCORE_OK);
    CHECK(DigestOf(e.get()) == expected);
    CHECK(LastSeq(e.get()) == expected_seq);
    CHECK(LastError(e.get()).empty());  // a MISUSE records nothing
  }
}

TEST_CASE("CApiMisuse: every call from a second thread while the first is held inside a call "
          "gets PERPCORE_E_MISUSE and changes nothing",
          "[c_api]") {
  using Clock = std::chrono::steady_clock;
  for (const Outer& outer : OuterCalls()) {
    INFO("while thread A is inside " << outer.name);
    const EnginePtr reference = Build();
    REQUIRE(reference != nullptr);
    const std::uint64_t seq = LastSeq(reference.get()) + 1;
    REQUIRE(outer.run(reference.get(), seq) == PERPCORE_OK);
    const Digest expected = DigestOf(reference.get());

    const EnginePtr e = Build();
    REQUIRE(e != nullptr);
    // Thread A's hook raises `held` and waits for `done`; thread B (this
    // one) waits for `held`, calls in, then raises `done`.
    struct Hold {
      std::atomic<bool> held{false};
      std::atomic<bool> done{false};
      std::atomic<bool> timed_out{false};
    } hold;
    perpcore_status a_status = PERPCORE_E_INTERNAL;
    std::thread a([&] {
      OnNextAllocation(
          [](void* arg) {
            auto* h = static_cast<Hold*>(arg);
            h->held.store(true);
            const auto deadline = Clock::now() + std::chrono::seconds(30);
            while (!h->done.load()) {
              if (Clock::now() > deadline) {
                h->timed_out.store(true);
                return;
              }
              std::this_thread::yield();
            }
          },
          &hold);
      a_status = outer.run(e.get(), seq);
      OnNextAllocation(nullptr, nullptr);
    });
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!hold.held.load() && Clock::now() < deadline) std::this_thread::yield();
    const bool held = hold.held.load();
    const int misuse = held ? CheckEveryCallIsMisuse(e.get(), seq) : 0;
    hold.done.store(true);
    a.join();
    REQUIRE(held);
    REQUIRE_FALSE(hold.timed_out.load());
    CHECK(misuse == 52);
    CHECK(a_status == PERPCORE_OK);
    CHECK(DigestOf(e.get()) == expected);
  }
}

TEST_CASE("CApiMisuse: perpcore_engine_destroy from inside a call leaves the engine to that "
          "call",
          "[c_api]") {
  // In a child: before the flag, the destroy freed the engine under the
  // call in progress.
  const perpcore::testing::ChildOutcome outcome = perpcore::testing::RunInChild([] {
    EnginePtr e = Build();
    if (e == nullptr) return false;
    OnNextAllocation([](void* arg) { perpcore_engine_destroy(static_cast<perpcore_engine*>(arg)); },
                     e.get());
    std::array<std::uint32_t, 4> markets{};
    std::size_t n = 0;
    const perpcore_status s = perpcore_engine_markets(e.get(), markets.data(), markets.size(), &n);
    OnNextAllocation(nullptr, nullptr);
    // The engine answered that call and is still live and usable.
    std::uint64_t seq = 0;
    perpcore_result r{};
    return s == PERPCORE_OK && n == 1 && markets[0] == 1 &&
           perpcore_engine_last_seq(e.get(), &seq) == PERPCORE_OK &&
           perpcore_engine_time_tick(e.get(), &r, seq + 1, kT0, 0) == PERPCORE_OK &&
           r.reason == PERPCORE_REASON_OK;
  });  // the child destroys it (EnginePtr) on the way out
  CHECK_FALSE(outcome.crashed());
  CHECK(outcome.ok());
}

TEST_CASE("CApiMisuse: two threads hammering one engine see only PERPCORE_OK or "
          "PERPCORE_E_MISUSE and leave a consistent state",
          "[c_api]") {
  // Thread A deposits 1 atom into account 2 again and again (retrying a
  // MISUSE with the same seq) and reads between deposits; thread B only
  // reads. They run until each has seen at least one MISUSE and A has made
  // 2,000 deposits, or for 60 s. Then: every status was OK or MISUSE, the
  // engine holds exactly the deposits A saw accepted (account 2's cash is
  // 10,000 USD + that many atoms, last_seq moved by as many), its
  // invariants hold, and its digest is that of the same deposits made from
  // one thread. In a child process, with an alarm: without detection, the
  // race crashed or hung the process.
  const perpcore::testing::ChildOutcome outcome = perpcore::testing::RunInChild([] {
    alarm(120);
    using Clock = std::chrono::steady_clock;
    EnginePtr e = Build();
    if (e == nullptr) return false;
    const std::uint64_t base = [&] {
      std::uint64_t s = 0;
      return perpcore_engine_last_seq(e.get(), &s) == PERPCORE_OK ? s : 0;
    }();
    std::atomic<bool> stop{false};
    std::atomic<bool> bad{false};
    std::atomic<std::int64_t> misuse_a{0}, misuse_b{0};
    std::int64_t accepted = 0;
    const auto note = [&bad](perpcore_status s, std::atomic<std::int64_t>* misuse) {
      if (s == PERPCORE_E_MISUSE) {
        misuse->fetch_add(1);
      } else if (s != PERPCORE_OK) {
        bad.store(true);
      }
    };
    std::thread a([&] {
      std::uint64_t seq = base + 1;
      while (!stop.load()) {
        perpcore_result r{};
        const perpcore_status s = perpcore_account_deposit(e.get(), &r, seq, kT0, 2, 1);
        note(s, &misuse_a);
        if (s == PERPCORE_OK) {
          if (r.reason != PERPCORE_REASON_OK) bad.store(true);
          ++accepted;
          ++seq;
        }
        Digest d{};
        note(perpcore_engine_digest(e.get(), d.data()), &misuse_a);
      }
    });
    std::thread b([&] {
      while (!stop.load()) {
        std::uint64_t seq = 0;
        note(perpcore_engine_last_seq(e.get(), &seq), &misuse_b);
        perpcore_account_summary sm;
        perpcore_account_summary_init(&sm);
        note(perpcore_account_summary_get(e.get(), &sm, 2), &misuse_b);
        std::array<perpcore_event, 4> ev{};
        std::size_t n = 0;
        note(perpcore_engine_events(e.get(), ev.data(), ev.size(), &n), &misuse_b);
        perpcore_level best{};
        note(perpcore_book_best(e.get(), &best, 1, PERPCORE_SIDE_BUY), &misuse_b);
      }
    });
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    std::int64_t seen = 0;
    while (Clock::now() < deadline && !bad.load()) {
      std::uint64_t s = 0;
      // The main thread reads last_seq too: a third caller, MISUSE allowed.
      const perpcore_status st = perpcore_engine_last_seq(e.get(), &s);
      if (st == PERPCORE_OK) seen = static_cast<std::int64_t>(s - base);
      if (st != PERPCORE_OK && st != PERPCORE_E_MISUSE) bad.store(true);
      if (misuse_a.load() > 0 && misuse_b.load() > 0 && seen >= 2'000) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop.store(true);
    a.join();
    b.join();
    if (bad.load() || misuse_a.load() == 0 || misuse_b.load() == 0) return false;

    // The same deposits from one thread.
    EnginePtr serial = Build();
    if (serial == nullptr) return false;
    for (std::int64_t i = 0; i < accepted; ++i) {
      perpcore_result r{};
      if (perpcore_account_deposit(serial.get(), &r, base + 1 + static_cast<std::uint64_t>(i),
                                   kT0, 2, 1) != PERPCORE_OK) {
        return false;
      }
    }
    perpcore_account_summary sm;
    perpcore_account_summary_init(&sm);
    std::uint64_t last = 0;
    Digest got{}, want{};
    return perpcore_account_summary_get(e.get(), &sm, 2) == PERPCORE_OK &&
           sm.cash == 10'000 * kUsd + accepted &&
           perpcore_engine_last_seq(e.get(), &last) == PERPCORE_OK &&
           last == base + static_cast<std::uint64_t>(accepted) &&
           perpcore_engine_check_invariants(e.get()) == PERPCORE_OK &&
           perpcore_engine_digest(e.get(), got.data()) == PERPCORE_OK &&
           perpcore_engine_digest(serial.get(), want.data()) == PERPCORE_OK && got == want;
  });
  CHECK_FALSE(outcome.crashed());
  CHECK(outcome.ok());
}

// ---------------------------------------------------------------------------
// struct_size: from the version-1 size up to the size of the struct this
// library knows (both sizeof today), nothing above it.

// Pad<T>
//
// A T with spare bytes after it, all zero, so a struct_size one above
// sizeof(T) points at memory the caller owns: what a newer header's grown
// struct would look like with its new field zero.
template <class T>
struct Pad {
  T v;
  std::array<unsigned char, 8> spare{};
};

// An input struct with struct_size = sizeof(T) + delta (its spare bytes zero).
template <class T>
Pad<T> Sized(const T& value, int delta) {
  Pad<T> p;
  std::memset(static_cast<void*>(&p), 0, sizeof p);
  p.v = value;
  p.v.struct_size = static_cast<std::uint32_t>(static_cast<int>(sizeof(T)) + delta);
  return p;
}

perpcore_engine_config DefaultConfig() {
  perpcore_engine_config c;
  perpcore_engine_config_init(&c);
  return c;
}

perpcore_amend Amend() {
  perpcore_amend a;
  perpcore_amend_init(&a);
  a.market = 1;
  a.account = 1;
  a.order_id = 1;
  a.new_price = Px(28'000);
  a.new_size = 500;
  return a;
}

// The Almgren-Chriss example of c_api_analytics_test.c (5 intervals), and
// the same problem in the perpetual model.
constexpr int kIntervals = 5;
constexpr double kSigma = 0.95;
constexpr double kSpread = 0.0625;

perpcore_ac_params Paper() {
  perpcore_ac_params p;
  perpcore_ac_params_init(&p);
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = kIntervals;
  p.sigma = kSigma;
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.epsilon = kSpread;
  p.lambda = 1e-6;
  return p;
}

perpcore_ext_params PaperExt() {
  perpcore_ext_params p;
  perpcore_ext_params_init(&p);
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = kIntervals;
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.lambda = 1e-6;
  p.sigma = &kSigma;
  p.sigma_len = 1;
  p.spread = &kSpread;
  p.spread_len = 1;
  return p;
}

perpcore_ext_options ExtOptions() {
  perpcore_ext_options o;
  perpcore_ext_options_init(&o);
  return o;
}

perpcore_status AcSchedule(perpcore_ac_result* out, const perpcore_ac_params* p) {
  std::array<double, kIntervals + 1> x{};
  std::array<double, kIntervals> n{};
  return perpcore_ac_optimal_schedule(out, x.data(), x.size(), n.data(), n.size(), nullptr,
                                      nullptr, 0, p);
}

perpcore_status ExtSchedule(perpcore_ext_result* out, const perpcore_ext_params* p,
                            const perpcore_ext_options* o) {
  std::array<double, kIntervals + 1> x{};
  std::array<double, kIntervals> n{};
  return perpcore_ext_optimal_schedule(out, x.data(), x.size(), n.data(), n.size(), nullptr,
                                       nullptr, 0, p, o);
}

// Each input struct through one function that reads it, with struct_size
// sizeof + delta: the status, and for a command whether it was processed.
struct InputCase {
  const char* name;
  std::function<perpcore_status(int delta)> run;
};

std::vector<InputCase> InputCases(perpcore_engine* e) {
  const auto next = [e] { return LastSeq(e) + 1; };
  return {
      {"perpcore_engine_config (perpcore_engine_config_check)",
       [](int delta) {
         Pad<perpcore_engine_config> c = Sized(DefaultConfig(), delta);
         std::array<char, 128> msg{};
         return perpcore_engine_config_check(msg.data(), msg.size(), &c.v);
       }},
      {"perpcore_engine_config (perpcore_engine_create)",
       [](int delta) {
         Pad<perpcore_engine_config> c = Sized(DefaultConfig(), delta);
         perpcore_engine* made = nullptr;
         const perpcore_status s = perpcore_engine_create(&made, &c.v);
         perpcore_engine_destroy(made);
         return s;
       }},
      {"perpcore_market_params (perpcore_market_params_check)",
       [e](int delta) {
         Pad<perpcore_market_params> p = Sized(Btc(), delta);
         std::array<char, 128> msg{};
         return perpcore_market_params_check(e, msg.data(), msg.size(), &p.v);
       }},
      {"perpcore_market_params (perpcore_market_update)",
       [e, next](int delta) {
         Pad<perpcore_market_params> p = Sized(Btc(), delta);
         perpcore_result r{};
         return perpcore_market_update(e, &r, next(), kT0, 1, &p.v);
       }},
      {"perpcore_order (perpcore_order_preview)",
       [e](int delta) {
         Pad<perpcore_order> o = Sized(Limit(7, 2, PERPCORE_SIDE_SELL, Px(29'000), 10), delta);
         perpcore_preview pv;
         perpcore_preview_init(&pv);
         return perpcore_order_preview(e, &pv, &o.v);
       }},
      {"perpcore_order (perpcore_order_place)",
       [e, next](int delta) {
         Pad<perpcore_order> o = Sized(Limit(7, 2, PERPCORE_SIDE_SELL, Px(31'000), 1), delta);
         perpcore_result r{};
         const perpcore_status s = perpcore_order_place(e, &r, next(), kT0, &o.v);
         if (s != PERPCORE_OK) return s;
         // Cancelled again, so the next run can place it.
         return perpcore_order_cancel(e, &r, next(), kT0, 1, 2, 7);
       }},
      {"perpcore_amend (perpcore_order_amend)",
       [e, next](int delta) {
         Pad<perpcore_amend> a = Sized(Amend(), delta);
         perpcore_result r{};
         return perpcore_order_amend(e, &r, next(), kT0, &a.v);
       }},
      {"perpcore_ac_params (perpcore_ac_optimal_schedule)",
       [](int delta) {
         Pad<perpcore_ac_params> p = Sized(Paper(), delta);
         perpcore_ac_result r;
         perpcore_ac_result_init(&r);
         return AcSchedule(&r, &p.v);
       }},
      {"perpcore_ext_params (perpcore_ext_optimal_schedule)",
       [](int delta) {
         Pad<perpcore_ext_params> p = Sized(PaperExt(), delta);
         perpcore_ext_result r;
         perpcore_ext_result_init(&r);
         return ExtSchedule(&r, &p.v, nullptr);
       }},
      {"perpcore_ext_options (perpcore_ext_optimal_schedule)",
       [](int delta) {
         const perpcore_ext_params p = PaperExt();
         Pad<perpcore_ext_options> o = Sized(ExtOptions(), delta);
         perpcore_ext_result r;
         perpcore_ext_result_init(&r);
         return ExtSchedule(&r, &p, &o.v);
       }},
  };
}

TEST_CASE("CApiStructSize: an input struct_size is accepted up to the library's size of the "
          "struct and refused with PERPCORE_E_STRUCT_SIZE one byte above it, the byte zero",
          "[c_api]") {
  const EnginePtr e = Build();
  REQUIRE(e != nullptr);
  for (const InputCase& c : InputCases(e.get())) {
    INFO(c.name);
    CHECK(c.run(0) == PERPCORE_OK);
    const std::uint64_t seq = LastSeq(e.get());
    const Digest before = DigestOf(e.get());
    CHECK(std::string(perpcore_status_name(c.run(+1))) == "PERPCORE_E_STRUCT_SIZE");
    CHECK(LastSeq(e.get()) == seq);  // a command refused so is not processed
    CHECK(DigestOf(e.get()) == before);
  }
}

// Each output struct through the function that fills it, in a buffer of
// 0x5A bytes with struct_size sizeof + delta: the status, and whether any
// byte but struct_size's own changed.
struct OutputCase {
  const char* name;
  std::function<perpcore_status(int delta, bool* written)> run;
};

template <class T, class Fill>
perpcore_status RunOutput(int delta, bool* written, Fill&& fill) {
  Pad<T> out;
  std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
  out.v.struct_size = static_cast<std::uint32_t>(static_cast<int>(sizeof(T)) + delta);
  const perpcore_status s = fill(&out.v);
  const auto* bytes = reinterpret_cast<const unsigned char*>(&out);
  *written = false;
  for (std::size_t i = sizeof(std::uint32_t); i < sizeof out; ++i) {
    if (bytes[i] != 0x5A) *written = true;
  }
  return s;
}

std::vector<OutputCase> OutputCases(const perpcore_engine* e) {
  return {
      {"perpcore_engine_config (perpcore_engine_config_get)",
       [e](int delta, bool* written) {
         return RunOutput<perpcore_engine_config>(delta, written, [e](perpcore_engine_config* o) {
           return perpcore_engine_config_get(e, o);
         });
       }},
      {"perpcore_market_params (perpcore_market_params_get)",
       [e](int delta, bool* written) {
         return RunOutput<perpcore_market_params>(delta, written, [e](perpcore_market_params* o) {
           return perpcore_market_params_get(e, o, 1);
         });
       }},
      {"perpcore_market_stats (perpcore_market_stats_get)",
       [e](int delta, bool* written) {
         return RunOutput<perpcore_market_stats>(delta, written, [e](perpcore_market_stats* o) {
           return perpcore_market_stats_get(e, o, 1);
         });
       }},
      {"perpcore_funding_view (perpcore_market_funding_get)",
       [e](int delta, bool* written) {
         return RunOutput<perpcore_funding_view>(delta, written, [e](perpcore_funding_view* o) {
           return perpcore_market_funding_get(e, o, 1);
         });
       }},
      {"perpcore_account_summary (perpcore_account_summary_get)",
       [e](int delta, bool* written) {
         return RunOutput<perpcore_account_summary>(delta, written,
                                                    [e](perpcore_account_summary* o) {
                                                      return perpcore_account_summary_get(e, o, 1);
                                                    });
       }},
      {"perpcore_adl_rank (perpcore_engine_adl_rank)",
       [](int delta, bool* written) {
         const EnginePtr x = BuildWithPositions();
         REQUIRE(x != nullptr);
         return RunOutput<perpcore_adl_rank>(delta, written, [&x](perpcore_adl_rank* o) {
           return perpcore_engine_adl_rank(x.get(), o, 1, 1);
         });
       }},
      {"perpcore_preview (perpcore_order_preview)",
       [e](int delta, bool* written) {
         const perpcore_order order = Limit(7, 2, PERPCORE_SIDE_SELL, Px(29'000), 10);
         return RunOutput<perpcore_preview>(delta, written, [e, &order](perpcore_preview* o) {
           return perpcore_order_preview(e, o, &order);
         });
       }},
      {"perpcore_ac_result (perpcore_ac_optimal_schedule)",
       [](int delta, bool* written) {
         const perpcore_ac_params p = Paper();
         return RunOutput<perpcore_ac_result>(
             delta, written, [&p](perpcore_ac_result* o) { return AcSchedule(o, &p); });
       }},
      {"perpcore_ext_result (perpcore_ext_optimal_schedule)",
       [](int delta, bool* written) {
         const perpcore_ext_params p = PaperExt();
         return RunOutput<perpcore_ext_result>(
             delta, written, [&p](perpcore_ext_result* o) { return ExtSchedule(o, &p, nullptr); });
       }},
  };
}

TEST_CASE("CApiStructSize: an output struct_size is filled up to the library's size of the "
          "struct and refused with PERPCORE_E_STRUCT_SIZE one byte above it, nothing written",
          "[c_api]") {
  const EnginePtr e = Build();
  REQUIRE(e != nullptr);
  for (const OutputCase& c : OutputCases(e.get())) {
    INFO(c.name);
    bool written = false;
    CHECK(c.run(0, &written) == PERPCORE_OK);
    CHECK(written);
    CHECK(std::string(perpcore_status_name(c.run(+1, &written))) == "PERPCORE_E_STRUCT_SIZE");
    CHECK_FALSE(written);
  }
}

}  // namespace

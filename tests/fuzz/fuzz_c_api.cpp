// libFuzzer target: the C API (include/perpcore/perpcore.h) driven by a
// byte stream.
//
// The input decodes into an engine configuration and then a sequence of up
// to kMaxCalls calls covering every stable function that takes input:
// engine create (fuzzed perpcore_engine_config; checked against
// perpcore_engine_config_check), market create / update / status, accounts
// (create, deposit, withdraw, transfer, STP scope, fee tier, margin mode,
// leverage, isolated margin), the insurance deposit, liquidations (every
// market, account, keeper and max_size, self and unknown ids included; the
// liquidation parameters fuzzed with the market's), orders of every type,
// time in force, STP mode and reduce-only flag, cancel (by id, by client id,
// all), amend, cancel-replace, oracle prices, time ticks, and every query
// and the preview. Field values come from tables of typical and extreme
// values (see Reader), so short inputs reach deep states; a 0xFF selector
// takes the next raw bytes instead. Framing (seq gaps, replays, time going
// back), NULL pointers, bad enumerators and struct_size (too small, larger
// with a zero tail, larger with a non-zero tail) are drawn too. An input
// struct is never passed with a struct_size beyond the object that holds it
// (that is the caller's bug, which the library cannot see).
//
// Two engines, A and B, run in lockstep; B has another hash_seed. After
// every call:
//   - a negative status (misuse, framing) left A's digest unchanged, and A's
//     last_seq with it; an E_INTERNAL or E_POISONED is a finding (no input
//     may reach an internal failure);
//   - a processed command (status OK) took its seq and time;
//   - a rejected command (status OK, reason != 0) emitted no event, and
//     changed nothing but last_seq and the time: A's digest equals B's after
//     B consumed the same seq and time with a command rejected at its first
//     check (a deposit of 0 atoms to account 0);
//   - an accepted command gives B, fed the same call, the same result and
//     the same events, and the same digest;
//   - a query or preview left the digest unchanged;
//   - perpcore_engine_check_invariants(A) holds (conservation, open
//     interest, books and ladders);
//   - the liquidation views agree: a summary's liquidation_buffer is
//     health_equity - maintenance_requirement and liquidatable is its health
//     LIQUIDATABLE or BANKRUPT (a cross position's health and buffer are its
//     account's); every perpcore_engine_liquidatable()
//     candidate has equity < maintenance and such a health, at most the
//     capacity asked are written, most under-margined first, and a cross
//     one (market 0) is liquidatable in its account's summary.
// A failed check prints the call number and what failed, and aborts;
// libFuzzer saves the input. tests/fuzz/README.md says how to replay one.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "perpcore/perpcore.h"

namespace {

constexpr int kMaxCalls = 600;

[[noreturn]] void Fail(int call, const char* what, const perpcore_engine* eng) {
  char msg[512] = "";
  if (eng != nullptr && perpcore_engine_last_error(eng, msg, sizeof msg) != PERPCORE_OK) msg[0] = '\0';
  std::fprintf(stderr, "fuzz_c_api: call %d: %s (last error: %s)\n", call, what, msg);
  std::abort();
}

// Reader: the input as a stream of choices; past its end every byte is 0.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }

  std::uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }

  std::uint64_t Raw64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{U8()} << (8 * i);
    return v;
  }

  // Enum(n): 0..n-1 mostly; selectors 0xF0.. give n..n+14 (values that are
  // not enumerators) and 0xFF a raw 32-bit value.
  std::uint32_t Enum(std::uint32_t n) {
    const std::uint8_t b = U8();
    if (b < 0xF0) return b % n;
    if (b == 0xFF) return static_cast<std::uint32_t>(Raw64());
    return n + (b - 0xF0u);
  }

  // Id(n): 0..n-1 (0 is never a valid id), or a raw 64-bit value.
  std::uint64_t Id(std::uint32_t n) {
    const std::uint8_t b = U8();
    return b == 0xFF ? Raw64() : b % n;
  }

  // LogScale(shift): (b % 16) * 10^(b / 16 + shift), so one byte spans 17
  // orders of magnitude; selectors 0xF0.. are extremes, 0xFF raw.
  std::int64_t LogScale(int shift) {
    const std::uint8_t b = U8();
    if (b >= 0xF0) return Extreme(b);
    __int128 v = b % 16;
    for (int i = 0; i < b / 16 + shift; ++i) v *= 10;
    return v > std::numeric_limits<std::int64_t>::max() ? std::numeric_limits<std::int64_t>::max()
                                                        : static_cast<std::int64_t>(v);
  }

  // Around(centre, step): centre + (b - 128) * step; extremes as LogScale.
  std::int64_t Around(std::int64_t centre, std::int64_t step) {
    const std::uint8_t b = U8();
    if (b >= 0xF0) return Extreme(b);
    return centre + (static_cast<std::int64_t>(b) - 128) * step;
  }

 private:
  std::int64_t Extreme(std::uint8_t b) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    static constexpr std::array<std::int64_t, 15> kExtremes = {
        0,           -1,        1,           kMax,          kMin,
        kMax - 1,    kMin + 1,  INT64_C(1) << 62, INT64_C(1) << 53, INT64_C(1) << 31,
        -(INT64_C(1) << 62), kMax / 2 + 1, INT64_C(4294967296), INT64_C(999999999999999999),
        -1000000};
    if (b == 0xFF) return static_cast<std::int64_t>(Raw64());
    return kExtremes[b - 0xF0u];
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Padded<T>: a struct with room behind it, so a struct_size above sizeof(T)
// stays inside the caller's object (the tail is zero unless asked).
template <class T>
struct Padded {
  T value;
  unsigned char tail[64];
};

// SizeMode(): the struct_size to pass, preparing the tail. 0..0xEF: exact.
template <class T>
std::uint32_t SizeMode(Reader& in, Padded<T>& p) {
  std::memset(p.tail, 0, sizeof p.tail);
  const std::uint8_t b = in.U8();
  constexpr auto kSize = static_cast<std::uint32_t>(sizeof(T));
  switch (b) {
    case 0xF0: return kSize - 8;      // 8 short: the engine config's version 1, else refused
    case 0xF1: return kSize + 8;      // a newer header's struct, zero tail
    case 0xF2:                        // a newer header's struct, a field set
      p.tail[3] = 1;
      return kSize + 8;
    case 0xF3: return 0;
    case 0xF4: return kSize + 64;     // the whole tail, zero
    // The market params' version 2 (funding and liquidation absent), else
    // refused.
    case 0xF5:
      return kSize - static_cast<std::uint32_t>(sizeof(perpcore_funding_params) +
                                                sizeof(perpcore_liquidation_params));
    case 0xF6: return kSize - 24;     // the market stats' version 1, the summary's 2
    // The market params' version 3 (liquidation absent), else refused.
    case 0xF7: return kSize - static_cast<std::uint32_t>(sizeof(perpcore_liquidation_params));
    case 0xF8: return kSize - 32;     // the account summary's version 1, else refused
    default: return kSize;
  }
}

// Known(): a query's status is one the header documents for a query, never
// an internal failure (queries allocate nothing that input can exhaust).
void Known(perpcore_status s) {
  switch (s) {
    case PERPCORE_OK:
    case PERPCORE_E_ILLEGAL_ARG:
    case PERPCORE_E_NOT_FOUND:
    case PERPCORE_E_RANGE:
    case PERPCORE_E_BUFFER_TOO_SMALL:
    case PERPCORE_E_STRUCT_SIZE:
    case PERPCORE_E_CONFIG:
      return;
    default:
      std::fprintf(stderr, "fuzz_c_api: a query returned %s\n", perpcore_status_name(s));
      std::abort();
  }
}

using Digest = std::array<std::uint8_t, PERPCORE_DIGEST_SIZE>;

Digest DigestOf(const perpcore_engine* eng, int call) {
  Digest d{};
  if (perpcore_engine_digest(eng, d.data()) != PERPCORE_OK) Fail(call, "digest failed", eng);
  return d;
}

// Fuzzer: one input's engines and checks.
class Fuzzer {
 public:
  explicit Fuzzer(Reader& in) : in_(in) {}
  ~Fuzzer() {
    perpcore_engine_destroy(a_);
    perpcore_engine_destroy(b_);
  }
  Fuzzer(const Fuzzer&) = delete;
  Fuzzer& operator=(const Fuzzer&) = delete;

  void Run() {
    if (!Create()) return;
    for (call_ = 1; call_ <= kMaxCalls && !in_.empty(); ++call_) {
      const Digest before = DigestOf(a_, call_);
      Step(before);
      if (perpcore_engine_check_invariants(a_) != PERPCORE_OK) Fail(call_, "invariants", a_);
    }
  }

 private:
  // --- the engine configuration -------------------------------------------
  bool Create() {
    Padded<perpcore_engine_config> cfg{};
    perpcore_engine_config_init(&cfg.value);
    const std::uint8_t mode = in_.U8();
    if (mode & 1) {
      cfg.value.quote_decimals = in_.Enum(20);
      cfg.value.max_markets = static_cast<std::uint32_t>(in_.Id(6));
      cfg.value.max_accounts = static_cast<std::uint32_t>(in_.Id(10));
      cfg.value.referrer_share = in_.LogScale(4);
      cfg.value.fee_tier_count = in_.Enum(PERPCORE_MAX_FEE_TIERS + 1);
      for (std::uint32_t i = 0; i < 4; ++i) cfg.value.fee_tier_discounts[i] = in_.LogScale(4);
    }
    if (mode & 2) cfg.value.struct_size = SizeMode(in_, cfg);
    const perpcore_engine_config* c = (mode & 4) ? nullptr : &cfg.value;  // NULL: defaults
    char msg[256];
    // config_check(NULL) is misuse; create(NULL) means the defaults.
    const perpcore_status checked = perpcore_engine_config_check(msg, sizeof msg, c);
    const perpcore_status created = perpcore_engine_create(&a_, c);
    if (c == nullptr ? checked != PERPCORE_E_ILLEGAL_ARG : checked != created) {
      Fail(0, "engine_config_check disagrees with engine_create", nullptr);
    }
    if (created != PERPCORE_OK) {
      if (a_ != nullptr) Fail(0, "a failed engine_create returned a handle", nullptr);
      return false;
    }
    // B: the same configuration under another hash seed (not in the digest).
    if (c != nullptr) cfg.value.hash_seed ^= UINT64_C(0x9e3779b97f4a7c15);
    Padded<perpcore_engine_config> cfg_b = cfg;
    if (c == nullptr) {
      perpcore_engine_config_init(&cfg_b.value);
      cfg_b.value.hash_seed = 12345;
    }
    if (perpcore_engine_create(&b_, &cfg_b.value) != PERPCORE_OK) Fail(0, "twin create", nullptr);
    if (DigestOf(a_, 0) != DigestOf(b_, 0)) Fail(0, "fresh engines differ", a_);
    Padded<perpcore_engine_config> got{};
    perpcore_engine_config_init(&got.value);
    if (perpcore_engine_config_get(a_, &got.value) != PERPCORE_OK) Fail(0, "config_get", a_);
    return true;
  }

  // --- values ---------------------------------------------------------------
  std::uint32_t Market() { return static_cast<std::uint32_t>(in_.Id(4)); }
  std::uint64_t Account() { return in_.Id(8); }
  std::uint64_t OrderId() { return in_.Id(24); }
  // Prices around 30,000.0 USD at the default 0.1 tick: 300,000 ticks.
  std::int64_t Price() { return in_.Around(300000, 25); }
  std::int64_t Lots() { return in_.LogScale(0); }
  std::int64_t Atoms() { return in_.LogScale(0); }

  void Params(Padded<perpcore_market_params>& p) {
    perpcore_market_params_init(&p.value);
    perpcore_market_params& v = p.value;
    const std::uint8_t edits = in_.U8() % 8;
    for (std::uint8_t e = 0; e < edits; ++e) {
      switch (in_.U8() % 27) {
        case 0: v.max_leverage = in_.Enum(200); break;
        case 1: v.tick_size_mantissa = in_.LogScale(0); break;
        case 2: v.tick_size_exponent = static_cast<std::int32_t>(in_.Around(0, 1)); break;
        case 3: v.lot_size_exponent = static_cast<std::int32_t>(in_.Around(0, 1)); break;
        case 4: v.lot_size_mantissa = in_.LogScale(0); break;
        case 5: v.max_order_size = in_.LogScale(0); break;
        case 6: v.max_open_interest = in_.LogScale(0); break;
        case 7: v.max_price = in_.LogScale(0); break;
        case 8: v.price_band = in_.LogScale(4); break;
        case 9: v.maker_fee = in_.Around(0, INT64_C(10000000000000)); break;
        case 10: v.taker_fee = in_.LogScale(4); break;
        case 11: v.oracle.staleness_ns = in_.LogScale(0); break;
        case 12: v.oracle.twap_window_ns = in_.LogScale(0); break;
        case 13: v.oracle.basis_window_ns = in_.LogScale(0); break;
        case 14: v.oracle.max_source_deviation = in_.LogScale(4); break;
        case 15: v.oracle.max_twap_deviation = in_.LogScale(4); break;
        case 16: v.oracle.min_sources = in_.Enum(6); break;
        case 17: v.max_orders_per_account = in_.Enum(40); break;
        case 18: v.max_levels_per_side = in_.Enum(40); break;
        case 19: v.max_book_orders = in_.Enum(80); break;
        case 20: v.tier_count = in_.Enum(PERPCORE_MAX_TIERS + 1); break;
        case 21: {
          const std::uint32_t t = in_.Enum(PERPCORE_MAX_TIERS);
          if (t < PERPCORE_MAX_TIERS) {
            v.tiers[t].notional_floor = in_.LogScale(0);
            v.tiers[t].maintenance_rate = in_.LogScale(4);
            v.tiers[t].max_leverage = in_.Enum(200);
          }
          break;
        }
        case 22: {  // a funding enumerator (valid, or not an enumerator)
          perpcore_funding_params& f = v.funding;
          std::uint32_t* fields[] = {&f.model, &f.payment, &f.price, &f.weighting, &f.cap_mode};
          *fields[in_.U8() % 5] = in_.Enum(5);
          break;
        }
        case 23: {  // a funding duration or the impact notional
          perpcore_funding_params& f = v.funding;
          std::int64_t* fields[] = {&f.interval_ns, &f.period_ns, &f.sample_cadence_ns,
                                    &f.impact_notional};
          *fields[in_.U8() % 4] = in_.LogScale(0);
          break;
        }
        case 24: {  // a funding rate (or the counterparty)
          perpcore_funding_params& f = v.funding;
          std::int64_t* fields[] = {&f.interest,      &f.interest_band, &f.cap,
                                    &f.floor,         &f.cap_multiple,  &f.skew_kappa,
                                    &f.skew_factor,   &f.skew_exponent, &f.skew_max,
                                    &f.ramp_up,       &f.decay,         &f.stable_threshold,
                                    &f.decay_threshold};
          const std::uint8_t which = in_.U8() % 14;
          if (which == 13) {
            f.counterparty = Account();
          } else {
            *fields[which] = in_.Around(0, INT64_C(1000000000000000));
          }
          break;
        }
        case 25: {  // a liquidation field: rates near their bounds, amounts, durations
          perpcore_liquidation_params& l = v.liquidation;
          std::int64_t* rates[] = {&l.warning_threshold, &l.fee,
                                   &l.keeper_share,      &l.buffer,
                                   &l.chunk_fraction,    &l.bankruptcy_adjustment,
                                   &l.spread_to_maintenance};
          std::int64_t* amounts[] = {&l.chunk_threshold, &l.cooldown_ns,
                                     &l.max_notional_per_command};
          const std::uint8_t which = in_.U8() % 10;
          if (which < 7) {
            *rates[which] = in_.Around(PERPCORE_RATE_SCALE / 2, INT64_C(10000000000000000));
          } else {
            *amounts[which - 7] = in_.LogScale(0);
          }
          break;
        }
        default: {
          const std::size_t at = in_.U8() % PERPCORE_SYMBOL_CAPACITY;
          v.symbol[at] = static_cast<char>(in_.U8());
          break;
        }
      }
    }
    v.struct_size = SizeMode(in_, p);
  }

  void Order(Padded<perpcore_order>& p) {
    perpcore_order_init(&p.value);
    perpcore_order& o = p.value;
    o.market = Market();
    o.account = Account();
    o.order_id = OrderId();
    o.client_id = in_.Id(6);
    o.side = static_cast<std::uint8_t>(in_.Enum(2));
    o.type = static_cast<std::uint8_t>(in_.Enum(2));
    o.tif = static_cast<std::uint8_t>(in_.Enum(5));
    o.stp = static_cast<std::uint8_t>(in_.Enum(4));
    o.reduce_only = static_cast<std::uint8_t>(in_.Enum(2));
    o.price = Price();
    o.size = Lots();
    o.struct_size = SizeMode(in_, p);
  }

  // --- one call ---------------------------------------------------------------
  // A command: `cmd(engine, out, seq, time)` is called on A and, depending
  // on A's answer, on B, as the file comment says.
  template <class Cmd>
  void Command(const Digest& before, Cmd cmd) {
    std::uint64_t last = 0;
    std::int64_t now = 0;
    if (perpcore_engine_last_seq(a_, &last) != PERPCORE_OK) Fail(call_, "last_seq", a_);
    if (perpcore_engine_now(a_, &now) != PERPCORE_OK) Fail(call_, "now", a_);
    // Framing: mostly the next seq at a later time; sometimes a gap, a
    // replay or time going back, which must change nothing.
    const std::uint8_t framing = in_.U8();
    std::uint64_t seq = last + 1;
    std::int64_t delta = 0;
    if (framing == 0xF0) {
      seq = last + 2;
    } else if (framing == 0xF1) {
      seq = last;
    } else if (framing == 0xF2) {
      delta = -1 - (in_.U8() % 4);
    } else if (framing == 0xFF) {
      delta = static_cast<std::int64_t>(in_.Raw64() >> 1);
    } else {
      // Even: no time passes. Odd 2k + 1: (k % 8 + 1) * 10^(k / 8) ns, from
      // 1 ns to 9 * 10^14 ns (ten days) in one byte.
      if (framing % 2 == 1) {
        const int k = framing >> 1;
        delta = k % 8 + 1;
        for (int i = 0; i < k / 8; ++i) delta *= 10;
      }
    }
    const std::int64_t time =
        delta > 0 && now > std::numeric_limits<std::int64_t>::max() - delta
            ? std::numeric_limits<std::int64_t>::max()
            : now + delta;
    const bool null_out = in_.U8() == 0xFE;  // perpcore_result* NULL: misuse

    perpcore_result ra{};
    const perpcore_status sa = cmd(a_, null_out ? nullptr : &ra, seq, time);
    if (sa == PERPCORE_E_INTERNAL || sa == PERPCORE_E_POISONED) {
      Fail(call_, "a command reached an internal failure", a_);
    }
    if (sa != PERPCORE_OK) {
      if (DigestOf(a_, call_) != before) Fail(call_, "a misused or misframed call changed the digest", a_);
      std::uint64_t after = 0;
      if (perpcore_engine_last_seq(a_, &after) != PERPCORE_OK || after != last) {
        Fail(call_, "a misused or misframed call consumed a seq", a_);
      }
      return;
    }
    if (null_out) Fail(call_, "a command with a NULL result returned OK", a_);
    // Processed, accepted or not: it consumed its seq and took its time.
    std::uint64_t seq_after = 0;
    std::int64_t now_after = 0;
    if (perpcore_engine_last_seq(a_, &seq_after) != PERPCORE_OK || seq_after != seq ||
        perpcore_engine_now(a_, &now_after) != PERPCORE_OK || now_after != time) {
      Fail(call_, "a processed command did not take its seq and time", a_);
    }
    perpcore_result rb{};
    if (ra.reason != PERPCORE_REASON_OK) {
      if (ra.event_count != 0) Fail(call_, "a rejected command emitted events", a_);
      const perpcore_status sb = perpcore_account_deposit(b_, &rb, seq, time, 0, 0);
      if (sb != PERPCORE_OK || rb.reason == PERPCORE_REASON_OK) Fail(call_, "the twin's probe", b_);
      if (DigestOf(a_, call_) != DigestOf(b_, call_)) {
        Fail(call_, "a rejected command changed more than last_seq and the time", a_);
      }
      return;
    }
    const perpcore_status sb = cmd(b_, &rb, seq, time);
    if (sb != PERPCORE_OK || std::memcmp(&ra, &rb, sizeof ra) != 0) {
      Fail(call_, "the twin engine (another hash_seed) answered differently", a_);
    }
    CompareEvents();
    if (DigestOf(a_, call_) != DigestOf(b_, call_)) Fail(call_, "the twin's digest differs", a_);
  }

  void CompareEvents() {
    size_t na = 0, nb = 0;
    Known(perpcore_engine_events(a_, nullptr, 0, &na));
    Known(perpcore_engine_events(b_, nullptr, 0, &nb));
    if (na != nb) Fail(call_, "the twin's event count differs", a_);
    if (na == 0) return;
    ea_.resize(na);
    eb_.resize(nb);
    size_t wa = 0, wb = 0;
    if (perpcore_engine_events(a_, ea_.data(), na, &wa) != PERPCORE_OK ||
        perpcore_engine_events(b_, eb_.data(), nb, &wb) != PERPCORE_OK || wa != na || wb != nb) {
      Fail(call_, "events", a_);
    }
    if (std::memcmp(ea_.data(), eb_.data(), na * sizeof(perpcore_event)) != 0) {
      Fail(call_, "the twin's events differ", a_);
    }
  }

  void Step(const Digest& before) {
    const std::uint8_t op = in_.U8();
    switch (op % 32) {
      case 0: {  // market create
        const std::uint32_t market = Market();
        Padded<perpcore_market_params> p{};
        Params(p);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_market_create(e, r, s, t, market, &p.value);
        });
        break;
      }
      case 1: {  // market update
        const std::uint32_t market = Market();
        Padded<perpcore_market_params> p{};
        Params(p);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_market_update(e, r, s, t, market, &p.value);
        });
        break;
      }
      case 2: {
        const std::uint32_t market = Market(), status = in_.Enum(4);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_market_set_status(e, r, s, t, market, status);
        });
        break;
      }
      case 3: {
        const std::uint64_t account = Account(), owner = in_.Id(4), referrer = Account();
        const std::uint32_t tier = in_.Enum(4);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_create(e, r, s, t, account, owner, tier, referrer);
        });
        break;
      }
      case 5: {  // a liquidation: max_size mostly small, 0xF3 in LogScale is INT64_MAX
        const std::uint32_t market = Market();
        const std::uint64_t account = Account(), keeper = Account();
        const std::int64_t max_size = in_.LogScale(0);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_engine_liquidate(e, r, s, t, market, account, keeper, max_size);
        });
        break;
      }
      case 4: {
        const std::uint64_t account = Account();
        const std::int64_t amount = in_.LogScale(2);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_deposit(e, r, s, t, account, amount);
        });
        break;
      }
      case 6: {
        const std::uint64_t account = Account();
        const std::int64_t amount = Atoms();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_withdraw(e, r, s, t, account, amount);
        });
        break;
      }
      case 7: {
        const std::uint64_t from = Account(), to = Account();
        const std::int64_t amount = Atoms();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_transfer(e, r, s, t, from, to, amount);
        });
        break;
      }
      case 8: {
        const std::uint64_t account = Account();
        const std::uint32_t scope = in_.Enum(2);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_stp_scope(e, r, s, t, account, scope);
        });
        break;
      }
      case 9: {
        const std::uint64_t account = Account();
        const std::uint32_t tier = in_.Enum(4);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_fee_tier(e, r, s, t, account, tier);
        });
        break;
      }
      case 10: {
        const std::uint32_t market = Market(), mode = in_.Enum(2);
        const std::uint64_t account = Account();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_margin_mode(e, r, s, t, market, account, mode);
        });
        break;
      }
      case 11: {
        const std::uint32_t market = Market(), leverage = in_.Enum(30);
        const std::uint64_t account = Account();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_leverage(e, r, s, t, market, account, leverage);
        });
        break;
      }
      case 12: {
        const std::uint32_t market = Market();
        const std::uint64_t account = Account();
        const std::int64_t delta = in_.Around(0, 1000000000);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_adjust_isolated_margin(e, r, s, t, market, account, delta);
        });
        break;
      }
      case 13: {
        const std::int64_t amount = Atoms();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_insurance_deposit(e, r, s, t, amount);
        });
        break;
      }
      case 14:
      case 15:
      case 16:
      case 17: {  // orders: the most frequent call
        Padded<perpcore_order> o{};
        Order(o);
        const bool null_order = o.value.struct_size == 0 && in_.U8() == 0;
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_order_place(e, r, s, t, null_order ? nullptr : &o.value);
        });
        break;
      }
      case 18: {
        const std::uint32_t market = Market();
        const std::uint64_t account = Account(), id = OrderId();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_order_cancel(e, r, s, t, market, account, id);
        });
        break;
      }
      case 19: {
        const std::uint32_t market = Market();
        const std::uint64_t account = Account(), client_id = in_.Id(6);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_order_cancel_by_client_id(e, r, s, t, market, account, client_id);
        });
        break;
      }
      case 20: {
        const std::uint32_t market = Market();
        const std::uint64_t account = Account();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_order_cancel_all(e, r, s, t, market, account);
        });
        break;
      }
      case 21: {
        Padded<perpcore_amend> a{};
        perpcore_amend_init(&a.value);
        a.value.market = Market();
        a.value.account = Account();
        a.value.order_id = OrderId();
        a.value.new_price = Price();
        a.value.new_size = Lots();
        a.value.struct_size = SizeMode(in_, a);
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_order_amend(e, r, s, t, &a.value);
        });
        break;
      }
      case 22: {
        const std::uint64_t old_id = OrderId();
        Padded<perpcore_order> o{};
        Order(o);
        // Mostly the order's own market and account, as the call requires.
        const bool same = in_.U8() < 0xF0;
        const std::uint32_t market = same ? o.value.market : Market();
        const std::uint64_t account = same ? o.value.account : Account();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_order_cancel_replace(e, r, s, t, market, account, old_id, &o.value);
        });
        break;
      }
      case 23:
      case 24: {
        const std::uint32_t market = Market(), source = in_.Enum(20);
        const std::int64_t price = Price();
        const std::uint8_t age = in_.U8();  // publish time: now minus 0..
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          std::int64_t publish = t;
          if (age == 0xFF) {
            publish = t == std::numeric_limits<std::int64_t>::max() ? t : t + 1;  // the future
          } else {
            const std::int64_t back = std::int64_t{age} * 1000000000;  // whole seconds
            publish = t < std::numeric_limits<std::int64_t>::min() + back ? t : t - back;
          }
          return perpcore_oracle_publish(e, r, s, t, market, source, price, publish);
        });
        break;
      }
      case 25: {
        const std::uint32_t market = Market();
        Command(before, [&](perpcore_engine* e, perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_engine_time_tick(e, r, s, t, market);
        });
        break;
      }
      default:
        Query(op);
        if (DigestOf(a_, call_) != before) Fail(call_, "a query changed the digest", a_);
        break;
    }
  }

  // Queries: each must leave the digest as it was; the answers are checked
  // against each other where the header ties them.
  void Query(std::uint8_t op) {
    std::array<char, 128> msg{};
    switch (op % 32) {
      case 26: {
        Padded<perpcore_market_params> p{};
        Params(p);
        Known(perpcore_market_params_check(a_, msg.data(), msg.size(), &p.value));
        Padded<perpcore_market_params> got{};
        perpcore_market_params_init(&got.value);
        got.value.struct_size = SizeMode(in_, got);
        Known(perpcore_market_params_get(a_, &got.value, Market()));
        break;
      }
      case 27: {
        Padded<perpcore_market_stats> st{};
        perpcore_market_stats_init(&st.value);
        st.value.struct_size = SizeMode(in_, st);
        const std::uint32_t market = Market();
        const perpcore_status s = perpcore_market_stats_get(a_, &st.value, market);
        Known(s);
        std::array<perpcore_level, 8> levels{};
        size_t written = 0;
        const std::uint32_t side = in_.Enum(2);
        const size_t want = in_.U8() % (levels.size() + 1);
        Known(perpcore_book_depth(a_, levels.data(), want, &written, market, side));
        perpcore_level best{};
        const perpcore_status sbest = perpcore_book_best(a_, &best, market, side);
        Known(sbest);
        if (s == PERPCORE_OK && sbest == PERPCORE_OK && side < 2) {
          const perpcore_level& top = side == PERPCORE_SIDE_BUY ? st.value.best_bid : st.value.best_ask;
          if (std::memcmp(&top, &best, sizeof best) != 0) {
            Fail(call_, "market_stats' top of book differs from book_best", a_);
          }
        }
        break;
      }
      case 28: {
        const std::uint64_t account = Account();
        Padded<perpcore_account_summary> sum{};
        perpcore_account_summary_init(&sum.value);
        sum.value.struct_size = SizeMode(in_, sum);
        const perpcore_status s = perpcore_account_summary_get(a_, &sum.value, account);
        Known(s);
        std::array<perpcore_position, 4> pos{};
        size_t written = 0;
        const perpcore_status sp =
            perpcore_account_positions(a_, pos.data(), in_.U8() % 5, &written, account);
        Known(sp);
        if (s == PERPCORE_OK && sum.value.struct_size >= sizeof(perpcore_account_summary) &&
            (sp == PERPCORE_OK || sp == PERPCORE_E_BUFFER_TOO_SMALL) &&
            written != sum.value.position_count) {
          Fail(call_, "positions' count differs from the summary's position_count", a_);
        }
        if (s == PERPCORE_OK && sum.value.struct_size >= sizeof(perpcore_account_summary)) {
          CheckHealth(sum.value);
          // A cross position's health is its account's.
          for (size_t i = 0; sp == PERPCORE_OK && i < written; ++i) {
            std::uint32_t health = 0;
            std::int64_t buffer = 0;
            Known(perpcore_account_position_health(a_, &health, &buffer, account, pos[i].market));
            if (pos[i].mode == PERPCORE_MARGIN_CROSS &&
                (health != sum.value.health || buffer != sum.value.liquidation_buffer)) {
              Fail(call_, "a cross position's health differs from its account's", a_);
            }
          }
        }
        {
          std::uint32_t health = 0;
          std::int64_t buffer = 0;
          const bool null_out = in_.U8() == 0xFE;
          Known(perpcore_account_position_health(a_, null_out ? nullptr : &health, &buffer,
                                                 account, Market()));
        }
        std::array<perpcore_open_order, 8> orders{};
        Known(perpcore_account_open_orders(a_, orders.data(), in_.U8() % 9, &written, account));
        break;
      }
      case 29: {
        Padded<perpcore_order> o{};
        Order(o);
        Padded<perpcore_preview> pv{};
        perpcore_preview_init(&pv.value);
        pv.value.struct_size = SizeMode(in_, pv);
        Known(perpcore_order_preview(a_, &pv.value, &o.value));
        break;
      }
      case 30: {
        std::array<std::uint32_t, 8> markets{};
        std::array<std::uint64_t, 16> accounts{};
        size_t written = 0;
        Known(perpcore_engine_markets(a_, markets.data(), in_.U8() % 9, &written));
        Known(perpcore_engine_accounts(a_, accounts.data(), in_.U8() % 17, &written));
        std::int64_t v = 0;
        Known(perpcore_engine_fee_pool(a_, &v));
        Known(perpcore_engine_insurance_fund(a_, &v));
        perpcore_i128 residual{};
        Known(perpcore_engine_funding_residual(a_, &residual));
        // Funding: the view, its history (the count must match the view's)
        // and one position's pending funding.
        const std::uint32_t market = Market();
        Padded<perpcore_funding_view> fv{};
        perpcore_funding_view_init(&fv.value);
        fv.value.struct_size = SizeMode(in_, fv);
        const perpcore_status sf = perpcore_market_funding_get(a_, &fv.value, market);
        Known(sf);
        std::array<perpcore_funding_rate, PERPCORE_FUNDING_HISTORY> rates{};
        const perpcore_status sh =
            perpcore_market_funding_history(a_, rates.data(), in_.U8() % 33, &written, market);
        Known(sh);
        if (sf == PERPCORE_OK && fv.value.struct_size == sizeof(perpcore_funding_view) &&
            (sh == PERPCORE_OK || sh == PERPCORE_E_BUFFER_TOO_SMALL) &&
            written != fv.value.history_count) {
          Fail(call_, "funding_history's count differs from the view's history_count", a_);
        }
        Known(perpcore_account_pending_funding(a_, &v, Account(), market));
        Known(perpcore_engine_shortfall(a_, &v));
        if (v < 0) Fail(call_, "the shortfall is negative", a_);
        Liquidatable();
        std::array<perpcore_event, 4> events{};
        Known(perpcore_engine_events(a_, events.data(), in_.U8() % 5, &written));
        break;
      }
      default: {
        // Names and messages of any value: never NULL.
        const std::uint32_t reason = static_cast<std::uint32_t>(in_.Id(1024));
        const auto status = static_cast<perpcore_status>(in_.Around(-1000, 8));
        if (perpcore_reason_name(reason) == nullptr || perpcore_reason_message(reason) == nullptr ||
            perpcore_status_name(status) == nullptr) {
          Fail(call_, "a name or message is NULL", a_);
        }
        Known(perpcore_engine_last_error(a_, msg.data(), in_.U8() % msg.size()));
        break;
      }
    }
  }

  // The summary's liquidation fields agree with each other.
  void CheckHealth(const perpcore_account_summary& s) {
    if (s.liquidation_buffer != s.health_equity - s.maintenance_requirement) {
      Fail(call_, "liquidation_buffer is not health_equity - maintenance_requirement", a_);
    }
    if (s.health > PERPCORE_HEALTH_BANKRUPT) Fail(call_, "health is not a PERPCORE_HEALTH_*", a_);
    const bool below = s.health >= PERPCORE_HEALTH_LIQUIDATABLE;
    if (below != (s.liquidatable == 1) || below != (s.liquidation_buffer < 0)) {
      Fail(call_, "liquidatable, health and liquidation_buffer disagree", a_);
    }
  }

  // perpcore_engine_liquidatable() with a fuzzed capacity (NULL arrays
  // too), checked against the summaries.
  void Liquidatable() {
    std::array<perpcore_liquidation_candidate, 8> c{};
    const std::uint8_t b = in_.U8();
    const size_t cap = b % (c.size() + 1);
    size_t written = 99;
    const bool null_out = b >= 0xF0;  // NULL out with cap > 0: misuse
    const perpcore_status s =
        perpcore_engine_liquidatable(a_, null_out ? nullptr : c.data(), cap, &written);
    Known(s);
    if (null_out && cap > 0) {
      if (s != PERPCORE_E_ILLEGAL_ARG || written != 0) Fail(call_, "liquidatable(NULL)", a_);
      return;
    }
    if (s != PERPCORE_OK || written > cap) Fail(call_, "liquidatable wrote beyond its capacity", a_);
    for (size_t i = 0; i < written; ++i) {
      const perpcore_liquidation_candidate& x = c[i];
      if (x.equity >= x.maintenance || x.health < PERPCORE_HEALTH_LIQUIDATABLE ||
          x.health > PERPCORE_HEALTH_BANKRUPT || (x.health == PERPCORE_HEALTH_BANKRUPT) != (x.equity < 0)) {
        Fail(call_, "a liquidatable candidate is not below maintenance", a_);
      }
      // Most under-margined first: equity / maintenance ascending, compared
      // exactly (maintenance > equity >= ... so a deficit without
      // requirement, maintenance 0, comes first).
      if (i > 0) {
        const perpcore_liquidation_candidate& p = c[i - 1];
        const __int128 lhs = static_cast<__int128>(p.equity) * x.maintenance;
        const __int128 rhs = static_cast<__int128>(x.equity) * p.maintenance;
        if ((p.maintenance != 0 && x.maintenance != 0 && lhs > rhs) ||
            (p.maintenance != 0 && x.maintenance == 0)) {
          Fail(call_, "liquidatable is not most under-margined first", a_);
        }
      }
      if (x.market == 0) {
        Padded<perpcore_account_summary> sum{};
        perpcore_account_summary_init(&sum.value);
        if (perpcore_account_summary_get(a_, &sum.value, x.account) != PERPCORE_OK ||
            sum.value.liquidatable != 1 || sum.value.health != x.health ||
            sum.value.health_equity != x.equity ||
            sum.value.maintenance_requirement != x.maintenance) {
          Fail(call_, "a cross candidate differs from its account's summary", a_);
        }
      }
    }
  }

  Reader& in_;
  perpcore_engine* a_ = nullptr;
  perpcore_engine* b_ = nullptr;
  int call_ = 0;
  std::vector<perpcore_event> ea_, eb_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in(data, size);
  Fuzzer fuzzer(in);
  fuzzer.Run();
  return 0;
}

// -----------------------------------------------------------------------------
// File: examples/keeper.cpp
// -----------------------------------------------------------------------------
//
// A liquidation keeper that embeds the engine (issue 13). One perpetual market
// (ETH-USD: tick 0.01 USD, lot 0.01 ETH, 100 quote atoms a tick-lot, price
// 3,000 USD), five market makers with a deep book, a few hundred leveraged
// traders (2x..30x, one in four isolated, a few whales above the 100,000 USD
// chunk threshold) and a market run with a sharp oracle drop:
//
//   t =   0.. 59 s  random walk (+-0.05% a second); the traders open
//                  positions, 70% of them long
//   t =  60.. 89 s  -0.31% a second, with a -3% gap at t = 75 s: about -12%
//                  in all; the gap leaves the most leveraged longs bankrupt
//                  before anyone can liquidate them
//   t =  90..119 s  the bottom: "bottom fishers" open leveraged shorts
//                  (15x..40x)
//   t = 120..159 s  a partial recovery, +0.15% a second (about +6%): it
//                  liquidates the most leveraged of those shorts
//   t = 160..   s  random walk
//
// Every second: the oracle publishes, a TimeTick refreshes the mark, the
// makers requote, traders trade, and the keeper asks Engine::Liquidatable()
// and sends a Liquidate command for each candidate from its own account,
// again until none is left (or a round achieves nothing: a thin book). It
// reports liquidations (partial and full, cross and isolated), fees, its own
// income, the insurance fund's path and any shortfall, and draws mark price,
// insurance fund (and shortfall), keeper income and the lots deleveraged
// against time into a PNG.
//
// The PNG: no plotting library. The Debian packages installed here offer
// libpng and zlib, but neither draws, and a dependency for an example is not
// worth it: this file rasterises the four panels itself (lines, a 5x7
// font for the labels) and writes the PNG format directly (an 8-bit
// palette image; zlib's "stored" deflate blocks, which every PNG reader
// accepts, with the CRC-32 and Adler-32 the format requires).
//
// Self-checks (exit 1 if one fails, so the test run catches it): at every
// second Engine::CheckInvariants() (conservation with the insurance fund and
// the shortfall) and Liquidatable() equal to a scan of every account's
// summary; at the end, the keeper's cash is exactly its deposit plus the
// keeper_fee of every Liquidation event, the insurance fund is exactly its
// start plus fees less keeper shares less covers (plus what refilled it:
// nothing here), shortfall() is the sum of the Shortfall events, nothing is
// liquidatable, and the run liquidated something (partially and fully).
//
// Usage: keeper [--traders N] [--seed S] [--seconds T] [--gap PCT] [--png PATH]
// --gap 30: the crash scenario (issue 14): a 30% gap at t = 75 s bankrupts
// far more than the insurance fund can carry, and auto-deleveraging (the
// market's default loss policy) closes what it cannot against the ranked
// shorts: the run must then deleverage, and the fourth panel shows it.
// Deterministic: one splitmix64 stream; the report ends with the digest.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "perpcore/core/decimal.hpp"
#include "perpcore/engine/engine.hpp"

namespace {

using namespace perpcore;
using namespace perpcore::engine;

constexpr std::int64_t kUsd = 1'000'000;  // USDC atoms
constexpr std::int64_t kSecondNs = 1'000'000'000;
constexpr std::int64_t kStart = 1'700'000'000LL * kSecondNs;
constexpr std::int64_t kStartPrice = 300'000;  // ticks: 3,000 USD
constexpr std::int64_t kAtoms = 100;           // atoms a tick-lot
constexpr MarketId kMarket = 1;
constexpr AccountId kKeeper = 1;
constexpr int kMakers = 5;
constexpr int kLevels = 10;
constexpr std::int64_t kKeeperDeposit = 100 * kUsd;
constexpr std::int64_t kInsuranceStart = 20'000 * kUsd;
// The keeper asks for this many candidates at a time, and goes round at
// most kMaxRounds times a second.
constexpr std::size_t kBatch = 64;
constexpr int kMaxRounds = 20;

struct SplitMix {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool Percent(int p) { return static_cast<int>(Next() % 100) < p; }
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "keeper: FAILED: %s\n", what.c_str());
  std::exit(1);
}

std::string Usd(std::int64_t atoms) {
  auto s = FormatDecimal(atoms, DecimalScale{6, 1});
  return s.ok() ? *s : "?";
}
std::string Price(Ticks t) {
  auto s = FormatDecimal(t.raw(), DecimalScale{2, 1});
  return s.ok() ? *s : "?";
}
AccountId AccountNo(std::int64_t n) { return AccountId(static_cast<std::uint64_t>(n)); }

MarketParams Params() {
  MarketParams p;
  p.symbol = "ETH-USD";
  p.tick_size = {1, -2};
  p.lot_size = {1, -2};
  p.max_order_size = Lots(1'000'000);
  p.max_open_interest = Lots(10'000'000);
  p.max_price = Ticks(kStartPrice * 10);
  p.price_band = Rate(kRateScale / 10);
  p.max_leverage = 50;
  p.tiers = {{Quote(0), 50, Rate(kRateScale / 200)},                // 0.5%
             {Quote(1'000'000 * kUsd), 20, Rate(kRateScale / 80)}};  // 1.25%
  p.funding.model = funding::FundingModel::kNone;  // funding is not the point here
  // p.liquidation: the defaults (liquidation/liquidation.hpp): a 1.5% fee,
  // 5% of it to the keeper, a 10% buffer, 20% chunks above 100,000 USD with
  // a 30 s cooldown, at most 100,000 USD a command.
  return p;
}

// -----------------------------------------------------------------------------
// The plot: an 8-bit palette canvas, a 5x7 font, a PNG writer.
// -----------------------------------------------------------------------------

enum Color : std::uint8_t { kWhite, kBlack, kGrey, kBlue, kOrange, kGreen, kRed, kShade };
constexpr std::array<std::array<std::uint8_t, 3>, 8> kPalette{{{255, 255, 255},
                                                               {30, 30, 30},
                                                               {205, 205, 205},
                                                               {31, 119, 180},
                                                               {255, 127, 14},
                                                               {44, 160, 44},
                                                               {214, 39, 40},
                                                               {250, 235, 235}}};

// Glyph rows, five bits each (bit 4 leftmost).
struct Glyph {
  char c;
  std::array<std::uint8_t, 7> rows;
};
constexpr Glyph kFont[] = {
    {'0', {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110}},
    {'1', {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'2', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111}},
    {'3', {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110}},
    {'4', {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010}},
    {'5', {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110}},
    {'6', {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110}},
    {'7', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000}},
    {'8', {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110}},
    {'9', {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100}},
    {'A', {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'B', {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110}},
    {'C', {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110}},
    {'D', {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100}},
    {'E', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111}},
    {'F', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'G', {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111}},
    {'H', {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'I', {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'K', {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001}},
    {'L', {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111}},
    {'M', {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001}},
    {'N', {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001}},
    {'O', {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'P', {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'R', {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001}},
    {'S', {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110}},
    {'T', {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
    {'U', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'V', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
    {'W', {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010}},
    {'Y', {0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100}},
    {'.', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100}},
    {',', {0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000}},
    {'-', {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000}},
    {'+', {0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000}},
    {'(', {0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010}},
    {')', {0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000}},
    {':', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000}},
    {'%', {0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011}},
};

class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<std::size_t>(w * h), kWhite) {}

  void Set(int x, int y, Color c) {
    if (x >= 0 && y >= 0 && x < w_ && y < h_) px_[static_cast<std::size_t>(y * w_ + x)] = c;
  }
  void Fill(int x0, int y0, int x1, int y1, Color c) {
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) Set(x, y, c);
    }
  }
  // Bresenham, two pixels thick.
  void Line(int x0, int y0, int x1, int y1, Color c) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      Set(x0, y0, c);
      Set(x0, y0 + 1, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  // Text in the 5x7 font at `scale`; unknown characters are blank.
  void Text(int x, int y, std::string_view s, Color c, int scale = 2) {
    for (const char ch : s) {
      for (const Glyph& g : kFont) {
        if (g.c != ch) continue;
        for (int r = 0; r < 7; ++r) {
          for (int b = 0; b < 5; ++b) {
            if ((g.rows[static_cast<std::size_t>(r)] >> (4 - b) & 1) == 0) continue;
            Fill(x + b * scale, y + r * scale, x + b * scale + scale - 1, y + r * scale + scale - 1,
                 c);
          }
        }
      }
      x += 6 * scale;
    }
  }
  static int TextWidth(std::string_view s, int scale = 2) {
    return static_cast<int>(s.size()) * 6 * scale;
  }

  // WritePng(): color type 3 (palette), bit depth 8, filter 0 on every row,
  // the image data in zlib stored blocks (RFC 1950/1951).
  bool WritePng(const std::string& path) const {
    std::string raw;
    raw.reserve(static_cast<std::size_t>((w_ + 1) * h_));
    for (int y = 0; y < h_; ++y) {
      raw.push_back('\0');
      raw.append(reinterpret_cast<const char*>(&px_[static_cast<std::size_t>(y * w_)]),
                 static_cast<std::size_t>(w_));
    }
    std::string z = "\x78\x01";
    for (std::size_t at = 0; at < raw.size() || at == 0;) {
      const std::size_t n = std::min<std::size_t>(65'535, raw.size() - at);
      const bool last = at + n == raw.size();
      z.push_back(last ? '\x01' : '\x00');
      z.push_back(static_cast<char>(n & 0xff));
      z.push_back(static_cast<char>(n >> 8));
      z.push_back(static_cast<char>(~n & 0xff));
      z.push_back(static_cast<char>((~n >> 8) & 0xff));
      z.append(raw, at, n);
      at += n;
      if (last) break;
    }
    std::uint32_t a = 1, b = 0;
    for (const char ch : raw) {
      a = (a + static_cast<std::uint8_t>(ch)) % 65'521;
      b = (b + a) % 65'521;
    }
    AppendU32(&z, b << 16 | a);

    std::string ihdr;
    AppendU32(&ihdr, static_cast<std::uint32_t>(w_));
    AppendU32(&ihdr, static_cast<std::uint32_t>(h_));
    ihdr += std::string("\x08\x03\x00\x00\x00", 5);
    std::string plte;
    for (const auto& rgb : kPalette) {
      for (const std::uint8_t v : rgb) plte.push_back(static_cast<char>(v));
    }
    std::string png = "\x89PNG\r\n\x1a\n";
    Chunk(&png, "IHDR", ihdr);
    Chunk(&png, "PLTE", plte);
    Chunk(&png, "IDAT", z);
    Chunk(&png, "IEND", "");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return false;
    const bool ok = std::fwrite(png.data(), 1, png.size(), f) == png.size();
    return std::fclose(f) == 0 && ok;
  }

 private:
  static void AppendU32(std::string* s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s->push_back(static_cast<char>(v >> shift & 0xff));
  }
  static std::uint32_t Crc32(std::string_view data) {
    std::uint32_t crc = 0xffffffffu;
    for (const char ch : data) {
      crc ^= static_cast<std::uint8_t>(ch);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
  }
  static void Chunk(std::string* png, std::string_view type, std::string_view data) {
    AppendU32(png, static_cast<std::uint32_t>(data.size()));
    std::string body(type);
    body.append(data);
    png->append(body);
    AppendU32(png, Crc32(body));
  }

  int w_, h_;
  std::vector<std::uint8_t> px_;
};

// One panel: a title, the y range labelled, one or two series against
// seconds, and the drop [shade_from, shade_to) shaded.
struct Series {
  std::vector<double> y;
  Color color;
};
void Panel(Canvas* cv, int top, int height, int width, const std::string& title,
           const std::vector<double>& t, const std::vector<Series>& series, double shade_from,
           double shade_to, bool x_labels) {
  const int left = 130, right = width - 20, plot_top = top + 28, plot_bottom = top + height - 30;
  double lo = series[0].y[0], hi = lo;
  for (const Series& s : series) {
    for (const double v : s.y) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  const double pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const double t0 = t.front(), t1 = std::max(t.back(), t0 + 1);
  auto X = [&](double v) { return left + static_cast<int>((v - t0) / (t1 - t0) * (right - left)); };
  auto Y = [&](double v) {
    return plot_bottom - static_cast<int>((v - lo) / (hi - lo) * (plot_bottom - plot_top));
  };
  cv->Fill(X(shade_from), plot_top, X(shade_to), plot_bottom, kShade);
  for (int k = 0; k <= 4; ++k) {  // horizontal grid and labels
    const double v = lo + (hi - lo) * k / 4;
    const int y = Y(v);
    cv->Fill(left, y, right, y, kGrey);
    const int decimals = hi - lo < 10 ? 2 : hi - lo < 100 ? 1 : 0;
    const double shown = std::abs(v) < 0.005 ? 0.0 : v;  // no "-0"
    const std::string label = fmt::format("{:.{}f}", shown, decimals);
    cv->Text(left - 8 - Canvas::TextWidth(label), y - 7, label, kBlack);
  }
  for (double s = 0; s <= t1 - t0; s += 30) {  // vertical grid every 30 s
    const int x = X(t0 + s);
    cv->Fill(x, plot_top, x, plot_bottom, kGrey);
    if (x_labels) {
      const std::string label = fmt::format("{:.0f}", s);
      cv->Text(x - Canvas::TextWidth(label) / 2, plot_bottom + 8, label, kBlack);
    }
  }
  cv->Fill(left, plot_top, left + 1, plot_bottom, kBlack);
  cv->Fill(left, plot_bottom, right, plot_bottom + 1, kBlack);
  cv->Text(left, top + 4, title, kBlack);
  for (const Series& s : series) {
    for (std::size_t i = 1; i < s.y.size(); ++i) {
      cv->Line(X(t[i - 1]), Y(s.y[i - 1]), X(t[i]), Y(s.y[i]), s.color);
    }
  }
}

// -----------------------------------------------------------------------------
// The run
// -----------------------------------------------------------------------------

struct Trader {
  AccountId id;
  int open_at;        // the second it opens its position
  bool long_side;
  std::int64_t cash;  // atoms deposited
  std::uint32_t leverage;
  bool isolated;
};

class Keeper {
 public:
  Keeper(std::uint64_t seed, int traders, int seconds, int gap, std::string png)
      : rng_{seed}, traders_n_(traders), seconds_(seconds), gap_(gap), png_(std::move(png)),
        eng_(EngineConfig{}) {}

  int Run() {
    SetUp();
    for (int s = 1; s <= seconds_; ++s) Second(s);
    Report();
    return 0;
  }

 private:
  Result Apply(Payload p) {
    absl::StatusOr<Result> r = eng_.Apply(Command{eng_.last_seq() + 1, TimeNs(now_), std::move(p)});
    if (!r.ok()) Fail("command not processed: " + r.status().ToString());
    return *r;
  }
  void Must(Payload p) {
    const Result r = Apply(std::move(p));
    if (!r.ok()) Fail(fmt::format("set-up command refused: {}", std::string(ReasonName(r.reason))));
  }

  void SetUp() {
    Must(CreateMarket{.market = kMarket, .params = std::make_shared<const MarketParams>(Params())});
    Publish();
    Must(TimeTick{.market = kMarket});
    Must(FundInsurance{.amount = Quote(kInsuranceStart)});
    Must(CreateAccount{.account = kKeeper, .owner = OwnerId(1)});
    Must(Deposit{.account = kKeeper, .amount = Quote(kKeeperDeposit)});
    for (int m = 0; m < kMakers; ++m) {
      const AccountId id = AccountNo(2 + m);
      Must(CreateAccount{.account = id, .owner = OwnerId(id.value())});
      Must(Deposit{.account = id, .amount = Quote(50'000'000 * kUsd)});
    }
    // Traders: the first traders_n_ open in the first minute; a quarter as
    // many "bottom fishers" short at the bottom.
    const int fishers = traders_n_ / 4;
    for (int i = 0; i < traders_n_ + fishers; ++i) {
      const bool fisher = i >= traders_n_;
      Trader t;
      t.id = AccountNo(2 + kMakers + i);
      t.isolated = i % 4 == 1;
      if (fisher) {
        t.open_at = 92 + i % 20;
        t.long_side = false;
        t.cash = rng_.Between(500, 5'000) * kUsd;
        t.leverage = static_cast<std::uint32_t>(rng_.Between(15, 40));
      } else {
        t.open_at = 1 + i % 58;
        t.long_side = rng_.Percent(70);
        const bool whale = i % 50 == 7;  // above the 100,000 USD chunk threshold
        t.cash = (whale ? rng_.Between(20'000, 40'000) : rng_.Between(300, 3'000)) * kUsd;
        t.leverage = static_cast<std::uint32_t>(whale ? 10 : rng_.Between(2, 30));
      }
      Must(CreateAccount{.account = t.id, .owner = OwnerId(t.id.value())});
      Must(Deposit{.account = t.id, .amount = Quote(t.cash)});
      if (t.isolated) {
        Must(SetMarginMode{.market = kMarket, .account = t.id, .mode = MarginMode::kIsolated});
      }
      Must(SetLeverage{.market = kMarket, .account = t.id, .leverage = t.leverage});
      traders_.push_back(t);
    }
    for (int m = 0; m < kMakers; ++m) Requote(AccountNo(2 + m));
    Record(0);
  }

  void Publish() {
    Must(OraclePrice{.market = kMarket,
                     .source = SourceId(1),
                     .price = Ticks(truth_),
                     .publish_time = TimeNs(now_)});
  }

  void MoveTruth(int s) {
    truth_ += truth_ * rng_.Between(-5, 5) / 10'000;  // +-0.05%
    if (s >= 60 && s < 90) truth_ -= truth_ * 31 / 10'000;
    if (s == 75) truth_ -= truth_ * gap_ / 100;
    if (s >= 120 && s < 160) truth_ += truth_ * 15 / 10'000;
  }

  // Cancel all, then kLevels post-only levels a side, 2 bp apart, around the
  // index (not the mark: the mark follows the book).
  void Requote(AccountId maker) {
    Apply(CancelAll{.market = kMarket, .account = maker});
    const std::int64_t index = eng_.Stats(kMarket)->index.raw();
    const std::int64_t step = std::max<std::int64_t>(1, index / 5'000);
    for (int level = 1; level <= kLevels; ++level) {
      const Lots size(rng_.Between(1'000, 3'000));
      for (const Side side : {Side::kBuy, Side::kSell}) {
        const std::int64_t offset = step * level;
        Apply(PlaceOrder{.market = kMarket,
                         .account = maker,
                         .order_id = OrderId(++next_order_),
                         .side = side,
                         .tif = TimeInForce::kPostOnlySlide,
                         .price = Ticks(side == Side::kBuy ? index - offset : index + offset),
                         .size = size});
      }
    }
  }

  // A market order for 80% of cash * leverage of notional, protected 0.3%
  // from the mark (the margin check counts the order at that price).
  void Open(const Trader& t) {
    const std::int64_t mark = eng_.Stats(kMarket)->mark.raw();
    const std::int64_t notional = t.cash / 10 * 8 * t.leverage;
    const Lots lots(std::max<std::int64_t>(1, notional / (mark * kAtoms)));
    const Side side = t.long_side ? Side::kBuy : Side::kSell;
    const std::int64_t reach = mark * 3 / 1'000;
    const Result r = Apply(PlaceOrder{.market = kMarket,
                                      .account = t.id,
                                      .order_id = OrderId(++next_order_),
                                      .side = side,
                                      .type = OrderType::kMarket,
                                      .tif = TimeInForce::kIoc,
                                      .price = Ticks(t.long_side ? mark + reach : mark - reach),
                                      .size = lots});
    if (r.ok() && r.filled.raw() > 0) ++opened_;
    else ++open_refused_;
  }

  void Second(int s) {
    now_ += kSecondNs;
    MoveTruth(s);
    Publish();
    Apply(TimeTick{.market = kMarket});
    for (int m = 0; m < kMakers; ++m) Requote(AccountNo(2 + m));
    for (const Trader& t : traders_) {
      if (t.open_at == s) Open(t);
    }
    CrossCheck(s);
    Liquidations(s);
    if (const absl::Status st = eng_.CheckInvariants(); !st.ok()) {
      Fail(fmt::format("t={} s: invariants: {}", s, std::string(st.message())));
    }
    Record(s);
  }

  // Liquidatable() against a scan of every account's summary: a cross
  // account when the summary says so, an isolated bucket when its equity
  // (funding is off, so cash plus value) is below its maintenance; and the
  // position's own health view must say the same.
  void CrossCheck(int s) {
    std::set<std::pair<std::uint64_t, std::uint64_t>> scan, query;
    for (const AccountId id : eng_.Accounts()) {
      const AccountSummary a = *eng_.Summary(id);
      if (a.liquidatable) scan.emplace(id.value(), 0);
      for (const PositionView& p : a.positions) {
        if (p.mode != MarginMode::kIsolated || p.size.raw() == 0) continue;
        const Quote buffer(p.isolated_equity.raw() - p.maintenance_requirement.raw());
        const bool below = buffer.raw() < 0;
        if (below) scan.emplace(id.value(), p.market.value());
        if (p.liquidation_buffer != buffer ||
            below != (p.health >= liquidation::Health::kLiquidatable)) {
          Fail(fmt::format("t={} s: account {}: the isolated position's health view disagrees "
                           "with its equity and maintenance", s, id.value()));
        }
      }
    }
    for (const LiquidationCandidate& c : eng_.Liquidatable(1'000'000)) {
      query.emplace(c.account.value(), c.market.value());
    }
    if (scan != query) {
      Fail(fmt::format("t={} s: Liquidatable() found {} candidates, a scan of the summaries {}", s,
                       query.size(), scan.size()));
    }
  }

  void Liquidations(int s) {
    for (int round = 0; round < kMaxRounds; ++round) {
      const std::vector<LiquidationCandidate> cands = eng_.Liquidatable(kBatch);
      if (cands.empty()) return;
      candidates_seen_ += static_cast<std::int64_t>(cands.size());
      bool progress = false;
      for (const LiquidationCandidate& c : cands) {
        const Result r = Apply(Liquidate{.market = c.market, .account = c.account, .keeper = kKeeper});
        if (!r.ok()) {
          ++refused_[r.reason];
          continue;
        }
        for (const Event& e : r.events) progress |= Tally(s, e);
      }
      if (!progress) {
        ++stalled_rounds_;
        return;
      }
    }
  }

  // Returns whether the event is a liquidation that closed something or a
  // deficit settled.
  bool Tally(int s, const Event& e) {
    if (const auto* l = std::get_if<events::Liquidation>(&e)) {
      if (l->closed.raw() == 0) {  // no bid or ask within the fillable price
        ++empty_;
        return false;
      }
      ++(l->position.raw() == 0 ? full_ : partial_);
      ++(l->isolated ? isolated_ : cross_);
      if (l->health == static_cast<std::uint8_t>(liquidation::Health::kBankrupt)) ++bankrupt_;
      closed_notional_ += l->closed_notional.raw();
      fees_ += l->fee.raw();
      keeper_income_ += l->keeper_fee.raw();
      ++per_second_[s];
      if (log_.size() < 8 || (l->isolated && isolated_log_ < 2) ||
          (l->position.raw() != 0 && partial_log_ < 3)) {
        if (l->isolated) ++isolated_log_;
        if (l->position.raw() != 0) ++partial_log_;
        log_.push_back(fmt::format(
            "  t={:>3} s  #{:<4} {:<5} {:<12} closed {:>6} lots for {:>11} USD, {} left; fee {} "
            "USD (keeper {})",
            s, l->account.value(), l->isolated ? "iso" : "cross",
            liquidation::Health(l->health) == liquidation::Health::kBankrupt ? "(bankrupt)" : "",
            l->closed.raw(), Usd(l->closed_notional.raw()), l->position.raw(), Usd(l->fee.raw()),
            Usd(l->keeper_fee.raw())));
      }
      return true;
    }
    if (const auto* d = std::get_if<events::Deleveraged>(&e)) {
      ++adl_fills_;
      adl_lots_ += d->size.raw() < 0 ? -d->size.raw() : d->size.raw();
      adl_paid_ -= d->equity.raw();
      return true;
    }
    if (const auto* c = std::get_if<events::InsuranceCover>(&e)) {
      covered_ += c->amount.raw();
      ++covers_;
      return true;
    }
    if (const auto* f = std::get_if<events::Shortfall>(&e)) {
      shortfall_ += f->amount.raw();
      // < 0: the fund's share of a fee paid the shortfall down.
      if (f->amount.raw() < 0) paid_down_ -= f->amount.raw();
      return true;
    }
    return false;
  }

  void Record(int s) {
    t_.push_back(s);
    mark_.push_back(static_cast<double>(eng_.Stats(kMarket)->mark.raw()) / 100);
    fund_.push_back(static_cast<double>(eng_.insurance_fund().raw()) / kUsd);
    short_.push_back(static_cast<double>(eng_.shortfall().raw()) / kUsd);
    income_.push_back(static_cast<double>(keeper_income_) / kUsd);
    adl_.push_back(static_cast<double>(adl_lots_));
    min_fund_ = std::min(min_fund_, eng_.insurance_fund().raw());
  }

  void Report() {
    std::printf("perpcore keeper: ETH-USD, %d traders and %d bottom fishers, %d s simulated\n",
                traders_n_, traders_n_ / 4, seconds_);
    std::printf("price: start %s, bottom %s, end %s USD (mark)\n", Price(Ticks(kStartPrice)).c_str(),
                Price(Ticks(static_cast<std::int64_t>(
                          *std::min_element(mark_.begin(), mark_.end()) * 100 + 0.5)))
                    .c_str(),
                Price(eng_.Stats(kMarket)->mark).c_str());
    std::printf("positions opened %lld (%lld orders refused or unfilled)\n\n",
                static_cast<long long>(opened_), static_cast<long long>(open_refused_));

    std::printf("liquidations: %lld (%lld partial, %lld full; %lld cross, %lld isolated; %lld of "
                "bankrupt targets)\n",
                static_cast<long long>(partial_ + full_), static_cast<long long>(partial_),
                static_cast<long long>(full_), static_cast<long long>(cross_),
                static_cast<long long>(isolated_), static_cast<long long>(bankrupt_));
    std::printf("  closed notional %s USD; liquidation fees %s USD: %s USD to the keeper, %s USD "
                "to the insurance fund\n",
                Usd(closed_notional_).c_str(), Usd(fees_).c_str(), Usd(keeper_income_).c_str(),
                Usd(fees_ - keeper_income_).c_str());
    std::printf("  candidates returned by Liquidatable(%zu): %lld; Liquidate commands that found "
                "nothing to trade with within the fillable price: %lld; rounds that ended a "
                "second for it: %lld\n",
                kBatch, static_cast<long long>(candidates_seen_), static_cast<long long>(empty_),
                static_cast<long long>(stalled_rounds_));
    for (const auto& [reason, n] : refused_) {
      std::printf("  Liquidate refused %lld times: %s\n", static_cast<long long>(n),
                  std::string(ReasonName(reason)).c_str());
    }
    std::printf("first liquidations (and the first partial and isolated ones):\n");
    for (const std::string& line : log_) std::printf("%s\n", line.c_str());

    std::printf("\ninsurance fund: start %s USD, lowest %s, end %s; covered %lld deficits for %s "
                "USD; shortfall %s USD\n",
                Usd(kInsuranceStart).c_str(), Usd(min_fund_).c_str(),
                Usd(eng_.insurance_fund().raw()).c_str(), static_cast<long long>(covers_),
                Usd(covered_).c_str(), Usd(eng_.shortfall().raw()).c_str());
    std::printf("auto-deleveraging: %lld fills against ranked counterparties, %lld lots, %s USD "
                "of deficits paid by them\n",
                static_cast<long long>(adl_fills_), static_cast<long long>(adl_lots_),
                Usd(adl_paid_).c_str());
    std::printf("%6s %12s %16s %16s %14s %14s\n", "t (s)", "mark", "insurance fund",
                "keeper income", "shortfall", "liquidations");
    std::int64_t so_far = 0;
    for (std::size_t i = 0; i < t_.size(); ++i) {
      const int s = static_cast<int>(t_[i]);
      if (auto it = per_second_.find(s); it != per_second_.end()) so_far += it->second;
      if (s % 15 != 0 && s != 75) continue;
      std::printf("%6d %12.2f %16.2f %16.2f %14.2f %14lld\n", s, mark_[i], fund_[i], income_[i],
                  short_[i], static_cast<long long>(so_far));
    }

    // The books balance.
    const AccountSummary keeper = *eng_.Summary(kKeeper);
    if (keeper.cash.raw() != kKeeperDeposit + keeper_income_) {
      Fail(fmt::format("the keeper holds {} atoms, its deposit plus its fees are {}",
                       keeper.cash.raw(), kKeeperDeposit + keeper_income_));
    }
    if (eng_.insurance_fund().raw() !=
        kInsuranceStart + fees_ - keeper_income_ - covered_ - paid_down_) {
      Fail(fmt::format("the insurance fund holds {} atoms, start + fees - keeper - covers - "
                       "shortfall paid down = {}",
                       eng_.insurance_fund().raw(),
                       kInsuranceStart + fees_ - keeper_income_ - covered_ - paid_down_));
    }
    if (eng_.shortfall().raw() != shortfall_) Fail("shortfall() is not the sum of the Shortfall events");
    if (!eng_.Liquidatable(1).empty()) Fail("an account is still liquidatable at the end");
    if (partial_ == 0 || full_ == 0) Fail("the run should liquidate both partially and fully");
    if (gap_ >= 30 && adl_fills_ == 0) Fail("a 30% gap should deleverage");
    if (eng_.shortfall().raw() != 0) Fail("with deleveraging on, nothing should reach the shortfall");

    if (!png_.empty()) {
      Canvas cv(1000, 1040);
      const double shade_from = 60, shade_to = 90;
      Panel(&cv, 0, 260, 1000, "MARK PRICE (USD)", t_, {{mark_, kBlue}}, shade_from, shade_to,
            false);
      std::vector<Series> fund{{fund_, kGreen}};
      std::string title = "INSURANCE FUND (USD)";
      if (eng_.shortfall().raw() > 0 || covered_ > 0) {
        fund.push_back({short_, kRed});
        title = "INSURANCE FUND (GREEN) AND SHORTFALL (RED), USD";
      }
      Panel(&cv, 260, 260, 1000, title, t_, fund, shade_from, shade_to, false);
      Panel(&cv, 520, 260, 1000, "KEEPER INCOME (USD)", t_, {{income_, kOrange}}, shade_from,
            shade_to, false);
      Panel(&cv, 780, 260, 1000, "DELEVERAGED LOTS (CUMULATIVE), TIME (S)", t_, {{adl_, kRed}},
            shade_from, shade_to, true);
      if (!cv.WritePng(png_)) Fail("cannot write " + png_);
      std::printf("\nplot: %s\n", png_.c_str());
    }
    std::printf("keeper: ok (invariants, Liquidatable() = a scan, every second; the fund and the "
                "keeper's cash balance)\n");
    const auto digest = eng_.Digest();
    std::string hex;
    for (const std::uint8_t b : digest) hex += fmt::format("{:02x}", b);
    std::printf("state digest %s\n", hex.c_str());
  }

  SplitMix rng_;
  int traders_n_;
  int seconds_;
  int gap_;  // percent, the drop at t = 75 s
  std::string png_;
  Engine eng_;
  std::int64_t now_ = kStart;
  std::int64_t truth_ = kStartPrice;
  std::uint64_t next_order_ = 0;
  std::vector<Trader> traders_;
  std::int64_t opened_ = 0, open_refused_ = 0;
  std::int64_t partial_ = 0, full_ = 0, empty_ = 0, cross_ = 0, isolated_ = 0, bankrupt_ = 0;
  std::int64_t closed_notional_ = 0, fees_ = 0, keeper_income_ = 0;
  std::int64_t covered_ = 0, covers_ = 0, shortfall_ = 0, paid_down_ = 0;
  // Auto-deleveraging: fills against ranked counterparties, lots, and what
  // the counterparties paid in (the bankrupt positions' deficits).
  std::int64_t adl_fills_ = 0, adl_lots_ = 0, adl_paid_ = 0;
  std::int64_t candidates_seen_ = 0, stalled_rounds_ = 0;
  std::int64_t min_fund_ = kInsuranceStart;
  int isolated_log_ = 0, partial_log_ = 0;
  std::map<Reason, std::int64_t> refused_;
  std::map<int, std::int64_t> per_second_;
  std::vector<std::string> log_;
  std::vector<double> t_, mark_, fund_, short_, income_, adl_;
};

}  // namespace

int main(int argc, char** argv) {
  int traders = 400;
  std::uint64_t seed = 13;
  int seconds = 240;
  int gap = 3;
  std::string png = "keeper.png";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--traders") traders = std::clamp(std::atoi(value), 8, 100'000);
    else if (flag == "--seed") seed = std::strtoull(value, nullptr, 10);
    else if (flag == "--seconds") seconds = std::clamp(std::atoi(value), 170, 3'600);
    else if (flag == "--gap") gap = std::clamp(std::atoi(value), 0, 50);
    else if (flag == "--png") png = value;
    else {
      std::fprintf(stderr,
                   "usage: keeper [--traders N] [--seed S] [--seconds T] [--gap PCT] [--png PATH]\n");
      return 2;
    }
  }
  return Keeper(seed, traders, seconds, gap, png).Run();
}

// -----------------------------------------------------------------------------
// File: benchmarks/bench_common.hpp
// -----------------------------------------------------------------------------
//
// What every benchmark executable shares: the per-operation timer (the TSC on
// x86-64, calibrated against steady_clock), nearest-rank latency percentiles,
// process memory from /proc/self/status, the load average, a mixing hash for
// validation digests, number formatting, and fmt printing of ids (as their
// integers; the library does not depend on fmt). Not part of the library:
// benchmarks may use doubles and wall clocks.
//
// Timer: StartStamp() is `lfence; rdtsc; lfence` and StopStamp() is
// `rdtscp; lfence`, so the timed call can neither start before the first
// stamp nor be still running at the second. CalibrateStamp() converts stamp
// units to ns. Elsewhere than x86-64 both read steady_clock.
//
// Thread safety: none needed; the benchmarks are single-threaded.
#ifndef PERPCORE_BENCHMARKS_BENCH_COMMON_HPP_
#define PERPCORE_BENCHMARKS_BENCH_COMMON_HPP_

#include <malloc.h>
#include <sys/resource.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <cstring>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "perpcore/core/ids.hpp"

namespace perpcore::bench {

using Clock = std::chrono::steady_clock;

#define PERPCORE_BENCH_INLINE inline __attribute__((always_inline))

// -----------------------------------------------------------------------------
// Clocks
// -----------------------------------------------------------------------------

#if defined(__x86_64__)
inline constexpr const char* kStampSource = "TSC: lfence;rdtsc;lfence .. rdtscp;lfence";
PERPCORE_BENCH_INLINE std::uint64_t StartStamp() {
  _mm_lfence();
  const std::uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}
PERPCORE_BENCH_INLINE std::uint64_t StopStamp() {
  unsigned aux;
  const std::uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}
#else
inline constexpr const char* kStampSource = "steady_clock";
PERPCORE_BENCH_INLINE std::uint64_t StartStamp() {
  return static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
}
PERPCORE_BENCH_INLINE std::uint64_t StopStamp() { return StartStamp(); }
#endif

// ParseU64Text(): the whole of `text` as a non-negative decimal integer
// that fits 64 bits, or nullopt (each benchmark's ParseU64 reports it with
// its own usage line).
inline std::optional<std::uint64_t> ParseU64Text(const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return std::nullopt;
  return v;
}

inline double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CalibrateStamp(): ns per stamp unit, measured against steady_clock.
inline double CalibrateStamp(double seconds) {
  const auto t0 = Clock::now();
  const std::uint64_t s0 = StartStamp();
  while (SecondsSince(t0) < seconds) {
  }
  const std::uint64_t s1 = StopStamp();
  const auto t1 = Clock::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  return ns / static_cast<double>(s1 - s0);
}

// ClampStamp(): a stamp difference as the uint32 the latency arrays hold.
PERPCORE_BENCH_INLINE std::uint32_t ClampStamp(std::uint64_t d) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(d, UINT32_MAX));
}

// -----------------------------------------------------------------------------
// Percentiles
// -----------------------------------------------------------------------------

struct Percentiles {
  std::uint64_t count = 0;
  double mean_ns = 0, p50_ns = 0, p99_ns = 0, p999_ns = 0, p9999_ns = 0, max_ns = 0;
};

// Nearest-rank percentiles of `stamps` (sorted in place), in ns.
inline Percentiles ComputePercentiles(std::vector<std::uint32_t>* stamps, double ns_per_stamp) {
  Percentiles p;
  std::vector<std::uint32_t>& v = *stamps;
  p.count = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    return static_cast<double>(v[rank - 1]) * ns_per_stamp;
  };
  double sum = 0;
  for (const std::uint32_t x : v) sum += static_cast<double>(x);
  p.mean_ns = sum / static_cast<double>(v.size()) * ns_per_stamp;
  p.p50_ns = at(0.50);
  p.p99_ns = at(0.99);
  p.p999_ns = at(0.999);
  p.p9999_ns = at(0.9999);
  p.max_ns = static_cast<double>(v.back()) * ns_per_stamp;
  return p;
}

// TimerOverhead(): percentiles of an empty start/stop pair, `n` samples.
inline Percentiles TimerOverhead(std::size_t n, double ns_per_stamp) {
  std::vector<std::uint32_t> v(n);
  for (std::uint32_t& x : v) {
    const std::uint64_t s0 = StartStamp();
    const std::uint64_t s1 = StopStamp();
    x = ClampStamp(s1 - s0);
  }
  return ComputePercentiles(&v, ns_per_stamp);
}

// -----------------------------------------------------------------------------
// Process memory and load
// -----------------------------------------------------------------------------

// ProcStatusBytes("VmHWM:"): a /proc/self/status field in bytes, 0 if absent.
inline std::uint64_t ProcStatusBytes(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  std::uint64_t kb = 0;
  const std::size_t len = std::strlen(field);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, field, len) == 0) {
      kb = std::strtoull(line + len, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}

inline std::uint64_t PeakRssBytes() {
  const std::uint64_t hwm = ProcStatusBytes("VmHWM:");
  if (hwm != 0) return hwm;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

// Faults: page faults and context switches of the process so far, to tell
// what a latency outlier was (a fault, a preemption) from what it was not.
struct Faults {
  std::int64_t minor = 0, major = 0, involuntary_switches = 0, voluntary_switches = 0;
  static Faults Now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return {ru.ru_minflt, ru.ru_majflt, ru.ru_nivcsw, ru.ru_nvcsw};
  }
  Faults operator-(const Faults& o) const {
    return {minor - o.minor, major - o.major, involuntary_switches - o.involuntary_switches,
            voluntary_switches - o.voluntary_switches};
  }
};

// LoadAverage(): the first three fields of /proc/loadavg, or "unknown".
inline std::string LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "unknown";
  double a = 0, b = 0, c = 0;
  const int got = std::fscanf(f, "%lf %lf %lf", &a, &b, &c);
  std::fclose(f);
  return got == 3 ? fmt::format("{:.2f} {:.2f} {:.2f}", a, b, c) : "unknown";
}

// LoadAverage1(): the one-minute load average, or -1.
inline double LoadAverage1() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return -1;
  double a = -1;
  if (std::fscanf(f, "%lf", &a) != 1) a = -1;
  std::fclose(f);
  return a;
}

// ResetPeakRss(): returns free heap to the OS and resets VmHWM to VmRSS.
inline bool ResetPeakRss() {
  malloc_trim(0);
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// -----------------------------------------------------------------------------
// Validation hash and formatting
// -----------------------------------------------------------------------------

// Mixing hash for validation digests (splitmix64's finaliser).
struct Hasher {
  std::uint64_t h = 0x243F6A8885A308D3ull;
  void Add(std::uint64_t v) {
    std::uint64_t z = h ^ (v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    h = z ^ (z >> 31);
  }
  void Add(std::int64_t v) { Add(static_cast<std::uint64_t>(v)); }
  template <class Tag, class Rep>
  void Add(Id<Tag, Rep> id) {
    Add(static_cast<std::uint64_t>(id.value()));
  }
};

inline std::string Fmt1(double x) { return fmt::format("{:.1f}", x); }

// Millions a second with enough digits for slow implementations.
inline std::string Mps(double per_sec) {
  const double m = per_sec / 1e6;
  return m >= 0.1 ? fmt::format("{:.2f}", m) : fmt::format("{:.4f}", m);
}

// -----------------------------------------------------------------------------
// Rows: one line of a latency table (name, ops, ops/s, p50, p99, p99.9, max,
// mean in ns, then named extras) and the JSON array of them, for the
// benchmarks that print no table of their own (funding_bench,
// liquidation_bench).
// -----------------------------------------------------------------------------

struct Row {
  std::string name;
  std::uint64_t ops = 0;
  double ops_per_sec = 0;  // ops / the sum of their latencies
  Percentiles all;
  std::uint64_t peak_rss_bytes = 0;
  std::vector<std::pair<std::string, double>> extra;  // printed and in the JSON
};

inline Row MakeRow(std::string name, std::vector<std::uint32_t> stamps, double ns_per_stamp) {
  Row r;
  r.name = std::move(name);
  r.all = ComputePercentiles(&stamps, ns_per_stamp);
  r.ops = r.all.count;
  r.ops_per_sec = r.all.mean_ns > 0 ? 1e9 / r.all.mean_ns : 0;
  r.peak_rss_bytes = PeakRssBytes();
  return r;
}

inline void PrintRow(const Row& r) {
  fmt::print("{:<34} {:>8} {:>12.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>10.0f} {:>10.1f}", r.name, r.ops,
             r.ops_per_sec, r.all.p50_ns, r.all.p99_ns, r.all.p999_ns, r.all.max_ns, r.all.mean_ns);
  for (const auto& [k, v] : r.extra) fmt::print("  {} {:.1f}", k, v);
  fmt::print("\n");
  std::fflush(stdout);
}

inline bool WriteJson(const std::string& path, const std::vector<Row>& rows, bool smoke,
               std::uint64_t seed) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    out += fmt::format(
        "{}\n  {{\"name\": \"{}\", \"smoke\": {}, \"seed\": {}, \"ops\": {}, \"ops_per_sec\": "
        "{:.1f}, \"mean_ns\": {:.1f}, \"p50_ns\": {:.1f}, \"p99_ns\": {:.1f}, \"p999_ns\": "
        "{:.1f}, \"max_ns\": {:.1f}, \"peak_rss_bytes\": {}",
        i ? "," : "", r.name, smoke, seed, r.ops, r.ops_per_sec, r.all.mean_ns, r.all.p50_ns,
        r.all.p99_ns, r.all.p999_ns, r.all.max_ns, r.peak_rss_bytes);
    for (const auto& [k, v] : r.extra) out += fmt::format(", \"{}\": {:.3f}", k, v);
    out += "}";
  }
  out += "\n]\n";
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace perpcore::bench

// An id prints as its integer, with the integer's format spec.
template <class Tag, class Rep>
struct fmt::formatter<perpcore::Id<Tag, Rep>> : fmt::formatter<Rep> {
  template <class FormatContext>
  auto format(perpcore::Id<Tag, Rep> id, FormatContext& ctx) const {
    return fmt::formatter<Rep>::format(id.value(), ctx);
  }
};

#endif  // PERPCORE_BENCHMARKS_BENCH_COMMON_HPP_

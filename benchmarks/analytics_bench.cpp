// -----------------------------------------------------------------------------
// File: benchmarks/analytics_bench.cpp
// -----------------------------------------------------------------------------
//
// Latency of the optimal-execution analytics, one call at a time, on the
// parameters of Almgren & Chriss (2000): X = 1e6, sigma = 0.95, eta = 2.5e-6,
// gamma = 2.5e-7, epsilon = 0.0625, lambda = 1e-6, T = N intervals of one
// time unit each. Workloads:
//   ac/closed_form_n1000   OptimalSchedule with N = 1,000 (target <= 20 us)
//   ac/frontier_100        EfficientFrontier, 100 lambdas log-spaced from
//                          1e-9 to 1e-3, N = 100 (target <= 1 ms)
//   ac/evaluate_n1000      EvaluateSchedule of the N = 1,000 optimum
//   ac/plan_n100           MakePlan of the N = 100 optimum against a
//                          20-level book
//   ac/dp_100x1000         SolveExecutionDp, N = 100 steps, 1,000 inventory
//                          points, one regime (target <= 100 ms)
//   ac/dp_100x1000_2reg    the same with two volatility regimes
//   ext/tridiag_n1000      ExtOptimalSchedule, N = 1,000, a perpetual with
//                          time-varying sigma, no funding, constant
//                          costs (Thomas algorithm, nothing binds)
//   ext/active_set_n1000   a varying drift, a cycling spread, maker slices
//                          alternating with taker slices and funding large
//                          enough that the unconstrained optimum overshoots
//                          (exact one-sided QP; about 900 intervals empty)
//   ext/power_d0.5_n100    power-law impact c|v|^delta, delta = 0.5, N = 100,
//   ext/power_d1.5_n100    and delta = 1.5, with those costs and funding
//                          (damped Newton + active set; target <= 2 ms)
// The ext rows print the method, the constraints held and the iterations.
// Every call's result is folded into a checksum printed at the end, so the
// compiler cannot drop the work.
//
// Usage: analytics_bench [--smoke] [--json PATH] [--reps N]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.hpp"
#include "fmt/format.h"
#include "perpcore/analytics/execution.hpp"
#include "perpcore/analytics/execution_dp.hpp"
#include "perpcore/analytics/execution_ext.hpp"
#include "perpcore/analytics/execution_plan.hpp"

namespace perpcore::bench {
namespace {

using analytics::AcParams;

AcParams Paper(int intervals) {
  return AcParams{.shares = 1e6, .horizon = static_cast<double>(intervals),
                  .intervals = intervals, .sigma = 0.95, .eta = 2.5e-6, .gamma = 2.5e-7,
                  .epsilon = 0.0625, .lambda = 1e-6};
}

// A perpetual over 24 hours: varying volatility, funding every eighth of the
// horizon. With `varying_costs`, a varying drift, a spread cycling through
// 0.5, 0.75 and 1.0, maker slices (a rebate) alternating with taker slices
// and lambda = 1e-4 (the sale is done within hours): the optimum trades only
// in the cheap slices and the one-sided constraint binds in most intervals.
// Without: no drift and no latency penalty (it scales with the varying
// sigma), a spread of 0.5, every slice a taker and lambda = 1e-6, so the
// sale spans the day and nothing binds.
analytics::ExtParams Perp(int n, double funding, bool varying_costs) {
  analytics::ExtParams p{.shares = 500, .horizon = 24, .intervals = n, .eta = 0.05,
                         .gamma = 0.01, .lambda = varying_costs ? 1e-4 : 1e-6,
                         .reference_price = 30000, .taker_fee_rate = 5e-4,
                         .maker_fee_rate = -1e-4, .latency = varying_costs ? 1e-4 : 0.0};
  for (int k = 1; k <= n; ++k) {
    p.sigma.push_back(60 + 30 * std::sin(0.3 * k));
    p.drift.push_back(varying_costs ? 1.5 * std::cos(0.2 * k) : 0.0);
    p.spread.push_back(varying_costs ? 0.5 + 0.25 * (k % 3) : 0.5);
    p.funding.push_back(k % std::max(1, n / 8) == 0 ? funding : 0.0);
    p.order_types.push_back(varying_costs && k % 2 == 0 ? analytics::ExtOrderType::kMaker
                                                        : analytics::ExtOrderType::kTaker);
  }
  return p;
}

struct Row {
  std::string name;
  Percentiles p;
  double target_ns = 0;  // 0: none
};

// Times `reps` calls of fn one by one (steady_clock: calls take microseconds).
Row Measure(std::string name, int reps, double target_ns, const std::function<double()>& fn,
            double* checksum) {
  std::vector<std::uint32_t> ns;
  ns.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    *checksum += fn();
    const auto t1 = std::chrono::steady_clock::now();
    ns.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  return Row{std::move(name), ComputePercentiles(&ns, 1.0), target_ns};
}

double Must(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "analytics_bench: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
  return 0;
}

int Main(int argc, char** argv) {
  bool smoke = false;
  std::string json;
  int reps = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--smoke") smoke = true;
    else if (a == "--json" && i + 1 < argc) json = argv[++i];
    else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: analytics_bench [--smoke] [--json PATH] [--reps N]\n");
      return 2;
    }
  }
  if (smoke) reps = 20;
  double checksum = 0;
  std::vector<Row> rows;

  const AcParams p1000 = Paper(1000);
  rows.push_back(Measure("ac/closed_form_n1000", reps, 20'000, [&] {
    auto s = analytics::OptimalSchedule(p1000);
    Must(s.status());
    return s->cost.objective;
  }, &checksum));

  std::vector<double> lambdas(100);
  for (std::size_t i = 0; i < lambdas.size(); ++i) {
    lambdas[i] = std::pow(10.0, -9.0 + 6.0 * static_cast<double>(i) / 99.0);
  }
  const AcParams p100 = Paper(100);
  rows.push_back(Measure("ac/frontier_100", std::max(1, reps / 4), 1'000'000, [&] {
    auto f = analytics::EfficientFrontier(p100, lambdas);
    Must(f.status());
    return f->back().cost.variance;
  }, &checksum));

  const auto optimum = analytics::OptimalSchedule(p1000);
  Must(optimum.status());
  rows.push_back(Measure("ac/evaluate_n1000", reps, 0, [&] {
    auto c = analytics::EvaluateSchedule(p1000, optimum->holdings);
    Must(c.status());
    return c->expected_cost;
  }, &checksum));

  const auto opt100 = analytics::OptimalSchedule(p100);
  Must(opt100.status());
  std::vector<book::LevelView> bids;
  for (int i = 0; i < 20; ++i) bids.push_back({Ticks(4999 - i), Lots(100'000), 1});
  const analytics::PlanInput in{.model = p100, .holdings = opt100->holdings, .price = 50,
                                .fee_rate = 5e-4, .tick_size = 0.01, .lot_size = 1,
                                .opposite = bids};
  rows.push_back(Measure("ac/plan_n100", reps, 0, [&] {
    auto plan = analytics::MakePlan(in);
    Must(plan.status());
    return plan->expected.total;
  }, &checksum));

  analytics::DpParams dp{.ac = p100, .grid_points = 1000};
  const int dp_reps = smoke ? 2 : 20;
  rows.push_back(Measure("ac/dp_100x1000", dp_reps, 100'000'000, [&] {
    auto r = analytics::SolveExecutionDp(dp);
    Must(r.status());
    return r->objective;
  }, &checksum));
  dp.regimes = {{.sigma = 0.5, .eta = 2.5e-6, .epsilon = 0.0625},
                {.sigma = 2.0, .eta = 2.5e-6, .epsilon = 0.0625}};
  dp.transition = {0.95, 0.05, 0.1, 0.9};
  rows.push_back(Measure("ac/dp_100x1000_2reg", dp_reps, 0, [&] {
    auto r = analytics::SolveExecutionDp(dp);
    Must(r.status());
    return r->objective;
  }, &checksum));

  std::vector<std::string> notes;
  const auto ext_row = [&](std::string name, const analytics::ExtParams& p, int n_reps,
                           double target_ns) {
    const auto first = analytics::ExtOptimalSchedule(p);
    Must(first.status());
    if (!first->converged) {
      std::fprintf(stderr, "analytics_bench: %s did not converge\n", name.c_str());
      std::exit(1);
    }
    static constexpr const char* kMethods[] = {"closed form", "tridiagonal", "active set",
                                               "newton"};
    notes.push_back(fmt::format("{}: {}, {} of {} intervals held at 0, {} iterations, KKT {:.1e}",
                                name, kMethods[static_cast<int>(first->method)],
                                first->active_constraints, p.intervals, first->iterations,
                                first->kkt_residual));
    rows.push_back(Measure(std::move(name), n_reps, target_ns, [&] {
      auto s = analytics::ExtOptimalSchedule(p);
      Must(s.status());
      return s->cost.objective;
    }, &checksum));
  };
  ext_row("ext/tridiag_n1000", Perp(1000, 0.0, false), reps, 0);
  ext_row("ext/active_set_n1000", Perp(1000, 400.0, true), std::max(1, reps / 10), 0);
  for (double delta : {0.5, 1.5}) {
    analytics::ExtParams p = Perp(100, 400.0, true);
    p.delta = delta;
    p.gamma = 0;
    ext_row(fmt::format("ext/power_d{}_n100", delta), p, std::max(1, reps / 10), 2'000'000);
  }

  std::printf("perpcore analytics_bench: %d reps, load average %s\n", reps, LoadAverage().c_str());
  std::printf("%-22s %8s %10s %10s %10s %10s   target\n", "name", "calls", "p50 us", "p99 us",
              "max us", "mean us");
  std::string out = "[";
  for (const Row& r : rows) {
    std::string verdict = "-";
    if (r.target_ns > 0) {
      verdict = fmt::format("{} <= {} us", r.p.p50_ns <= r.target_ns ? "MET" : "NOT MET",
                            r.target_ns / 1000);
    }
    std::printf("%-22s %8llu %10.2f %10.2f %10.2f %10.2f   %s\n", r.name.c_str(),
                static_cast<unsigned long long>(r.p.count), r.p.p50_ns / 1000, r.p.p99_ns / 1000,
                r.p.max_ns / 1000, r.p.mean_ns / 1000, verdict.c_str());
    out += fmt::format(
        "{}{{\"name\":\"{}\",\"ops_per_sec\":{:.1f},\"p50_ns\":{:.0f},\"p99_ns\":{:.0f},"
        "\"p999_ns\":{:.0f},\"max_ns\":{:.0f},\"peak_rss_bytes\":{},\"target_ns\":{:.0f}}}",
        out.size() > 1 ? "," : "", r.name, r.p.mean_ns > 0 ? 1e9 / r.p.mean_ns : 0.0, r.p.p50_ns,
        r.p.p99_ns, r.p.p999_ns, r.p.max_ns, PeakRssBytes(), r.target_ns);
  }
  out += "]\n";
  for (const std::string& note : notes) std::printf("%s\n", note.c_str());
  std::printf("checksum %.6e\n", checksum);
  if (!json.empty()) {
    std::FILE* f = std::fopen(json.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "analytics_bench: cannot write %s\n", json.c_str());
      return 1;
    }
    std::fputs(out.c_str(), f);
    std::fclose(f);
  }
  return 0;
}

}  // namespace
}  // namespace perpcore::bench

int main(int argc, char** argv) { return perpcore::bench::Main(argc, argv); }

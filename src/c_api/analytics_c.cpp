// -----------------------------------------------------------------------------
// File: src/c_api/analytics_c.cpp
// -----------------------------------------------------------------------------
//
// The analytics part of the C API (perpcore/perpcore.h, "Analytics: optimal
// execution", in the header's experimental part) over
// perpcore/analytics/execution.hpp and execution_ext.hpp.
//
// These functions take no engine, so they report errors through the
// caller's message buffer and keep no state: thread-safe. Every entry point
// checks its pointers, struct sizes, enumerators and capacities first, runs
// the C++ call inside Run() (CatchAll() of c_api_support.hpp, so no exception
// crosses the C boundary), and copies results out only when everything
// succeeded: on failure nothing but the message (and the count needed for
// PERPCORE_E_BUFFER_TOO_SMALL) is written.

// Their declarations are in the header's experimental part: opt in before
// any include.
#define PERPCORE_EXPERIMENTAL

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/analytics/execution.hpp"
#include "perpcore/analytics/execution_ext.hpp"
#include "perpcore/perpcore.h"
#include "c_api_support.hpp"

namespace {

namespace an = ::perpcore::analytics;

// Pinned values: the C enumerators equal the C++ ones.
template <class E>
constexpr int Val(E e) {
  return static_cast<int>(e);
}
static_assert(PERPCORE_EXT_ORDER_TAKER == Val(an::ExtOrderType::kTaker));
static_assert(PERPCORE_EXT_ORDER_MAKER == Val(an::ExtOrderType::kMaker));
static_assert(PERPCORE_EXT_SOLVER_AUTO == Val(an::ExtSolverOptions::Solver::kAuto));
static_assert(PERPCORE_EXT_SOLVER_NEWTON == Val(an::ExtSolverOptions::Solver::kNewton));
static_assert(PERPCORE_EXT_METHOD_CLOSED_FORM == Val(an::ExtMethod::kClosedForm));
static_assert(PERPCORE_EXT_METHOD_TRIDIAGONAL == Val(an::ExtMethod::kTridiagonal));
static_assert(PERPCORE_EXT_METHOD_ACTIVE_SET == Val(an::ExtMethod::kActiveSet));
static_assert(PERPCORE_EXT_METHOD_NEWTON == Val(an::ExtMethod::kNewton));

// The caller's message buffer (NULL when message_len is 0). Writes are
// truncated to len - 1 characters and always NUL-terminated.
class Message {
 public:
  Message(char* buf, std::size_t len) : buf_(buf), len_(len) {}

  // NULL with a nonzero length: nothing can be written.
  bool usable() const { return buf_ != nullptr || len_ == 0; }

  void Set(std::string_view text) const { perpcore_c::CopyMessage(buf_, len_, text); }

  // "func: what" as the message; returns `status`. Never throws or allocates.
  perpcore_status Fail(perpcore_status status, const char* func, const char* what) const {
    if (buf_ != nullptr && len_ > 0) std::snprintf(buf_, len_, "%s: %s", func, what);
    return status;
  }

 private:
  char* buf_;
  std::size_t len_;
};

// A C++ status as a C one: kInvalidArgument is a parameter outside its
// domain, kOutOfRange a value a double cannot hold. The message is the C++
// one, which names the parameter.
perpcore_status FromStatus(const absl::Status& s, const Message& msg) {
  msg.Set(std::string_view(s.message().data(), s.message().size()));
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return PERPCORE_OK;
    case absl::StatusCode::kInvalidArgument:
      return PERPCORE_E_INVALID_PARAM;
    case absl::StatusCode::kOutOfRange:
      return PERPCORE_E_NOT_REPRESENTABLE;
    default:
      return PERPCORE_E_INTERNAL;
  }
}

// Runs `body` inside CatchAll(), so that no exception escapes (out of memory,
// mostly). The message is "" on entry; message NULL with message_len > 0 is
// misuse.
template <class Body>
perpcore_status Run(const char* func, const Message& msg, Body&& body) noexcept {
  if (!msg.usable()) return PERPCORE_E_ILLEGAL_ARG;
  msg.Set("");
  const char* what = nullptr;
  const perpcore_status s = perpcore_c::CatchAll(std::forward<Body>(body), &what);
  return what == nullptr ? s : msg.Fail(s, func, what);
}

// The output arrays of a schedule (holdings N + 1, trades N), checked
// against params' intervals before any work.
struct ScheduleOut {
  double* holdings;
  std::size_t holdings_len;
  double* trades;
  std::size_t trades_len;
  std::size_t* written;

  // PERPCORE_OK, or the misuse status (with the message set).
  perpcore_status Check(int intervals, const char* func, const Message& msg) const {
    if (holdings == nullptr && holdings_len > 0) {
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "holdings is NULL with holdings_len > 0");
    }
    if (trades == nullptr && trades_len > 0) {
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "trades is NULL with trades_len > 0");
    }
    if (intervals < 1) return PERPCORE_OK;  // the C++ validation names it
    const std::size_t need = static_cast<std::size_t>(intervals) + 1;
    if (holdings_len >= need && trades_len >= need - 1) return PERPCORE_OK;
    if (written != nullptr) *written = need;
    char what[160];
    std::snprintf(what, sizeof what,
                  "holdings needs intervals + 1 = %zu entries and trades %zu (capacities %zu "
                  "and %zu)",
                  need, need - 1, holdings_len, trades_len);
    return msg.Fail(PERPCORE_E_BUFFER_TOO_SMALL, func, what);
  }

  void Copy(const std::vector<double>& h, const std::vector<double>& t) const {
    std::copy(h.begin(), h.end(), holdings);
    std::copy(t.begin(), t.end(), trades);
    if (written != nullptr) *written = h.size();
  }
};

an::AcParams ToAc(const perpcore_ac_params& p) {
  an::AcParams a;
  a.shares = p.shares;
  a.horizon = p.horizon;
  a.intervals = p.intervals;
  a.sigma = p.sigma;
  a.eta = p.eta;
  a.gamma = p.gamma;
  a.epsilon = p.epsilon;
  a.lambda = p.lambda;
  a.alpha = p.alpha;
  return a;
}

perpcore_ac_cost FromAcCost(const an::AcCost& c) {
  perpcore_ac_cost out;
  out.expected_cost = c.expected_cost;
  out.variance = c.variance;
  out.objective = c.objective;
  return out;
}

perpcore_ext_cost FromExtCost(const an::ExtCost& c) {
  perpcore_ext_cost out;
  out.permanent_impact = c.permanent_impact;
  out.temporary_impact = c.temporary_impact;
  out.spread = c.spread;
  out.fees = c.fees;
  out.latency = c.latency;
  out.funding = c.funding;
  out.drift = c.drift;
  out.expected_cost = c.expected_cost;
  out.variance = c.variance;
  out.objective = c.objective;
  return out;
}

// The checks every classic call makes on params.
perpcore_status CheckAcParams(const perpcore_ac_params* params, const char* func,
                              const Message& msg) {
  if (params == nullptr) return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "params is NULL");
  if (perpcore_c::CheckInputSize(params) != PERPCORE_OK) {
    return msg.Fail(PERPCORE_E_STRUCT_SIZE, func,
                    "params->struct_size is not this library's size of the struct");
  }
  return PERPCORE_OK;
}

// A C array (pointer + length) as a vector; NULL with a nonzero length is
// misuse.
perpcore_status ToVector(const double* data, std::size_t len, const char* name,
                         std::vector<double>* out, const char* func, const Message& msg) {
  if (data == nullptr && len > 0) {
    char what[96];
    std::snprintf(what, sizeof what, "params->%s is NULL with %s_len > 0", name, name);
    return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, what);
  }
  out->assign(data, data + len);
  return PERPCORE_OK;
}

// The checks every perpetual call makes on params, and the conversion.
perpcore_status ToExt(const perpcore_ext_params* in, an::ExtParams* p, const char* func,
                      const Message& msg) {
  if (in == nullptr) return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "params is NULL");
  if (perpcore_c::CheckInputSize(in) != PERPCORE_OK) {
    return msg.Fail(PERPCORE_E_STRUCT_SIZE, func,
                    "params->struct_size is not this library's size of the struct");
  }
  p->shares = in->shares;
  p->horizon = in->horizon;
  p->intervals = in->intervals;
  p->eta = in->eta;
  p->delta = in->delta;
  p->gamma = in->gamma;
  p->lambda = in->lambda;
  p->reference_price = in->reference_price;
  p->taker_fee_rate = in->taker_fee_rate;
  p->maker_fee_rate = in->maker_fee_rate;
  p->latency = in->latency;
  p->latency_coefficient = in->latency_coefficient;
  const struct {
    const double* data;
    std::size_t len;
    const char* name;
    std::vector<double>* out;
  } arrays[] = {{in->sigma, in->sigma_len, "sigma", &p->sigma},
                {in->drift, in->drift_len, "drift", &p->drift},
                {in->spread, in->spread_len, "spread", &p->spread},
                {in->funding, in->funding_len, "funding", &p->funding}};
  for (const auto& a : arrays) {
    if (perpcore_status s = ToVector(a.data, a.len, a.name, a.out, func, msg); s != PERPCORE_OK) {
      return s;
    }
  }
  if (in->order_types == nullptr && in->order_types_len > 0) {
    return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func,
                    "params->order_types is NULL with order_types_len > 0");
  }
  p->order_types.clear();
  p->order_types.reserve(in->order_types_len);
  for (std::size_t k = 0; k < in->order_types_len; ++k) {
    const std::int32_t t = in->order_types[k];
    if (t != PERPCORE_EXT_ORDER_TAKER && t != PERPCORE_EXT_ORDER_MAKER) {
      char what[128];
      std::snprintf(what, sizeof what,
                    "params->order_types[%zu] = %d is not PERPCORE_EXT_ORDER_TAKER or "
                    "PERPCORE_EXT_ORDER_MAKER",
                    k, static_cast<int>(t));
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, what);
    }
    p->order_types.push_back(static_cast<an::ExtOrderType>(t));
  }
  return PERPCORE_OK;
}

perpcore_status ToOptions(const perpcore_ext_options* in, an::ExtSolverOptions* o,
                          const char* func, const Message& msg) {
  *o = an::ExtSolverOptions{};
  if (in == nullptr) return PERPCORE_OK;
  if (perpcore_c::CheckInputSize(in) != PERPCORE_OK) {
    return msg.Fail(PERPCORE_E_STRUCT_SIZE, func,
                    "options->struct_size is not this library's size of the struct");
  }
  if (in->solver != PERPCORE_EXT_SOLVER_AUTO && in->solver != PERPCORE_EXT_SOLVER_NEWTON) {
    return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func,
                    "options->solver is not PERPCORE_EXT_SOLVER_AUTO or PERPCORE_EXT_SOLVER_NEWTON");
  }
  o->solver = static_cast<an::ExtSolverOptions::Solver>(in->solver);
  o->tolerance = in->tolerance;
  o->max_iterations = in->max_iterations;
  return PERPCORE_OK;
}

using AcSolver = absl::StatusOr<an::AcSchedule> (*)(const an::AcParams&);

perpcore_status RunAcSchedule(const char* func, AcSolver solve, perpcore_ac_result* out,
                           const ScheduleOut& arrays, const Message& msg,
                           const perpcore_ac_params* params) noexcept {
  return Run(func, msg, [&]() -> perpcore_status {
    if (out == nullptr) return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "out is NULL");
    if (perpcore_status s = CheckAcParams(params, func, msg); s != PERPCORE_OK) return s;
    if (perpcore_c::CheckOutputSize(out) != PERPCORE_OK) {
      return msg.Fail(PERPCORE_E_STRUCT_SIZE, func,
                      "out->struct_size is not this library's size of the struct");
    }
    if (perpcore_status s = arrays.Check(params->intervals, func, msg); s != PERPCORE_OK) {
      return s;
    }
    const absl::StatusOr<an::AcSchedule> r = solve(ToAc(*params));
    if (!r.ok()) return FromStatus(r.status(), msg);
    perpcore_ac_result v;
    perpcore_ac_result_init(&v);
    v.kappa = r->kappa;
    v.half_life = r->half_life;
    v.cost = FromAcCost(r->cost);
    arrays.Copy(r->holdings, r->trades);
    perpcore_c::ZeroOutput(out);
    perpcore_c::Deliver(out, v);
    return PERPCORE_OK;
  });
}

}  // namespace

// ===========================================================================
// extern "C" definitions
// ===========================================================================

extern "C" {

perpcore_status perpcore_ac_optimal_schedule(perpcore_ac_result* out, double* holdings,
                                             size_t holdings_len, double* trades,
                                             size_t trades_len, size_t* written, char* message,
                                             size_t message_len,
                                             const perpcore_ac_params* params) noexcept {
  return RunAcSchedule("perpcore_ac_optimal_schedule", &an::OptimalSchedule, out,
                    {holdings, holdings_len, trades, trades_len, written},
                    Message(message, message_len), params);
}

perpcore_status perpcore_ac_naive_schedule(perpcore_ac_result* out, double* holdings,
                                           size_t holdings_len, double* trades, size_t trades_len,
                                           size_t* written, char* message, size_t message_len,
                                           const perpcore_ac_params* params) noexcept {
  return RunAcSchedule("perpcore_ac_naive_schedule", &an::NaiveSchedule, out,
                    {holdings, holdings_len, trades, trades_len, written},
                    Message(message, message_len), params);
}

perpcore_status perpcore_ac_immediate_schedule(perpcore_ac_result* out, double* holdings,
                                               size_t holdings_len, double* trades,
                                               size_t trades_len, size_t* written, char* message,
                                               size_t message_len,
                                               const perpcore_ac_params* params) noexcept {
  return RunAcSchedule("perpcore_ac_immediate_schedule", &an::ImmediateSchedule, out,
                    {holdings, holdings_len, trades, trades_len, written},
                    Message(message, message_len), params);
}

perpcore_status perpcore_ac_evaluate_schedule(perpcore_ac_cost* out, char* message,
                                              size_t message_len,
                                              const perpcore_ac_params* params,
                                              const double* holdings,
                                              size_t holdings_len) noexcept {
  const char* func = "perpcore_ac_evaluate_schedule";
  const Message msg(message, message_len);
  return Run(func, msg, [&]() -> perpcore_status {
    if (out == nullptr) return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "out is NULL");
    if (perpcore_status s = CheckAcParams(params, func, msg); s != PERPCORE_OK) return s;
    if (holdings == nullptr && holdings_len > 0) {
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "holdings is NULL with holdings_len > 0");
    }
    const absl::StatusOr<an::AcCost> r = an::EvaluateSchedule(
        ToAc(*params), std::span<const double>(holdings, holdings == nullptr ? 0 : holdings_len));
    if (!r.ok()) return FromStatus(r.status(), msg);
    *out = FromAcCost(*r);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_ac_efficient_frontier(perpcore_ac_frontier_point* out, size_t out_len,
                                               size_t* written, char* message,
                                               size_t message_len,
                                               const perpcore_ac_params* params,
                                               const double* lambdas,
                                               size_t lambdas_len) noexcept {
  const char* func = "perpcore_ac_efficient_frontier";
  const Message msg(message, message_len);
  return Run(func, msg, [&]() -> perpcore_status {
    if (out == nullptr && out_len > 0) {
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "out is NULL with out_len > 0");
    }
    if (perpcore_status s = CheckAcParams(params, func, msg); s != PERPCORE_OK) return s;
    if (lambdas == nullptr && lambdas_len > 0) {
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "lambdas is NULL with lambdas_len > 0");
    }
    if (out_len < lambdas_len) {
      if (written != nullptr) *written = lambdas_len;
      char what[128];
      std::snprintf(what, sizeof what, "out needs lambdas_len = %zu points (out_len %zu)",
                    lambdas_len, out_len);
      return msg.Fail(PERPCORE_E_BUFFER_TOO_SMALL, func, what);
    }
    const absl::StatusOr<std::vector<an::FrontierPoint>> r = an::EfficientFrontier(
        ToAc(*params), std::span<const double>(lambdas, lambdas == nullptr ? 0 : lambdas_len));
    if (!r.ok()) return FromStatus(r.status(), msg);
    for (std::size_t i = 0; i < r->size(); ++i) {
      out[i].lambda = (*r)[i].lambda;
      out[i].kappa = (*r)[i].kappa;
      out[i].cost = FromAcCost((*r)[i].cost);
    }
    if (written != nullptr) *written = r->size();
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_ext_optimal_schedule(perpcore_ext_result* out, double* holdings,
                                              size_t holdings_len, double* trades,
                                              size_t trades_len, size_t* written, char* message,
                                              size_t message_len,
                                              const perpcore_ext_params* params,
                                              const perpcore_ext_options* options) noexcept {
  const char* func = "perpcore_ext_optimal_schedule";
  const Message msg(message, message_len);
  const ScheduleOut arrays{holdings, holdings_len, trades, trades_len, written};
  return Run(func, msg, [&]() -> perpcore_status {
    if (out == nullptr) return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "out is NULL");
    an::ExtParams p;
    if (perpcore_status s = ToExt(params, &p, func, msg); s != PERPCORE_OK) return s;
    an::ExtSolverOptions o;
    if (perpcore_status s = ToOptions(options, &o, func, msg); s != PERPCORE_OK) return s;
    if (perpcore_c::CheckOutputSize(out) != PERPCORE_OK) {
      return msg.Fail(PERPCORE_E_STRUCT_SIZE, func,
                      "out->struct_size is not this library's size of the struct");
    }
    if (perpcore_status s = arrays.Check(params->intervals, func, msg); s != PERPCORE_OK) {
      return s;
    }
    const absl::StatusOr<an::ExtSchedule> r = an::ExtOptimalSchedule(p, o);
    if (!r.ok()) return FromStatus(r.status(), msg);
    perpcore_ext_result v;
    perpcore_ext_result_init(&v);
    v.method = static_cast<std::uint32_t>(r->method);
    v.active_constraints = r->active_constraints;
    v.iterations = r->iterations;
    v.converged = r->converged ? 1u : 0u;
    v.kkt_residual = r->kkt_residual;
    v.cost = FromExtCost(r->cost);
    arrays.Copy(r->holdings, r->trades);
    perpcore_c::ZeroOutput(out);
    perpcore_c::Deliver(out, v);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_ext_evaluate_schedule(perpcore_ext_cost* out, char* message,
                                               size_t message_len,
                                               const perpcore_ext_params* params,
                                               const double* holdings,
                                               size_t holdings_len) noexcept {
  const char* func = "perpcore_ext_evaluate_schedule";
  const Message msg(message, message_len);
  return Run(func, msg, [&]() -> perpcore_status {
    if (out == nullptr) return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "out is NULL");
    an::ExtParams p;
    if (perpcore_status s = ToExt(params, &p, func, msg); s != PERPCORE_OK) return s;
    if (holdings == nullptr && holdings_len > 0) {
      return msg.Fail(PERPCORE_E_ILLEGAL_ARG, func, "holdings is NULL with holdings_len > 0");
    }
    const absl::StatusOr<an::ExtCost> r = an::EvaluateExtSchedule(
        p, std::span<const double>(holdings, holdings == nullptr ? 0 : holdings_len));
    if (!r.ok()) return FromStatus(r.status(), msg);
    *out = FromExtCost(*r);
    return PERPCORE_OK;
  });
}

}  // extern "C"

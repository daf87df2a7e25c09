// -----------------------------------------------------------------------------
// File: python/src/analytics.cpp
// -----------------------------------------------------------------------------
//
// The submodule `perpcore._perpcore.analytics` (re-exported as
// `perpcore.analytics`): Almgren-Chriss optimal execution
// (perpcore/analytics/execution.hpp), its perpetual-swap extension
// (execution_ext.hpp), the dynamic program (execution_dp.hpp), calibration
// from market data (calibration.hpp) and the child-order plan
// (execution_plan.hpp).
//
// Conversions at the boundary (module.cpp describes the rest):
//   * A float parameter accepts float, int and numpy real scalars, never bool
//     (or numpy.bool_) or str: TypeError. NaN and infinities pass through, so
//     the C++ validation names the parameter (InvalidArgumentError).
//   * An array parameter accepts anything numpy.asarray() turns into a 1-D
//     array of a real dtype (float, int, uint), copied to float64. A bool,
//     complex, object or string dtype is a TypeError naming the parameter;
//     another shape an InvalidArgumentError naming it. Book levels are
//     integer (ticks, lots) arrays of shape (n, 2) or (n, 3): a float dtype is
//     a TypeError, as for every fixed-point quantity (STYLE 8).
//   * `lambda` is a Python keyword, so the risk aversion is `lambda_`.
//   * Results own their data; their array attributes are read-only numpy
//     views of it (no copy, and no way to edit a result by accident).
//     Parameter objects return fresh copies, since assigning a field
//     reallocates it.
//   * Errors: the absl::Status of the C++ call through RaiseStatus()
//     (common.hpp), with the C++ message.
//
// GIL: ext_optimal_schedule, efficient_frontier and solve_execution_dp copy
// every input into C++ values first (so no Python object is touched), then
// release the GIL for the solve. The other calls are O(N) and keep it.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fmt/format.h"
#include "perpcore/analytics/calibration.hpp"
#include "perpcore/analytics/execution.hpp"
#include "perpcore/analytics/execution_dp.hpp"
#include "perpcore/analytics/execution_ext.hpp"
#include "perpcore/analytics/execution_plan.hpp"

namespace perpcore_py {

// Real
//
// A float argument converted strictly (see the file comment).
struct Real {
  double value = 0;
};

namespace {

namespace an = ::perpcore::analytics;

py::handle Numpy() {
  static py::handle np = py::module_::import("numpy").release();
  return np;
}

bool IsInstance(py::handle obj, const char* numpy_type) {
  const int r = PyObject_IsInstance(obj.ptr(), Numpy().attr(numpy_type).ptr());
  if (r < 0) throw py::error_already_set();
  return r == 1;
}

// LoadReal()
//
// false (TypeError from pybind11) for bool, numpy.bool_ and non-numbers.
bool LoadReal(py::handle src, double* out) {
  PyObject* obj = src.ptr();
  if (obj == nullptr) return false;
  if (IsBoolLike(obj)) {
    NoteBadArgument(obj, "float");
    return false;
  }
  if (PyFloat_Check(obj)) {  // float and numpy.float64
    *out = PyFloat_AS_DOUBLE(obj);
    return true;
  }
  if (PyIndex_Check(obj)) {  // int and numpy integers
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj));
    if (!index) throw py::error_already_set();
    const double v = PyLong_AsDouble(index.ptr());
    if (v == -1.0 && PyErr_Occurred() != nullptr) {
      PyErr_Clear();
      throw ArgumentRangeError{
          obj, fmt::format("{} is too large for a float", std::string(py::str(index)))};
    }
    *out = v;
    return true;
  }
  if (IsInstance(src, "floating")) {  // numpy.float32, numpy.longdouble
    *out = PyFloat_AsDouble(obj);
    if (*out == -1.0 && PyErr_Occurred() != nullptr) throw py::error_already_set();
    return true;
  }
  NoteBadArgument(obj, "float");
  return false;
}

}  // namespace
}  // namespace perpcore_py

namespace pybind11::detail {

template <>
struct type_caster<perpcore_py::Real> {
  PYBIND11_TYPE_CASTER(perpcore_py::Real, const_name("float"));
  bool load(handle src, bool /*convert*/) { return perpcore_py::LoadReal(src, &value.value); }
  static handle cast(perpcore_py::Real v, return_value_policy /*policy*/, handle /*parent*/) {
    return PyFloat_FromDouble(v.value);
  }
};

PERPCORE_PY_ENUM_CASTER(::perpcore::analytics::ExtOrderType, "ExtOrderType");
PERPCORE_PY_ENUM_CASTER(::perpcore::analytics::ExtMethod, "ExtMethod");
PERPCORE_PY_ENUM_CASTER(::perpcore::analytics::ExtSolverOptions::Solver, "ExtSolver");
PERPCORE_PY_ENUM_CASTER(::perpcore::analytics::DpSearch, "DpSearch");
PERPCORE_PY_ENUM_CASTER(::perpcore::analytics::BookRecovery, "BookRecovery");

}  // namespace pybind11::detail

namespace perpcore_py {
namespace {

// -- arrays in ----------------------------------------------------------------

// AsArray()
//
// numpy.asarray(obj) with a real dtype and `ndim` dimensions, or the error
// naming `name` (TypeError for the dtype, InvalidArgumentError for the shape).
// `integer` requires an integer dtype (fixed-point data).
py::array AsArray(py::handle obj, const char* name, int ndim, bool integer) {
  py::array a;
  try {
    a = py::reinterpret_borrow<py::array>(Numpy().attr("asarray")(obj));
  } catch (py::error_already_set& e) {
    // A ragged list and the like: numpy's own ValueError, renamed.
    throw py::type_error(fmt::format("{} must be array-like: {}", name, e.what()));
  }
  const char kind = a.dtype().kind();
  const bool ok = integer ? (kind == 'i' || kind == 'u') : (kind == 'f' || kind == 'i' || kind == 'u');
  // An empty list is float64 to numpy: it is simply empty, for any parameter.
  if (!ok && !(a.size() == 0 && kind == 'f')) {
    throw py::type_error(fmt::format("{} must hold {} numbers, not dtype {}", name,
                                     integer ? "integer" : "real",
                                     std::string(py::str(a.dtype()))));
  }
  if (a.ndim() != ndim && !(a.size() == 0 && a.ndim() == 1)) {
    Raise(g_errors.invalid_argument,
          fmt::format("{} must be a {}-D array (got shape {})", name, ndim,
                      std::string(py::str(a.attr("shape")))));
  }
  return a;
}

// Doubles(): a 1-D real array-like as float64 values.
std::vector<double> Doubles(py::handle obj, const char* name) {
  py::array a = AsArray(obj, name, 1, false);
  auto f = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!f) throw py::error_already_set();
  return std::vector<double>(f.data(), f.data() + f.size());
}

// OptionalDoubles(): None is empty.
std::vector<double> OptionalDoubles(py::handle obj, const char* name) {
  if (obj.is_none()) return {};
  return Doubles(obj, name);
}

// Levels()
//
// Book levels best first from an integer array-like of shape (n, 2)
// (price ticks, size lots) or (n, 3) (plus the order count, which the
// analytics ignore): Engine.depth() output converts as is.
std::vector<bk::LevelView> Levels(py::handle obj, const char* name) {
  py::array a = AsArray(obj, name, 2, true);
  if (a.size() == 0) return {};
  const py::ssize_t cols = a.shape(1);
  if (cols != 2 && cols != 3) {
    Raise(g_errors.invalid_argument,
          fmt::format("{} must have 2 columns (price, size) or 3 (price, size, orders), got {}",
                      name, cols));
  }
  // uint64 beyond int64 would wrap in a cast: refuse it first.
  if (a.dtype().kind() == 'u' && a.dtype().itemsize() == 8) {
    const py::object max = a.attr("max")();
    if (max.cast<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      Raise(g_errors.out_of_range, fmt::format("{} holds a value beyond int64", name));
    }
  }
  auto v = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!v) throw py::error_already_set();
  std::vector<bk::LevelView> out(static_cast<std::size_t>(v.shape(0)));
  const std::int64_t* d = v.data();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t* row = d + i * static_cast<std::size_t>(cols);
    out[i].price = pc::Ticks(row[0]);
    out[i].total = pc::Lots(row[1]);
    if (cols == 3) {
      if (row[2] < 0 || row[2] > std::numeric_limits<std::uint32_t>::max()) {
        Raise(g_errors.out_of_range,
              fmt::format("{}[{}] order count {} is out of range for uint32", name, i, row[2]));
      }
      out[i].orders = static_cast<std::uint32_t>(row[2]);
    } else {
      out[i].orders = 1;
    }
  }
  return out;
}

// -- arrays out ----------------------------------------------------------------

// View()
//
// A read-only numpy view of `data` (owned by the C++ object behind `owner`,
// which the array keeps alive).
template <class T>
py::array View(const T* data, std::vector<py::ssize_t> shape, py::handle owner) {
  py::array_t<T> a(std::move(shape), data, owner);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

template <class T>
py::array View(const std::vector<T>& v, py::handle owner) {
  return View(v.data(), {static_cast<py::ssize_t>(v.size())}, owner);
}

// Copy(): a fresh, writable float64 array.
py::array_t<double> Copy(const std::vector<double>& v) {
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// -- field helpers -----------------------------------------------------------------

template <class C>
void RealField(py::class_<C>& cls, const char* name, double C::*member, const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return c.*member; },
      [member](C& c, Real v) { c.*member = v.value; }, doc);
}

template <class C>
void IntField(py::class_<C>& cls, const char* name, int C::*member, const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return c.*member; },
      [member](C& c, I32 v) { c.*member = v.value; }, doc);
}

template <class C>
void VectorField(py::class_<C>& cls, const char* name, std::vector<double> C::*member,
                 const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return Copy(c.*member); },
      [member, name](C& c, const py::object& v) { c.*member = Doubles(v, name); }, doc);
}

template <class C, class T>
void ReadOnly(py::class_<C>& cls, const char* name, T C::*member, const char* doc) {
  cls.def_property_readonly(name, [member](const C& c) { return c.*member; }, doc);
}

template <class C>
void ReadOnlyArray(py::class_<C>& cls, const char* name, std::vector<double> C::*member,
                   const char* doc) {
  cls.def_property_readonly(
      name,
      [member](const py::object& self) { return View(self.cast<const C&>().*member, self); }, doc);
}

template <class C>
void Repr(py::class_<C>& cls, const char* name, std::initializer_list<const char*> fields) {
  std::vector<const char*> f(fields);
  cls.def("__repr__", [name, f](const py::object& self) {
    // As FieldRepr (common.hpp), for a field list known only at run time:
    // enum members print as Class.NAME.
    static py::handle enum_type = py::object(py::module_::import("enum").attr("Enum")).release();
    std::string out = fmt::format("{}(", name);
    for (std::size_t i = 0; i < f.size(); ++i) {
      py::object v = self.attr(f[i]);
      const std::string text =
          py::isinstance(v, enum_type)
              ? fmt::format("{}.{}", std::string(py::str(v.get_type().attr("__name__"))),
                            std::string(py::str(v.attr("name"))))
              : std::string(py::repr(v));
      out += fmt::format("{}{}={}", i ? ", " : "", f[i], text);
    }
    return out + ")";
  });
}

// -- Almgren-Chriss ----------------------------------------------------------------

// Frontier: EfficientFrontier() plus its columns, for plotting and numpy.
struct Frontier {
  std::vector<an::FrontierPoint> points;
  std::vector<double> lambda, kappa, expected_cost, variance, objective;
};

Frontier MakeFrontier(std::vector<an::FrontierPoint> points) {
  Frontier f;
  for (const an::FrontierPoint& p : points) {
    f.lambda.push_back(p.lambda);
    f.kappa.push_back(p.kappa);
    f.expected_cost.push_back(p.cost.expected_cost);
    f.variance.push_back(p.cost.variance);
    f.objective.push_back(p.cost.objective);
  }
  f.points = std::move(points);
  return f;
}

void BindAc(py::module_& m) {
  const an::AcParams d{};
  py::class_<an::AcParams> params(
      m, "AcParams",
      R"doc(One Almgren-Chriss execution problem (doubles, the caller's units used
consistently: shares, currency, one time unit).

Sell ``shares`` > 0 (buy for < 0) over ``horizon`` T in ``intervals`` N equal
steps tau = T/N. ``sigma``: volatility, price per sqrt(time); ``eta``: temporary
impact, price per (unit per time); ``gamma``: permanent impact, price per unit;
``epsilon``: fixed cost per unit (half spread + fees); ``lambda_``: risk aversion
(``lambda`` in the paper; a Python keyword); ``alpha``: drift, price per time.
eta_tilde = eta - gamma tau / 2 must be > 0. Validated by each function that
takes it (InvalidArgumentError naming the field).)doc");
  params.def(py::init([](Real shares, Real horizon, I32 intervals, Real sigma, Real eta,
                         Real gamma, Real epsilon, Real lambda, Real alpha) {
               an::AcParams p;
               p.shares = shares.value;
               p.horizon = horizon.value;
               p.intervals = intervals.value;
               p.sigma = sigma.value;
               p.eta = eta.value;
               p.gamma = gamma.value;
               p.epsilon = epsilon.value;
               p.lambda = lambda.value;
               p.alpha = alpha.value;
               return p;
             }),
             py::kw_only(), py::arg("shares") = Real{d.shares},
             py::arg("horizon") = Real{d.horizon}, py::arg("intervals") = I32{d.intervals},
             py::arg("sigma") = Real{d.sigma}, py::arg("eta") = Real{d.eta},
             py::arg("gamma") = Real{d.gamma}, py::arg("epsilon") = Real{d.epsilon},
             py::arg("lambda_") = Real{d.lambda}, py::arg("alpha") = Real{d.alpha},
             "A problem; every field defaults to 0 (the C++ default, which the functions "
             "refuse for intervals and horizon).");
  RealField(params, "shares", &an::AcParams::shares, "X: > 0 sells, < 0 buys.");
  RealField(params, "horizon", &an::AcParams::horizon, "T, time units, > 0.");
  IntField(params, "intervals", &an::AcParams::intervals, "N, >= 1.");
  RealField(params, "sigma", &an::AcParams::sigma, "Volatility, price per sqrt(time), >= 0.");
  RealField(params, "eta", &an::AcParams::eta, "Temporary impact, price per (unit per time).");
  RealField(params, "gamma", &an::AcParams::gamma, "Permanent impact, price per unit, >= 0.");
  RealField(params, "epsilon", &an::AcParams::epsilon, "Fixed cost per unit traded, >= 0.");
  RealField(params, "lambda_", &an::AcParams::lambda, "Risk aversion (lambda), >= 0.");
  RealField(params, "alpha", &an::AcParams::alpha, "Drift, price per time unit.");
  Repr(params, "AcParams",
       {"shares", "horizon", "intervals", "sigma", "eta", "gamma", "epsilon", "lambda_", "alpha"});

  py::class_<an::AcCost> cost(m, "AcCost",
                              "A schedule's expected cost E, variance V and objective "
                              "E + lambda V (summed along the trajectory).");
  ReadOnly(cost, "expected_cost", &an::AcCost::expected_cost, "E, currency.");
  ReadOnly(cost, "variance", &an::AcCost::variance, "V, currency squared.");
  ReadOnly(cost, "objective", &an::AcCost::objective, "E + lambda V.");
  Repr(cost, "AcCost", {"expected_cost", "variance", "objective"});

  py::class_<an::AcSchedule> sched(
      m, "AcSchedule",
      "A trajectory: holdings (N + 1 values, X ... 0) and trades (N values, + sells) as "
      "read-only float64 arrays, its urgency kappa and its cost.");
  ReadOnlyArray(sched, "holdings", &an::AcSchedule::holdings, "x_0 = X ... x_N = 0 (N + 1).");
  ReadOnlyArray(sched, "trades", &an::AcSchedule::trades, "n_k = x_{k-1} - x_k (N).");
  ReadOnly(sched, "kappa", &an::AcSchedule::kappa,
           "Urgency per time unit: 0 for the straight line, inf for the immediate strategy.");
  ReadOnly(sched, "half_life", &an::AcSchedule::half_life, "1 / kappa, time units.");
  ReadOnly(sched, "cost", &an::AcSchedule::cost, "The AcCost.");
  Repr(sched, "AcSchedule", {"kappa", "half_life", "cost", "holdings"});

  py::class_<an::FrontierPoint> point(m, "FrontierPoint", "The optimum for one lambda.");
  ReadOnly(point, "lambda_", &an::FrontierPoint::lambda, "The risk aversion.");
  ReadOnly(point, "kappa", &an::FrontierPoint::kappa, "The optimum's urgency.");
  ReadOnly(point, "cost", &an::FrontierPoint::cost, "The optimum's AcCost.");
  Repr(point, "FrontierPoint", {"lambda_", "kappa", "cost"});

  py::class_<Frontier> frontier(
      m, "Frontier",
      R"doc(The efficient frontier: one optimum per lambda, in the order given.

The columns are read-only float64 arrays of one length (plot
``variance`` against ``expected_cost``); ``points`` has the same data as
FrontierPoint objects.)doc");
  ReadOnlyArray(frontier, "lambda_", &Frontier::lambda, "The risk aversions.");
  ReadOnlyArray(frontier, "kappa", &Frontier::kappa, "Each optimum's urgency.");
  ReadOnlyArray(frontier, "expected_cost", &Frontier::expected_cost, "Each optimum's E.");
  ReadOnlyArray(frontier, "variance", &Frontier::variance, "Each optimum's V.");
  ReadOnlyArray(frontier, "objective", &Frontier::objective, "Each optimum's E + lambda V.");
  frontier.def_property_readonly(
      "points", [](const Frontier& f) { return f.points; }, "The optima as FrontierPoint.");
  frontier.def("__len__", [](const Frontier& f) { return f.points.size(); },
               "The number of points.");
  frontier.def("__repr__", [](const Frontier& f) {
    return fmt::format("<Frontier points={}>", f.points.size());
  });

  m.def(
      "evaluate_schedule",
      [](const an::AcParams& p, const py::object& holdings) {
        const std::vector<double> x = Doubles(holdings, "holdings");
        return ValueOrRaise(an::EvaluateSchedule(p, x));
      },
      py::arg("params"), py::arg("holdings"),
      R"doc(E, V and E + lambda V of any holdings path.

:param holdings: N + 1 values from X to 0 (1-D array-like of reals).
:raises InvalidArgumentError: a bad parameter or path (the message names it).
:raises OutOfRangeError: the cost overflows.)doc");
  m.def(
      "optimal_schedule",
      [](const an::AcParams& p) { return ValueOrRaise(an::OptimalSchedule(p)); },
      py::arg("params"),
      "The mean-variance optimal trajectory for params.lambda_ (the closed form).\n\n"
      ":raises InvalidArgumentError: naming the bad parameter.\n"
      ":raises OutOfRangeError: kappa or the cost is not representable.");
  m.def(
      "naive_schedule", [](const an::AcParams& p) { return ValueOrRaise(an::NaiveSchedule(p)); },
      py::arg("params"), "The straight line x_k = X (1 - k/N), scored as any schedule.");
  m.def(
      "immediate_schedule",
      [](const an::AcParams& p) { return ValueOrRaise(an::ImmediateSchedule(p)); },
      py::arg("params"), "Everything sold in the first interval, scored as any schedule.");
  m.def(
      "efficient_frontier",
      [](const an::AcParams& p, const py::object& lambdas) {
        const an::AcParams copy = p;  // the solve runs without the GIL
        const std::vector<double> l = Doubles(lambdas, "lambdas");
        absl::StatusOr<std::vector<an::FrontierPoint>> r;
        {
          py::gil_scoped_release release;
          r = an::EfficientFrontier(copy, l);
        }
        return MakeFrontier(ValueOrRaise(std::move(r)));
      },
      py::arg("params"), py::arg("lambdas"),
      R"doc(The optimum for each lambda (each >= 0), in the given order; params.lambda_
is ignored. Runs with the GIL released.

:param lambdas: 1-D array-like of risk aversions, e.g. numpy.geomspace(1e-8, 1e-5, 50).
:returns: a Frontier (columns as numpy arrays, plus the points).
:raises InvalidArgumentError: a bad parameter or lambda (the message names it).)doc");
}

// -- the perpetual-swap extension ------------------------------------------------------

void BindExt(py::module_& m) {
  MakeEnum<an::ExtOrderType>(m, "ExtOrderType", "The order type of an interval: TAKER or MAKER.",
                             {{"TAKER", 0}, {"MAKER", 1}});
  MakeEnum<an::ExtMethod>(
      m, "ExtMethod",
      "How ext_optimal_schedule solved: CLOSED_FORM (the classic case), TRIDIAGONAL, "
      "ACTIVE_SET (a one-sided constraint binds) or NEWTON (delta != 1, or forced).",
      {{"CLOSED_FORM", 0}, {"TRIDIAGONAL", 1}, {"ACTIVE_SET", 2}, {"NEWTON", 3}});
  MakeEnum<an::ExtSolverOptions::Solver>(
      m, "ExtSolver",
      "ExtSolverOptions.solver: AUTO (closed form / tridiagonal / active set at delta = 1, "
      "Newton otherwise) or NEWTON (always numeric, for cross-checks).",
      {{"AUTO", 0}, {"NEWTON", 1}});

  const an::ExtParams d{};
  py::class_<an::ExtParams> params(
      m, "ExtParams",
      R"doc(An execution problem for a perpetual swap (execution_ext.hpp): the
Almgren-Chriss model plus fees by order type, a time-varying spread, funding,
drift and volatility, a latency penalty and power-law impact
eta |v|^delta.

Per-interval fields (sigma, drift, spread, funding, order_types) hold 0 entries
(all zero; all taker), 1 (the same for every interval) or N; they accept any
1-D array-like of reals (order_types: a sequence of ExtOrderType) and read back
as a fresh float64 array (a list).)doc");
  params.def(
      py::init([](Real shares, Real horizon, I32 intervals, Real eta, Real delta, Real gamma,
                  Real lambda, Real reference_price, Real taker_fee_rate, Real maker_fee_rate,
                  Real latency, Real latency_coefficient, const py::object& sigma,
                  const py::object& drift, const py::object& spread, const py::object& funding,
                  std::vector<an::ExtOrderType> order_types) {
        an::ExtParams p;
        p.shares = shares.value;
        p.horizon = horizon.value;
        p.intervals = intervals.value;
        p.eta = eta.value;
        p.delta = delta.value;
        p.gamma = gamma.value;
        p.lambda = lambda.value;
        p.reference_price = reference_price.value;
        p.taker_fee_rate = taker_fee_rate.value;
        p.maker_fee_rate = maker_fee_rate.value;
        p.latency = latency.value;
        p.latency_coefficient = latency_coefficient.value;
        p.sigma = OptionalDoubles(sigma, "sigma");
        p.drift = OptionalDoubles(drift, "drift");
        p.spread = OptionalDoubles(spread, "spread");
        p.funding = OptionalDoubles(funding, "funding");
        p.order_types = std::move(order_types);
        return p;
      }),
      py::kw_only(), py::arg("shares") = Real{d.shares}, py::arg("horizon") = Real{d.horizon},
      py::arg("intervals") = I32{d.intervals}, py::arg("eta") = Real{d.eta},
      py::arg("delta") = Real{d.delta}, py::arg("gamma") = Real{d.gamma},
      py::arg("lambda_") = Real{d.lambda}, py::arg("reference_price") = Real{d.reference_price},
      py::arg("taker_fee_rate") = Real{d.taker_fee_rate},
      py::arg("maker_fee_rate") = Real{d.maker_fee_rate}, py::arg("latency") = Real{d.latency},
      py::arg("latency_coefficient") = Real{d.latency_coefficient},
      py::arg("sigma") = py::none(), py::arg("drift") = py::none(),
      py::arg("spread") = py::none(), py::arg("funding") = py::none(),
      py::arg("order_types") = std::vector<an::ExtOrderType>{},
      "A problem; the defaults are the C++ defaults (delta 1, latency_coefficient "
      "1/sqrt(2 pi), everything else 0 or empty; None is empty).");
  RealField(params, "shares", &an::ExtParams::shares, "X: > 0 sells a long, < 0 buys back.");
  RealField(params, "horizon", &an::ExtParams::horizon, "T, > 0.");
  IntField(params, "intervals", &an::ExtParams::intervals, "N, >= 1.");
  RealField(params, "eta", &an::ExtParams::eta, "Temporary impact coefficient (eta |v|^delta).");
  RealField(params, "delta", &an::ExtParams::delta, "Impact exponent, in (0, 2].");
  RealField(params, "gamma", &an::ExtParams::gamma,
            "Permanent impact, price per unit, >= 0 (0 unless delta == 1).");
  RealField(params, "lambda_", &an::ExtParams::lambda, "Risk aversion (lambda), >= 0.");
  RealField(params, "reference_price", &an::ExtParams::reference_price,
            "Price per unit that turns fee rates into costs.");
  RealField(params, "taker_fee_rate", &an::ExtParams::taker_fee_rate,
            "Taker fee, fraction of notional (< 0 is a rebate).");
  RealField(params, "maker_fee_rate", &an::ExtParams::maker_fee_rate,
            "Maker fee, fraction of notional (< 0 is a rebate).");
  RealField(params, "latency", &an::ExtParams::latency, "Order delay, time units, >= 0.");
  RealField(params, "latency_coefficient", &an::ExtParams::latency_coefficient,
            "Expected extra cost per unit, in sigma sqrt(latency) (default 1/sqrt(2 pi)).");
  VectorField(params, "sigma", &an::ExtParams::sigma,
              "Volatility per interval, price per sqrt(time), >= 0.");
  VectorField(params, "drift", &an::ExtParams::drift, "Drift per interval, price per time.");
  VectorField(params, "spread", &an::ExtParams::spread,
              "Half spread per interval, price per unit traded, >= 0.");
  VectorField(params, "funding", &an::ExtParams::funding,
              "Funding paid per unit of position held at t_k (+: a long pays).");
  params.def_property(
      "order_types", [](const an::ExtParams& p) { return p.order_types; },
      [](an::ExtParams& p, std::vector<an::ExtOrderType> v) { p.order_types = std::move(v); },
      "ExtOrderType per interval (a list); empty: all taker.");
  Repr(params, "ExtParams",
       {"shares", "horizon", "intervals", "eta", "delta", "gamma", "lambda_", "reference_price",
        "taker_fee_rate", "maker_fee_rate", "latency", "latency_coefficient", "sigma", "drift",
        "spread", "funding", "order_types"});

  const an::ExtSolverOptions od{};
  py::class_<an::ExtSolverOptions> options(m, "ExtSolverOptions",
                                           "How ext_optimal_schedule solves.");
  options.def(py::init([](an::ExtSolverOptions::Solver solver, Real tolerance, I32 max_iterations) {
                return an::ExtSolverOptions{solver, tolerance.value, max_iterations.value};
              }),
              py::kw_only(), py::arg("solver") = od.solver,
              py::arg("tolerance") = Real{od.tolerance},
              py::arg("max_iterations") = I32{od.max_iterations},
              "Options; the defaults are the C++ defaults (AUTO, 1e-10, 0 = 10 N + 100).");
  options.def_property(
      "solver", [](const an::ExtSolverOptions& o) { return o.solver; },
      [](an::ExtSolverOptions& o, an::ExtSolverOptions::Solver s) { o.solver = s; },
      "ExtSolver.AUTO or ExtSolver.NEWTON.");
  RealField(options, "tolerance", &an::ExtSolverOptions::tolerance,
            "On the relative KKT residual, in (0, 1).");
  IntField(options, "max_iterations", &an::ExtSolverOptions::max_iterations,
           "Newton / active-set iterations; 0: 10 N + 100.");
  Repr(options, "ExtSolverOptions", {"solver", "tolerance", "max_iterations"});

  py::class_<an::ExtCost> cost(m, "ExtCost", "The terms of E, then E, V and E + lambda V.");
  ReadOnly(cost, "permanent_impact", &an::ExtCost::permanent_impact, "gamma sum x_k n_k.");
  ReadOnly(cost, "temporary_impact", &an::ExtCost::temporary_impact,
           "sum tau eta |n_k / tau|^(1 + delta).");
  ReadOnly(cost, "spread", &an::ExtCost::spread, "sum spread_k |n_k|.");
  ReadOnly(cost, "fees", &an::ExtCost::fees, "sum fee_rate reference_price |n_k|.");
  ReadOnly(cost, "latency", &an::ExtCost::latency, "The latency penalty.");
  ReadOnly(cost, "funding", &an::ExtCost::funding, "sum funding_k x_k.");
  ReadOnly(cost, "drift", &an::ExtCost::drift, "-sum drift_k tau x_k.");
  ReadOnly(cost, "expected_cost", &an::ExtCost::expected_cost, "E, the sum of the terms.");
  ReadOnly(cost, "variance", &an::ExtCost::variance, "V.");
  ReadOnly(cost, "objective", &an::ExtCost::objective, "E + lambda V.");
  Repr(cost, "ExtCost",
       {"permanent_impact", "temporary_impact", "spread", "fees", "latency", "funding", "drift",
        "expected_cost", "variance", "objective"});

  py::class_<an::ExtSchedule> sched(
      m, "ExtSchedule",
      "The optimal one-sided schedule: holdings (N + 1) and trades (N) as read-only float64 "
      "arrays, the cost terms, the method and the solver's diagnostics.");
  ReadOnlyArray(sched, "holdings", &an::ExtSchedule::holdings, "X ... 0 (N + 1).");
  ReadOnlyArray(sched, "trades", &an::ExtSchedule::trades, "n_k, + sells (N).");
  ReadOnly(sched, "cost", &an::ExtSchedule::cost, "The ExtCost.");
  ReadOnly(sched, "method", &an::ExtSchedule::method, "The ExtMethod used.");
  ReadOnly(sched, "active_constraints", &an::ExtSchedule::active_constraints,
           "Intervals with n_k held at 0 by the one-sided constraint.");
  ReadOnly(sched, "iterations", &an::ExtSchedule::iterations,
           "Active-set / Newton iterations (0: direct).");
  ReadOnly(sched, "kkt_residual", &an::ExtSchedule::kkt_residual,
           "The relative KKT residual (execution_ext.hpp).");
  ReadOnly(sched, "converged", &an::ExtSchedule::converged, "kkt_residual <= tolerance.");
  Repr(sched, "ExtSchedule",
       {"method", "converged", "kkt_residual", "iterations", "active_constraints", "cost",
        "holdings"});

  m.def(
      "evaluate_ext_schedule",
      [](const an::ExtParams& p, const py::object& holdings) {
        const std::vector<double> x = Doubles(holdings, "holdings");
        return ValueOrRaise(an::EvaluateExtSchedule(p, x));
      },
      py::arg("params"), py::arg("holdings"),
      "The cost terms of any holdings path (N + 1 values from X to 0; it need not be "
      "one-sided).\n\n:raises InvalidArgumentError: naming the bad parameter.");
  m.def(
      "ext_optimal_schedule",
      [](const an::ExtParams& p, const an::ExtSolverOptions& o) {
        const an::ExtParams copy = p;  // the solve runs without the GIL
        const an::ExtSolverOptions copy_options = o;
        absl::StatusOr<an::ExtSchedule> r;
        {
          py::gil_scoped_release release;
          r = an::ExtOptimalSchedule(copy, copy_options);
        }
        return ValueOrRaise(std::move(r));
      },
      py::arg("params"), py::arg("options") = an::ExtSolverOptions{},
      R"doc(The optimal one-sided schedule (execution_ext.hpp), with the GIL released.

A solve that misses the tolerance is not an error: converged is False.
:raises InvalidArgumentError: naming the bad parameter (e.g. delta outside (0, 2]).
:raises OutOfRangeError: a coefficient or the result is not representable.)doc");
}

// -- the dynamic program ------------------------------------------------------------------

// CheckIndex(): IndexError unless 0 <= v < size (DpPolicy's accessors do not check).
void CheckIndex(int v, int size, const char* name) {
  if (v < 0 || v >= size) {
    throw py::index_error(fmt::format("{} {} is out of range [0, {})", name, v, size));
  }
}

void BindDp(py::module_& m) {
  m.attr("MAX_DP_STATES") = an::kMaxDpStates;
  MakeEnum<an::DpSearch>(m, "DpSearch",
                         "MONOTONE: divide and conquer on the monotone policy, O(M log M); "
                         "EXHAUSTIVE: every grid point, O(M^2) (the reference).",
                         {{"MONOTONE", 0}, {"EXHAUSTIVE", 1}});

  py::class_<an::DpRegime> regime(m, "DpRegime",
                                  "One market regime's volatility and costs (AcParams units).");
  regime.def(py::init([](Real sigma, Real eta, Real epsilon) {
               return an::DpRegime{sigma.value, eta.value, epsilon.value};
             }),
             py::kw_only(), py::arg("sigma") = Real{0.0}, py::arg("eta") = Real{0.0},
             py::arg("epsilon") = Real{0.0}, "A regime (defaults 0, as in C++).");
  RealField(regime, "sigma", &an::DpRegime::sigma, "Volatility, >= 0.");
  RealField(regime, "eta", &an::DpRegime::eta, "Temporary impact; eta - gamma tau / 2 > 0.");
  RealField(regime, "epsilon", &an::DpRegime::epsilon, "Fixed cost per unit, >= 0.");
  Repr(regime, "DpRegime", {"sigma", "eta", "epsilon"});

  py::class_<an::DpParams> params(
      m, "DpParams",
      R"doc(The dynamic program's input (execution_dp.hpp).

``ac`` gives X, T, N, gamma, lambda, alpha. With ``regimes`` empty there is one
regime (ac.sigma, ac.eta, ac.epsilon) and ``transition`` must be empty too;
otherwise ``transition`` is the R x R matrix P[r][r'] = Pr(next r' | r), given
as a square 2-D array-like.)doc");
  params.def(py::init([](const an::AcParams& ac, I32 grid_points,
                         std::vector<an::DpRegime> regimes, const py::object& transition,
                         I32 initial_regime, an::DpSearch search) {
               an::DpParams p;
               p.ac = ac;
               p.grid_points = grid_points.value;
               p.regimes = std::move(regimes);
               if (!transition.is_none()) {
                 py::array a = AsArray(transition, "transition", 2, false);
                 if (a.size() != 0 && a.shape(0) != a.shape(1)) {
                   Raise(g_errors.invalid_argument,
                         fmt::format("transition must be a square matrix (got shape {})",
                                     std::string(py::str(a.attr("shape")))));
                 }
                 p.transition = Doubles(a.attr("ravel")(), "transition");
               }
               p.initial_regime = initial_regime.value;
               p.search = search;
               return p;
             }),
             py::kw_only(), py::arg("ac"), py::arg("grid_points"),
             py::arg("regimes") = std::vector<an::DpRegime>{}, py::arg("transition") = py::none(),
             py::arg("initial_regime") = I32{0}, py::arg("search") = an::DpSearch::kMonotone,
             "The DP input; grid_points M >= 2 (the inventory grid X i / (M - 1)).");
  params.def_readwrite("ac", &an::DpParams::ac, "The AcParams (a copy is stored).");
  IntField(params, "grid_points", &an::DpParams::grid_points, "M >= 2.");
  params.def_readwrite("regimes", &an::DpParams::regimes,
                       "The regimes (a list of DpRegime; empty: one regime from ac).");
  params.def_property_readonly(
      "transition",
      [](const an::DpParams& p) {
        // Stored row-major; the constructor only accepts square matrices.
        const auto r = static_cast<py::ssize_t>(std::llround(std::sqrt(p.transition.size())));
        py::array_t<double> a({r, r});
        std::copy(p.transition.begin(), p.transition.end(), a.mutable_data());
        return a;
      },
      "A copy of P as an R x R float64 array (0 x 0 when empty).");
  IntField(params, "initial_regime", &an::DpParams::initial_regime, "The regime at step 0.");
  params.def_readwrite("search", &an::DpParams::search, "The DpSearch.");
  Repr(params, "DpParams",
       {"ac", "grid_points", "regimes", "transition", "initial_regime", "search"});

  py::class_<an::DpPolicy> policy(
      m, "DpPolicy",
      R"doc(The policy table. For step k (0-based: the trade of interval k + 1), regime
r and inventory grid[i], the next inventory is grid[next_index[k, r, i]].
Arrays are read-only views: next_index int32 (N, R, M), value float64
(N + 1, R, M) (V_N is inf off x = 0; the gamma X^2 / 2 constant included),
grid float64 (M).)doc");
  ReadOnly(policy, "steps", &an::DpPolicy::steps, "N.");
  ReadOnly(policy, "regimes", &an::DpPolicy::regimes, "R.");
  ReadOnly(policy, "grid_points", &an::DpPolicy::grid_points, "M.");
  ReadOnlyArray(policy, "grid", &an::DpPolicy::grid, "The inventory grid X i / (M - 1).");
  policy.def_property_readonly(
      "next_index",
      [](const py::object& self) {
        const auto& p = self.cast<const an::DpPolicy&>();
        return View(p.next_index.data(), {p.steps, p.regimes, p.grid_points}, self);
      },
      "The next grid index, int32 array (N, R, M).");
  policy.def_property_readonly(
      "value",
      [](const py::object& self) {
        const auto& p = self.cast<const an::DpPolicy&>();
        return View(p.value.data(), {p.steps + 1, p.regimes, p.grid_points}, self);
      },
      "V_k(grid[i], r), float64 array (N + 1, R, M).");
  policy.def(
      "trades",
      [](const an::DpPolicy& p) {
        py::array_t<double> a({p.steps, p.regimes, p.grid_points});
        double* out = a.mutable_data();
        for (std::size_t j = 0; j < p.next_index.size(); ++j) {
          const std::size_t i = j % static_cast<std::size_t>(p.grid_points);
          out[j] = p.grid[i] - p.grid[static_cast<std::size_t>(p.next_index[j])];
        }
        return a;
      },
      "Units sold (+) for every (k, r, i): a new float64 array (N, R, M).");
  policy.def(
      "index",
      [](const an::DpPolicy& p, I32 k_arg, I32 r_arg, I32 i_arg) {
        const int k = k_arg.value, r = r_arg.value, i = i_arg.value;
        CheckIndex(k, p.steps + 1, "k");
        CheckIndex(r, p.regimes, "r");
        CheckIndex(i, p.grid_points, "i");
        return p.Index(k, r, i);
      },
      py::arg("k"), py::arg("r"), py::arg("i"),
      "The flat index of (k, r, i) in the row-major tables.\n\n:raises IndexError: out of range.");
  policy.def(
      "next_index_at",
      [](const an::DpPolicy& p, I32 k_arg, I32 r_arg, I32 i_arg) {
        const int k = k_arg.value, r = r_arg.value, i = i_arg.value;
        CheckIndex(k, p.steps, "k");
        CheckIndex(r, p.regimes, "r");
        CheckIndex(i, p.grid_points, "i");
        return p.NextIndex(k, r, i);
      },
      py::arg("k"), py::arg("r"), py::arg("i"),
      "next_index[k, r, i].\n\n:raises IndexError: out of range.");
  policy.def(
      "trade",
      [](const an::DpPolicy& p, I32 k_arg, I32 r_arg, I32 i_arg) {
        const int k = k_arg.value, r = r_arg.value, i = i_arg.value;
        CheckIndex(k, p.steps, "k");
        CheckIndex(r, p.regimes, "r");
        CheckIndex(i, p.grid_points, "i");
        return p.Trade(k, r, i);
      },
      py::arg("k"), py::arg("r"), py::arg("i"),
      "Units sold (+) in step k from grid[i] in regime r.\n\n:raises IndexError: out of range.");
  policy.def(
      "value_at",
      [](const an::DpPolicy& p, I32 k_arg, I32 r_arg, I32 i_arg) {
        const int k = k_arg.value, r = r_arg.value, i = i_arg.value;
        CheckIndex(k, p.steps + 1, "k");
        CheckIndex(r, p.regimes, "r");
        CheckIndex(i, p.grid_points, "i");
        return p.Value(k, r, i);
      },
      py::arg("k"), py::arg("r"), py::arg("i"),
      "value[k, r, i].\n\n:raises IndexError: out of range.");
  policy.def("__repr__", [](const an::DpPolicy& p) {
    return fmt::format("<DpPolicy steps={} regimes={} grid_points={}>", p.steps, p.regimes,
                       p.grid_points);
  });

  py::class_<an::DpResult> result(
      m, "DpResult",
      "The DP's policy, the expected schedule from X (E[x_k], k = 0..N, and its "
      "differences, read-only float64 arrays) and the objective V_0(X, initial_regime).");
  result.def_readonly("policy", &an::DpResult::policy, "The DpPolicy.");
  ReadOnlyArray(result, "expected_holdings", &an::DpResult::expected_holdings,
                "E[x_k], k = 0..N.");
  ReadOnlyArray(result, "expected_trades", &an::DpResult::expected_trades,
                "Differences of expected_holdings (N).");
  ReadOnly(result, "objective", &an::DpResult::objective, "V_0(X, initial_regime).");
  result.def("__repr__", [](const an::DpResult& r) {
    return fmt::format("<DpResult steps={} regimes={} grid_points={} objective={}>",
                       r.policy.steps, r.policy.regimes, r.policy.grid_points, r.objective);
  });

  m.def(
      "solve_execution_dp",
      [](const an::DpParams& p) {
        const an::DpParams copy = p;  // the solve runs without the GIL
        absl::StatusOr<an::DpResult> r;
        {
          py::gil_scoped_release release;
          r = an::SolveExecutionDp(copy);
        }
        return ValueOrRaise(std::move(r));
      },
      py::arg("params"),
      "Backward dynamic programming over (step, inventory grid, regime), with the GIL "
      "released.\n\n:raises InvalidArgumentError: naming the bad parameter.\n"
      ":raises OutOfRangeError: a value is not representable.");
  m.def(
      "follow_policy",
      [](const an::DpPolicy& pol, const py::object& regime_path) {
        py::array a = AsArray(regime_path, "regime_path", 1, true);
        auto v = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
        if (!v) throw py::error_already_set();
        std::vector<int> path(static_cast<std::size_t>(v.size()));
        for (std::size_t k = 0; k < path.size(); ++k) {
          const std::int64_t r = v.data()[k];
          if (r < std::numeric_limits<int>::min() || r > std::numeric_limits<int>::max()) {
            Raise(g_errors.out_of_range,
                  fmt::format("regime_path[{}] = {} is out of range for int32", k, r));
          }
          path[k] = static_cast<int>(r);
        }
        return Copy(ValueOrRaise(an::FollowPolicy(pol, path)));
      },
      py::arg("policy"), py::arg("regime_path"),
      "The holdings (N + 1, float64) when the regime of step k is regime_path[k] (N integers)."
      "\n\n:raises InvalidArgumentError: regime_path of the wrong length or out of range.");
}

// -- calibration -------------------------------------------------------------------------

void BindCalibration(py::module_& m) {
  py::class_<an::VolatilityEstimate> vol(
      m, "VolatilityEstimate", "sigma and alpha in AcParams units from a price series.");
  ReadOnly(vol, "returns", &an::VolatilityEstimate::returns, "n, the number of log returns.");
  ReadOnly(vol, "mu_log", &an::VolatilityEstimate::mu_log, "Mean log return per time unit.");
  ReadOnly(vol, "sigma_log", &an::VolatilityEstimate::sigma_log,
           "Log-return volatility per sqrt(time unit).");
  ReadOnly(vol, "last_price", &an::VolatilityEstimate::last_price, "S_n.");
  ReadOnly(vol, "sigma", &an::VolatilityEstimate::sigma, "sigma_log * S_n (AcParams.sigma).");
  ReadOnly(vol, "alpha", &an::VolatilityEstimate::alpha,
           "(mu_log + sigma_log^2 / 2) * S_n (AcParams.alpha).");
  Repr(vol, "VolatilityEstimate", {"returns", "mu_log", "sigma_log", "last_price", "sigma", "alpha"});

  py::class_<an::SpreadEstimate> spread(m, "SpreadEstimate",
                                        "The best levels of a snapshot, in price units.");
  ReadOnly(spread, "best_bid", &an::SpreadEstimate::best_bid, "Best bid.");
  ReadOnly(spread, "best_ask", &an::SpreadEstimate::best_ask, "Best ask.");
  ReadOnly(spread, "mid", &an::SpreadEstimate::mid, "(best_bid + best_ask) / 2.");
  ReadOnly(spread, "spread", &an::SpreadEstimate::spread, "best_ask - best_bid, > 0.");
  ReadOnly(spread, "half_spread", &an::SpreadEstimate::half_spread,
           "spread / 2 (AcParams.epsilon before fees).");
  Repr(spread, "SpreadEstimate", {"best_bid", "best_ask", "mid", "spread", "half_spread"});

  py::class_<an::LinearImpactFit> lin(m, "LinearImpactFit",
                                      "s(Q) = fixed_cost + slope Q by least squares.");
  ReadOnly(lin, "points", &an::LinearImpactFit::points, "Sample points used.");
  ReadOnly(lin, "half_spread", &an::LinearImpactFit::half_spread, "Half spread, price units.");
  ReadOnly(lin, "fixed_cost", &an::LinearImpactFit::fixed_cost, "a (AcParams.epsilon).");
  ReadOnly(lin, "slope", &an::LinearImpactFit::slope, "k, price per unit per unit.");
  ReadOnly(lin, "eta", &an::LinearImpactFit::eta, "slope * interval (AcParams.eta).");
  ReadOnly(lin, "rms_error", &an::LinearImpactFit::rms_error, "RMS residual of s, price units.");
  Repr(lin, "LinearImpactFit", {"points", "half_spread", "fixed_cost", "slope", "eta", "rms_error"});

  py::class_<an::PowerImpactFit> pw(m, "PowerImpactFit",
                                    "s(Q) - half_spread = c Q^delta by least squares in logs.");
  ReadOnly(pw, "points", &an::PowerImpactFit::points, "Sample points used.");
  ReadOnly(pw, "half_spread", &an::PowerImpactFit::half_spread, "Half spread, price units.");
  ReadOnly(pw, "c", &an::PowerImpactFit::c, "Price per unit^delta.");
  ReadOnly(pw, "delta", &an::PowerImpactFit::delta, "The exponent.");
  ReadOnly(pw, "eta", &an::PowerImpactFit::eta, "c * interval^delta (ExtParams.eta).");
  ReadOnly(pw, "rms_log_error", &an::PowerImpactFit::rms_log_error, "RMS residual of ln(s - e).");
  Repr(pw, "PowerImpactFit", {"points", "half_spread", "c", "delta", "eta", "rms_log_error"});

  m.def(
      "estimate_volatility",
      [](const py::object& prices, Real dt, bool demean) {
        const std::vector<double> s = Doubles(prices, "prices");
        return ValueOrRaise(an::EstimateVolatility(s, {.dt = dt.value, .demean = demean}));
      },
      py::arg("prices"), py::kw_only(), py::arg("dt") = Real{1.0},
      py::arg("demean").noconvert() = true,
      R"doc(Volatility and drift from prices S_0..S_n observed every ``dt``.

:param prices: 1-D array-like of positive prices.
:param dt: time between observations, > 0.
:param demean: estimate the drift (else assume 0).
:raises InvalidArgumentError: too few or non-positive prices, a bad dt.)doc");

  const char* levels_doc =
      "Book levels are integer array-likes, best first, of shape (n, 2) (price ticks, size "
      "lots) or (n, 3) (plus an order count, ignored): Engine.depth() output works as is.";
  m.def(
      "estimate_spread",
      [](const py::object& bids, const py::object& asks, Real price_per_tick, Real units_per_lot) {
        const std::vector<bk::LevelView> b = Levels(bids, "bids"), a = Levels(asks, "asks");
        return ValueOrRaise(an::EstimateSpread(
            b, a, {.price_per_tick = price_per_tick.value, .units_per_lot = units_per_lot.value}));
      },
      py::arg("bids"), py::arg("asks"), py::kw_only(), py::arg("price_per_tick") = Real{1.0},
      py::arg("units_per_lot") = Real{1.0},
      fmt::format("The spread of one L2 snapshot (the whole snapshot is validated). {}\n\n"
                  ":raises InvalidArgumentError: an empty, unsorted or crossed book.",
                  levels_doc)
          .c_str());
  auto fit = [](auto fn) {
    return [fn](const py::object& bids, const py::object& asks, bk::Side side, Real interval,
                Real price_per_tick, Real units_per_lot) {
      const std::vector<bk::LevelView> b = Levels(bids, "bids"), a = Levels(asks, "asks");
      an::ImpactFitOptions o;
      o.side = side;
      o.interval = interval.value;
      o.scale = {.price_per_tick = price_per_tick.value, .units_per_lot = units_per_lot.value};
      return ValueOrRaise(fn(b, a, o));
    };
  };
  m.def("fit_linear_impact", fit([](const auto& b, const auto& a, const an::ImpactFitOptions& o) {
          return an::FitLinearImpact(b, a, o);
        }),
        py::arg("bids"), py::arg("asks"), py::kw_only(), py::arg("side") = bk::Side::kSell,
        py::arg("interval") = Real{1.0}, py::arg("price_per_tick") = Real{1.0},
        py::arg("units_per_lot") = Real{1.0},
        fmt::format("A linear impact curve from walking one side (Side.SELL walks the bids). "
                    "{}\n\n:param interval: tau, for eta = slope * interval.\n"
                    ":raises InvalidArgumentError: a bad book or too few points.",
                    levels_doc)
            .c_str());
  m.def("fit_power_law_impact", fit([](const auto& b, const auto& a, const an::ImpactFitOptions& o) {
          return an::FitPowerLawImpact(b, a, o);
        }),
        py::arg("bids"), py::arg("asks"), py::kw_only(), py::arg("side") = bk::Side::kSell,
        py::arg("interval") = Real{1.0}, py::arg("price_per_tick") = Real{1.0},
        py::arg("units_per_lot") = Real{1.0},
        fmt::format("A power-law impact curve s - e = c Q^delta from walking one side. {}\n\n"
                    ":raises InvalidArgumentError: a bad book or too few points.",
                    levels_doc)
            .c_str());
}

// -- the plan ------------------------------------------------------------------------

void BindPlan(py::module_& m) {
  py::class_<an::ChildOrder> child(
      m, "ChildOrder", "One order to send to the engine (a limit child as an IOC).");
  child.def(py::init([](I64 time_ns, bk::Side side, bk::OrderType type, I64 price, I64 size) {
              return an::ChildOrder{.time_ns = time_ns.value, .side = side, .type = type,
                                    .price = perpcore::Ticks(price.value),
                                    .size = perpcore::Lots(size.value)};
            }),
            py::kw_only(), py::arg("time_ns") = I64{0}, py::arg("side"),
            py::arg("type") = bk::OrderType::kLimit, py::arg("price"), py::arg("size"),
            "A child order of your own (make_plan returns them too).");
  child.def_property_readonly(
      "time_ns", [](const an::ChildOrder& c) { return I64{c.time_ns}; }, "When to send it.");
  ReadOnly(child, "side", &an::ChildOrder::side, "Side.SELL for a sale, Side.BUY for a purchase.");
  ReadOnly(child, "type", &an::ChildOrder::type,
           "OrderType.LIMIT at the touch, or MARKET with a protection price.");
  child.def_property_readonly(
      "price", [](const an::ChildOrder& c) { return I64{c.price.raw()}; },
      "The limit (or protection price), ticks.");
  child.def_property_readonly(
      "size", [](const an::ChildOrder& c) { return I64{c.size.raw()}; }, "Size, lots.");
  Repr(child, "ChildOrder", {"time_ns", "side", "type", "price", "size"});

  py::class_<an::CostBreakdown> cost(m, "CostBreakdown",
                                     "Expected costs in currency (execution_plan.hpp).");
  ReadOnly(cost, "impact", &an::CostBreakdown::impact, "gamma X^2/2 + eta_tilde/tau sum n^2.");
  ReadOnly(cost, "spread", &an::CostBreakdown::spread, "epsilon sum |n_k|.");
  ReadOnly(cost, "fees", &an::CostBreakdown::fees, "fee_rate price sum |n_k|.");
  ReadOnly(cost, "funding", &an::CostBreakdown::funding, "Funding on the position held.");
  ReadOnly(cost, "drift", &an::CostBreakdown::drift, "-alpha tau sum x_k.");
  ReadOnly(cost, "total", &an::CostBreakdown::total, "The sum of the terms above.");
  ReadOnly(cost, "stddev", &an::CostBreakdown::stddev, "sqrt(V).");
  Repr(cost, "CostBreakdown", {"impact", "spread", "fees", "funding", "drift", "total", "stddev"});

  py::class_<an::Plan> plan(m, "Plan",
                            "Child orders, the expected cost broken down, the single-order "
                            "slippage and a one-sentence rationale.");
  ReadOnly(plan, "children", &an::Plan::children, "The ChildOrder list, in time order.");
  ReadOnly(plan, "expected", &an::Plan::expected, "The CostBreakdown.");
  ReadOnly(plan, "single_order_slippage", &an::Plan::single_order_slippage,
           "Walking the whole size at once, against the mid, as a fraction.");
  ReadOnly(plan, "book_too_thin", &an::Plan::book_too_thin,
           "The snapshot cannot fill the whole size.");
  ReadOnly(plan, "rationale", &an::Plan::rationale, "One sentence from the numbers.");
  Repr(plan, "Plan", {"children", "expected", "single_order_slippage", "book_too_thin", "rationale"});

  m.def(
      "make_plan",
      [](const an::AcParams& model, const py::object& holdings, Real price, Real tick_size,
         Real lot_size, const py::object& opposite, Real fee_rate, const py::object& funding,
         Real time_unit_ns, I64 start_ns) {
        // PlanInput holds spans: these vectors own the data for the call.
        const std::vector<double> x = Doubles(holdings, "holdings");
        const std::vector<double> f = OptionalDoubles(funding, "funding");
        const std::vector<bk::LevelView> book = Levels(opposite, "opposite");
        an::PlanInput in;
        in.model = model;
        in.holdings = x;
        in.price = price.value;
        in.fee_rate = fee_rate.value;
        in.funding = f;
        in.time_unit_ns = time_unit_ns.value;
        in.start_ns = start_ns.value;
        in.tick_size = tick_size.value;
        in.lot_size = lot_size.value;
        in.opposite = book;
        return ValueOrRaise(an::MakePlan(in));
      },
      py::kw_only(), py::arg("model"), py::arg("holdings"), py::arg("price"),
      py::arg("tick_size"), py::arg("lot_size"), py::arg("opposite"),
      py::arg("fee_rate") = Real{0.0}, py::arg("funding") = py::none(),
      py::arg("time_unit_ns") = Real{1e9}, py::arg("start_ns") = I64{0},
      R"doc(Child orders for a schedule (the fields of the C++ PlanInput).

:param model: the AcParams (shares > 0 sells, < 0 buys).
:param holdings: N + 1 values X ... 0, e.g. optimal_schedule(model).holdings.
:param price: the mid, currency per base unit.
:param tick_size: currency per base unit per tick.
:param lot_size: base units per lot (X must be whole lots).
:param opposite: the book side the orders take from, best first: an integer
    array-like of shape (n, 2) or (n, 3) (price ticks, size lots[, orders]).
:param fee_rate: taker fee, fraction of notional, >= 0.
:param funding: per-interval funding rates (N), or None.
:param time_unit_ns: nanoseconds per model time unit.
:param start_ns: when the first child goes.
:raises InvalidArgumentError: naming the bad field.)doc");

  MakeEnum<an::BookRecovery>(
      m, "BookRecovery",
      "How the book recovers between children in estimate_shortfall: DEPLETING (one "
      "snapshot, what a child took is gone) or RESILIENT (every child sees the whole snapshot).",
      {{"DEPLETING", 0}, {"RESILIENT", 1}});

  py::class_<an::ChildFill> fill(m, "ChildFill", "One child's walk through the snapshot.");
  fill.def_property_readonly(
      "filled", [](const an::ChildFill& c) { return I64{c.filled.raw()}; }, "Lots filled.");
  fill.def_property_readonly(
      "unfilled", [](const an::ChildFill& c) { return I64{c.unfilled.raw()}; },
      "Lots the snapshot could not fill within the child's price.");
  ReadOnly(fill, "average_price", &an::ChildFill::average_price,
           "Currency per base unit; 0 if nothing filled.");
  ReadOnly(fill, "notional", &an::ChildFill::notional, "Currency.");
  ReadOnly(fill, "fees", &an::ChildFill::fees, "fee_rate * notional.");
  ReadOnly(fill, "shortfall", &an::ChildFill::shortfall,
           "Against the arrival price, fees included; positive is a cost.");
  Repr(fill, "ChildFill", {"filled", "unfilled", "average_price", "notional", "fees", "shortfall"});

  py::class_<an::ShortfallEstimate> est(m, "ShortfallEstimate",
                                        "What the children realize against a book snapshot.");
  ReadOnly(est, "fills", &an::ShortfallEstimate::fills, "One ChildFill per child, in order.");
  est.def_property_readonly(
      "filled", [](const an::ShortfallEstimate& e) { return I64{e.filled.raw()}; },
      "Lots filled in all.");
  est.def_property_readonly(
      "unfilled", [](const an::ShortfallEstimate& e) { return I64{e.unfilled.raw()}; },
      "Lots left unfilled in all (not priced).");
  ReadOnly(est, "average_price", &an::ShortfallEstimate::average_price,
           "Currency per base unit; 0 if nothing filled.");
  ReadOnly(est, "notional", &an::ShortfallEstimate::notional, "Currency, summed exactly.");
  ReadOnly(est, "fees", &an::ShortfallEstimate::fees, "fee_rate * notional.");
  ReadOnly(est, "shortfall", &an::ShortfallEstimate::shortfall,
           "Against the arrival price on the filled part, fees included.");
  ReadOnly(est, "shortfall_bp", &an::ShortfallEstimate::shortfall_bp,
           "shortfall / (arrival price * filled), basis points.");
  Repr(est, "ShortfallEstimate",
       {"filled", "unfilled", "average_price", "notional", "fees", "shortfall", "shortfall_bp"});

  m.def(
      "estimate_shortfall",
      [](const std::vector<an::ChildOrder>& children, Real arrival_price, Real tick_size,
         Real lot_size, const py::object& opposite, Real fee_rate, an::BookRecovery recovery) {
        const std::vector<bk::LevelView> book = Levels(opposite, "opposite");
        return ValueOrRaise(an::EstimateShortfall(an::ShortfallInput{
            .children = children, .arrival_price = arrival_price.value,
            .fee_rate = fee_rate.value, .tick_size = tick_size.value,
            .lot_size = lot_size.value, .opposite = book, .recovery = recovery}));
      },
      py::kw_only(), py::arg("children"), py::arg("arrival_price"), py::arg("tick_size"),
      py::arg("lot_size"), py::arg("opposite"), py::arg("fee_rate") = Real{0.0},
      py::arg("recovery") = an::BookRecovery::kDepleting,
      R"doc(Scores child orders against a book snapshot (execution_plan.hpp).

Each child walks the opposite side best first and stops at its price (the
limit, or a market child's protection price). The snapshot is a query, e.g.
Engine.depth(): nothing is mutated.

:param children: ChildOrder objects on one side (e.g. make_plan(...).children).
:param arrival_price: the benchmark price, currency per base unit.
:param tick_size: currency per base unit per tick.
:param lot_size: base units per lot.
:param opposite: the side the children take from, best first: an integer
    array-like of shape (n, 2) or (n, 3) (price ticks, size lots[, orders]).
:param fee_rate: taker fee, fraction of notional, >= 0.
:param recovery: BookRecovery.DEPLETING or RESILIENT.
:raises InvalidArgumentError: naming the bad field.)doc");
}

}  // namespace

void BindAnalytics(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "analytics",
      "Optimal execution (Almgren-Chriss and its perpetual-swap extension), its dynamic "
      "program, calibration from market data and child-order plans. Doubles; numpy float64 "
      "arrays in and out. Import it as perpcore.analytics.");
  BindAc(m);
  BindExt(m);
  BindDp(m);
  BindCalibration(m);
  BindPlan(m);
  // `import perpcore._perpcore.analytics` (and the stubs' module path) need
  // the submodule in sys.modules: the extension is not a package.
  py::module_::import("sys").attr("modules")[m.attr("__name__")] = m;
}

}  // namespace perpcore_py

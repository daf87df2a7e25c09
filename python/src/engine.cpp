// -----------------------------------------------------------------------------
// File: python/src/engine.cpp
// -----------------------------------------------------------------------------
//
// The engine half of `perpcore._perpcore`: EngineConfig, MarketParams and
// their parts, the Engine with one keyword-only method per command, the query
// views, and the bulk numpy path (place_orders, cancel_orders, depth_arrays).
//
// Commands: every command method applies one engine::Command. Its seq is
// last_seq + 1 unless `seq=` is given, and `timestamp_ns` is required: the
// engine never reads a clock. The answer is a Result whose `reason` is a
// Reason (refusals are values); every processed command consumes its seq,
// accepted or refused. A command the engine does not process (a seq gap or
// one already applied, time going back, a poisoned engine) raises the
// FramingError subclass that says why, and changes nothing.
//
// Bulk (numpy): every column is a 1-D numpy.ndarray of dtype int64 (flags:
// dtype bool). Nothing is cast: another dtype is a TypeError, another shape
// or mismatched lengths an InvalidArgumentError (a ValueError), and a value
// that can never be valid (a negative id, a side that is not 0 or 1) an
// InvalidArgumentError naming the column and the index, all before anything
// is applied. The columns are copied into C++ before the GIL is released;
// each order is then its own command (seq = last_seq + 1 for each), with the
// GIL released for the whole loop.
//
// Thread safety: each Engine has a mutex that every method takes, so Python
// threads may share an engine. A thread that finds it busy (a bulk call in
// another thread) waits with the GIL released.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "common.hpp"
#include "fmt/format.h"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"
#include "perpcore/engine/engine.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/funding/funding.hpp"
#include "perpcore/liquidation/liquidation.hpp"
#include "perpcore/oracle/oracle.hpp"
#include "perpcore/risk/margin.hpp"

namespace perpcore_py {
namespace {

namespace en = ::perpcore::engine;
namespace orc = ::perpcore::oracle;
namespace rk = ::perpcore::risk;
namespace fd = ::perpcore::funding;
namespace lq = ::perpcore::liquidation;

// -- the engine and its lock ---------------------------------------------------

struct PyEngine {
  explicit PyEngine(const en::EngineConfig& config) : eng(config) {}
  explicit PyEngine(const en::Engine& other) : eng(other) {}
  en::Engine eng;
  std::mutex mu;
};

// EngineLock
//
// Holds the engine's mutex. If another thread has it (a bulk call running
// without the GIL), waits with the GIL released so that thread can finish.
class EngineLock {
 public:
  explicit EngineLock(PyEngine& e) : mu_(e.mu) {
    if (!mu_.try_lock()) {
      py::gil_scoped_release release;
      mu_.lock();
    }
  }
  ~EngineLock() { mu_.unlock(); }
  EngineLock(const EngineLock&) = delete;
  EngineLock& operator=(const EngineLock&) = delete;

 private:
  std::mutex& mu_;
};

// RaiseFraming()
//
// A command Engine::Apply did not process: its framing status (or the
// poisoned engine) as the FramingError subclass that says why.
[[noreturn]] void RaiseFraming(const en::Engine& eng, const absl::Status& status) {
  PyObject* type = eng.poisoned()                       ? g_errors.poisoned
                   : absl::IsAlreadyExists(status)      ? g_errors.already_applied
                   : absl::IsOutOfRange(status)         ? g_errors.sequence_gap
                   : absl::IsFailedPrecondition(status) ? g_errors.time_went_back
                                                        : g_errors.framing;
  Raise(type, std::string(status.message()));
}

// -- decimals for tick and lot sizes -----------------------------------------------

// ToStep()
//
// An engine::Decimal (mantissa * 10**exponent) from a decimal.Decimal, a str
// (parsed by decimal.Decimal) or an int, exactly as written: Decimal("0.10")
// is {10, -2}, Decimal("0.1") is {1, -1}. float and bool raise TypeError;
// NaN and infinities InvalidArgumentError; a mantissa beyond int64 or an
// exponent beyond int32 OutOfRangeError. Range rules (mantissa >= 1,
// exponent -18..18) are the engine's: Reason.INVALID_MARKET_PARAMS.
en::Decimal ToStep(py::handle v, const char* field) {
  PyObject* obj = v.ptr();
  py::object d;
  if (PyBool_Check(obj) || PyFloat_Check(obj) || !(py::isinstance<py::str>(v) ||
                                                   py::isinstance(v, DecimalType()) ||
                                                   PyIndex_Check(obj))) {
    throw py::type_error(fmt::format("{} must be a decimal.Decimal, str or int, not {}", field,
                                     std::string(py::str(v.get_type().attr("__name__")))));
  }
  if (py::isinstance(v, DecimalType())) {
    d = py::reinterpret_borrow<py::object>(v);
  } else if (py::isinstance<py::str>(v)) {
    try {
      d = DecimalType()(v);
    } catch (py::error_already_set&) {
      Raise(g_errors.invalid_argument,
            fmt::format("{}: \"{}\" is not a decimal number", field, std::string(py::str(v))));
    }
  } else {
    d = DecimalType()(py::reinterpret_steal<py::object>(PyNumber_Index(obj)));
  }
  if (!d.attr("is_finite")().cast<bool>()) {
    Raise(g_errors.invalid_argument,
          fmt::format("{} must be finite, not {}", field, std::string(py::str(d))));
  }
  py::tuple t = d.attr("as_tuple")();
  const bool negative = t[0].cast<int>() != 0;
  py::tuple digits = t[1];
  std::string text;
  for (py::handle digit : digits) text.push_back(static_cast<char>('0' + digit.cast<int>()));
  py::int_ magnitude(py::reinterpret_steal<py::object>(PyLong_FromString(text.c_str(), nullptr, 10)));
  py::object mantissa = negative ? py::object(magnitude.attr("__neg__")()) : py::object(magnitude);
  en::Decimal out;
  if (!LoadInt<std::int64_t>(mantissa, &out.mantissa)) throw py::type_error("bad mantissa");
  int exponent = 0;
  if (!LoadInt<int>(t[2], &exponent)) throw py::type_error("bad exponent");
  out.exponent = exponent;
  return out;
}

// FromStep(): the exact decimal.Decimal of mantissa * 10**exponent.
py::object FromStep(const en::Decimal& d) {
  const bool negative = d.mantissa < 0;
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(d.mantissa)
                                           : static_cast<std::uint64_t>(d.mantissa);
  const std::string text = std::to_string(magnitude);
  py::tuple digits(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) digits[i] = py::int_(text[i] - '0');
  return DecimalType()(py::make_tuple(negative ? 1 : 0, digits, d.exponent));
}

// -- field helpers for the mutable config classes ------------------------------------

template <class C, class Tag>
void FixedField(py::class_<C>& cls, const char* name, pc::Fixed<Tag> C::*member, const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return I64{(c.*member).raw()}; },
      [member](C& c, I64 v) { c.*member = pc::Fixed<Tag>(v.value); }, doc);
}

// RateField(): a Rate read as decimal.Decimal in human units, set from a
// Decimal or str (ToRate: exact, floats and ints refused).
template <class C>
void RateField(py::class_<C>& cls, const char* name, pc::Rate C::*member, RateSign sign,
               const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return FromRate(c.*member); },
      [member, name, sign](C& c, const py::object& v) { c.*member = ToRate(v, name, sign); },
      doc);
}

// Rates()
//
// The Rates of a sequence of Decimal / str (not a str itself), each checked
// by ToRate as "<field>[i]".
std::vector<pc::Rate> Rates(const py::object& v, const char* field, RateSign sign) {
  if (py::isinstance<py::str>(v) || py::isinstance<py::bytes>(v) ||
      !py::isinstance<py::sequence>(v)) {
    throw py::type_error(fmt::format("{} must be a sequence of str or decimal.Decimal, not {}",
                                     field, TypeNameOf(v)));
  }
  std::vector<pc::Rate> out;
  const py::sequence seq = py::reinterpret_borrow<py::sequence>(v);
  out.reserve(seq.size());
  for (std::size_t i = 0; i < seq.size(); ++i) {
    out.push_back(ToRate(seq[i], fmt::format("{}[{}]", field, i), sign));
  }
  return out;
}

template <class C, class T>
void IntField(py::class_<C>& cls, const char* name, T C::*member, const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return Int<T>{c.*member}; },
      [member](C& c, Int<T> v) { c.*member = v.value; }, doc);
}

template <class T>
void NoHash(py::class_<T>& cls) {
  py::setattr(cls, "__hash__", py::none());
}

template <class T, class Eq>
void DefEq(py::class_<T>& cls, Eq eq) {
  cls.def(
      "__eq__",
      [eq](const T& a, const py::object& b) -> py::object {
        if (!py::isinstance<T>(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        return py::bool_(eq(a, b.cast<const T&>()));
      },
      py::arg("other"), "Field-wise equality.");
  NoHash(cls);
}

// -- enums ------------------------------------------------------------------------

void BindEngineEnums(py::module_& m) {
  MakeEnum<en::MarketStatus>(
      m, "MarketStatus",
      "ACTIVE: everything allowed. REDUCE_ONLY: only reduce-only orders. HALTED: only "
      "reduce-only orders (so positions can close), no amends, cancels allowed. DELISTED: as "
      "halted, and final, until Engine.settle_market() starts its final settlement: from then "
      "on no order of any kind (MarketStats.settlement). A tripped oracle "
      "circuit breaker makes an active market behave as reduce-only.",
      {{"ACTIVE", 0}, {"REDUCE_ONLY", 1}, {"HALTED", 2}, {"DELISTED", 3}});
  MakeEnum<en::SettlementPhase>(
      m, "SettlementPhase",
      "Where a delisted market is in its final settlement (Engine.settle_market()): NONE not "
      "started (every market that is not delisted); SETTLING its positions are being closed "
      "at the settlement price, a bounded number per command, and it takes no order of any "
      "kind; SETTLED every position closed, final.",
      {{"NONE", 0}, {"SETTLING", 1}, {"SETTLED", 2}});
  MakeEnum<en::MarginMode>(
      m, "MarginMode",
      "CROSS: the position shares the account's collateral. ISOLATED: it has its own margin "
      "bucket, topped up from cross collateral as the position grows.",
      {{"CROSS", 0}, {"ISOLATED", 1}});
  MakeEnum<en::WithdrawablePnl>(
      m, "WithdrawablePnl",
      "How much of a position's unrealized profit counts toward withdrawals, transfers out "
      "and isolated-margin removal (losses always count in full at the mark). "
      "CONSERVATIVE_PRICE (the default): the profit at the more conservative of mark and "
      "TWAP (a long at min(mark, twap), a short at max), none before the market has a TWAP. "
      "NONE: no unrealized profit counts.",
      {{"CONSERVATIVE_PRICE", 0}, {"NONE", 1}});
  MakeEnum<en::SelfTradeScope>(
      m, "SelfTradeScope",
      "Which orders an account's new orders never trade with. OWNER (the default): its own "
      "and those of its owner's other OWNER-scope accounts, so one owner's accounts cannot "
      "trade with each other. ACCOUNT: its own only.",
      {{"OWNER", 0}, {"ACCOUNT", 1}});
  MakeEnum<orc::BreakerCause>(
      m, "BreakerCause",
      "Which oracle guard tripped the circuit breaker: NONE, SOURCE_DEVIATION (a fresh "
      "source too far from the median) or TWAP_DEVIATION (the index too far from its TWAP).",
      {{"NONE", 0}, {"SOURCE_DEVIATION", 1}, {"TWAP_DEVIATION", 2}});
  MakeEnum<en::IsolatedMarginCause>(
      m, "IsolatedMarginCause",
      "Why cash moved between cross collateral and an isolated bucket: USER "
      "(adjust_isolated_margin), TOP_UP (a fill left the bucket short of its initial "
      "requirement), RELEASE (the position closed; the bucket went back to cross) or "
      "DEFICIT (a liquidation's cross deficit took what the bucket could spare).",
      {{"USER", 0}, {"TOP_UP", 1}, {"RELEASE", 2}, {"DEFICIT", 3}});
  MakeEnum<en::EventKind>(m, "EngineEventKind",
                          "The kind of an engine event: the value of its .kind, one per "
                          "event class (ORDER_RESTED is OrderRested, and so on).",
                          {{"ORDER_RESTED", 0},
                           {"FILL", 1},
                           {"ORDER_CANCELED", 2},
                           {"ORDER_REDUCED", 3},
                           {"ORDER_AMENDED", 4},
                           {"DEPOSIT", 5},
                           {"WITHDRAWAL", 6},
                           {"TRANSFER", 7},
                           {"ACCOUNT_CREATED", 8},
                           {"MARKET_CREATED", 9},
                           {"MARKET_UPDATED", 10},
                           {"MARKET_STATUS_CHANGED", 11},
                           {"PRICE_UPDATE", 12},
                           {"CIRCUIT_BREAKER", 13},
                           {"MARGIN_MODE_SET", 14},
                           {"LEVERAGE_SET", 15},
                           {"ISOLATED_MARGIN_CHANGED", 16},
                           {"FEE_TIER_SET", 17},
                           {"INSURANCE_FUNDED", 18},
                           {"SELF_TRADE_SCOPE_SET", 19},
                           {"SOURCE_RETIRED", 20},
                           {"FUNDING_RATE_SET", 21},
                           {"FUNDING_SETTLED", 22},
                           {"FUNDING_RESIDUAL", 23},
                           {"LIQUIDATION", 24},
                           {"INSURANCE_COVER", 25},
                           {"SHORTFALL", 26},
                           {"MARGIN_WARNING", 27},
                           {"POSITION_SETTLED", 28},
                           {"MARKET_SETTLED", 29},
                           {"BACKSTOP_TAKEOVER", 30},
                           {"DELEVERAGED", 31}});
  MakeEnum<lq::Health>(
      m, "Health",
      "An account's (or isolated bucket's) health at the mark "
      "(perpcore/liquidation/liquidation.hpp): BANKRUPT equity < 0; LIQUIDATABLE equity < "
      "maintenance (equal is not); WARNING equity at or below the warning margin, each "
      "position's maintenance over its market's LiquidationParams.warning_threshold (for one "
      "position: the margin ratio maintenance / equity has reached it); HEALTHY otherwise.",
      {{"HEALTHY", 0}, {"WARNING", 1}, {"LIQUIDATABLE", 2}, {"BANKRUPT", 3}});
  MakeEnum<lq::LossPolicy>(
      m, "LossPolicy",
      "What closes a bankrupt position whose loss the insurance fund cannot cover "
      "(LiquidationParams.loss_policy; perpcore/engine/engine.hpp, \"Auto-deleveraging\"). "
      "ADL (the default; dYdX, Binance, Hyperliquid): the positions on the other side, in "
      "the market's ADL ranking (Engine.adl_rank()), are closed against it at its bankruptcy "
      "price (Deleveraged events). NONE: nothing; the book closes what it can and the "
      "shortfall keeps what the fund could not cover.",
      {{"ADL", 0}, {"NONE", 1}});
  MakeEnum<fd::FundingModel>(
      m, "FundingModel",
      "How a market's funding rate is formed (perpcore/funding/funding.hpp). NONE: no "
      "funding. PREMIUM (the default): dYdX v4 / Hyperliquid / Binance, the interval's "
      "average premium of the impact prices over the index plus the clamped interest "
      "term, capped. SKEW_LINEAR: PerpX, skew_kappa * skew. SKEW_POWER: GMX v2, "
      "skew_factor * |skew|**skew_exponent. SKEW_ADAPTIVE: GMX v2.1, a rate that ramps "
      "while the skew persists and decays when it fades. The skew models need a "
      "counterparty account.",
      {{"NONE", 0}, {"PREMIUM", 1}, {"SKEW_LINEAR", 2}, {"SKEW_POWER", 3}, {"SKEW_ADAPTIVE", 4}});
  MakeEnum<fd::FundingPayment>(
      m, "FundingPayment",
      "INTERVAL_END (the default): the rate is paid for the whole interval at its end. "
      "CONTINUOUS: the rate accrues every second (the premium model: the last closed "
      "interval's rate through the next).",
      {{"INTERVAL_END", 0}, {"CONTINUOUS", 1}});
  MakeEnum<fd::FundingPrice>(
      m, "FundingPrice",
      "The price funding is paid at: INDEX (the default, Hyperliquid) or MARK (Binance).",
      {{"INDEX", 0}, {"MARK", 1}});
  MakeEnum<fd::PremiumWeighting>(
      m, "PremiumWeighting",
      "How the premium samples of an interval average: EQUAL (the default) or "
      "TIME_WEIGHTED (the sample of the i-th cadence slot weighs i, as Binance weighs its "
      "minutes).",
      {{"EQUAL", 0}, {"TIME_WEIGHTED", 1}});
  MakeEnum<fd::CapMode>(
      m, "CapMode",
      "The premium model's clamp: FIXED (the default, [floor, cap]) or MARGIN_MULTIPLE "
      "(+-cap_multiple * (initial - maintenance margin fraction of the first tier), dYdX's "
      "clamp factor).",
      {{"FIXED", 0}, {"MARGIN_MULTIPLE", 1}});
}

// -- configuration ------------------------------------------------------------------

void BindConfig(py::module_& m) {
  // MarginTier: immutable, so a tier inside MarketParams.tiers (a tuple of
  // copies) cannot be edited in place by mistake.
  py::class_<rk::MarginTier> tier(
      m, "MarginTier",
      "One notional bracket of a market's margin table (immutable). From notional_floor "
      "(quote atoms, inclusive) up to the next tier's floor, leverage is capped at "
      "max_leverage and the maintenance rate is maintenance_rate (a fraction: "
      "Decimal('0.005') is 0.5%).");
  tier.def(py::init([](I64 notional_floor, U32 max_leverage, const py::object& maintenance_rate) {
             return rk::MarginTier{
                 pc::Quote(notional_floor.value), max_leverage.value,
                 ToRate(maintenance_rate, "maintenance_rate", RateSign::kNonNegative)};
           }),
           py::kw_only(), py::arg("notional_floor"), py::arg("max_leverage"),
           py::arg("maintenance_rate"),
           "A tier. The first tier's floor must be 0; floors increase, max_leverage (1..150) "
           "never increases and maintenance_rate (> 0, below 1/max_leverage; a str or "
           "decimal.Decimal such as \"0.005\" for 0.5%, exact to 1e-18) never decreases from "
           "one tier to the next.")
      .def_property_readonly(
          "notional_floor", [](const rk::MarginTier& t) { return I64{t.notional_floor.raw()}; },
          "Where the tier starts, in quote atoms of notional.")
      .def_property_readonly(
          "max_leverage", [](const rk::MarginTier& t) { return U32{t.max_leverage}; },
          "The highest leverage in this tier; the initial rate is at least 1/max_leverage.")
      .def_property_readonly(
          "maintenance_rate",
          [](const rk::MarginTier& t) { return FromRate(t.maintenance_rate); },
          "The maintenance margin rate as a decimal.Decimal fraction (0.005 is 0.5%).")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "MarginTier", {"notional_floor", "max_leverage", "maintenance_rate"});
      });
  DefEq(tier, [](const rk::MarginTier& a, const rk::MarginTier& b) { return a == b; });

  const orc::OracleConfig od{};
  py::class_<orc::OracleConfig> oracle(
      m, "OracleConfig",
      "How a market's index, TWAP, circuit breaker and mark price are formed from its oracle "
      "sources. Times in ns; deviations as decimal.Decimal fractions (set from a Decimal or "
      "str: \"0.01\" is 1%; 0 disables the guard).");
  oracle
      .def(py::init([](I64 staleness_ns, U32 min_sources, const py::object& max_source_deviation,
                       const py::object& max_twap_deviation, I64 twap_window_ns,
                       I64 basis_window_ns, I64 impact_notional, const py::object& mark_cap,
                       I64 max_mark_age_ns) {
             orc::OracleConfig c;
             c.staleness = pc::TimeNs(staleness_ns.value);
             c.min_sources = min_sources.value;
             c.max_source_deviation =
                 ToRate(max_source_deviation, "max_source_deviation", RateSign::kNonNegative);
             c.max_twap_deviation =
                 ToRate(max_twap_deviation, "max_twap_deviation", RateSign::kNonNegative);
             c.twap_window = pc::TimeNs(twap_window_ns.value);
             c.basis_window = pc::TimeNs(basis_window_ns.value);
             c.impact_notional = impact_notional.value;
             c.mark_cap = ToRate(mark_cap, "mark_cap", RateSign::kNonNegative);
             c.max_mark_age = pc::TimeNs(max_mark_age_ns.value);
             return c;
           }),
           py::kw_only(), py::arg("staleness_ns") = I64{od.staleness.raw()},
           py::arg("min_sources") = U32{od.min_sources},
           py::arg("max_source_deviation") = FromRate(od.max_source_deviation),
           py::arg("max_twap_deviation") = FromRate(od.max_twap_deviation),
           py::arg("twap_window_ns") = I64{od.twap_window.raw()},
           py::arg("basis_window_ns") = I64{od.basis_window.raw()},
           py::arg("impact_notional") = I64{od.impact_notional},
           py::arg("mark_cap") = FromRate(od.mark_cap),
           py::arg("max_mark_age_ns") = I64{od.max_mark_age.raw()},
           "An oracle configuration; the defaults are the C++ defaults (60 s staleness, one "
           "source, sources agreeing within 1%, no TWAP guard, 30 min TWAP, 5 min basis "
           "window, 1e10 atoms impact notional, 2% mark cap, 60 s mark age).");
  FixedField(oracle, "staleness_ns", &orc::OracleConfig::staleness,
             "A source price older than this (ns) no longer counts; > 0.");
  IntField(oracle, "min_sources", &orc::OracleConfig::min_sources,
           "Fresh sources needed for an index, 1..16.");
  RateField(oracle, "max_source_deviation", &orc::OracleConfig::max_source_deviation,
            RateSign::kNonNegative,
            "Quorum and breaker: the index needs a strict majority of the fresh sources within "
            "this distance of their median; a source beyond it trips the breaker. A "
            "decimal.Decimal fraction (\"0.01\" is 1%); 0 disables the breaker guard and makes "
            "the quorum need equal prices; > 0 when min_sources >= 2.");
  RateField(oracle, "max_twap_deviation", &orc::OracleConfig::max_twap_deviation,
            RateSign::kNonNegative,
            "Breaker: largest allowed distance of the index from its TWAP, as a decimal.Decimal "
            "fraction; 0 disables.");
  FixedField(oracle, "twap_window_ns", &orc::OracleConfig::twap_window,
             "The TWAP window in ns (at least 60 ns).");
  FixedField(oracle, "basis_window_ns", &orc::OracleConfig::basis_window,
             "The mark price's basis window in ns (at least 60 ns).");
  IntField(oracle, "impact_notional", &orc::OracleConfig::impact_notional,
           "Quote atoms (>= 1): the book enters the mark only as the average price of filling "
           "this much against each side (the impact bid and ask).");
  RateField(oracle, "mark_cap", &orc::OracleConfig::mark_cap, RateSign::kNonNegative,
            "The mark stays within the index +- this decimal.Decimal fraction, in [0, 1) (0: "
            "the mark is the index).");
  FixedField(oracle, "max_mark_age_ns", &orc::OracleConfig::max_mark_age,
             "The index is unusable once its mark is older than this (ns, > 0) without a "
             "refresh (a price or a time tick).");
  oracle.def("__repr__", [](const py::object& self) {
    return FieldRepr(self, "OracleConfig",
                     {"staleness_ns", "min_sources", "max_source_deviation",
                      "max_twap_deviation", "twap_window_ns", "basis_window_ns",
                      "impact_notional", "mark_cap", "max_mark_age_ns"});
  });
  DefEq(oracle, [](const orc::OracleConfig& a, const orc::OracleConfig& b) { return a == b; });

  const fd::FundingParams fdd{};
  py::class_<fd::FundingParams> funding(
      m, "FundingParams",
      R"doc(A market's funding (perpcore/funding/funding.hpp has the models, units,
rounding and every bound). Rates are fractions per period in human units, set
from a decimal.Decimal or a str ("0.0001" is 0.01%) and read back as
decimal.Decimal, exactly like MarketParams' rates; ramp_up and decay are per
period per second. Durations are int nanoseconds. A field out of range is
refused by create_market() / update_market() with its Reason.FUNDING_*;
fields of the models not in use are checked too. The defaults are the C++
defaults: the premium model paid at 8-hour interval ends at the index, a
sample a minute, equally weighted, a 1e10-atom impact notional, 0.01%
interest within a 0.05% band, a fixed cap of +-0.75%.)doc");
  funding
      .def(py::init([](fd::FundingModel model, fd::FundingPayment payment, fd::FundingPrice price,
                       I64 interval_ns, I64 period_ns, I64 sample_cadence_ns,
                       fd::PremiumWeighting weighting, I64 impact_notional,
                       const py::object& interest, const py::object& interest_band,
                       fd::CapMode cap_mode, const py::object& cap, const py::object& floor,
                       const py::object& cap_multiple, U64 counterparty,
                       const py::object& skew_kappa, const py::object& skew_factor,
                       const py::object& skew_exponent, const py::object& skew_max,
                       const py::object& ramp_up, const py::object& decay,
                       const py::object& stable_threshold, const py::object& decay_threshold) {
             fd::FundingParams f;
             f.model = model;
             f.payment = payment;
             f.price = price;
             f.interval = pc::TimeNs(interval_ns.value);
             f.period = pc::TimeNs(period_ns.value);
             f.sample_cadence = pc::TimeNs(sample_cadence_ns.value);
             f.weighting = weighting;
             f.impact_notional = impact_notional.value;
             f.interest = ToRate(interest, "interest", RateSign::kAny);
             f.interest_band = ToRate(interest_band, "interest_band", RateSign::kNonNegative);
             f.cap_mode = cap_mode;
             f.cap = ToRate(cap, "cap", RateSign::kAny);
             f.floor = ToRate(floor, "floor", RateSign::kAny);
             f.cap_multiple = ToRate(cap_multiple, "cap_multiple", RateSign::kNonNegative);
             f.counterparty = counterparty.value;
             f.skew_kappa = ToRate(skew_kappa, "skew_kappa", RateSign::kNonNegative);
             f.skew_factor = ToRate(skew_factor, "skew_factor", RateSign::kNonNegative);
             f.skew_exponent = ToRate(skew_exponent, "skew_exponent", RateSign::kNonNegative);
             f.skew_max = ToRate(skew_max, "skew_max", RateSign::kNonNegative);
             f.ramp_up = ToRate(ramp_up, "ramp_up", RateSign::kNonNegative);
             f.decay = ToRate(decay, "decay", RateSign::kNonNegative);
             f.stable_threshold =
                 ToRate(stable_threshold, "stable_threshold", RateSign::kNonNegative);
             f.decay_threshold = ToRate(decay_threshold, "decay_threshold", RateSign::kNonNegative);
             return f;
           }),
           py::kw_only(), py::arg("model") = fdd.model, py::arg("payment") = fdd.payment,
           py::arg("price") = fdd.price, py::arg("interval_ns") = I64{fdd.interval.raw()},
           py::arg("period_ns") = I64{fdd.period.raw()},
           py::arg("sample_cadence_ns") = I64{fdd.sample_cadence.raw()},
           py::arg("weighting") = fdd.weighting,
           py::arg("impact_notional") = I64{fdd.impact_notional},
           py::arg("interest") = FromRate(fdd.interest),
           py::arg("interest_band") = FromRate(fdd.interest_band),
           py::arg("cap_mode") = fdd.cap_mode, py::arg("cap") = FromRate(fdd.cap),
           py::arg("floor") = FromRate(fdd.floor),
           py::arg("cap_multiple") = FromRate(fdd.cap_multiple),
           py::arg("counterparty") = U64{fdd.counterparty},
           py::arg("skew_kappa") = FromRate(fdd.skew_kappa),
           py::arg("skew_factor") = FromRate(fdd.skew_factor),
           py::arg("skew_exponent") = FromRate(fdd.skew_exponent),
           py::arg("skew_max") = FromRate(fdd.skew_max),
           py::arg("ramp_up") = FromRate(fdd.ramp_up), py::arg("decay") = FromRate(fdd.decay),
           py::arg("stable_threshold") = FromRate(fdd.stable_threshold),
           py::arg("decay_threshold") = FromRate(fdd.decay_threshold),
           "Funding parameters; every default is the C++ default (FundingParams{}).");
  funding.def_readwrite("model", &fd::FundingParams::model, "The FundingModel.")
      .def_readwrite("payment", &fd::FundingParams::payment, "The FundingPayment.")
      .def_readwrite("price", &fd::FundingParams::price, "The FundingPrice paid at.");
  FixedField(funding, "interval_ns", &fd::FundingParams::interval,
             "Funding intervals, ns (1 s .. 7 days), aligned to its multiples since time 0.");
  FixedField(funding, "period_ns", &fd::FundingParams::period,
             "The period the rates are per, ns (1 s .. 7 days): an interval of length T pays "
             "rate * T / period.");
  FixedField(funding, "sample_cadence_ns", &fd::FundingParams::sample_cadence,
             "Premium model: at most one sample per slot of this length, ns (> 0, divides "
             "interval_ns, at most 2**20 slots per interval).");
  funding.def_readwrite("weighting", &fd::FundingParams::weighting,
                        "Premium model: the PremiumWeighting of its samples.");
  IntField(funding, "impact_notional", &fd::FundingParams::impact_notional,
           "Premium model: quote atoms (>= 1) the impact bid and ask are priced at.");
  RateField(funding, "interest", &fd::FundingParams::interest, RateSign::kAny,
            "Premium model: the interest rate per period, |.| <= 1 (\"0.0001\" is 0.01%).");
  RateField(funding, "interest_band", &fd::FundingParams::interest_band, RateSign::kNonNegative,
            "Premium model: interest - premium is clamped to +- this, in [0, 1].");
  funding.def_readwrite("cap_mode", &fd::FundingParams::cap_mode,
                        "Premium model: the CapMode of its clamp.");
  RateField(funding, "cap", &fd::FundingParams::cap, RateSign::kAny,
            "CapMode.FIXED: the highest rate per period; floor <= cap, |.| <= 1.");
  RateField(funding, "floor", &fd::FundingParams::floor, RateSign::kAny,
            "CapMode.FIXED: the lowest rate per period, |.| <= 1.");
  RateField(funding, "cap_multiple", &fd::FundingParams::cap_multiple, RateSign::kNonNegative,
            "CapMode.MARGIN_MULTIPLE: the rate stays within +- this times the first tier's "
            "initial - maintenance margin fraction, in (0, 9.2].");
  IntField(funding, "counterparty", &fd::FundingParams::counterparty,
           "Skew models: the account taking the other side of traders (its position is left "
           "out of the skew); required (!= 0) by them.");
  RateField(funding, "skew_kappa", &fd::FundingParams::skew_kappa, RateSign::kNonNegative,
            "SKEW_LINEAR: rate = skew_kappa * skew, in [0, 1000].");
  RateField(funding, "skew_factor", &fd::FundingParams::skew_factor, RateSign::kNonNegative,
            "SKEW_POWER: rate = skew_factor * |skew|**skew_exponent, in [0, 1].");
  RateField(funding, "skew_exponent", &fd::FundingParams::skew_exponent, RateSign::kNonNegative,
            "SKEW_POWER and SKEW_ADAPTIVE: the exponent, in [1, 3].");
  RateField(funding, "skew_max", &fd::FundingParams::skew_max, RateSign::kNonNegative,
            "Every skew model: |rate| <= skew_max, in (0, 1].");
  RateField(funding, "ramp_up", &fd::FundingParams::ramp_up, RateSign::kNonNegative,
            "SKEW_ADAPTIVE: growth per period per second at full skew, in [0, 1].");
  RateField(funding, "decay", &fd::FundingParams::decay, RateSign::kNonNegative,
            "SKEW_ADAPTIVE: decay toward 0 per period per second, in [0, 1].");
  RateField(funding, "stable_threshold", &fd::FundingParams::stable_threshold,
            RateSign::kNonNegative,
            "SKEW_ADAPTIVE: the rate grows only while |skew| is above this, in [0, 1].");
  RateField(funding, "decay_threshold", &fd::FundingParams::decay_threshold,
            RateSign::kNonNegative,
            "SKEW_ADAPTIVE: the rate decays while |skew| is below this, in [0, "
            "stable_threshold].");
  funding.def("__repr__", [](const py::object& self) {
    return FieldRepr(self, "FundingParams",
                     {"model", "payment", "price", "interval_ns", "period_ns",
                      "sample_cadence_ns", "weighting", "impact_notional", "interest",
                      "interest_band", "cap_mode", "cap", "floor", "cap_multiple",
                      "counterparty", "skew_kappa", "skew_factor", "skew_exponent", "skew_max",
                      "ramp_up", "decay", "stable_threshold", "decay_threshold"});
  });
  DefEq(funding, [](const fd::FundingParams& a, const fd::FundingParams& b) { return a == b; });

  const lq::LiquidationParams ld{};
  py::class_<lq::LiquidationParams> liquidation(
      m, "LiquidationParams",
      R"doc(A market's liquidation (perpcore/liquidation/liquidation.hpp has the rules
and every bound; perpcore/engine/engine.hpp, "Liquidation", how the engine
uses them). Rates are fractions in human units, set from a decimal.Decimal
or a str ("0.015" is 1.5%) and read back as decimal.Decimal, like
MarketParams' rates; amounts are int quote atoms, cooldown_ns int
nanoseconds. A field out of range is refused by create_market() /
update_market() with its Reason.LIQUIDATION_INVALID_*. The defaults are the
C++ defaults: a warning at a margin ratio of 80%, a fee of 1.5% of the
closed notional of which the keeper gets 5%, a partial close to maintenance
* 1.1, positions above 1e11 atoms of notional closed 20% at a time with a
30 s cooldown, bankruptcy adjustment 1, spread to maintenance 1.5, at most
1e11 atoms of notional per command; no backstop (engine.hpp, "Backstop
takeover"), threshold 2/3; loss policy LossPolicy.ADL (engine.hpp,
"Auto-deleveraging").)doc");
  liquidation
      .def(py::init([](const py::object& warning_threshold, const py::object& fee,
                       const py::object& keeper_share, const py::object& buffer,
                       I64 chunk_threshold, const py::object& chunk_fraction, I64 cooldown_ns,
                       const py::object& bankruptcy_adjustment,
                       const py::object& spread_to_maintenance, I64 max_notional_per_command,
                       U64 backstop, const py::object& backstop_threshold,
                       lq::LossPolicy loss_policy) {
             lq::LiquidationParams l;
             l.warning_threshold =
                 ToRate(warning_threshold, "warning_threshold", RateSign::kNonNegative);
             l.fee = ToRate(fee, "fee", RateSign::kNonNegative);
             l.keeper_share = ToRate(keeper_share, "keeper_share", RateSign::kNonNegative);
             l.buffer = ToRate(buffer, "buffer", RateSign::kNonNegative);
             l.chunk_threshold = chunk_threshold.value;
             l.chunk_fraction = ToRate(chunk_fraction, "chunk_fraction", RateSign::kNonNegative);
             l.cooldown = pc::TimeNs(cooldown_ns.value);
             l.bankruptcy_adjustment =
                 ToRate(bankruptcy_adjustment, "bankruptcy_adjustment", RateSign::kNonNegative);
             l.spread_to_maintenance =
                 ToRate(spread_to_maintenance, "spread_to_maintenance", RateSign::kNonNegative);
             l.max_notional_per_command = max_notional_per_command.value;
             l.backstop = backstop.value;
             l.backstop_threshold =
                 ToRate(backstop_threshold, "backstop_threshold", RateSign::kNonNegative);
             l.loss_policy = loss_policy;
             return l;
           }),
           py::kw_only(), py::arg("warning_threshold") = FromRate(ld.warning_threshold),
           py::arg("fee") = FromRate(ld.fee), py::arg("keeper_share") = FromRate(ld.keeper_share),
           py::arg("buffer") = FromRate(ld.buffer),
           py::arg("chunk_threshold") = I64{ld.chunk_threshold},
           py::arg("chunk_fraction") = FromRate(ld.chunk_fraction),
           py::arg("cooldown_ns") = I64{ld.cooldown.raw()},
           py::arg("bankruptcy_adjustment") = FromRate(ld.bankruptcy_adjustment),
           py::arg("spread_to_maintenance") = FromRate(ld.spread_to_maintenance),
           py::arg("max_notional_per_command") = I64{ld.max_notional_per_command},
           py::arg("backstop") = U64{ld.backstop},
           py::arg("backstop_threshold") = FromRate(ld.backstop_threshold),
           py::arg("loss_policy") = ld.loss_policy,
           "Liquidation parameters; every default is the C++ default (LiquidationParams{}).");
  RateField(liquidation, "warning_threshold", &lq::LiquidationParams::warning_threshold,
            RateSign::kNonNegative,
            "Health.WARNING from this margin ratio (maintenance / equity) on, in (0, 1).");
  RateField(liquidation, "fee", &lq::LiquidationParams::fee, RateSign::kNonNegative,
            "The liquidation fee, a fraction of the closed notional in [0, 1] (rounded up), "
            "capped by what the liquidated bucket has left above zero.");
  RateField(liquidation, "keeper_share", &lq::LiquidationParams::keeper_share,
            RateSign::kNonNegative,
            "The keeper's part of the fee, in [0, 1] (rounded down); the rest goes to the "
            "insurance fund.");
  RateField(liquidation, "buffer", &lq::LiquidationParams::buffer, RateSign::kNonNegative,
            "A partial liquidation closes the fewest lots that bring equity to >= maintenance "
            "* (1 + buffer), in [0, 1].");
  IntField(liquidation, "chunk_threshold", &lq::LiquidationParams::chunk_threshold,
           "Quote atoms (>= 0) of notional above which a position closes in chunks (0: every "
           "position).");
  RateField(liquidation, "chunk_fraction", &lq::LiquidationParams::chunk_fraction,
            RateSign::kNonNegative,
            "The part of a chunked position one liquidation closes, in (0, 1] (1: no "
            "chunking).");
  FixedField(liquidation, "cooldown_ns", &lq::LiquidationParams::cooldown,
             "Within this many ns (0 .. 1 day) of a position's last partial liquidation the "
             "whole of it may close.");
  RateField(liquidation, "bankruptcy_adjustment", &lq::LiquidationParams::bankruptcy_adjustment,
            RateSign::kNonNegative,
            "dYdX's bankruptcy adjustment of the fillable price, >= 1.");
  RateField(liquidation, "spread_to_maintenance",
            &lq::LiquidationParams::spread_to_maintenance, RateSign::kNonNegative,
            "dYdX's spread-to-maintenance ratio of the fillable price, > 0.");
  IntField(liquidation, "max_notional_per_command",
           &lq::LiquidationParams::max_notional_per_command,
           "Quote atoms (>= 1) of notional one liquidation closes at most.");
  IntField(liquidation, "backstop", &lq::LiquidationParams::backstop,
           "The account that takes over liquidated positions in the market at the mark "
           "with the target's equity share (Hyperliquid's liquidator vault; "
           "perpcore/engine/engine.hpp, \"Backstop takeover\"); 0: none. It need not exist "
           "when the market is created; a missing one is passed over.");
  RateField(liquidation, "backstop_threshold", &lq::LiquidationParams::backstop_threshold,
            RateSign::kNonNegative,
            "Below this fraction of maintenance (equity < backstop_threshold * maintenance) "
            "the backstop, if it can, takes the whole position without trying the book; in "
            "[0, 1] (default 2/3, Hyperliquid; 0: only a bankrupt target, and what the book "
            "cannot absorb).");
  liquidation.def_readwrite("loss_policy", &lq::LiquidationParams::loss_policy,
                            "The LossPolicy: ADL (the default) deleverages the other side's "
                            "ranked positions when the insurance fund cannot cover a bankrupt "
                            "target; NONE leaves the loss to the shortfall.");
  liquidation.def("__repr__", [](const py::object& self) {
    return FieldRepr(self, "LiquidationParams",
                     {"warning_threshold", "fee", "keeper_share", "buffer", "chunk_threshold",
                      "chunk_fraction", "cooldown_ns", "bankruptcy_adjustment",
                      "spread_to_maintenance", "max_notional_per_command", "backstop",
                      "backstop_threshold", "loss_policy"});
  });
  DefEq(liquidation,
        [](const lq::LiquidationParams& a, const lq::LiquidationParams& b) { return a == b; });

  const en::MarketParams pd{};
  py::class_<en::MarketParams> params(
      m, "MarketParams",
      R"doc(The parameters of one market. Prices are ticks of tick_size quote units, sizes
lots of lot_size base units, money quote atoms.

tick_size and lot_size are exact decimals: assign a decimal.Decimal, a str or
an int (never a float); they read back as decimal.Decimal, exactly as given
("0.10" stays 0.10).

Rates (price_band, maker_fee, taker_fee, the tiers' maintenance_rate, the
oracle's deviations) are fractions in human units: a decimal.Decimal or a str
("0.0005" is 5 bp, "0.1" is 10%), exact to 1e-18 or refused. A float or an int
raises TypeError (an int is ambiguous: pass format_rate(n) for a raw count of
1e-18); more than 18 decimals, NaN, garbage text or a negative value (except a
maker_fee rebate) raise InvalidArgumentError. They read back as
decimal.Decimal. tick_size * lot_size * 10**quote_decimals must be a whole
number of quote atoms (atoms_per_tick_lot). Engine.validate_market() names the
first field out of range; create_market() answers Reason.INVALID_MARKET_PARAMS.
max_open_interest * max_price * atoms_per_tick_lot must be <= 2**54, and so
must max_market_open_interest (0: the largest that is) times the same.)doc");
  params
      .def(py::init([](const std::string& symbol, const py::object& tick_size,
                       const py::object& lot_size, I64 max_order_size, I64 max_open_interest,
                       I64 max_price, const py::object& price_band, U32 max_leverage,
                       const std::vector<rk::MarginTier>& tiers, const py::object& maker_fee,
                       const py::object& taker_fee,
                       const orc::OracleConfig& oracle_config, U32 max_orders_per_account,
                       U32 max_levels_per_side, U32 max_book_orders,
                       en::WithdrawablePnl withdrawable_pnl, const py::object& stress_fraction,
                       I64 max_market_open_interest, U32 max_matches_per_order,
                       const fd::FundingParams& funding_params,
                       const lq::LiquidationParams& liquidation_params) {
             en::MarketParams p;
             p.symbol = symbol;
             p.tick_size = ToStep(tick_size, "tick_size");
             p.lot_size = ToStep(lot_size, "lot_size");
             p.max_order_size = pc::Lots(max_order_size.value);
             p.max_open_interest = pc::Lots(max_open_interest.value);
             p.max_price = pc::Ticks(max_price.value);
             p.price_band = ToRate(price_band, "price_band", RateSign::kNonNegative);
             p.max_leverage = max_leverage.value;
             p.tiers = tiers;
             p.maker_fee = ToRate(maker_fee, "maker_fee", RateSign::kAny);
             p.taker_fee = ToRate(taker_fee, "taker_fee", RateSign::kNonNegative);
             p.oracle = oracle_config;
             p.max_orders_per_account = max_orders_per_account.value;
             p.max_levels_per_side = max_levels_per_side.value;
             p.max_book_orders = max_book_orders.value;
             p.withdrawable_pnl = withdrawable_pnl;
             p.stress_fraction = ToRate(stress_fraction, "stress_fraction", RateSign::kNonNegative);
             p.max_market_open_interest = pc::Lots(max_market_open_interest.value);
             p.max_matches_per_order = max_matches_per_order.value;
             p.funding = funding_params;
             p.liquidation = liquidation_params;
             return p;
           }),
           py::kw_only(), py::arg("symbol") = pd.symbol,
           py::arg("tick_size") = FromStep(pd.tick_size),
           py::arg("lot_size") = FromStep(pd.lot_size),
           py::arg("max_order_size") = I64{pd.max_order_size.raw()},
           py::arg("max_open_interest") = I64{pd.max_open_interest.raw()},
           py::arg("max_price") = I64{pd.max_price.raw()},
           py::arg("price_band") = FromRate(pd.price_band),
           py::arg("max_leverage") = U32{pd.max_leverage}, py::arg("tiers") = pd.tiers,
           py::arg("maker_fee") = FromRate(pd.maker_fee),
           py::arg("taker_fee") = FromRate(pd.taker_fee), py::arg("oracle") = pd.oracle,
           py::arg("max_orders_per_account") = U32{pd.max_orders_per_account},
           py::arg("max_levels_per_side") = U32{pd.max_levels_per_side},
           py::arg("max_book_orders") = U32{pd.max_book_orders},
           py::arg("withdrawable_pnl") = pd.withdrawable_pnl,
           py::arg("stress_fraction") = FromRate(pd.stress_fraction),
           py::arg("max_market_open_interest") = I64{pd.max_market_open_interest.raw()},
           py::arg("max_matches_per_order") = U32{pd.max_matches_per_order},
           py::arg("funding") = pd.funding, py::arg("liquidation") = pd.liquidation,
           "Market parameters; every default is the C++ default (MarketParams{}).")
      .def_property(
          "symbol", [](const en::MarketParams& p) { return p.symbol; },
          [](en::MarketParams& p, const std::string& s) { p.symbol = s; },
          "1..24 characters of [A-Za-z0-9-_/.].")
      .def_property(
          "tick_size", [](const en::MarketParams& p) { return FromStep(p.tick_size); },
          [](en::MarketParams& p, const py::object& v) { p.tick_size = ToStep(v, "tick_size"); },
          "Quote units per base unit in one tick, as decimal.Decimal (set from Decimal, str or "
          "int). Cannot change after creation.")
      .def_property(
          "lot_size", [](const en::MarketParams& p) { return FromStep(p.lot_size); },
          [](en::MarketParams& p, const py::object& v) { p.lot_size = ToStep(v, "lot_size"); },
          "Base units in one lot, as decimal.Decimal (set from Decimal, str or int). Cannot "
          "change after creation.");
  FixedField(params, "max_order_size", &en::MarketParams::max_order_size,
             "The largest order, in lots (>= 1).");
  FixedField(params, "max_open_interest", &en::MarketParams::max_open_interest,
             "The largest worst-case position of one account, in lots.");
  FixedField(params, "max_price", &en::MarketParams::max_price,
             "The highest order or oracle price, in ticks.");
  RateField(params, "price_band", &en::MarketParams::price_band, RateSign::kNonNegative,
            "Orders must be within this fraction of the index (a decimal.Decimal in [0, 1): "
            "\"0.05\" is 5%); 0: no band.");
  IntField(params, "max_leverage", &en::MarketParams::max_leverage,
           "The highest leverage an account may choose, 1..the first tier's max_leverage.");
  params.def_property(
      "tiers",
      [](const en::MarketParams& p) {
        py::tuple out(p.tiers.size());
        for (std::size_t i = 0; i < p.tiers.size(); ++i) out[i] = py::cast(p.tiers[i]);
        return out;
      },
      [](en::MarketParams& p, const std::vector<rk::MarginTier>& tiers) { p.tiers = tiers; },
      "The margin tiers, lowest notional first, as a tuple of MarginTier (assign a sequence).");
  RateField(params, "maker_fee", &en::MarketParams::maker_fee, RateSign::kAny,
            "Maker fee as a decimal.Decimal fraction (\"0.0001\" is 1 bp); negative is a "
            "rebate.");
  RateField(params, "taker_fee", &en::MarketParams::taker_fee, RateSign::kNonNegative,
            "Taker fee as a decimal.Decimal fraction (\"0.0005\" is 5 bp), 0..0.1.");
  params.def_property(
      "oracle", [](en::MarketParams& p) -> orc::OracleConfig& { return p.oracle; },
      [](en::MarketParams& p, const orc::OracleConfig& c) { p.oracle = c; },
      "The OracleConfig (a view into these params: editing its fields edits them).");
  IntField(params, "max_orders_per_account", &en::MarketParams::max_orders_per_account,
           "Live orders one account may have in the market. Cannot change after creation.");
  IntField(params, "max_levels_per_side", &en::MarketParams::max_levels_per_side,
           "Price levels one side of the book may have. Cannot change after creation.");
  IntField(params, "max_book_orders", &en::MarketParams::max_book_orders,
           "Live orders in the book. Cannot change after creation.");
  params.def_readwrite("withdrawable_pnl", &en::MarketParams::withdrawable_pnl,
                       "The WithdrawablePnl: how much unrealized profit may leave.");
  RateField(params, "stress_fraction", &en::MarketParams::stress_fraction,
            RateSign::kNonNegative,
            "While the market's breaker is tripped or its index is not usable, a position "
            "there counts no profit and its loss at the last index moved this fraction "
            "against it (a decimal.Decimal in [0, 1]: \"0.1\", the default, is 10%).");
  FixedField(params, "max_market_open_interest", &en::MarketParams::max_market_open_interest,
             "The whole market's open interest bound, in lots: an order that would raise it "
             "beyond this if it filled is refused (MARKET_OPEN_INTEREST_LIMIT). 0: the largest "
             "within the 2**54 notional bound, 2**54 // (max_price * atoms_per_tick_lot).");
  IntField(params, "max_matches_per_order", &en::MarketParams::max_matches_per_order,
           "Resting orders one taker meets, 1..100000 (default 1000); a remainder left at "
           "the cap that would still cross is cancelled (CancelReason.MATCH_LIMIT).");
  params.def_property(
      "funding", [](en::MarketParams& p) -> fd::FundingParams& { return p.funding; },
      [](en::MarketParams& p, const fd::FundingParams& f) { p.funding = f; },
      "The FundingParams (a view into these params: editing its fields edits them). A "
      "change through update_market() first closes the running funding interval with the "
      "old parameters.");
  params.def_property(
      "liquidation",
      [](en::MarketParams& p) -> lq::LiquidationParams& { return p.liquidation; },
      [](en::MarketParams& p, const lq::LiquidationParams& l) { p.liquidation = l; },
      "The LiquidationParams (a view into these params: editing its fields edits them).");
  params.def("__repr__", [](const py::object& self) {
    return FieldRepr(self, "MarketParams",
                     {"symbol", "tick_size", "lot_size", "max_order_size", "max_open_interest",
                      "max_price", "price_band", "max_leverage", "tiers", "maker_fee",
                      "taker_fee", "oracle", "max_orders_per_account", "max_levels_per_side",
                      "max_book_orders", "withdrawable_pnl", "stress_fraction",
                      "max_market_open_interest", "max_matches_per_order", "funding",
                      "liquidation"});
  });
  DefEq(params, [](const en::MarketParams& a, const en::MarketParams& b) { return a == b; });

  const en::EngineConfig ed{};
  py::class_<en::EngineConfig> config(
      m, "EngineConfig",
      "The engine-wide configuration: quote asset decimals, fee-tier discounts, referrer "
      "share and capacity. The discounts and the share are fractions in human units: a "
      "decimal.Decimal or a str (\"0.1\" is 10%), exact to 1e-18, never a float or an int; "
      "they read back as decimal.Decimal.");
  config
      .def(py::init([](U32 quote_decimals, const py::object& fee_tier_discounts,
                       const py::object& referrer_share, U32 max_markets, U32 max_accounts,
                       U64 hash_seed, const py::object& withdraw_margin_fraction) {
             en::EngineConfig c;
             c.quote_decimals = quote_decimals.value;
             c.fee_tier_discounts =
                 Rates(fee_tier_discounts, "fee_tier_discounts", RateSign::kNonNegative);
             c.referrer_share = ToRate(referrer_share, "referrer_share", RateSign::kNonNegative);
             c.max_markets = max_markets.value;
             c.max_accounts = max_accounts.value;
             c.hash_seed = hash_seed.value;
             c.withdraw_margin_fraction = ToRate(withdraw_margin_fraction,
                                                 "withdraw_margin_fraction", RateSign::kNonNegative);
             return c;
           }),
           py::kw_only(), py::arg("quote_decimals") = U32{ed.quote_decimals},
           py::arg("fee_tier_discounts") = py::make_tuple(FromRate(pc::Rate(0))),
           py::arg("referrer_share") = FromRate(ed.referrer_share),
           py::arg("max_markets") = U32{ed.max_markets},
           py::arg("max_accounts") = U32{ed.max_accounts},
           py::arg("hash_seed") = U64{ed.hash_seed},
           py::arg("withdraw_margin_fraction") = FromRate(ed.withdraw_margin_fraction),
           "An engine configuration; the defaults are the C++ defaults (6 quote decimals, one "
           "fee tier without discount, no referrer share, 256 markets, 2**20 accounts, a 10% "
           "withdraw_margin_fraction).");
  IntField(config, "quote_decimals", &en::EngineConfig::quote_decimals,
           "Decimals of the quote asset's atom, 0..18 (6 for USDC).");
  config.def_property(
      "fee_tier_discounts",
      [](const en::EngineConfig& c) {
        py::tuple out(c.fee_tier_discounts.size());
        for (std::size_t i = 0; i < c.fee_tier_discounts.size(); ++i) {
          out[i] = FromRate(c.fee_tier_discounts[i]);
        }
        return out;
      },
      [](en::EngineConfig& c, const py::object& v) {
        c.fee_tier_discounts = Rates(v, "fee_tier_discounts", RateSign::kNonNegative);
      },
      "Fee tier t multiplies positive fees by 1 - discount[t] (decimal.Decimal fractions: "
      "\"0.1\" is 10% off): 1..16 tiers, tier 0 is 0, non-decreasing. A tuple (assign a "
      "sequence of Decimal or str).");
  RateField(config, "referrer_share", &en::EngineConfig::referrer_share, RateSign::kNonNegative,
            "The part of a referred taker's fee paid to the referrer (a decimal.Decimal in "
            "[0, 1): \"0.1\" is 10%).");
  IntField(config, "max_markets", &en::EngineConfig::max_markets, "1..1024.");
  IntField(config, "max_accounts", &en::EngineConfig::max_accounts, "1..2**24.");
  IntField(config, "hash_seed", &en::EngineConfig::hash_seed,
           "Seeds lookup hashes only; never reaches state or digests.");
  RateField(config, "withdraw_margin_fraction", &en::EngineConfig::withdraw_margin_fraction,
            RateSign::kNonNegative,
            "Withdrawals, transfers out and isolated-margin removal must leave at least this "
            "fraction of the positions' notional (a decimal.Decimal in [0, 1): \"0.1\", the "
            "default, is 10%), besides the initial requirement with orders.");
  config.def("__repr__", [](const py::object& self) {
    return FieldRepr(self, "EngineConfig",
                     {"quote_decimals", "fee_tier_discounts", "referrer_share", "max_markets",
                      "max_accounts", "hash_seed", "withdraw_margin_fraction"});
  });
  DefEq(config, [](const en::EngineConfig& a, const en::EngineConfig& b) {
    return a.quote_decimals == b.quote_decimals && a.fee_tier_discounts == b.fee_tier_discounts &&
           a.referrer_share == b.referrer_share && a.max_markets == b.max_markets &&
           a.max_accounts == b.max_accounts && a.hash_seed == b.hash_seed &&
           a.withdraw_margin_fraction == b.withdraw_margin_fraction;
  });
}

// -- events and results -------------------------------------------------------------

// A field of an event struct S as Python sees it: ids and amounts as Int,
// rates as decimal.Decimal (as everywhere in this module), enums as their
// IntEnum, bool as bool, a FillParty as its class. A std::uint8_t field is
// a liquidation::Health (events::Liquidation::health, the one such field:
// the event keeps the value a plain byte), so Python sees the Health enum.
template <class M>
auto ToPy(const M& v) {
  if constexpr (std::is_same_v<M, pc::Rate>) {
    return FromRate(v);
  } else if constexpr (std::is_same_v<M, std::uint8_t>) {
    return static_cast<lq::Health>(v);
  } else if constexpr (requires { v.value(); }) {
    return IdInt(v);
  } else if constexpr (requires { v.raw(); }) {
    return I64{v.raw()};
  } else if constexpr (std::is_same_v<M, std::uint32_t>) {
    return U32{v};
  } else {
    return v;
  }
}
template <class M>
using PyOf = decltype(ToPy(std::declval<M>()));
template <class M>
M FromPy(const PyOf<M>& v, const char* name) {
  if constexpr (std::is_same_v<M, pc::Rate>) {
    return ToRate(v, name, RateSign::kAny);
  } else if constexpr (std::is_same_v<M, std::uint8_t>) {
    return static_cast<std::uint8_t>(v);
  } else if constexpr (requires(const M& x) { x.value(); } || requires(const M& x) { x.raw(); }) {
    return M(v.value);
  } else if constexpr (std::is_same_v<M, std::uint32_t>) {
    return v.value;
  } else {
    return v;
  }
}

template <class S, class M>
struct Field {
  const char* name;
  M S::*member;
  const char* doc;
};

// DefEvent()
//
// The Python class of one event struct: a keyword-only constructor (every
// field defaults to zero, for building expected events in tests), read-only
// properties, kind (for events), repr listing every field, and ==.
template <class S, class... M>
py::class_<S> DefEvent(py::module_& m, const char* name, const char* doc, Field<S, M>... f) {
  py::class_<S> cls(m, name, doc);
  cls.def(py::init([f...](const PyOf<M>&... v) {
            S s{};
            ((s.*(f.member) = FromPy<M>(v, f.name)), ...);
            return s;
          }),
          py::kw_only(), py::arg(f.name).noconvert() = ToPy(M{})...,
          "An event with the given fields (for comparisons in tests); unset fields are 0.");
  (cls.def_property_readonly(
       f.name, [member = f.member](const S& s) { return ToPy(s.*member); }, f.doc),
   ...);
  if constexpr (!std::is_same_v<S, en::events::FillParty>) {
    cls.def_property_readonly(
        "kind", [](const S& s) { return en::KindOf(en::Event(s)); }, "The EngineEventKind.");
  }
  static const std::array<const char*, sizeof...(M)> kNames = {f.name...};
  cls.def("__repr__",
          [name](const py::object& self) { return FieldRepr(self, name, std::span(kNames)); });
  DefEq(cls, [](const S& a, const S& b) { return a == b; });
  return cls;
}

struct PyResult {
  perpcore::Reason reason = perpcore::Reason::kOk;
  std::uint64_t seq = 0;
  std::vector<en::Event> events;
  std::int64_t filled = 0;
  std::int64_t rested = 0;
};

void BindEvents(py::module_& m) {
  namespace ev = en::events;
  const char* kMarket = "The market id.";
  const char* kAccount = "The account.";
  const char* kOrder = "The order id.";
  const char* kSide = "The order's Side.";
  const char* kPrice = "Ticks: the order's effective price (its level's, for a resting order).";
  DefEvent(m, "OrderRested",
           "The incoming order (or its remainder) joined the book with `size` open lots at "
           "`price`.",
           Field{"market", &ev::OrderRested::market, kMarket},
           Field{"account", &ev::OrderRested::account, kAccount},
           Field{"order_id", &ev::OrderRested::order_id, kOrder},
           Field{"side", &ev::OrderRested::side, kSide},
           Field{"price", &ev::OrderRested::price, "Ticks: where it rests."},
           Field{"size", &ev::OrderRested::size, "Lots resting."});
  DefEvent(m, "FillParty",
           "One side of a Fill: the account and order, the order's open lots after the fill, "
           "the fee it paid (quote atoms; the taker's >= 0, a maker's < 0 is a rebate), its "
           "position after the fill (lots, signed) and the PnL it realized (quote atoms).",
           Field{"account", &ev::FillParty::account, kAccount},
           Field{"order_id", &ev::FillParty::order_id, kOrder},
           Field{"side", &ev::FillParty::side, kSide},
           Field{"remaining", &ev::FillParty::remaining, "Lots open after the fill."},
           Field{"fee", &ev::FillParty::fee, "Quote atoms paid; < 0 is a rebate received."},
           Field{"position", &ev::FillParty::position, "Lots, signed, after the fill."},
           Field{"realized", &ev::FillParty::realized, "Quote atoms of PnL realized."});
  DefEvent(m, "Fill",
           "The incoming order (taker) traded `size` lots at the resting order's (maker's) "
           "`price`. referrer: the taker's referrer (0: none), paid referrer_fee out of the "
           "taker's fee. Isolated-margin top-ups and releases it causes follow it.",
           Field{"market", &ev::Fill::market, kMarket},
           Field{"price", &ev::Fill::price, "Ticks: the maker's price."},
           Field{"size", &ev::Fill::size, "Lots traded."},
           Field{"taker", &ev::Fill::taker, "The incoming order's FillParty."},
           Field{"maker", &ev::Fill::maker, "The resting order's FillParty."},
           Field{"referrer", &ev::Fill::referrer, "The taker's referrer; 0: none."},
           Field{"referrer_fee", &ev::Fill::referrer_fee,
                 "Quote atoms of the taker's fee paid to the referrer."});
  DefEvent(m, "OrderCanceled",
           "`size` lots of an order left the book without trading, for `reason`; remaining: its "
           "open lots after (0, except after a MAX_FILL cut).",
           Field{"market", &ev::OrderCanceled::market, kMarket},
           Field{"account", &ev::OrderCanceled::account, kAccount},
           Field{"order_id", &ev::OrderCanceled::order_id, kOrder},
           Field{"side", &ev::OrderCanceled::side, kSide},
           Field{"reason", &ev::OrderCanceled::reason, "The CancelReason."},
           Field{"price", &ev::OrderCanceled::price, kPrice},
           Field{"size", &ev::OrderCanceled::size, "Lots cancelled."},
           Field{"remaining", &ev::OrderCanceled::remaining, "Lots open after."});
  DefEvent(m, "OrderReduced",
           "Self-trade prevention (decrement-and-cancel) took `size` lots off an order; "
           "remaining: its open lots after.",
           Field{"market", &ev::OrderReduced::market, kMarket},
           Field{"account", &ev::OrderReduced::account, kAccount},
           Field{"order_id", &ev::OrderReduced::order_id, kOrder},
           Field{"side", &ev::OrderReduced::side, kSide},
           Field{"price", &ev::OrderReduced::price, kPrice},
           Field{"size", &ev::OrderReduced::size, "Lots taken off."},
           Field{"remaining", &ev::OrderReduced::remaining, "Lots open after."});
  DefEvent(m, "OrderAmended",
           "A live order now rests at `price` with `remaining` open lots (old_remaining "
           "before); priority_kept: it kept its queue place.",
           Field{"market", &ev::OrderAmended::market, kMarket},
           Field{"account", &ev::OrderAmended::account, kAccount},
           Field{"order_id", &ev::OrderAmended::order_id, kOrder},
           Field{"side", &ev::OrderAmended::side, kSide},
           Field{"priority_kept", &ev::OrderAmended::priority_kept,
                 "Whether the order kept its place in the queue."},
           Field{"price", &ev::OrderAmended::price, "Ticks: the new price."},
           Field{"remaining", &ev::OrderAmended::remaining, "Lots open after."},
           Field{"old_remaining", &ev::OrderAmended::old_remaining, "Lots open before."});
  DefEvent(m, "Deposit", "`amount` quote atoms into the account's cross cash.",
           Field{"account", &ev::Deposit::account, kAccount},
           Field{"amount", &ev::Deposit::amount, "Quote atoms."});
  DefEvent(m, "Withdrawal", "`amount` quote atoms out of the account's cross cash.",
           Field{"account", &ev::Withdrawal::account, kAccount},
           Field{"amount", &ev::Withdrawal::amount, "Quote atoms."});
  DefEvent(m, "Transfer", "`amount` quote atoms from one account's cross cash to another's.",
           Field{"from_account", &ev::Transfer::from, "The sending account."},
           Field{"to_account", &ev::Transfer::to, "The receiving account."},
           Field{"amount", &ev::Transfer::amount, "Quote atoms."});
  DefEvent(m, "AccountCreated", "A new account.",
           Field{"account", &ev::AccountCreated::account, kAccount},
           Field{"owner", &ev::AccountCreated::owner, "The owner behind the account."},
           Field{"fee_tier", &ev::AccountCreated::fee_tier, "The fee tier."},
           Field{"referrer", &ev::AccountCreated::referrer, "The referrer; 0: none."});
  DefEvent(m, "MarketCreated", "A new market.",
           Field{"market", &ev::MarketCreated::market, kMarket});
  DefEvent(m, "MarketUpdated", "New parameters for a market.",
           Field{"market", &ev::MarketUpdated::market, kMarket});
  DefEvent(m, "MarketStatusChanged", "A market's new status.",
           Field{"market", &ev::MarketStatusChanged::market, kMarket},
           Field{"status", &ev::MarketStatusChanged::status, "The new MarketStatus."});
  DefEvent(m, "PriceUpdate",
           "A market's index or mark changed (ticks; index 0: none; mark: the last valid one, "
           "0 if never); twap: the index TWAP.",
           Field{"market", &ev::PriceUpdate::market, kMarket},
           Field{"index", &ev::PriceUpdate::index, "Ticks; 0: none."},
           Field{"mark", &ev::PriceUpdate::mark, "Ticks; 0: none yet."},
           Field{"twap", &ev::PriceUpdate::twap, "Ticks: the index TWAP."});
  DefEvent(m, "CircuitBreaker",
           "A market's oracle circuit breaker tripped (tripped, with its cause) or cleared.",
           Field{"market", &ev::CircuitBreaker::market, kMarket},
           Field{"tripped", &ev::CircuitBreaker::tripped, "True: tripped; False: cleared."},
           Field{"cause", &ev::CircuitBreaker::cause, "The BreakerCause."});
  DefEvent(m, "MarginModeSet", "An account's margin mode in a market.",
           Field{"market", &ev::MarginModeSet::market, kMarket},
           Field{"account", &ev::MarginModeSet::account, kAccount},
           Field{"mode", &ev::MarginModeSet::mode, "The MarginMode."});
  DefEvent(m, "LeverageSet", "An account's leverage in a market.",
           Field{"market", &ev::LeverageSet::market, kMarket},
           Field{"account", &ev::LeverageSet::account, kAccount},
           Field{"leverage", &ev::LeverageSet::leverage, "The leverage."});
  DefEvent(m, "IsolatedMarginChanged",
           "`amount` quote atoms moved from the account's cross cash into its isolated bucket "
           "in the market (< 0: back to cross), for `cause`.",
           Field{"market", &ev::IsolatedMarginChanged::market, kMarket},
           Field{"account", &ev::IsolatedMarginChanged::account, kAccount},
           Field{"amount", &ev::IsolatedMarginChanged::amount, "Quote atoms; < 0 back to cross."},
           Field{"cause", &ev::IsolatedMarginChanged::cause, "The IsolatedMarginCause."});
  DefEvent(m, "FeeTierSet", "An account's fee tier.",
           Field{"account", &ev::FeeTierSet::account, kAccount},
           Field{"fee_tier", &ev::FeeTierSet::fee_tier, "The fee tier."});
  DefEvent(m, "InsuranceFunded", "`amount` quote atoms into the insurance fund from outside.",
           Field{"amount", &ev::InsuranceFunded::amount, "Quote atoms."});
  DefEvent(m, "SelfTradeScopeSet", "An account's self-trade scope.",
           Field{"account", &ev::SelfTradeScopeSet::account, kAccount},
           Field{"scope", &ev::SelfTradeScopeSet::scope, "The SelfTradeScope."});
  DefEvent(m, "SourceRetired", "An oracle source of a market was retired (its slot is free).",
           Field{"market", &ev::SourceRetired::market, kMarket},
           Field{"source", &ev::SourceRetired::source, "The oracle source id."});
  DefEvent(m, "FundingRateSet",
           "A funding interval [start_ns, end_ns) of a market closed (with intervals > 1: a run "
           "of equal ones that passed without a tick, end_ns the last one's end): its average "
           "premium, its rate per period (both decimal.Decimal fractions) and the price it was "
           "paid at (ticks; 0: unpaid, the index was not usable).",
           Field{"market", &ev::FundingRateSet::market, kMarket},
           Field{"start_ns", &ev::FundingRateSet::start, "The (first) interval's start, ns."},
           Field{"end_ns", &ev::FundingRateSet::end, "The (last) interval's end, ns."},
           Field{"intervals", &ev::FundingRateSet::intervals, "How many equal intervals."},
           Field{"premium", &ev::FundingRateSet::premium,
                 "The average premium (premium model), a decimal.Decimal fraction."},
           Field{"rate", &ev::FundingRateSet::rate,
                 "The rate per period, a decimal.Decimal fraction (> 0: longs pay shorts)."},
           Field{"price", &ev::FundingRateSet::price, "Ticks it was paid at; 0: unpaid."});
  DefEvent(m, "FundingSettled",
           "A position's accrued funding moved between its bucket (cross cash or the isolated "
           "bucket) and the market's funding pool: amount > 0 the account paid, < 0 it "
           "received (rounded against the account). Emitted before the event that touched "
           "the position.",
           Field{"market", &ev::FundingSettled::market, kMarket},
           Field{"account", &ev::FundingSettled::account, kAccount},
           Field{"amount", &ev::FundingSettled::amount, "Quote atoms; > 0 paid, < 0 received."});
  DefEvent(m, "FundingResidual",
           "Whole atoms of settlement rounding moved from the market's funding pool to the "
           "engine's funding residual sink (Engine.funding_residual).",
           Field{"market", &ev::FundingResidual::market, kMarket},
           Field{"amount", &ev::FundingResidual::amount, "Quote atoms."});
  DefEvent(m, "Liquidation",
           "A liquidate() closed `closed` lots (>= 0: the book may hold fewer than it sent "
           "within the protection price) of the account's position in the market (its "
           "isolated bucket if `isolated`, else its cross account), sent as IOC order "
           "`order_id` (engine-chosen: 2**63 | the command's seq; never resting) with "
           "protection price `limit`; `position` is the position after "
           "(0: closed), `health` the target's Health before. The liquidated bucket paid "
           "`fee`; `keeper_fee` of it went to the keeper's cross cash, the rest to the "
           "insurance fund. Follows the order's OrderCanceled (CancelReason.LIQUIDATION) and "
           "Fill events; InsuranceCover and Shortfall follow it when a deficit is left.",
           Field{"market", &ev::Liquidation::market, kMarket},
           Field{"account", &ev::Liquidation::account, "The liquidated account."},
           Field{"keeper", &ev::Liquidation::keeper, "The keeper account (paid keeper_fee)."},
           Field{"order_id", &ev::Liquidation::order_id, "The IOC's engine-chosen order id."},
           Field{"isolated", &ev::Liquidation::isolated, "True: an isolated bucket."},
           Field{"health", &ev::Liquidation::health, "The target's Health before."},
           Field{"closed", &ev::Liquidation::closed, "Lots closed (>= 0)."},
           Field{"position", &ev::Liquidation::position, "The position after, lots."},
           Field{"limit", &ev::Liquidation::limit, "The IOC's protection price, ticks."},
           Field{"closed_notional", &ev::Liquidation::closed_notional,
                 "Sum of lots * price * atoms over its fills, quote atoms."},
           Field{"fee", &ev::Liquidation::fee, "The liquidation fee paid, quote atoms."},
           Field{"keeper_fee", &ev::Liquidation::keeper_fee,
                 "The keeper's part of fee, quote atoms."});
  DefEvent(m, "InsuranceCover",
           "The insurance fund paid `amount` (> 0) quote atoms into the bucket of `account` "
           "(its isolated bucket in `market`, or its cross cash for market 0) that a "
           "liquidation left below zero with nothing left to close.",
           Field{"market", &ev::InsuranceCover::market, "The market; 0: the cross account."},
           Field{"account", &ev::InsuranceCover::account, kAccount},
           Field{"amount", &ev::InsuranceCover::amount, "Quote atoms, > 0."});
  DefEvent(m, "Shortfall",
           "The shortfall bucket (Engine.shortfall) grew by `amount` > 0, what a liquidated "
           "bucket of `account` still lacked once the insurance fund was empty; or shrank by "
           "-amount (amount < 0, account 0) when fund_insurance() covered it. Withdrawals are "
           "refused (Reason.WITHDRAWALS_GATED) while it is above 0.",
           Field{"market", &ev::Shortfall::market, "The market; 0: the cross account."},
           Field{"account", &ev::Shortfall::account, kAccount},
           Field{"amount", &ev::Shortfall::amount, "Quote atoms; < 0: covered."});
  DefEvent(m, "MarginWarning",
           "The cross account of `account` (market 0) or its isolated bucket in `market` "
           "became warning or worse (set True: its equity reached its warning margin, or it is "
           "liquidatable or bankrupt) or healthy again (set False). Once per crossing, with "
           "equity and maintenance at the moment it was detected: at the end of a command that "
           "changed it, or of a price or time tick of its market.",
           Field{"account", &ev::MarginWarning::account, kAccount},
           Field{"market", &ev::MarginWarning::market, "The market; 0: the cross account."},
           Field{"set", &ev::MarginWarning::set, "True: warning or worse; False: cleared."},
           Field{"equity", &ev::MarginWarning::equity, "Quote atoms."},
           Field{"maintenance", &ev::MarginWarning::maintenance, "Quote atoms."});
  DefEvent(m, "PositionSettled",
           "The final settlement of delisted `market` (settle_market()) closed `account`'s "
           "position of `size` lots (signed: the position before) at the settlement price "
           "`price`, as a fill at that price with no fee would: `realized` is the PnL it "
           "realized against its cost basis, and its bucket (cross cash, or the isolated bucket "
           "if `isolated`) received size * price * atoms_per_tick_lot (a short paid it) from "
           "the market's settlement pool. Follows the account's OrderCanceled "
           "(CancelReason.MARKET_SETTLED) and FundingSettled events there; InsuranceCover, "
           "Shortfall and an isolated bucket's release (IsolatedMarginChanged, RELEASE) follow "
           "it.",
           Field{"market", &ev::PositionSettled::market, kMarket},
           Field{"account", &ev::PositionSettled::account, kAccount},
           Field{"isolated", &ev::PositionSettled::isolated, "True: an isolated bucket."},
           Field{"size", &ev::PositionSettled::size, "The position closed, lots (+ long)."},
           Field{"price", &ev::PositionSettled::price, "The settlement price, ticks."},
           Field{"realized", &ev::PositionSettled::realized,
                 "Quote atoms of PnL realized against the cost basis."});
  DefEvent(m, "MarketSettled",
           "Every position of delisted `market` is closed at `price`; the market is settled "
           "(final: nothing trades or settles there again).",
           Field{"market", &ev::MarketSettled::market, kMarket},
           Field{"price", &ev::MarketSettled::price, "The settlement price, ticks."});
  DefEvent(m, "BackstopTakeover",
           "A liquidate() moved `size` lots of `account`'s position in `market` (signed as "
           "that position: > 0 a long) to the market's backstop account `backstop` at the "
           "mark `price`, off the book (no order, no Fill, no fee; perpcore/engine/engine.hpp, "
           "\"Backstop takeover\"): each side's bucket moved size * price * "
           "atoms_per_tick_lot as a fill would (the target's cross cash or, if `isolated`, its "
           "bucket), and `equity` quote atoms, the target's equity share of what was taken, "
           "moved from the target's bucket to the backstop's cross cash (< 0: the backstop "
           "paid them in). `position` is the target's position left, `backstop_position` the "
           "backstop's after. Follows the FundingSettled of both positions (and the "
           "Liquidation when the book was tried first); a deficit's InsuranceCover and "
           "Shortfall follow it.",
           Field{"market", &ev::BackstopTakeover::market, kMarket},
           Field{"account", &ev::BackstopTakeover::account, "The liquidated account."},
           Field{"backstop", &ev::BackstopTakeover::backstop, "The backstop account."},
           Field{"isolated", &ev::BackstopTakeover::isolated, "True: an isolated bucket."},
           Field{"size", &ev::BackstopTakeover::size,
                 "Lots taken, signed as the target's position (+ long)."},
           Field{"price", &ev::BackstopTakeover::price, "The mark, ticks."},
           Field{"equity", &ev::BackstopTakeover::equity,
                 "Quote atoms of equity share to the backstop (< 0: it paid them)."},
           Field{"position", &ev::BackstopTakeover::position,
                 "The target's position after, lots."},
           Field{"backstop_position", &ev::BackstopTakeover::backstop_position,
                 "The backstop's position after, lots."});
  DefEvent(m, "Deleveraged",
           "A liquidate() closed `size` lots of bankrupt `account`'s position in `market` "
           "(signed as that position: > 0 a long) against `counterparty`'s opposite "
           "position, the next in the market's ADL ranking (LossPolicy.ADL; "
           "perpcore/engine/engine.hpp, \"Auto-deleveraging\"), at the mark `price`, off the "
           "book (no order, no Fill, no fee): each side's bucket moved size * price * "
           "atoms_per_tick_lot as a fill would, and `equity` quote atoms (<= 0: the "
           "counterparty paid them), the target's equity share of what was closed, moved "
           "from the target's bucket (its cross cash or, if `isolated`, its isolated bucket) "
           "to the counterparty's bucket of that position, so that the trade is at the "
           "target's bankruptcy price exactly. `position` is the target's position left, "
           "`counterparty_position` the counterparty's after. One per counterparty; follows "
           "the FundingSettled of both positions.",
           Field{"market", &ev::Deleveraged::market, kMarket},
           Field{"account", &ev::Deleveraged::account, "The liquidated (bankrupt) account."},
           Field{"counterparty", &ev::Deleveraged::counterparty,
                 "The account whose opposite position took the lots."},
           Field{"isolated", &ev::Deleveraged::isolated,
                 "True: the target's position was isolated."},
           Field{"size", &ev::Deleveraged::size,
                 "Lots closed, signed as the target's position (+ long)."},
           Field{"price", &ev::Deleveraged::price, "The mark, ticks."},
           Field{"equity", &ev::Deleveraged::equity,
                 "Quote atoms of the target's equity share to the counterparty (<= 0: it paid "
                 "them)."},
           Field{"position", &ev::Deleveraged::position, "The target's position after, lots."},
           Field{"counterparty_position", &ev::Deleveraged::counterparty_position,
                 "The counterparty's position after, lots."});

  py::class_<PyResult> res(
      m, "Result",
      "The answer to one engine command. ``reason`` is Reason.OK iff it was applied; then "
      "``events`` lists what it caused and, for an order, ``filled`` lots traded and "
      "``rested`` lots rest. A refused command changed nothing and has no events.");
  res.def_property_readonly(
         "reason", [](const PyResult& r) { return r.reason; },
         "Reason.OK, or why the command was refused (nothing changed).")
      .def_property_readonly(
          "seq", [](const PyResult& r) { return U64{r.seq}; },
          "The sequence number the command carried (consumed only if it was applied).")
      .def_property_readonly(
          "events", [](const PyResult& r) { return r.events; },
          "What the command caused, in order: a list of events, one class per kind (Fill, "
          "OrderRested, OrderCanceled, ...; each has .kind), copies.")
      .def_property_readonly(
          "filled", [](const PyResult& r) { return I64{r.filled}; }, "Orders: lots traded.")
      .def_property_readonly(
          "rested", [](const PyResult& r) { return I64{r.rested}; },
          "Orders: lots left resting in the book.")
      .def_property_readonly(
          "ok", [](const PyResult& r) { return r.reason == perpcore::Reason::kOk; },
          "True iff reason is Reason.OK.")
      .def("__bool__", [](const PyResult& r) { return r.reason == perpcore::Reason::kOk; },
           "Same as ok.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "Result", {"seq", "reason", "filled", "rested", "events"});
      });
  DefEq(res, [](const PyResult& a, const PyResult& b) {
    return a.reason == b.reason && a.seq == b.seq && a.events == b.events &&
           a.filled == b.filled && a.rested == b.rested;
  });
}

// -- query views --------------------------------------------------------------------------

void BindViews(py::module_& m) {
  using LP = rk::LiquidationPrice;
  py::class_<LP> lp(m, "LiquidationPrice",
                    "Where a position reaches its maintenance requirement: a long is "
                    "liquidatable iff mark < price, a short iff mark > price. price 0 means "
                    "none (a long backed beyond its requirement) or, with always, a short "
                    "liquidatable at every price.");
  lp.def_property_readonly(
        "price", [](const LP& l) { return I64{l.price.raw()}; }, "Ticks; 0: none or always.")
      .def_property_readonly(
          "tier", [](const LP& l) { return U64{l.tier}; },
          "The margin tier that applies at that price.")
      .def_property_readonly(
          "always", [](const LP& l) { return l.always; },
          "True iff liquidatable at every price of at least one tick.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "LiquidationPrice", {"price", "tier", "always"});
      });
  DefEq(lp, [](const LP& a, const LP& b) { return a == b; });

  using PV = en::PositionView;
  py::class_<PV>(m, "PositionView",
                 "One account's record in one market: position, PnL, requirements, "
                 "liquidation price and open orders. Ticks, lots and quote atoms.")
      .def_property_readonly("market", [](const PV& p) { return IdInt(p.market); }, "Market id.")
      .def_property_readonly("mode", [](const PV& p) { return p.mode; }, "The MarginMode.")
      .def_property_readonly(
          "leverage", [](const PV& p) { return U32{p.leverage}; }, "The effective leverage.")
      .def_property_readonly(
          "size", [](const PV& p) { return I64{p.size.raw()}; }, "Signed lots (long > 0).")
      .def_property_readonly(
          "entry_price", [](const PV& p) { return I64{p.entry_price.raw()}; },
          "Average entry in ticks, half-even; 0 without a position.")
      .def_property_readonly(
          "mark", [](const PV& p) { return I64{p.mark.raw()}; }, "The market's mark, ticks.")
      .def_property_readonly(
          "value", [](const PV& p) { return I64{p.value.raw()}; },
          "size * mark * atoms_per_tick_lot, quote atoms.")
      .def_property_readonly(
          "cost", [](const PV& p) { return I64{p.cost.raw()}; },
          "Signed entry value of the open position, quote atoms.")
      .def_property_readonly(
          "unrealized_pnl", [](const PV& p) { return I64{p.unrealized_pnl.raw()}; },
          "value - cost, quote atoms.")
      .def_property_readonly(
          "realized_pnl", [](const PV& p) { return I64{p.realized_pnl.raw()}; },
          "PnL realized by reducing the current position since it opened (0 without one; "
          "a fill that closes or flips it reports its PnL in the FILL event), quote atoms.")
      .def_property_readonly(
          "initial_requirement", [](const PV& p) { return I64{p.initial_requirement.raw()}; },
          "Initial margin of the position, quote atoms.")
      .def_property_readonly(
          "maintenance_requirement",
          [](const PV& p) { return I64{p.maintenance_requirement.raw()}; },
          "Maintenance margin of the position, quote atoms.")
      .def_property_readonly(
          "isolated_equity", [](const PV& p) { return I64{p.isolated_equity.raw()}; },
          "Isolated only: the bucket plus value, quote atoms.")
      .def_property_readonly(
          "liquidation", [](const PV& p) { return p.liquidation; }, "The LiquidationPrice.")
      .def_property_readonly(
          "open_bid_lots", [](const PV& p) { return I64{p.open_bid_lots.raw()}; },
          "Lots of live buy orders.")
      .def_property_readonly(
          "open_ask_lots", [](const PV& p) { return I64{p.open_ask_lots.raw()}; },
          "Lots of live sell orders.")
      .def_property_readonly(
          "open_orders", [](const PV& p) { return U32{p.open_orders}; }, "Live orders.")
      .def_property_readonly(
          "pending_funding", [](const PV& p) { return I64{p.pending_funding.raw()}; },
          "Funding accrued since the position was last settled, quote atoms: > 0 the account "
          "owes it, < 0 it is owed (already counted in equity, withdrawals and the "
          "liquidation price; settled when the position is touched).")
      .def_property_readonly(
          "health", [](const PV& p) { return p.health; },
          "The Health of what backs the position: its isolated bucket, or the cross account.")
      .def_property_readonly(
          "liquidation_buffer", [](const PV& p) { return I64{p.liquidation_buffer.raw()}; },
          "Isolated: the bucket's equity at the mark less its maintenance requirement; cross: "
          "the account's (AccountSummary.liquidation_buffer). Quote atoms; < 0: "
          "liquidatable.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "PositionView",
                         {"market", "mode", "leverage", "size", "entry_price", "mark", "value",
                          "cost", "unrealized_pnl", "realized_pnl", "initial_requirement",
                          "maintenance_requirement", "isolated_equity", "liquidation",
                          "open_bid_lots", "open_ask_lots", "open_orders", "pending_funding",
                          "health", "liquidation_buffer"});
      });

  using AS = en::AccountSummary;
  py::class_<AS>(m, "AccountSummary",
                 R"doc(An account's balances and margin, in quote atoms. Cross margin:
collateral = cash + the cost of cross positions; equity = collateral +
unrealized_pnl; free_collateral = exactly what withdraw() accepts now (the
withdrawal rules: unrealized profit only as far as the TWAP backs it, 10% of
the notional kept, at most what the engine holds);
margin_ratio = maintenance / equity as a decimal.Decimal fraction, rounded up
to 1e-18.)doc")
      .def_property_readonly("account", [](const AS& s) { return IdInt(s.account); }, "Account id.")
      .def_property_readonly("owner", [](const AS& s) { return IdInt(s.owner); }, "Owner id.")
      .def_property_readonly("fee_tier", [](const AS& s) { return U32{s.fee_tier}; }, "Fee tier.")
      .def_property_readonly(
          "referrer", [](const AS& s) { return IdInt(s.referrer); }, "Referrer; 0: none.")
      .def_property_readonly("cash", [](const AS& s) { return I64{s.cash.raw()}; }, "Cross cash.")
      .def_property_readonly(
          "collateral", [](const AS& s) { return I64{s.collateral.raw()}; },
          "Cash plus the cost of cross positions.")
      .def_property_readonly(
          "unrealized_pnl", [](const AS& s) { return I64{s.unrealized_pnl.raw()}; },
          "Unrealized PnL of cross positions.")
      .def_property_readonly(
          "equity", [](const AS& s) { return I64{s.equity.raw()}; }, "Cross equity.")
      .def_property_readonly(
          "initial_requirement", [](const AS& s) { return I64{s.initial_requirement.raw()}; },
          "Initial margin of cross positions.")
      .def_property_readonly(
          "initial_with_orders", [](const AS& s) { return I64{s.initial_with_orders.raw()}; },
          "Plus the worst case of open orders and isolated draws.")
      .def_property_readonly(
          "maintenance_requirement",
          [](const AS& s) { return I64{s.maintenance_requirement.raw()}; },
          "Maintenance margin of cross positions.")
      .def_property_readonly(
          "free_collateral", [](const AS& s) { return I64{s.free_collateral.raw()}; },
          "What may be withdrawn or transferred.")
      .def_property_readonly(
          "margin_ratio", [](const AS& s) { return FromRate(s.margin_ratio); },
          "maintenance / equity as a decimal.Decimal (1 is 100%), rounded up to 1e-18; 0 "
          "without a requirement, the largest rate (9.223372036854775807) when equity <= 0.")
      .def_property_readonly(
          "liquidatable", [](const AS& s) { return s.liquidatable; },
          "health is Health.LIQUIDATABLE or Health.BANKRUPT.")
      .def_property_readonly(
          "health_equity", [](const AS& s) { return I64{s.health_equity.raw()}; },
          "Liquidation's equity of the cross account: cross cash plus the cross positions at "
          "the mark less their pending funding (never stressed values), quote atoms.")
      .def_property_readonly(
          "liquidation_buffer", [](const AS& s) { return I64{s.liquidation_buffer.raw()}; },
          "health_equity - maintenance_requirement, quote atoms (< 0: liquidatable).")
      .def_property_readonly(
          "health", [](const AS& s) { return s.health; },
          "The cross account's Health (its warning margin: each cross position's "
          "maintenance over its market's warning threshold, summed).")
      .def_property_readonly(
          "positions", [](const AS& s) { return s.positions; },
          "PositionView per market with a position or orders, by market id.")
      .def_property_readonly(
          "pending_funding", [](const AS& s) { return I64{s.pending_funding.raw()}; },
          "The sum of the cross positions' pending_funding, quote atoms (already in equity).")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "AccountSummary",
                         {"account", "owner", "fee_tier", "referrer", "cash", "collateral",
                          "unrealized_pnl", "equity", "initial_requirement",
                          "initial_with_orders", "maintenance_requirement", "free_collateral",
                          "margin_ratio", "liquidatable", "health", "health_equity",
                          "liquidation_buffer", "pending_funding", "positions"});
      });

  using LC = en::LiquidationCandidate;
  py::class_<LC>(m, "LiquidationCandidate",
                 "One answer of Engine.liquidatable(): the cross account (market 0) or the "
                 "isolated bucket in `market` of `account`, its health (LIQUIDATABLE or "
                 "BANKRUPT), its equity at the mark and its maintenance requirement (quote "
                 "atoms; equity < maintenance).")
      .def_property_readonly("account", [](const LC& c) { return IdInt(c.account); },
                             "Account id.")
      .def_property_readonly("market", [](const LC& c) { return IdInt(c.market); },
                             "Market id of the isolated bucket; 0: the cross account.")
      .def_property_readonly("health", [](const LC& c) { return c.health; }, "The Health.")
      .def_property_readonly(
          "equity", [](const LC& c) { return I64{c.equity.raw()}; },
          "Equity at the mark, quote atoms.")
      .def_property_readonly(
          "maintenance", [](const LC& c) { return I64{c.maintenance.raw()}; },
          "Maintenance requirement, quote atoms.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "LiquidationCandidate",
                         {"account", "market", "health", "equity", "maintenance"});
      });

  using AR = lq::AdlRank;
  py::class_<AR> adl_rank(
      m, "AdlRank",
      "Where a position stands in its market's auto-deleveraging ranking at the current "
      "mark (Engine.adl_rank(); perpcore/engine/engine.hpp, \"Auto-deleveraging\"): `rank` "
      "positions of its side come before it (0: the first to be deleveraged) of `count` on "
      "that side, itself included; `bucket` is its light, 4 for the first fifth of the side "
      "down to 0 for the last, 4 - floor(5 * rank / count) (Binance's adlQuantile).");
  adl_rank
      .def_property_readonly(
          "rank", [](const AR& r) { return U64{r.rank}; },
          "Positions of its side ranked before it (0: the first).")
      .def_property_readonly(
          "count", [](const AR& r) { return U64{r.count}; },
          "Positions on its side, itself included.")
      .def_property_readonly(
          "bucket", [](const AR& r) { return U32{r.bucket}; }, "The ADL light, 0..4.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "AdlRank", {"rank", "count", "bucket"});
      });
  DefEq(adl_rank, [](const AR& a, const AR& b) {
    return a.rank == b.rank && a.count == b.count && a.bucket == b.bucket;
  });

  using OO = en::OpenOrder;
  py::class_<OO>(m, "OpenOrder", "One live order of an account.")
      .def_property_readonly("market", [](const OO& o) { return IdInt(o.market); }, "Market id.")
      .def_property_readonly(
          "order_id", [](const OO& o) { return IdInt(o.order.id); }, "The order id.")
      .def_property_readonly(
          "account", [](const OO& o) { return IdInt(o.order.account); }, "The owner.")
      .def_property_readonly(
          "client_id", [](const OO& o) { return IdInt(o.order.client_id); },
          "The client order id; 0 for none.")
      .def_property_readonly("side", [](const OO& o) { return o.order.side; }, "BUY or SELL.")
      .def_property_readonly(
          "price", [](const OO& o) { return I64{o.order.price.raw()}; }, "Ticks.")
      .def_property_readonly(
          "remaining", [](const OO& o) { return I64{o.order.remaining.raw()}; }, "Open lots.")
      .def_property_readonly(
          "priority", [](const OO& o) { return U64{o.order.priority}; },
          "Arrival stamp: smaller is earlier in its queue.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "OpenOrder",
                         {"market", "order_id", "account", "client_id", "side", "price",
                          "remaining", "priority"});
      });

  using MS = en::MarketStats;
  py::class_<MS>(m, "MarketStats",
                 "A market's status, prices (ticks), open interest and volume (lots), "
                 "notional volume (quote atoms) and top of book.")
      .def_property_readonly("market", [](const MS& s) { return IdInt(s.market); }, "Market id.")
      .def_property_readonly("symbol", [](const MS& s) { return s.symbol; }, "The symbol.")
      .def_property_readonly("status", [](const MS& s) { return s.status; }, "The MarketStatus.")
      .def_property_readonly(
          "breaker", [](const MS& s) { return s.breaker; },
          "True while the oracle circuit breaker is tripped (reduce-only).")
      .def_property_readonly(
          "breaker_cause", [](const MS& s) { return s.breaker_cause; }, "The BreakerCause.")
      .def_property_readonly(
          "atoms_per_tick_lot", [](const MS& s) { return I64{s.atoms_per_tick_lot}; },
          "Quote atoms one tick of one lot is worth.")
      .def_property_readonly(
          "index", [](const MS& s) { return I64{s.index.raw()}; }, "Index price; 0: none.")
      .def_property_readonly(
          "mark", [](const MS& s) { return I64{s.mark.raw()}; },
          "The last valid mark price; 0: never had one.")
      .def_property_readonly("twap", [](const MS& s) { return I64{s.twap.raw()}; }, "Index TWAP.")
      .def_property_readonly(
          "last_trade", [](const MS& s) { return I64{s.last_trade.raw()}; },
          "Last trade price; 0: none.")
      .def_property_readonly(
          "fresh_sources", [](const MS& s) { return U32{s.fresh_sources}; },
          "Oracle sources fresh at the last refresh.")
      .def_property_readonly(
          "open_interest_long", [](const MS& s) { return I64{s.open_interest_long.raw()}; },
          "Sum of long positions, lots.")
      .def_property_readonly(
          "open_interest_short", [](const MS& s) { return I64{s.open_interest_short.raw()}; },
          "Sum of short positions, lots (equal to long).")
      .def_property_readonly(
          "volume", [](const MS& s) { return I64{s.volume.raw()}; }, "Lots traded.")
      .def_property_readonly(
          "notional_volume", [](const MS& s) { return I64{s.notional_volume.raw()}; },
          "Quote atoms traded (saturates at 2**63 - 1).")
      .def_property_readonly(
          "best_bid", [](const MS& s) { return MakeLevel(s.best_bid); },
          "The best bid as a Level(price, size, orders), or None.")
      .def_property_readonly(
          "best_ask", [](const MS& s) { return MakeLevel(s.best_ask); },
          "The best ask as a Level(price, size, orders), or None.")
      .def_property_readonly(
          "index_usable_until_ns", [](const MS& s) { return I64{s.index_usable_until.raw()}; },
          "The last time (ns) the index may be used: later commands that rely on it are "
          "refused with Reason.INDEX_STALE until a price or a time tick; -1: no index.")
      .def_property_readonly(
          "funding_index", [](const MS& s) { return Int128(s.funding_index); },
          "The cumulative funding index, quote atoms per lot * 10**18 (an int that may "
          "exceed int64).")
      .def_property_readonly(
          "funding_rate", [](const MS& s) { return FromRate(s.funding_rate); },
          "The funding rate per period in effect (continuous payment) or set at the last "
          "interval close, a decimal.Decimal fraction.")
      .def_property_readonly(
          "settlement", [](const MS& s) { return s.settlement; },
          "The SettlementPhase of the market's final settlement (settle_market()).")
      .def_property_readonly(
          "settlement_price", [](const MS& s) { return I64{s.settlement_price.raw()}; },
          "Ticks every position closes at once the settlement has started; 0 before.")
      .def_property_readonly(
          "settlement_pool", [](const MS& s) { return Int128(s.settlement_pool); },
          "What the positions closed so far received from (< 0) or paid into the "
          "settlement, quote atoms (an int that may exceed int64): exactly "
          "(open_interest_long - open_interest_short) * settlement_price * "
          "atoms_per_tick_lot while settling, 0 before and after.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "MarketStats",
                         {"market", "symbol", "status", "breaker", "breaker_cause",
                          "atoms_per_tick_lot", "index", "mark", "twap", "last_trade",
                          "fresh_sources", "open_interest_long", "open_interest_short", "volume",
                          "notional_volume", "best_bid", "best_ask", "index_usable_until_ns",
                          "funding_index", "funding_rate", "settlement", "settlement_price",
                          "settlement_pool"});
      });

  using RS = fd::RateSet;
  py::class_<RS> rate_set(
      m, "RateSet",
      "One closed funding interval [start_ns, end_ns) of a market, or a run of `intervals` "
      "equal ones that passed without a tick (premium 0, the same rate).");
  rate_set
      .def_property_readonly(
          "start_ns", [](const RS& r) { return I64{r.start.raw()}; },
          "The (first) interval's start, ns.")
      .def_property_readonly(
          "end_ns", [](const RS& r) { return I64{r.end.raw()}; }, "The (last) interval's end, ns.")
      .def_property_readonly(
          "intervals", [](const RS& r) { return U32{r.intervals}; }, "How many equal intervals.")
      .def_property_readonly(
          "premium", [](const RS& r) { return FromRate(r.premium); },
          "The average premium (premium model), a decimal.Decimal fraction.")
      .def_property_readonly(
          "rate", [](const RS& r) { return FromRate(r.rate); },
          "The rate per period, a decimal.Decimal fraction.")
      .def_property_readonly(
          "price", [](const RS& r) { return I64{r.price.raw()}; },
          "Ticks it was paid at; 0: unpaid (the index was not usable).")
      .def_property_readonly(
          "index_delta", [](const RS& r) { return Int128(r.index_delta); },
          "The index move it caused (interval-end payment; 0 for continuous payment), an "
          "int in quote atoms per lot * 10**18.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "RateSet",
                         {"start_ns", "end_ns", "intervals", "premium", "rate", "price",
                          "index_delta"});
      });
  DefEq(rate_set, [](const RS& a, const RS& b) {
    return a.start == b.start && a.end == b.end && a.intervals == b.intervals &&
           a.premium == b.premium && a.rate == b.rate && a.price == b.price &&
           a.index_delta == b.index_delta;
  });

  using FV = en::FundingView;
  py::class_<FV>(m, "FundingView",
                 "A market's funding (Engine.funding()). Rates are decimal.Decimal fractions "
                 "per period; the index and the pool are ints that may exceed int64.")
      .def_property_readonly("market", [](const FV& f) { return IdInt(f.market); }, "Market id.")
      .def_property_readonly("model", [](const FV& f) { return f.model; }, "The FundingModel.")
      .def_property_readonly(
          "index", [](const FV& f) { return Int128(f.index); },
          "The cumulative funding index, quote atoms per lot * 10**18: a position of size "
          "lots settled at index i0 owes ceil((index - i0) * size / 10**18) atoms.")
      .def_property_readonly(
          "rate", [](const FV& f) { return FromRate(f.rate); },
          "The rate in effect (continuous payment) or set at the last close (interval-end).")
      .def_property_readonly(
          "predicted_rate", [](const FV& f) { return FromRate(f.predicted_rate); },
          "The rate the running interval would close with now (premium model: its samples so "
          "far; skew models: the skew now).")
      .def_property_readonly(
          "last_sample", [](const FV& f) { return FromRate(f.last_sample); },
          "Premium model: the latest premium sample.")
      .def_property_readonly(
          "running_premium", [](const FV& f) { return FromRate(f.running_premium); },
          "Premium model: the running interval's average premium so far.")
      .def_property_readonly(
          "samples", [](const FV& f) { return U32{f.samples}; },
          "Premium model: samples in the running interval.")
      .def_property_readonly(
          "interval_start_ns", [](const FV& f) { return I64{f.interval_start.raw()}; },
          "The running interval's start, ns.")
      .def_property_readonly(
          "interval_end_ns", [](const FV& f) { return I64{f.interval_end.raw()}; },
          "The running interval's end, ns.")
      .def_property_readonly(
          "skew", [](const FV& f) { return FromRate(f.skew); },
          "(L - S) / (L + S) of the open interest without the counterparty; 0 without one.")
      .def_property_readonly(
          "pool", [](const FV& f) { return Int128(f.pool); },
          "What the market's funding pool holds, quote atoms (negative when receivers "
          "settled first).")
      .def_property_readonly(
          "residual_carry", [](const FV& f) { return I64{f.residual_carry}; },
          "Sub-atom settlement rounding not yet moved to the residual sink (index units, "
          "< 10**18).")
      .def_property_readonly(
          "history", [](const FV& f) { return f.history; },
          "Closed intervals as a list of RateSet, newest first (at most 32).")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "FundingView",
                         {"market", "model", "index", "rate", "predicted_rate", "last_sample",
                          "running_premium", "samples", "interval_start_ns", "interval_end_ns",
                          "skew", "pool", "residual_carry", "history"});
      });

  using PR = en::Preview;
  py::class_<PR>(m, "Preview",
                 "What an order would do now, without doing it: reason is what place_order "
                 "would answer (margin and limits; not the book's own checks), the fill is "
                 "estimated from L2 depth (self-trade prevention not simulated).")
      .def_property_readonly("reason", [](const PR& p) { return p.reason; }, "The verdict.")
      .def_property_readonly(
          "fill_size", [](const PR& p) { return I64{p.fill_size.raw()}; }, "Lots that would fill.")
      .def_property_readonly(
          "average_price", [](const PR& p) { return I64{p.average_price.raw()}; },
          "Average fill price in ticks (half-even); 0 if nothing fills.")
      .def_property_readonly(
          "fill_notional", [](const PR& p) { return I64{p.fill_notional.raw()}; },
          "Quote atoms the fill is worth.")
      .def_property_readonly(
          "slippage", [](const PR& p) { return FromRate(p.slippage); },
          "|average - mid| / mid as a decimal.Decimal, rounded up to 1e-18; 0 without a mid.")
      .def_property_readonly(
          "fee", [](const PR& p) { return I64{p.fee.raw()}; }, "Taker fee on the fill, atoms.")
      .def_property_readonly(
          "rest_size", [](const PR& p) { return I64{p.rest_size.raw()}; }, "Lots that would rest.")
      .def_property_readonly(
          "resulting_position", [](const PR& p) { return I64{p.resulting_position.raw()}; },
          "The position after the fill, lots.")
      .def_property_readonly(
          "resulting_equity", [](const PR& p) { return I64{p.resulting_equity.raw()}; },
          "Cross equity (or the isolated bucket's) after the fill, atoms.")
      .def_property_readonly(
          "resulting_margin_ratio",
          [](const PR& p) { return FromRate(p.resulting_margin_ratio); },
          "Margin ratio after the fill, as AccountSummary.margin_ratio (a decimal.Decimal).")
      .def_property_readonly(
          "resulting_liquidation", [](const PR& p) { return p.resulting_liquidation; },
          "LiquidationPrice after the fill.")
      .def("__repr__", [](const py::object& self) {
        return FieldRepr(self, "Preview",
                         {"reason", "fill_size", "average_price", "fill_notional", "slippage",
                          "fee", "rest_size", "resulting_position", "resulting_equity",
                          "resulting_margin_ratio", "resulting_liquidation"});
      });
}

// -- bulk -----------------------------------------------------------------------------------

struct BulkResult {
  py::array reasons, filled, rested, seqs;
  py::dict fills;
  std::size_t accepted = 0;
  std::size_t count = 0;
};

constexpr std::array<const char*, 10> kFillColumns = {
    "index", "taker_order_id", "maker_order_id", "taker_account", "maker_account",
    "side",  "price",          "size",           "taker_fee",     "maker_fee"};
using FillRow = std::array<std::int64_t, kFillColumns.size()>;

std::string TypeName(const py::handle& v) {
  if (py::isinstance<py::array>(v)) {
    return fmt::format("numpy.ndarray of dtype {}",
                       std::string(py::str(v.attr("dtype"))));
  }
  return std::string(py::str(v.get_type().attr("__name__")));
}

// Column()
//
// The array for `name`, checked: a numpy.ndarray of exactly `dtype`, 1-D, of
// length *n (set by the first column). TypeError / InvalidArgumentError.
py::array Column(const char* fn, const char* name, const py::object& v, const py::dtype& dtype,
                 const char* dtype_name, py::ssize_t* n) {
  if (!py::isinstance<py::array>(v) ||
      !py::reinterpret_borrow<py::array>(v).dtype().equal(dtype)) {
    throw py::type_error(fmt::format("{}: {} must be a numpy.ndarray of dtype {}, not {}", fn,
                                     name, dtype_name, TypeName(v)));
  }
  py::array a = py::reinterpret_borrow<py::array>(v);
  if (a.ndim() != 1) {
    Raise(g_errors.invalid_argument,
          fmt::format("{}: {} must be 1-D, not {}-D with shape {}", fn, name, a.ndim(),
                      std::string(py::str(a.attr("shape")))));
  }
  if (*n < 0) {
    *n = a.shape(0);
  } else if (a.shape(0) != *n) {
    Raise(g_errors.invalid_argument,
          fmt::format("{}: {} has length {}, the other columns {}", fn, name, a.shape(0), *n));
  }
  return a;
}

py::array I64Column(const char* fn, const char* name, const py::object& v, py::ssize_t* n) {
  return Column(fn, name, v, py::dtype::of<std::int64_t>(), "int64", n);
}

[[noreturn]] void BadValue(const char* fn, const char* name, py::ssize_t i, std::int64_t v,
                           const char* what) {
  Raise(g_errors.invalid_argument, fmt::format("{}: {}[{}] = {} {}", fn, name, i, v, what));
}

// Reads a non-negative id column into out[i] via set(i, value).
template <class Set>
void ReadIds(const char* fn, const char* name, const py::array& a, Set set) {
  auto u = a.unchecked<std::int64_t, 1>();
  for (py::ssize_t i = 0; i < u.shape(0); ++i) {
    const std::int64_t v = u(i);
    if (v < 0) BadValue(fn, name, i, v, "is negative (ids are >= 0)");
    set(static_cast<std::size_t>(i), static_cast<std::uint64_t>(v));
  }
}

template <class E, class Set>
void ReadEnum(const char* fn, const char* name, const py::array& a, std::int64_t max_value,
              const char* enum_name, Set set) {
  auto u = a.unchecked<std::int64_t, 1>();
  for (py::ssize_t i = 0; i < u.shape(0); ++i) {
    const std::int64_t v = u(i);
    if (v < 0 || v > max_value) {
      BadValue(fn, name, i, v, fmt::format("is not a {} value", enum_name).c_str());
    }
    set(static_cast<std::size_t>(i), static_cast<E>(v));
  }
}

BulkResult PlaceOrders(PyEngine& e, U32 market, const py::object& accounts_obj,
                       const py::object& order_ids_obj, const py::object& sides_obj,
                       const py::object& prices_obj, const py::object& sizes_obj, I64 timestamp_ns,
                       const py::object& order_types_obj, const py::object& tifs_obj,
                       const py::object& stps_obj, const py::object& client_ids_obj,
                       const py::object& reduce_only_obj) {
  const char* fn = "place_orders";
  py::ssize_t n = -1;
  const py::array accounts = I64Column(fn, "accounts", accounts_obj, &n);
  const py::array order_ids = I64Column(fn, "order_ids", order_ids_obj, &n);
  const py::array sides = I64Column(fn, "sides", sides_obj, &n);
  const py::array prices = I64Column(fn, "prices", prices_obj, &n);
  const py::array sizes = I64Column(fn, "sizes", sizes_obj, &n);
  std::optional<py::array> order_types, tifs, stps, client_ids, reduce_only;
  if (!order_types_obj.is_none()) order_types = I64Column(fn, "order_types", order_types_obj, &n);
  if (!tifs_obj.is_none()) tifs = I64Column(fn, "tifs", tifs_obj, &n);
  if (!stps_obj.is_none()) stps = I64Column(fn, "stps", stps_obj, &n);
  if (!client_ids_obj.is_none()) client_ids = I64Column(fn, "client_ids", client_ids_obj, &n);
  if (!reduce_only_obj.is_none()) {
    reduce_only = Column(fn, "reduce_only", reduce_only_obj, py::dtype::of<bool>(), "bool", &n);
  }

  // Copy and validate everything before the GIL is released.
  const auto count = static_cast<std::size_t>(n);
  std::vector<en::PlaceOrder> orders(count);
  for (en::PlaceOrder& o : orders) o.market = pc::MarketId(market.value);
  ReadIds(fn, "accounts", accounts,
          [&](std::size_t i, std::uint64_t v) { orders[i].account = pc::AccountId(v); });
  ReadIds(fn, "order_ids", order_ids,
          [&](std::size_t i, std::uint64_t v) { orders[i].order_id = pc::OrderId(v); });
  ReadEnum<bk::Side>(fn, "sides", sides, 1, "Side",
                     [&](std::size_t i, bk::Side v) { orders[i].side = v; });
  {
    auto p = prices.unchecked<std::int64_t, 1>();
    auto s = sizes.unchecked<std::int64_t, 1>();
    for (py::ssize_t i = 0; i < n; ++i) {
      en::PlaceOrder& o = orders[static_cast<std::size_t>(i)];
      o.price = pc::Ticks(p(i));
      o.size = pc::Lots(s(i));
    }
  }
  if (order_types) {
    ReadEnum<bk::OrderType>(fn, "order_types", *order_types, 1, "OrderType",
                            [&](std::size_t i, bk::OrderType v) { orders[i].type = v; });
  }
  if (tifs) {
    ReadEnum<bk::TimeInForce>(fn, "tifs", *tifs, 4, "TimeInForce",
                              [&](std::size_t i, bk::TimeInForce v) { orders[i].tif = v; });
  }
  if (stps) {
    ReadEnum<bk::StpMode>(fn, "stps", *stps, 3, "StpMode",
                          [&](std::size_t i, bk::StpMode v) { orders[i].stp = v; });
  }
  if (client_ids) {
    ReadIds(fn, "client_ids", *client_ids, [&](std::size_t i, std::uint64_t v) {
      orders[i].client_id = pc::ClientOrderId(v);
    });
  }
  if (reduce_only) {
    auto r = reduce_only->unchecked<bool, 1>();
    for (py::ssize_t i = 0; i < n; ++i) orders[static_cast<std::size_t>(i)].reduce_only = r(i);
  }

  BulkResult out;
  out.count = count;
  py::array_t<std::uint16_t> reasons(n);
  py::array_t<std::int64_t> filled(n), rested(n);
  py::array_t<std::uint64_t> seqs(n);
  std::uint16_t* reason_out = reasons.mutable_data();
  std::int64_t* filled_out = filled.mutable_data();
  std::int64_t* rested_out = rested.mutable_data();
  std::uint64_t* seq_out = seqs.mutable_data();
  std::vector<FillRow> fills;
  std::size_t accepted = 0;
  absl::Status framing;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(e.mu);
    fills.reserve(count / 4 + 16);
    const pc::TimeNs ts(timestamp_ns.value);
    for (std::size_t i = 0; i < count; ++i) {
      const absl::StatusOr<en::Result> processed =
          e.eng.Apply(en::Command{e.eng.last_seq() + 1, ts, orders[i]});
      // Each order is numbered last_seq + 1 at one timestamp, so only the
      // first can meet a framing error (time before the engine's): then
      // nothing was processed.
      if (!processed.ok()) {
        framing = processed.status();
        break;
      }
      const en::Result& r = *processed;
      reason_out[i] = static_cast<std::uint16_t>(r.reason);
      filled_out[i] = r.filled.raw();
      rested_out[i] = r.rested.raw();
      seq_out[i] = r.seq;
      if (!r.ok()) continue;
      ++accepted;
      for (const en::Event& event : r.events) {
        const auto* f = std::get_if<en::events::Fill>(&event);
        if (f == nullptr) continue;
        fills.push_back(FillRow{static_cast<std::int64_t>(i),
                                static_cast<std::int64_t>(f->taker.order_id.value()),
                                static_cast<std::int64_t>(f->maker.order_id.value()),
                                static_cast<std::int64_t>(f->taker.account.value()),
                                static_cast<std::int64_t>(f->maker.account.value()),
                                static_cast<std::int64_t>(f->taker.side),
                                f->price.raw(),
                                f->size.raw(),
                                f->taker.fee.raw(),
                                f->maker.fee.raw()});
      }
    }
  }
  if (!framing.ok()) RaiseFraming(e.eng, framing);
  out.reasons = reasons;
  out.filled = filled;
  out.rested = rested;
  out.seqs = seqs;
  out.accepted = accepted;
  const auto rows = static_cast<py::ssize_t>(fills.size());
  for (std::size_t c = 0; c < kFillColumns.size(); ++c) {
    py::array_t<std::int64_t> col(rows);
    std::int64_t* d = col.mutable_data();
    for (py::ssize_t r = 0; r < rows; ++r) d[r] = fills[static_cast<std::size_t>(r)][c];
    out.fills[kFillColumns[c]] = col;
  }
  return out;
}

// BulkCancelResult
//
// What Engine.cancel_orders() answers, shaped like BulkResult: per-cancel
// reasons, the lots each took off the book and the seq each consumed, plus
// the number accepted.
struct BulkCancelResult {
  py::array reasons, canceled, seqs;
  std::size_t accepted = 0;
  std::size_t count = 0;
};

BulkCancelResult CancelOrders(PyEngine& e, U32 market, const py::object& accounts_obj,
                              const py::object& order_ids_obj, I64 timestamp_ns) {
  const char* fn = "cancel_orders";
  py::ssize_t n = -1;
  const py::array accounts = I64Column(fn, "accounts", accounts_obj, &n);
  const py::array order_ids = I64Column(fn, "order_ids", order_ids_obj, &n);
  const auto count = static_cast<std::size_t>(n);
  std::vector<en::CancelOrder> cancels(count);
  for (en::CancelOrder& c : cancels) c.market = pc::MarketId(market.value);
  ReadIds(fn, "accounts", accounts,
          [&](std::size_t i, std::uint64_t v) { cancels[i].account = pc::AccountId(v); });
  ReadIds(fn, "order_ids", order_ids,
          [&](std::size_t i, std::uint64_t v) { cancels[i].order_id = pc::OrderId(v); });
  py::array_t<std::uint16_t> reasons(n);
  py::array_t<std::int64_t> canceled(n);
  py::array_t<std::uint64_t> seqs(n);
  std::uint16_t* reason_out = reasons.mutable_data();
  std::int64_t* canceled_out = canceled.mutable_data();
  std::uint64_t* seq_out = seqs.mutable_data();
  std::size_t accepted = 0;
  absl::Status framing;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(e.mu);
    const pc::TimeNs ts(timestamp_ns.value);
    for (std::size_t i = 0; i < count; ++i) {
      const absl::StatusOr<en::Result> processed =
          e.eng.Apply(en::Command{e.eng.last_seq() + 1, ts, cancels[i]});
      if (!processed.ok()) {  // only the first can fail so (see PlaceOrders)
        framing = processed.status();
        break;
      }
      const en::Result& r = *processed;
      reason_out[i] = static_cast<std::uint16_t>(r.reason);
      seq_out[i] = r.seq;
      std::int64_t lots = 0;
      for (const en::Event& event : r.events) {
        if (const auto* c = std::get_if<en::events::OrderCanceled>(&event)) lots += c->size.raw();
      }
      canceled_out[i] = lots;
      if (r.ok()) ++accepted;
    }
  }
  if (!framing.ok()) RaiseFraming(e.eng, framing);
  BulkCancelResult out;
  out.reasons = reasons;
  out.canceled = canceled;
  out.seqs = seqs;
  out.accepted = accepted;
  out.count = count;
  return out;
}

void BindBulk(py::module_& m) {
  py::class_<BulkResult>(
      m, "BulkResult",
      R"doc(The outcome of Engine.place_orders(): one entry per order, in order.

reasons (uint16; Reason values), filled and rested (int64 lots), seqs (uint64;
the seq each order consumed, accepted or refused) are numpy arrays as long
as the batch. fills is a dict of equally long int64 arrays, one row per fill:
index (the taker order's position in the batch), taker_order_id,
maker_order_id, taker_account, maker_account, side (the taker's: 0 buy, 1
sell), price (ticks), size (lots), taker_fee and maker_fee (quote atoms; a
negative maker_fee is a rebate). Ids above 2**63 - 1 (possible only through the
per-call methods) appear as their two's-complement int64: ``.view('uint64')``
recovers them.)doc")
      .def_property_readonly(
          "reasons", [](const BulkResult& r) { return r.reasons; },
          "Reason value of each order (uint16); compare with Reason members.")
      .def_property_readonly(
          "filled", [](const BulkResult& r) { return r.filled; }, "Lots traded, per order.")
      .def_property_readonly(
          "rested", [](const BulkResult& r) { return r.rested; }, "Lots resting, per order.")
      .def_property_readonly(
          "seqs", [](const BulkResult& r) { return r.seqs; },
          "The seq each accepted order consumed; 0 for a refused one.")
      .def_property_readonly(
          "fills", [](const BulkResult& r) { return r.fills; },
          "The fills, a dict of int64 numpy arrays (see the class docstring).")
      .def_property_readonly(
          "accepted", [](const BulkResult& r) { return U64{r.accepted}; },
          "How many orders were accepted.")
      .def("__len__", [](const BulkResult& r) { return r.count; }, "The number of orders.")
      .def("__repr__", [](const BulkResult& r) {
        return fmt::format("BulkResult(orders={}, accepted={}, fills={})", r.count, r.accepted,
                           py::len(r.fills["index"]));
      });

  py::class_<BulkCancelResult>(
      m, "BulkCancelResult",
      R"doc(The outcome of Engine.cancel_orders(): one entry per cancel, in order, as
BulkResult is for place_orders().

reasons (uint16; Reason values: OK, or UNKNOWN_ORDER, NOT_ORDER_OWNER,
UNKNOWN_ACCOUNT, ... for a refused cancel), canceled (int64: the open lots each
cancel took off the book, 0 if refused) and seqs (uint64: the seq each cancel
consumed, accepted or refused) are numpy arrays as long as the batch.)doc")
      .def_property_readonly(
          "reasons", [](const BulkCancelResult& r) { return r.reasons; },
          "Reason value of each cancel (uint16); compare with Reason members.")
      .def_property_readonly(
          "canceled", [](const BulkCancelResult& r) { return r.canceled; },
          "Lots taken off the book, per cancel (the order's open size; 0 if refused).")
      .def_property_readonly(
          "seqs", [](const BulkCancelResult& r) { return r.seqs; },
          "The seq each accepted cancel consumed; 0 for a refused one.")
      .def_property_readonly(
          "accepted", [](const BulkCancelResult& r) { return U64{r.accepted}; },
          "How many cancels were accepted.")
      .def("__len__", [](const BulkCancelResult& r) { return r.count; },
           "The number of cancels.")
      .def("__repr__", [](const BulkCancelResult& r) {
        return fmt::format("BulkCancelResult(cancels={}, accepted={})", r.count, r.accepted);
      });
}

// -- the engine --------------------------------------------------------------------------

PyResult Run(PyEngine& e, const std::optional<U64>& seq, I64 timestamp_ns, en::Payload payload) {
  EngineLock lock(e);
  const std::uint64_t s = seq ? seq->value : e.eng.last_seq() + 1;
  const absl::StatusOr<en::Result> r =
      e.eng.Apply(en::Command{s, pc::TimeNs(timestamp_ns.value), std::move(payload)});
  if (!r.ok()) RaiseFraming(e.eng, r.status());
  return PyResult{r->reason, r->seq, std::vector<en::Event>(r->events.begin(), r->events.end()),
                  r->filled.raw(), r->rested.raw()};
}

en::PlaceOrder MakeOrder(U32 market, U64 account, U64 order_id, bk::Side side, I64 price, I64 size,
                         bk::OrderType order_type, bk::TimeInForce tif, bk::StpMode stp,
                         U64 client_id, bool reduce_only) {
  en::PlaceOrder o;
  o.market = pc::MarketId(market.value);
  o.order_id = pc::OrderId(order_id.value);
  o.account = pc::AccountId(account.value);
  o.client_id = pc::ClientOrderId(client_id.value);
  o.side = side;
  o.type = order_type;
  o.tif = tif;
  o.stp = stp;
  o.price = pc::Ticks(price.value);
  o.size = pc::Lots(size.value);
  o.reduce_only = reduce_only;
  return o;
}

// The clamped level count for depth queries: never more than the market's
// max_levels_per_side, so a huge `levels` allocates nothing absurd.
std::size_t DepthLimit(const en::Engine& eng, pc::MarketId market, std::uint32_t levels) {
  const en::MarketParams p = ValueOrRaise(eng.Params(market));
  return std::min<std::size_t>(levels, p.max_levels_per_side);
}

std::vector<bk::LevelView> DepthLevels(const en::Engine& eng, pc::MarketId market, bk::Side side,
                                       std::uint32_t levels) {
  std::vector<bk::LevelView> out(DepthLimit(eng, market, levels));
  out.resize(ValueOrRaise(eng.Depth(market, side, out)));
  return out;
}

constexpr const char* kSeqDoc =
    ":param seq: None for last_seq + 1 (the usual), else the exact sequence number; a "
    "wrong one raises SequenceGapError (above it) or AlreadyAppliedError (at or below "
    "last_seq), and a timestamp before the engine's time TimeWentBackError; such a command "
    "changes nothing.";

void BindEngineClass(py::module_& m) {
  py::class_<PyEngine> cls(m, "Engine", R"doc(The exchange state machine: markets (each with a book and an oracle),
accounts with cross and isolated positions, tiered margin, fees, the fee pool
and the insurance fund.

Each command method applies one command and returns a Result; a refused
command is a Reason value and changes nothing. Commands take keyword
arguments only; ``timestamp_ns`` is required (the engine never reads a clock;
it must not go back) and ``seq`` defaults to last_seq + 1. Queries never
change anything; an unknown market or account raises NotFoundError.

Units: prices in ticks and sizes in lots of their market, money in quote atoms
(10**-quote_decimals); rates (fees, discounts, bands, margin rates, margin
ratios, slippage) as decimal.Decimal fractions ("0.0005" is 5 bp). See
perpcore.units for exact conversions from decimal text.

Thread-safe: an internal lock serializes calls; the bulk methods release the
GIL while the engine works.)doc");
  cls.def(py::init([](const std::optional<en::EngineConfig>& config) {
            const en::EngineConfig c = config.value_or(en::EngineConfig{});
            const absl::Status s = en::Engine::Validate(c);
            if (!s.ok()) RaiseStatus(s);
            return std::make_unique<PyEngine>(c);
          }),
          py::arg("config") = py::none(),
          "A new empty engine.\n\n:param config: an EngineConfig; None for the defaults.\n"
          ":raises InvalidArgumentError: a config field out of range (the message names it).");

  // --- commands --------------------------------------------------------------
  cls.def(
      "create_market",
      [](PyEngine& e, U32 market, const en::MarketParams& params, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::CreateMarket{pc::MarketId(market.value),
                                    std::make_shared<const en::MarketParams>(params)});
      },
      py::kw_only(), py::arg("market"), py::arg("params"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Creates market ``market`` (non-zero, new). Invalid params are refused with "
      "Reason.INVALID_MARKET_PARAMS (validate_market() says why).");
  cls.def(
      "update_market",
      [](PyEngine& e, U32 market, const en::MarketParams& params, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::UpdateMarket{pc::MarketId(market.value),
                                    std::make_shared<const en::MarketParams>(params)});
      },
      py::kw_only(), py::arg("market"), py::arg("params"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Replaces a market's parameters except tick_size, lot_size and the book limits "
      "(Reason.PARAM_IMMUTABLE if they differ).");
  cls.def(
      "set_market_status",
      [](PyEngine& e, U32 market, en::MarketStatus status, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts, en::SetMarketStatus{pc::MarketId(market.value), status});
      },
      py::kw_only(), py::arg("market"), py::arg("status"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Sets a market's MarketStatus; DELISTED is final (Reason.INVALID_STATUS after it), and "
      "settle_market() then closes its positions.");
  cls.def(
      "create_account",
      [](PyEngine& e, U64 account, U64 owner, I64 ts, U32 fee_tier, U64 referrer,
         std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::CreateAccount{pc::AccountId(account.value), pc::OwnerId(owner.value),
                                     fee_tier.value, pc::AccountId(referrer.value)});
      },
      py::kw_only(), py::arg("account"), py::arg("owner"), py::arg("timestamp_ns"),
      py::arg("fee_tier") = U32{0}, py::arg("referrer") = U64{0}, py::arg("seq") = py::none(),
      "Creates an account (non-zero id) of ``owner`` (non-zero). ``referrer``: 0 for none, "
      "else another existing account, which then earns referrer_share of its taker fees.");
  cls.def(
      "deposit",
      [](PyEngine& e, U64 account, I64 amount, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts, en::Deposit{pc::AccountId(account.value), pc::Quote(amount.value)});
      },
      py::kw_only(), py::arg("account"), py::arg("amount"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(), "Adds ``amount`` quote atoms (> 0) to the account's cash.");
  cls.def(
      "withdraw",
      [](PyEngine& e, U64 account, I64 amount, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts, en::Withdraw{pc::AccountId(account.value), pc::Quote(amount.value)});
      },
      py::kw_only(), py::arg("account"), py::arg("amount"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Takes ``amount`` quote atoms (> 0) out, up to free collateral "
      "(Reason.INSUFFICIENT_COLLATERAL beyond the withdrawal rule, "
      "Reason.WITHDRAWAL_EXCEEDS_HELD beyond total deposits - total withdrawals).");
  cls.def(
      "transfer",
      [](PyEngine& e, U64 from_account, U64 to_account, I64 amount, I64 ts,
         std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::Transfer{pc::AccountId(from_account.value),
                                pc::AccountId(to_account.value), pc::Quote(amount.value)});
      },
      py::kw_only(), py::arg("from_account"), py::arg("to_account"), py::arg("amount"),
      py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Moves ``amount`` quote atoms between two accounts of the same owner, up to the "
      "sender's free collateral.");
  cls.def(
      "fund_insurance",
      [](PyEngine& e, I64 amount, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts, en::FundInsurance{pc::Quote(amount.value)});
      },
      py::kw_only(), py::arg("amount"), py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Adds ``amount`` quote atoms (> 0) from outside to the insurance fund (counts as a "
      "deposit).");
  cls.def(
      "liquidate",
      [](PyEngine& e, U32 market, U64 account, U64 keeper, I64 ts, std::optional<I64> max_size,
         std::optional<U64> seq) {
        en::Liquidate c{.market = pc::MarketId(market.value),
                        .account = pc::AccountId(account.value),
                        .keeper = pc::AccountId(keeper.value)};
        if (max_size) c.max_size = pc::Lots(max_size->value);
        return Run(e, seq, ts, c);
      },
      // timestamp_ns before max_size: of two arguments that are the same
      // object (None), the argument-naming wrapper names the first.
      py::kw_only(), py::arg("market") = U32{0}, py::arg("account"), py::arg("keeper"),
      py::arg("timestamp_ns"), py::arg("max_size") = py::none(), py::arg("seq") = py::none(),
      "``keeper`` (another account) asks the engine to liquidate ``account`` "
      "(perpcore/engine/engine.hpp, \"Liquidation\"): its resting orders are cancelled, "
      "then up to ``max_size`` lots (>= 1; None: no cap of the keeper's) of its position "
      "close through the book as a reduce-only IOC, the fee paid to keeper and insurance "
      "fund, a deficit covered by the insurance fund or left as a shortfall. ``market`` 0: "
      "the engine chooses (the cross position with the largest maintenance requirement, "
      "else the first liquidatable isolated bucket); a market with an isolated position "
      "liquidates that bucket. Refused, in order: Reason.UNKNOWN_ACCOUNT, LIQUIDATION_SELF, "
      "LIQUIDATION_INVALID_SIZE (max_size < 1), UNKNOWN_MARKET, LIQUIDATION_NO_POSITION, "
      "LIQUIDATION_NOT_LIQUIDATABLE (healthy at the mark), MARKET_HALTED, NO_INDEX_PRICE / "
      "INDEX_STALE. Result.filled is the lots closed through the book. A market with a "
      "backstop (LiquidationParams.backstop) hands it what the book did not close while the "
      "target is still liquidatable (BackstopTakeover, after the Liquidation), and below "
      "backstop_threshold of maintenance the whole position instead, whatever max_size (no "
      "Fill, no Liquidation, no fee, filled 0), if the backstop can take it. With "
      "LiquidationParams.loss_policy LossPolicy.ADL (the default), a bankrupt target whose "
      "deficit the insurance fund cannot cover is closed against the other side's positions "
      "in the market's ADL ranking (Engine.adl_rank()) at its bankruptcy price, each "
      "counterparty taking what leaves it not liquidatable (Deleveraged, one per "
      "counterparty): first, before the book, when the fund cannot carry it even at the "
      "mark (no Fill and no Liquidation when nothing is left), else after the Liquidation "
      "for what the book left.");
  cls.def(
      "settle_market",
      [](PyEngine& e, U32 market, I64 price, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::SettleMarket{.market = pc::MarketId(market.value),
                                    .price = pc::Ticks(price.value)});
      },
      py::kw_only(), py::arg("market"), py::arg("price"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Starts the final settlement of delisted ``market`` at ``price`` ticks (0: the "
      "market's last valid index; perpcore/engine/engine.hpp, \"Final settlement\"). The "
      "mark moves to that price and stays there, and the market takes no order of any kind "
      "from then on (Reason.MARKET_HALTED, reduce-only included). Then, account by account in "
      "the order the accounts were created, its orders there are cancelled "
      "(CancelReason.MARKET_SETTLED), its funding settles and its position closes at that "
      "one price as a fill with no fee would (PositionSettled: size * price * "
      "atoms_per_tick_lot between its bucket and the market's settlement pool); an isolated "
      "bucket is released to cross cash, a deficit covered by the insurance fund, then the "
      "shortfall. The work is bounded per command: this command settles the first "
      "accounts, and each time_tick() naming the market (not market 0) the next, until none "
      "is left (MarketSettled). stats() shows the SettlementPhase, the price and the pool. "
      "Refused, in order: Reason.UNKNOWN_MARKET, SETTLEMENT_NOT_DELISTED, SETTLEMENT_STARTED "
      "(settling or settled already), SETTLEMENT_INVALID_PRICE (price < 0, above max_price, "
      "or 0 for a market that never had an index).");
  cls.def(
      "set_self_trade_scope",
      [](PyEngine& e, U64 account, en::SelfTradeScope scope, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts, en::SetSelfTradeScope{pc::AccountId(account.value), scope});
      },
      py::kw_only(), py::arg("account"), py::arg("scope"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Sets which orders the account's new orders never trade with (SelfTradeScope); resting "
      "orders keep the scope they were placed with.");
  cls.def(
      "set_fee_tier",
      [](PyEngine& e, U64 account, U32 fee_tier, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts, en::SetFeeTier{pc::AccountId(account.value), fee_tier.value});
      },
      py::kw_only(), py::arg("account"), py::arg("fee_tier"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Sets the account's fee tier (an index into EngineConfig.fee_tier_discounts).");
  cls.def(
      "set_margin_mode",
      [](PyEngine& e, U32 market, U64 account, en::MarginMode mode, I64 ts,
         std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::SetMarginMode{pc::MarketId(market.value), pc::AccountId(account.value),
                                     mode});
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("mode"),
      py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Sets the account's MarginMode in a market; only without a position or open orders "
      "there (Reason.MARGIN_MODE_LOCKED).");
  cls.def(
      "set_leverage",
      [](PyEngine& e, U32 market, U64 account, U32 leverage, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::SetLeverage{pc::MarketId(market.value), pc::AccountId(account.value),
                                   leverage.value});
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("leverage"),
      py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Sets the account's leverage in a market (1..max_leverage); with a position or orders "
      "it must pass the margin check.");
  cls.def(
      "adjust_isolated_margin",
      [](PyEngine& e, U32 market, U64 account, I64 delta, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::AdjustIsolatedMargin{pc::MarketId(market.value),
                                            pc::AccountId(account.value), pc::Quote(delta.value)});
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("delta"),
      py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Moves ``delta`` quote atoms from cross collateral into an isolated position's bucket "
      "(delta > 0) or back (delta < 0).");
  cls.def(
      "place_order",
      [](PyEngine& e, U32 market, U64 account, U64 order_id, bk::Side side, I64 price, I64 size,
         I64 ts, bk::OrderType order_type, bk::TimeInForce tif, bk::StpMode stp, U64 client_id,
         bool reduce_only, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   MakeOrder(market, account, order_id, side, price, size, order_type, tif, stp,
                             client_id, reduce_only));
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("order_id"), py::arg("side"),
      py::arg("price"), py::arg("size"), py::arg("timestamp_ns"),
      py::arg("order_type") = bk::OrderType::kLimit, py::arg("tif") = bk::TimeInForce::kGtc,
      py::arg("stp") = bk::StpMode::kCancelMaker, py::arg("client_id") = U64{0},
      py::arg("reduce_only").noconvert() = false, py::arg("seq") = py::none(),
      R"doc(Places an order: risk checks, then match, then rest or cancel the rest per tif.

:param market: the market id.
:param account: an existing account.
:param order_id: non-zero, unique among the market's live orders.
:param side: Side.BUY or Side.SELL.
:param price: limit price in ticks (a market order's protection price).
:param size: lots, 1..max_order_size.
:param timestamp_ns: the command's time (ns); must not go back.
:param order_type: OrderType.LIMIT or MARKET (MARKET must be IOC or FOK).
:param tif: TimeInForce.
:param stp: self-trade prevention (the taker's mode decides).
:param client_id: 0 for none, else unique among the account's live orders.
:param reduce_only: may only reduce the position (IOC/FOK only; clamped to it).
:param seq: None for last_seq + 1.
:returns: a Result; filled/rested lots, events with fills and fees.)doc");
  cls.def(
      "cancel_order",
      [](PyEngine& e, U32 market, U64 account, U64 order_id, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::CancelOrder{pc::MarketId(market.value), pc::AccountId(account.value),
                                   pc::OrderId(order_id.value)});
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("order_id"),
      py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Cancels a live order of ``account`` (Reason.UNKNOWN_ORDER, NOT_ORDER_OWNER otherwise).");
  cls.def(
      "cancel_by_client_id",
      [](PyEngine& e, U32 market, U64 account, U64 client_id, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::CancelByClientId{pc::MarketId(market.value), pc::AccountId(account.value),
                                        pc::ClientOrderId(client_id.value)});
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("client_id"),
      py::arg("timestamp_ns"), py::arg("seq") = py::none(),
      "Cancels the account's live order with this client id.");
  cls.def(
      "cancel_all",
      [](PyEngine& e, U32 market, U64 account, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::CancelAll{pc::MarketId(market.value), pc::AccountId(account.value)});
      },
      py::kw_only(), py::arg("market") = U32{0}, py::arg("account"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Cancels every live order of ``account`` in ``market``, or in every market for 0.");
  cls.def(
      "amend_order",
      [](PyEngine& e, U32 market, U64 account, U64 order_id, I64 new_price, I64 new_size, I64 ts,
         std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::AmendOrder{.market = pc::MarketId(market.value),
                                  .account = pc::AccountId(account.value),
                                  .order_id = pc::OrderId(order_id.value),
                                  .new_price = pc::Ticks(new_price.value),
                                  .new_size = pc::Lots(new_size.value)});
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("order_id"),
      py::arg("new_price"), py::arg("new_size"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Changes a live order's price and open size; never trades (a crossing price is "
      "Reason.AMEND_WOULD_CROSS: use cancel_replace). Size down at the same price keeps queue "
      "priority. More risk must pass the margin check.");
  cls.def(
      "cancel_replace",
      [](PyEngine& e, U32 market, U64 account, U64 old_order_id, U64 order_id, bk::Side side,
         I64 price, I64 size, I64 ts, bk::OrderType order_type, bk::TimeInForce tif,
         bk::StpMode stp, U64 client_id, bool reduce_only, std::optional<U64> seq) {
        const en::PlaceOrder o = MakeOrder(market, account, order_id, side, price, size,
                                           order_type, tif, stp, client_id, reduce_only);
        return Run(e, seq, ts, en::Replacing(pc::OrderId(old_order_id.value), o));
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("old_order_id"),
      py::arg("order_id"), py::arg("side"), py::arg("price"), py::arg("size"),
      py::arg("timestamp_ns"), py::arg("order_type") = bk::OrderType::kLimit,
      py::arg("tif") = bk::TimeInForce::kGtc, py::arg("stp") = bk::StpMode::kCancelMaker,
      py::arg("client_id") = U64{0}, py::arg("reduce_only").noconvert() = false,
      py::arg("seq") = py::none(),
      R"doc(Cancels a live order and places a new one in its stead, atomically: one command, one seq.

The new order is checked as place_order checks it, with the old order counted as
already cancelled (its margin, book slot, level, id and client id are free: the
new order may reuse the old ``order_id`` and ``client_id``). If anything refuses
it, nothing changes and the old order stays. Accepted, the events are the old
order's ORDER_CANCELED (CancelReason.USER) and then the new order's; it may
trade, and it does not keep the old order's queue priority. This is how to move
an order to a price an amend refuses (Reason.AMEND_WOULD_CROSS).

:param market: the market id.
:param account: the account that owns the old order and places the new one.
:param old_order_id: the live order to cancel (Reason.UNKNOWN_ORDER,
    NOT_ORDER_OWNER otherwise).
:param order_id: the new order's id (may be old_order_id).
:param side: Side.BUY or Side.SELL.
:param price: limit price in ticks (a market order's protection price).
:param size: lots, 1..max_order_size.
:param timestamp_ns: the command's time (ns); must not go back.
:param order_type: OrderType.LIMIT or MARKET (MARKET must be IOC or FOK).
:param tif: TimeInForce.
:param stp: self-trade prevention (the taker's mode decides).
:param client_id: 0 for none, else unique among the account's live orders.
:param reduce_only: may only reduce the position (IOC/FOK only; clamped to it).
:param seq: None for last_seq + 1.
:returns: a Result: the new order's filled/rested lots and both orders' events.)doc");
  cls.def(
      "oracle_price",
      [](PyEngine& e, U32 market, U32 source, I64 price, I64 ts, std::optional<I64> publish_time,
         std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::OraclePrice{pc::MarketId(market.value), pc::SourceId(source.value),
                                   pc::Ticks(price.value),
                                   pc::TimeNs(publish_time.value_or(ts).value)});
      },
      py::kw_only(), py::arg("market"), py::arg("source"), py::arg("price"),
      py::arg("timestamp_ns"), py::arg("publish_time_ns") = py::none(),
      py::arg("seq") = py::none(),
      "A price (ticks) from oracle source ``source`` (non-zero), published at "
      "``publish_time_ns`` (None: timestamp_ns; not after it, not before the source's last). "
      "Re-evaluates the index, TWAP, breaker and mark.");
  cls.def(
      "retire_source",
      [](PyEngine& e, U32 market, U32 source, I64 ts, std::optional<U64> seq) {
        return Run(e, seq, ts,
                   en::RetireSource{pc::MarketId(market.value), pc::SourceId(source.value)});
      },
      py::kw_only(), py::arg("market"), py::arg("source"), py::arg("timestamp_ns"),
      py::arg("seq") = py::none(),
      "Retires oracle source ``source``: its price no longer counts and its slot is free "
      "(Reason.ORACLE_UNKNOWN_SOURCE if the market has none). Re-evaluates the oracle at once.");
  cls.def(
      "time_tick",
      [](PyEngine& e, I64 ts, U32 market, std::optional<U64> seq) {
        return Run(e, seq, ts, en::TimeTick{pc::MarketId(market.value)});
      },
      py::kw_only(), py::arg("timestamp_ns"), py::arg("market") = U32{0},
      py::arg("seq") = py::none(),
      "Re-evaluates the oracle (staleness, TWAP, breaker, mark) of one market, or of all for 0. "
      "A tick naming a market whose final settlement is under way then settles its next "
      "accounts (settle_market(); a tick of market 0 does not).");

  // --- bulk ------------------------------------------------------------------
  cls.def("place_orders", &PlaceOrders, py::kw_only(), py::arg("market"), py::arg("accounts"),
          py::arg("order_ids"), py::arg("sides"), py::arg("prices"), py::arg("sizes"),
          py::arg("timestamp_ns"), py::arg("order_types") = py::none(),
          py::arg("tifs") = py::none(), py::arg("stps") = py::none(),
          py::arg("client_ids") = py::none(), py::arg("reduce_only") = py::none(),
          R"doc(Places many orders in one market, each as its own command, with the GIL released.

Columns are 1-D numpy arrays of one length: int64 for everything (enum columns
hold the enum's values: sides 0 BUY / 1 SELL, order_types, tifs, stps), bool for
reduce_only. None means the default for every order (LIMIT, GTC, CANCEL_MAKER,
client id 0, not reduce-only). All orders carry ``timestamp_ns``; each is a
command and consumes seq last_seq + 1, accepted or refused (its reason is in the
result).

:raises TypeError: a column is not a numpy.ndarray of exactly its dtype (no casts).
:raises TimeWentBackError: timestamp_ns is before the engine's time. Nothing is applied.
:raises InvalidArgumentError: a column is not 1-D, the lengths differ, an id is
    negative or an enum column holds a value outside its enum. Nothing is applied.
:returns: a BulkResult (per-order reasons, filled, rested, seqs; fills as arrays).)doc");
  cls.def("cancel_orders", &CancelOrders, py::kw_only(), py::arg("market"), py::arg("accounts"),
          py::arg("order_ids"), py::arg("timestamp_ns"),
          R"doc(Cancels many orders of one market, each as its own command, with the GIL released.

``accounts`` and ``order_ids`` are 1-D int64 numpy arrays of one length
(checked as in place_orders). All cancels carry ``timestamp_ns``; each is a
command and consumes seq last_seq + 1, accepted or refused (its reason is in the
result).

:raises TypeError: a column is not a numpy.ndarray of dtype int64 (no casts).
:raises TimeWentBackError: timestamp_ns is before the engine's time. Nothing is applied.
:raises InvalidArgumentError: a column is not 1-D, the lengths differ or an id
    is negative. Nothing is applied.
:returns: a BulkCancelResult (per-cancel reasons, canceled lots, seqs; accepted).)doc");
  cls.def(
      "depth_arrays",
      [](PyEngine& e, U32 market, bk::Side side, U32 levels) {
        std::vector<bk::LevelView> lv;
        {
          EngineLock lock(e);
          lv = DepthLevels(e.eng, pc::MarketId(market.value), side, levels.value);
        }
        const auto n = static_cast<py::ssize_t>(lv.size());
        py::array_t<std::int64_t> prices(n), sizes(n), counts(n);
        std::int64_t* p = prices.mutable_data();
        std::int64_t* s = sizes.mutable_data();
        std::int64_t* c = counts.mutable_data();
        for (py::ssize_t i = 0; i < n; ++i) {
          p[i] = lv[static_cast<std::size_t>(i)].price.raw();
          s[i] = lv[static_cast<std::size_t>(i)].total.raw();
          c[i] = lv[static_cast<std::size_t>(i)].orders;
        }
        return py::make_tuple(prices, sizes, counts);
      },
      py::arg("market"), py::arg("side"), py::arg("levels"),
      "The best ``levels`` levels of one side, best first, as three int64 numpy arrays "
      "(prices in ticks, total sizes in lots, order counts).");

  // --- queries ---------------------------------------------------------------
  cls.def(
      "validate_market",
      [](PyEngine& e, const en::MarketParams& params) {
        absl::Status s;
        {
          EngineLock lock(e);
          s = e.eng.ValidateMarket(params);
        }
        if (!s.ok()) RaiseStatus(s);
      },
      py::arg("params"),
      "Checks MarketParams against this engine's config.\n\n:raises InvalidArgumentError: "
      "naming the first field out of range (what INVALID_MARKET_PARAMS means).");
  cls.def(
      "stats",
      [](PyEngine& e, U32 market) {
        EngineLock lock(e);
        return ValueOrRaise(e.eng.Stats(pc::MarketId(market.value)));
      },
      py::arg("market"), "The market's MarketStats.\n\n:raises NotFoundError: unknown market.");
  cls.def(
      "funding",
      [](PyEngine& e, U32 market) {
        EngineLock lock(e);
        return ValueOrRaise(e.eng.Funding(pc::MarketId(market.value)));
      },
      py::arg("market"),
      "The market's FundingView (index, rates, samples, pool, history).\n\n:raises "
      "NotFoundError: unknown market.");
  cls.def(
      "params",
      [](PyEngine& e, U32 market) {
        EngineLock lock(e);
        return ValueOrRaise(e.eng.Params(pc::MarketId(market.value)));
      },
      py::arg("market"),
      "A copy of the market's MarketParams.\n\n:raises NotFoundError: unknown market.");
  cls.def(
      "best",
      [](PyEngine& e, U32 market, bk::Side side) {
        EngineLock lock(e);
        return MakeLevel(ValueOrRaise(e.eng.Best(pc::MarketId(market.value), side)));
      },
      py::arg("market"), py::arg("side"),
      "The best level of ``side`` as a Level(price, size, orders), or None.\n\n"
      ":raises NotFoundError: unknown market.");
  cls.def(
      "depth",
      [](PyEngine& e, U32 market, bk::Side side, U32 levels) {
        std::vector<bk::LevelView> lv;
        {
          EngineLock lock(e);
          lv = DepthLevels(e.eng, pc::MarketId(market.value), side, levels.value);
        }
        return MakeLevels(lv);
      },
      py::arg("market"), py::arg("side"), py::arg("levels"),
      "The best ``levels`` levels of ``side``, best first, as a list of Level(price, size, "
      "orders): ticks, lots, a count.\n\n"
      ":raises NotFoundError: unknown market.");
  cls.def(
      "summary",
      [](PyEngine& e, U64 account) {
        EngineLock lock(e);
        return ValueOrRaise(e.eng.Summary(pc::AccountId(account.value)));
      },
      py::arg("account"),
      "The account's AccountSummary, positions included.\n\n"
      ":raises NotFoundError: unknown account.");
  cls.def(
      "liquidatable",
      [](PyEngine& e, I64 limit) {
        if (limit.value < 0) {
          Raise(g_errors.invalid_argument,
                fmt::format("limit must be >= 0, not {}", limit.value));
        }
        EngineLock lock(e);
        return e.eng.Liquidatable(static_cast<std::size_t>(limit.value));
      },
      py::arg("limit"),
      "The liquidatable cross accounts (market 0) and isolated buckets, most under-margined "
      "first (equity / maintenance ascending; ties by account, then market), at most "
      "``limit`` of them, as LiquidationCandidate. Each is liquidatable now; fewer than "
      "``limit`` means there are no more. Answered from per-market candidate indexes, not a "
      "walk over accounts.\n\n:raises InvalidArgumentError: limit < 0.");
  cls.def(
      "adl_rank",
      [](PyEngine& e, U64 account, U32 market) {
        EngineLock lock(e);
        return ValueOrRaise(
            e.eng.AdlRank(pc::AccountId(account.value), pc::MarketId(market.value)));
      },
      py::arg("account"), py::arg("market"),
      "Where the account's position in ``market`` stands in the market's auto-deleveraging "
      "ranking at the current mark (PnL% x leverage setting; perpcore/engine/engine.hpp, "
      "\"Auto-deleveraging\"), as an AdlRank(rank, count, bucket). O(positions of its "
      "side): for a display, not for every command.\n\n"
      ":raises NotFoundError: unknown account or market, or no position of the account "
      "there.");
  cls.def(
      "open_orders",
      [](PyEngine& e, U64 account) {
        EngineLock lock(e);
        return ValueOrRaise(e.eng.OpenOrders(pc::AccountId(account.value)));
      },
      py::arg("account"),
      "The account's live orders (OpenOrder), by market id then placement order.\n\n"
      ":raises NotFoundError: unknown account.");
  cls.def(
      "preview_order",
      [](PyEngine& e, U32 market, U64 account, bk::Side side, I64 price, I64 size, U64 order_id,
         bk::OrderType order_type, bk::TimeInForce tif, bk::StpMode stp, U64 client_id,
         bool reduce_only) {
        const en::PlaceOrder o = MakeOrder(market, account, order_id, side, price, size,
                                           order_type, tif, stp, client_id, reduce_only);
        EngineLock lock(e);
        return ValueOrRaise(e.eng.PreviewOrder(o));
      },
      py::kw_only(), py::arg("market"), py::arg("account"), py::arg("side"), py::arg("price"),
      py::arg("size"), py::arg("order_id") = U64{0},
      py::arg("order_type") = bk::OrderType::kLimit, py::arg("tif") = bk::TimeInForce::kGtc,
      py::arg("stp") = bk::StpMode::kCancelMaker, py::arg("client_id") = U64{0},
      py::arg("reduce_only").noconvert() = false,
      "What place_order with these arguments would do now, without doing it: a Preview.\n\n"
      ":raises NotFoundError: unknown market or account.");
  cls.def(
      "check_invariants",
      [](PyEngine& e) {
        absl::Status s;
        {
          EngineLock lock(e);
          s = e.eng.CheckInvariants();
        }
        if (!s.ok()) RaiseStatus(s);
      },
      "Checks conservation of money, open interest and every book (O(state)).\n\n"
      ":raises InternalError: describing the first violation.");
  cls.def(
      "encode_canonical",
      [](PyEngine& e) {
        std::string out;
        {
          EngineLock lock(e);
          e.eng.EncodeCanonical(&out);
        }
        return Bytes(out);
      },
      "The canonical byte encoding of the whole state: equal iff the states are equal.");
  cls.def(
      "digest",
      [](PyEngine& e) {
        std::array<std::uint8_t, 32> d{};
        {
          EngineLock lock(e);
          d = e.eng.Digest();
        }
        return py::bytes(reinterpret_cast<const char*>(d.data()), d.size());
      },
      "The 32-byte state root: SHA-256 (tagged \"perpcore/engine\") of encode_canonical(). "
      "The same commands give the same digest in every process.");
  cls.def(
      "markets",
      [](PyEngine& e) {
        EngineLock lock(e);
        std::vector<U32> out;
        for (pc::MarketId id : e.eng.Markets()) out.push_back(IdInt(id));
        return out;
      },
      "Market ids in increasing order.");
  cls.def(
      "accounts",
      [](PyEngine& e) {
        EngineLock lock(e);
        std::vector<U64> out;
        for (pc::AccountId id : e.eng.Accounts()) out.push_back(IdInt(id));
        return out;
      },
      "Account ids in increasing order.");
  cls.def(
      "copy",
      [](PyEngine& e) {
        EngineLock lock(e);
        return std::make_unique<PyEngine>(e.eng);
      },
      "An independent copy of the engine (same state, same digest).");
  cls.def_property_readonly(
      "last_seq",
      [](PyEngine& e) {
        EngineLock lock(e);
        return U64{e.eng.last_seq()};
      },
      "The seq of the last applied command (0 before any).");
  cls.def_property_readonly(
      "now_ns",
      [](PyEngine& e) {
        EngineLock lock(e);
        return I64{e.eng.now().raw()};
      },
      "The timestamp of the last applied command, ns.");
  cls.def_property_readonly(
      "fee_pool",
      [](PyEngine& e) {
        EngineLock lock(e);
        return I64{e.eng.fee_pool().raw()};
      },
      "Fees collected net of rebates and referrer cuts, quote atoms.");
  cls.def_property_readonly(
      "insurance_fund",
      [](PyEngine& e) {
        EngineLock lock(e);
        return I64{e.eng.insurance_fund().raw()};
      },
      "The insurance fund, quote atoms.");
  cls.def_property_readonly(
      "shortfall",
      [](PyEngine& e) {
        EngineLock lock(e);
        return I64{e.eng.shortfall().raw()};
      },
      "The shortfall bucket, quote atoms (>= 0): liquidation deficits the insurance fund "
      "could not cover (Shortfall events). While it is above 0, withdraw() is refused "
      "(Reason.WITHDRAWALS_GATED); fund_insurance() pays it down first.");
  cls.def_property_readonly(
      "total_deposits",
      [](PyEngine& e) {
        absl::int128 v;
        {
          EngineLock lock(e);
          v = e.eng.total_deposits();
        }
        return Int128(v);
      },
      "Cumulative deposits (insurance funding included), quote atoms (may exceed int64).");
  cls.def_property_readonly(
      "total_withdrawals",
      [](PyEngine& e) {
        absl::int128 v;
        {
          EngineLock lock(e);
          v = e.eng.total_withdrawals();
        }
        return Int128(v);
      },
      "Cumulative withdrawals, quote atoms (may exceed int64).");
  cls.def_property_readonly(
      "funding_residual",
      [](PyEngine& e) {
        absl::int128 v;
        {
          EngineLock lock(e);
          v = e.eng.funding_residual();
        }
        return Int128(v);
      },
      "The funding residual sink: settlement rounding collected from the markets' funding "
      "pools (FundingResidual events), quote atoms (may exceed int64).");
  cls.def_property_readonly(
      "config",
      [](PyEngine& e) {
        EngineLock lock(e);
        return e.eng.config();
      },
      "A copy of the EngineConfig.");
  cls.def("__repr__", [](PyEngine& e) {
    EngineLock lock(e);
    return fmt::format("<Engine markets={} accounts={} last_seq={} now_ns={}>",
                       e.eng.Markets().size(), e.eng.Accounts().size(), e.eng.last_seq(),
                       e.eng.now().raw());
  });
}

}  // namespace

void BindEngine(py::module_& m) {
  BindEngineEnums(m);
  BindConfig(m);
  BindEvents(m);
  BindViews(m);
  BindBulk(m);
  BindEngineClass(m);
}

}  // namespace perpcore_py

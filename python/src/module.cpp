// -----------------------------------------------------------------------------
// File: python/src/module.cpp
// -----------------------------------------------------------------------------
//
// The pybind11 extension `perpcore._perpcore`, re-exported by the package
// `perpcore` (python/perpcore/__init__.py). Hand-written stubs live next to
// it in _perpcore.pyi and are checked by mypy's stubtest.
//
// Conversions at the boundary:
//   * Integers are strict. An int parameter accepts int (and anything with
//     __index__, such as numpy integers) but never float or bool: they raise
//     TypeError, so a price is never truncated silently. A value outside the
//     C++ type's range (e.g. 2**63 for an int64, -1 for an id) raises
//     OutOfRangeError, which is both a perpcore.Error and an OverflowError.
//   * Ids are plain ints: uint32 for market and oracle source ids, uint64 for
//     account, owner, order and client order ids. The C++ id types
//     (perpcore/core/ids.hpp) exist only on the C++ side of the boundary.
//   * Rates (fees, discounts, shares, price bands, deviations, margin rates,
//     funding rates, in parameters and events alike) are fractions in human
//     units: decimal.Decimal or str ("0.0005" is 5 bp), converted exactly to
//     the engine's 1e-18 units (ToRate in common.hpp), and read back as
//     decimal.Decimal. Floats and ints raise TypeError (an
//     int is ambiguous: 5 would be 5e-18 to the C++ API), a value finer than
//     1e-18 or a negative one where none is allowed InvalidArgumentError.
//   * 128-bit values (cumulative totals, the funding index and pools) are
//     exact Python ints.
//   * absl::Status errors become perpcore.Error subclasses, one per canonical
//     code (InvalidArgumentError is also a ValueError, OutOfRangeError an
//     OverflowError, NotFoundError a LookupError, InternalError a
//     RuntimeError).
//   * Business outcomes are values, never exceptions: a refused order is a
//     PlaceResult whose `reason` is a Reason (an enum.IntEnum).
//   * Enums are real enum.IntEnum classes built at import; a parameter typed
//     as an enum accepts only members of that enum, not plain ints.
//
// This is one of the two places where perpcore catches exceptions: pybind11
// turns std::bad_alloc into MemoryError. A broken invariant inside perpcore
// (PERPCORE_CHECK) still aborts the process, as it does everywhere.
//
// Thread safety: every OrderBook call holds the GIL. OrderBook methods
// deliberately do not release it: the book is not thread-safe, and the GIL is
// what serializes two Python threads that share one book. Each call is short
// (bounded work). The Engine (engine.cpp) has a lock of its own, because its
// bulk methods release the GIL while the engine works.
//
// Layout: common.hpp (Int<T>, errors, enum casters), this file (module init,
// errors, enums, decimals, the book), engine.cpp (the engine and its bulk
// numpy path), analytics.cpp (the submodule `analytics`: optimal execution
// in doubles, numpy float64 arrays), arguments.cpp (errors that name the
// argument), testing.cpp (a private hook of the tests: allocation-failure
// injection; only in a build with the tests).

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common.hpp"
#include "fmt/format.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"
#include "perpcore/core/decimal.hpp"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/version.hpp"

namespace perpcore_py {

// engine.cpp
void BindEngine(py::module_& m);
// analytics.cpp: the submodule `analytics` (needs the enums of BindEnums).
void BindAnalytics(py::module_& parent);
#ifdef PERPCORE_PYTHON_TEST_HOOKS
// testing.cpp: the private allocation-failure hook of the tests (linked only
// into a build with the tests: python/CMakeLists.txt).
void BindTesting(py::module_& m);
#endif
// arguments.cpp: wraps every bound function so an argument that does not
// load raises an error naming it; run last.
void NameArgumentsInErrors(py::module_& m, std::initializer_list<py::module_> submodules);

namespace {

// ReasonMembers()
//
// Reason's members from the library's own list and names (AllReasons,
// ReasonName), so the Python enum cannot drift from it.
std::vector<Member> ReasonMembers() {
  std::vector<Member> out;
  for (const ::perpcore::Reason r : ::perpcore::AllReasons()) {
    out.push_back({UpperSnake(::perpcore::ReasonName(r)), static_cast<int>(r)});
  }
  return out;
}

void BindEnums(py::module_& m) {
  MakeEnum<bk::Side>(m, "Side", "The side of an order: BUY or SELL.", {{"BUY", 0}, {"SELL", 1}});
  MakeEnum<bk::OrderType>(
      m, "OrderType",
      "LIMIT, or MARKET: a market order carries a protection price (`price`) it never "
      "fills beyond, and must be IOC or FOK.",
      {{"LIMIT", 0}, {"MARKET", 1}});
  MakeEnum<bk::TimeInForce>(
      m, "TimeInForce",
      "GTC rests the remainder; IOC cancels it; FOK fills all now or is refused; "
      "POST_ONLY rests without matching or is refused if it would cross; "
      "POST_ONLY_SLIDE is re-priced one price step behind the opposite best instead.",
      {{"GTC", 0}, {"IOC", 1}, {"FOK", 2}, {"POST_ONLY", 3}, {"POST_ONLY_SLIDE", 4}});
  MakeEnum<bk::StpMode>(
      m, "StpMode",
      "Self-trade prevention, chosen by the incoming order: CANCEL_MAKER, CANCEL_TAKER, "
      "CANCEL_BOTH, or DECREMENT_AND_CANCEL (reduce both by the smaller size, no trade).",
      {{"CANCEL_MAKER", 0}, {"CANCEL_TAKER", 1}, {"CANCEL_BOTH", 2}, {"DECREMENT_AND_CANCEL", 3}});
  MakeEnum<::perpcore::Reason>(
      m, "Reason",
      "Why a request or command was refused, or OK: one list for the order book and the "
      "engine. A refused request changes nothing; it is a value, never an exception. Each "
      "module owns a range of 100: 1xx framing (the FramingError exceptions, never a result), "
      "2xx parameters, 3xx markets and accounts, 4xx book, 5xx risk, 6xx oracle. "
      "reason_message() gives a sentence for each.",
      ReasonMembers());
  MakeEnum<bk::CancelReason>(m, "CancelReason",
                             "Why an order or part of one left the book without trading.",
                             {{"USER", 0},
                              {"CANCEL_ALL", 1},
                              {"UNFILLED_REMAINDER", 2},
                              {"SELF_TRADE", 3},
                              {"MAX_FILL", 4},
                              {"MATCH_LIMIT", 5},
                              {"ACCOUNT_LOCKED", 6},
                              {"LIQUIDATION", 7},
                              {"MARKET_SETTLED", 8}});
  MakeEnum<bk::EventKind>(
      m, "EventKind", "What an Event reports: FILL, RESTED, CANCELED, REDUCED or AMENDED.",
      {{"FILL", 0}, {"RESTED", 1}, {"CANCELED", 2}, {"REDUCED", 3}, {"AMENDED", 4}});
}

// -- errors -------------------------------------------------------------------

PyObject* NewError(const char* qualified, const char* doc, PyObject* bases, const char* code) {
  PyObject* type = PyErr_NewExceptionWithDoc(qualified, doc, bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  py::handle(type).attr("code") = code;
  return type;
}

void BindErrors(py::module_& m) {
  g_errors.base =
      NewError("perpcore._perpcore.Error",
               "Base class of every error perpcore raises for a bad call or bad data. "
               "`code` names the canonical status code. Business outcomes (a refused order) "
               "are never errors: they are Reason values.",
               PyExc_Exception, "UNKNOWN");
  auto bases = [](PyObject* builtin) {
    return py::make_tuple(py::handle(g_errors.base), py::handle(builtin));
  };
  g_errors.invalid_argument =
      NewError("perpcore._perpcore.InvalidArgumentError",
               "A malformed or invalid argument (status INVALID_ARGUMENT); also a ValueError.",
               bases(PyExc_ValueError).ptr(), "INVALID_ARGUMENT");
  g_errors.out_of_range =
      NewError("perpcore._perpcore.OutOfRangeError",
               "A value outside its representable range (status OUT_OF_RANGE), including an int "
               "argument that does not fit its C++ type; also an OverflowError.",
               bases(PyExc_OverflowError).ptr(), "OUT_OF_RANGE");
  g_errors.not_found =
      NewError("perpcore._perpcore.NotFoundError",
               "Something looked up does not exist (status NOT_FOUND); also a LookupError.",
               bases(PyExc_LookupError).ptr(), "NOT_FOUND");
  g_errors.internal = NewError("perpcore._perpcore.InternalError",
                               "A violated internal invariant (status INTERNAL), e.g. from "
                               "OrderBook.check_invariants() or Engine.check_invariants(); "
                               "also a RuntimeError.",
                               bases(PyExc_RuntimeError).ptr(), "INTERNAL");
  g_errors.framing = NewError(
      "perpcore._perpcore.FramingError",
      "A command the engine did not process because of its seq or timestamp, or because the "
      "engine is poisoned; nothing changed. Its subclasses say which.",
      g_errors.base, "FAILED_PRECONDITION");
  g_errors.sequence_gap = NewError(
      "perpcore._perpcore.SequenceGapError",
      "seq is above the engine's last_seq + 1: a gap in the input log.", g_errors.framing,
      "OUT_OF_RANGE");
  g_errors.time_went_back = NewError(
      "perpcore._perpcore.TimeWentBackError",
      "timestamp_ns is before the engine's time (the last processed command's).",
      g_errors.framing, "FAILED_PRECONDITION");
  g_errors.already_applied = NewError(
      "perpcore._perpcore.AlreadyAppliedError",
      "seq is at or below the engine's last_seq: the command was processed before (a "
      "redelivery); it is not applied again.",
      g_errors.framing, "ALREADY_EXISTS");
  g_errors.poisoned = NewError(
      "perpcore._perpcore.EnginePoisonedError",
      "An earlier command failed midway (MemoryError) and may be half applied: the engine "
      "refuses every command from then on; queries still answer.",
      g_errors.framing, "FAILED_PRECONDITION");
  m.attr("FramingError") = py::handle(g_errors.framing);
  m.attr("SequenceGapError") = py::handle(g_errors.sequence_gap);
  m.attr("TimeWentBackError") = py::handle(g_errors.time_went_back);
  m.attr("AlreadyAppliedError") = py::handle(g_errors.already_applied);
  m.attr("EnginePoisonedError") = py::handle(g_errors.poisoned);
  m.attr("Error") = py::handle(g_errors.base);
  m.attr("PerpcoreError") = py::handle(g_errors.base);
  m.attr("InvalidArgumentError") = py::handle(g_errors.invalid_argument);
  m.attr("OutOfRangeError") = py::handle(g_errors.out_of_range);
  m.attr("NotFoundError") = py::handle(g_errors.not_found);
  m.attr("InternalError") = py::handle(g_errors.internal);
}

// -- decimals -----------------------------------------------------------------

pc::DecimalScale Scale(I32 decimals, I64 step) {
  return pc::DecimalScale{.decimals = decimals.value, .step = step.value};
}

void BindDecimal(py::module_& m) {
  m.def(
      "parse_decimal",
      [](const py::str& text, I32 decimals, I64 step) {
        const std::string s = text;
        return I64{ValueOrRaise(pc::ParseDecimal(s, Scale(decimals, step)))};
      },
      py::arg("text"), py::arg("decimals"), py::arg("step") = I64{1},
      R"doc(Exact integer units of a decimal string.

One unit is ``step * 10**-decimals``: ``parse_decimal("65000.5", 1) == 650005`` and
``parse_decimal("65000.5", 1, step=5) == 130001``.

:param text: an optional '-', digits, and optionally '.' and digits; nothing else
    (no '+', exponent, spaces, ".5" or "5.").
:param decimals: digits after the point of one 10**-decimals step, in [0, 18].
:param step: the unit in those steps, >= 1.
:raises InvalidArgumentError: malformed text, precision beyond ``decimals`` (other
    than trailing zeros), a value that is not a whole number of steps, or a bad scale.
:raises OutOfRangeError: the value does not fit in int64 units.
:raises TypeError: ``text`` is not a str, or an int argument is a float.)doc");

  m.def(
      "format_decimal",
      [](I64 units, I32 decimals, I64 step) {
        return ValueOrRaise(pc::FormatDecimal(units.value, Scale(decimals, step)));
      },
      py::arg("units"), py::arg("decimals"), py::arg("step") = I64{1},
      R"doc(The shortest exact decimal text of ``units`` (see parse_decimal).

No trailing zeros and no point for whole numbers: ``format_decimal(650005, 1) ==
"65000.5"``. Exact for every int64; ``parse_decimal(format_decimal(u, d, s), d, s) == u``.

:raises InvalidArgumentError: a bad scale.
:raises OutOfRangeError: ``units`` does not fit in int64.
:raises TypeError: an argument is a float.)doc");

  m.def(
      "parse_rate",
      [](const py::str& text) {
        const std::string s = text;
        return I64{ValueOrRaise(pc::ParseRate(s)).raw()};
      },
      py::arg("text"),
      R"doc(The raw Rate (a fraction in units of 1e-18, see RATE_SCALE) of decimal text.

``parse_rate("0.01") == RATE_SCALE // 100``. The raw integer is what the C++
and C APIs carry; the Python configs take the text (or a decimal.Decimal)
itself and read back Decimals.

:raises InvalidArgumentError: malformed text or more than 18 decimals.
:raises OutOfRangeError: the value leaves int64.)doc");

  m.def(
      "format_rate", [](I64 rate) { return pc::FormatRate(pc::Rate(rate.value)); }, py::arg("rate"),
      "The decimal text of a raw Rate given in units of 1e-18: ``format_rate(5 * 10**14) == "
      "\"0.0005\"``, which the Python configs accept as a rate.");

  m.attr("RATE_SCALE") = py::int_(pc::kRateScale);
}

// -- book value types -----------------------------------------------------------

std::string EventRepr(const bk::Event& e) {
  std::string out = fmt::format(
      "Event(kind={}, order_id={}, account={}, side={}, price={}, "
      "size={}, remaining={}",
      EnumName(e.kind), e.order_id.value(), e.account.value(), EnumName(e.side), e.price.raw(),
      e.size.raw(),
      e.remaining.raw());
  const bool fill = e.kind == bk::EventKind::kFill;
  if (fill || e.maker_order_id.valid() || e.maker_account.valid() || e.maker_remaining.raw() != 0) {
    out += fmt::format(", maker_order_id={}, maker_account={}, maker_remaining={}",
                       e.maker_order_id.value(), e.maker_account.value(), e.maker_remaining.raw());
  }
  const bool cancel = e.kind == bk::EventKind::kCanceled || e.kind == bk::EventKind::kReduced;
  if (cancel || e.reason != bk::CancelReason::kUser) {
    out += fmt::format(", reason={}", EnumName(e.reason));
  }
  if (e.kind == bk::EventKind::kAmended || e.priority_kept) {
    out += fmt::format(", priority_kept={}", e.priority_kept ? "True" : "False");
  }
  out += ")";
  return out;
}

void BindValueTypes(py::module_& m) {
  py::class_<bk::PlaceResult>(m, "PlaceResult",
                              "The outcome of OrderBook.place(). `reason` is Reason.OK iff the "
                              "order was accepted; then `filled` lots traded and `rested` lots "
                              "rest at `rest_price`; the rest of the size was cancelled.")
      .def_property_readonly(
          "reason", [](const bk::PlaceResult& r) { return r.reason; },
          "Reason.OK, or why the order was refused (nothing changed).")
      .def_property_readonly(
          "filled", [](const bk::PlaceResult& r) { return I64{r.filled.raw()}; }, "Lots traded.")
      .def_property_readonly(
          "rested", [](const bk::PlaceResult& r) { return I64{r.rested.raw()}; },
          "Lots left resting in the book.")
      .def_property_readonly(
          "rest_price", [](const bk::PlaceResult& r) { return I64{r.rest_price.raw()}; },
          "The price (ticks) the remainder rests at; 0 if nothing rested.")
      .def_property_readonly(
          "ok", [](const bk::PlaceResult& r) { return r.ok(); }, "True iff reason is Reason.OK.")
      .def(
          "__eq__",
          [](const bk::PlaceResult& a, const py::object& b) -> py::object {
            if (!py::isinstance<bk::PlaceResult>(b))
              return py::reinterpret_borrow<py::object>(Py_NotImplemented);
            return py::bool_(a == b.cast<const bk::PlaceResult&>());
          },
          py::arg("other"), "Field-wise equality.")
      .def("__repr__", [](const bk::PlaceResult& r) {
        return fmt::format("PlaceResult(reason={}, filled={}, rested={}, rest_price={})",
                           EnumName(r.reason), r.filled.raw(), r.rested.raw(), r.rest_price.raw());
      });
  py::setattr(m.attr("PlaceResult"), "__hash__", py::none());

  py::class_<bk::Event>(m, "Event",
                        "One thing that happened during the last mutating call, in order.\n\n"
                        "FILL: order_id/account/side are the taker, price the maker's price, "
                        "size the lots traded, remaining the taker's open size after it, and "
                        "maker_* the resting order. RESTED: price/size of the resting part. "
                        "CANCELED/REDUCED: size taken off, remaining after, and reason. "
                        "AMENDED: the new price and remaining, the old open size in size, "
                        "and priority_kept.")
      .def(py::init([](bk::EventKind kind, bk::Side side, bk::CancelReason reason,
                       bool priority_kept, U64 order_id, U64 account, I64 price, I64 size,
                       I64 remaining, U64 maker_order_id, U64 maker_account, I64 maker_remaining) {
             bk::Event e;
             e.kind = kind;
             e.side = side;
             e.reason = reason;
             e.priority_kept = priority_kept;
             e.order_id = pc::OrderId(order_id.value);
             e.account = pc::AccountId(account.value);
             e.price = pc::Ticks(price.value);
             e.size = pc::Lots(size.value);
             e.remaining = pc::Lots(remaining.value);
             e.maker_order_id = pc::OrderId(maker_order_id.value);
             e.maker_account = pc::AccountId(maker_account.value);
             e.maker_remaining = pc::Lots(maker_remaining.value);
             return e;
           }),
           py::kw_only(), py::arg("kind"), py::arg("side") = bk::Side::kBuy,
           py::arg("reason") = bk::CancelReason::kUser,
           py::arg("priority_kept").noconvert() = false, py::arg("order_id") = U64{0},
           py::arg("account") = U64{0}, py::arg("price") = I64{0}, py::arg("size") = I64{0},
           py::arg("remaining") = I64{0}, py::arg("maker_order_id") = U64{0},
           py::arg("maker_account") = U64{0}, py::arg("maker_remaining") = I64{0},
           "An event with the given fields (for comparisons in tests); unset fields are 0.")
      .def_property_readonly(
          "kind", [](const bk::Event& e) { return e.kind; }, "The EventKind.")
      .def_property_readonly(
          "side", [](const bk::Event& e) { return e.side; }, "The side of order_id.")
      .def_property_readonly(
          "reason", [](const bk::Event& e) { return e.reason; },
          "The CancelReason of a CANCELED or REDUCED event.")
      .def_property_readonly(
          "priority_kept", [](const bk::Event& e) { return e.priority_kept; },
          "AMENDED: whether the order kept its place in the queue.")
      .def_property_readonly(
          "order_id", [](const bk::Event& e) { return IdInt(e.order_id); },
          "The order this event is about (the taker of a FILL).")
      .def_property_readonly(
          "account", [](const bk::Event& e) { return IdInt(e.account); },
          "The account of order_id.")
      .def_property_readonly(
          "price", [](const bk::Event& e) { return I64{e.price.raw()}; }, "Price in ticks.")
      .def_property_readonly(
          "size", [](const bk::Event& e) { return I64{e.size.raw()}; }, "Size in lots.")
      .def_property_readonly(
          "remaining", [](const bk::Event& e) { return I64{e.remaining.raw()}; },
          "The open size of order_id after the event, in lots.")
      .def_property_readonly(
          "maker_order_id", [](const bk::Event& e) { return IdInt(e.maker_order_id); },
          "FILL: the resting order.")
      .def_property_readonly(
          "maker_account", [](const bk::Event& e) { return IdInt(e.maker_account); },
          "FILL: the account of the resting order.")
      .def_property_readonly(
          "maker_remaining", [](const bk::Event& e) { return I64{e.maker_remaining.raw()}; },
          "FILL: the resting order's open size after the fill, in lots.")
      .def(
          "__eq__",
          [](const bk::Event& a, const py::object& b) -> py::object {
            if (!py::isinstance<bk::Event>(b))
              return py::reinterpret_borrow<py::object>(Py_NotImplemented);
            return py::bool_(a == b.cast<const bk::Event&>());
          },
          py::arg("other"), "Field-wise equality.")
      .def("__repr__", &EventRepr);
  py::setattr(m.attr("Event"), "__hash__", py::none());

  py::class_<bk::OrderView>(m, "OrderView", "A live order, as OrderBook.find() sees it.")
      .def_property_readonly(
          "order_id", [](const bk::OrderView& o) { return IdInt(o.id); }, "The order id.")
      .def_property_readonly(
          "account", [](const bk::OrderView& o) { return IdInt(o.account); }, "The owner.")
      .def_property_readonly(
          "client_id", [](const bk::OrderView& o) { return IdInt(o.client_id); },
          "The client order id; 0 for none.")
      .def_property_readonly(
          "side", [](const bk::OrderView& o) { return o.side; }, "BUY or SELL.")
      .def_property_readonly(
          "price", [](const bk::OrderView& o) { return I64{o.price.raw()}; },
          "Its level's price, in ticks.")
      .def_property_readonly(
          "remaining", [](const bk::OrderView& o) { return I64{o.remaining.raw()}; },
          "Open size, in lots.")
      .def_property_readonly(
          "priority", [](const bk::OrderView& o) { return U64{o.priority}; },
          "Arrival stamp: smaller is earlier in its queue.")
      .def("__repr__", [](const bk::OrderView& o) {
        return fmt::format(
            "OrderView(order_id={}, account={}, client_id={}, side={}, price={}, remaining={}, "
            "priority={})",
            o.id.value(), o.account.value(), o.client_id.value(), EnumName(o.side), o.price.raw(),
            o.remaining.raw(),
            o.priority);
      });
}

// -- the book -------------------------------------------------------------------

// MakeLevelType()
//
// The named tuple Level(price, size, orders) that OrderBook.best() / depth()
// and the engine's best(), depth() and MarketStats.best_bid / best_ask
// return (see MakeLevel() in common.hpp). A collections.namedtuple, so it
// unpacks, compares and converts (numpy, analytics) as a plain 3-tuple.
void MakeLevelType(py::module_& m) {
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  py::object cls = namedtuple("Level", py::make_tuple("price", "size", "orders"),
                              py::arg("module") = m.attr("__name__"));
  cls.attr("__doc__") =
      "One price level of one side of a book, best first in depth(): a named tuple "
      "(price, size, orders), so it unpacks and compares as a plain tuple.";
  cls.attr("price").attr("__doc__") = "The level's price, in ticks.";
  cls.attr("size").attr("__doc__") = "The total open size resting at that price, in lots.";
  cls.attr("orders").attr("__doc__") = "The number of orders resting at that price.";
  m.attr("Level") = cls;
  g_level_type = cls.release().ptr();
}

std::optional<I64> OptTicks(std::optional<pc::Ticks> t) {
  if (!t) return std::nullopt;
  return I64{t->raw()};
}

void BindBook(py::module_& m) {
  const bk::BookConfig defaults{};
  py::class_<bk::OrderBook>(
      m, "OrderBook",
      R"doc(The order book of one market: price-time priority matching, integer prices
(ticks) and sizes (lots).

Not thread-safe: every method holds the GIL, which serializes threads sharing
a book. Refused requests return a Reason and change nothing; events() lists
what the last mutating call did.)doc")
      .def(py::init([](I64 price_step, I64 size_step, I64 max_order_size,
                       U32 max_orders_per_account, U32 max_levels_per_side, U32 max_book_orders,
                       const py::object& price_band, U32 expected_orders,
                       U32 max_matches_per_order) {
             bk::BookConfig c;
             c.price_step = pc::Ticks(price_step.value);
             c.size_step = pc::Lots(size_step.value);
             c.max_order_size = pc::Lots(max_order_size.value);
             c.max_orders_per_account = max_orders_per_account.value;
             c.max_levels_per_side = max_levels_per_side.value;
             c.max_book_orders = max_book_orders.value;
             c.price_band = ToRate(price_band, "price_band", RateSign::kNonNegative);
             c.expected_orders = expected_orders.value;
             c.max_matches_per_order = max_matches_per_order.value;
             const absl::Status s = bk::OrderBook::Validate(c);
             if (!s.ok()) RaiseStatus(s);
             return bk::OrderBook(c);
           }),
           py::kw_only(), py::arg("price_step") = I64{defaults.price_step.raw()},
           py::arg("size_step") = I64{defaults.size_step.raw()},
           py::arg("max_order_size") = I64{defaults.max_order_size.raw()},
           py::arg("max_orders_per_account") = U32{defaults.max_orders_per_account},
           py::arg("max_levels_per_side") = U32{defaults.max_levels_per_side},
           py::arg("max_book_orders") = U32{defaults.max_book_orders},
           py::arg("price_band") = FromRate(defaults.price_band),
           py::arg("expected_orders") = U32{defaults.expected_orders},
           py::arg("max_matches_per_order") = U32{defaults.max_matches_per_order},
           R"doc(A new empty book.

:param price_step: prices must be multiples of this (ticks).
:param size_step: sizes must be multiples of this (lots).
:param max_order_size: the largest order size (lots).
:param max_orders_per_account: live orders one account may have.
:param max_levels_per_side: price levels one side may have.
:param max_book_orders: live orders in the book.
:param price_band: "0" for none, else the allowed distance from the reference
    price as a fraction, a str or decimal.Decimal (``"0.01"`` is +-1%), exact to
    1e-18; a float or an int raises TypeError.
:param expected_orders: capacity reserved up front (a hint).
:param max_matches_per_order: resting orders one taker meets (>= 1); a
    remainder left at the cap that would still cross is cancelled (MATCH_LIMIT).
:raises InvalidArgumentError: a field out of its range (the message names it).)doc")
      .def(
          "place",
          [](bk::OrderBook& b, U64 order_id, U64 account, bk::Side side, I64 price, I64 size,
             bk::OrderType order_type, bk::TimeInForce tif, bk::StpMode stp, U64 client_id,
             std::optional<I64> max_fill) {
            bk::OrderRequest o;
            o.id = pc::OrderId(order_id.value);
            o.account = pc::AccountId(account.value);
            o.client_id = pc::ClientOrderId(client_id.value);
            o.side = side;
            o.type = order_type;
            o.tif = tif;
            o.stp = stp;
            o.price = pc::Ticks(price.value);
            o.size = pc::Lots(size.value);
            if (max_fill) o.max_fill = pc::Lots(max_fill->value);
            return b.Place(o);
          },
          py::kw_only(), py::arg("order_id"), py::arg("account"), py::arg("side"), py::arg("price"),
          py::arg("size"), py::arg("order_type") = bk::OrderType::kLimit,
          py::arg("tif") = bk::TimeInForce::kGtc, py::arg("stp") = bk::StpMode::kCancelMaker,
          py::arg("client_id") = U64{0}, py::arg("max_fill") = py::none(),
          R"doc(Places an order: match, then rest or cancel the remainder per ``tif``.

:param order_id: non-zero, unique among live orders.
:param account: non-zero owner.
:param side: Side.BUY or Side.SELL.
:param price: limit price in ticks, or a market order's protection price.
:param size: lots, > 0.
:param order_type: OrderType.LIMIT or OrderType.MARKET (IOC or FOK only).
:param tif: TimeInForce.
:param stp: self-trade prevention mode (the taker's decides).
:param client_id: 0 for none, else unique among the account's live orders.
:param max_fill: None for no limit, else the most lots it may fill or rest.
:returns: a PlaceResult; a refused order has ``ok == False`` and a Reason.)doc")
      .def(
          "cancel",
          [](bk::OrderBook& b, U64 account, U64 order_id) {
            return b.Cancel(pc::AccountId(account.value), pc::OrderId(order_id.value));
          },
          py::arg("account"), py::arg("order_id"),
          "Cancels a live order of ``account``: Reason.OK, UNKNOWN_ORDER or NOT_ORDER_OWNER.")
      .def(
          "cancel_by_client_id",
          [](bk::OrderBook& b, U64 account, U64 client_id) {
            return b.CancelByClientId(pc::AccountId(account.value),
                                      pc::ClientOrderId(client_id.value));
          },
          py::arg("account"), py::arg("client_id"),
          "Cancels the account's live order with this client id: Reason.OK, "
          "INVALID_CLIENT_ORDER_ID (0) or UNKNOWN_ORDER.")
      .def(
          "cancel_all",
          [](bk::OrderBook& b, U64 account) { return b.CancelAll(pc::AccountId(account.value)); },
          py::arg("account"),
          "Cancels every live order of ``account`` in placement order (one CANCELED event "
          "each; len(events()) is how many): Reason.OK, or INVALID_ACCOUNT for account 0.")
      .def(
          "amend",
          [](bk::OrderBook& b, U64 account, U64 order_id, I64 new_price, I64 new_size) {
            bk::AmendRequest a;
            a.account = pc::AccountId(account.value);
            a.id = pc::OrderId(order_id.value);
            a.new_price = pc::Ticks(new_price.value);
            a.new_size = pc::Lots(new_size.value);
            return b.Amend(a);
          },
          py::kw_only(), py::arg("account"), py::arg("order_id"), py::arg("new_price"),
          py::arg("new_size"),
          "Changes a live order's price and open size; never trades. Size down at the same "
          "price keeps queue priority. Returns Reason.OK or why not (e.g. AMEND_WOULD_CROSS).")
      .def(
          "set_reference_price",
          [](bk::OrderBook& b, I64 price) { return b.SetReferencePrice(pc::Ticks(price.value)); },
          py::arg("price"),
          "Centres the price band on ``price`` (ticks); 0 clears it. Returns Reason.OK or "
          "INVALID_PRICE for a negative price. Resting orders are not touched.")
      .def(
          "events",
          [](const bk::OrderBook& b) {
            const std::span<const bk::Event> ev = b.events();
            return std::vector<bk::Event>(ev.begin(), ev.end());
          },
          "The events of the last mutating call, in order (a copy).")
      .def(
          "best_bid", [](const bk::OrderBook& b) { return OptTicks(b.BestBid()); },
          "The best bid price in ticks, or None if there are no bids.")
      .def(
          "best_ask", [](const bk::OrderBook& b) { return OptTicks(b.BestAsk()); },
          "The best ask price in ticks, or None if there are no asks.")
      .def(
          "best",
          [](const bk::OrderBook& b, bk::Side side) { return MakeLevel(b.Best(side)); },
          py::arg("side"), "The best Level(price, size, orders) of ``side``, or None.")
      .def(
          "depth",
          [](const bk::OrderBook& b, bk::Side side, U32 n) {
            std::vector<bk::LevelView> levels(std::min<std::size_t>(n.value, b.level_count(side)));
            levels.resize(b.Depth(side, levels));
            return MakeLevels(levels);
          },
          py::arg("side"), py::arg("n"),
          "The best ``n`` levels of ``side``, best first, as a list of Level(price, size, "
          "orders).")
      .def(
          "orders_at",
          [](const bk::OrderBook& b, bk::Side side, I64 price, U32 n) {
            std::vector<bk::OrderView> orders(std::min<std::size_t>(n.value, b.order_count()));
            orders.resize(b.OrdersAt(side, pc::Ticks(price.value), orders));
            return orders;
          },
          py::arg("side"), py::arg("price"), py::arg("n"),
          "Up to ``n`` orders at one level in queue order (L3); empty if no such level.")
      .def(
          "find",
          [](const bk::OrderBook& b, U64 order_id) { return b.Find(pc::OrderId(order_id.value)); },
          py::arg("order_id"), "The live order with this id, or None.")
      .def(
          "find_by_client_id",
          [](const bk::OrderBook& b, U64 account, U64 client_id) {
            return b.FindByClientId(pc::AccountId(account.value),
                                    pc::ClientOrderId(client_id.value));
          },
          py::arg("account"), py::arg("client_id"),
          "The account's live order with this client id, or None.")
      .def_property_readonly(
          "order_count", [](const bk::OrderBook& b) { return U64{b.order_count()}; },
          "The number of live orders.")
      .def(
          "level_count",
          [](const bk::OrderBook& b, bk::Side side) { return U64{b.level_count(side)}; },
          py::arg("side"), "The number of price levels on ``side``.")
      .def(
          "account_order_count",
          [](const bk::OrderBook& b, U64 account) {
            return U32{b.account_order_count(pc::AccountId(account.value))};
          },
          py::arg("account"), "The number of live orders of ``account``.")
      .def_property_readonly(
          "reference_price", [](const bk::OrderBook& b) { return I64{b.reference_price().raw()}; },
          "The reference price the band is centred on (ticks); 0 if none.")
      .def(
          "check_invariants",
          [](const bk::OrderBook& b) {
            const absl::Status s = b.CheckInvariants();
            if (!s.ok()) RaiseStatus(s);
          },
          "Checks every internal invariant (O(orders + levels)).\n\n"
          ":raises InternalError: describing the first violation.")
      .def(
          "encode_canonical",
          [](const bk::OrderBook& b) {
            std::string out;
            b.EncodeCanonical(&out);
            return Bytes(out);
          },
          "The canonical byte encoding of the whole book: equal iff the states are equal.")
      .def(
          "digest",
          [](const bk::OrderBook& b) {
            const std::array<std::uint8_t, 32> d = b.Digest();
            return py::bytes(reinterpret_cast<const char*>(d.data()), d.size());
          },
          "The 32-byte SHA-256 (tagged \"perpcore/book\") of encode_canonical().")
      .def("__repr__", [](const bk::OrderBook& b) {
        return fmt::format("<OrderBook orders={} bid_levels={} ask_levels={}>", b.order_count(),
                           b.level_count(bk::Side::kBuy), b.level_count(bk::Side::kSell));
      });

  m.def(
      "reason_message",
      [](::perpcore::Reason r) {
        return std::string(::perpcore::ReasonMessage(r));
      },
      py::arg("reason"), "A sentence a user can act on, for a Reason.");
}

}  // namespace
}  // namespace perpcore_py

PYBIND11_MODULE(_perpcore, m) {
  m.doc() =
      "perpcore's C++ core: exact decimal conversion, the order book of one market, the "
      "exchange engine and (submodule analytics) optimal execution. "
      "Import it through the `perpcore` package.";
  m.attr("__version__") = PERPCORE_VERSION_STRING;
  m.def(
      "version_number", [] { return PERPCORE_VERSION_NUMBER; },
      "The library version as major*10000 + minor*100 + patch.");
  perpcore_py::BindErrors(m);
  perpcore_py::BindEnums(m);
  perpcore_py::BindDecimal(m);
  perpcore_py::BindValueTypes(m);
  perpcore_py::MakeLevelType(m);
  perpcore_py::BindBook(m);
  perpcore_py::BindEngine(m);
  perpcore_py::BindAnalytics(m);
#ifdef PERPCORE_PYTHON_TEST_HOOKS
  perpcore_py::BindTesting(m);
#endif
  perpcore_py::NameArgumentsInErrors(
      m, {py::reinterpret_borrow<py::module_>(m.attr("analytics"))});
}

// -----------------------------------------------------------------------------
// File: python/src/common.hpp
// -----------------------------------------------------------------------------
//
// What the translation units of `perpcore._perpcore` share (module.cpp binds
// decimals, errors, enums and the order book; engine.cpp the engine): the
// strict integer wrapper Int<T> and its caster, the Error classes and
// RaiseStatus(), and the enum.IntEnum machinery with a caster per C++ enum.
// Not a public header: it is compiled only into the extension.
//
// Ids are strong types in C++ (perpcore/core/ids.hpp) and plain ints in
// Python: an id argument is read as the Int of the id's width and built
// explicitly, pc::AccountId(account.value) (a wider Int does not compile), and
// an id result goes out through IdInt().
//
// Also the exact conversion of rates (fees, shares, bands, deviations,
// margin rates) between decimal.Decimal / str in human units and the
// engine's Rate (1e-18 units), and the named tuple Level for book levels.
//
// Conversions at the boundary are described in module.cpp's file comment.
#ifndef PERPCORE_PYTHON_SRC_COMMON_HPP_
#define PERPCORE_PYTHON_SRC_COMMON_HPP_

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "fmt/format.h"
#include "perpcore/book/types.hpp"
#include "perpcore/core/decimal.hpp"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"
#include "perpcore/engine/events.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/funding/funding.hpp"
#include "perpcore/liquidation/liquidation.hpp"
#include "perpcore/oracle/oracle.hpp"

namespace py = pybind11;

namespace perpcore_py {

namespace pc = ::perpcore;
namespace bk = ::perpcore::book;

// Int<T>
//
// An integer argument or result of C++ type T, converted strictly by the
// caster below. A distinct wrapper so pybind11's permissive built-in integer
// caster (which reports an out-of-range value as a TypeError) stays untouched.
template <class T>
struct Int {
  T value{};
};
using I64 = Int<std::int64_t>;
using U64 = Int<std::uint64_t>;
using U32 = Int<std::uint32_t>;
using I32 = Int<int>;

// IdInt()
//
// An id as the Int of its own width (U32 for MarketId and SourceId, U64 for
// the others), so Python reads back the plain int it passed in.
template <class Tag, class Rep>
Int<Rep> IdInt(pc::Id<Tag, Rep> id) {
  return Int<Rep>{id.value()};
}

// The exception classes, created at import and kept for the process lifetime.
struct Errors {
  PyObject* base = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* out_of_range = nullptr;
  PyObject* not_found = nullptr;
  PyObject* internal = nullptr;
  // The framing of a command (Engine.apply's sequence and time rules) and
  // the poisoned engine: not processed, nothing changed.
  PyObject* framing = nullptr;
  PyObject* sequence_gap = nullptr;
  PyObject* time_went_back = nullptr;
  PyObject* already_applied = nullptr;
  PyObject* poisoned = nullptr;
};
inline Errors g_errors;

// Raise()
//
// Sets the Python error for `type` and unwinds to pybind11's dispatcher.
[[noreturn]] inline void Raise(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.c_str());
  throw py::error_already_set();
}

// RaiseStatus()
//
// The Error subclass for the status code. Requires !status.ok().
[[noreturn]] inline void RaiseStatus(const absl::Status& status) {
  PyObject* type = g_errors.base;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      type = g_errors.invalid_argument;
      break;
    case absl::StatusCode::kOutOfRange:
      type = g_errors.out_of_range;
      break;
    case absl::StatusCode::kNotFound:
      type = g_errors.not_found;
      break;
    case absl::StatusCode::kInternal:
      type = g_errors.internal;
      break;
    default:
      break;
  }
  Raise(type, std::string(status.message()));
}

template <class T>
T ValueOrRaise(absl::StatusOr<T> v) {
  if (!v.ok()) RaiseStatus(v.status());
  return *std::move(v);
}

template <class T>
constexpr const char* IntTypeName() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  if constexpr (std::is_same_v<T, std::uint64_t>) return "uint64";
  if constexpr (std::is_same_v<T, std::uint32_t>) return "uint32";
  if constexpr (std::is_same_v<T, int>) return "int32";
  return "integer";
}

// -- arguments that do not load ---------------------------------------------
//
// A caster of this module that refuses an argument says which object and
// what it expected (NoteBadArgument), or, for an integer out of range,
// throws ArgumentRangeError. The wrapper every bound function runs in
// (arguments.cpp, NameArgumentsInErrors) turns either into an error that
// names the argument: "place_order(): argument 'size' must be int, not
// numpy.bool_".

// BadArgument: the first argument a caster refused during the current call.
struct BadArgument {
  PyObject* arg = nullptr;         // borrowed: the call's own reference
  const char* expected = nullptr;  // "int", "Side", ...
};
inline thread_local BadArgument t_bad_argument;

inline void NoteBadArgument(PyObject* arg, const char* expected) {
  if (t_bad_argument.arg == nullptr) t_bad_argument = BadArgument{arg, expected};
}

// ArgumentRangeError
//
// An integer argument outside its C++ type. Raised as OutOfRangeError (an
// OverflowError) naming the argument by the wrapper, or with `message` alone
// where no bound function is loading arguments.
struct ArgumentRangeError {
  PyObject* arg;        // borrowed
  std::string message;  // "9223372036854775808 is out of range for int64 [-2**63, 2**63)"
};

// IsBoolLike()
//
// bool or numpy.bool_ (numpy.bool in numpy 2): refused where an integer or a
// float is expected, though numpy.bool_ has __index__.
inline bool IsBoolLike(PyObject* obj) {
  if (PyBool_Check(obj)) return true;
  const std::string_view name = Py_TYPE(obj)->tp_name;
  return name == "numpy.bool_" || name == "numpy.bool";
}

[[noreturn]] inline void RaiseIntRange(PyObject* arg, PyObject* index, const char* type_name,
                                       const char* range) {
  const std::string text = py::str(py::handle(index));
  throw ArgumentRangeError{arg,
                           fmt::format("{} is out of range for {} {}", text, type_name, range)};
}

// LoadInt()
//
// The strict conversion behind Int<T>: false (so the call raises TypeError
// naming the argument) for bool, numpy.bool_, float and anything without
// __index__; ArgumentRangeError for an integer that does not fit T.
template <class T>
bool LoadInt(py::handle src, T* out) {
  PyObject* obj = src.ptr();
  if (obj == nullptr) return false;
  if (IsBoolLike(obj) || PyFloat_Check(obj)) {
    NoteBadArgument(obj, "int");
    return false;
  }
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj));
  if (!index) {
    PyErr_Clear();
    NoteBadArgument(obj, "int");
    return false;
  }
  if constexpr (std::is_signed_v<T>) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred() != nullptr) throw py::error_already_set();
    if (overflow != 0 || v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
      RaiseIntRange(obj, index.ptr(), IntTypeName<T>(),
                    std::is_same_v<T, std::int64_t> ? "[-2**63, 2**63)" : "[-2**31, 2**31)");
    }
    *out = static_cast<T>(v);
  } else {
    const char* range = std::is_same_v<T, std::uint64_t> ? "[0, 2**64)" : "[0, 2**32)";
    const int negative = PyObject_RichCompareBool(index.ptr(), py::int_(0).ptr(), Py_LT);
    if (negative < 0) throw py::error_already_set();
    if (negative == 1) RaiseIntRange(obj, index.ptr(), IntTypeName<T>(), range);
    const unsigned long long v = PyLong_AsUnsignedLongLong(index.ptr());
    if (v == std::numeric_limits<unsigned long long>::max() && PyErr_Occurred() != nullptr) {
      PyErr_Clear();
      RaiseIntRange(obj, index.ptr(), IntTypeName<T>(), range);
    }
    if (v > std::numeric_limits<T>::max()) RaiseIntRange(obj, index.ptr(), IntTypeName<T>(), range);
    *out = static_cast<T>(v);
  }
  return true;
}

template <class T>
py::handle CastInt(T v) {
  if constexpr (std::is_signed_v<T>) {
    return PyLong_FromLongLong(static_cast<long long>(v));
  } else {
    return PyLong_FromUnsignedLongLong(static_cast<unsigned long long>(v));
  }
}

// EnumTable<E>
//
// The Python enum.IntEnum class for E and its members indexed by value.
// Filled once at import by MakeEnum(); the references live as long as the
// process (a module that is never unloaded).
template <class E>
struct EnumTable {
  static inline PyObject* type = nullptr;
  static inline std::vector<PyObject*> members;
  static inline std::vector<std::string> names;
};

template <class E>
bool LoadEnum(py::handle src, E* out) {
  PyObject* type = EnumTable<E>::type;
  if (type == nullptr || src.ptr() == nullptr) return false;
  const int is_member = PyObject_IsInstance(src.ptr(), type);
  if (is_member < 0) throw py::error_already_set();
  if (is_member == 0) {
    NoteBadArgument(src.ptr(), reinterpret_cast<PyTypeObject*>(type)->tp_name);
    return false;
  }
  const long v = PyLong_AsLong(src.ptr());
  if (v == -1 && PyErr_Occurred() != nullptr) throw py::error_already_set();
  *out = static_cast<E>(v);
  return true;
}

template <class E>
py::handle CastEnum(E e) {
  const auto v = static_cast<std::size_t>(e);
  const auto& members = EnumTable<E>::members;
  if (v < members.size() && members[v] != nullptr) {
    return py::handle(members[v]).inc_ref();
  }
  // A value this module does not know: an int rather than a crash.
  return PyLong_FromSize_t(v);
}

// EnumName()
//
// "Side.BUY" for repr; the raw number for a value without a member.
template <class E>
std::string EnumName(E e) {
  const auto v = static_cast<std::size_t>(e);
  const auto& names = EnumTable<E>::names;
  if (v < names.size() && !names[v].empty()) return names[v];
  return std::to_string(v);
}

}  // namespace perpcore_py

namespace pybind11::detail {

template <class T>
struct type_caster<perpcore_py::Int<T>> {
  PYBIND11_TYPE_CASTER(perpcore_py::Int<T>, const_name("int"));
  bool load(handle src, bool /*convert*/) { return perpcore_py::LoadInt<T>(src, &value.value); }
  static handle cast(perpcore_py::Int<T> v, return_value_policy /*policy*/, handle /*parent*/) {
    return perpcore_py::CastInt<T>(v.value);
  }
};

// PERPCORE_PY_ENUM_CASTER(E, PYNAME): converts the C++ enum E to and from the
// IntEnum MakeEnum<E> created; used inside namespace pybind11::detail, here
// and by the other binding files for their own enums.
#define PERPCORE_PY_ENUM_CASTER(E, PYNAME)                                                    \
  template <>                                                                                 \
  struct type_caster<E> {                                                                     \
    PYBIND11_TYPE_CASTER(E, const_name(PYNAME));                                              \
    bool load(handle src, bool /*convert*/) { return perpcore_py::LoadEnum<E>(src, &value); } \
    static handle cast(E v, return_value_policy /*policy*/, handle /*parent*/) {              \
      return perpcore_py::CastEnum<E>(v);                                                     \
    }                                                                                         \
  }

PERPCORE_PY_ENUM_CASTER(::perpcore::book::Side, "Side");
PERPCORE_PY_ENUM_CASTER(::perpcore::book::OrderType, "OrderType");
PERPCORE_PY_ENUM_CASTER(::perpcore::book::TimeInForce, "TimeInForce");
PERPCORE_PY_ENUM_CASTER(::perpcore::book::StpMode, "StpMode");
PERPCORE_PY_ENUM_CASTER(::perpcore::Reason, "Reason");
PERPCORE_PY_ENUM_CASTER(::perpcore::book::CancelReason, "CancelReason");
PERPCORE_PY_ENUM_CASTER(::perpcore::book::EventKind, "EventKind");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::MarketStatus, "MarketStatus");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::SettlementPhase, "SettlementPhase");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::MarginMode, "MarginMode");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::WithdrawablePnl, "WithdrawablePnl");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::SelfTradeScope, "SelfTradeScope");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::IsolatedMarginCause, "IsolatedMarginCause");
PERPCORE_PY_ENUM_CASTER(::perpcore::engine::EventKind, "EngineEventKind");
PERPCORE_PY_ENUM_CASTER(::perpcore::oracle::BreakerCause, "BreakerCause");
PERPCORE_PY_ENUM_CASTER(::perpcore::funding::FundingModel, "FundingModel");
PERPCORE_PY_ENUM_CASTER(::perpcore::funding::FundingPayment, "FundingPayment");
PERPCORE_PY_ENUM_CASTER(::perpcore::funding::FundingPrice, "FundingPrice");
PERPCORE_PY_ENUM_CASTER(::perpcore::funding::PremiumWeighting, "PremiumWeighting");
PERPCORE_PY_ENUM_CASTER(::perpcore::funding::CapMode, "CapMode");
PERPCORE_PY_ENUM_CASTER(::perpcore::liquidation::Health, "Health");
PERPCORE_PY_ENUM_CASTER(::perpcore::liquidation::LossPolicy, "LossPolicy");

}  // namespace pybind11::detail


namespace perpcore_py {

// -- enums --------------------------------------------------------------------

struct Member {
  std::string name;
  int value;
};

// RegisterEnum()
//
// Makes the Python class `cls` (an enum.IntEnum) the one the caster of E
// loads and returns.
template <class E>
void RegisterEnum(const py::object& cls, const char* name, const std::vector<Member>& members) {
  EnumTable<E>::type = cls.inc_ref().ptr();
  int max_value = 0;
  for (const Member& mem : members) max_value = std::max(max_value, mem.value);
  const auto size = static_cast<std::size_t>(max_value) + 1;
  EnumTable<E>::members.assign(size, nullptr);
  EnumTable<E>::names.assign(size, std::string());
  for (const Member& mem : members) {
    const auto v = static_cast<std::size_t>(mem.value);
    py::object member = cls.attr(mem.name.c_str());
    EnumTable<E>::members[v] = member.inc_ref().ptr();
    EnumTable<E>::names[v] = fmt::format("{}.{}", name, mem.name);
  }
}

// MakeEnum()
//
// Builds `class <name>(enum.IntEnum)` in module `m` from (name, value) pairs
// and registers it for the caster of E. Returns the class. Its __module__ is
// m.__name__ ("perpcore._perpcore", or a submodule such as
// "perpcore._perpcore.analytics"), so pickle and repr find it where it lives.
template <class E>
py::object MakeEnum(py::module_& m, const char* name, const char* doc,
                    const std::vector<Member>& members) {
  py::list pairs;
  for (const Member& mem : members) pairs.append(py::make_tuple(mem.name, mem.value));
  py::object int_enum = py::module_::import("enum").attr("IntEnum");
  py::object cls =
      int_enum(name, pairs, py::arg("module") = m.attr("__name__"), py::arg("qualname") = name);
  cls.attr("__doc__") = doc;
  m.attr(name) = cls;
  RegisterEnum<E>(cls, name, members);
  return cls;
}

// UpperSnake()
//
// "kPostOnlyWouldCross" -> "POST_ONLY_WOULD_CROSS".
inline std::string UpperSnake(std::string_view k_name) {
  if (k_name.size() > 1 && k_name[0] == 'k') k_name.remove_prefix(1);
  std::string out;
  for (std::size_t i = 0; i < k_name.size(); ++i) {
    const char c = k_name[i];
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && i > 0) out.push_back('_');
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// -- rates: decimal.Decimal in human units <-> Rate (1e-18) -------------------

inline py::handle DecimalType() {
  static py::handle type = py::object(py::module_::import("decimal").attr("Decimal")).release();
  return type;
}

// TypeNameOf(): the Python type name of v ("float", "int", ...).
inline std::string TypeNameOf(py::handle v) {
  return std::string(py::str(v.get_type().attr("__name__")));
}

enum class RateSign { kAny, kNonNegative };

// ToRate()
//
// A Rate from a decimal.Decimal or a str (parsed by decimal.Decimal) in human
// units: "0.0005" is 5 bp, "0.1" is 10%, "1" is 100%. Exact or refused,
// every error naming `field` and the value:
//   * TypeError: a float (not exact), a bool, an int (ambiguous: 5 would be
//     read as 5e-18 by the C++ API and as 500% here; the message says what
//     to write instead) or any other type;
//   * InvalidArgumentError: text that is not a decimal number, NaN or an
//     infinity, a value that is not a whole number of 1e-18, or (kNonNegative)
//     a negative value;
//   * OutOfRangeError: a value beyond the Rate range (|rate| > ~9.22).
// Range rules beyond the sign (fee caps, bands below 1, ...) are the
// engine's: validate_market() / Engine() name the field.
inline pc::Rate ToRate(py::handle v, std::string_view field, RateSign sign) {
  PyObject* obj = v.ptr();
  const std::string shown = py::repr(v);
  const bool is_decimal = py::isinstance(v, DecimalType());
  if (PyFloat_Check(obj)) {
    const std::string text = py::str(v);
    throw py::type_error(fmt::format(
        "{} must be a str or decimal.Decimal, not float {} (a float is not exact: write "
        "'{}' or Decimal('{}'))",
        field, text, text, text));
  }
  if (PyBool_Check(obj)) {
    throw py::type_error(fmt::format("{} must be a str or decimal.Decimal, not bool", field));
  }
  if (!is_decimal && PyIndex_Check(obj)) {
    const py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj));
    if (!index) throw py::error_already_set();
    const std::string text = py::str(index);
    const std::string percent = py::str(index.attr("__mul__")(100));
    throw py::type_error(fmt::format(
        "{} must be a str or decimal.Decimal in human units (\"0.0005\" is 5 bp, \"0.1\" is "
        "10%), not int {}: an int is ambiguous, so write \"{}\" if you mean {}%, or "
        "format_rate({}) if it counts units of 1e-18",
        field, text, text, percent, text));
  }
  if (!is_decimal && !py::isinstance<py::str>(v)) {
    throw py::type_error(
        fmt::format("{} must be a str or decimal.Decimal, not {}", field, TypeNameOf(v)));
  }
  py::object d;
  if (is_decimal) {
    d = py::reinterpret_borrow<py::object>(v);
  } else {
    try {
      d = DecimalType()(v);
    } catch (py::error_already_set&) {
      Raise(g_errors.invalid_argument, fmt::format("{}: {} is not a decimal number", field, shown));
    }
  }
  if (!d.attr("is_finite")().cast<bool>()) {
    Raise(g_errors.invalid_argument, fmt::format("{} must be finite, not {}", field, shown));
  }
  py::tuple t = d.attr("as_tuple")();
  const bool negative = t[0].cast<int>() != 0;
  std::string digits;
  for (py::handle digit : py::tuple(t[1])) {
    digits.push_back(static_cast<char>('0' + digit.cast<int>()));
  }
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return pc::Rate(0);  // 0, -0, 0E-30, ...
  if (negative && sign == RateSign::kNonNegative) {
    Raise(g_errors.invalid_argument, fmt::format("{} must be >= 0, not {}", field, shown));
  }
  auto out_of_range = [&]() {
    Raise(g_errors.out_of_range,
          fmt::format("{} {} is outside the rate range [{}, {}]", field, shown,
                      pc::FormatRate(pc::Rate::Min()), pc::FormatRate(pc::Rate::Max())));
  };
  int overflow = 0;
  const long long exponent = PyLong_AsLongLongAndOverflow(t[2].ptr(), &overflow);
  if (exponent == -1 && PyErr_Occurred() != nullptr) throw py::error_already_set();
  if (overflow > 0 || (overflow == 0 && exponent > 19)) out_of_range();
  // value = digits * 10**exponent = digits * 10**(exponent + 18) Rate units.
  const long long shift = overflow < 0 ? std::numeric_limits<long long>::min() : exponent + 18;
  if (shift < 0) {
    const std::size_t zeros = digits.size() - 1 - digits.find_last_not_of('0');
    if (shift != std::numeric_limits<long long>::min() &&
        static_cast<unsigned long long>(-shift) <= zeros) {
      digits.resize(digits.size() - static_cast<std::size_t>(-shift));
    } else {
      Raise(g_errors.invalid_argument,
            fmt::format("{} {} is not a whole number of 1e-18 (rates have at most 18 "
                        "decimals)",
                        field, shown));
    }
  } else {
    if (digits.size() + static_cast<std::size_t>(shift) > 19) out_of_range();
    digits.append(static_cast<std::size_t>(shift), '0');
  }
  std::uint64_t magnitude = 0;  // at most 19 digits: fits
  if (!absl::SimpleAtoi(digits, &magnitude)) out_of_range();
  const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (magnitude > max + (negative ? 1 : 0)) out_of_range();
  return pc::Rate(negative ? static_cast<std::int64_t>(std::uint64_t{0} - magnitude)
                           : static_cast<std::int64_t>(magnitude));
}

// FromRate()
//
// The exact decimal.Decimal of a Rate in human units, without trailing
// zeros: Rate(5e14) is Decimal('0.0005'), Rate(1e18) Decimal('1').
inline py::object FromRate(pc::Rate r) { return DecimalType()(pc::FormatRate(r)); }

// -- book levels ------------------------------------------------------------------

// The class Level, a collections.namedtuple (price, size, orders) made by
// MakeLevelType() at import; the reference lives as long as the process.
inline PyObject* g_level_type = nullptr;

// MakeLevel()
//
// Level(price=ticks, size=total lots, orders=count) of one book level.
inline py::object MakeLevel(const bk::LevelView& l) {
  return py::handle(g_level_type)(l.price.raw(), l.total.raw(), l.orders);
}

inline py::object MakeLevel(const std::optional<bk::LevelView>& l) {
  if (!l) return py::none();
  return MakeLevel(*l);
}

// MakeLevels(): a list of Level, best first.
inline py::list MakeLevels(std::span<const bk::LevelView> levels) {
  py::list out(levels.size());
  for (std::size_t i = 0; i < levels.size(); ++i) out[i] = MakeLevel(levels[i]);
  return out;
}

// -- small helpers --------------------------------------------------------------

inline py::bytes Bytes(std::string_view s) { return py::bytes(s.data(), s.size()); }

// Int128()
//
// An exact Python int from a 128-bit value (the engine's cumulative totals).
inline py::int_ Int128(absl::int128 v) {
  const bool negative = v < 0;
  const absl::uint128 u = negative ? -static_cast<absl::uint128>(v) : static_cast<absl::uint128>(v);
  py::int_ hi(absl::Uint128High64(u));
  py::int_ lo(absl::Uint128Low64(u));
  py::object r = (hi.attr("__lshift__")(64)).attr("__or__")(lo);
  if (negative) r = r.attr("__neg__")();
  return py::reinterpret_borrow<py::int_>(r);
}

// FieldRepr()
//
// "Name(a=1, b=Side.BUY, ...)" from the object's own properties: enum members
// print as Class.NAME, everything else as its repr().
inline std::string FieldRepr(py::handle self, const char* cls,
                             std::span<const char* const> fields) {
  static py::handle enum_type = py::object(py::module_::import("enum").attr("Enum")).release();
  std::string out = fmt::format("{}(", cls);
  bool first = true;
  for (const char* f : fields) {
    py::object v = self.attr(f);
    std::string text;
    if (py::isinstance(v, enum_type)) {
      text = fmt::format("{}.{}", std::string(py::str(v.get_type().attr("__name__"))),
                         std::string(py::str(v.attr("name"))));
    } else {
      text = py::repr(v);
    }
    out += fmt::format("{}{}={}", first ? "" : ", ", f, text);
    first = false;
  }
  out += ")";
  return out;
}
inline std::string FieldRepr(py::handle self, const char* cls,
                             std::initializer_list<const char*> fields) {
  return FieldRepr(self, cls, std::span(fields.begin(), fields.size()));
}

}  // namespace perpcore_py

#endif  // PERPCORE_PYTHON_SRC_COMMON_HPP_

// -----------------------------------------------------------------------------
// File: python/src/arguments.cpp
// -----------------------------------------------------------------------------
//
// Errors that name the argument. pybind11 answers an argument it cannot
// convert with "incompatible function arguments. The following argument
// types are supported: ...", which says neither which argument nor what was
// wrong with it. NameArgumentsInErrors() wraps every bound function, method,
// constructor and property setter of the module once, at import: the
// wrapper runs pybind11's own implementation and, when an argument did not
// load, raises instead
//   TypeError        "place_order(): argument 'size' must be int, not numpy.bool_"
//   OutOfRangeError  "place_order(): argument 'size' = 9223372036854775808 is out
//                    of range for int64 [-2**63, 2**63)"  (an OverflowError)
//   TypeError        "MarketParams.symbol must be str, not int"  (a setter)
// Which argument: the one this module's casters noted (common.hpp: Int<T>,
// the enums, Real), else the first whose Python type does not match the
// type in the function's signature (str, bool, float, a bound class,
// Optional[...] and List[...] of those). An argument pybind11 itself
// refuses for another reason (a missing or unknown keyword) keeps
// pybind11's message.
//
// The cost: a lookup of the original implementation per call, on a sorted
// vector of the module's few hundred functions.

#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fmt/format.h"

namespace perpcore_py {
namespace {

namespace pyd = ::pybind11::detail;
using Impl = py::handle (*)(pyd::function_call&);

// What a wrapped record runs, and how its errors are worded.
struct Wrapped {
  const pyd::function_record* record;
  Impl original;
  std::string label;  // "place_order()", "MarketParams()", "MarketParams.symbol"
  bool setter = false;
  std::vector<std::pair<std::string, std::string>> types;  // argument name -> signature type
};

// Sorted by record address, filled once at import.
std::vector<Wrapped>& Registry() {
  static std::vector<Wrapped>* registry = new std::vector<Wrapped>();
  return *registry;
}

const Wrapped& Find(const pyd::function_record* record) {
  const std::vector<Wrapped>& r = Registry();
  const auto it = std::lower_bound(
      r.begin(), r.end(), record,
      [](const Wrapped& w, const pyd::function_record* rec) { return w.record < rec; });
  return *it;  // every record whose impl is Dispatch() is registered
}

// SplitTopLevel(): "a: int, b: List[int, str]" at the commas outside brackets.
std::vector<std::string> SplitTopLevel(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[' || s[i] == '(') ++depth;
    if (s[i] == ']' || s[i] == ')') --depth;
    if (s[i] == ',' && depth == 0) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.emplace_back(s.substr(start));
  for (std::string& part : out) {
    const std::size_t b = part.find_first_not_of(' ');
    part = b == std::string::npos ? std::string() : part.substr(b);
  }
  return out;
}

// ArgumentTypes(): name -> type from a signature "(self: X, *, a: int = 1) -> R".
std::vector<std::pair<std::string, std::string>> ArgumentTypes(const char* signature) {
  std::vector<std::pair<std::string, std::string>> out;
  if (signature == nullptr) return out;
  std::string_view s = signature;
  const std::size_t open = s.find('(');
  const std::size_t arrow = s.rfind(") -> ");
  if (open == std::string_view::npos || arrow == std::string_view::npos || arrow < open) return out;
  for (const std::string& part : SplitTopLevel(s.substr(open + 1, arrow - open - 1))) {
    const std::size_t colon = part.find(": ");
    if (colon == std::string::npos) continue;  // "*", "/"
    std::string type = part.substr(colon + 2);
    const std::size_t eq = type.find(" = ");
    if (eq != std::string::npos) type.resize(eq);
    out.emplace_back(part.substr(0, colon), type);
  }
  return out;
}

std::string TypeName(PyObject* obj) { return Py_TYPE(obj)->tp_name; }

// Matches(): whether `obj` is acceptable as signature type `type`, as far as
// this check can tell (unknown types match, so they are never blamed).
bool Matches(PyObject* obj, std::string_view type) {
  if (type.starts_with("Optional[") && type.ends_with("]")) {
    return obj == Py_None || Matches(obj, type.substr(9, type.size() - 10));
  }
  if (type.starts_with("List[")) return PyList_Check(obj) || PyTuple_Check(obj);
  if (type == "str") return PyUnicode_Check(obj);
  if (type == "bool") return IsBoolLike(obj);
  if (type == "int") return !IsBoolLike(obj) && !PyFloat_Check(obj) && PyIndex_Check(obj);
  if (type == "float") {
    return !IsBoolLike(obj) && (PyFloat_Check(obj) || PyIndex_Check(obj));
  }
  if (type.find('.') == std::string_view::npos) return true;  // object, an enum, ...
  // A bound class: its full name on the object's type or a base.
  PyObject* mro = Py_TYPE(obj)->tp_mro;
  if (mro == nullptr || !PyTuple_Check(mro)) return true;
  const std::string_view last = type.substr(type.rfind('.') + 1);
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); ++i) {
    const auto* t = reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i));
    const std::string_view name = t->tp_name;
    if (name == type || name == last) return true;
  }
  return false;
}

// The name of argument i: pybind11's record, else the signature's.
const char* ArgumentName(const Wrapped& w, const pyd::function_call& call, std::size_t i) {
  const auto& args = call.func.args;
  if (i < args.size() && args[i].name != nullptr) return args[i].name;
  return i < w.types.size() ? w.types[i].first.c_str() : nullptr;
}

// The signature type of argument i (the signature lists the arguments in
// the order of call.args).
std::string SignatureType(const Wrapped& w, std::size_t i) {
  return i < w.types.size() ? w.types[i].second : std::string();
}

// How a signature type reads in a message: "int or None" for Optional[int],
// "MarketParams" for perpcore._perpcore.MarketParams.
std::string Display(std::string_view type) {
  if (type.starts_with("Optional[") && type.ends_with("]")) {
    return Display(type.substr(9, type.size() - 10)) + " or None";
  }
  if (type.starts_with("List[") && type.ends_with("]")) {
    return "a list of " + Display(type.substr(5, type.size() - 6));
  }
  if (type.find('[') == std::string_view::npos && type.find('.') != std::string_view::npos) {
    return std::string(type.substr(type.rfind('.') + 1));
  }
  return std::string(type);
}

// Where `label` names the argument `name`: "place_order(): argument 'size'",
// or the property itself for a setter.
std::string Subject(const Wrapped& w, const char* name) {
  if (w.setter) return w.label;
  return fmt::format("{}: argument '{}'", w.label, name != nullptr ? name : "?");
}

[[noreturn]] void RaiseTypeError(const Wrapped& w, const char* name, std::string_view expected,
                                 PyObject* obj) {
  PyErr_SetString(PyExc_TypeError, fmt::format("{} must be {}, not {}", Subject(w, name),
                                               Display(expected), TypeName(obj))
                                       .c_str());
  throw py::error_already_set();
}

// The signature type without its Optional[]: what a caster expected.
std::string_view Plain(std::string_view type) {
  if (type.starts_with("Optional[") && type.ends_with("]")) return type.substr(9, type.size() - 10);
  return type;
}

// The argument that is `obj` and of signature type `expected` (or of an
// unknown type). The same object may be several arguments (small ints are
// shared): the type tells them apart, and of two of the same type, the
// first is named.
std::optional<std::size_t> IndexOf(const Wrapped& w, const pyd::function_call& call, PyObject* obj,
                                   std::initializer_list<std::string_view> expected) {
  for (std::size_t i = 0; i < call.args.size(); ++i) {
    if (i == 0 && call.func.is_new_style_constructor) continue;
    if (call.args[i].ptr() != obj) continue;
    const std::string type = SignatureType(w, i);
    if (type.empty()) return i;
    for (std::string_view e : expected) {
      if (Plain(type) == e) return i;
    }
  }
  return std::nullopt;
}

// Dispatch()
//
// The implementation of every wrapped record: the original, then, if an
// argument did not load, the error that names it.
py::handle Dispatch(pyd::function_call& call) {
  const Wrapped& w = Find(&call.func);
  t_bad_argument = BadArgument{};
  try {
    const py::handle result = w.original(call);
    if (result.ptr() != PYBIND11_TRY_NEXT_OVERLOAD) return result;
  } catch (const py::reference_cast_error&) {
    // None loaded where a reference to a bound class is expected: pybind11
    // would try the next overload. Named below (None matches no class).
  } catch (const ArgumentRangeError& e) {
    const std::optional<std::size_t> i = IndexOf(w, call, e.arg, {"int", "float"});
    const std::string subject = i ? Subject(w, ArgumentName(w, call, *i)) : w.label;
    PyErr_SetString(g_errors.out_of_range, fmt::format("{} = {}", subject, e.message).c_str());
    throw py::error_already_set();
  }
  const BadArgument bad = t_bad_argument;
  t_bad_argument = BadArgument{};
  // The noted argument, else the first that does not match its signature
  // type.
  if (bad.arg != nullptr) {
    if (const std::optional<std::size_t> i = IndexOf(w, call, bad.arg, {bad.expected})) {
      const std::string type = SignatureType(w, *i);
      // An Optional[int] says so: None would have loaded.
      RaiseTypeError(w, ArgumentName(w, call, *i),
                     type.starts_with("Optional[") ? std::string_view(type) : bad.expected,
                     bad.arg);
    }
  }
  for (std::size_t i = 0; i < call.args.size(); ++i) {
    // A new-style constructor's first argument is pybind11's holder, not
    // a Python object.
    if (i == 0 && call.func.is_new_style_constructor) continue;
    PyObject* obj = call.args[i].ptr();
    if (obj == nullptr) continue;
    const std::string type = SignatureType(w, i);
    if (!type.empty() && !Matches(obj, type)) {
      RaiseTypeError(w, ArgumentName(w, call, i), type, obj);
    }
  }
  return PYBIND11_TRY_NEXT_OVERLOAD;  // pybind11's own message
}

// The function_record behind a bound callable (a function, an instance
// method of a class, a property's fset), or nullptr.
pyd::function_record* RecordOf(py::handle callable) {
  const py::handle f = pyd::get_function(callable);
  if (!f || !PyCFunction_Check(f.ptr())) return nullptr;
  PyObject* self = PyCFunction_GET_SELF(f.ptr());
  if (self == nullptr || !PyCapsule_CheckExact(self)) return nullptr;
  const auto cap = py::reinterpret_borrow<py::capsule>(self);
  // pybind11 2.10 leaves its function record capsule unnamed; later
  // versions name it.
  if (cap.name() != nullptr && std::strcmp(cap.name(), "pybind11_function_record_capsule") != 0) {
    return nullptr;
  }
  return cap.get_pointer<pyd::function_record>();
}

void Wrap(py::handle callable, std::string label, bool setter) {
  pyd::function_record* rec = RecordOf(callable);
  // Overloads are tried in turn, so only a record without one may raise.
  // An operator answers NotImplemented when its argument does not load.
  if (rec == nullptr || rec->next != nullptr || rec->impl == &Dispatch || rec->is_operator ||
      rec->has_args || rec->has_kwargs) {
    return;
  }
  Registry().push_back(Wrapped{.record = rec,
                               .original = rec->impl,
                               .label = std::move(label),
                               .setter = setter,
                               .types = ArgumentTypes(rec->signature)});
  rec->impl = &Dispatch;
}

std::string ClassName(py::handle cls) { return py::str(cls.attr("__name__")); }

void WrapScope(py::handle scope, bool is_class) {
  // A class's __dict__ is a mappingproxy: read it through items().
  const py::list members(scope.attr("__dict__").attr("items")());
  const std::string owner = is_class ? ClassName(scope) : std::string();
  for (const py::handle item : members) {
    const py::handle key = item.cast<py::tuple>()[0];
    const py::object value = item.cast<py::tuple>()[1];
    const std::string name = py::str(key);
    if (PyType_Check(value.ptr())) {
      if (!is_class) WrapScope(value, true);  // a class of the module
      continue;
    }
    if (is_class && PyObject_TypeCheck(value.ptr(), &PyProperty_Type)) {
      const py::object fset = value.attr("fset");
      if (!fset.is_none()) Wrap(fset, fmt::format("{}.{}", owner, name), true);
      continue;
    }
    if (Py_IS_TYPE(value.ptr(), &PyStaticMethod_Type)) {
      Wrap(value.attr("__func__"), fmt::format("{}.{}()", owner, name), false);
    } else if (name == "__init__") {
      Wrap(value, fmt::format("{}()", owner), false);
    } else if (is_class) {
      Wrap(value, fmt::format("{}.{}()", owner, name), false);
    } else {
      Wrap(value, fmt::format("{}()", name), false);
    }
  }
}

}  // namespace

void NameArgumentsInErrors(py::module_& m, std::initializer_list<py::module_> submodules) {
  WrapScope(m, false);
  for (const py::module_& sub : submodules) WrapScope(sub, false);
  std::sort(Registry().begin(), Registry().end(),
            [](const Wrapped& a, const Wrapped& b) { return a.record < b.record; });
  // An ArgumentRangeError outside a wrapped call (a cast inside a body).
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const ArgumentRangeError& e) {
      PyErr_SetString(g_errors.out_of_range, e.message.c_str());
    }
  });
}

}  // namespace perpcore_py

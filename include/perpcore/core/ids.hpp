// -----------------------------------------------------------------------------
// File: perpcore/core/ids.hpp
// -----------------------------------------------------------------------------
//
// Identifiers, each its own type: a MarketId is not an AccountId, and no id
// is an integer. Ids are chosen by the host (orders, accounts, markets,
// owners, oracle sources) and 0 is never a valid id (it means "none"), so a
// zero-initialised struct is recognisably empty.
//
// Construction:
//   MarketId(m)      explicit, from a run-time unsigned integer no wider
//                    than the id
//   .market = 7      implicit only from an integer *constant* (a literal in
//                    code or a test), checked at compile time to be in range;
//                    a run-time integer never converts silently
//   id.value()       the integer, for encodings and the C and Python faces
// Ids compare (==, <, ...) and hash (absl) by value, with ids of their own
// kind only.
//
// Example:
//   engine::Deposit d{.account = AccountId(row.account), .amount = Quote(x)};
//   if (d.account == AccountId()) ...   // none
#ifndef PERPCORE_CORE_IDS_HPP_
#define PERPCORE_CORE_IDS_HPP_

#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <utility>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN

// Id
//
// A strong identifier over an unsigned integer Rep.
template <class Tag, class Rep>
class Id {
 public:
  using rep = Rep;

  constexpr Id() = default;
  // From a run-time unsigned integer no wider than Rep (a wider or signed
  // one must be converted, and checked, by the caller).
  template <std::unsigned_integral U>
    requires(sizeof(U) <= sizeof(Rep))
  constexpr explicit Id(U v) : v_(v) {}
  // An integer constant: a literal id in code. Not a run-time conversion
  // (consteval), and a negative or too large constant does not compile.
  // NOLINTNEXTLINE(google-explicit-constructor): literals only, by design
  consteval Id(long long constant) : v_(static_cast<Rep>(constant)) {
    if (constant < 0 ||
        static_cast<unsigned long long>(constant) > std::numeric_limits<Rep>::max()) {
      throw "id constant out of range";  // a compile-time error, never run
    }
  }

  constexpr Rep value() const { return v_; }
  // valid(): not the "none" id 0.
  constexpr bool valid() const { return v_ != 0; }

  friend constexpr bool operator==(Id, Id) = default;
  friend constexpr auto operator<=>(Id, Id) = default;
  template <class H>
  friend H AbslHashValue(H h, Id id) {
    return H::combine(std::move(h), id.v_);
  }
  // Streams as its integer (test frameworks print through this).
  template <class Os>
  friend auto operator<<(Os& os, Id id) -> decltype(os << Rep{}) {
    return os << id.v_;
  }

 private:
  Rep v_ = 0;
};

// Printable(): an id's integer, for text (absl::StrCat has no hook for it in
// the Abseil Debian ships); any other value as it is, so a variadic message
// helper can pass every part through it.
template <class T>
constexpr const T& Printable(const T& v) {
  return v;
}
template <class Tag, class Rep>
constexpr Rep Printable(Id<Tag, Rep> id) {
  return id.value();
}

using MarketId = Id<struct MarketIdTag, std::uint32_t>;        // a market
using AccountId = Id<struct AccountIdTag, std::uint64_t>;      // an account (orders' owner)
using OwnerId = Id<struct OwnerIdTag, std::uint64_t>;          // the person behind accounts
using OrderId = Id<struct OrderIdTag, std::uint64_t>;          // unique per book
using ClientOrderId = Id<struct ClientOrderIdTag, std::uint64_t>;  // the account's own; 0 = none
using SourceId = Id<struct SourceIdTag, std::uint32_t>;        // an oracle source

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_CORE_IDS_HPP_

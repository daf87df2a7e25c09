// Margin warnings (events::MarginWarning, engine.hpp "Margin warnings"):
// the exact classification of a cross account or an isolated bucket against
// its warning state (Account::warned, Position::warned). Not a public
// header.
#ifndef PERPCORE_SRC_ENGINE_MARGIN_WARNING_HPP_
#define PERPCORE_SRC_ENGINE_MARGIN_WARNING_HPP_

#include "perpcore/engine/engine.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// UpdateWarnings(): classifies the account's cross account and each of its
// isolated buckets exactly at the mark (liquidation::Classify against the
// warning threshold CrossHealth() / the bucket's market gives), and where
// "warning or worse" differs from its flag, flips the flag and emits a
// MarginWarning: the cross account first (market 0), then the buckets in
// market id order. O(records of the account).
void UpdateWarnings(const State& s, Account& a, EventSink& sink);

// WarnedNow(): the exact answer UpdateWarnings() stores, for one target
// (the cross account when p is null, else p's isolated bucket); for
// CheckInvariants and tests.
bool WarnedNow(const State& s, const Account& a, const Position* p);

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_MARGIN_WARNING_HPP_

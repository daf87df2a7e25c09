// Margin warnings (events::MarginWarning, engine.hpp "Margin warnings"):
// the exact classification of a cross account or an isolated bucket against
// its warning state (Account::warned, Account::warned_buckets). Not a public
// header.
#ifndef PERPCORE_SRC_ENGINE_MARGIN_WARNING_HPP_
#define PERPCORE_SRC_ENGINE_MARGIN_WARNING_HPP_

#include "perpcore/engine/engine.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// UpdateWarnings(): classifies the account's cross account and each of its
// isolated buckets exactly at the mark (HealthOf::Warned() of CrossHealth()
// and BucketHealth(): equity at or below the warning margin, or < 0), and where
// "warning or worse" differs from its state, changes the state and emits a
// MarginWarning: the cross account first (market 0), then the buckets in
// market id order; a bucket warned before that is gone now (released when
// its position closed) is cleared with equity and maintenance 0.
// O(records of the account).
void UpdateWarnings(const State& s, Account& a, EventSink& sink);

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_MARGIN_WARNING_HPP_

// The liquidation candidate indexes (state.hpp LiquidationIndex).
#include "handlers.hpp"

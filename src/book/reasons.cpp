#include "perpcore/book/types.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace book {
namespace {

struct ReasonText {
  std::string_view name;
  std::string_view message;
};

// Indexed by the pinned enumerator value.
constexpr ReasonText kReasons[] = {
    {"kOk", "accepted"},
    {"kInvalidOrderId", "order id must be non-zero"},
    {"kInvalidAccount", "account must be non-zero"},
    {"kInvalidSide", "side must be buy or sell"},
    {"kInvalidOrderType", "order type must be limit or market"},
    {"kInvalidTimeInForce",
     "time in force must be GTC, IOC, FOK, post-only or post-only slide; market orders "
     "must be IOC or FOK"},
    {"kInvalidStpMode", "self-trade prevention mode is not one of the four modes"},
    {"kInvalidSize", "size must be positive"},
    {"kSizeNotOnStep", "size must be a multiple of the market's size step"},
    {"kSizeAboveMax", "size exceeds the market's maximum order size"},
    {"kInvalidMaxFill", "max fill must not be negative"},
    {"kInvalidPrice", "price must be positive"},
    {"kPriceNotOnStep", "price must be a multiple of the market's price step"},
    {"kPriceOutsideBand", "price is outside the band around the reference price"},
    {"kDuplicateOrderId", "an order with this id is already live"},
    {"kDuplicateClientOrderId", "the account already has a live order with this client id"},
    {"kPostOnlyWouldCross", "post-only order would cross the opposite best and take liquidity"},
    {"kFokNotFilled", "fill-or-kill order cannot be filled in full now"},
    {"kTooManyOrders", "the account has the maximum number of live orders in this market"},
    {"kTooManyLevels", "the book side has the maximum number of price levels"},
    {"kBookFull", "the book holds the maximum number of live orders"},
    {"kOverflow", "the level's total size would overflow"},
    {"kUnknownOrder", "no live order with this id"},
    {"kNotOrderOwner", "the order belongs to another account"},
    {"kAmendNoChange", "amend leaves price and size unchanged"},
    {"kAmendWouldCross", "amended price would cross the opposite best; cancel and place instead"},
    {"kInvalidClientOrderId", "client order id must be non-zero"},
    {"kInvalidConfig", "book configuration is out of range"},
};

const ReasonText* Lookup(Reason r) {
  const auto i = static_cast<std::size_t>(r);
  return i < std::size(kReasons) ? &kReasons[i] : nullptr;
}

}  // namespace

std::string_view ReasonName(Reason r) {
  const ReasonText* t = Lookup(r);
  return t ? t->name : "kUnknown";
}

std::string_view ReasonMessage(Reason r) {
  const ReasonText* t = Lookup(r);
  return t ? t->message : "unknown reason";
}

}  // namespace book
PERPCORE_NAMESPACE_END

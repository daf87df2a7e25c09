"""perpcore: the matching-and-risk core of a perpetual-futures exchange.

The C++ core is the extension module ``perpcore._perpcore``; this package
re-exports its public names. Everything is an exact integer: prices are ticks,
sizes are lots, and decimal text converts to and from them exactly with
:func:`parse_decimal` and :func:`format_decimal`.

Errors (a bad call or bad data) raise :class:`Error` subclasses; business
outcomes, such as a post-only order that would cross, are returned as
:class:`Reason` values.

Example::

    import perpcore as pc

    book = pc.OrderBook()
    book.place(order_id=1, account=7, side=pc.Side.SELL, price=100, size=5)
    r = book.place(order_id=2, account=8, side=pc.Side.BUY, price=101, size=8)
    assert (r.reason, r.filled, r.rested) == (pc.Reason.OK, 5, 3)
"""

from perpcore._perpcore import (
    RATE_SCALE as RATE_SCALE,
    CancelReason as CancelReason,
    Error as Error,
    Event as Event,
    EventKind as EventKind,
    InternalError as InternalError,
    InvalidArgumentError as InvalidArgumentError,
    NotFoundError as NotFoundError,
    OrderBook as OrderBook,
    OrderType as OrderType,
    OrderView as OrderView,
    OutOfRangeError as OutOfRangeError,
    PerpcoreError as PerpcoreError,
    PlaceResult as PlaceResult,
    Reason as Reason,
    Side as Side,
    StpMode as StpMode,
    TimeInForce as TimeInForce,
    __version__ as __version__,
    format_decimal as format_decimal,
    format_rate as format_rate,
    parse_decimal as parse_decimal,
    parse_rate as parse_rate,
    reason_message as reason_message,
    version_number as version_number,
)

__all__ = [
    "RATE_SCALE",
    "CancelReason",
    "Error",
    "Event",
    "EventKind",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OrderBook",
    "OrderType",
    "OrderView",
    "OutOfRangeError",
    "PerpcoreError",
    "PlaceResult",
    "Reason",
    "Side",
    "StpMode",
    "TimeInForce",
    "__version__",
    "format_decimal",
    "format_rate",
    "parse_decimal",
    "parse_rate",
    "reason_message",
    "version_number",
]

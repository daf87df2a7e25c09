"""Stubs for perpcore._perpcore, the pybind11 extension (python/src/module.cpp).

Hand-written; `python3 -m mypy.stubtest perpcore._perpcore` checks them
against the built module.
"""

import enum
from typing import ClassVar

__version__: str
RATE_SCALE: int

def version_number() -> int: ...

# -- errors ---------------------------------------------------------------

class Error(Exception):
    code: ClassVar[str]

PerpcoreError = Error

class InvalidArgumentError(Error, ValueError): ...
class OutOfRangeError(Error, OverflowError): ...
class NotFoundError(Error, LookupError): ...
class InternalError(Error, RuntimeError): ...

# -- decimals -------------------------------------------------------------

def parse_decimal(text: str, decimals: int, step: int = 1) -> int: ...
def format_decimal(units: int, decimals: int, step: int = 1) -> str: ...
def parse_rate(text: str) -> int: ...
def format_rate(rate: int) -> str: ...

# -- enums ----------------------------------------------------------------

class Side(enum.IntEnum):
    BUY = 0
    SELL = 1

class OrderType(enum.IntEnum):
    LIMIT = 0
    MARKET = 1

class TimeInForce(enum.IntEnum):
    GTC = 0
    IOC = 1
    FOK = 2
    POST_ONLY = 3
    POST_ONLY_SLIDE = 4

class StpMode(enum.IntEnum):
    CANCEL_MAKER = 0
    CANCEL_TAKER = 1
    CANCEL_BOTH = 2
    DECREMENT_AND_CANCEL = 3

class Reason(enum.IntEnum):
    OK = 0
    INVALID_ORDER_ID = 1
    INVALID_ACCOUNT = 2
    INVALID_SIDE = 3
    INVALID_ORDER_TYPE = 4
    INVALID_TIME_IN_FORCE = 5
    INVALID_STP_MODE = 6
    INVALID_SIZE = 7
    SIZE_NOT_ON_STEP = 8
    SIZE_ABOVE_MAX = 9
    INVALID_MAX_FILL = 10
    INVALID_PRICE = 11
    PRICE_NOT_ON_STEP = 12
    PRICE_OUTSIDE_BAND = 13
    DUPLICATE_ORDER_ID = 14
    DUPLICATE_CLIENT_ORDER_ID = 15
    POST_ONLY_WOULD_CROSS = 16
    FOK_NOT_FILLED = 17
    TOO_MANY_ORDERS = 18
    TOO_MANY_LEVELS = 19
    BOOK_FULL = 20
    OVERFLOW = 21
    UNKNOWN_ORDER = 22
    NOT_ORDER_OWNER = 23
    AMEND_NO_CHANGE = 24
    AMEND_WOULD_CROSS = 25
    INVALID_CLIENT_ORDER_ID = 26
    INVALID_CONFIG = 27

def reason_message(reason: Reason) -> str: ...

class CancelReason(enum.IntEnum):
    USER = 0
    CANCEL_ALL = 1
    UNFILLED_REMAINDER = 2
    SELF_TRADE = 3
    MAX_FILL = 4

class EventKind(enum.IntEnum):
    FILL = 0
    RESTED = 1
    CANCELED = 2
    REDUCED = 3
    AMENDED = 4

# -- book value types -------------------------------------------------------

class PlaceResult:
    @property
    def reason(self) -> Reason: ...
    @property
    def filled(self) -> int: ...
    @property
    def rested(self) -> int: ...
    @property
    def rest_price(self) -> int: ...
    @property
    def ok(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Event:
    def __init__(
        self,
        *,
        kind: EventKind,
        side: Side = ...,
        reason: CancelReason = ...,
        priority_kept: bool = False,
        order_id: int = 0,
        account: int = 0,
        price: int = 0,
        size: int = 0,
        remaining: int = 0,
        maker_order_id: int = 0,
        maker_account: int = 0,
        maker_remaining: int = 0,
    ) -> None: ...
    @property
    def kind(self) -> EventKind: ...
    @property
    def side(self) -> Side: ...
    @property
    def reason(self) -> CancelReason: ...
    @property
    def priority_kept(self) -> bool: ...
    @property
    def order_id(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def maker_order_id(self) -> int: ...
    @property
    def maker_account(self) -> int: ...
    @property
    def maker_remaining(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OrderView:
    @property
    def order_id(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def client_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def priority(self) -> int: ...

# -- the book ---------------------------------------------------------------

class OrderBook:
    def __init__(
        self,
        *,
        price_step: int = 1,
        size_step: int = 1,
        max_order_size: int = ...,
        max_orders_per_account: int = 1000,
        max_levels_per_side: int = 10000,
        max_book_orders: int = 16777216,
        price_band: int = 0,
        expected_orders: int = 1024,
    ) -> None: ...
    def place(
        self,
        *,
        order_id: int,
        account: int,
        side: Side,
        price: int,
        size: int,
        order_type: OrderType = ...,
        tif: TimeInForce = ...,
        stp: StpMode = ...,
        client_id: int = 0,
        max_fill: int | None = None,
    ) -> PlaceResult: ...
    def cancel(self, account: int, order_id: int) -> Reason: ...
    def cancel_by_client_id(self, account: int, client_id: int) -> Reason: ...
    def cancel_all(self, account: int) -> Reason: ...
    def amend(self, *, account: int, order_id: int, new_price: int, new_size: int) -> Reason: ...
    def set_reference_price(self, price: int) -> Reason: ...
    def events(self) -> list[Event]: ...
    def best_bid(self) -> int | None: ...
    def best_ask(self) -> int | None: ...
    def best(self, side: Side) -> tuple[int, int, int] | None: ...
    def depth(self, side: Side, n: int) -> list[tuple[int, int, int]]: ...
    def orders_at(self, side: Side, price: int, n: int) -> list[OrderView]: ...
    def find(self, order_id: int) -> OrderView | None: ...
    def find_by_client_id(self, account: int, client_id: int) -> OrderView | None: ...
    @property
    def order_count(self) -> int: ...
    def level_count(self, side: Side) -> int: ...
    def account_order_count(self, account: int) -> int: ...
    @property
    def reference_price(self) -> int: ...
    def check_invariants(self) -> None: ...
    def encode_canonical(self) -> bytes: ...
    def digest(self) -> bytes: ...

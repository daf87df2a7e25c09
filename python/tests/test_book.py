"""Tests of the OrderBook binding: matching, rejects as values, events, queries.

Every expected value is worked out by hand from perpcore/book/order_book.hpp
and perpcore/book/types.hpp. check_invariants() runs after every mutation.
"""

import enum
import pickle
import random

import pytest

import perpcore as pc
from perpcore import (
    CancelReason,
    Event,
    EventKind,
    OrderBook,
    OrderType,
    Reason,
    Side,
    StpMode,
    TimeInForce,
)

BUY, SELL = Side.BUY, Side.SELL


def book_with_ask(
    price: int = 100, size: int = 5, *, order_id: int = 1, account: int = 7
) -> OrderBook:
    book = OrderBook()
    r = book.place(order_id=order_id, account=account, side=SELL, price=price, size=size)
    assert r.ok
    book.check_invariants()
    return book


# -- matching ---------------------------------------------------------------------


def test_crossing_order_fills_at_the_maker_price_and_rests_the_rest() -> None:
    book = book_with_ask(100, 5)
    r = book.place(order_id=2, account=8, side=BUY, price=101, size=8)
    book.check_invariants()

    assert (r.reason, r.filled, r.rested, r.rest_price, r.ok) == (Reason.OK, 5, 3, 101, True)
    assert book.events() == [
        Event(kind=EventKind.FILL, side=BUY, order_id=2, account=8, price=100, size=5,
              remaining=3, maker_order_id=1, maker_account=7, maker_remaining=0),
        Event(kind=EventKind.RESTED, side=BUY, order_id=2, account=8, price=101, size=3,
              remaining=3),
    ]
    assert book.best_bid() == 101
    assert book.best_ask() is None
    assert book.depth(BUY, 10) == [(101, 3, 1)]
    assert book.depth(SELL, 10) == []
    assert book.order_count == 1


def test_price_time_priority_best_price_first_then_arrival() -> None:
    book = OrderBook()
    book.place(order_id=1, account=1, side=SELL, price=101, size=2)
    book.place(order_id=2, account=2, side=SELL, price=100, size=2)
    book.place(order_id=3, account=3, side=SELL, price=100, size=2)
    r = book.place(order_id=4, account=4, side=BUY, price=101, size=5, tif=TimeInForce.IOC)
    book.check_invariants()
    assert (r.filled, r.rested) == (5, 0)
    fills = [(e.maker_order_id, e.price, e.size) for e in book.events() if e.kind == EventKind.FILL]
    assert fills == [(2, 100, 2), (3, 100, 2), (1, 101, 1)]
    assert book.depth(SELL, 5) == [(101, 1, 1)]


def test_ioc_remainder_is_cancelled_not_rested() -> None:
    book = book_with_ask(100, 5)
    r = book.place(order_id=2, account=8, side=BUY, price=100, size=8, tif=TimeInForce.IOC)
    book.check_invariants()
    assert (r.reason, r.filled, r.rested) == (Reason.OK, 5, 0)
    assert book.events()[-1] == Event(kind=EventKind.CANCELED, side=BUY, order_id=2, account=8,
                                      price=100, size=3, remaining=0,
                                      reason=CancelReason.UNFILLED_REMAINDER)
    assert book.best_bid() is None


def test_market_order_never_fills_beyond_its_protection_price() -> None:
    book = OrderBook()
    book.place(order_id=1, account=1, side=SELL, price=100, size=2)
    book.place(order_id=2, account=1, side=SELL, price=110, size=2)
    r = book.place(order_id=3, account=2, side=BUY, price=105, size=4,
                   order_type=OrderType.MARKET, tif=TimeInForce.IOC)
    book.check_invariants()
    assert (r.filled, r.rested) == (2, 0)
    assert book.best_ask() == 110


def test_market_order_must_be_ioc_or_fok() -> None:
    book = book_with_ask()
    r = book.place(order_id=2, account=2, side=BUY, price=105, size=1, order_type=OrderType.MARKET)
    assert r.reason == Reason.INVALID_TIME_IN_FORCE


def test_fok_that_cannot_fill_changes_nothing() -> None:
    book = book_with_ask(100, 5)
    before = book.encode_canonical()
    r = book.place(order_id=2, account=8, side=BUY, price=100, size=6, tif=TimeInForce.FOK)
    assert (r.reason, r.ok, r.filled, r.rested) == (Reason.FOK_NOT_FILLED, False, 0, 0)
    assert book.events() == []
    assert book.encode_canonical() == before


def test_max_fill_cuts_the_order_up_front() -> None:
    book = book_with_ask(100, 5)
    r = book.place(order_id=2, account=8, side=BUY, price=100, size=10, max_fill=4)
    book.check_invariants()
    assert (r.filled, r.rested) == (4, 0)
    assert book.events() == [
        Event(kind=EventKind.CANCELED, side=BUY, order_id=2, account=8, price=100, size=6,
              remaining=4, reason=CancelReason.MAX_FILL),
        Event(kind=EventKind.FILL, side=BUY, order_id=2, account=8, price=100, size=4,
              remaining=0, maker_order_id=1, maker_account=7, maker_remaining=1),
    ]
    assert book.depth(SELL, 1) == [(100, 1, 1)]


# -- post-only --------------------------------------------------------------------


def test_post_only_crossing_is_a_reason_value_not_an_exception() -> None:
    book = book_with_ask(100, 5)
    before = book.digest()
    r = book.place(order_id=2, account=8, side=BUY, price=100, size=1, tif=TimeInForce.POST_ONLY)
    assert r.reason == Reason.POST_ONLY_WOULD_CROSS
    assert r.reason is Reason.POST_ONLY_WOULD_CROSS
    assert isinstance(r.reason, enum.IntEnum)
    assert not r.ok
    assert (r.filled, r.rested, r.rest_price) == (0, 0, 0)
    assert book.events() == []
    assert book.digest() == before
    assert "cross" in pc.reason_message(r.reason)


def test_post_only_slide_reprices_one_step_behind_the_opposite_best() -> None:
    book = book_with_ask(100, 5)
    r = book.place(order_id=2, account=8, side=BUY, price=105, size=1,
                   tif=TimeInForce.POST_ONLY_SLIDE)
    book.check_invariants()
    assert (r.reason, r.filled, r.rested, r.rest_price) == (Reason.OK, 0, 1, 99)
    assert book.events() == [Event(kind=EventKind.RESTED, side=BUY, order_id=2, account=8,
                                   price=99, size=1, remaining=1)]


# -- self-trade prevention ------------------------------------------------------------


def test_stp_cancel_maker_cancels_the_resting_order_and_keeps_matching() -> None:
    book = book_with_ask(100, 5, account=7)
    r = book.place(order_id=2, account=7, side=BUY, price=100, size=3)
    book.check_invariants()
    assert (r.filled, r.rested) == (0, 3)
    assert book.events() == [
        Event(kind=EventKind.CANCELED, side=SELL, order_id=1, account=7, price=100, size=5,
              remaining=0, reason=CancelReason.SELF_TRADE),
        Event(kind=EventKind.RESTED, side=BUY, order_id=2, account=7, price=100, size=3,
              remaining=3),
    ]


def test_stp_decrement_and_cancel_prints_no_trade() -> None:
    book = book_with_ask(100, 5, account=7)
    r = book.place(order_id=2, account=7, side=BUY, price=100, size=3,
                   stp=StpMode.DECREMENT_AND_CANCEL)
    book.check_invariants()
    assert (r.filled, r.rested) == (0, 0)
    assert book.events() == [
        Event(kind=EventKind.REDUCED, side=SELL, order_id=1, account=7, price=100, size=3,
              remaining=2, reason=CancelReason.SELF_TRADE),
        Event(kind=EventKind.CANCELED, side=BUY, order_id=2, account=7, price=100, size=3,
              remaining=0, reason=CancelReason.SELF_TRADE),
    ]
    assert book.depth(SELL, 1) == [(100, 2, 1)]


# -- cancel, amend, band -----------------------------------------------------------------


def test_cancel_by_id_owner_and_unknown() -> None:
    book = book_with_ask(100, 5, account=7)
    assert book.cancel(8, 1) == Reason.NOT_ORDER_OWNER
    assert book.cancel(7, 99) == Reason.UNKNOWN_ORDER
    assert book.cancel(7, 1) == Reason.OK
    book.check_invariants()
    assert book.events() == [Event(kind=EventKind.CANCELED, side=SELL, order_id=1, account=7,
                                   price=100, size=5, remaining=0, reason=CancelReason.USER)]
    assert book.cancel(7, 1) == Reason.UNKNOWN_ORDER
    assert book.best_ask() is None


def test_cancel_by_client_id_and_cancel_all() -> None:
    book = OrderBook()
    for i in range(1, 4):
        book.place(order_id=i, account=7, side=BUY, price=90 + i, size=1, client_id=100 + i)
    book.place(order_id=9, account=8, side=BUY, price=50, size=1)
    found = book.find_by_client_id(7, 102)
    assert found is not None and (found.order_id, found.price, found.client_id) == (2, 92, 102)
    assert book.cancel_by_client_id(7, 0) == Reason.INVALID_CLIENT_ORDER_ID
    assert book.cancel_by_client_id(7, 102) == Reason.OK
    assert book.find(2) is None
    assert book.cancel_all(0) == Reason.INVALID_ACCOUNT
    assert book.cancel_all(7) == Reason.OK
    book.check_invariants()
    assert [(e.order_id, e.reason) for e in book.events()] == [
        (1, CancelReason.CANCEL_ALL), (3, CancelReason.CANCEL_ALL)]
    assert book.account_order_count(7) == 0
    assert book.depth(BUY, 10) == [(50, 1, 1)]


def test_amend_size_down_keeps_priority_and_a_cross_is_refused() -> None:
    book = OrderBook()
    book.place(order_id=1, account=7, side=BUY, price=99, size=5)
    book.place(order_id=2, account=8, side=BUY, price=99, size=5)
    book.place(order_id=3, account=9, side=SELL, price=101, size=5)
    assert book.amend(account=7, order_id=1, new_price=99, new_size=2) == Reason.OK
    book.check_invariants()
    assert book.events() == [Event(kind=EventKind.AMENDED, side=BUY, order_id=1, account=7,
                                   price=99, size=5, remaining=2, priority_kept=True)]
    assert [o.order_id for o in book.orders_at(BUY, 99, 10)] == [1, 2]
    assert book.amend(account=7, order_id=1, new_price=101, new_size=2) == Reason.AMEND_WOULD_CROSS
    assert book.amend(account=7, order_id=1, new_price=99, new_size=2) == Reason.AMEND_NO_CHANGE
    assert book.amend(account=7, order_id=1, new_price=98, new_size=2) == Reason.OK
    assert book.events()[0].priority_kept is False
    book.check_invariants()


def test_price_band_around_the_reference_price() -> None:
    book = OrderBook(price_band="0.01")  # +-1%
    assert book.set_reference_price(-1) == Reason.INVALID_PRICE
    assert book.set_reference_price(10_000) == Reason.OK
    assert book.reference_price == 10_000
    r = book.place(order_id=1, account=1, side=BUY, price=10_101, size=1)
    assert r.reason == Reason.PRICE_OUTSIDE_BAND
    assert book.place(order_id=1, account=1, side=BUY, price=10_100, size=1).ok
    book.check_invariants()


# -- queries ---------------------------------------------------------------------------------


def test_empty_book_queries() -> None:
    book = OrderBook()
    assert book.best_bid() is None and book.best_ask() is None
    assert book.best(BUY) is None
    assert book.depth(BUY, 10) == [] and book.depth(SELL, 0) == []
    assert book.order_count == 0 and book.level_count(SELL) == 0
    assert book.find(1) is None
    assert book.events() == []
    book.check_invariants()


def test_levels_are_named_tuples_of_price_size_and_orders() -> None:
    book = OrderBook()
    book.place(order_id=1, account=1, side=SELL, price=101, size=2)
    book.place(order_id=2, account=2, side=SELL, price=101, size=5)
    level = book.depth(SELL, 1)[0]
    assert type(level) is pc.Level and level._fields == ("price", "size", "orders")
    assert (level.price, level.size, level.orders) == (101, 7, 2)
    price, size, orders = level  # unpacks as the plain tuple it is
    assert (price, size, orders) == level == (101, 7, 2)
    assert level == pc.Level(price=101, size=7, orders=2)
    assert repr(level) == "Level(price=101, size=7, orders=2)"
    assert pc.Level.__module__ == "perpcore._perpcore"
    assert pickle.loads(pickle.dumps(level)) == level
    assert book.best(SELL) == level


def test_depth_is_best_first_on_both_sides_and_bounded_by_n() -> None:
    book = OrderBook()
    oid = 0
    for price, size in [(97, 1), (99, 2), (98, 3), (99, 4)]:
        oid += 1
        book.place(order_id=oid, account=oid, side=BUY, price=price, size=size)
    for price, size in [(103, 1), (101, 2), (102, 3)]:
        oid += 1
        book.place(order_id=oid, account=oid, side=SELL, price=price, size=size)
    book.check_invariants()
    assert book.depth(BUY, 10) == [(99, 6, 2), (98, 3, 1), (97, 1, 1)]
    assert book.depth(SELL, 2) == [(101, 2, 1), (102, 3, 1)]
    assert book.best(SELL) == (101, 2, 1)
    assert (book.best_bid(), book.best_ask()) == (99, 101)
    assert (book.level_count(BUY), book.level_count(SELL)) == (3, 3)
    best = book.best(BUY)
    assert best is not None
    assert isinstance(best, pc.Level) and isinstance(best, tuple)
    assert (best.price, best.size, best.orders) == (99, 6, 2)
    view = book.find(4)
    assert view is not None
    assert (view.order_id, view.account, view.side, view.price) == (4, 4, BUY, 99)
    assert view.remaining == 4
    assert "OrderView(order_id=4" in repr(view)


def test_digest_is_32_bytes_and_tracks_the_state() -> None:
    a, b = book_with_ask(), book_with_ask()
    assert isinstance(a.digest(), bytes) and len(a.digest()) == 32
    assert a.digest() == b.digest()
    assert a.encode_canonical() == b.encode_canonical()
    a.place(order_id=2, account=2, side=BUY, price=90, size=1)
    assert a.digest() != b.digest()
    assert a.cancel(2, 2) == Reason.OK
    # The same live orders, but the arrival counter moved on: a different state.
    assert a.digest() != b.digest()


def test_same_commands_give_the_same_events_and_digest() -> None:
    def run(seed: int) -> tuple[bytes, list[Event]]:
        rng = random.Random(seed)
        book = OrderBook(max_orders_per_account=50)
        log: list[Event] = []
        live: list[tuple[int, int]] = []
        for oid in range(1, 2001):
            if live and rng.random() < 0.3:
                account, victim = live.pop(rng.randrange(len(live)))
                book.cancel(account, victim)
            else:
                account = rng.randint(1, 20)
                r = book.place(order_id=oid, account=account, side=rng.choice([BUY, SELL]),
                               price=rng.randint(95, 105), size=rng.randint(1, 10),
                               tif=rng.choice(list(TimeInForce)),
                               stp=rng.choice(list(StpMode)))
                if r.rested:
                    live.append((account, oid))
            log.extend(book.events())
            if oid % 250 == 0:
                book.check_invariants()
        book.check_invariants()
        return book.digest(), log

    digest1, log1 = run(7)
    digest2, log2 = run(7)
    assert digest1 == digest2
    assert log1 == log2
    assert any(e.kind == EventKind.FILL for e in log1)


# -- value types and enums ---------------------------------------------------------------


def test_event_repr_is_readable_and_round_trips() -> None:
    book = book_with_ask(100, 5)
    book.place(order_id=2, account=8, side=BUY, price=101, size=8)
    fill = book.events()[0]
    assert repr(fill) == (
        "Event(kind=EventKind.FILL, order_id=2, account=8, side=Side.BUY, price=100, size=5, "
        "remaining=3, maker_order_id=1, maker_account=7, maker_remaining=0)")
    for e in book.events():
        assert eval(repr(e), vars(pc)) == e
    assert fill != book.events()[1]
    assert fill != "not an event"
    with pytest.raises(TypeError):
        hash(fill)


def test_place_result_repr_and_not_constructible() -> None:
    book = book_with_ask(100, 5)
    r = book.place(order_id=2, account=8, side=BUY, price=100, size=1, tif=TimeInForce.POST_ONLY)
    assert repr(r) == ("PlaceResult(reason=Reason.POST_ONLY_WOULD_CROSS, filled=0, rested=0, "
                       "rest_price=0)")
    with pytest.raises(TypeError):
        pc.PlaceResult()


def test_enum_values_are_pinned() -> None:
    assert [int(s) for s in Side] == [0, 1]
    assert (TimeInForce.POST_ONLY.value, TimeInForce.POST_ONLY_SLIDE.value) == (3, 4)
    assert StpMode.DECREMENT_AND_CANCEL.value == 3
    assert (Reason.OK.value, Reason.POST_ONLY_WOULD_CROSS.value, Reason.INVALID_CONFIG.value) == (
        0, 403, 217)
    # One list for book and engine, a range of 100 per module: the range says
    # where a refusal came from.
    ranges = {v // 100 for v in (m.value for m in Reason)}
    assert ranges == {0, 1, 2, 3, 4, 5, 6, 7, 8}
    assert {m.name for m in Reason if 400 <= m.value < 500} == {
        "PRICE_OUTSIDE_BAND", "DUPLICATE_ORDER_ID", "DUPLICATE_CLIENT_ORDER_ID",
        "POST_ONLY_WOULD_CROSS", "FOK_NOT_FILLED", "TOO_MANY_ORDERS", "TOO_MANY_LEVELS",
        "BOOK_FULL", "OVERFLOW", "UNKNOWN_ORDER", "NOT_ORDER_OWNER", "AMEND_NO_CHANGE",
        "AMEND_WOULD_CROSS"}
    assert (CancelReason.MAX_FILL.value, EventKind.AMENDED.value) == (4, 4)
    for cls in (Side, OrderType, TimeInForce, StpMode, Reason, CancelReason, EventKind):
        assert issubclass(cls, enum.IntEnum)
        assert cls.__module__ == "perpcore._perpcore"
        assert cls.__doc__
    for reason in Reason:
        assert pc.reason_message(reason)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["order_id", "account", "price", "size", "client_id", "max_fill"])
@pytest.mark.parametrize("bad", [1.0, 100.5, True, "1"])
def test_non_int_field_raises_type_error(field: str, bad: object) -> None:
    book = OrderBook()
    kwargs: dict[str, object] = dict(order_id=1, account=1, side=BUY, price=100, size=1)
    kwargs[field] = bad
    with pytest.raises(TypeError, match=f"^OrderBook.place\\(\\): argument '{field}' must be "):
        book.place(**kwargs)  # type: ignore[arg-type]
    assert book.order_count == 0


@pytest.mark.parametrize("bad", [0, 1, "BUY", None])
def test_enum_parameters_take_enum_members_only(bad: object) -> None:
    book = OrderBook()
    with pytest.raises(TypeError):
        book.place(order_id=1, account=1, side=bad, price=100, size=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        book.place(order_id=1, account=1, side=BUY, price=100, size=1,
                   tif=TimeInForce.GTC.value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "type_name"),
    [("order_id", -1, "uint64"), ("order_id", 2**64, "uint64"), ("account", -5, "uint64"),
     ("price", 2**63, "int64"), ("size", -(2**63) - 1, "int64"), ("client_id", 2**70, "uint64")],
)
def test_int_outside_its_cpp_type_raises_out_of_range(
    field: str, value: int, type_name: str
) -> None:
    book = OrderBook()
    kwargs: dict[str, object] = dict(order_id=1, account=1, side=BUY, price=100, size=1)
    kwargs[field] = value
    with pytest.raises(pc.OutOfRangeError, match=f"out of range for {type_name}"):
        book.place(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        book.place(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [("order_id", 0, Reason.INVALID_ORDER_ID), ("account", 0, Reason.INVALID_ACCOUNT),
     ("size", -5, Reason.INVALID_SIZE), ("size", 0, Reason.INVALID_SIZE),
     ("price", -(2**63), Reason.INVALID_PRICE), ("max_fill", -1, Reason.INVALID_MAX_FILL)],
)
def test_in_range_but_invalid_values_are_reasons(field: str, value: int, reason: Reason) -> None:
    book = OrderBook()
    kwargs: dict[str, object] = dict(order_id=1, account=1, side=BUY, price=100, size=1)
    kwargs[field] = value
    assert book.place(**kwargs).reason == reason  # type: ignore[arg-type]
    assert book.order_count == 0


def test_place_arguments_are_keyword_only() -> None:
    book = OrderBook()
    with pytest.raises(TypeError):
        book.place(1, 1, BUY, 100, 1)  # type: ignore[misc]


def test_bad_config_raises_invalid_argument_naming_the_field() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="price_step"):
        OrderBook(price_step=0)
    with pytest.raises(pc.InvalidArgumentError, match="size_step"):
        OrderBook(size_step=-1)
    with pytest.raises(pc.OutOfRangeError, match="uint32"):
        OrderBook(max_orders_per_account=2**32)
    with pytest.raises(pc.OutOfRangeError):
        OrderBook(max_book_orders=-1)
    with pytest.raises(TypeError):
        OrderBook(price_step=1.0)  # type: ignore[arg-type]

"""Tests of the bulk numpy path: place_orders, cancel_orders, depth_arrays.

The bulk path must be exactly the per-call path: the same orders placed one
by one on a second engine give the same reasons, fills and digest. Columns
are strict (no casts): wrong dtypes are TypeError, wrong shapes and values
that can never be valid are InvalidArgumentError, before anything applies.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import perpcore as pc
from enginekit import BTC, T0, USD, btc_at_30k, btc_params, ok, usd
from perpcore import Reason, Side

I64 = npt.NDArray[np.int64]


def funded_engine(accounts: int = 20) -> pc.Engine:
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for a in range(1, accounts + 1):
        ok(eng.create_account(account=a, owner=a, timestamp_ns=T0))
        ok(eng.deposit(account=a, amount=1_000_000 * USD, timestamp_ns=T0))
    return eng


def random_orders(n: int, seed: int, first_id: int = 1, accounts: int = 20) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sides = rng.integers(0, 2, n, dtype=np.int64)
    offset = rng.integers(-20, 60, n, dtype=np.int64)
    return dict(
        order_ids=np.arange(first_id, first_id + n, dtype=np.int64),
        accounts=rng.integers(1, accounts + 1, n, dtype=np.int64),
        sides=sides,
        prices=(300_000 + np.where(sides == 0, -offset, offset)).astype(np.int64),
        sizes=rng.integers(1, 50, n, dtype=np.int64),
        tifs=rng.choice(np.array([0, 0, 0, 1, 2, 3, 4], dtype=np.int64), n),
        order_types=np.zeros(n, dtype=np.int64),
        stps=rng.integers(0, 4, n, dtype=np.int64),
        client_ids=np.where(rng.random(n) < 0.5, 0, np.arange(first_id, first_id + n)).astype(
            np.int64),
        reduce_only=np.zeros(n, dtype=np.bool_),
    )


def place_one_by_one(eng: pc.Engine, orders: dict[str, Any], ts: int) -> list[pc.Result]:
    out = []
    for i in range(len(orders["order_ids"])):
        out.append(eng.place_order(
            market=1, account=int(orders["accounts"][i]), order_id=int(orders["order_ids"][i]),
            side=Side(int(orders["sides"][i])), price=int(orders["prices"][i]),
            size=int(orders["sizes"][i]), tif=pc.TimeInForce(int(orders["tifs"][i])),
            order_type=pc.OrderType(int(orders["order_types"][i])),
            stp=pc.StpMode(int(orders["stps"][i])), client_id=int(orders["client_ids"][i]),
            reduce_only=bool(orders["reduce_only"][i]), timestamp_ns=ts))
    return out


def test_bulk_equals_one_by_one() -> None:
    bulk, single = funded_engine(), funded_engine()
    orders = random_orders(3_000, seed=11)
    res = bulk.place_orders(market=1, timestamp_ns=T0 + 1, **orders)
    one = place_one_by_one(single, orders, T0 + 1)
    bulk.check_invariants()
    assert bulk.digest() == single.digest()
    assert bulk.encode_canonical() == single.encode_canonical()
    assert len(res) == 3_000
    assert res.reasons.dtype == np.uint16 and res.seqs.dtype == np.uint64
    assert res.filled.dtype == np.int64 and res.rested.dtype == np.int64
    assert res.reasons.tolist() == [int(r.reason) for r in one]
    assert res.filled.tolist() == [r.filled for r in one]
    assert res.rested.tolist() == [r.rested for r in one]
    assert res.seqs.tolist() == [r.seq for r in one]
    assert res.accepted == sum(r.ok for r in one)
    fills = [(i, e) for i, r in enumerate(one) for e in r.events if isinstance(e, pc.Fill)]
    assert len(fills) > 100  # the stream trades
    cols = res.fills
    assert sorted(cols) == sorted(["index", "taker_order_id", "maker_order_id", "taker_account",
                                   "maker_account", "side", "price", "size", "taker_fee",
                                   "maker_fee"])
    assert all(c.dtype == np.int64 and len(c) == len(fills) for c in cols.values())
    assert cols["index"].tolist() == [i for i, _ in fills]
    assert cols["taker_order_id"].tolist() == [e.taker.order_id for _, e in fills]
    assert cols["maker_order_id"].tolist() == [e.maker.order_id for _, e in fills]
    assert cols["taker_account"].tolist() == [e.taker.account for _, e in fills]
    assert cols["maker_account"].tolist() == [e.maker.account for _, e in fills]
    assert cols["side"].tolist() == [int(e.taker.side) for _, e in fills]
    assert cols["price"].tolist() == [e.price for _, e in fills]
    assert cols["size"].tolist() == [e.size for _, e in fills]
    assert cols["taker_fee"].tolist() == [e.taker.fee for _, e in fills]
    assert cols["maker_fee"].tolist() == [e.maker.fee for _, e in fills]
    assert repr(res) == f"BulkResult(orders=3000, accepted={res.accepted}, fills={len(fills)})"
    # Refusals are values, with their reasons.
    assert (res.reasons == Reason.POST_ONLY_WOULD_CROSS).any()


def test_defaults_seqs_and_reduce_only() -> None:
    eng = btc_at_30k()
    first = eng.last_seq + 1
    res = eng.place_orders(
        market=1, order_ids=np.array([1, 2, 0, 3], dtype=np.int64),
        accounts=np.array([1, 1, 1, 2], dtype=np.int64),
        sides=np.array([1, 1, 1, 0], dtype=np.int64),
        prices=np.array([usd(30_000), usd(30_001), usd(30_000), usd(30_001)], dtype=np.int64),
        sizes=np.array([5, 5, 5, 7], dtype=np.int64), timestamp_ns=T0)
    assert res.reasons.tolist() == [Reason.OK, Reason.OK, Reason.INVALID_ORDER_ID, Reason.OK]
    # Every order is a command and consumes its seq, refused or not.
    assert res.seqs.tolist() == [first, first + 1, first + 2, first + 3]
    assert (res.filled.tolist(), res.rested.tolist()) == ([0, 0, 0, 7], [5, 5, 0, 0])
    assert eng.last_seq == first + 3
    # Account 2 is long 7: a reduce-only IOC sell is clamped to 7.
    eng.place_order(market=1, account=1, order_id=9, side=Side.BUY, price=usd(29_999), size=20,
                    timestamp_ns=T0)
    res = eng.place_orders(
        market=1, order_ids=np.array([10], dtype=np.int64), accounts=np.array([2], dtype=np.int64),
        sides=np.array([1], dtype=np.int64), prices=np.array([usd(29_999)], dtype=np.int64),
        sizes=np.array([20], dtype=np.int64), tifs=np.array([1], dtype=np.int64),
        reduce_only=np.array([True]), timestamp_ns=T0)
    assert (res.reasons.tolist(), res.filled.tolist()) == ([Reason.OK], [7])
    eng.check_invariants()


def test_empty_batch_and_strided_columns() -> None:
    eng = btc_at_30k()
    e: I64 = np.zeros(0, dtype=np.int64)
    res = eng.place_orders(market=1, order_ids=e, accounts=e, sides=e, prices=e, sizes=e,
                           timestamp_ns=T0)
    assert len(res) == 0 and res.accepted == 0 and len(res.fills["price"]) == 0
    wide = np.arange(1, 21, dtype=np.int64)
    res = eng.place_orders(market=1, order_ids=wide[::2], accounts=np.ones(10, dtype=np.int64),
                           sides=np.zeros(10, dtype=np.int64),
                           prices=np.full(10, usd(29_000), dtype=np.int64),
                           sizes=np.ones(10, dtype=np.int64), timestamp_ns=T0)
    assert res.accepted == 10
    assert [o.order_id for o in eng.open_orders(1)] == list(range(1, 21, 2))


def test_timestamp_going_back_raises_and_places_nothing() -> None:
    eng = btc_at_30k()
    before = (eng.digest(), eng.last_seq)
    o = random_orders(5, seed=1, accounts=2)
    with pytest.raises(pc.TimeWentBackError):
        eng.place_orders(market=1, timestamp_ns=T0 - 1, **o)
    assert (eng.digest(), eng.last_seq) == before


def batch(n: int = 3) -> dict[str, Any]:
    return dict(order_ids=np.arange(1, n + 1, dtype=np.int64), accounts=np.ones(n, np.int64),
                sides=np.zeros(n, np.int64), prices=np.full(n, usd(29_000), np.int64),
                sizes=np.ones(n, np.int64))


@pytest.mark.parametrize("column", ["order_ids", "accounts", "sides", "prices", "sizes"])
@pytest.mark.parametrize("make", [
    lambda a: a.astype(np.float64),
    lambda a: a.astype(np.int32),
    lambda a: a.astype(np.uint64),
    lambda a: a.astype(object),
    lambda a: a.astype(">i8"),
    lambda a: a.tolist(),
    lambda a: tuple(a.tolist()),
    lambda a: None,
])
def test_wrong_dtype_or_type_is_type_error_and_changes_nothing(column: str, make: Any) -> None:
    eng = btc_at_30k()
    before = eng.digest()
    cols = batch()
    cols[column] = make(cols[column])
    with pytest.raises(TypeError, match=f"place_orders: {column} must be a numpy.ndarray of "
                                        "dtype int64"):
        eng.place_orders(market=1, timestamp_ns=T0, **cols)
    assert eng.digest() == before


@pytest.mark.parametrize("column", ["tifs", "order_types", "stps", "client_ids"])
def test_optional_columns_are_strict_too(column: str) -> None:
    eng = btc_at_30k()
    with pytest.raises(TypeError, match=f"{column} must be a numpy.ndarray of dtype int64"):
        eng.place_orders(market=1, timestamp_ns=T0, **batch(),
                         **{column: np.zeros(3, dtype=np.float64)})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reduce_only must be a numpy.ndarray of dtype bool"):
        eng.place_orders(market=1, timestamp_ns=T0, **batch(),
                         reduce_only=np.zeros(3, dtype=np.int64))


def test_wrong_shapes_are_value_errors_and_change_nothing() -> None:
    eng = btc_at_30k()
    before = eng.digest()
    cols = batch(4)
    cols["prices"] = cols["prices"].reshape(2, 2)
    with pytest.raises(pc.InvalidArgumentError, match=r"prices must be 1-D, not 2-D with shape "
                                                      r"\(2, 2\)"):
        eng.place_orders(market=1, timestamp_ns=T0, **cols)
    cols = batch(4)
    cols["sizes"] = cols["sizes"][:3]
    with pytest.raises(ValueError, match="sizes has length 3, the other columns 4"):
        eng.place_orders(market=1, timestamp_ns=T0, **cols)
    cols = batch(4)
    cols["order_ids"] = np.int64(5)
    with pytest.raises(TypeError):
        eng.place_orders(market=1, timestamp_ns=T0, **cols)
    cols = batch(1)
    cols["order_ids"] = np.array(1, dtype=np.int64)  # 0-D
    with pytest.raises(pc.InvalidArgumentError, match="1-D"):
        eng.place_orders(market=1, timestamp_ns=T0, **cols)
    assert eng.digest() == before


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("order_ids", -1, r"order_ids\[2\] = -1 is negative"),
     ("accounts", -(2**63), r"accounts\[2\] = -9223372036854775808 is negative"),
     ("sides", 2, r"sides\[2\] = 2 is not a Side value"),
     ("sides", -1, r"sides\[2\] = -1 is not a Side value"),
     ("tifs", 5, r"tifs\[2\] = 5 is not a TimeInForce value"),
     ("order_types", 2, r"order_types\[2\] = 2 is not a OrderType value"),
     ("stps", 4, r"stps\[2\] = 4 is not a StpMode value"),
     ("client_ids", -7, r"client_ids\[2\] = -7 is negative")],
)
def test_impossible_values_are_refused_before_anything_applies(
        column: str, value: int, message: str) -> None:
    eng = btc_at_30k()
    before = (eng.digest(), eng.last_seq)
    cols = batch(4)
    cols[column] = np.zeros(4, dtype=np.int64) if column not in cols else cols[column]
    cols[column][2] = value
    with pytest.raises(pc.InvalidArgumentError, match=message):
        eng.place_orders(market=1, timestamp_ns=T0, **cols)
    assert (eng.digest(), eng.last_seq) == before


def test_in_range_but_invalid_prices_and_sizes_are_reasons() -> None:
    eng = btc_at_30k()
    res = eng.place_orders(
        market=1, order_ids=np.array([1, 2, 3, 4], np.int64), accounts=np.ones(4, np.int64),
        sides=np.zeros(4, np.int64),
        prices=np.array([-(2**63), 0, usd(29_000), 2**63 - 1], np.int64),
        sizes=np.array([1, 1, 0, 1], np.int64), timestamp_ns=T0)
    assert res.reasons.tolist() == [Reason.INVALID_PRICE, Reason.INVALID_PRICE,
                                    Reason.INVALID_SIZE, Reason.PRICE_ABOVE_MAX]
    res = eng.place_orders(market=9, timestamp_ns=T0, **batch(2))
    assert res.reasons.tolist() == [Reason.UNKNOWN_MARKET] * 2
    with pytest.raises(pc.OutOfRangeError):
        eng.place_orders(market=-1, timestamp_ns=T0, **batch(2))
    with pytest.raises(TypeError):
        eng.place_orders(market=1, timestamp_ns=1.5, **batch(2))  # type: ignore[arg-type]


def test_cancel_orders_equals_one_by_one() -> None:
    a, b = funded_engine(), funded_engine()
    orders = random_orders(500, seed=3)
    a.place_orders(market=1, timestamp_ns=T0, **orders)
    b.place_orders(market=1, timestamp_ns=T0, **orders)
    ids = np.arange(1, 600, dtype=np.int64)  # some live, some gone, some never
    accts = orders["accounts"][np.minimum(ids - 1, 499)].astype(np.int64)
    res = a.cancel_orders(market=1, accounts=accts, order_ids=ids, timestamp_ns=T0 + 1)
    assert isinstance(res, pc.BulkCancelResult) and len(res) == len(ids)
    assert [res.reasons.dtype.name, res.canceled.dtype.name, res.seqs.dtype.name] == [
        "uint16", "int64", "uint64"]
    one = [b.cancel_order(market=1, account=int(acc), order_id=int(i), timestamp_ns=T0 + 1)
           for acc, i in zip(accts, ids)]
    assert res.reasons.tolist() == [int(r.reason) for r in one]
    assert res.seqs.tolist() == [r.seq for r in one]
    assert res.canceled.tolist() == [
        sum(e.size for e in r.events if isinstance(e, pc.OrderCanceled)) for r in one]
    assert res.accepted == sum(r.ok for r in one)
    assert Reason.OK in res.reasons.tolist() and Reason.UNKNOWN_ORDER in res.reasons.tolist()
    assert a.digest() == b.digest() and a.last_seq == b.last_seq
    a.check_invariants()
    with pytest.raises(TypeError):
        a.cancel_orders(market=1, accounts=accts.astype(np.float64), order_ids=ids,
                        timestamp_ns=T0 + 1)
    with pytest.raises(ValueError):
        a.cancel_orders(market=1, accounts=accts[:3], order_ids=ids, timestamp_ns=T0 + 1)


def test_cancel_orders_answers_like_place_orders_with_a_reason_per_cancel() -> None:
    eng = funded_engine(3)
    placed = eng.place_orders(
        market=1, order_ids=np.array([1, 2, 3], dtype=np.int64),
        accounts=np.array([1, 1, 2], dtype=np.int64),
        sides=np.array([0, 0, 1], dtype=np.int64),
        prices=np.array([299_000, 299_500, 301_000], dtype=np.int64),
        sizes=np.array([4, 7, 9], dtype=np.int64), timestamp_ns=T0 + 1)
    assert placed.accepted == 3
    seq = eng.last_seq
    res = eng.cancel_orders(
        market=1,
        accounts=np.array([1, 2, 2, 1, 9, 2], dtype=np.int64),
        order_ids=np.array([2, 1, 3, 2, 3, 77], dtype=np.int64), timestamp_ns=T0 + 2)
    # 2 is account 1's (7 lots); 1 is not account 2's; 3 is account 2's (9 lots);
    # 2 again is gone; account 9 does not exist; 77 never was.
    assert [Reason(r) for r in res.reasons] == [
        Reason.OK, Reason.NOT_ORDER_OWNER, Reason.OK, Reason.UNKNOWN_ORDER,
        Reason.UNKNOWN_ACCOUNT, Reason.UNKNOWN_ORDER]
    assert res.canceled.tolist() == [7, 0, 9, 0, 0, 0]
    assert res.seqs.tolist() == [seq + 1, seq + 2, seq + 3, seq + 4, seq + 5, seq + 6]
    assert (res.accepted, len(res), eng.last_seq) == (2, 6, seq + 6)
    assert repr(res) == "BulkCancelResult(cancels=6, accepted=2)"
    assert eng.depth(1, Side.BUY, 5) == [(299_000, 4, 1)] and eng.depth(1, Side.SELL, 5) == []
    eng.check_invariants()

    empty = np.zeros(0, dtype=np.int64)
    none = eng.cancel_orders(market=1, accounts=empty, order_ids=empty, timestamp_ns=T0 + 2)
    assert (len(none), none.accepted, none.reasons.tolist()) == (0, 0, [])
    gone = eng.cancel_orders(market=5, accounts=np.ones(2, dtype=np.int64),
                             order_ids=np.array([1, 2], dtype=np.int64), timestamp_ns=T0 + 2)
    assert gone.reasons.tolist() == [Reason.UNKNOWN_MARKET] * 2 and gone.accepted == 0
    before = (eng.digest(), eng.last_seq)
    with pytest.raises(pc.TimeWentBackError):
        eng.cancel_orders(market=1, accounts=np.ones(1, dtype=np.int64),
                          order_ids=np.ones(1, dtype=np.int64), timestamp_ns=T0)
    assert (eng.digest(), eng.last_seq) == before
    with pytest.raises(pc.InvalidArgumentError, match=r"cancel_orders: order_ids\[0\] = -1"):
        eng.cancel_orders(market=1, accounts=np.ones(1, dtype=np.int64),
                          order_ids=np.array([-1], dtype=np.int64), timestamp_ns=T0 + 3)
    assert eng.depth(1, Side.BUY, 5) == [(299_000, 4, 1)]


def test_depth_arrays_match_depth() -> None:
    eng = funded_engine()
    eng.place_orders(market=1, timestamp_ns=T0, **random_orders(2_000, seed=5))
    for side in (Side.BUY, Side.SELL):
        prices, sizes, counts = eng.depth_arrays(1, side, 50)
        assert list(zip(prices.tolist(), sizes.tolist(), counts.tolist())) == \
            eng.depth(1, side, 50)
    prices, _, _ = eng.depth_arrays(1, Side.BUY, 0)
    assert prices.shape == (0,)


def test_the_gil_is_released_while_the_engine_works() -> None:
    eng = funded_engine(accounts=200)
    o = random_orders(200_000, seed=9, accounts=200)
    started = threading.Event()

    def work() -> None:
        started.set()
        eng.place_orders(market=1, timestamp_ns=T0, **o)

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    spins = 0
    while t.is_alive():
        spins += 1
    t.join()
    # With the GIL held for the whole call this loop could hardly run.
    assert spins > 100
    eng.check_invariants()


def test_threads_sharing_an_engine_are_serialized() -> None:
    eng = funded_engine()
    results: list[pc.BulkResult] = []

    def work(first: int) -> None:
        results.append(eng.place_orders(market=1, timestamp_ns=T0,
                                        **random_orders(20_000, seed=first, first_id=first)))

    threads = [threading.Thread(target=work, args=(k * 1_000_000 + 1,)) for k in range(3)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        eng.stats(1)  # queries wait for the engine, never race it
    for t in threads:
        t.join()
    eng.check_invariants()
    assert eng.last_seq == 2 + 40 + sum(len(r) for r in results)

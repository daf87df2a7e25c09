#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets (tests/fuzz/README.md).

    tests/fuzz/make_seeds.py OUT_DIR

writes OUT_DIR/fuzz_c_api/seed-*.bin and OUT_DIR/fuzz_decimal/seed-*.bin.
The committed corpus (tests/fuzz/corpus/) is these seeds grown by a fuzz run
and minimized with libFuzzer's -merge=1 (the README gives the commands).

The C API encoding mirrors tests/fuzz/fuzz_c_api.cpp (Reader and Step): an
engine-mode byte, then per call an op byte and its fields in the order the
target reads them, then (for commands) a framing byte and a NULL-result byte.
"""
import os
import sys

# --- value selectors (fuzz_c_api.cpp's Reader) -------------------------------


def log_scale(value, shift=0):
    """The byte whose LogScale(shift) is value = m * 10^(e + shift), m < 16."""
    for e in range(15):
        p = 10 ** (e + shift)
        if value % p == 0 and value // p < 16:
            return bytes([16 * e + value // p])
    raise ValueError(value)


def around(value, centre, step):
    k = (value - centre) // step + 128
    assert 0 <= k < 0xF0 and centre + (k - 128) * step == value
    return bytes([k])


def price(ticks):
    return around(ticks, 300000, 25)


def raw_price(ticks):
    """Any price: Around's 0xFF selector and 8 raw bytes."""
    return b"\xff" + ticks.to_bytes(8, "little")


MS = bytes([2 * (0 + 8 * 6) + 1])   # framing: the next seq, 1 ms later
SEC = bytes([2 * (0 + 8 * 9) + 1])  # 1 s later
MIN = bytes([2 * (5 + 8 * 10) + 1])  # 60 s later
OUT_OK = b"\x00"                   # a real perpcore_result


def cmd(op, fields, framing=MS):
    return bytes([op]) + fields + framing + OUT_OK


def market_create(m, edits=b"\x00", size=b"\x00"):
    return cmd(0, bytes([m]) + edits + size)


def market_update(m, edits, size=b"\x00"):
    return cmd(1, bytes([m]) + edits + size)


def status(m, s):
    return cmd(2, bytes([m, s]))


def account(a, owner, referrer=0, tier=0):
    return cmd(3, bytes([a, owner, referrer, tier]))


def deposit(a, atoms):
    return cmd(4, bytes([a]) + log_scale(atoms, 2))


def withdraw(a, atoms):
    return cmd(6, bytes([a]) + log_scale(atoms))


def transfer(a, b, atoms):
    return cmd(7, bytes([a, b]) + log_scale(atoms))


def leverage(m, a, lev):
    return cmd(11, bytes([m, a, lev]))


def margin_mode(m, a, mode):
    return cmd(10, bytes([m, mode, a]))


def isolated(m, a, delta_units):
    return cmd(12, bytes([m, a]) + bytes([delta_units + 128]))


def order_fields(m, a, oid, side, px, lots, typ=0, tif=0, stp=0, ro=0, cid=0, size=b"\x00"):
    return (bytes([m, a, oid, cid, side, typ, tif, stp, ro]) + price(px) + log_scale(lots)
            + size)


def order(m, a, oid, side, px, lots, **kw):
    return cmd(14, order_fields(m, a, oid, side, px, lots, **kw))


def cancel(m, a, oid):
    return cmd(18, bytes([m, a, oid]))


def cancel_client(m, a, cid):
    return cmd(19, bytes([m, a, cid]))


def cancel_all(m, a):
    return cmd(20, bytes([m, a]))


def amend(m, a, oid, px, lots, size=b"\x00"):
    return cmd(21, bytes([m, a, oid]) + price(px) + log_scale(lots) + size)


def cancel_replace(old, m, a, oid, side, px, lots, **kw):
    return cmd(22, bytes([old]) + order_fields(m, a, oid, side, px, lots, **kw) + b"\x00")


def publish(m, source, px, age=0, framing=MS):
    return cmd(23, bytes([m, source]) + price(px) + bytes([age]), framing)


def tick(m, framing=MIN):
    return cmd(25, bytes([m]), framing)


def liquidate(m, a, keeper, max_size=b"\xf3"):  # 0xF3: INT64_MAX, no cap
    return cmd(5, bytes([m, a, keeper]) + max_size)


# Account 2's summary, positions and one position's health (op 28), then the
# pools, funding, shortfall, liquidatable (capacity 4) and events (op 30).
LIQUIDATION_QUERIES = bytes([28, 2, 0, 4, 8, 0, 1]) + bytes([30, 8, 16, 1, 0, 33, 2, 4, 4])


def liquidatable_long():
    """A default market (20x, 1% maintenance) at 30,000; account 2 long 1 BTC
    on 2,000 USD, account 1 bidding 1 BTC at 28,500, account 3 a keeper; the
    index then drops to 28,200, where account 2's equity (185 USD) is below
    its maintenance (282 USD) and the IOC's limit (280,334) is below the bid."""
    return (b"\x00" + market_create(1) + account(1, 1) + account(2, 2) + account(3, 3)
            + deposit(1, 10 ** 11) + deposit(2, 2 * 10 ** 9) + deposit(3, 10 ** 9)
            + publish(1, 1, 300000) + order(1, 1, 1, 1, 300000, 1000)
            + order(1, 2, 2, 0, 300000, 1000, tif=1)
            + cmd(14, bytes([1, 1, 3, 0, 0, 0, 0, 0, 0]) + raw_price(285000) + log_scale(1000)
                  + b"\x00")
            + cmd(23, bytes([1, 1]) + raw_price(282000) + b"\x00", SEC))


def queries(a=1, m=1):
    return (bytes([26, 0, 0, 0, m])            # params_check, params_get
            + bytes([27, 0, m, 0, 4])          # stats, depth, best
            + bytes([28, a, 0, 4, 8])          # summary, positions, open orders
            + bytes([29]) + order_fields(m, a, 9, 0, 300100, 10) + b"\x00"  # preview
            + bytes([30, 8, 16, 4])            # markets, accounts, pools, events
            + bytes([31, 0, 128, 64]))         # names, last_error


def market_with_book():
    """A market, two funded accounts, three oracle sources, a two-sided book."""
    return (b"\x00" + market_create(1) + account(1, 1) + account(2, 2)
            + deposit(1, 10 ** 11) + deposit(2, 10 ** 11)
            + publish(1, 1, 300000) + publish(1, 2, 300025) + publish(1, 3, 299975)
            + order(1, 1, 1, 0, 299900, 100) + order(1, 2, 2, 1, 300100, 100))


def c_api_seeds():
    base = market_with_book()
    seeds = {
        "trade": base + order(1, 2, 3, 0, 300100, 50, tif=1),
        "market-order": base + order(1, 1, 3, 1, 299000, 60, typ=1, tif=1),
        "fok": base + order(1, 2, 3, 0, 300100, 500, tif=2),
        "post-only": base + order(1, 2, 3, 0, 300100, 10, tif=3)
        + order(1, 2, 4, 0, 300100, 10, tif=4),
        "stp": base + account(3, 1) + deposit(3, 10 ** 10) + order(1, 3, 3, 1, 299900, 10, stp=2),
        "reduce-only": base + order(1, 2, 3, 0, 300100, 50, tif=1)
        + order(1, 2, 4, 1, 299900, 80, ro=1, tif=1),
        "cancels": base + cancel(1, 1, 1) + order(1, 1, 5, 0, 299800, 10, cid=3)
        + cancel_client(1, 1, 3) + cancel_all(1, 2),
        "amend": base + amend(1, 1, 1, 299925, 150) + amend(1, 1, 1, 299925, 20),
        "cancel-replace": base + cancel_replace(1, 1, 1, 7, 0, 300100, 30, tif=1),
        "isolated": base + margin_mode(1, 1, 1) + isolated(1, 1, 5)
        + order(1, 1, 3, 0, 300100, 100, tif=1) + isolated(1, 1, -2),
        "leverage": base + order(1, 2, 3, 0, 300100, 50, tif=1) + leverage(1, 2, 2)
        + leverage(1, 2, 50),
        "withdraw-transfer": base + order(1, 2, 3, 0, 300100, 50, tif=1)
        + withdraw(2, 9 * 10 ** 10) + transfer(2, 1, 5 * 10 ** 9) + withdraw(1, 10 ** 6),
        "insurance-fees": base + cmd(13, log_scale(10 ** 9)) + cmd(9, bytes([1, 2]))
        + cmd(8, bytes([1, 1])) + account(4, 3, referrer=1, tier=1),
        "status": base + status(1, 1) + order(1, 1, 3, 0, 300200, 10, tif=1)
        + status(1, 2) + status(1, 0) + status(1, 3) + status(1, 0),
        "stale-index": base + tick(1) + tick(0, MIN) + order(1, 2, 3, 0, 300100, 10, tif=1),
        "breaker": base + publish(1, 1, 300000 - 25 * 100) + publish(1, 2, 300000 + 25 * 100)
        + tick(1, SEC),
        "market-update": base + market_update(1, b"\x02" + b"\x0a\xf0" + b"\x08\x45")
        + market_update(1, b"\x01\x01\x02"),
        "two-markets": base + market_create(2) + publish(2, 1, 300000)
        + order(2, 1, 1, 0, 300000, 10) + order(2, 2, 2, 1, 300000, 10),
        "queries": base + queries(),
        "framing": base + cmd(4, bytes([1]) + log_scale(10 ** 6, 2), b"\xf0")
        + cmd(4, bytes([1]) + log_scale(10 ** 6, 2), b"\xf1")
        + cmd(4, bytes([1]) + log_scale(10 ** 6, 2), b"\xf2\x00")
        + bytes([4, 1]) + log_scale(10 ** 6, 2) + MS + b"\xfe",
        "struct-size": base + order(1, 1, 3, 0, 299900, 10, size=b"\xf1")
        + order(1, 1, 4, 0, 299900, 10, size=b"\xf2")
        + order(1, 1, 5, 0, 299900, 10, size=b"\xf0")
        + amend(1, 1, 1, 299900, 10, size=b"\xf4"),
        "config": b"\x01" + bytes([6, 3, 5]) + log_scale(10 ** 17, 4) + bytes([3])
        + log_scale(10 ** 16, 4) * 4 + market_create(1) + account(1, 1) + deposit(1, 10 ** 9),
        "config-null": b"\x04" + market_create(1),
        "extremes": base + bytes([14, 1, 1, 3, 0, 0, 0, 0, 0, 0]) + b"\xff"
        + (2 ** 62).to_bytes(8, "little") + log_scale(10) + b"\x00" + MS + OUT_OK
        + bytes([4, 1, 0xF3]) + MS + OUT_OK + bytes([4, 1, 0xF3]) + MS + OUT_OK
        + bytes([6, 1, 0xF3]) + MS + OUT_OK + bytes([4, 2, 0xF2]) + b"\xff" * 9 + OUT_OK,
        "preview-huge": base + bytes([29]) + order_fields(1, 1, 9, 0, 302000, 1)[:-2]
        + b"\xf3\x00" + b"\x00",
        "order-huge": base + bytes([14]) + order_fields(1, 1, 9, 0, 302000, 1, tif=1)[:-2]
        + b"\xf3\x00" + MS + OUT_OK,
        "deposit-max": base + bytes([4, 1, 0xF3]) + MS + OUT_OK + bytes([4, 1, 0xF3]) + MS + OUT_OK
        + bytes([13, 0xF3]) + MS + OUT_OK,
        # max_price = max_open_interest = INT64_MAX, max_order_size 200: the
        # bound check once formed their product in int128 and overflowed
        # (issue 11, item 7; found by this target).
        "market-params-int128-overflow": b"\x00"
        + market_create(1, b"\x03\x07\xf3\x06\xf3\x05\x22") + market_create(2, b"\x01\x14\xf3"),
        # A liquidation through the book, with the liquidation queries before
        # and after; then the refusals (self, max_size 0, unknown market).
        "liquidation": liquidatable_long() + LIQUIDATION_QUERIES + liquidate(1, 2, 3)
        + LIQUIDATION_QUERIES,
        "liquidation-refused": liquidatable_long() + liquidate(1, 2, 2) + liquidate(1, 2, 3, b"\x00")
        + liquidate(3, 2, 3) + liquidate(0, 3, 2) + liquidate(0, 2, 3, log_scale(400)),
        "liquidation-params": b"\x00" + market_create(1, b"\x02\x19\x00\x80\x19\x07\x05")
        + market_create(2, b"\x01\x19\x09\x00", b"\xf7") + market_create(3, b"\x00", b"\xf5"),
        "time-max": base + bytes([25, 1, 0xFF]) + (2 ** 63 - 1).to_bytes(8, "little") + OUT_OK
        + order(1, 2, 3, 0, 300100, 50, tif=1) + publish(1, 1, 300000),
    }
    return seeds


def decimal_seeds():
    # byte 0: decimals + 1 (mod 22); byte 1: step selector (< 0x80: step 1).
    out = {}
    texts = [b"0", b"-0", b"65000.5", b"-0.25", b"7", b"1.50", b"00012.3400",
             b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
             b"0.000000000000000001", b"1e5", b"+1", b".5", b"5.", b"1..2", b"--1",
             b"12345678901234567890123456789012345678901234567890", b"1.0000000000000000000001"]
    for i, t in enumerate(texts):
        out[f"text-{i}"] = bytes([3, 0]) + t
    out["step5"] = bytes([2, 0x84]) + b"65000.5"
    out["step5-off"] = bytes([2, 0x84]) + b"65000.3"
    out["rate"] = bytes([19, 0]) + b"0.0001"
    out["bad-scale"] = bytes([21, 0]) + b"1.5"
    out["raw-step"] = bytes([7, 0xF0]) + (10 ** 15).to_bytes(8, "little") + b"123.456000"
    out["neg-step"] = bytes([1, 0xF1]) + b"1"
    out["pow-step"] = bytes([10, 0xC5]) + b"922337203685.4775807"
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for target, seeds in (("fuzz_c_api", c_api_seeds()), ("fuzz_decimal", decimal_seeds())):
        d = os.path.join(sys.argv[1], target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, f"seed-{name}.bin"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()

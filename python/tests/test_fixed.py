"""Tests of perpcore's exact decimal conversion, errors and integer arguments.

Every expected value is worked out by hand from perpcore/core/decimal.hpp.
Integer arguments are strict: a float or a bool is a TypeError (never
truncated), and an int outside the C++ type is an OutOfRangeError, which is
also an OverflowError.
"""

import random
import re

import pytest

import perpcore as pc

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


# -- version ----------------------------------------------------------------


def test_version_string_and_number_agree() -> None:
    major, minor, patch = (int(p) for p in pc.__version__.split("."))
    assert pc.version_number() == major * 10000 + minor * 100 + patch


# -- parse_decimal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimals", "step", "units"),
    [
        ("65000.5", 1, 1, 650005),
        ("65000.5", 1, 5, 130001),  # a $0.5 tick: 65000.5 / 0.5
        ("65000", 1, 5, 130000),
        ("-0.25", 2, 1, -25),
        ("1.50", 1, 1, 15),  # trailing zeros past `decimals` are fine
        ("0", 0, 1, 0),
        ("-0", 3, 1, 0),
        ("0.001", 3, 1, 1),
        ("007", 0, 1, 7),
        ("1", 18, 1, 10**18),
        ("9223372036854775807", 0, 1, INT64_MAX),
        ("-9223372036854775808", 0, 1, INT64_MIN),
        ("-9.223372036854775808", 18, 1, INT64_MIN),
    ],
)
def test_parse_decimal_exact(text: str, decimals: int, step: int, units: int) -> None:
    assert pc.parse_decimal(text, decimals, step) == units


def test_parse_decimal_step_is_keyword_and_defaults_to_one() -> None:
    assert pc.parse_decimal("2.5", 1) == 25
    assert pc.parse_decimal(text="2.5", decimals=1, step=5) == 5


@pytest.mark.parametrize(
    "text",
    ["", "-", "+1", "1e5", " 1", "1 ", ".5", "5.", "1.2.3", "--1", "1,5", "0x10",
     "1_000", "\u0661", "nan", "inf", "1.-5", "-.5"],
)
def test_malformed_text_raises_invalid_argument_naming_the_text(text: str) -> None:
    with pytest.raises(pc.InvalidArgumentError, match="not a decimal number") as info:
        pc.parse_decimal(text, 2)
    assert "ParseDecimal" in str(info.value)
    if text.isascii():
        assert f'"{text}"' in str(info.value)


def test_excess_precision_is_refused_not_rounded() -> None:
    with pytest.raises(pc.InvalidArgumentError, match=r'"1\.25" has nonzero digits past 1'):
        pc.parse_decimal("1.25", 1)


def test_value_off_the_step_is_refused() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="not a whole number of steps"):
        pc.parse_decimal("65000.3", 1, 5)


@pytest.mark.parametrize("text", ["9223372036854775808", "-9223372036854775809", "1" + "0" * 40])
def test_value_beyond_int64_raises_out_of_range(text: str) -> None:
    with pytest.raises(pc.OutOfRangeError, match="does not fit in int64"):
        pc.parse_decimal(text, 0)


def test_value_beyond_int64_after_scaling_raises_out_of_range() -> None:
    with pytest.raises(pc.OutOfRangeError):
        pc.parse_decimal("10", 18)  # 10 * 10**18 > 2**63


@pytest.mark.parametrize(("decimals", "step"), [(19, 1), (-1, 1), (2, 0), (2, -5)])
def test_bad_scale_raises_invalid_argument(decimals: int, step: int) -> None:
    with pytest.raises(pc.InvalidArgumentError, match="bad scale"):
        pc.parse_decimal("1", decimals, step)
    with pytest.raises(pc.InvalidArgumentError, match="bad scale"):
        pc.format_decimal(1, decimals, step)


# -- format_decimal -----------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "decimals", "step", "text"),
    [
        (650005, 1, 1, "65000.5"),
        (130001, 1, 5, "65000.5"),
        (-25, 2, 1, "-0.25"),
        (7, 0, 1, "7"),
        (70, 1, 1, "7"),  # shortest: no trailing zeros, no point
        (1, 3, 1, "0.001"),
        (0, 5, 1, "0"),
        (INT64_MAX, 0, 1, "9223372036854775807"),
        (INT64_MIN, 18, 1, "-9.223372036854775808"),
        (INT64_MAX, 0, 10, "92233720368547758070"),  # step widens past int64
    ],
)
def test_format_decimal_exact(units: int, decimals: int, step: int, text: str) -> None:
    assert pc.format_decimal(units, decimals, step) == text


def test_format_then_parse_round_trips() -> None:
    rng = random.Random(20240611)
    scales = [(0, 1), (1, 1), (1, 5), (3, 1), (8, 1), (18, 1), (2, 25)]
    values = [0, 1, -1, INT64_MAX, INT64_MIN]
    values += [rng.randint(INT64_MIN, INT64_MAX) for _ in range(500)]
    values += [rng.randint(-(10**6), 10**6) for _ in range(500)]
    for decimals, step in scales:
        for units in values:
            text = pc.format_decimal(units, decimals, step)
            if step == 1 or abs(units) <= INT64_MAX // step:
                assert pc.parse_decimal(text, decimals, step) == units, (units, decimals, step)


# -- rates ---------------------------------------------------------------------


def test_rates_are_fractions_in_units_of_1e_minus_18() -> None:
    assert pc.RATE_SCALE == 10**18
    assert pc.parse_rate("0.01") == pc.RATE_SCALE // 100
    assert pc.parse_rate("-0.0001") == -(10**14)
    assert pc.format_rate(pc.RATE_SCALE // 100) == "0.01"
    assert pc.format_rate(1) == "0.000000000000000001"
    with pytest.raises(pc.InvalidArgumentError):
        pc.parse_rate("1%")


# -- errors ----------------------------------------------------------------------


def test_error_hierarchy_and_codes() -> None:
    assert issubclass(pc.Error, Exception)
    assert pc.PerpcoreError is pc.Error
    assert issubclass(pc.InvalidArgumentError, pc.Error)
    assert issubclass(pc.InvalidArgumentError, ValueError)
    assert issubclass(pc.OutOfRangeError, pc.Error)
    assert issubclass(pc.OutOfRangeError, OverflowError)
    assert issubclass(pc.NotFoundError, LookupError)
    assert issubclass(pc.InternalError, RuntimeError)
    assert pc.Error.code == "UNKNOWN"
    assert pc.InvalidArgumentError.code == "INVALID_ARGUMENT"
    assert pc.OutOfRangeError.code == "OUT_OF_RANGE"
    assert pc.NotFoundError.code == "NOT_FOUND"
    assert pc.InternalError.code == "INTERNAL"
    with pytest.raises(ValueError):
        pc.parse_decimal("x", 0)


# -- strict integer arguments ------------------------------------------------------


@pytest.mark.parametrize("bad", [1.0, 1.5, float("nan"), True, "1", None, b"1"])
def test_non_int_where_int_is_required_raises_type_error(bad: object) -> None:
    message = "^format_decimal\\(\\): argument 'units' must be int, not "
    with pytest.raises(TypeError, match=message):
        pc.format_decimal(bad, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pc.parse_decimal("1", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1, b"1", None, 1.5])
def test_text_must_be_a_str(bad: object) -> None:
    with pytest.raises(TypeError):
        pc.parse_decimal(bad, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("units", [2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)])
def test_int_outside_int64_raises_out_of_range(units: int) -> None:
    message = re.escape(f"format_decimal(): argument 'units' = {units} is out of range for int64")
    with pytest.raises(pc.OutOfRangeError, match=message):
        pc.format_decimal(units, 0)
    with pytest.raises(OverflowError):
        pc.format_decimal(units, 0)


def test_decimals_outside_int32_raises_out_of_range() -> None:
    with pytest.raises(pc.OutOfRangeError, match="int32"):
        pc.format_decimal(1, 2**31)


class _Index:
    """An int-like object (as numpy integers are): it has __index__."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_objects_with_index_are_accepted() -> None:
    assert pc.format_decimal(_Index(650005), _Index(1)) == "65000.5"  # type: ignore[arg-type]
    with pytest.raises(pc.OutOfRangeError):
        pc.format_decimal(_Index(2**63), 0)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted_and_numpy_floats_refused() -> None:
    np = pytest.importorskip("numpy")
    assert pc.format_decimal(np.int64(650005), np.int32(1)) == "65000.5"
    with pytest.raises(TypeError):
        pc.format_decimal(np.float64(1.0), 0)
    with pytest.raises(pc.OutOfRangeError):
        pc.format_decimal(np.uint64(2**64 - 1), 0)

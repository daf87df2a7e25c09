"""Exact conversions between decimal quantities and the engine's integer units.

A market counts prices in *ticks* of ``tick_size`` quote units, sizes in
*lots* of ``lot_size`` base units, and money in quote *atoms* of
``10**-quote_decimals`` (6 for USDC). These helpers turn decimal text,
:class:`decimal.Decimal` and ``int`` values into those integers and back,
with exact rational arithmetic (never a float, never a Decimal context that
could round behind your back).

Rounding is explicit. The default, :data:`EXACT`, refuses a value that is not a
whole number of units with :class:`perpcore.InvalidArgumentError` (a
``ValueError``). Otherwise pass one of :mod:`decimal`'s rounding modes:

==================  ========================================================
``ROUND_DOWN``      toward zero (truncate)
``ROUND_UP``        away from zero
``ROUND_FLOOR``     toward negative infinity
``ROUND_CEILING``   toward positive infinity
``ROUND_HALF_EVEN`` to nearest, ties to the even unit (banker's rounding)
``ROUND_HALF_UP``   to nearest, ties away from zero
``ROUND_HALF_DOWN`` to nearest, ties toward zero
==================  ========================================================

A ``float`` is refused with ``TypeError`` everywhere: ``0.1`` is not one
tenth, and a price must never be truncated silently. Write ``"0.1"`` or
``Decimal("0.1")``. ``bool`` and ``numpy.bool_``, NaN and infinities are
refused too; a result outside int64, or an int64 count (ticks, lots, atoms)
given outside int64, raises :class:`perpcore.OutOfRangeError` (an
``OverflowError``). Every such error names the function and the argument:
``ticks_to_price(): argument 'ticks' must be an int, not numpy.bool_``. The
inverse helpers return exact :class:`decimal.Decimal` values.

Example (BTC-USD, tick 0.1 USD, lot 0.001 BTC, USDC with 6 decimals)::

    import perpcore as pc
    from perpcore import units

    params = pc.MarketParams(tick_size="0.1", lot_size="0.001")
    units.price_to_ticks(params, "30000.1")                 # 300001
    units.size_to_lots(params, "1.5")                       # 1500
    units.price_to_ticks(params, "30000.15", rounding=units.ROUND_DOWN)  # 300001
    units.amount_to_atoms(6, "12.5")                        # 12500000
    units.ticks_to_price(params, 300001)                    # Decimal('30000.1')
"""

from __future__ import annotations

import decimal
import operator
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from fractions import Fraction
from typing import SupportsIndex, Union, cast

from perpcore._perpcore import (
    Engine,
    EngineConfig,
    InvalidArgumentError,
    MarketParams,
    OutOfRangeError,
)

__all__ = [
    "EXACT",
    "ROUND_CEILING",
    "ROUND_DOWN",
    "ROUND_FLOOR",
    "ROUND_HALF_DOWN",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_UP",
    "ROUND_UP",
    "MarketUnits",
    "amount_to_atoms",
    "atoms_to_amount",
    "lots_to_size",
    "price_to_ticks",
    "size_to_lots",
    "ticks_to_price",
    "to_units",
]

#: The default rounding: a value that is not a whole number of units is refused.
EXACT = "EXACT"

_MODES = frozenset(
    {
        EXACT,
        ROUND_DOWN,
        ROUND_UP,
        ROUND_FLOOR,
        ROUND_CEILING,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_HALF_DOWN,
    }
)

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

#: What the converters accept as a quantity.
Quantity = Union[str, Decimal, int]
#: What names the quote decimals: the number itself, an EngineConfig or an Engine.
QuoteSource = Union[int, EngineConfig, Engine]


def _type_name(value: object) -> str:
    """``int``, ``numpy.bool_``: the type of value as an error message shows it."""
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _is_bool_like(value: object) -> bool:
    """bool or numpy.bool_ (which has __index__, so it would pass as an int)."""
    t = type(value)
    return isinstance(value, bool) or (t.__module__ == "numpy" and t.__name__ in ("bool_", "bool"))


def _exact(value: object, what: str) -> Fraction:
    """The exact rational value of a str, Decimal or int; never a float.

    ``what`` names the argument in errors (``price_to_ticks(): argument 'value'``).
    """
    if _is_bool_like(value):
        raise TypeError(
            f"{what} must be a str, decimal.Decimal or int, not {_type_name(value)}"
        )
    if isinstance(value, float):
        raise TypeError(
            f"{what} must be a str, decimal.Decimal or int, not float "
            f"(a float is not exact: write {str(value)!r} or Decimal({str(value)!r}))"
        )
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InvalidArgumentError(f"{what}: {value!r} is not a decimal number") from None
    elif isinstance(value, Decimal):
        d = value
    elif hasattr(type(value), "__index__"):
        return Fraction(operator.index(cast(SupportsIndex, value)))
    else:
        raise TypeError(
            f"{what} must be a str, decimal.Decimal or int, not {_type_name(value)}"
        )
    if not d.is_finite():
        raise InvalidArgumentError(f"{what} must be finite, not {d}")
    return Fraction(d)


def _round(q: Fraction, rounding: str) -> int:
    """q rounded to an integer by `rounding` (already validated)."""
    floor = q.numerator // q.denominator
    if floor == q:
        return floor
    ceil = floor + 1
    if rounding == ROUND_FLOOR:
        return floor
    if rounding == ROUND_CEILING:
        return ceil
    toward_zero, away = (floor, ceil) if q > 0 else (ceil, floor)
    if rounding == ROUND_DOWN:
        return toward_zero
    if rounding == ROUND_UP:
        return away
    diff = q - floor  # in (0, 1)
    if diff != Fraction(1, 2):
        return floor if diff < Fraction(1, 2) else ceil
    if rounding == ROUND_HALF_EVEN:
        return floor if floor % 2 == 0 else ceil
    if rounding == ROUND_HALF_UP:
        return away
    return toward_zero  # ROUND_HALF_DOWN


def to_units(value: Quantity, step: Decimal | int, *, rounding: str = EXACT, what: str = "value",
             unit: str = "units") -> int:
    """The number of ``step``-sized units in ``value``, as an int64-range int.

    :param value: a str (parsed by :class:`decimal.Decimal`), a Decimal or an int.
    :param step: the size of one unit (> 0), e.g. a market's tick_size.
    :param rounding: :data:`EXACT` (the default: refuse a remainder) or one of
        decimal's rounding modes (see the module docstring).
    :raises TypeError: ``value`` is a float, a bool or another type.
    :raises InvalidArgumentError: malformed text, NaN or infinity, an unknown
        rounding mode, a step <= 0, or (EXACT) a value that is not a whole
        number of units.
    :raises OutOfRangeError: the result does not fit in int64.
    """
    return _to_units(value, step, rounding, what, unit, "to_units")


def _to_units(value: object, step: Decimal | int, rounding: str, what: str, unit: str,
              fn: str) -> int:
    """to_units() for the public function ``fn``, whose errors name its arguments."""
    if rounding not in _MODES:
        raise InvalidArgumentError(
            f"rounding must be units.EXACT or a decimal ROUND_* mode other than ROUND_05UP, "
            f"not {rounding!r}"
        )
    step_q = _exact(step, f"{fn}(): argument 'step'")
    if step_q <= 0:
        raise InvalidArgumentError(f"step must be > 0, not {step}")
    q = _exact(value, f"{fn}(): argument 'value' ({what})") / step_q
    if rounding == EXACT and q.denominator != 1:
        raise InvalidArgumentError(
            f"{what} {value} is not a whole number of {unit} of {step} "
            f"(pass rounding=units.ROUND_DOWN, ROUND_HALF_EVEN, ... to round)"
        )
    n = _round(q, rounding)
    if not _INT64_MIN <= n <= _INT64_MAX:
        raise OutOfRangeError(
            f"{fn}(): argument 'value' ({what}) = {value} is {n} {unit}, outside int64"
        )
    return n


def _from_units(n: object, step: Decimal | int, what: str) -> Decimal:
    """n * step as an exact Decimal (no context rounding). ``what`` names the
    argument: ``ticks_to_price(): argument 'ticks'``; n must be an int64."""
    if _is_bool_like(n) or not hasattr(type(n), "__index__"):
        raise TypeError(f"{what} must be an int, not {_type_name(n)}")
    count = operator.index(cast(SupportsIndex, n))
    if not _INT64_MIN <= count <= _INT64_MAX:
        raise OutOfRangeError(f"{what} = {count} is outside int64 [-2**63, 2**63)")
    sign, digits, exponent = Decimal(step).as_tuple()
    if not isinstance(exponent, int):
        raise InvalidArgumentError(f"step must be finite, not {step}")
    mantissa = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    product = count * mantissa
    text = str(abs(product))
    return Decimal((1 if product < 0 else 0, tuple(int(c) for c in text), exponent))


def _quote_decimals(source: QuoteSource, what: str = "quote") -> int:
    if isinstance(source, Engine):
        return source.config.quote_decimals
    if isinstance(source, EngineConfig):
        return source.quote_decimals
    if isinstance(source, bool) or not isinstance(source, int):
        raise TypeError(
            f"{what} (the quote decimals) must be an int, EngineConfig or Engine, not "
            f"{_type_name(source)}"
        )
    if not 0 <= source <= 18:
        raise InvalidArgumentError(f"quote_decimals must be 0..18, not {source}")
    return source


def _atom(source: QuoteSource, what: str = "quote") -> Decimal:
    return Decimal((0, (1,), -_quote_decimals(source, what)))


def price_to_ticks(params: MarketParams, value: Quantity, *, rounding: str = EXACT) -> int:
    """A price (quote units per base unit) in ticks of ``params.tick_size``.

    ``price_to_ticks(MarketParams(tick_size="0.1"), "30000.1") == 300001``.
    See :func:`to_units` for ``rounding`` and the errors.
    """
    return _to_units(value, params.tick_size, rounding, "price", "ticks", "price_to_ticks")


def size_to_lots(params: MarketParams, value: Quantity, *, rounding: str = EXACT) -> int:
    """A size (base units) in lots of ``params.lot_size``.

    ``size_to_lots(MarketParams(lot_size="0.001"), "1.5") == 1500``.
    See :func:`to_units` for ``rounding`` and the errors.
    """
    return _to_units(value, params.lot_size, rounding, "size", "lots", "size_to_lots")


def amount_to_atoms(quote: QuoteSource, value: Quantity, *, rounding: str = EXACT) -> int:
    """An amount of the quote asset in atoms of ``10**-quote_decimals``.

    ``quote`` is the number of decimals, an EngineConfig or an Engine:
    ``amount_to_atoms(6, "12.5") == 12_500_000``. See :func:`to_units`.
    """
    return _to_units(value, _atom(quote, "amount_to_atoms(): argument 'quote'"), rounding,
                     "amount", "atoms", "amount_to_atoms")


def ticks_to_price(params: MarketParams, ticks: int) -> Decimal:
    """The exact price of ``ticks`` ticks: ``ticks * params.tick_size``."""
    return _from_units(ticks, params.tick_size, "ticks_to_price(): argument 'ticks'")


def lots_to_size(params: MarketParams, lots: int) -> Decimal:
    """The exact size of ``lots`` lots: ``lots * params.lot_size``."""
    return _from_units(lots, params.lot_size, "lots_to_size(): argument 'lots'")


def atoms_to_amount(quote: QuoteSource, atoms: int) -> Decimal:
    """The exact amount of ``atoms`` quote atoms: ``atoms * 10**-quote_decimals``."""
    return _from_units(atoms, _atom(quote, "atoms_to_amount(): argument 'quote'"),
                       "atoms_to_amount(): argument 'atoms'")


class MarketUnits:
    """The conversions of one market, bound to its tick size, lot size and quote decimals.

    Build it from an engine and a market id (``MarketUnits.of(engine, 1)``) or
    from params and the quote decimals (``MarketUnits(params, 6)``). Methods
    behave as the module functions of the same names.
    """

    __slots__ = ("_params", "_quote_decimals")

    def __init__(self, params: MarketParams, quote: QuoteSource = 6) -> None:
        """Units of a market with these params, at ``quote`` decimals (an int,
        EngineConfig or Engine)."""
        self._params = params
        self._quote_decimals = _quote_decimals(quote, "MarketUnits(): argument 'quote'")

    @classmethod
    def of(cls, engine: Engine, market: int) -> MarketUnits:
        """The units of ``market`` in ``engine`` (NotFoundError if it has none)."""
        return cls(engine.params(market), engine)

    @property
    def tick_size(self) -> Decimal:
        """Quote units per base unit in one tick."""
        return self._params.tick_size

    @property
    def lot_size(self) -> Decimal:
        """Base units in one lot."""
        return self._params.lot_size

    @property
    def quote_decimals(self) -> int:
        """Decimals of one quote atom."""
        return self._quote_decimals

    @property
    def atoms_per_tick_lot(self) -> int:
        """Quote atoms one tick of one lot is worth (exact; the engine requires a whole number)."""
        return to_units(_product(self.tick_size, self.lot_size), _atom(self._quote_decimals),
                        what="tick_size * lot_size", unit="atoms")

    def price_to_ticks(self, value: Quantity, *, rounding: str = EXACT) -> int:
        """See :func:`price_to_ticks`."""
        return price_to_ticks(self._params, value, rounding=rounding)

    def size_to_lots(self, value: Quantity, *, rounding: str = EXACT) -> int:
        """See :func:`size_to_lots`."""
        return size_to_lots(self._params, value, rounding=rounding)

    def amount_to_atoms(self, value: Quantity, *, rounding: str = EXACT) -> int:
        """See :func:`amount_to_atoms`."""
        return amount_to_atoms(self._quote_decimals, value, rounding=rounding)

    def ticks_to_price(self, ticks: int) -> Decimal:
        """See :func:`ticks_to_price`."""
        return ticks_to_price(self._params, ticks)

    def lots_to_size(self, lots: int) -> Decimal:
        """See :func:`lots_to_size`."""
        return lots_to_size(self._params, lots)

    def atoms_to_amount(self, atoms: int) -> Decimal:
        """See :func:`atoms_to_amount`."""
        return atoms_to_amount(self._quote_decimals, atoms)

    def __repr__(self) -> str:
        return (
            f"MarketUnits(tick_size={self.tick_size!r}, lot_size={self.lot_size!r}, "
            f"quote_decimals={self._quote_decimals})"
        )


def _product(a: Decimal, b: Decimal) -> Decimal:
    """a * b exactly (no context rounding), for finite a and b."""
    sign, digits, exponent = a.as_tuple()
    sign_b, digits_b, exponent_b = b.as_tuple()
    assert isinstance(exponent, int) and isinstance(exponent_b, int)
    mantissa = int("".join(map(str, digits)) or "0") * int("".join(map(str, digits_b)) or "0")
    return Decimal((sign ^ sign_b, tuple(int(c) for c in str(mantissa)), exponent + exponent_b))

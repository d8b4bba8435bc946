"""Checks of a keyword argument's value, with messages naming the keyword.

The keyword is written in backquotes (```fps` must be ...``), which the
tools print as their flag (``--fps must be ...``, see
:func:`backtal_mmaction.cli.errors.flag_message`).
"""
import math
import numbers

__all__ = ['check_number', 'check_count', 'is_finite_number']


def is_finite_number(value) -> bool:
    """Whether ``value`` is a finite real number (bools excluded: a
    Python bool is an int, never a meaningful setting)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def check_number(name: str, value, positive: bool = True) -> None:
    """``value`` (None passes) must be a finite real number (> 0 if
    ``positive``); ``name`` is the keyword, named in backquotes."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'`{name}` must be a number, got '
                        f'{type(value).__name__} {value!r}')
    if not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f'`{name}` must be a finite number'
                         f'{" > 0" if positive else ""}, got {value}')


def check_count(name: str, value, minimum: int = 1) -> None:
    """``value`` (None passes) must be an integer >= ``minimum``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f'`{name}` must be an integer, got '
                        f'{type(value).__name__} {value!r}')
    if value < minimum:
        raise ValueError(f'`{name}` must be an integer >= {minimum}, got '
                         f'{value}')

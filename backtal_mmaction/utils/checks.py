"""Checks of a keyword argument's value, with messages naming the keyword.

The keyword is written in backquotes (```fps` must be ...``), which the
tools print as their flag (``--fps must be ...``, see
:func:`backtal_mmaction.cli.errors.flag_message`).
"""
import math
import numbers
from typing import Optional

import numpy as np

__all__ = ['check_number', 'check_count', 'check_counts', 'check_flag',
           'check_flags', 'check_range', 'check_seed', 'is_finite_number']


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


# The largest seed ``np.random.seed`` takes (a training seed goes there,
# through mmengine's ``set_random_seed``); every seed gets this one range so
# that a seed one tool accepts works in all of them.
MAX_SEED = 2**32 - 1


def _bound_text(low, high, low_open: bool, high_open: bool) -> str:
    """The range of :func:`check_range` in words: ``in [0, 1)``, ``> 0``."""
    if low is not None and high is not None:
        return (f'in {"(" if low_open else "["}{low:g}, {high:g}'
                f'{")" if high_open else "]"}')
    if low is not None:
        return f'{">" if low_open else ">="} {low:g}'
    return f'{"<" if high_open else "<="} {high:g}'


def check_range(name: str, value, low=None, high=None,
                low_open: bool = False, high_open: bool = False,
                integer: bool = False, owner: Optional[str] = None) -> None:
    """Refuse a setting that is not a finite number in its range.

    Unlike :func:`check_number`, None is refused too, and every refusal is
    a ValueError (a setting of the wrong type is a bad value of a config
    or a flag, e.g. ```nms_thr` must be in [0, 1], got 2.0``).

    Args:
        name (str): The keyword, named in backquotes.
        value: Its value.
        low (float, optional): The lower bound (None: unbounded below).
        high (float, optional): The upper bound (None: unbounded above).
        low_open (bool): Whether ``low`` itself is excluded.
        high_open (bool): Whether ``high`` itself is excluded.
        integer (bool): Whether an integer is required.
        owner (str, optional): Prefix of the message (``Owner: ``), e.g.
            the settings' class.

    Raises:
        ValueError: ``value`` is not a finite number (a bool, a NaN, an
            infinity, a string), not an integer where one is required, or
            out of range.
    """
    prefix = f'{owner}: ' if owner else ''
    kind = numbers.Integral if integer else numbers.Real
    # a bool is an int to Python, never a meaningful threshold or count
    # (NumPy's bool is no number to ``numbers``, so it is refused anyway)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f'{prefix}`{name}` must be '
                         f'{"an integer" if integer else "a number"}, got '
                         f'{value!r}')
    if not math.isfinite(value):
        raise ValueError(f'{prefix}`{name}` must be a finite number, got '
                         f'{value}')
    above = low is None or (value > low if low_open else value >= low)
    below = high is None or (value < high if high_open else value <= high)
    if not (above and below):
        where = _bound_text(low, high, low_open, high_open)
        raise ValueError(f'{prefix}`{name}` must be {where}, got {value}')


def check_counts(owner: str, **counts) -> None:
    """Each keyword's value (a width, a number of layers or levels) must be
    an integer >= 1: :func:`check_range` with ``integer=True``, in the
    order given.

    Args:
        owner (str): Prefix of the message, e.g. the class name.
        **counts: ``keyword=value``.
    """
    for name, value in counts.items():
        check_range(name, value, 1, integer=True, owner=owner)


def check_flag(name: str, value, owner: Optional[str] = None) -> None:
    """A switch must be a bool (NumPy's too).

    Any other value is refused, truthy or not: ``--cfg-options
    KEY=no`` reaches a config as the string ``'no'``, which Python reads
    as true, so a typo would silently turn the switch on.

    Args:
        name (str): The keyword, named in backquotes.
        value: Its value.
        owner (str, optional): Prefix of the message (``Owner: ``).

    Raises:
        ValueError: ``value`` is not True or False.
    """
    if not isinstance(value, (bool, np.bool_)):
        prefix = f'{owner}: ' if owner else ''
        raise ValueError(f'{prefix}`{name}` must be True or False, got '
                         f'{value!r}')


def check_flags(owner: str, **flags) -> None:
    """Each keyword's value must be True or False (:func:`check_flag`),
    in the order given.

    Args:
        owner (str): Prefix of the message, e.g. the class name.
        **flags: ``keyword=value``.
    """
    for name, value in flags.items():
        check_flag(name, value, owner=owner)


def check_seed(name: str, value, optional: bool = True) -> None:
    """A random seed: an integer in ``[0, 2**32 - 1]`` (NumPy integers
    too, bools not).

    Args:
        name (str): The keyword, named in backquotes.
        value: Its value.
        optional (bool): Whether None passes (a run that draws its own
            seed); callers that always seed a generator pass False.

    Raises:
        ValueError: ``value`` is not such an integer (None too, unless
            ``optional``).
    """
    if value is None and optional:
        return
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or not 0 <= value <= MAX_SEED):
        raise ValueError(f'`{name}` must be an integer in [0, 2**32 - 1], '
                         f'got {value!r}')

"""Held-out clicks: the clicks of a deterministic share of the training
videos, kept out of training and pseudo-labelling so that they can score
each stage of a pipeline without GT (see
:mod:`backtal_mmaction.evaluation.functional.click_score`)."""
import zlib
from numbers import Real
from typing import Iterable, Set

import numpy as np

__all__ = ['HELDOUT_KEEP', 'heldout_videos']

# which clicks a dataset keeps: those of the videos not held out ('train')
# or only those of the held-out videos ('heldout')
HELDOUT_KEEP = ('train', 'heldout')


def _mix32(h: int) -> int:
    """MurmurHash3's 32-bit finaliser (a bijection of ``[0, 2**32)``).

    CRC-32 is affine in its input bits, so on its own it splits numbered
    names unevenly (56 % instead of 50 % of ``video_0000`` ... ``video_0999``
    below 0.5); the multiplications spread every input bit over the top
    bits that the threshold reads.
    """
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def heldout_videos(video_names: Iterable[str],
                         fraction: float = 0.2,
                         seed: int = 0) -> Set[str]:
    """Deterministic choice of about ``fraction`` of the videos, whose
    clicks are held out.

    Each name is hashed with its seed (``zlib.crc32`` of
    ``f'{seed}:{name}'`` in UTF-8, mixed by MurmurHash3's 32-bit
    finaliser, divided by 2**32, so in ``[0, 1)``) and kept when the hash
    is below ``fraction``: the choice of a video does
    not depend on the other names, their order, the process or
    ``PYTHONHASHSEED``, and a larger fraction keeps a superset. With
    ``fraction > 0`` and at least one video, at least one is kept (the
    smallest hash, ties by name).

    Args:
        video_names (Iterable[str]): The candidate videos (duplicates are
            harmless).
        fraction (float): In ``[0, 1)``.
        seed (int): Another seed gives another, independent split.

    Returns:
        set[str]: The held-out videos.

    Raises:
        ValueError: ``fraction`` outside ``[0, 1)``.
        TypeError: A name that is not a string (or a single string given
            instead of a list of names).
    """
    if not (isinstance(fraction, Real) and not isinstance(fraction, bool)
            and 0 <= fraction < 1):
        raise ValueError(f'fraction must be a number in [0, 1), got '
                         f'{fraction!r}')
    if isinstance(video_names, str):
        raise TypeError('video_names must be a list of names, got a single '
                        f'string {video_names!r}')
    names = sorted(set(video_names), key=str)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f'video names must be strings, got {name!r}')
    if fraction == 0 or not names:
        return set()
    hashes = np.array(
        [_mix32(zlib.crc32(f'{seed}:{n}'.encode('utf-8'))) for n in names],
        np.float64) / 2.0**32
    keep = {n for n, h in zip(names, hashes) if h < fraction}
    if not keep:
        # argmin returns the first minimum; names are sorted: ties by name
        keep = {names[int(np.argmin(hashes))]}
    return keep

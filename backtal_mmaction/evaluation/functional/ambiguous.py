"""Ambiguous segments (THUMOS14 ``Ambiguous_test.txt``): reading the file
and the CO2-Net / HR-Pro rule that removes predictions overlapping them."""
import os.path as osp
from typing import Dict, Sequence

import numpy as np

__all__ = ['load_ambiguous_segments', 'ambiguous_prediction_mask']


def load_ambiguous_segments(path: str) -> Dict[str, np.ndarray]:
    """Read an ambiguous-segment file (THUMOS14 ``Ambiguous_test.txt``).

    Layout: one ``video start end`` per line (seconds), separated by any
    whitespace (the THUMOS14 file uses two spaces after the name); blank
    lines are skipped.

    Args:
        path (str): The file.

    Returns:
        dict: ``{video: (A, 2) float64 [start, end]}`` in file order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line without exactly 3 fields, a non-numeric or
            non-finite time, or ``end < start``; the message names the file
            and the line number.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'ambiguous-segment file not found: {path}')
    segments: Dict[str, list] = {}
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}, line {lineno}'
            if len(fields) != 3:
                raise ValueError(
                    f'{where}: expected 3 fields "video start end", got '
                    f'{len(fields)}: {line.strip()!r}')
            try:
                start, end = float(fields[1]), float(fields[2])
            except ValueError:
                raise ValueError(f'{where}: start/end must be numbers '
                                 f'(seconds), got {line.strip()!r}') from None
            if not (np.isfinite(start) and np.isfinite(end)):
                raise ValueError(f'{where}: start/end must be finite, got '
                                 f'{line.strip()!r}')
            if end < start:
                raise ValueError(f'{where}: end {end} < start {start} for '
                                 f'video {fields[0]!r}')
            segments.setdefault(fields[0], []).append((start, end))
    return {v: np.asarray(s, np.float64) for v, s in segments.items()}


def ambiguous_prediction_mask(video_names: Sequence[str],
                              video_idx: np.ndarray,
                              segments: np.ndarray,
                              ambiguous: Dict[str, np.ndarray],
                              bins_per_second: float = 1.0) -> np.ndarray:
    """Which predictions overlap an ambiguous segment of their video.

    The rule of the CO2-Net / HR-Pro evaluators (``filter_segments``), any
    class: the ambiguous segment becomes the integer bins
    ``range(round(a_start), round(a_end))`` (Python ``round``: half to
    even), the prediction ``range(int(p_start), int(p_end))`` (``int``
    truncates), and the prediction is removed when the two sets share a bin.
    HR-Pro applies it in seconds (``bins_per_second=1``, the default);
    CO2-Net in feature snippets (``bins_per_second=25 / 16``). Where both
    ranges are empty the reference divides 0 by 0 and crashes; here the
    prediction is kept.

    Args:
        video_names (Sequence[str]): Names indexed by ``video_idx``.
        video_idx (np.ndarray): ``(P, )`` video of each prediction.
        segments (np.ndarray): ``(P, 2)`` predictions, seconds.
        ambiguous (dict): ``{video: (A, 2)}`` seconds; videos without
            predictions are ignored.
        bins_per_second (float): Bin rate of the rule (see above).

    Returns:
        np.ndarray: ``(P, )`` bool, True = remove.
    """
    drop = np.zeros(len(video_idx), dtype=bool)
    for v, name in enumerate(video_names):
        amb = ambiguous.get(name)
        if amb is None or len(amb) == 0:
            continue
        sel = np.flatnonzero(video_idx == v)
        if sel.size == 0:
            continue
        amb = np.asarray(amb, np.float64).reshape(-1, 2) * bins_per_second
        a_lo, a_hi = np.round(amb[:, 0]), np.round(amb[:, 1])  # half-even
        pred = segments[sel] * bins_per_second
        p_lo, p_hi = np.trunc(pred[:, 0]), np.trunc(pred[:, 1])
        # range(a, b) and range(c, d) share an integer iff max(a, c) <
        # min(b, d): (P_v, A) pairs.
        share = (np.maximum(p_lo[:, None], a_lo[None]) < np.minimum(
            p_hi[:, None], a_hi[None]))
        drop[sel] = share.any(axis=1)
    return drop

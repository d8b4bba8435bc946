"""Detection dicts from plain lists, as the evaluators take them."""
import numpy as np

__all__ = ['det']


def det(segments, labels, scores=None) -> dict:
    """``segments`` ``(N, 2)`` float, ``labels`` ``(N,)`` int64 and, if
    given, ``scores`` ``(N,)`` float."""
    out = dict(
        segments=np.asarray(segments, dtype=float).reshape(-1, 2),
        labels=np.asarray(labels, dtype=np.int64).reshape(-1))
    if scores is not None:
        out['scores'] = np.asarray(scores, dtype=float).reshape(-1)
    return out

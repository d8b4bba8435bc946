"""Temporal resampling of snippet features and click-to-snippet mapping."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

IGNORE_INDEX = -100
RESAMPLE_MODES = ('linear', 'uniform', 'random')


def linear_resample_indices(length: int, num_segments: int):
    """Half-pixel-centre linear interpolation weights (``align_corners=False``).

    Returns:
        tuple: ``i0``, ``i1`` ``(N,)`` int and ``lam`` ``(N,)`` float, so that
        ``out[:, n] = (1 - lam[n]) * x[:, i0[n]] + lam[n] * x[:, i1[n]]``.
    """
    src = (np.arange(num_segments) + 0.5) * (length / num_segments) - 0.5
    src = np.clip(src, 0, None)
    i0 = np.minimum(np.floor(src).astype(np.int64), length - 1)
    i1 = np.minimum(i0 + 1, length - 1)
    return i0, i1, src - i0


@TRANSFORMS.register_module()
class ResampleSnippets(BaseTransform):
    """Resample ``features`` ``(D, T)`` to a fixed ``(D, num_segments)``.

    Training batches need a common length (750 THUMOS14, 100
    ActivityNet1.2, 200 HACS in the paper).

    Modes:

    - ``'linear'``: linear interpolation at bin centres (deterministic).
    - ``'uniform'``: the snippet at the centre of each of the N equal bins.
    - ``'random'``: a random snippet inside each bin (re-drawn every epoch;
      a standard augmentation of weakly supervised TAL).

    Official ``point_label`` vectors are remapped by position: snippet ``i``
    (centre time ``(i + 0.5) / T`` of the video) goes to
    ``floor((i + 0.5) * N / T)``.

    Args:
        num_segments (int): N.
        mode (str): See above. Defaults to ``'linear'``.
        allow_upsample (bool): Allow ``T < N`` (videos shorter than N
            snippets are stretched). Off by default so a THUMOS14 config
            fed unexpectedly short features fails loudly; ActivityNet
            configs turn it on (many videos are shorter than 100 snippets).
    """

    def __init__(self, num_segments: int, mode: str = 'linear',
                 allow_upsample: bool = False) -> None:
        if mode not in RESAMPLE_MODES:
            raise ValueError(f'ResampleSnippets: mode {mode!r} not in '
                             f'{RESAMPLE_MODES}')
        if num_segments < 1:
            raise ValueError('ResampleSnippets: num_segments must be >= 1')
        self.num_segments = num_segments
        self.mode = mode
        self.allow_upsample = allow_upsample

    def transform(self, results: dict) -> dict:
        feat = results['features']
        length, n = feat.shape[1], self.num_segments
        if length < n and not self.allow_upsample:
            raise ValueError(
                f'video {results.get("video_name")!r}: {length} snippets < '
                f'num_segments={n}; set ResampleSnippets(allow_upsample='
                'True) to stretch short videos')
        if length != n:
            if self.mode == 'linear':
                i0, i1, lam = linear_resample_indices(length, n)
                feat = feat[:, i0] * (1 - lam) + feat[:, i1] * lam
            else:
                edges = np.arange(n + 1) * (length / n)
                if self.mode == 'uniform':
                    pos = (edges[:-1] + edges[1:]) / 2
                else:
                    pos = np.random.uniform(edges[:-1], edges[1:])
                idx = np.clip(np.floor(pos).astype(np.int64), 0, length - 1)
                feat = feat[:, idx]
            results['features'] = np.ascontiguousarray(feat, np.float32)
        pl = results.get('point_label')
        if pl is not None and length != n:
            new = np.full(n, IGNORE_INDEX, np.int64)
            pos = np.nonzero(pl != IGNORE_INDEX)[0]
            new[np.floor((pos + 0.5) * n / length).astype(np.int64)] = pl[pos]
            results['point_label'] = new
        results['num_snippets'] = n
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_segments={self.num_segments}, '
                f'mode={self.mode!r})')


@TRANSFORMS.register_module()
class BuildClickLabels(BaseTransform):
    """Per-snippet click labels ``click_label_vector`` ``(T,)``.

    A click at time ``t`` lands on snippet ``floor(t / duration * T)``
    (clipped to ``T - 1``), with ``T`` the current number of snippets.
    Values: the class index for action clicks, ``C`` (background) for
    background clicks, ``ignore_index`` elsewhere. If two clicks share a
    snippet, an action click wins over a background click (the rarer, more
    specific label). An official ``point_label`` (if loaded) fills the
    snippets no click covers.
    """

    def __init__(self, ignore_index: int = IGNORE_INDEX) -> None:
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        length = results['features'].shape[1]
        labels = np.full(length, self.ignore_index, np.int64)
        times = np.asarray(results.get('click_times', ()), np.float64)
        if len(times):
            num_bg = results['num_classes']
            click_labels = np.asarray(results['click_labels'], np.int64)
            idx = np.floor(times / results['duration'] * length)
            idx = np.clip(idx.astype(np.int64), 0, length - 1)
            is_bg = click_labels == num_bg
            # background first so action clicks overwrite on collisions
            labels[idx[is_bg]] = num_bg
            labels[idx[~is_bg]] = click_labels[~is_bg]
        pl = results.get('point_label')
        if pl is not None:
            num_bg = results['num_classes']
            if ((pl != IGNORE_INDEX) & ((pl < 0) | (pl > num_bg))).any():
                raise ValueError(
                    f'video {results.get("video_name")!r}: point_label '
                    f'values must be -100 or in [0, {num_bg}], got '
                    f'{sorted(set(pl.tolist()))[:10]}')
            fill = (labels == self.ignore_index) & (pl != IGNORE_INDEX)
            labels[fill] = pl[fill]
        results['click_label_vector'] = labels
        return results

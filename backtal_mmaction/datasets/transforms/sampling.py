"""Temporal resampling of snippet features and click-to-snippet mapping."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...utils import IGNORE_INDEX, check_flag, check_range

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
        check_range('num_segments', num_segments, 1, integer=True,
                    owner=type(self).__name__)
        check_flag('allow_upsample', allow_upsample,
                   owner=type(self).__name__)
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
    background clicks, ``IGNORE_INDEX`` (-100) elsewhere. If two clicks
    share a snippet, an action click wins over a background click (the
    rarer, more specific label). An official ``point_label`` (if loaded)
    fills the snippets no click covers.

    Args:
        ignore_index (int): Accepted only as ``IGNORE_INDEX`` (-100), for
            configs that spell it out: the click losses ignore exactly that
            value, so any other would turn unlabelled snippets into a
            (wrong) class.
    """

    def __init__(self, ignore_index: int = IGNORE_INDEX) -> None:
        if ignore_index != IGNORE_INDEX:
            raise ValueError(
                f'BuildClickLabels: ignore_index={ignore_index!r} is not '
                f'supported: the click losses use IGNORE_INDEX '
                f'({IGNORE_INDEX}) for snippets without a click; remove '
                'ignore_index from the config')

    def transform(self, results: dict) -> dict:
        length = results['features'].shape[1]
        labels = np.full(length, IGNORE_INDEX, np.int64)
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
            fill = (labels == IGNORE_INDEX) & (pl != IGNORE_INDEX)
            labels[fill] = pl[fill]
        results['click_label_vector'] = labels
        return results


@TRANSFORMS.register_module()
class RandomCropSnippets(BaseTransform):
    """A random window of ``num_segments`` snippets at the video's own
    temporal resolution (training detectors on long videos: ActionFormer's
    THUMOS14 recipe), zero-padded when the video is shorter.

    Unlike :class:`ResampleSnippets`, seconds per snippet stay the same, so
    an action covers as many snippets in training as at test time. With
    ``spt = duration / T`` seconds per snippet and a window starting at
    snippet ``a``:

    - ``features`` ``(D, num_segments)``; ``duration`` becomes the window's
      ``num_segments * spt`` and every time (GT segments, clicks) is shifted
      by ``-a * spt``, so the usual ``time / duration * T`` mapping of
      :class:`BuildClickLabels` and the detectors stays right;
    - GT segments are clipped to the window; one keeping less than
      ``trunc_thresh`` of its length is dropped; clicks outside go;
    - the start is drawn up to ``max_tries`` times until the window keeps
      some GT segment (a window of pure background teaches little);
    - a shorter video keeps all its snippets, padded with zeros to
      ``num_segments``; ``valid_snippets`` says how many are real (the
      detector ignores the padded points in its losses). With
      ``pad=False`` it stays as it is, and
      ``SnippetFeaturePreprocessor(pad_batch=True)`` pads the batch only
      to its longest video: fixed-T features (every video 100 snippets in
      a 256 window) are then not mostly padding.

    ``video_labels`` (if present) become the classes of the kept segments.

    Args:
        num_segments (int): Window length W (snippets).
        trunc_thresh (float): Minimum kept fraction of a segment. Defaults
            to 0.5.
        max_tries (int): Defaults to 10.
        pad (bool): Zero-pad a shorter video to ``num_segments``. Defaults
            to True.
    """

    def __init__(self, num_segments: int, trunc_thresh: float = 0.5,
                 max_tries: int = 10, pad: bool = True) -> None:
        owner = type(self).__name__
        check_range('num_segments', num_segments, 1, integer=True,
                    owner=owner)
        check_range('trunc_thresh', trunc_thresh, 0, 1, owner=owner)
        check_range('max_tries', max_tries, 1, integer=True, owner=owner)
        check_flag('pad', pad, owner=owner)
        self.num_segments = num_segments
        self.trunc_thresh = trunc_thresh
        self.max_tries = max_tries
        self.pad = bool(pad)

    def _kept(self, segs: np.ndarray, lo: float, hi: float):
        clipped = np.clip(segs, lo, hi)
        length = segs[:, 1] - segs[:, 0]
        inside = clipped[:, 1] - clipped[:, 0]
        frac = np.divide(inside, length, out=(inside > 0).astype(float),
                         where=length > 0)
        return clipped, (inside > 0) & (frac >= self.trunc_thresh)

    def transform(self, results: dict) -> dict:
        feat = results['features']
        D, T = feat.shape
        W = self.num_segments
        spt = float(results['duration']) / T
        segs = np.asarray(results.get('gt_segments', np.zeros((0, 2))),
                          np.float64).reshape(-1, 2)
        if T <= W and not self.pad:
            results['valid_snippets'] = T
            results['num_snippets'] = T
            return results
        if T <= W:
            pad = np.zeros((D, W), feat.dtype)
            pad[:, :T] = feat
            results['features'] = pad
            results['duration'] = W * spt
            results['valid_snippets'] = T
            pl = results.get('point_label')
            if pl is not None:
                results['point_label'] = np.concatenate(
                    [pl, np.full(W - T, IGNORE_INDEX, np.int64)])
            results['num_snippets'] = W
            return results
        for _ in range(self.max_tries):
            a = int(np.random.randint(0, T - W + 1))
            clipped, keep = self._kept(segs, a * spt, (a + W) * spt)
            if keep.any() or not len(segs):
                break
        offset = a * spt
        results['features'] = np.ascontiguousarray(feat[:, a:a + W])
        results['duration'] = W * spt
        results['valid_snippets'] = W
        results['gt_segments'] = (clipped[keep] - offset).astype(np.float64)
        labels = np.asarray(results.get('gt_labels', ()), np.int64)
        results['gt_labels'] = labels[keep] if len(labels) else labels
        if results.get('gt_scores') is not None:
            results['gt_scores'] = np.asarray(results['gt_scores'])[keep]
        if results.get('video_labels') is not None:
            vl = np.zeros_like(np.asarray(results['video_labels']))
            vl[results['gt_labels']] = 1
            results['video_labels'] = vl
        times = np.asarray(results.get('click_times', ()), np.float64)
        if len(times):
            inside = (times >= offset) & (times < offset + W * spt)
            results['click_times'] = times[inside] - offset
            results['click_labels'] = np.asarray(
                results['click_labels'])[inside]
            if 'click_annotators' in results:
                results['click_annotators'] = [
                    x for x, k in zip(results['click_annotators'], inside)
                    if k]
        pl = results.get('point_label')
        if pl is not None:
            results['point_label'] = pl[a:a + W]
        results['num_snippets'] = W
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_segments={self.num_segments}, '
                f'trunc_thresh={self.trunc_thresh}, pad={self.pad})')

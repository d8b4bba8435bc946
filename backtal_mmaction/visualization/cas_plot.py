"""One picture per video: what the localizer saw and what it detected.

:func:`render_cas_figure` draws, on a shared time axis in seconds,

1. the suppressed-branch CAS of the GT and predicted classes, min-max
   normalized per class (what the post-processor thresholds), with the GT
   segments shaded in the class colour and the video probability of each
   class in the legend;
2. the foreground-filter weights and the (normalized) feature magnitude;
3. the GT segments and the clicks, one row per annotator (background clicks
   ``x``, action clicks ``^`` in the class colour);
4. the final detections as bars at the height of their score.

Rendering uses Matplotlib's Agg canvas directly (no pyplot, no display), and
returns an RGB array that MMEngine visualizer backends accept
(``LocalVisBackend.add_image``).
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np

# The plugin's one snippet grid; re-exported here for existing imports.
from ..utils import check_count, snippet_times

__all__ = [
    'render_cas_figure', 'cas_plot_inputs', 'snippet_times', 'save_rgb_png'
]


def _minmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    lo = x.min(axis=axis, keepdims=True)
    span = x.max(axis=axis, keepdims=True) - lo
    return np.divide(x - lo, span, out=np.zeros_like(x), where=span > 0)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _arr(x, shape_tail=None, dtype=np.float64) -> np.ndarray:
    if x is None:
        a = np.zeros((0, ) + (shape_tail or ()), dtype)
    else:
        if hasattr(x, 'detach'):
            x = x.detach().cpu().numpy()
        a = np.asarray(x, dtype)
    if shape_tail is not None:
        a = a.reshape((-1, ) + shape_tail)
    return a


def _choose_classes(num_classes: int, gt_labels: np.ndarray,
                    pred_labels: np.ndarray, pred_scores: np.ndarray,
                    probs: np.ndarray, max_classes: int) -> np.ndarray:
    """GT classes first, then predicted classes by best detection score,
    then (if nothing else) the most probable classes of the video."""
    order = np.argsort(-pred_scores, kind='stable')
    ranked = np.concatenate([gt_labels, pred_labels[order]]).astype(np.int64)
    _, first = np.unique(ranked, return_index=True)
    chosen = ranked[np.sort(first)]
    if chosen.size == 0:
        chosen = np.argsort(-probs[:num_classes], kind='stable')
    return chosen[:max_classes]


def render_cas_figure(cas: np.ndarray,
                      duration: float,
                      class_names: Sequence[str],
                      video_scores: Optional[np.ndarray] = None,
                      fg_weights: Optional[np.ndarray] = None,
                      magnitude: Optional[np.ndarray] = None,
                      gt_segments=None,
                      gt_labels=None,
                      pred_segments=None,
                      pred_scores=None,
                      pred_labels=None,
                      click_times=None,
                      click_labels=None,
                      click_annotators: Optional[Sequence[str]] = None,
                      video_name: str = '',
                      max_classes: int = 5,
                      max_detections: int = 30,
                      width: float = 12.0,
                      dpi: int = 80) -> np.ndarray:
    """Render one video's CAS figure.

    Args:
        cas (np.ndarray): ``(C+1, T)`` suppressed-branch CAS logits,
            background last.
        duration (float): Video length in seconds (the x axis).
        class_names (Sequence[str]): ``C`` names.
        video_scores (np.ndarray, optional): ``(C+1,)`` video logits; their
            softmax is shown next to each class name.
        fg_weights (np.ndarray, optional): ``(T,)`` foreground weights.
        magnitude (np.ndarray, optional): ``(T,)`` feature magnitude.
        gt_segments, gt_labels: ``(N, 2)`` seconds and ``(N,)`` classes.
        pred_segments, pred_scores, pred_labels: ``(M, 2)``, ``(M,)``,
            ``(M,)`` detections.
        click_times, click_labels: ``(K,)`` seconds and ``(K,)`` labels
            (``C`` = background click).
        click_annotators (Sequence[str], optional): ``K`` annotator ids.
        video_name (str): Title.
        max_classes (int): At most this many CAS curves.
        max_detections (int): At most this many (top-scoring) detections.
        width (float): Figure width in inches.
        dpi (int): Resolution.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.
    """
    # matplotlib (0.3 s to import) only when a figure is drawn
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # a negative count would slice off the last items silently
    check_count('max_classes', max_classes)
    check_count('max_detections', max_detections, minimum=0)
    cas = _check_cas(cas, class_names, duration, video_name)
    num_classes, num_snippets = cas.shape[0] - 1, cas.shape[1]
    times = snippet_times(num_snippets, duration)
    probs = (_softmax(_arr(video_scores)) if video_scores is not None else
             np.full(num_classes + 1, np.nan))
    gt_seg, gt_lab = _arr(gt_segments, (2, )), _arr(gt_labels, (), np.int64)
    det_seg, det_score, det_lab = _top_detections(
        pred_segments, pred_scores, pred_labels, max_detections)
    shown = _choose_classes(num_classes, gt_lab, det_lab, det_score, probs,
                            max_classes)

    fig = Figure(figsize=(width, 8.5), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(
        4, 1, sharex=True, gridspec_kw=dict(height_ratios=[3, 1.4, 1.2, 2]))
    palette = colormaps['tab10']
    colors = {int(c): palette(int(c) % 10) for c in range(num_classes)}
    _draw_cas(axes[0], times, cas, shown, probs, class_names, gt_seg, gt_lab,
              colors)
    axes[0].set_title(f'{video_name}  ({duration:.1f} s, {num_snippets} '
                      'snippets)', fontsize=11)
    _draw_filter(axes[1], times, fg_weights, magnitude)
    _draw_gt_and_clicks(axes[2], gt_seg, gt_lab, click_times, click_labels,
                        click_annotators, num_classes, colors)
    _draw_detections(axes[3], det_seg, det_score, det_lab, max_detections,
                     colors)
    axes[3].set_xlabel('time (s)')
    axes[3].set_xlim(0, duration)
    fig.tight_layout()

    canvas = fig.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _check_cas(cas, class_names: Sequence[str], duration: float,
               video_name: str) -> np.ndarray:
    """The ``(C+1, T)`` CAS as float64, checked against the class names and
    the duration (errors name the video)."""
    cas = _arr(cas)
    if cas.ndim != 2 or cas.shape[0] < 2:
        raise ValueError(f'video {video_name!r}: cas must be (C+1, T), got '
                         f'shape {cas.shape}')
    num_classes = cas.shape[0] - 1
    if len(class_names) != num_classes:
        raise ValueError(
            f'video {video_name!r}: {len(class_names)} class names for a CAS '
            f'with {num_classes} classes (+ background)')
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f'video {video_name!r}: duration must be > 0, got '
                         f'{duration!r}')
    return cas


def _top_detections(segments, scores, labels, max_detections: int) -> tuple:
    """The ``max_detections`` best detections: ``(M, 2)``, ``(M,)``,
    ``(M,)``, by descending score (ties in their given order)."""
    det_seg = _arr(segments, (2, ))
    det_score = _arr(scores, ())
    det_lab = _arr(labels, (), np.int64)
    top = np.argsort(-det_score, kind='stable')[:max_detections]
    return det_seg[top], det_score[top], det_lab[top]


def _draw_cas(ax, times: np.ndarray, cas: np.ndarray, shown: np.ndarray,
              probs: np.ndarray, class_names: Sequence[str],
              gt_seg: np.ndarray, gt_lab: np.ndarray, colors: dict) -> None:
    """Panel 1: the shown classes' CAS (min-max per class), the GT spans in
    the class colour behind them."""
    norm_cas = _minmax(cas[shown]) if shown.size else np.zeros((0, 1))
    for row, c in zip(norm_cas, shown):
        label = str(class_names[c])
        if np.isfinite(probs[c]):
            label += f' (p={probs[c]:.2f})'
        ax.plot(times, row, color=colors[int(c)], lw=1.6, label=label)
    for (s, e), c in zip(gt_seg, gt_lab):
        ax.axvspan(s, e, color=colors.get(int(c), 'grey'), alpha=0.15, lw=0)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel('CAS (min-max)')
    if shown.size:
        ax.legend(loc='upper right', fontsize=8, ncol=min(3, shown.size))


def _draw_filter(ax, times: np.ndarray, fg_weights, magnitude) -> None:
    """Panel 2: foreground weights and the feature magnitude (min-max)."""
    if fg_weights is not None:
        ax.plot(times, _arr(fg_weights).reshape(-1), color='tab:green',
                lw=1.4, label='foreground weight')
    if magnitude is not None:
        ax.plot(times, _minmax(_arr(magnitude).reshape(-1)), color='grey',
                lw=1.0, ls='--', label='feature magnitude (min-max)')
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel('filter')
    if fg_weights is not None or magnitude is not None:
        ax.legend(loc='upper right', fontsize=8, ncol=2)


def _draw_gt_and_clicks(ax, gt_seg: np.ndarray, gt_lab: np.ndarray,
                        click_times, click_labels, click_annotators,
                        num_classes: int, colors: dict) -> None:
    """Panel 3: the GT segments on the first row, then one row of clicks
    per annotator (x: background click, triangle: action click in its
    class colour)."""
    ax.broken_barh([(s, e - s) for s, e in gt_seg], (-0.35, 0.7),
                   facecolors=[colors.get(int(c), 'grey') for c in gt_lab])
    ticks, names = [0], ['GT']
    ct = _arr(click_times, ())
    cl = _arr(click_labels, (), np.int64)
    who = np.asarray(list(click_annotators or []) or [''] * len(ct),
                     dtype=str)
    for row, annotator in enumerate(np.unique(who), start=1):
        sel = who == annotator
        bg = sel & (cl == num_classes)
        ax.scatter(ct[bg], np.full(bg.sum(), row), marker='x', color='k',
                   s=30, lw=1.2)
        act = sel & (cl != num_classes)
        ax.scatter(ct[act], np.full(act.sum(), row), marker='^', s=36,
                   color=[colors.get(int(c), 'grey') for c in cl[act]])
        ticks.append(row)
        names.append(f'clicks {annotator}'.strip())
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_ylim(len(ticks) - 0.5, -0.6)


def _draw_detections(ax, det_seg: np.ndarray, det_score: np.ndarray,
                     det_lab: np.ndarray, max_detections: int,
                     colors: dict) -> None:
    """Panel 4: each detection as a bar at the height of its score."""
    if det_score.size:
        ax.hlines(det_score, det_seg[:, 0], det_seg[:, 1], lw=3,
                  colors=[colors.get(int(c), 'grey') for c in det_lab])
        ax.set_ylim(min(0.0, det_score.min()) - 0.05,
                    det_score.max() * 1.1 + 0.05)
    else:
        ax.text(0.5, 0.5, 'no detections', transform=ax.transAxes,
                ha='center', va='center', color='grey')
    ax.set_ylabel(f'detections\n(top {max_detections})')


def cas_plot_inputs(sample, raw: Optional[Dict[str, np.ndarray]] = None
                    ) -> dict:
    """Keyword arguments of :func:`render_cas_figure` from an output data
    sample (``raw_outputs``, metainfo, ``gt_instances``,
    ``pred_instances``).

    Args:
        sample (ActionDataSample): A model output.
        raw (dict, optional): Raw outputs; default ``sample.raw_outputs``.
    """
    meta = sample.metainfo
    raw = raw if raw is not None else sample.get('raw_outputs')
    name = meta.get('video_name', '')
    if raw is None:
        raise ValueError(f'video {name!r}: no raw outputs to plot (set '
                         'model.keep_raw_outputs=True)')
    if 'cas_supp' not in raw:
        # e.g. AnchorFreeTAD: point logits on a pyramid, not a snippet CAS
        raise ValueError(
            f'video {name!r}: the raw outputs have no class activation '
            f'sequence (cas_supp) to plot, only {sorted(raw)}; CAS figures '
            'need a CAS model such as BackTAL')
    kw = dict(
        cas=raw['cas_supp'],
        video_scores=raw.get('video_scores_supp'),
        fg_weights=raw.get('fg_weights'),
        magnitude=raw.get('magnitude'),
        duration=float(meta['duration']),
        video_name=str(name),
        click_times=meta.get('click_times'),
        click_labels=meta.get('click_labels'),
        click_annotators=meta.get('click_annotators'))
    gt = sample.get('gt_instances')
    if gt is not None and 'segments' in gt:
        kw.update(gt_segments=gt.segments, gt_labels=gt.labels)
    pred = sample.get('pred_instances')
    if pred is not None:
        kw.update(pred_segments=pred.segments, pred_scores=pred.scores,
                  pred_labels=pred.labels)
    return kw


def save_rgb_png(image: np.ndarray, path: str) -> str:
    """Write an ``(H, W, 3)`` uint8 RGB array as PNG (Matplotlib, no cv2)."""
    # matplotlib (0.3 s to import) only when a figure is drawn
    from matplotlib.image import imsave
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    imsave(path, image)
    return path

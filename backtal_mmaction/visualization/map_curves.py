"""mAP vs tIoU threshold of several detection results on one chart.

E.g. weak supervision vs BackTAL vs two-stage on THUMOS14: one line per
result, x = the evaluated tIoU thresholds, y = mAP (%), the average mAP in
the legend. Drawn with matplotlib's Agg canvas (no display, no pyplot
state), imported only when a chart is drawn.
"""
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from ..utils import atomic_replace

__all__ = ['plot_map_curves']

_MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*')


def plot_map_curves(results: Sequence[dict],
                    labels: Sequence[str],
                    out_file: Optional[str] = None,
                    title: Optional[str] = None,
                    overwrite: bool = False):
    """Draw (and save) mAP vs tIoU curves.

    Args:
        results (Sequence[dict]): ``R`` results of
            :func:`~backtal_mmaction.evaluation.functional.\
evaluate_detections` (``tiou_thresholds`` ``(K_r, )``, ``mAP``
            ``(K_r, )`` in ``[0, 1]``, ``average_mAP``).
        labels (Sequence[str]): ``R`` legend names.
        out_file (str, optional): PNG to write (folders are created, the
            file appears complete or not at all). None: only draw.
        title (str, optional): Chart title.
        overwrite (bool): Replace an existing ``out_file``. Defaults to
            False: an existing file is never lost.

    Returns:
        matplotlib.figure.Figure: The figure; ``fig.axes[0].lines[r]`` is
        result ``r``, its y-data the mAP in percent.

    Raises:
        FileExistsError: ``out_file`` exists and ``overwrite`` is False
            (checked before drawing).
        ValueError: no results, or not one label per result.
    """
    if not results:
        raise ValueError('plot_map_curves: no results to plot')
    if len(labels) != len(results):
        raise ValueError(f'plot_map_curves: {len(results)} results but '
                         f'{len(labels)} labels')
    if out_file is not None and osp.exists(out_file) and not overwrite:
        raise FileExistsError(f'{out_file} already exists; pass `overwrite` '
                              'to replace it')
    # matplotlib (0.3 s to import) only when a figure is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    thresholds = set()
    for r, (res, label) in enumerate(zip(results, labels)):
        thr = np.asarray(res['tiou_thresholds'], dtype=np.float64)
        y = 100 * np.asarray(res['mAP'], dtype=np.float64)
        thresholds.update(thr.tolist())
        ax.plot(
            thr,
            y,
            marker=_MARKERS[r % len(_MARKERS)],
            label=f"{label} (avg {100 * res['average_mAP']:.2f})")
    ticks = sorted(thresholds)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f'{t:g}' for t in ticks])
    ax.set_xlabel('tIoU threshold')
    ax.set_ylabel('mAP (%)')
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(title='result (average mAP %)', fontsize=9)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    if out_file is not None:
        atomic_replace(out_file, lambda tmp: fig.savefig(tmp, format='png'),
                       '.png')
    return fig

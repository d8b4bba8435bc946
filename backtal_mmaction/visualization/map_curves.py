"""mAP vs tIoU threshold of several detection results on one chart.

E.g. weak supervision vs BackTAL vs two-stage on THUMOS14: one line per
result, x = the evaluated tIoU thresholds, y = mAP (%), the average mAP in
the legend. Drawn with matplotlib's Agg canvas (no display, no pyplot
state), imported only when a chart is drawn.

:func:`check_figure_path` is the output rule of every chart writer of the
plugin (this one, the training curves): the file is saved in the format its
extension names (``.pdf``, ``.svg``, ``.png``, ...; none: PNG), and an
extension matplotlib cannot write is refused before anything is computed.
"""
import os.path as osp
import shutil
from typing import Iterable, List, Optional, Sequence

import numpy as np

from ..utils import atomic_replace, check_output_path

__all__ = [
    'check_figure_path', 'figure_formats', 'plot_map_curves', 'save_figure'
]

_MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*')


def figure_formats() -> List[str]:
    """The file extensions matplotlib can write here (sorted): its canvas's
    formats, less ``pgf`` unless its LaTeX program is installed."""
    import matplotlib
    from matplotlib.backend_bases import FigureCanvasBase
    formats = set(FigureCanvasBase.get_supported_filetypes())
    # pgf needs xelatex (or the configured TeX) at save time
    if not shutil.which(matplotlib.rcParams['pgf.texsystem']):
        formats.discard('pgf')
    return sorted(formats)


def check_figure_path(path: str, option: str, overwrite: bool,
                      inputs: Iterable[Optional[str]] = ()) -> str:
    """Check a chart's output file before anything is drawn.

    Args:
        path (str): The figure file.
        option (str): How the user named it (``'--plot'``, ```out_file```).
        overwrite (bool): Whether an existing file may be replaced.
        inputs (Iterable[str]): The files the run reads; ``path`` may be
            none of them.

    Returns:
        str: The format to save in: the extension's (lower case), ``'png'``
        for a name without one.

    Raises:
        ValueError: an extension matplotlib cannot write (the message lists
            the supported ones), or ``path`` is one of ``inputs``.
        IsADirectoryError / FileExistsError: see
            :func:`~backtal_mmaction.utils.check_output_path`.
    """
    check_output_path(path, option, overwrite, inputs)
    ext = osp.splitext(str(path))[1][1:].lower()
    if not ext:
        return 'png'
    formats = figure_formats()
    if ext not in formats:
        raise ValueError(f'{option} {path}: matplotlib cannot write .{ext} '
                         'figures; use one of the extensions '
                         f'{", ".join("." + f for f in formats)}')
    return ext


def save_figure(fig, path: str, fmt: str, **kwargs) -> None:
    """Save ``fig`` as ``fmt`` (:func:`check_figure_path`), atomically."""
    atomic_replace(path, lambda tmp: fig.savefig(tmp, format=fmt, **kwargs),
                   '.' + fmt)


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
        out_file (str, optional): Figure to write, in the format of its
            extension (PNG without one; :func:`check_figure_path`); folders
            are created, the file appears complete or not at all. None: only
            draw.
        title (str, optional): Chart title.
        overwrite (bool): Replace an existing ``out_file``. Defaults to
            False: an existing file is never lost.

    Returns:
        matplotlib.figure.Figure: The figure; ``fig.axes[0].lines[r]`` is
        result ``r``, its y-data the mAP in percent.

    Raises:
        FileExistsError: ``out_file`` exists and ``overwrite`` is False
            (checked before drawing).
        IsADirectoryError: ``out_file`` is a folder.
        ValueError: no results, not one label per result, or an
            ``out_file`` extension matplotlib cannot write.
    """
    if not results:
        raise ValueError('plot_map_curves: no results to plot')
    if len(labels) != len(results):
        raise ValueError(f'plot_map_curves: {len(results)} results but '
                         f'{len(labels)} labels')
    if out_file is not None:
        fmt = check_figure_path(out_file, '`out_file`', overwrite)
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
        save_figure(fig, out_file, fmt)
    return fig

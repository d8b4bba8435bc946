"""False-positive (and sensitivity) analysis of a result file, and its
report files.

The logic of ``tools/analysis/diagnose_errors.py``: read a result JSON and
its GT, run :func:`~.false_positives.diagnose_false_positives` (and, on
request, :func:`~.sensitivity.sensitivity_analysis`), and write
``fp_analysis.md`` (the table), ``fp_analysis.json`` (the numbers) and
``fp_analysis.png`` (bar charts), plus ``sensitivity.{md,json,png}``.
"""
import json
import os
import os.path as osp
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from ...datasets.gt_io import load_gt
from ...utils import (atomic_replace, atomic_write, check_output_path,
                      check_range)
from ..offline import results_against_gt
from .false_positives import diagnose_false_positives, format_error_table
from .sensitivity import format_sensitivity_table, sensitivity_analysis

__all__ = [
    'diagnose_result_file', 'plot_error_breakdown', 'plot_sensitivity',
    'report_paths', 'save_error_analysis'
]

_COLORS = ('#8c564b', '#d62728', '#1f77b4', '#9467bd', '#7f7f7f')


def diagnose_result_file(result_file: str,
                         gt_file: str,
                         subset: Optional[str] = None,
                         tiou_threshold: float = 0.5,
                         top_k_ratio: float = 1.0,
                         rank_by: str = 'class',
                         sensitivity: bool = False,
                         sensitivity_tiou: Optional[Sequence[float]] = None,
                         bins: str = 'thumos14',
                         log: Callable[[str], None] = print) -> dict:
    """DETAD false-positive breakdown of an ActivityNet result file.

    The results are scored against the GT exactly as
    :func:`~backtal_mmaction.evaluation.offline.evaluate_result_file`
    scores them (``tools/analysis/eval_detections.py``), subset inference
    included, so the mAP here is that tool's at ``tiou_threshold``.

    Args:
        result_file (str): Result JSON (labels must be GT class names).
        gt_file (str): GT JSON; the class list is the whole file's.
        subset (str, optional): GT subset the results belong to; every
            result video must be in it. Default: the one subset the result
            videos belong to (inferred and logged), all videos for a GT
            with a single subset.
        tiou_threshold, top_k_ratio, rank_by: See
            :func:`~.false_positives.diagnose_false_positives`.
        sensitivity (bool): Also run DETAD's sensitivity analysis
            (:func:`~.sensitivity.sensitivity_analysis`) on the same
            detections and GT.
        sensitivity_tiou (sequence of float, optional): Its thresholds
            (default: ``[tiou_threshold]``).
        bins (str): Its bins, a key of
            :data:`~.sensitivity.CHARACTERISTIC_BINS`.
        log (callable): Receives the "subset inferred" message.

    Returns:
        dict: The :func:`~.false_positives.diagnose_false_positives` result,
        plus ``subset`` (the subset scored, None = all GT videos) and, with
        ``sensitivity``, ``sensitivity`` (its result).

    Raises:
        ValueError: results spanning several subsets without ``subset``,
            a result video outside the scored GT, or a result file without
            videos.
    """
    for t in sensitivity_tiou or ():  # named as the caller spells it
        check_range('sensitivity_tiou', t, 0, 1, low_open=True)
    predictions, gt_dets, subset, class_names = results_against_gt(
        result_file, load_gt(gt_file), subset, infer=True, log=log)
    result = diagnose_false_positives(
        gt_dets,
        predictions,
        len(class_names),
        tiou_threshold=tiou_threshold,
        top_k_ratio=top_k_ratio,
        rank_by=rank_by)
    result['subset'] = subset
    if sensitivity:
        result['sensitivity'] = sensitivity_analysis(
            gt_dets, predictions, len(class_names),
            sensitivity_tiou or [tiou_threshold], bins)
    return result


def plot_error_breakdown(result: dict, path: str):
    """Bar charts: shares of the top false positives, and mAP gains.

    Args:
        result (dict): A :func:`diagnose_false_positives` result.
        path (str): PNG to write (replaced atomically).

    Returns:
        matplotlib.figure.Figure: The figure (its bars hold the data).
    """
    # Lazy: matplotlib only when a chart is drawn; Agg canvas, no pyplot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [
        n.replace(' + ', ' +\n').replace(' ', '\n', 1)
        for n in result['error_names']
    ]
    fig = Figure(figsize=(12, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    shares = np.nan_to_num(100 * np.asarray(result['shares_top']))
    ax1.bar(names, shares, color=_COLORS)
    for x, v in enumerate(shares):
        ax1.text(x, v + 0.5, f'{v:.1f}', ha='center', fontsize=8)
    ax1.set_ylabel('share of false positives (%)')
    ax1.set_title(f"Top {result['num_top']} false positives "
                  f"(tIoU {result['tiou_threshold']:g})")
    gains = 100 * np.asarray(result['map_gain'])
    ax2.bar(names, gains, color=_COLORS)
    ax2.set_ylabel(f"mAP@{result['tiou_threshold']:g} gain (points)")
    ax2.set_title('mAP gain when removing each error type')
    for ax in (ax1, ax2):
        ax.tick_params(axis='x', labelsize=8)
    fig.tight_layout()
    atomic_replace(path, lambda tmp: fig.savefig(tmp, format='png'), '.png')
    return fig


def plot_sensitivity(sensitivity: dict, path: str):
    """DETAD's sensitivity figure: per characteristic, one bar per bucket
    of its average mAP_N (%), the base value as a dashed line; below, the
    false-negative rate (%) of each bucket. Buckets without GT get no bar.

    Args:
        sensitivity (dict): A :func:`~.sensitivity.sensitivity_analysis`
            result.
        path (str): PNG to write (replaced atomically).

    Returns:
        matplotlib.figure.Figure: The figure (its bars hold the data, in
        the order of the table).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    chars = sensitivity['characteristics']
    fig = Figure(figsize=(4 + 1.1 * sum(map(len, chars.values())), 6),
                 dpi=100)
    FigureCanvasAgg(fig)
    ax_map, ax_fn = fig.subplots(2, 1, sharex=True)
    x, ticks, start = [], [], 0
    for i, (name, rows) in enumerate(chars.items()):
        pos = np.arange(start, start + len(rows))
        color = _COLORS[i % len(_COLORS)]
        for ax, key in ((ax_map, 'average_mAP_N'),
                        (ax_fn, 'false_negative_rate')):
            values = [r[key] for r in rows]
            have = [j for j, v in enumerate(values) if v is not None]
            ax.bar(pos[have], [100 * values[j] for j in have], color=color,
                   label=name if ax is ax_map else None)
        x.extend(pos)
        ticks.extend(r['bucket'] for r in rows)
        start += len(rows) + 1
    ax_map.axhline(100 * sensitivity['base'], color='k', linestyle='--',
                   linewidth=1)
    ax_map.set_ylabel('average mAP$_N$ (%)')
    ax_map.legend(fontsize=8)
    tious = ', '.join(f'{t:g}' for t in sensitivity['tiou_thresholds'])
    ax_map.set_title(f"Sensitivity ({sensitivity['bins']} bins, tIoU "
                     f"{tious}); dashed: all GT")
    ax_fn.set_ylabel('false negatives (%)')
    ax_fn.set_xticks(x)
    ax_fn.set_xticklabels(ticks)
    for ax in (ax_map, ax_fn):
        ax.set_ylim(0, 100)
    fig.tight_layout()
    atomic_replace(path, lambda tmp: fig.savefig(tmp, format='png'), '.png')
    return fig


def report_paths(out_dir: str,
                 inputs: Iterable[Optional[str]] = (),
                 sensitivity: bool = False) -> dict:
    """The report files of ``out_dir``, checked (call it before the
    analysis runs to fail early).

    Args:
        out_dir (str): The report folder.
        inputs (Iterable[str]): The files the analysis reads.
        sensitivity (bool): Include the sensitivity analysis's files.

    Returns:
        dict: ``md``, ``json`` and ``png`` -> ``out_dir/fp_analysis.<ext>``;
        with ``sensitivity`` also ``sensitivity_md`` / ``sensitivity_json``
        / ``sensitivity_png`` -> ``out_dir/sensitivity.<ext>``.

    Raises:
        ValueError / IsADirectoryError: a report file is one of ``inputs``
            or a folder. Existing report files are this tool's own and are
            replaced.
    """
    paths = {
        ext: osp.join(out_dir, f'fp_analysis.{ext}')
        for ext in ('md', 'json', 'png')
    }
    if sensitivity:
        paths.update({f'sensitivity_{ext}': osp.join(out_dir,
                                                     f'sensitivity.{ext}')
                      for ext in ('md', 'json', 'png')})
    inputs = list(inputs)
    for path in paths.values():
        check_output_path(path, '`out_dir`', True, inputs)
    return paths


def save_error_analysis(breakdown: dict, out_dir: str,
                        inputs: Iterable[Optional[str]] = (),
                        **meta) -> dict:
    """Write ``fp_analysis.{md,json,png}`` of a breakdown to ``out_dir``
    (and ``sensitivity.{md,json,png}`` when it holds a ``sensitivity``
    result).

    Args:
        breakdown (dict): A :func:`diagnose_false_positives` result.
        out_dir (str): Folder (created); the three files in it are replaced
            (they are this report's own), unless one is in ``inputs``.
        inputs (Iterable[str]): The files the analysis read (result, GT):
            none of them is written over.
        **meta: Extra JSON fields (e.g. ``result``, ``gt``, ``subset``).

    Returns:
        dict: ``md``, ``json`` and ``png`` -> the paths written.

    Raises:
        ValueError / IsADirectoryError: a report file is one of ``inputs``
            or a folder (checked before anything is written).
    """
    sensitivity = breakdown.get('sensitivity')
    paths = report_paths(out_dir, inputs, sensitivity is not None)
    os.makedirs(out_dir, exist_ok=True)
    atomic_write(paths['md'], format_error_table(breakdown) + '\n')
    summary = {
        k: (v.tolist() if isinstance(v, np.ndarray) else v)
        for k, v in breakdown.items()
        if k not in ('detections', 'top_mask', 'sensitivity')
    }
    summary.update(meta)
    atomic_write(paths['json'], json.dumps(summary, indent=2))
    plot_error_breakdown(breakdown, paths['png'])
    if sensitivity is not None:
        atomic_write(paths['sensitivity_md'],
                     format_sensitivity_table(sensitivity) + '\n')
        atomic_write(paths['sensitivity_json'],
                     json.dumps(dict(sensitivity, **meta), indent=2))
        plot_sensitivity(sensitivity, paths['sensitivity_png'])
    return paths

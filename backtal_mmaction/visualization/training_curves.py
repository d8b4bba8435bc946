"""Loss and metric curves of a run, from MMEngine's ``scalars.json``.

MMEngine's ``LocalVisBackend`` writes ``<work_dir>/<time>/vis_data/
scalars.json``: one JSON object per line, training lines with ``loss*``,
``lr``, ``epoch``, ``iter`` and ``step`` (the iteration), validation lines
with the metric keys (e.g. ``tal/mAP_avg``) and ``step`` (the epoch).
MMAction2's ``analyze_logs.py plot_curve`` expects the old ``*.log.json``
layout and fails on this one, hence this reader.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .map_curves import check_figure_path, save_figure

Curves = Dict[str, Tuple[np.ndarray, np.ndarray]]

# Line style of the r-th run (the colour says which curve it is).
_LINE_STYLES = ('-', '--', ':', '-.')
# Bookkeeping scalars of every training line: not curves a person wants.
_NOT_CURVES = ('step', 'epoch', 'iter', 'data_time', 'time', 'memory')


def read_scalars(path: str) -> Tuple[Curves, Curves]:
    """Training and validation curves of one ``scalars.json``.

    Returns:
        tuple[dict, dict]: ``(train, val)``, each ``{key: (steps, values)}``
        with ``(N,)`` arrays in file order; ``train`` holds the keys of
        lines with a ``loss``-prefixed key (steps = iterations), ``val`` the
        keys of the other lines (steps = epochs).

    Raises:
        FileNotFoundError / ValueError: naming the file (and the line); a
            file that is not UTF-8 text (e.g. a PNG written over it) too.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'scalars file not found: {path}')
    train: Dict[str, List[Tuple[float, float]]] = {}
    val: Dict[str, List[Tuple[float, float]]] = {}
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().split('\n')
    except UnicodeDecodeError as e:  # names neither file nor line
        raise ValueError(f'{path}: not UTF-8 text, so not an MMEngine '
                         f'scalars.json ({e})') from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}, line {lineno}: not JSON ({e})') \
                from None
        if not isinstance(record, dict) or 'step' not in record:
            raise ValueError(f'{path}, line {lineno}: expected an object '
                             'with a "step" (MMEngine scalars.json)')
        target = train if any(k.startswith('loss')
                              for k in record) else val
        for key, value in record.items():
            if key in _NOT_CURVES or isinstance(value, bool) or \
                    not isinstance(value, (int, float)):
                continue
            target.setdefault(key, []).append(
                (float(record['step']), float(value)))
    if not train and not val:
        raise ValueError(f'{path}: no scalars in the file')

    def arrays(curves):
        return {
            k: (np.array([s for s, _ in v]), np.array([x for _, x in v]))
            for k, v in curves.items()
        }

    return arrays(train), arrays(val)


def find_scalars(run: str) -> str:
    """``scalars.json`` of a run: the file itself, a ``vis_data`` folder, a
    ``<time>`` folder or a work dir (its newest ``<time>`` folder)."""
    if osp.isfile(run):
        return run
    for candidate in (osp.join(run, 'scalars.json'),
                      osp.join(run, 'vis_data', 'scalars.json')):
        if osp.isfile(candidate):
            return candidate
    if osp.isdir(run):
        stamps = sorted(
            d for d in os.listdir(run)
            if osp.isfile(osp.join(run, d, 'vis_data', 'scalars.json')))
        if stamps:
            return osp.join(run, stamps[-1], 'vis_data', 'scalars.json')
    raise FileNotFoundError(
        f'no scalars.json under {run} (expected a file, a vis_data folder, '
        'a <time> folder or a work dir written by MMEngine)')


def plot_training_curves(runs: Sequence[str],
                         out_file: str,
                         labels: Optional[Sequence[str]] = None,
                         keys: Optional[Sequence[str]] = None,
                         overwrite: bool = False):
    """Plot losses (left) and validation metrics (right) of runs to a file.

    Args:
        runs: ``scalars.json`` files or folders (see :func:`find_scalars`).
        out_file: Figure path, saved in the format of its extension (PNG
            without one; :func:`~.map_curves.check_figure_path`); an
            existing file is kept unless ``overwrite``, and it may not be
            one of the ``scalars.json`` files read.
        labels: Legend name per run; default the run paths.
        keys: Curves to draw; default every loss and every ``mAP_avg``
            metric.

    Returns:
        matplotlib.figure.Figure: The figure (its lines hold the data).

    Raises:
        FileNotFoundError: a run without ``scalars.json``.
        FileExistsError / IsADirectoryError / ValueError: ``out_file``
            exists (without ``overwrite``), is a folder, is one of the
            scalars files, or has an extension matplotlib cannot write.
    """
    labels = list(labels) if labels else list(runs)
    if len(labels) != len(runs):
        raise ValueError(f'{len(labels)} labels for {len(runs)} runs')
    scalars = [find_scalars(run) for run in runs]
    # Before drawing; the scalars are inputs: a figure written over the
    # training log would lose it.
    fmt = check_figure_path(out_file, '`out_file`', overwrite, scalars)
    # Agg canvas on a bare Figure: no pyplot state, no global backend
    # switch; matplotlib (0.3 s to import) only when a figure is drawn.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(11, 4))
    FigureCanvasAgg(fig)
    ax_loss, ax_val = fig.subplots(1, 2)
    # One colour per curve key (the same in every run), one line style per
    # run: with several runs a loss is compared by its colour, a run found
    # by its style, instead of the colour cycle wrapping around.
    palette = [f'C{i}' for i in range(10)]
    colors = {ax_loss: {}, ax_val: {}}
    drawn = 0
    for r, (path, label) in enumerate(zip(scalars, labels)):
        train, val = read_scalars(path)
        for curves, ax in ((train, ax_loss), (val, ax_val)):
            for key, (steps, values) in curves.items():
                wanted = (key in keys) if keys else (
                    key.startswith('loss') or 'mAP_avg' in key)
                if wanted:
                    color = colors[ax].setdefault(
                        key, palette[len(colors[ax]) % len(palette)])
                    ax.plot(steps, values, label=f'{label}: {key}',
                            color=color,
                            linestyle=_LINE_STYLES[r % len(_LINE_STYLES)])
                    drawn += 1
    if not drawn:
        raise ValueError(f'none of the keys {list(keys or [])} is in the '
                         'runs\' scalars')
    ax_loss.set(xlabel='iteration', ylabel='loss', title='training losses')
    ax_val.set(xlabel='epoch', ylabel='metric', title='validation')
    for ax in (ax_loss, ax_val):
        if ax.lines:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out_file, fmt, dpi=120)
    return fig

"""Plain-text tables of a detection evaluation (mAP and per-class AP)."""
from typing import Optional, Sequence

import numpy as np

from .tiou import tiou_ranges

__all__ = ['format_tiou', 'format_detection_table']


def format_tiou(threshold: float) -> str:
    """``0.5 -> '0.50'``; keeps more digits only when 2 would round."""
    text = f'{threshold:.2f}'
    return text if float(text) == threshold else f'{threshold:g}'


def _render_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                  title: str) -> str:
    """Plain-text table, first column left-aligned, others right-aligned."""
    table = [list(header)] + [list(r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(cells):
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return ' | '.join([first] + rest)

    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([title, line(table[0]), rule] +
                     [line(r) for r in table[1:]])


def format_detection_table(result: dict,
                           class_names: Optional[Sequence[str]] = None,
                           per_class: bool = True,
                           ambiguous_file: Optional[str] = None) -> str:
    """Readable text tables of an :func:`~.evaluate_detections` result.

    Args:
        result (dict): Output of :func:`~.evaluate_detections`.
        class_names (Sequence[str], optional): ``C`` names; defaults to
            ``class_i``.
        per_class (bool): Also render the per-class AP table.
        ambiguous_file (str, optional): Named in the title when ambiguous
            segments were removed (``result['num_ambiguous_removed']``).

    Returns:
        str: mAP per threshold, their average and the averages over the
        fully evaluated ranges of :data:`~.TIOU_RANGES` (percent), then
        per-class AP; classes without GT show ``n/a``.
    """
    ap, thr = np.asarray(result['ap']), result['tiou_thresholds']
    if class_names is None:
        class_names = [f'class_{i}' for i in range(ap.shape[1])]
    ranges = tiou_ranges(thr)

    def pct(value):
        return 'n/a' if np.isnan(value) else f'{100 * value:.2f}'

    header = ['tIoU'] + [format_tiou(t) for t in thr] + ['avg'] + [
        f'avg {name}' for name in ranges
    ]
    range_map = result.get('range_mAP', {})
    title = 'Temporal action detection mAP'
    removed = result.get('num_ambiguous_removed')
    if removed is not None:
        source = f' of {ambiguous_file}' if ambiguous_file else ''
        title += (f' (ambiguous segments{source} on: {removed} overlapping '
                  'prediction(s) removed)')
    summary = _render_table(
        header, [['mAP (%)'] + [pct(v) for v in result['mAP']] +
                 [pct(result['average_mAP'])] +
                 [pct(range_map.get(name, np.nan)) for name in ranges]],
        title=title)
    if not per_class:
        return summary
    with np.errstate(all='ignore'):  # NaN rows of classes without GT
        class_avg = ap.mean(axis=0)
        class_ranges = [ap[idx].mean(axis=0) for idx in ranges.values()]
    rows = [[str(name)] + [pct(v) for v in ap[:, c]] + [pct(class_avg[c])] +
            [pct(r[c]) for r in class_ranges]
            for c, name in enumerate(class_names)]
    per_cls = _render_table(
        ['class'] + header[1:], rows, title='Per-class AP (%)')
    return summary + '\n\n' + per_cls

"""The ablation tables of ``tools/analysis/run_ablation.py``: mean +- std
over seeds per variant, and gains paired by seed (a module's effect is
judged against its own seed-to-seed spread, not the spread of the means).

Input everywhere: ``results = {variant: [metrics per seed]}`` with metrics
``{'mAP@0.10': ..., ..., 'mAP_avg': ...}`` in percent; two-stage runs are
``{pipeline: [{stage: metrics} per seed]}``. Nothing here trains.
"""
import json
import os
import os.path as osp
import re
from pathlib import Path

import numpy as np

THRESHOLDS = ('0.10', '0.20', '0.30', '0.40', '0.50', '0.60', '0.70')
NAMES = {
    '1_weak': 'Weak (video labels)',
    '2_seed2_adversarial': 'Whole-video-as-background (weak)',
    '3_action_click': 'Action clicks (SF-Net protocol)',
    '4_bg_click': 'Background clicks: position loss',
    '5_bg_click_score_sep': '+ score separation',
    '6_backtal': '+ affinity module (BackTAL)',
    '7_backtal_adversarial': 'BackTAL + whole-video background loss',
    '8_seed2_bg_click': 'Adversarial model + bg-click loss + score sep.',
}


# (what is compared, variant with the part, variant without it)
COMPARISONS = (
    ('action clicks vs video labels', '3_action_click', '1_weak'),
    ('background clicks vs action clicks', '4_bg_click', '3_action_click'),
    ('+ score separation', '5_bg_click_score_sep', '4_bg_click'),
    ('+ affinity module', '6_backtal', '5_bg_click_score_sep'),
    ('whole-video-as-background vs weak', '2_seed2_adversarial', '1_weak'),
)


def paired_gains(results: dict, with_part: str, without: str,
                 key: str = 'mAP_avg') -> np.ndarray:
    """Per-seed differences ``with_part - without`` of ``key``; runs are
    paired by position (one invocation trains every variant on the same
    seed list)."""
    a, b = results[with_part], results[without]
    if len(a) != len(b):
        raise ValueError(f'{with_part} has {len(a)} runs, {without} '
                         f'{len(b)}: runs are paired by seed')
    return np.array([x[key] - y[key] for x, y in zip(a, b)], dtype=float)


def format_gains(results: dict) -> str:
    lines = [
        '| comparison (paired by seed) | Δ avg mAP | Δ mAP@0.70 | '
        'seeds with Δ avg > 0 |', '|---|---|---|---|'
    ]
    for label, with_part, without in COMPARISONS:
        if with_part not in results or without not in results:
            continue
        d = paired_gains(results, with_part, without)
        d7 = paired_gains(results, with_part, without, 'mAP@0.70')
        lines.append(f'| {label} | {d.mean():+.1f} ± {d.std():.1f} | '
                     f'{d7.mean():+.1f} ± {d7.std():.1f} | '
                     f'{int((d > 0).sum())}/{d.size} |')
    return '\n'.join(lines)


def format_table(results: dict) -> str:
    head = ('| variant | ' + ' | '.join(f'mAP@{t}' for t in THRESHOLDS) +
            ' | avg |')
    lines = [head, '|' + '---|' * (len(THRESHOLDS) + 2)]
    for variant, runs in results.items():
        cells = []
        for key in [f'mAP@{t}' for t in THRESHOLDS] + ['mAP_avg']:
            vals = np.array([r[key] for r in runs])
            cells.append(f'{vals.mean():.1f} ± {vals.std():.1f}')
        name = NAMES.get(variant, variant)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def update_readme(table: str, note: str, marker: str = 'ablation',
                  readme: str = 'README.md') -> None:
    """Replace the ``<!-- marker:start -->`` ... ``end`` block of
    ``readme`` with ``note`` and ``table``."""
    path = Path(readme)
    text = path.read_text()
    block = (f'<!-- {marker}:start -->\n{note}\n\n{table}\n'
             f'<!-- {marker}:end -->')
    new, n = re.subn(rf'<!-- {marker}:start -->.*?<!-- {marker}:end -->',
                     lambda _: block, text, flags=re.S)
    if n != 1:
        raise ValueError(f'{path} has no <!-- {marker}:start/end --> '
                         'block to update')
    path.write_text(new)


TWO_STAGE = (  # configs/{two_stage,anchor_free_tad}/<name>.py, table order
    'backtal_then_anchor_free_synthetic',
    'action_click_then_anchor_free_synthetic',
    'weak_then_anchor_free_synthetic',
    'anchor_free_tad_synthetic_full_gt',
)
TWO_STAGE_NAMES = {
    'backtal_then_anchor_free_synthetic': 'background clicks (BackTAL)',
    'action_click_then_anchor_free_synthetic': 'action clicks',
    'weak_then_anchor_free_synthetic': 'video labels (weak)',
}
STAGE_NAMES = {'stage1': 'stage 1', 'stage2_round0': 'stage 2',
               'stage2_round1': 'stage 2, 1 self-training round',
               'final': 'final (the stage kept by the held-out click score)'}


def two_stage_rows(per_seed: dict) -> dict:
    """``{name: [ {stage: metrics} per seed ]}`` -> table rows
    ``{row label: [metrics per seed]}``."""
    rows = {}
    for name, runs in per_seed.items():
        source = TWO_STAGE_NAMES.get(name)
        for stage in runs[0]:
            label = ('fully supervised upper bound (full GT)'
                     if stage == 'full_gt' else
                     f'{source}: {STAGE_NAMES.get(stage, stage)}')
            rows[label] = [r[stage] for r in runs]
    return rows


def format_two_stage_gains(per_seed: dict) -> str:
    lines = ['| comparison (paired by seed) | Δ avg mAP | Δ mAP@0.10 | '
             'Δ mAP@0.50 | Δ mAP@0.70 | seeds with Δ avg > 0 |',
             '|---|---|---|---|---|---|']
    for name, runs in per_seed.items():
        if 'stage1' not in runs[0]:
            continue
        for stage in [s for s in runs[0]
                      if s.startswith('stage2') or s == 'final']:
            d = {k: np.array([r[stage][k] - r['stage1'][k] for r in runs])
                 for k in ('mAP_avg', 'mAP@0.10', 'mAP@0.50', 'mAP@0.70')}
            cells = ' | '.join(f'{d[k].mean():+.1f} ± {d[k].std():.1f}'
                               for k in ('mAP_avg', 'mAP@0.10', 'mAP@0.50',
                                         'mAP@0.70'))
            lines.append(f'| {TWO_STAGE_NAMES[name]}: '
                         f'{STAGE_NAMES.get(stage, stage)} vs stage 1 | '
                         f'{cells} | {int((d["mAP_avg"] > 0).sum())}/'
                         f'{len(runs)} |')
    return '\n'.join(lines)


def format_pipeline_checks(checks: dict, per_seed: dict) -> str:
    """The pipeline's own diagnostics per seed: round-0 pseudo-label
    quality against the training GT and the held-out click check.

    Args:
        checks (dict): ``{pipeline: [{'quality': dict | None, 'selection':
            dict | None} per seed]}`` (``pseudo_label_quality.json`` and
            ``selection.json`` of each run).
        per_seed (dict): The runs' test metrics (``{pipeline: [{stage:
            metrics}]}``), to say whether the click check kept the stage
            with the better test mAP.

    Returns:
        str: two markdown tables (empty string without any check).
    """
    qrows, srows = [], []
    for name, runs in checks.items():
        for seed_idx, run in enumerate(runs):
            q = run.get('quality')
            if q:
                qrows.append(
                    f'| {TWO_STAGE_NAMES.get(name, name)} | {seed_idx} | '
                    f'{q["num_pseudo"]} / {q["num_gt"]} | ' + ' | '.join(
                        f'{100 * q[f"precision@{t}"]:.1f} / '
                        f'{100 * q[f"recall@{t}"]:.1f}'
                        for t in ('0.30', '0.50', '0.70')) +
                    f' | {q["length_ratio"]:.2f} |')
            sel = run.get('selection')
            if sel:
                metrics = per_seed[name][seed_idx]
                scores = sel['click_scores']
                stages = [k for k in scores if k in metrics]
                by_click = max(stages, key=lambda k: scores[k]
                               ['click_score'] or -1)
                by_map = max(stages, key=lambda k: metrics[k]['mAP_avg'])
                cells = ', '.join(
                    f'{k} {scores[k]["click_score"]:.3f} / '
                    f'{metrics[k]["mAP_avg"]:.1f}' for k in stages)
                srows.append(
                    f'| {TWO_STAGE_NAMES.get(name, name)} | {seed_idx} | '
                    f'{cells} | {sel["final"]} | '
                    f'{"yes" if by_click == by_map else "no"} |')
    parts = []
    if qrows:
        parts.append(
            '| pseudo-labels (round 0) vs training GT | seed | segments / '
            'GT instances | precision / recall @0.3 (%) | @0.5 | @0.7 | '
            'median length ratio |\n|---|---|---|---|---|---|---|\n' +
            '\n'.join(qrows))
    if srows:
        parts.append(
            '| click check (held-out clicks) | seed | click score / test '
            'avg mAP per stage | final | ranks the stages as the test mAP '
            '|\n|---|---|---|---|---|\n' + '\n'.join(srows))
    return '\n\n'.join(parts)


def read_pipeline_checks(work_dir: str) -> dict:
    """``{'quality': round-0 quality or None, 'selection': dict or None}``
    from a pipeline work dir (:func:`~backtal_mmaction.workflows.run_two_stage`
    writes them)."""
    out = dict(quality=None, selection=None)
    qfile = osp.join(work_dir, 'pseudo_label_quality.json')
    if osp.isfile(qfile):
        with open(qfile) as f:
            q = json.load(f)
        first = [v for k, v in sorted(q.items()) if 'round0' in k]
        out['quality'] = first[0] if first else None
    sfile = osp.join(work_dir, 'selection.json')
    if osp.isfile(sfile):
        with open(sfile) as f:
            out['selection'] = json.load(f)
    return out


def write_report(results: dict, note: str, out: str, update: bool,
                 save_json: bool, readme: str = 'README.md') -> None:
    """Write the tables to ``out`` (and the numbers to ``out``'s ``.json``
    with ``save_json``); with ``update`` also into ``readme``."""
    report = f'{format_table(results)}\n\n{format_gains(results)}'
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    if save_json:
        Path(osp.splitext(out)[0] + '.json').write_text(
            json.dumps(dict(note=note, results=results), indent=1))
    Path(out).write_text(f'{note}\n\n{report}\n')
    print(report)
    if update:
        update_readme(report, note, readme=readme)


def load_results(paths) -> tuple:
    """``(results, note)`` merged from JSONs written by this script (e.g.
    variants run in parallel processes). They must come from the same
    benchmark and seeds (same note) and hold different variants."""
    results, note = {}, None
    for path in paths:
        data = json.loads(Path(path).read_text())
        if 'results' not in data or 'note' not in data:
            raise ValueError(f'{path}: not a results file of this script '
                             "(no 'results' / 'note')")
        if note is not None and data['note'] != note:
            raise ValueError(f'{path}: other benchmark or seeds '
                             f'({data["note"]!r} vs {note!r})')
        note = data['note']
        both = sorted(set(results) & set(data['results']))
        if both:
            raise ValueError(f'{path}: variants {both} are in two files')
        results.update(data['results'])
    # Table rows in variant order whatever the order of the files.
    return dict(sorted(results.items())), note

"""The ablation tables ``tools/analysis/run_ablation.py`` renders (no
training): ``backtal_mmaction.evaluation.ablation_report``."""
import json
import subprocess
import sys

import pytest

from tests.helpers import REPO

TOOL = REPO / 'tools/analysis/run_ablation.py'
KEYS = [f'mAP@0.{i}0' for i in range(1, 8)] + ['mAP_avg']


def _report():
    from backtal_mmaction.evaluation import ablation_report
    return ablation_report


def _run(avg, at7=None):
    run = {k: 50.0 for k in KEYS}
    run['mAP_avg'] = avg
    run['mAP@0.70'] = avg if at7 is None else at7
    return run


RESULTS = {
    '4_bg_click': [_run(90.0, 80.0), _run(92.0, 81.0), _run(94.0, 82.0)],
    '5_bg_click_score_sep': [_run(91.0, 80.0), _run(95.0, 84.0),
                             _run(93.0, 83.0)],
}


def test_paired_gains_pair_by_seed():
    report = _report()
    # 91-90, 95-92, 93-94
    assert report.paired_gains(RESULTS, '5_bg_click_score_sep',
                               '4_bg_click').tolist() == [1.0, 3.0, -1.0]
    with pytest.raises(ValueError, match='paired by seed'):
        report.paired_gains(dict(RESULTS, **{'4_bg_click': RESULTS[
            '4_bg_click'][:2]}), '5_bg_click_score_sep', '4_bg_click')


def test_gain_table_mean_std_and_sign_count():
    table = _report().format_gains(RESULTS).splitlines()
    # Only the comparison whose two variants ran is listed.
    assert len(table) == 3
    # avg: [1, 3, -1] -> mean 1, population std sqrt(8/3) = 1.63;
    # @0.7: [0, 3, 1] -> mean 1.33, std 1.25; 2 of 3 seeds gain.
    assert table[2] == '| + score separation | +1.0 ± 1.6 | +1.3 ± 1.2 | 2/3 |'


def test_from_json_rerenders_without_training(tmp_path):
    saved = tmp_path / 'abl.json'
    saved.write_text(json.dumps(dict(note='three seeds', results=RESULTS)))
    out = tmp_path / 'abl.md'
    # The command line itself (it trains nothing with --from-json).
    run = subprocess.run([sys.executable, str(TOOL), '--from-json',
                          str(saved), '--out', str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    text = out.read_text()
    assert text.startswith('three seeds\n')
    # mean +- std of 90, 92, 94 (population std 1.63)
    assert '| Background clicks: position loss |' in text
    assert '92.0 ± 1.6 |' in text
    assert '| + score separation | +1.0 ± 1.6 |' in text


def test_update_readme_replaces_only_its_block(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text('intro\n<!-- ablation:start -->\nold\n'
                      '<!-- ablation:end -->\nrest\n')
    _report().update_readme('| t |', 'note', readme=str(readme))
    assert readme.read_text() == ('intro\n<!-- ablation:start -->\nnote\n\n'
                                  '| t |\n<!-- ablation:end -->\nrest\n')
    with pytest.raises(ValueError, match='no <!-- two-stage:start/end'):
        _report().update_readme('x', 'y', marker='two-stage',
                                readme=str(readme))


def test_from_json_merges_parallel_runs_and_refuses_mixtures(tmp_path):
    report = _report()
    halves = []
    for i, name in enumerate(RESULTS):
        path = tmp_path / f'half{i}.json'
        path.write_text(json.dumps(dict(note='n', results={
            name: RESULTS[name]})))
        halves.append(path)
    results, note = report.load_results(halves[::-1])
    assert note == 'n' and list(results) == sorted(RESULTS)
    with pytest.raises(ValueError, match='in two files'):
        report.load_results([halves[0], halves[0]])
    other = tmp_path / 'other.json'
    other.write_text(json.dumps(dict(note='other seeds', results={})))
    with pytest.raises(ValueError, match='other benchmark or seeds'):
        report.load_results([halves[0], other])
    old = tmp_path / 'old.json'
    old.write_text(json.dumps(RESULTS))
    with pytest.raises(ValueError, match='not a results file'):
        report.load_results([old])


def test_two_stage_rows_and_paired_gains():
    report = _report()
    per_seed = {
        'backtal_then_anchor_free_synthetic': [
            {'stage1': _run(40.0, 17.0), 'stage2_round0': _run(45.0, 15.0)},
            {'stage1': _run(42.0, 18.0), 'stage2_round0': _run(44.0, 19.0)},
        ],
        'anchor_free_tad_synthetic_full_gt': [{'full_gt': _run(80.0)},
                                              {'full_gt': _run(84.0)}],
    }
    rows = report.two_stage_rows(per_seed)
    assert list(rows) == ['background clicks (BackTAL): stage 1',
                          'background clicks (BackTAL): stage 2',
                          'fully supervised upper bound (full GT)']
    table = report.format_table(rows)
    assert '| fully supervised upper bound (full GT) |' in table
    assert '82.0 ± 2.0 |' in table  # avg of 80 and 84
    gains = report.format_two_stage_gains(per_seed)
    # avg: +5, +2 -> +3.5 ± 1.5; at 0.7: -2, +1 -> -0.5 ± 1.5; 2/2 seeds
    line = [x for x in gains.splitlines() if 'stage 2 vs stage 1' in x][0]
    assert '+3.5 ± 1.5' in line and '-0.5 ± 1.5' in line
    assert line.endswith('| 2/2 |')
    assert 'full GT' not in gains


def test_pipeline_checks_table(tmp_path):
    """Round-0 pseudo-label quality and the click check, read from a
    pipeline work dir, and whether the click score ranks the stages as the
    test mAP does (seed 0: stage 2 wins both; seed 1: the click score
    prefers stage 1, the test mAP stage 2)."""
    report = _report()
    quality = {'num_pseudo': 120, 'num_gt': 100, 'length_ratio': 1.25}
    for t, (p, r) in zip(('0.30', '0.50', '0.70'),
                         ((0.9, 0.8), (0.7, 0.6), (0.5, 0.4))):
        quality[f'precision@{t}'], quality[f'recall@{t}'] = p, r
    work = tmp_path / 'seed0'
    work.mkdir()
    (work / 'pseudo_label_quality.json').write_text(json.dumps(
        {str(work / 'pseudo_gt_round0.json'): quality}))
    runs, per_seed = [], []
    for stage1_score, final in ((0.2, 'stage2_round0'), (0.6, 'stage1')):
        (work / 'selection.json').write_text(json.dumps(dict(
            final=final, click_scores={
                'stage1': {'click_score': stage1_score},
                'stage2_round0': {'click_score': 0.5}})))
        runs.append(report.read_pipeline_checks(str(work)))
        per_seed.append({'stage1': _run(40.0), 'stage2_round0': _run(45.0)})
    assert report.read_pipeline_checks(str(tmp_path)) == dict(
        quality=None, selection=None)
    text = report.format_pipeline_checks(
        {'backtal_then_anchor_free_synthetic': runs},
        {'backtal_then_anchor_free_synthetic': per_seed})
    lines = text.splitlines()
    q = [x for x in lines if x.startswith('| background clicks') and
         '120 / 100' in x]
    assert len(q) == 2
    assert '| 90.0 / 80.0 | 70.0 / 60.0 | 50.0 / 40.0 | 1.25 |' in q[0]
    s = [x for x in lines if 'stage1 0.' in x]
    assert s[0].endswith('| stage2_round0 | yes |')
    assert 'stage1 0.200 / 40.0, stage2_round0 0.500 / 45.0' in s[0]
    assert s[1].endswith('| stage1 | no |')
    assert report.format_pipeline_checks({}, {}) == ''


def test_two_stage_rows_find_their_configs(tmp_path):
    """A pipeline row is a configs/two_stage file, the full-GT row a
    configs/anchor_free_tad file; every shipped row resolves."""
    from backtal_mmaction.workflows.ablation import variant_config
    from backtal_mmaction.evaluation.ablation_report import TWO_STAGE
    two_stage = str(REPO / 'configs' / 'two_stage')
    for name in TWO_STAGE:
        path = variant_config(two_stage, name)
        assert path.endswith(f'{name}.py')
    assert '/anchor_free_tad/' in variant_config(
        two_stage, 'anchor_free_tad_synthetic_full_gt')
    with pytest.raises(FileNotFoundError, match="'nope'.*two_stage.*"
                       'anchor_free_tad'):
        variant_config(two_stage, 'nope')

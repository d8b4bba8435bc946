"""Bad inputs of the analysis tools and the test API: each case ends with
one ``error:`` line naming the file / flag, or the right numbers; nothing
the user wrote is lost.

- ``diagnose_errors.py`` scores against the subset ``eval_detections.py``
  infers (the same function), mAP gains included; results spanning several
  subsets, or none, are refused by both;
- ``plot_curves.py`` / ``eval_detections.py --plot``: never over a
  ``scalars.json`` read, the format of the extension, a named file when
  a ``scalars.json`` is not text;
- ``postprocess_raw.py`` / ``tools/test.py``: outputs are never inputs; raw
  outputs of another model are named; the GT used is said;
- ``benchmark.py --threads`` >= 1.
"""
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO, run_tool

DIAG = 'analysis/diagnose_errors.py'
EVAL = 'analysis/eval_detections.py'
PLOT = 'analysis/plot_curves.py'
PP = 'analysis/postprocess_raw.py'
CLASSES = ['jump', 'run', 'swim']


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _last_line(run) -> str:
    return run.stderr.strip().splitlines()[-1]


def _write_results(path, detections):
    """``detections``: ``{video: [(label, start, end, score)]}``."""
    Path(path).write_text(json.dumps({'results': {
        v: [dict(label=lab, segment=[s, e], score=sc)
            for lab, s, e, sc in dets]
        for v, dets in detections.items()
    }}))
    return path


@pytest.fixture
def case(tmp_path):
    """GT: test videos v1 (jump [0, 10], run [20, 30]) and v2 (jump
    [0, 10]); val video v3 (jump, run, swim), which a detector of the test
    videos never sees.

    ``res.json`` on v1, v2 by score, with its type at tIoU 0.5:

    ====  ====  =========  ====  =================
    p1    v1    [0, 10]    jump  .90  TP
    p2    v1    [1, 10]    jump  .80  double
    p3    v1    [20, 30]   jump  .70  wrong label
    p4    v1    [0, 3]     jump  .60  localization
    p5    v1    [20, 23]   jump  .50  wrong label + loc.
    p6    v1    [40, 50]   run   .40  background
    p7    v2    [0, 10]    run   .35  wrong label
    p8    v2    [0, 10]    jump  .30  TP
    p9    v1    [20, 30]   run   .20  TP
    ====  ====  =========  ====  =================
    """
    gt = tmp_path / 'gt.json'
    gt.write_text(json.dumps({
        'activity_list': CLASSES,
        'database': {
            'v1': dict(subset='test', duration=60.0, annotations=[
                dict(segment=[0, 10], label='jump'),
                dict(segment=[20, 30], label='run')]),
            'v2': dict(subset='test', duration=60.0, annotations=[
                dict(segment=[0, 10], label='jump')]),
            'v3': dict(subset='val', duration=60.0, annotations=[
                dict(segment=[0, 10], label='jump'),
                dict(segment=[20, 30], label='run'),
                dict(segment=[40, 50], label='swim')]),
        }
    }))
    res = _write_results(tmp_path / 'res.json', {
        'v1': [('jump', 0, 10, .9), ('jump', 1, 10, .8),
               ('jump', 20, 30, .7), ('jump', 0, 3, .6),
               ('jump', 20, 23, .5), ('run', 40, 50, .4),
               ('run', 20, 30, .2)],
        'v2': [('run', 0, 10, .35), ('jump', 0, 10, .3)],
    })
    return dict(gt=gt, res=res, dir=tmp_path)


# ------------------------------------------------ diagnose_errors: subset
def test_diagnose_infers_the_subset_and_its_map_gains(case):
    from backtal_mmaction.evaluation.analysis.error_report import \
        diagnose_result_file
    logged = []
    res = diagnose_result_file(str(case['res']), str(case['gt']),
                               log=logged.append)
    assert res['subset'] == 'test'
    assert "Subset inferred from the results: 'test'" in logged[0]
    # 3 test GT (v3's 3 val GT would be counted as missed otherwise)
    assert (res['num_gt'], res['num_tp'], res['num_fp']) == (3, 3, 6)
    # By hand, all-point interpolated AP. jump (G=2): TP at rank 1 and 6
    # -> 1/2 * 1 + 1/2 * 2/6 = 2/3; run (G=1): TP at rank 3 -> 1/3; swim
    # has no test GT and is left out: mAP = 1/2.
    assert res['map'] == pytest.approx(0.5, abs=1e-12)
    # Removing each type: double (p2) -> jump TP at 1, 5: 0.7 -> mAP
    # (0.7 + 1/3) / 2; wrong label (p3, p7) -> jump 0.7, run TP at rank 2:
    # 1/2 -> 0.6; localization (p4) and confusion (p5) like double;
    # background (p6) -> run 1/2 -> (2/3 + 1/2) / 2.
    d = (0.7 + 1 / 3) / 2 - 0.5
    expected = [d, 0.6 - 0.5, d, d, (2 / 3 + 0.5) / 2 - 0.5]
    np.testing.assert_allclose(res['map_gain'], expected, atol=1e-12)

    run = run_tool(DIAG, [case['res'], case['gt']])
    assert run.exit_code == 0, run.stderr
    assert "--subset to override" in run.stdout
    assert "3 GT (subset 'test'), 3 true / 6 false positives" in run.stdout
    assert 'mAP@0.5 = 50.00%' in run.stdout
    assert '| Wrong label | 1 | 33.3 | 2 | +10.00 |' in run.stdout
    assert '| Background | 1 | 33.3 | 1 | +8.33 |' in run.stdout
    # the subset eval_detections infers: the same mAP@0.5
    ev = run_tool(EVAL, [case['res'], case['gt'], '--tiou', '0.5'])
    assert ev.exit_code == 0 and "subset 'test'" in ev.stdout
    assert '50.00' in ev.stdout


@pytest.mark.parametrize('tool', [DIAG, EVAL])
def test_results_over_several_subsets_are_refused(case, tool):
    mixed = _write_results(case['dir'] / 'mixed.json', {
        'v1': [('jump', 0, 10, .9)], 'v3': [('swim', 40, 50, .8)]})
    run = run_tool(tool, [mixed, case['gt']])
    assert run.exit_code == 1
    last = _last_line(run)
    assert last.startswith('error: the result videos belong to several '
                           'subsets')
    assert "1 in 'test'" in last and "1 in 'val'" in last
    assert 'pass --subset' in last
    # with --subset the results outside it are named
    run = run_tool(tool, [mixed, case['gt'], '--subset', 'test'])
    assert run.exit_code == 1 and "'v3'" in _last_line(run)


@pytest.mark.parametrize('tool', [DIAG, EVAL])
def test_empty_results_are_an_error(case, tool):
    empty = case['dir'] / 'empty.json'
    empty.write_text('{"results": {}}')
    run = run_tool(tool, [empty, case['gt']])
    assert run.exit_code == 1
    assert _last_line(run) == (
        f'error: {empty}: no videos in results (its "results" object is '
        'empty); nothing to evaluate')
    assert 'mAP' not in run.stdout  # no table of zeros before the error


def test_diagnose_out_dir_never_replaces_an_input(case):
    # the GT named like a report file of --out-dir
    gt = case['dir'] / 'fp_analysis.json'
    shutil.copy(case['gt'], gt)
    before = _digest(gt)
    run = run_tool(DIAG, [case['res'], gt, '--out-dir', case['dir']])
    assert run.exit_code == 1
    assert 'also an input' in _last_line(run) and '--out-dir' in _last_line(
        run)
    assert _digest(gt) == before
    assert not (case['dir'] / 'fp_analysis.md').exists()  # checked first


# ------------------------------------------- plot_curves / eval --plot
@pytest.fixture
def work_dir(tmp_path):
    """A work dir as MMEngine leaves it: <time>/vis_data/scalars.json."""
    scalars = tmp_path / 'wd' / '20260101_000000' / 'vis_data' / \
        'scalars.json'
    scalars.parent.mkdir(parents=True)
    scalars.write_text('{"loss": 1.0, "step": 1}\n{"loss": 0.5, "step": 2}\n'
                       '{"tal/mAP_avg": 10.0, "step": 1}\n')
    return dict(wd=tmp_path / 'wd', scalars=scalars, dir=tmp_path)


def test_plot_curves_never_writes_over_the_scalars_it_reads(work_dir):
    scalars = work_dir['scalars']
    before = _digest(scalars)
    run = run_tool(PLOT, [work_dir['wd'], '--out', scalars, '--overwrite'])
    assert run.exit_code == 1
    assert _last_line(run).startswith(f'error: --out {scalars} is also an '
                                      'input of this run')
    assert _digest(scalars) == before
    from backtal_mmaction.visualization.training_curves import \
        plot_training_curves
    with pytest.raises(ValueError, match='`out_file`.*also an input'):
        plot_training_curves([str(scalars)], str(scalars), overwrite=True)
    assert _digest(scalars) == before


def test_plot_curves_names_an_unreadable_scalars_file(work_dir):
    scalars = work_dir['scalars']
    scalars.write_bytes(b'\x89PNG\r\n\x1a\n\x00\x00')  # what the bug left
    run = run_tool(PLOT, [work_dir['wd'], '--out', work_dir['dir'] / 'c.png'])
    assert run.exit_code == 1
    last = _last_line(run)
    assert last.startswith(f'error: {scalars}: not UTF-8 text')
    assert 'Traceback' not in run.stderr


@pytest.mark.parametrize('name,magic', [('k.pdf', b'%PDF'),
                                        ('k.svg', b'<?xml'),
                                        ('k.PNG', b'\x89PNG'),
                                        ('k', b'\x89PNG')])
def test_plot_curves_saves_the_format_of_the_extension(work_dir, name,
                                                       magic):
    out = work_dir['dir'] / name
    run = run_tool(PLOT, [work_dir['wd'], '--out', out])
    assert run.exit_code == 0, run.stderr
    assert out.read_bytes().startswith(magic)


def test_plot_curves_bad_out(work_dir):
    run = run_tool(PLOT, [work_dir['wd'], '--out', work_dir['dir'] / 'k.txt'])
    assert run.exit_code == 1
    last = _last_line(run)
    assert '--out' in last and 'cannot write .txt' in last
    assert '.pdf' in last and '.png' in last and '.svg' in last
    assert not (work_dir['dir'] / 'k.txt').exists()
    run = run_tool(PLOT, [work_dir['wd'], '--out', work_dir['dir']])
    assert run.exit_code == 1
    assert _last_line(run) == (f"error: --out {work_dir['dir']} is a "
                               'directory; give a file name')


def test_eval_plot_format_and_bad_extension(case):
    out = case['dir'] / 'out.txt'
    run = run_tool(EVAL, [case['res'], case['gt'], '--plot', out])
    assert run.exit_code == 1
    assert '--plot' in _last_line(run) and '.txt' in _last_line(run)
    assert 'mAP' not in run.stdout  # refused before the evaluation
    svg = case['dir'] / 'map.svg'
    run = run_tool(EVAL, [case['res'], case['gt'], '--plot', svg])
    assert run.exit_code == 0, run.stderr
    assert svg.read_bytes().startswith(b'<?xml')
    # the GT is an input: never the chart, even with --overwrite
    before = _digest(case['gt'])
    run = run_tool(EVAL, [case['res'], case['gt'], '--plot', case['gt'],
                          '--overwrite'])
    assert run.exit_code == 1 and 'also an input' in _last_line(run)
    assert _digest(case['gt']) == before


def test_dump_results_refuses_an_input(case):
    from backtal_mmaction.evaluation.functional import \
        dump_activitynet_results
    pred = {'v1': dict(segments=[[0, 1]], labels=[0], scores=[0.5])}
    before = _digest(case['gt'])
    with pytest.raises(ValueError, match='also an input'):
        dump_activitynet_results(pred, CLASSES, str(case['gt']),
                                 overwrite=True, inputs=[str(case['gt'])])
    assert _digest(case['gt']) == before
    with pytest.raises(IsADirectoryError, match='is a directory'):
        dump_activitynet_results(pred, CLASSES, str(case['dir']))


# --------------------------------------------------------- benchmark
@pytest.mark.parametrize('threads', ['0', '-3'])
def test_benchmark_threads_must_be_positive(threads):
    run = run_tool('analysis/benchmark.py', ['--quick', '--threads', threads,
                                             '--parts', 'conv'])
    assert run.exit_code == 2
    assert _last_line(run).endswith(
        f'error: --threads must be >= 1, got {threads}')


# ------------------------------------------- postprocess_raw / test.py
@pytest.fixture
def raw_copy(test_run, tmp_path):
    """A copy of the test run's raw outputs (the session's stay intact)."""
    raw = tmp_path / 'raw'
    shutil.copytree(test_run['raw'], raw)
    return raw


def test_postprocess_raw_outputs_are_never_inputs(test_run, raw_copy):
    meta = raw_copy / 'raw_outputs_meta.json'
    npz = sorted(raw_copy.glob('*.npz'))[0]
    gt = Path(test_run['data']) / 'gt.json'
    for out, extra in ((meta, []), (npz, []),
                       (test_run['cfg_file'], []),
                       (gt, ['--gt', gt, '--subset', 'test'])):
        before = _digest(out)
        run = run_tool(PP, [test_run['cfg_file'], raw_copy, '--out-json', out,
                            '--overwrite', *extra])
        assert run.exit_code == 1, out
        assert _last_line(run).startswith(
            f'error: --out-json {out} is also an input of this run'), out
        assert 'post-processed' not in run.stdout  # checked first
        assert _digest(out) == before


def test_postprocess_raw_of_another_model(test_run, raw_copy):
    af_cfg = str(REPO / 'configs' / 'anchor_free_tad' /
                 'anchor_free_tad_synthetic_full_gt.py')
    run = run_tool(PP, [af_cfg, raw_copy])
    assert run.exit_code == 1
    last = _last_line(run)
    assert f'error: {raw_copy} holds raw outputs of a model post-processed ' \
        'by BackTALPostProcessor' in last
    assert 'AnchorFreeTAD post-processes with AnchorFreePostProcessor' in last
    assert 'Traceback' not in run.stderr
    # without the meta file, the arrays of the raw files tell
    (raw_copy / 'raw_outputs_meta.json').unlink()
    run = run_tool(PP, [af_cfg, raw_copy, '--gt', Path(test_run['data']) /
                        'gt.json', '--subset', 'test'])
    assert run.exit_code == 1
    last = _last_line(run)
    assert 'cas_supp' in last and 'video_scores_supp' in last
    assert 'AnchorFreePostProcessor' in last


def test_postprocess_raw_says_which_gt(test_run):
    run = run_tool(PP, [test_run['cfg_file'], test_run['raw'],
                        '--no-per-class'])
    assert run.exit_code == 0, run.stderr
    line = next(ln for ln in run.stdout.splitlines()
                if ln.startswith('GT: '))
    assert line.startswith(f"GT: the segments saved with each video in "
                           f"{test_run['raw']}")
    assert 'names no ann_file' in line and 'Pass --gt FILE' in line
    gt = Path(test_run['data']) / 'gt.json'
    run = run_tool(PP, [test_run['cfg_file'], test_run['raw'], '--gt', gt,
                        '--subset', 'test', '--no-per-class'])
    assert run.exit_code == 0, run.stderr
    assert f"GT: {gt} (subset 'test'), given as --gt" in run.stdout


def test_test_outputs_are_never_inputs(trained, tmp_path):
    gt = Path(trained['data']) / 'gt.json'
    for flag, out in (('--out-json', gt), ('--out-json', trained['cfg_file']),
                      ('--dump', trained['ckpt'])):
        before = _digest(out)
        run = run_tool('test.py', [trained['cfg_file'], trained['ckpt'],
                                   '--work-dir', tmp_path / 'wd', flag, out,
                                   '--overwrite'])
        assert run.exit_code == 1, (flag, out)
        assert _last_line(run).startswith(
            f'error: {flag} {out} is also an input of this run'), run.stderr
        assert _digest(out) == before
    from mmengine.config import Config

    from backtal_mmaction.apis.test import files_read_by_test
    cfg = Config.fromfile(trained['cfg_file'])
    files = [Path(f).resolve() for f in files_read_by_test(
        cfg, trained['cfg_file'], trained['ckpt'])]
    for path in (trained['cfg_file'], trained['ckpt'], gt):
        assert Path(path).resolve() in files, path

"""Bad input to the pseudo-label tool and the two-stage pipeline: each ends
with one ``error:`` line naming the flag / file / setting, before anything
is computed or overwritten (instance seeds without action clicks, a model
that detects nothing, a work dir of another run, negative rounds, a
damaged work-dir file, a work dir that is a file, a stage-1 path of an
inherited config, out-of-range rules, an output that is an input)."""
import json
import shutil

import pytest
from mmengine.config import Config

from tests.helpers import REPO, retargeted_cfg, run_tool, shrink_cfg, \
    synthetic_cfg

PIPELINE = 'configs/two_stage/backtal_then_anchor_free_synthetic.py'


def _error(run) -> str:
    """The tool's last stderr line, which must be its one ``error:``."""
    assert run.exit_code == 1, (run.stdout[-2000:], run.stderr[-2000:])
    assert run.exception is None, run.stderr[-2000:]
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith('error: '), run.stderr[-2000:]
    return last


def _snapshot(folder) -> dict:
    """``{relative path: bytes}`` of every file under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob('*')) if p.is_file()}


def _tiny_pipeline(data_root, folder, stage2_epochs=1):
    """A pipeline config file in ``folder`` on the tiny benchmark (stage 1:
    1 epoch, every class kept; stage 2: ``stage2_epochs``), and its
    stage-1 config file beside it (referenced by a relative path)."""
    folder.mkdir(parents=True, exist_ok=True)
    stage1 = synthetic_cfg(data_root, epochs=1, validate=False)
    stage1.model.post_processor.class_threshold = 0.0
    stage1.dump(str(folder / 'stage1.py'))
    cfg = retargeted_cfg(data_root, PIPELINE)
    shrink_cfg(cfg, num_classes=3, epochs=stage2_epochs)
    cfg.two_stage.stage1 = 'stage1.py'
    path = folder / f'pipeline_e{stage2_epochs}.py'
    cfg.dump(str(path))
    return path


@pytest.fixture(scope='module')
def finished(tiny_synthetic, tmp_path_factory):
    """A finished seed-0 pipeline (round 0, no test): its config file and
    a pristine work dir to copy."""
    from backtal_mmaction.workflows import run_two_stage
    root = tmp_path_factory.mktemp('two_stage_bad')
    config = _tiny_pipeline(tiny_synthetic, root / 'cfg')
    work = root / 'work'
    run_two_stage(Config.fromfile(str(config)), str(work), seed=0, rounds=0,
                  test=False, log=lambda msg: None)
    assert (work / 'stage2_round0' / 'epoch_1.pth').is_file()
    return dict(root=root, config=config, work=work, data=tiny_synthetic)


def _copy(finished, tmp_path):
    work = tmp_path / 'work'
    shutil.copytree(finished['work'], work)
    return work


# 1. --instance-seeds while the labelling reads no action clicks
def test_instance_seeds_without_action_clicks_is_an_error(trained, tmp_path):
    out = tmp_path / 'pl.json'
    run = run_tool('pseudo_labels.py', [trained['cfg_file'], trained['ckpt'],
                                        '--out', out, '--instance-seeds'])
    assert _error(run) == (
        "error: --instance-seeds needs action clicks; the labelling reads "
        "['background'] (add --label-click-types background action)")
    assert not out.exists()
    # with both kinds read it seeds one segment per action click
    run = run_tool('pseudo_labels.py', [
        trained['cfg_file'], trained['ckpt'], '--out', out,
        '--instance-seeds', '--label-click-types', 'background', 'action'])
    assert run.exit_code == 0, run.stderr[-2000:]
    assert json.loads(out.read_text())['pseudo_labels'][
        'click_seeded_segments'] > 0


def test_instance_seeds_without_action_clicks_in_library_and_pipeline(
        finished, tmp_path):
    from backtal_mmaction.pseudo_labels import (PseudoLabelRules,
                                                build_pseudo_gt)
    from backtal_mmaction.workflows import run_two_stage
    video = dict(name='v', subset='train', duration=10.0, fps=None,
                 video_labels=[0],
                 detections=dict(segments=[[1, 2]], scores=[1.0],
                                 labels=[0]),
                 click_times=[5.0], click_labels=[1])  # background only
    with pytest.raises(ValueError,
                       match='`instance_seeds` needs action clicks, but '
                       'none of the 1 labelled videos has one'):
        build_pseudo_gt([video], ['a'], PseudoLabelRules(instance_seeds=True))
    cfg = Config.fromfile(str(finished['config']))
    cfg.two_stage.label_clicks = dict(click_types=('background', ))
    work = tmp_path / 'work'
    with pytest.raises(ValueError, match=r"needs action clicks; the "
                       r"labelling reads \['background'\] \(set "
                       r"two_stage.label_clicks"):
        run_two_stage(cfg, str(work), seed=0, test=False, log=print)
    assert not work.exists()  # refused before stage 1 trained


# 2. a labelling model that detects nothing
def test_model_without_detections_is_an_error(trained, tmp_path):
    out = tmp_path / 'pl.json'
    run = run_tool('pseudo_labels.py', [
        trained['cfg_file'], trained['ckpt'], '--out', out, '--cfg-options',
        'model.post_processor.class_threshold=1.0'])
    assert _error(run) == (
        f"error: the model ({trained['ckpt']}) made no detections on any "
        "of the 8 training videos: nothing to train stage 2 on (trained "
        "too briefly, or a post-processing threshold that keeps nothing?)")
    assert 'nan' not in run.stdout + run.stderr
    assert not out.exists()


def test_mistyped_cfg_options_key_is_refused(trained, tmp_path):
    """pseudo_labels.py checks --cfg-options keys as every other tool does:
    a mistyped key was merged as a new setting and silently ignored (the
    labelling ran with the config's nms_thr)."""
    out = tmp_path / 'pl.json'
    run = run_tool('pseudo_labels.py', [
        trained['cfg_file'], trained['ckpt'], '--out', out, '--cfg-options',
        'model.post_processor.nms_thres=0.9'])
    assert run.exit_code == 1 and run.exception is None, run.stderr[-2000:]
    assert "'model.post_processor.nms_thres': model.post_processor " \
        "(type='BackTALPostProcessor') has no key 'nms_thres'; did you " \
        "mean 'model.post_processor.nms_thr'" in run.stderr
    assert '--cfg-options-allow-new' in run.stderr
    assert not out.exists()
    # adding a setting on purpose
    run = run_tool('pseudo_labels.py', [
        trained['cfg_file'], trained['ckpt'], '--out', out, '--cfg-options',
        'custom_note=1', '--cfg-options-allow-new'])
    assert run.exit_code == 0, run.stderr[-2000:]
    assert out.is_file()


def test_records_without_pseudo_segments_name_the_model(tiny_synthetic):
    from backtal_mmaction.pseudo_labels import PseudoLabelRules
    from backtal_mmaction.workflows.pseudo_gt import (
        log_pseudo_label_quality, pseudo_gt_from_records)

    def record(labels):
        return dict(name='video_train_0000000', subset='train',
                    duration=12.0, fps=None, video_labels=[0],
                    detections=dict(segments=[[1, 2]] * len(labels),
                                    scores=[1.0] * len(labels),
                                    labels=labels),
                    click_times=[], click_labels=[])

    with pytest.raises(ValueError, match=r'^the stage-1 model \(s1.pth\) '
                       'made no detections on any of the 2 training videos: '
                       'nothing to train stage 2 on'):
        pseudo_gt_from_records([record([]), record([])], ['a', 'b'],
                               PseudoLabelRules(),
                               'the stage-1 model (s1.pth)')
    # detections of a class the video label lacks only
    with pytest.raises(ValueError, match='made 1 detections on the 1 '
                       'training videos but the pseudo-label rules kept '
                       'none'):
        pseudo_gt_from_records([record([1])], ['a', 'b'],
                               PseudoLabelRules(), 'the model (m.pth)')
    # an empty pseudo-GT against a GT with segments: no "nan %" line
    lines = []
    empty = dict(database={'video_train_0000000': dict(
        subset='train', duration=12.0, annotations=[])})
    log_pseudo_label_quality(empty, dict(ann_file=str(
        tiny_synthetic / 'gt.json'), subset='train'), lines.append)
    assert len(lines) == 1 and lines[0].startswith(
        'pseudo-labels vs GT: no segments / ')
    assert 'nan' not in lines[0]


# 3. a work dir made by a run with another seed / config
def test_work_dir_of_another_run_is_refused(finished, tmp_path):
    from backtal_mmaction.workflows import run_two_stage
    work = _copy(finished, tmp_path)
    before = _snapshot(work)
    run = run_tool('two_stage.py', [finished['config'], '--work-dir', work,
                                    '--seed', '5', '--no-test'])
    assert _error(run) == (
        f'error: --work-dir {work} holds a two-stage run with other '
        'settings (seed 0 there, 5 now): skipping its finished steps would '
        "report its models as this run's. Use a new --work-dir (or delete "
        f'{work} to start over)')
    assert _snapshot(work) == before
    # another stage-2 recipe (2 epochs), same seed: named setting
    other = _tiny_pipeline(finished['data'], tmp_path / 'cfg2',
                           stage2_epochs=2)
    with pytest.raises(ValueError, match=r'the stage-2 config: '
                       r"train_cfg.max_epochs: 1 there, 2 now\)"):
        run_two_stage(Config.fromfile(str(other)), str(work), seed=0,
                      test=False, log=print)
    assert _snapshot(work) == before
    # the same settings: every step skipped, nothing retrained; more
    # rounds continue the pipeline
    logs = []
    again = run_two_stage(Config.fromfile(str(finished['config'])),
                          str(work), seed=0, test=False, log=logs.append)
    assert sum(line.startswith('skip:') for line in logs) == 3
    assert again['checkpoints']['stage1'] == str(
        work / 'stage1' / 'epoch_1.pth')
    for f in ('stage1/epoch_1.pth', 'stage2_round0/epoch_1.pth',
              'pseudo_gt_round0.json', 'two_stage_run.json'):
        assert (work / f).read_bytes() == before[f], f
    run_two_stage(Config.fromfile(str(finished['config'])), str(work),
                  seed=0, rounds=1, test=False, log=lambda msg: None)
    assert (work / 'stage2_round1' / 'epoch_1.pth').is_file()


def test_stage2_load_from_is_a_setting_of_the_run(finished, tmp_path):
    """Stage 2 fine-tuned from a checkpoint is another model: a run in the
    same work dir with another (or a new) ``load_from`` is refused by
    name, while an unset one reads as the recorded run's."""
    from backtal_mmaction.workflows import run_two_stage
    from backtal_mmaction.workflows.two_stage import config_fingerprint
    work = _copy(finished, tmp_path)
    before = _snapshot(work)
    cfg = Config.fromfile(str(finished['config']))
    assert cfg.get('load_from') is None
    plain = config_fingerprint(cfg)
    cfg.load_from = None
    assert config_fingerprint(cfg) == plain
    cfg.load_from = str(work / 'stage2_round0' / 'epoch_1.pth')
    assert config_fingerprint(cfg) != plain
    with pytest.raises(ValueError, match=r'the stage-2 config: load_from: '
                       r"None there, '.*epoch_1.pth' now\)"):
        run_two_stage(cfg, str(work), seed=0, test=False, log=print)
    assert _snapshot(work) == before


# 4. --rounds < 0
def test_negative_rounds_is_refused_before_anything_runs(finished,
                                                         tmp_path):
    work = _copy(finished, tmp_path)
    before = _snapshot(work)
    run = run_tool('two_stage.py', [finished['config'], '--work-dir', work,
                                    '--rounds', '-1', '--no-test'])
    assert _error(run) == 'error: --rounds must be an integer >= 0, got -1'
    assert _snapshot(work) == before


# 5. a damaged work-dir file; a work dir that is a file
def test_damaged_pseudo_gt_is_named(finished, tmp_path):
    work = _copy(finished, tmp_path)
    pseudo = work / 'pseudo_gt_round0.json'
    pseudo.write_bytes(pseudo.read_bytes()[:1000])
    run = run_tool('two_stage.py', [finished['config'], '--work-dir', work,
                                    '--seed', '0', '--no-test'])
    last = _error(run)
    assert last.startswith(f'error: {pseudo}: not a readable JSON file (')
    assert last.endswith('delete it to have it remade')


def test_work_dir_that_is_a_file(finished, tmp_path):
    afile = tmp_path / 'afile'
    afile.write_text('mine')
    run = run_tool('two_stage.py', [finished['config'], '--work-dir', afile,
                                    '--no-test'])
    assert _error(run).startswith(f'error: --work-dir {afile} is a file; '
                                  'give a folder')
    assert afile.read_text() == 'mine'


# 6. a relative stage-1 path is read from the file that sets it
def test_stage1_path_of_an_inherited_config(tmp_path):
    from backtal_mmaction.workflows.two_stage import stage1_config_path
    shipped = REPO / 'configs/two_stage/weak_then_anchor_free_synthetic.py'
    user = tmp_path / 'mine' / 'user.py'
    user.parent.mkdir()
    user.write_text(f'_base_ = {str(shipped)!r}\n')
    assert stage1_config_path(Config.fromfile(str(user))) == str(
        REPO / 'configs/ablation/synthetic/1_weak.py')
    # the defining file's folder wins over the child's, where both have
    # a file of that name
    base_dir, child_dir = tmp_path / 'base', tmp_path / 'child'
    base_dir.mkdir()
    child_dir.mkdir()
    (base_dir / 's1.py').write_text('x = 1\n')
    (child_dir / 's1.py').write_text('x = 2\n')
    (base_dir / 'pipe.py').write_text("two_stage = dict(stage1='s1.py')\n")
    (child_dir / 'user.py').write_text("_base_ = '../base/pipe.py'\n")
    assert stage1_config_path(Config.fromfile(
        str(child_dir / 'user.py'))) == str(base_dir / 's1.py')
    # not found: every path tried is listed
    (child_dir / 'bad.py').write_text(
        "_base_ = '../base/pipe.py'\ntwo_stage = dict(stage1='none.py')\n")
    run = run_tool('two_stage.py', [child_dir / 'bad.py', '--work-dir',
                                    tmp_path / 'w', '--no-test'])
    assert _error(run) == (
        f"error: {child_dir / 'bad.py'}: two_stage.stage1 config not found: "
        "'none.py' (a relative path is read from the folder of the config "
        f"file that sets it); tried {child_dir / 'none.py'}")
    assert not (tmp_path / 'w').exists()


# 7. rules out of range, named as the flag
@pytest.mark.parametrize('flag,value,message', [
    ('--nms-thr', '2', '--nms-thr must be in [0, 1], got 2.0'),
    ('--rel-score-thr', '-0.1', '--rel-score-thr must be in [0, 1], got '
     '-0.1'),
    ('--min-length', 'nan', '--min-length must be a finite number, got nan'),
    ('--click-segment-length', '0', '--click-segment-length must be > 0, '
     'got 0.0'),
])
def test_rule_flags_out_of_range(flag, value, message, tmp_path):
    out = tmp_path / 'pl.json'
    run = run_tool('pseudo_labels.py', ['c.py', 'k.pth', '--out', out, flag,
                                        value])
    assert _error(run) == f'error: PseudoLabelRules: {message}'
    assert not out.exists()


def test_pipeline_rules_are_named_as_settings(finished, tmp_path):
    from backtal_mmaction.workflows import run_two_stage
    cfg = Config.fromfile(str(finished['config']))
    cfg.two_stage.pseudo_labels = dict(nms_thr=2)
    with pytest.raises(ValueError, match=r'^two_stage.pseudo_labels: '
                       r'PseudoLabelRules: `nms_thr` must be in \[0, 1\]'):
        run_two_stage(cfg, str(tmp_path / 'w'), test=False, log=print)
    cfg.two_stage.pseudo_labels = dict(nms=0.5)
    with pytest.raises(ValueError, match=r"^two_stage.pseudo_labels: "
                       r"unknown PseudoLabelRules setting\(s\) \['nms'\]"):
        run_two_stage(cfg, str(tmp_path / 'w'), test=False, log=print)
    assert not (tmp_path / 'w').exists()


# 8. no output may be one of the run's inputs, even with --overwrite
def test_pseudo_gt_never_replaces_an_input(trained, tmp_path):
    data = trained['data']
    for victim in (data / 'gt.json', data / 'clicks.json',
                   trained['cfg_file'], trained['ckpt']):
        before = open(victim, 'rb').read()
        run = run_tool('pseudo_labels.py', [
            trained['cfg_file'], trained['ckpt'], '--out', victim,
            '--overwrite'])
        assert _error(run).startswith(f'error: --out {victim} is also an '
                                      'input of this run')
        assert open(victim, 'rb').read() == before


def test_pipeline_output_never_replaces_an_input(finished, tmp_path):
    from backtal_mmaction.workflows import run_two_stage
    work = tmp_path / 'work'
    work.mkdir()
    # stage 1 trains on a GT file that the pipeline would write over
    gt = work / 'pseudo_gt_round0.json'
    shutil.copy(finished['data'] / 'gt.json', gt)
    before = gt.read_bytes()
    stage1 = Config.fromfile(str(finished['config'].parent / 'stage1.py'))
    stage1.train_dataloader.dataset.ann_file = str(gt)
    with pytest.raises(ValueError, match=r'^the pipeline output \(in '
                       r'`work_dir`\) .*pseudo_gt_round0.json is also an '
                       r'input of this run'):
        run_two_stage(Config.fromfile(str(finished['config'])), str(work),
                      test=False, stage1=stage1, log=print)
    assert gt.read_bytes() == before
    assert sorted(p.name for p in work.iterdir()) == ['pseudo_gt_round0.json']


def test_cfg_options_shorten_both_stages_and_enter_the_run_record(
        tiny_synthetic, tmp_path):
    """``--cfg-options`` / ``--stage1-cfg-options`` reach the pipeline
    config and the stage-1 config (a smoke run shortened from the command
    line: no wrapper config needed); they are part of the run's identity,
    so a rerun without them is refused; a mistyped key stops before
    anything runs, naming it."""
    config = _tiny_pipeline(tiny_synthetic, tmp_path / 'cfg',
                            stage2_epochs=2)
    work = tmp_path / 'work'
    bad = run_tool('two_stage.py', [config, '--work-dir', work, '--no-test',
                                    '--stage1-cfg-options',
                                    'train_cfg.max_epoch=1'])
    assert "'train_cfg.max_epoch'" in _error(bad)
    assert not work.exists()
    run = run_tool('two_stage.py', [
        config, '--work-dir', work, '--no-test', '--cfg-options',
        'train_cfg.max_epochs=1', '--stage1-cfg-options',
        'model.post_processor.max_detections=50'])
    assert run.exit_code == 0, run.stderr[-2000:]
    assert (work / 'stage2_round0' / 'epoch_1.pth').is_file()
    assert not (work / 'stage2_round0' / 'epoch_2.pth').exists()
    record = json.loads((work / 'two_stage_run.json').read_text())
    assert 'train_cfg.max_epochs' not in json.dumps(record)  # fingerprints
    again = run_tool('two_stage.py', [config, '--work-dir', work,
                                      '--no-test'])
    assert 'train_cfg.max_epochs: 1 there, 2 now' in _error(again)

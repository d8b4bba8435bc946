"""The two-stage pipeline end to end on the tiny synthetic benchmark:
stage 1 -> pseudo-GT -> stage 2 -> a self-training round -> test, resumed
by skipping finished steps."""
import json

from tests.helpers import retargeted_cfg, shrink_cfg, synthetic_cfg

PIPELINE = 'configs/two_stage/backtal_then_anchor_free_synthetic.py'


def _tiny_pipeline(data_root, tmp_path):
    stage1 = synthetic_cfg(data_root, epochs=2)
    stage1_file = tmp_path / 'stage1.py'
    stage1.dump(str(stage1_file))
    cfg = retargeted_cfg(data_root, PIPELINE)
    cfg.two_stage.stage1 = str(stage1_file)
    # stage 2's RandomCropSnippets window (longer than any video) is kept
    return shrink_cfg(cfg, num_classes=3, epochs=2)


def test_pipeline_runs_resumes_and_checks_pseudo_labels(tiny_synthetic,
                                                        tmp_path):
    from backtal_mmaction.workflows import run_two_stage
    from backtal_mmaction.datasets.clicks import (heldout_videos,
                                                  load_click_file)
    cfg = _tiny_pipeline(tiny_synthetic, tmp_path)
    work = tmp_path / 'work'
    logs = []
    result = run_two_stage(cfg, str(work), seed=0, rounds=1,
                           log=logs.append)
    for f in ('stage1/epoch_2.pth', 'pseudo_gt_round0.json',
              'stage2_round0/epoch_2.pth', 'pseudo_gt_round1.json',
              'stage2_round1/epoch_2.pth', 'metrics.json'):
        assert (work / f).is_file(), f
    metrics = result['metrics']
    assert set(metrics) == {'stage1', 'stage2_round0', 'stage2_round1',
                            'final'}
    assert all(0 <= m['tal/mAP_avg'] <= 100 for m in metrics.values())
    # the pseudo-GT: training videos only, classes of the video label, no
    # segment containing one of the video's background clicks
    real = json.loads((tiny_synthetic / 'gt.json').read_text())['database']
    clicks = load_click_file(tiny_synthetic / 'clicks.json')
    pseudo = json.loads((work / 'pseudo_gt_round0.json').read_text())
    train = {v for v, e in real.items() if e['subset'] == 'train'}
    assert set(pseudo['database']) == train
    # the click check held out the clicks of ~20 % of the training videos
    held = heldout_videos(train, 0.2, 0)
    assert 0 < len(held) < len(train)
    n = seeded = 0
    for video, entry in pseudo['database'].items():
        labels = {a['label'] for a in real[video]['annotations']}
        bg = [c['time'] for c in clicks.get(video, [])
              if c['type'] == 'background' and c['annotator'] == 'A1']
        act = [c['time'] for c in clicks.get(video, [])
               if c['type'] == 'action']
        for a in entry['annotations']:
            s, e = a['segment']
            assert a['label'] in labels
            if video not in held:
                # background clicks are walls, action clicks seeds
                assert not any(s < t < e for t in bg), (video, a, bg)
                seeded += any(s <= t <= e for t in act)
            assert 0 < a['score'] <= 1
            n += 1
    assert n > 0 and seeded > 0
    # every model was scored on the held-out clicks, the final is one of
    # them and its test metrics are that model's
    selection = json.loads((work / 'selection.json').read_text())
    assert selection['heldout_videos'] == sorted(
        v for v in held if clicks.get(v))
    assert set(selection['click_scores']) == {'stage1', 'stage2_round0',
                                              'stage2_round1'}
    assert metrics['final'] == metrics[selection['final']]
    # run again: every step is skipped and nothing is retrained
    mtime = (work / 'stage2_round1/epoch_2.pth').stat().st_mtime_ns
    logs.clear()
    again = run_two_stage(cfg, str(work), seed=0, rounds=1, test=False,
                          log=logs.append)
    assert sum(line.startswith('skip:') for line in logs) == 5
    assert (work / 'stage2_round1/epoch_2.pth').stat().st_mtime_ns == mtime
    assert again['checkpoints'] == result['checkpoints']
    # the pseudo-label tool's function on the trained stage 1: one segment
    # per action click with --instance-seeds, and its quality logged
    from backtal_mmaction.pseudo_labels import PseudoLabelRules
    from backtal_mmaction.workflows import write_pseudo_gt
    lines = []
    gt = write_pseudo_gt(str(tmp_path / 'stage1.py'),
                         result['checkpoints']['stage1'],
                         str(tmp_path / 'seeded.json'),
                         rules=PseudoLabelRules(instance_seeds=True),
                         label_click_types=['background', 'action'],
                         log=lines.append)
    n_action = sum(c['type'] == 'action' for v in train
                   for c in clicks.get(v, []))
    assert gt['pseudo_labels']['click_seeded_segments'] == n_action > 0
    assert lines[-1].startswith('pseudo-labels vs GT: ')
    assert 'recall 0.3/0.5/0.7' in lines[-1]


def test_write_pseudo_gt_refuses_to_overwrite(tiny_synthetic, tmp_path):
    import pytest

    from backtal_mmaction.workflows import write_pseudo_gt
    out = tmp_path / 'pseudo.json'
    out.write_text('{"mine": 1}')
    with pytest.raises(FileExistsError, match='exists'):
        write_pseudo_gt('cfg.py', 'ckpt.pth', str(out))
    assert json.loads(out.read_text()) == {'mine': 1}
    with pytest.raises(FileNotFoundError, match='config not found'):
        write_pseudo_gt(str(tmp_path / 'no.py'), 'ckpt.pth',
                        str(tmp_path / 'new.json'))


def test_two_stage_config_checks_and_table(tmp_path):
    import pytest

    from backtal_mmaction.workflows import run_two_stage_config
    from backtal_mmaction.workflows.two_stage import format_stage_metrics
    with pytest.raises(FileNotFoundError, match='config not found'):
        run_two_stage_config(str(tmp_path / 'no.py'))
    plain = tmp_path / 'plain.py'
    plain.write_text('model = dict()\n')
    with pytest.raises(ValueError, match='no `two_stage` settings'):
        run_two_stage_config(str(plain))
    table = format_stage_metrics({
        'stage1': {'tal/mAP@0.10': 50.0, 'tal/mAP_avg': 30.125},
        'stage2_round0': {}})
    assert table.splitlines() == [
        '| model | mAP@0.10 | mAP@0.30 | mAP@0.50 | mAP@0.70 | mAP_avg |',
        '|---|---|---|---|---|---|',
        '| stage1 | 50.00 | - | - | - | 30.12 |',
        '| stage2_round0 | - | - | - | - | - |']

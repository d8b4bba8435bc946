"""postprocess_raw re-decodes any detector's raw outputs: AnchorFreeTAD's
``cls_logits`` / ``distances`` / ``points`` give exactly the test run's
detections and mAP (float64, as its ``predict`` stores them), other
settings give what decoding the same outputs online gives, and raw outputs
of another shape or detector are refused naming the video."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from backtal_mmaction.apis import postprocess_raw_outputs, test_localizer
from backtal_mmaction.engine.hooks.raw_outputs import load_raw_record
from backtal_mmaction.models.postprocessing import (AnchorFreePostProcessor,
                                                    BackTALPostProcessor)
from tests.helpers import build_runner, synthetic_cfg
from tests.helpers.tool_runner import run_tool

CONFIG = 'configs/anchor_free_tad/anchor_free_tad_synthetic_full_gt.py'
KEYS = [f'tal/mAP@{t:.2f}' for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]


@pytest.fixture(scope='module')
def af_run(tiny_synthetic, tmp_path_factory):
    """A tiny AnchorFreeTAD trained 20 epochs, tested with --save-raw."""
    root = tmp_path_factory.mktemp('af_raw')
    cfg = synthetic_cfg(tiny_synthetic, config=CONFIG, work_dir=root / 'wd',
                        epochs=20, validate=False)
    cfg_file = root / 'af_cfg.py'
    cfg.dump(str(cfg_file))
    build_runner(cfg).train()
    raw = root / 'raw'
    metrics = test_localizer(str(cfg_file), str(root / 'wd' / 'epoch_20.pth'),
                             work_dir=str(root / 'test_wd'),
                             save_raw=str(raw))
    return dict(cfg_file=str(cfg_file), raw=raw, metrics=metrics,
                data=tiny_synthetic)


def test_raw_files_hold_what_the_post_processor_reads(af_run):
    meta = json.loads((af_run['raw'] / 'raw_outputs_meta.json').read_text())
    assert meta['model'] == 'AnchorFreeTAD'
    rec = load_raw_record(str(sorted(af_run['raw'].glob('*.npz'))[0]))
    logits, dists, points = (rec[k] for k in AnchorFreePostProcessor.raw_keys)
    P = logits.shape[1]
    assert logits.shape[0] == 3 and dists.shape == (2, P)
    assert points.shape == (P, 3)
    # level 0 first, one point per input snippet
    T = int((points[:, 2] == 0).sum())
    assert np.array_equal(points[:T, 0], np.arange(T) + 0.5)


def test_reproduces_the_test_run_exactly(af_run):
    result = postprocess_raw_outputs(af_run['cfg_file'], str(af_run['raw']),
                                     log=lambda _: None)
    metrics = af_run['metrics']
    assert metrics['tal/mAP_avg'] > 0  # a non-trivial comparison
    assert [float(100 * v) for v in result['mAP']] == [metrics[k]
                                                       for k in KEYS]
    # detections equal those the test run stored beside the raw outputs,
    # bit for bit and in float64 (AnchorFreeTAD.pred_dtype)
    for f in sorted(af_run['raw'].glob('*.npz')):
        rec = load_raw_record(str(f))
        det = result['predictions'][rec['video_name']]
        assert det['scores'].dtype == np.float64
        assert np.array_equal(det['segments'], rec['pred_segments'])
        assert np.array_equal(det['scores'], rec['pred_scores'])
        assert np.array_equal(det['labels'], rec['pred_labels'])


def test_other_settings_decode_as_the_online_call(af_run):
    """Hard NMS from the raw arrays = the post-processor called on the
    tensors, T given as the input length (an independent decode)."""
    nms = dict(type='hard', iou_thr=0.3)
    # the command line's way to replace the config's Matrix NMS dict whole
    options = {'model.post_processor.nms._delete_': True,
               'model.post_processor.nms.type': 'hard',
               'model.post_processor.nms.iou_thr': 0.3}
    result = postprocess_raw_outputs(
        af_run['cfg_file'], str(af_run['raw']), cfg_options=options,
        log=lambda _: None)
    pp = AnchorFreePostProcessor(nms=nms, max_per_video=200,
                                 video_fusion=dict(topk_ratio=0.125))
    changed = 0
    for f in sorted(af_run['raw'].glob('*.npz')):
        rec = load_raw_record(str(f))
        T = int(rec['num_snippets'])  # the input length the loader saw
        want = pp(torch.from_numpy(rec['cls_logits']),
                  torch.from_numpy(rec['distances']),
                  torch.from_numpy(rec['points']), T, rec['duration'])
        got = result['predictions'][rec['video_name']]
        assert np.array_equal(got['segments'], want['segments'])
        assert np.array_equal(got['scores'], want['scores'])
        changed += len(got['scores']) != len(rec['pred_scores'])
    assert changed  # hard NMS removes what Matrix NMS only decays


def test_refuses_raw_outputs_it_cannot_read(af_run, test_run, tmp_path):
    # BackTAL's raw outputs with the AnchorFreeTAD config, and back
    with pytest.raises(ValueError) as e:
        postprocess_raw_outputs(af_run['cfg_file'], test_run['raw'])
    msg = str(e.value)
    assert 'post-processed by BackTALPostProcessor (BackTAL' in msg
    assert 'reads cls_logits, distances, points' in msg
    with pytest.raises(ValueError) as e:
        postprocess_raw_outputs(test_run['cfg_file'], str(af_run['raw']))
    msg = str(e.value)
    assert 'post-processed by AnchorFreePostProcessor (AnchorFreeTAD' in msg
    assert 'missing: cas_supp, video_scores_supp' in msg

    # a raw file whose distances do not match its logits names the video
    raw = tmp_path / 'raw'
    shutil.copytree(af_run['raw'], raw)
    f = sorted(raw.glob('*.npz'))[1]
    rec = dict(np.load(f))
    rec['distances'] = rec['distances'][:, :-1]
    np.savez(f, **rec)
    name = str(rec['video_name'])
    with pytest.raises(ValueError,
                       match=rf"video '{name}': raw distances has shape"):
        postprocess_raw_outputs(af_run['cfg_file'], str(raw))


def test_from_raw_checks(af_run):
    rec = load_raw_record(str(sorted(af_run['raw'].glob('*.npz'))[0]))
    pp = AnchorFreePostProcessor()
    with pytest.raises(ValueError, match=r'expected \(5, P\) for 5 classes'):
        pp.from_raw(rec, num_classes=5)
    with pytest.raises(ValueError, match='lack cas_supp, video_scores_supp, '
                       'which BackTALPostProcessor reads'):
        BackTALPostProcessor().from_raw(rec)
    no_duration = dict(rec, duration=None)
    with pytest.raises(ValueError, match='lack `duration`, which '
                       'AnchorFreePostProcessor needs'):
        pp.from_raw(no_duration)
    shuffled = dict(rec, points=rec['points'][::-1].copy())
    with pytest.raises(ValueError, match='do not start with the level-0'):
        pp.from_raw(shuffled)


def test_the_tool_switches_the_nms_from_the_command_line(af_run):
    """What a user types: postprocess_raw.py with a whole new nms dict."""
    nms = 'model.post_processor.nms'
    run = run_tool('analysis/postprocess_raw.py', [
        af_run['cfg_file'], af_run['raw'], '--no-per-class', '--cfg-options',
        f'{nms}._delete_=True', f'{nms}.type=hard', f'{nms}.iou_thr=0.3'])
    assert run.exit_code == 0, run.stderr
    assert "nms={'type': 'hard', 'iou_thr': 0.3}" in run.stdout
    assert '4 videos post-processed and evaluated' in run.stdout
    # without _delete_ the keys merge into the Matrix NMS dict: refused
    # before anything runs, with the way out
    run = run_tool('analysis/postprocess_raw.py', [
        af_run['cfg_file'], af_run['raw'], '--cfg-options',
        f'{nms}.type=hard', f'{nms}.iou_thr=0.3'])
    assert run.exit_code == 1
    assert "has no key 'iou_thr'" in run.stderr + run.stdout
    assert 'KEY._delete_=True' in run.stderr + run.stdout
    assert 'Traceback' not in run.stderr


def test_grid_on_top_of_cfg_options_from_the_command_line(af_run):
    """--grid values are added to --cfg-options: a grid over hard NMS's
    threshold after switching the nms dict with _delete_."""
    nms = 'model.post_processor.nms'
    run = run_tool('analysis/postprocess_raw.py', [
        af_run['cfg_file'], af_run['raw'], '--cfg-options',
        f'{nms}._delete_=True', f'{nms}.type=hard', f'{nms}.iou_thr=0.5',
        '--grid', f'{nms}.iou_thr=0.3,0.7'])
    assert run.exit_code == 0, run.stderr
    rows = [ln for ln in run.stdout.splitlines() if ln.startswith('| 0.')]
    assert [r.split(' | ')[0] for r in rows] == ['| 0.3', '| 0.7']
    single = postprocess_raw_outputs(
        af_run['cfg_file'], str(af_run['raw']), log=lambda _: None,
        cfg_options={f'{nms}._delete_': True, f'{nms}.type': 'hard',
                     f'{nms}.iou_thr': 0.7})
    assert rows[1].split(' | ')[-2] == f"{100 * single['average_mAP']:.2f}"
    assert 'best avg mAP' in run.stdout and '--cfg-options' in run.stdout
    # a --grid item without '=' is a usage error
    run = run_tool('analysis/postprocess_raw.py', [
        af_run['cfg_file'], af_run['raw'], '--grid', f'{nms}.iou_thr'])
    assert run.exit_code == 2
    assert "--grid: 'model.post_processor.nms.iou_thr' is not KEY=VALUE" \
        in run.stderr

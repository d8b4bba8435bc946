"""The benchmark's Runner epoch part (backtal_mmaction.profiling.epoch): its
data, its config and its clock, through MMEngine's real Runner."""
import math

import pytest

from backtal_mmaction.datasets.synthetic.command import generate_from_options
from backtal_mmaction.profiling.epoch import (THUMOS14_FILES, epoch_config,
                                              thumos14_sized_options,
                                              time_runner_epochs)
from backtal_mmaction.profiling.precision import PRECISIONS
from tests.helpers import REPO, SHARED_DATA

CONFIG = str(REPO / 'configs/backtal/backtal_thumos14.py')
TINY = dict(D=16, H=16, hidden=8, C=20, T=16, epoch_batch=4)


def test_data_options_real_gt_or_synthetic(tmp_path):
    synthetic = thumos14_sized_options(str(tmp_path / 's'), 32, 750,
                                       shared_data=str(tmp_path))
    assert synthetic['gt_file'] is None
    # THUMOS14's split sizes and subset names (the config trains on 'val')
    assert synthetic['num_videos'] == [0, 200, 210]
    assert synthetic['train_subset'] == 'val'
    assert (synthetic['layout'], synthetic['feat_dim'],
            synthetic['num_segments']) == ('official', 32, 750)
    assert thumos14_sized_options('x', 32, 750, None, 12)['num_videos'] == [
        0, 12, 12]
    if not all((SHARED_DATA / f).is_file() for f in THUMOS14_FILES):
        pytest.skip('no shared THUMOS14 annotation files')
    real = thumos14_sized_options('x', 32, 750, str(SHARED_DATA))
    assert real['gt_file'] == str(SHARED_DATA / THUMOS14_FILES[0])
    assert real['click_file'] == str(SHARED_DATA / THUMOS14_FILES[1])
    assert real['subsets'] == ['val', 'test'] and real['max_videos'] is None


def test_epoch_config_devices_and_workers(tmp_path):
    root = str(tmp_path / 'data')
    cpu = epoch_config(CONFIG, root, TINY, 'cpu', None, False, 3, 'wd')
    # workers=None keeps the config's (train 4, test 2, persistent)
    assert (cpu.train_dataloader.num_workers,
            cpu.test_dataloader.num_workers) == (4, 2)
    assert cpu.train_dataloader.persistent_workers
    assert not cpu.train_dataloader.get('pin_memory')
    assert 'non_blocking' not in cpu.model.data_preprocessor
    assert cpu.train_dataloader.batch_size == 4
    assert cpu.train_cfg.max_epochs == 3 and cpu.val_cfg is None
    assert cpu.model.backbone.in_channels == 16
    assert cpu.train_dataloader.dataset.ann_file == root + '/gt.json'
    cuda = epoch_config(CONFIG, root, TINY, 'cuda', 0, False, 2, 'wd')
    for loader in (cuda.train_dataloader, cuda.test_dataloader):
        assert loader.num_workers == 0 and not loader.persistent_workers
        assert loader.pin_memory
    assert cuda.model.data_preprocessor.non_blocking is True


def test_time_runner_epochs_counts_what_ran(tmp_path):
    """6 training videos at batch 4: 2 iterations and 6 videos per epoch;
    the test pass sees every test video once."""
    root = str(tmp_path / 'data')
    generate_from_options(thumos14_sized_options(root, TINY['D'], TINY['T'],
                                                 None, max_videos=6))
    (res, ) = time_runner_epochs(CONFIG, root, TINY, 'cpu',
                                 [dict(workers=0, amp=False)], epochs=2)
    assert res['workers'] == 0 and res['amp'] is False
    assert res['test_batch'] == 1  # the THUMOS14 config's
    assert len(res['epochs']) == 2
    for e in res['epochs']:
        assert e['iters'] == math.ceil(6 / 4) and e['videos'] == 6
        assert 0 <= e['data_wait'] < e['seconds']
    assert res['test']['videos'] == 6 and res['test']['seconds'] > 0
    assert 0 <= res['test']['mAP'] <= 100


def test_test_batch_variant(tmp_path):
    """A variant's ``test_batch`` reaches the test loader: 6 fixed-length
    videos in batches of 4 are all tested (that a stacked batch detects
    what one video at a time does is the localizers' own test:
    tests/models/localizers/test_detector_template.py)."""
    root = str(tmp_path / 'data')
    generate_from_options(thumos14_sized_options(root, TINY['D'], TINY['T'],
                                                 None, max_videos=6))
    (four, ) = time_runner_epochs(
        CONFIG, root, TINY, 'cpu', [dict(workers=0, amp=False, test_batch=4)],
        epochs=1)
    assert four['test_batch'] == 4 and four['test']['videos'] == 6
    assert len(four['epochs']) == 1


@pytest.mark.parametrize('epochs, header', [
    (1, ['epoch 1 s']), (3, ['epoch 1 s', 'epoch 3 s'])])
def test_epoch_table(monkeypatch, capsys, epochs, header):
    """The Runner table from given timings: one epoch column per distinct
    epoch shown, rates = videos / seconds (hand-computed below)."""
    import argparse

    from backtal_mmaction.profiling import benchmark
    fake = [dict(workers=w, amp=False, test_batch=b,
                 epochs=[dict(seconds=10.0, data_wait=1.0, iters=13,
                              videos=200)] * (epochs - 1)
                 + [dict(seconds=4.0, data_wait=0.5, iters=13, videos=200)],
                 test=dict(seconds=0.42, videos=210, mAP=30.0))
            for w, b in ((0, 1), (None, 16))]
    seen = []
    monkeypatch.setattr(benchmark, 'time_runner_epochs',
                        lambda *args, **kw: seen.extend(args[4]) or fake)
    monkeypatch.setattr(benchmark, '_epoch_data', lambda *args: 'fake data')
    a = argparse.Namespace(device='cpu', epochs=epochs, epoch_data='x',
                           shared_data=None)
    size = dict(TINY, config=CONFIG, epoch_videos=None)
    # fp32 only (a CPU without bf16 instructions): no AMP variant
    benchmark.part_epoch(size, a, dict(precisions=[PRECISIONS['fp32']]))
    assert [v['amp'] for v in seen] == [False, False, False]
    rows = [line.strip('| ').split(' | ') for line in
            capsys.readouterr().out.splitlines() if line.startswith('| ')]
    assert rows[0] == ['loader workers', 'precision', 'test batch'] + \
        header + ['waiting for data s', 'training videos/s', 'test pass s',
                  'test videos/s']
    first = ['10.00'] if epochs > 1 else []
    assert rows[1] == ['0', 'fp32', '1'] + first + [
        '**4.00**', '0.50', '50.0', '0.42', '**500.0**']
    assert rows[2][:3] == ['config', 'fp32', '16']

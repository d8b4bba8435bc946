"""Fixtures shared by every test folder: the tiny synthetic benchmark, a
briefly trained checkpoint and one test run (``test_localizer``, what
``tools/test.py`` runs) whose outputs (result JSON, raw outputs, CAS
figures) several tests inspect, and the environment of subprocesses
running the tools. Session-scoped and lazy: built on first use only.
Non-fixture helpers are in :mod:`tests.helpers`."""
import pytest

from tests.helpers import build_runner, subprocess_env, synthetic_cfg


@pytest.fixture(scope='session')
def tiny_synthetic(tmp_path_factory):
    """A tiny synthetic benchmark (seconds to build) shared by Runner tests."""
    from backtal_mmaction.datasets.synthetic import (
        SyntheticBenchmarkConfig, generate_synthetic_benchmark)
    out = tmp_path_factory.mktemp('synthetic')
    generate_synthetic_benchmark(
        str(out), SyntheticBenchmarkConfig(
            num_classes=3, num_videos=dict(train=8, val=2, test=4),
            feat_dim=16, duration_range=(12.0, 24.0), seed=0),
        overwrite=True)
    return out


@pytest.fixture
def sub_env():
    """Environment for subprocesses running the tools."""
    return subprocess_env()


@pytest.fixture(scope='session')
def trained(tiny_synthetic, tmp_path_factory):
    """A tiny model trained 3 epochs; its config keeps every class (class
    threshold 0) so the test split has detections of all kinds."""
    root = tmp_path_factory.mktemp('trained')
    cfg = synthetic_cfg(tiny_synthetic, work_dir=root / 'wd', epochs=3,
                        validate=False)
    cfg.model.post_processor.class_threshold = 0.0
    cfg_file = root / 'tiny_cfg.py'
    cfg.dump(str(cfg_file))
    build_runner(cfg).train()
    return dict(root=root, cfg_file=str(cfg_file),
                ckpt=str(root / 'wd' / 'epoch_3.pth'), data=tiny_synthetic)


@pytest.fixture(scope='session')
def test_run(trained):
    """``test_localizer`` (``tools/test.py``) on the test split with
    out_json, save_raw, dump and vis_cas."""
    root = trained['root']
    out = dict(json=str(root / 'results.json'), raw=str(root / 'raw'),
               vis=str(root / 'vis'), pkl=str(root / 'preds.pkl'),
               work_dir=str(root / 'test_wd'))
    from backtal_mmaction.apis import test_localizer
    metrics = test_localizer(
        trained['cfg_file'], trained['ckpt'], work_dir=out['work_dir'],
        out_json=out['json'], save_raw=out['raw'], dump=out['pkl'],
        vis_cas=2, vis_dir=out['vis'])
    return dict(trained, metrics=metrics, **out)

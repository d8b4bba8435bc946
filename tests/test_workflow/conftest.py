"""Shared fixtures of the workflow tests: the tiny synthetic benchmark (root
conftest), a briefly trained checkpoint and one test run
(``test_localizer``, what ``tools/test.py`` runs) whose outputs (result
JSON, raw outputs, CAS figures) several tests inspect. The tests call the
package functions behind the tools; command lines run as subprocesses
(``subprocess_env``) or through ``tests/tool_runner.run_tool``."""
import importlib.util
from pathlib import Path

import pytest

from tests.tool_runner import subprocess_env

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The root conftest by path: `tests` is not a package, and a site-packages
# `tests` package (shipped by some wheels) can shadow `tests.conftest`.
_root = _load('_backtal_root_conftest', REPO / 'tests' / 'conftest.py')
synthetic_cfg = _root.synthetic_cfg
build_runner = _root.build_runner


@pytest.fixture(scope='session')
def make_cfg():
    """``synthetic_cfg(data_root, work_dir=None, epochs=1)`` of the root
    conftest."""
    return synthetic_cfg


@pytest.fixture(scope='session')
def make_runner():
    """``build_runner(cfg)`` of the root conftest: ``Runner.from_cfg`` with
    an experiment name of its own."""
    return build_runner


@pytest.fixture
def sub_env():
    """Environment for subprocesses running the tools."""
    return subprocess_env()


@pytest.fixture(scope='session')
def trained(tiny_synthetic, tmp_path_factory):
    """A tiny model trained 3 epochs; its config keeps every class (class
    threshold 0) so the test split has detections of all kinds."""
    root = tmp_path_factory.mktemp('trained')
    cfg = synthetic_cfg(tiny_synthetic, work_dir=root / 'wd', epochs=3)
    cfg.model.post_processor.class_threshold = 0.0
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_cfg.val_interval = 100
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

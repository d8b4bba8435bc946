"""``tools/train.py --tensorboard`` (``enable_tensorboard``): the same
scalars as MMEngine's scalars.json, and a clear error without the
package."""
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.cli.vis_backends import enable_tensorboard
from backtal_mmaction.visualization.training_curves import find_scalars

from tests.helpers import build_runner, synthetic_cfg


def test_tensorboard_switch_writes_the_same_scalars(tiny_synthetic,
                                                    tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd', epochs=1,
                        validate=False)
    enable_tensorboard(cfg)
    enable_tensorboard(cfg)  # idempotent
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    build_runner(cfg).train()
    events = list((tmp_path / 'wd').glob('*/vis_data/events.out.tfevents.*'))
    assert len(events) == 1
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    board = [(e.step, e.value) for e in acc.Scalars('loss')]
    logged = [json.loads(x) for x in Path(find_scalars(str(
        tmp_path / 'wd'))).read_text().splitlines() if '"loss"' in x]
    assert [s for s, _ in board] == [x['step'] for x in logged]
    np.testing.assert_allclose([v for _, v in board],
                               [x['loss'] for x in logged], rtol=1e-6)


def test_tensorboard_switch_without_the_package(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda n, *a: None if n == 'tensorboard' else
                        real(n, *a))
    from mmengine.config import Config
    with pytest.raises(ValueError, match='pip install tensorboard'):
        enable_tensorboard(Config(dict()))

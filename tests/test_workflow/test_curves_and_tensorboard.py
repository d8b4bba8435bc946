"""Training curves a person looks at: ``tools/analysis/plot_curves.py``
(MMEngine's scalars.json -> PNG) and ``tools/train.py --tensorboard``."""
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.cli.vis_backends import enable_tensorboard
from backtal_mmaction.visualization.training_curves import (
    find_scalars, plot_training_curves, read_scalars)


def test_read_scalars_hand_written(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text('\n'.join(json.dumps(x) for x in [
        dict(lr=1e-4, loss=2.0, loss_mil=1.5, time=0.1, epoch=1, iter=1,
             step=1),
        dict(lr=1e-4, loss=1.0, loss_mil=0.5, time=0.1, epoch=1, iter=2,
             step=2),
        {'tal/mAP_avg': 12.5, 'data_time': 0.01, 'step': 1},
    ]) + '\n\n')
    train, val = read_scalars(str(path))
    assert sorted(train) == ['loss', 'loss_mil', 'lr']
    np.testing.assert_array_equal(train['loss'][0], [1, 2])
    np.testing.assert_array_equal(train['loss'][1], [2.0, 1.0])
    assert list(val) == ['tal/mAP_avg'] and val['tal/mAP_avg'][1] == [12.5]
    path.write_text('{"loss": 1, "step": 1}\nnot json\n')
    with pytest.raises(ValueError, match='line 2: not JSON'):
        read_scalars(str(path))


def test_plot_curves_draws_the_logged_losses(trained, tmp_path):
    wd = trained['root'] / 'wd'
    scalars = find_scalars(str(wd))
    logged = [json.loads(x) for x in Path(scalars).read_text().splitlines()
              if '"loss"' in x]
    out = tmp_path / 'curves.png'
    fig = plot_training_curves([str(wd)], str(out), labels=['tiny'])
    lines = {ln.get_label(): ln for ln in fig.axes[0].lines}
    assert 'tiny: loss' in lines
    np.testing.assert_allclose(lines['tiny: loss'].get_ydata(),
                               [x['loss'] for x in logged])
    np.testing.assert_array_equal(lines['tiny: loss'].get_xdata(),
                                  [x['step'] for x in logged])
    import matplotlib.image
    assert matplotlib.image.imread(str(out)).shape[2] in (3, 4)
    with pytest.raises(FileExistsError, match='--overwrite'):
        plot_training_curves([str(wd)], str(out))
    with pytest.raises(FileNotFoundError, match='no scalars.json'):
        plot_training_curves([str(tmp_path)], str(tmp_path / 'x.png'))


def test_tensorboard_switch_writes_the_same_scalars(make_cfg, tiny_synthetic,
                                                    make_runner, tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    cfg = make_cfg(tiny_synthetic, work_dir=tmp_path / 'wd', epochs=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    enable_tensorboard(cfg)
    enable_tensorboard(cfg)  # idempotent
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    make_runner(cfg).train()
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

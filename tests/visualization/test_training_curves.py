"""Training curves a person looks at (``tools/analysis/plot_curves.py``:
MMEngine's scalars.json -> PNG): the reader, the curves of a trained run,
and several runs (one colour per curve, one line style per run, data as
logged, no global matplotlib state changed)."""
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.visualization.training_curves import (
    find_scalars, plot_training_curves, read_scalars)


def write_scalars(path, offset):
    lines = [dict(loss=3.0 - i + offset, loss_mil=1.0 + offset, step=i * 5)
             for i in range(3)]
    lines.append({'tal/mAP_avg': 20.0 + offset, 'step': 1})
    path.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    return str(path)


def test_colour_per_key_style_per_run(tmp_path):
    import matplotlib
    backend = matplotlib.get_backend()
    runs = [write_scalars(tmp_path / 'a.json', 0.0),
            write_scalars(tmp_path / 'b.json', 0.5)]
    out = tmp_path / 'curves.png'
    fig = plot_training_curves(runs, str(out), labels=['fp32', 'bf16'])
    lines = {ln.get_label(): ln for ln in fig.axes[0].lines}
    assert list(lines) == ['fp32: loss', 'fp32: loss_mil', 'bf16: loss',
                           'bf16: loss_mil']
    np.testing.assert_allclose(lines['bf16: loss'].get_ydata(),
                               [3.5, 2.5, 1.5])
    np.testing.assert_allclose(lines['bf16: loss'].get_xdata(), [0, 5, 10])
    # the same curve has the same colour in both runs, other curves differ
    assert lines['fp32: loss'].get_color() == lines['bf16: loss'].get_color()
    assert lines['fp32: loss'].get_color() != \
        lines['fp32: loss_mil'].get_color()
    # runs differ by line style
    assert lines['fp32: loss'].get_linestyle() == '-'
    assert lines['bf16: loss'].get_linestyle() == '--'
    val = {ln.get_label(): ln for ln in fig.axes[1].lines}
    np.testing.assert_allclose(val['bf16: tal/mAP_avg'].get_ydata(), [20.5])
    assert out.read_bytes()[:4] == b'\x89PNG'
    assert matplotlib.get_backend() == backend  # no global backend switch
    with pytest.raises(FileExistsError, match='curves.png'):
        plot_training_curves(runs, str(out))
    with pytest.raises(ValueError, match='1 labels for 2 runs'):
        plot_training_curves(runs, str(tmp_path / 'x.png'), labels=['a'])


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
    with pytest.raises(FileExistsError, match='`overwrite`'):
        plot_training_curves([str(wd)], str(out))
    with pytest.raises(FileNotFoundError, match='no scalars.json'):
        plot_training_curves([str(tmp_path)], str(tmp_path / 'x.png'))

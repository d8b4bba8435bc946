"""plot_training_curves with several runs: one colour per curve, one line
style per run, data as logged, no global matplotlib state changed."""
import json

import numpy as np
import pytest

from backtal_mmaction.visualization.training_curves import \
    plot_training_curves


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

"""Training curves: MMEngine's LocalVisBackend writes ``scalars.json`` (one
JSON object per logged step), which MMAction2's
``tools/analysis_tools/analyze_logs.py`` reads."""
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

import pytest

from tests.helpers import synthetic_cfg


def _scalars(trained) -> Path:
    found = list((trained['root'] / 'wd').glob('*/vis_data/scalars.json'))
    assert len(found) == 1
    return found[0]


def test_scalars_json_has_train_curves(trained):
    lines = [json.loads(x) for x in _scalars(trained).read_text().splitlines()]
    train = [x for x in lines if 'loss' in x]
    assert {x['epoch'] for x in train} == {1, 2, 3}
    assert all({'iter', 'lr', 'time', 'loss_mil_supp'} <= set(x)
               for x in train)


def test_mmaction_analyze_logs_reads_it(trained, capsys, monkeypatch):
    import mmaction
    path = (Path(mmaction.__file__).parent / '.mim' / 'tools' /
            'analysis_tools' / 'analyze_logs.py')
    if not path.exists():
        pytest.skip(f'{path} is not shipped with this mmaction2')
    # Only its plotting needs seaborn; the log reading does not.
    monkeypatch.setitem(sys.modules, 'seaborn',
                        sys.modules.get('seaborn')
                        or types.ModuleType('seaborn'))
    spec = importlib.util.spec_from_file_location('_analyze_logs', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    log = str(_scalars(trained))
    log_dicts = module.load_json_logs([log])
    assert sorted(log_dicts[0]) == [1, 2, 3]
    assert len(log_dicts[0][1]['loss']) == 2  # 2 iterations per epoch
    module.cal_train_time(log_dicts,
                          types.SimpleNamespace(json_logs=[log],
                                                include_outliers=True))
    assert 'average iter time' in capsys.readouterr().out


class _FrozenClock:
    """``time`` as seen by MMEngine's Runner, stuck in one second, so two
    Runners get the same timestamp (as two short runs can)."""

    def __init__(self, now: float):
        self.now = now

    def time(self):
        return self.now

    def localtime(self, secs=None):
        return time.localtime(self.now if secs is None else secs)

    def strftime(self, fmt, t=None):
        return time.strftime(fmt, self.localtime() if t is None else t)


def _tiny_cfg_file(data, root: Path) -> str:
    cfg = synthetic_cfg(data, work_dir=root / 'wd', epochs=1, validate=False)
    root.mkdir()
    cfg.dump(str(root / 'tiny.py'))  # the same config name for both runs
    return str(root / 'tiny.py')


def _train_lines(work_dir: Path) -> list:
    found = list(work_dir.glob('*/vis_data/scalars.json'))
    return [
        json.loads(x) for f in found for x in f.read_text().splitlines()
        if 'loss' in x
    ]


def test_runs_in_the_same_second_keep_their_own_logs(
        tiny_synthetic, tmp_path, monkeypatch):
    import mmengine.runner.runner as runner_module

    import backtal_mmaction.cli.runner as runner_utils
    from backtal_mmaction.apis import train_localizer
    clock = _FrozenClock(time.time())
    monkeypatch.setattr(runner_module, 'time', clock)
    monkeypatch.setattr(runner_utils, 'time', clock)
    # MMEngine alone: the second Runner reuses the first one's visualizer
    # (same '<config>_<timestamp>' name), so its curves land in run a.
    from mmengine.config import Config
    from mmengine.runner import Runner
    plain = [
        _tiny_cfg_file(tiny_synthetic, tmp_path / f'plain_{x}')
        for x in 'ab'
    ]
    for cfg_file in plain:
        Runner.from_cfg(Config.fromfile(cfg_file)).train()
    assert len(_train_lines(tmp_path / 'plain_a' / 'wd')) == 4
    assert _train_lines(tmp_path / 'plain_b' / 'wd') == []
    # The tools (train_localizer) name each experiment uniquely: 2 iterations in each run.
    ours = [
        _tiny_cfg_file(tiny_synthetic, tmp_path / f'ours_{x}')
        for x in 'ab'
    ]
    for cfg_file in ours:
        train_localizer(cfg_file)
    for x in 'ab':
        lines = _train_lines(tmp_path / f'ours_{x}' / 'wd')
        assert [line['iter'] for line in lines] == [1, 2]


def test_auto_scale_lr_scales_by_the_total_batch(tiny_synthetic, tmp_path):
    """``tools/train.py --auto-scale-lr``: MMEngine multiplies the rate by
    (1 process x batch 4) / base batch 16; without the flag it is kept.
    The logged rate is read back from ``scalars.json``."""
    from tests.helpers import run_tool
    cfg = synthetic_cfg(tiny_synthetic, epochs=1, validate=False)
    lr = cfg.optim_wrapper.optimizer.lr
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.auto_scale_lr.base_batch_size == 16
    cfg.dump(str(tmp_path / 'tiny.py'))
    for flags, want in (([], lr), (['--auto-scale-lr'], lr * 4 / 16)):
        wd = tmp_path / f'wd{len(flags)}'
        run = run_tool('train.py', [tmp_path / 'tiny.py', '--work-dir', wd,
                                    *flags])
        assert run.exit_code == 0, run.stderr
        rates = [x['lr'] for x in _train_lines(wd) if 'lr' in x]
        assert rates and rates == pytest.approx([want] * len(rates))

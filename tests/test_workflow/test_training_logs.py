"""Training curves: MMEngine's LocalVisBackend writes ``scalars.json`` (one
JSON object per logged step), which MMAction2's
``tools/analysis_tools/analyze_logs.py`` reads."""
import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest


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

"""Fixtures of the bad-input sweep: one tiny trained model, its test run
(result JSON, raw outputs) and two config files (without / with a
validation split), shared read-only by every case."""
from pathlib import Path

import pytest

from tests.helpers import build_runner, synthetic_cfg


@pytest.fixture(scope='session')
def sweep_base(tiny_synthetic, tmp_path_factory):
    """A 3-epoch tiny model (checkpoints epoch_1..3 in ``wd``), the test
    run's ``raw`` outputs and ``results.json``, and the configs ``cfg``
    (no validation) and ``cfg_val`` (validation on the val split)."""
    import os

    from backtal_mmaction.apis import test_localizer
    root = tmp_path_factory.mktemp('sweep')
    cfg, cfg_val = (synthetic_cfg(tiny_synthetic, work_dir=root / 'wd',
                                  epochs=3, validate=validate)
                    for validate in (False, True))
    for c in (cfg, cfg_val):
        c.model.post_processor.class_threshold = 0.0
    cfg_file, cfg_val_file = root / 'tiny_cfg.py', root / 'tiny_cfg_val.py'
    cfg.dump(str(cfg_file))
    cfg_val.dump(str(cfg_val_file))
    build_runner(cfg).train()
    raw, json_file = root / 'raw', root / 'results.json'
    # What `tools/test.py CFG CKPT --save-raw RAW --out-json JSON` runs.
    test_localizer(str(cfg_file), str(root / 'wd' / 'epoch_3.pth'),
                   work_dir=str(root / 'test_wd'), save_raw=str(raw),
                   out_json=str(json_file))
    assert sorted(os.listdir(raw))[-1] == 'video_test_0000003.npz'
    return dict(root=root, cfg=str(cfg_file), cfg_val=str(cfg_val_file),
                wd=root / 'wd', ckpt=str(root / 'wd' / 'epoch_3.pth'),
                raw=raw, json=json_file, data=Path(tiny_synthetic))

"""`mim train mmaction2 CFG` / `mim test mmaction2 CFG --checkpoint` run
MMAction2's own tools on our config; its `custom_imports` loads the plugin."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import synthetic_cfg


# The mim console script of *this* interpreter's environment first: CI runs
# `.venv/bin/python -m pytest` without activating the venv.
MIM = shutil.which('mim', path=os.pathsep.join(
    [str(Path(sys.executable).parent), os.environ.get('PATH', '')]))


def _mim_usable(env) -> str:
    """'' if the mim CLI works, else why not."""
    if MIM is None:
        return 'openmim is not installed (pip install openmim)'
    res = subprocess.run([MIM, '--version'], capture_output=True,
                         text=True, env=env)
    if res.returncode != 0:
        # e.g. openmim 0.3.9 imports pkg_resources (setuptools < 81).
        return f'mim is installed but broken: {res.stderr.strip()[-300:]}'
    return ''


def test_mim_train_and_test(tiny_synthetic, tmp_path, sub_env):
    reason = _mim_usable(sub_env)
    if reason:
        # CI installs requirements/tests.txt, so mim must run there.
        if os.environ.get('CI'):
            pytest.fail(reason)
        pytest.skip(reason)
    cfg = synthetic_cfg(tiny_synthetic, epochs=1, validate=False)
    cfg_file = tmp_path / 'tiny_backtal.py'
    cfg.dump(str(cfg_file))
    work_dir = tmp_path / 'wd'
    res = subprocess.run(
        [MIM, 'train', 'mmaction2', str(cfg_file), '--work-dir',
         str(work_dir)],
        cwd=tmp_path, capture_output=True, text=True, env=sub_env,
        timeout=300)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.exists()
    res = subprocess.run(
        [MIM, 'test', 'mmaction2', str(cfg_file), '--checkpoint',
         str(ckpt), '--work-dir', str(tmp_path / 'test_wd')],
        cwd=tmp_path, capture_output=True, text=True, env=sub_env,
        timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert 'tal/mAP_avg' in out

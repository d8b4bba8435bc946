"""``python tools/infer.py``: one real command line maps the flags onto
localize_feature_files (tests/apis/test_inference.py)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backtal_mmaction.apis import localize_feature_files

from tests.helpers import REPO


def test_infer_command_line(test_run, tmp_path, sub_env):
    """``python tools/infer.py``: the flags reach localize_feature_files
    (--topk, --score-thr, --fps, --duration) and the summary is printed;
    the written detections are those of the function with the same
    arguments."""
    data = Path(test_run['data'])
    npy = str(data / 'features' / 'video_test_0000002.npy')
    # the video's own duration: one far from T * 16 / fps would warn
    duration = json.loads((data / 'gt.json').read_text())['database'][
        'video_test_0000002']['duration']
    out = tmp_path / 'cli.json'
    res = subprocess.run(
        [sys.executable, str(REPO / 'tools/infer.py'), test_run['cfg_file'],
         test_run['ckpt'], npy, '--out', str(out), '--fps', '30',
         '--duration', str(duration), '--topk', '3', '--score-thr', '0.01'],
        cwd=REPO, capture_output=True, text=True, env=sub_env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f'video(s) to {out}' in res.stdout
    expected = localize_feature_files(
        test_run['cfg_file'], test_run['ckpt'], [npy],
        str(tmp_path / 'api.json'), fps=30.0, duration=duration, topk=3,
        score_thr=0.01)['video_test_0000002']
    got = json.loads(out.read_text())['results']['video_test_0000002']
    assert 0 < len(got) <= 3
    assert [d['score'] for d in got] == pytest.approx(
        expected['scores'].tolist(), rel=1e-6)
    assert all(d['score'] >= 0.01 for d in got)
    # An input error: exit status 1 and one error line, no traceback.
    bad = subprocess.run(
        [sys.executable, str(REPO / 'tools/infer.py'), test_run['cfg_file'],
         test_run['ckpt'], npy, '--out', str(out), '--fps', '30'],
        cwd=REPO, capture_output=True, text=True, env=sub_env, timeout=300)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].startswith('error: --out ')
    assert 'Traceback' not in bad.stderr

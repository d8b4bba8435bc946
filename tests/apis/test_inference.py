"""localize_feature_files (tools/infer.py) and inference_localizer:
detections of new videos from feature files. The command line:
tests/tools/test_infer.py."""
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.apis import localize_feature_files

from tests.helpers.mmaction_layout import write_feature_csv


def _gt_info(data: Path, video: str) -> dict:
    return json.loads((data / 'gt.json').read_text())['database'][video]


def test_infer_matches_the_test_run(test_run, tmp_path):
    """Same features, duration and fps as the dataset: the detections of
    tools/test.py, for a plain .npy and for an official-layout .npz."""
    data = Path(test_run['data'])
    video = 'video_test_0000002'
    info = _gt_info(data, video)
    expected = json.loads(Path(test_run['json']).read_text())['results'][video]
    assert expected

    out = tmp_path / 'det.json'
    localize_feature_files(
        test_run['cfg_file'], test_run['ckpt'],
        [str(data / 'features' / f'{video}.npy')], str(out),
        fps=info['fps'], duration=info['duration'])
    got = json.loads(out.read_text())['results'][video]
    assert got == expected

    # Official test layout: feat_spa/feat_tem (D/2, T) + frame_num/fps/
    # duration inside the file, no command-line timing needed.
    feat = np.load(data / 'features' / f'{video}.npy').T  # (D, T)
    official = tmp_path / 'official' / f'{video}.npz'
    official.parent.mkdir()
    half = feat.shape[0] // 2
    np.savez(official, feat_spa=feat[:half], feat_tem=feat[half:],
             frame_num=np.int64(round(info['duration'] * info['fps'])),
             fps=np.float64(info['fps']),
             duration=np.float64(info['duration']))
    out2 = tmp_path / 'det2.json'
    localize_feature_files(test_run['cfg_file'], test_run['ckpt'],
                           [str(official.parent)], str(out2),
                           feature_layout='official')
    assert json.loads(out2.read_text())['results'][video] == expected

    # MMAction2's feature CSV (header row, a row per snippet), in a folder
    csv = tmp_path / 'csv' / f'{video}.csv'
    csv.parent.mkdir()
    write_feature_csv(csv, feat.T)
    out3 = tmp_path / 'det3.json'
    localize_feature_files(test_run['cfg_file'], test_run['ckpt'],
                           [str(csv.parent)], str(out3), fps=info['fps'],
                           duration=info['duration'])
    assert json.loads(out3.read_text())['results'][video] == expected


def test_infer_topk_score_threshold_and_derived_duration(test_run, tmp_path):
    data = Path(test_run['data'])
    files = [str(data / 'features' / f'video_test_000000{i}.npy')
             for i in (0, 1)]
    out = tmp_path / 'det.json'
    with pytest.warns(UserWarning, match='no duration given'):
        preds = localize_feature_files(test_run['cfg_file'],
                                       test_run['ckpt'], files, str(out),
                                       fps=30, topk=2)
    assert set(preds) == {'video_test_0000000', 'video_test_0000001'}
    num_snippets = np.load(files[0]).shape[0]
    for det in preds.values():
        assert len(det['scores']) <= 2
        assert np.all(np.diff(det['scores']) <= 0)
        # duration = T * 16 / fps bounds every segment.
        assert det['segments'].max() <= num_snippets * 16 / 30 + 1e-5
    thr = float(np.median(np.concatenate(
        [d['scores'] for d in preds.values()])))
    preds = localize_feature_files(
        test_run['cfg_file'], test_run['ckpt'], files[:1], str(out),
        overwrite=True, fps=30,
        duration=_gt_info(data, 'video_test_0000000')['duration'],
        score_thr=thr)
    assert np.all(preds['video_test_0000000']['scores'] >= thr)


def test_infer_input_errors(test_run, tmp_path):
    cfg, ckpt = test_run['cfg_file'], test_run['ckpt']
    data = Path(test_run['data'])
    npy = str(data / 'features' / 'video_test_0000000.npy')
    bad = tmp_path / 'wrong_dim.npy'
    np.save(bad, np.zeros((30, 12), np.float32))
    with pytest.raises(ValueError) as err:
        localize_feature_files(cfg, ckpt, [str(bad)],
                               str(tmp_path / 'a.json'), fps=30)
    assert str(bad) in str(err.value) and 'feat_dim=16' in str(err.value)
    with pytest.raises(ValueError, match='pass `fps`'):
        localize_feature_files(cfg, ckpt, [npy], str(tmp_path / 'b.json'))
    npy1 = str(data / 'features' / 'video_test_0000001.npy')
    with pytest.raises(ValueError, match='single video'):
        localize_feature_files(cfg, ckpt, [npy, npy1],
                               str(tmp_path / 'c.json'), duration=3)
    with pytest.raises(ValueError, match='must be unique'):
        localize_feature_files(cfg, ckpt, [npy, npy],
                               str(tmp_path / 'c.json'), fps=30)
    existing = tmp_path / 'exists.json'
    existing.write_text('{}')
    with pytest.raises(FileExistsError, match='`overwrite`'):
        localize_feature_files(cfg, ckpt, [npy], str(existing), fps=30)
    assert existing.read_text() == '{}'
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        localize_feature_files(cfg, ckpt, [str(tmp_path / 'missing.npy')],
                               str(tmp_path / 'd.json'), fps=30)


def test_inference_localizer_api_matches_the_test_run(test_run):
    """``init_localizer`` + ``inference_localizer`` on a ``(T, C)`` array
    (shapes and seconds in, detections out): the test run's detections."""
    from backtal_mmaction.apis import inference_localizer, init_localizer
    from backtal_mmaction.apis.inference import resolve_class_names
    data = Path(test_run['data'])
    video = 'video_test_0000002'
    info = _gt_info(data, video)
    expected = json.loads(Path(test_run['json']).read_text())['results'][video]
    model = init_localizer(test_run['cfg_file'], test_run['ckpt'])
    names = resolve_class_names(model.cfg)
    feats = np.load(data / 'features' / f'{video}.npy')  # (T, C)
    det = inference_localizer(model, feats, video_name=video,
                              fps=info['fps'], duration=info['duration'])
    assert [dict(label=names[lab], segment=seg, score=score)
            for seg, score, lab in zip(det['segments'].tolist(),
                                       det['scores'].tolist(),
                                       det['labels'].tolist())] == expected
    top = inference_localizer(model, feats, fps=info['fps'],
                              duration=info['duration'], topk=2)
    assert top['scores'].tolist() == det['scores'][:2].tolist()
    with pytest.raises(ValueError, match=r'must be \(T, C\)'):
        inference_localizer(model, feats[None], fps=30.0)

"""Tiny datasets written in the file layouts the shipped configs expect.

Every non-synthetic config points at ``data/<dataset>/...``; a researcher
with real features puts them there in the layout of that dataset. These
writers produce the same layouts, small, from scratch (they do not use the
synthetic generator, so they also check the readers against an independent
writer):

- **THUMOS14** (``configs/_base_/datasets/thumos14.py``): the official
  BackTAL release. ``gt_thumos14.json`` (``database`` with ``subset``
  ``val``/``test``, ``duration``, ``fps``, ``frame_num``, ``annotations``;
  top-level ``activity_list`` of the 20 real class names); per-video
  ``.npz`` with ``feat_spa`` / ``feat_tem`` ``(C, T)`` under
  ``features/train`` (plus ``point_label`` ``(T,)``: C at clicked snippets,
  -100 elsewhere, and ``cls_label``) and ``features/test`` (plus
  ``frame_num``, ``fps``, ``duration``). Human background clicks come as the
  BackTAL CSV (``URLID,URL,TagID,Tag,Start,End,Time,State`` with a BOM) and
  go through ``convert_thumos_csv`` like ``tools/data/convert_thumos_clicks.py``
  does; action clicks (``clicks_SF.json``) through ``simulate_clicks``.
- **ActivityNet 1.2** (``activitynet12.py``): ``activity_net.v1-2.min.json``
  (``version``, ``taxonomy`` whose leaves are the classes, ``database``
  with ``subset`` ``training``/``validation``, ``duration``, ``fps``,
  ``resolution``, ``url``), official-style ``.npz`` features under
  ``features/training`` and ``features/validation``, ``clicks_sim.json``
  from ``simulate_clicks``.
- **HACS** (``hacs.py``): the ActivityNet GT layout (taxonomy, no
  ``activity_list``) and plain ``.npz`` files holding one ``(T, C)`` array,
  the other branch of ``LoadSnippetFeature(layout='auto')``.
- **ActivityNet 1.3 as MMAction2 prepares it**
  (``activitynet13_mmaction.py``): ``anet_anno_{train,val}.json`` in
  MMAction2's own layout (``duration_second``, ``duration_frame``,
  ``feature_frame`` < ``duration_frame``, ``fps``, ``rfps``,
  ``annotations``; no subsets, no class list: the training file's two
  videos carry every class), feature CSVs with a header row under
  ``activitynet_feature_cuhk/csv_mean_100/``, ``clicks_sim.json``.
"""
import csv
import json
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from backtal_mmaction.datasets.clicks import (THUMOS14_CLASSES,
                                              convert_thumos_csv,
                                              dump_click_file, merge_segments,
                                              simulate_clicks)

FPS = 30.0
FRAMES_PER_SNIPPET = 16
NUM_SNIPPETS = 40  # per video: 40 x 16 frames at 30 fps = 21.3 s
NUM_VIDEOS = 2  # per split: one training iteration at batch 2, two tested
# per stream; the model is shrunk to D = 2 x HALF_DIM
HALF_DIM = 8
FEAT_DIM = 2 * HALF_DIM


def _instances(rng: np.random.Generator, duration: float,
               classes: Sequence[str]) -> List[dict]:
    """Two or three non-overlapping instances of one or two classes."""
    n = int(rng.integers(2, 4))
    edges = np.sort(rng.uniform(0.05, 0.95, 2 * n)) * duration
    labels = rng.choice(classes, size=min(2, len(classes)), replace=False)
    return [
        dict(segment=[round(float(edges[2 * i]), 2),
                      round(float(edges[2 * i + 1]), 2)],
             label=str(labels[i % len(labels)])) for i in range(n)
    ]


def _video(rng, subset: str, classes: Sequence[str]) -> dict:
    frame_num = NUM_SNIPPETS * FRAMES_PER_SNIPPET
    duration = round(frame_num / FPS, 3)
    return dict(subset=subset, duration=duration, fps=FPS,
                frame_num=frame_num,
                annotations=_instances(rng, duration, classes))


def _features(rng, num: int) -> np.ndarray:
    """Non-negative (T, D) features, I3D-like magnitudes."""
    return np.abs(rng.normal(0.5, 0.5, (num, FEAT_DIM))).astype(np.float32)


def _background_times(rng, info: dict, n: int = 3) -> List[float]:
    """``n`` click times outside the GT actions of ``info``."""
    segs = merge_segments(
        np.array([a['segment'] for a in info['annotations']], np.float64))
    times = []
    while len(times) < n:
        t = float(rng.uniform(0, info['duration']))
        if not ((segs[:, 0] <= t) & (t <= segs[:, 1])).any():
            times.append(round(t, 2))
    return sorted(times)


def _write_official_npz(path: Path, feats: np.ndarray, info: dict,
                        class_index: Dict[str, int], bg_times, is_train):
    num_classes = len(class_index)
    cls_label = np.zeros(num_classes, np.float32)
    for a in info['annotations']:
        cls_label[class_index[a['label']]] = 1
    arrays = dict(feat_spa=np.ascontiguousarray(feats[:, :HALF_DIM].T),
                  feat_tem=np.ascontiguousarray(feats[:, HALF_DIM:].T),
                  cls_label=cls_label, vid_name=np.array(path.stem))
    if is_train:
        point_label = np.full(len(feats), -100, np.int64)
        idx = np.floor(np.asarray(bg_times) / info['duration'] *
                       len(feats)).astype(np.int64)
        point_label[idx] = num_classes
        arrays['point_label'] = point_label
    else:
        arrays.update(frame_num=np.array(info['frame_num']),
                      fps=np.array(info['fps']),
                      duration=np.array(info['duration']))
    np.savez(path, **arrays)


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def write_thumos14(root: Path, seed: int = 0) -> Path:
    """``root/gt_thumos14.json``, ``clicks_A1.json``, ``clicks_SF.json``,
    ``features/{train,test}/<video>.npz`` (official BackTAL layout)."""
    rng = np.random.default_rng(seed)
    classes = list(THUMOS14_CLASSES)
    index = {c: i for i, c in enumerate(classes)}
    db = {}
    for subset, stem, split in (('val', 'video_validation', 'train'),
                                ('test', 'video_test', 'test')):
        for i in range(NUM_VIDEOS):
            name = f'{stem}_{i + 1:07d}'
            db[name] = _video(rng, subset, classes)
            db[name]['split'] = split
    csv_rows, bg = [], {}
    for name, info in db.items():
        split = info.pop('split')
        feats = _features(rng, NUM_SNIPPETS)
        times = _background_times(rng, info) if split == 'train' else []
        bg[name] = times
        for t in times:
            csv_rows.append([name, f'http://x/{name}.mp4', '1',
                             'background_background', t, t, '', 'OK'])
        out = root / 'features' / split / f'{name}.npz'
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_official_npz(out, feats, info, index, times,
                            split == 'train')
    _write_json(root / 'gt_thumos14.json',
                dict(version='THUMOS14', database=db,
                     activity_list=classes))
    # The human-click CSV of the BackTAL release, converted as a user does.
    csv_path = root / 'THUMOS14_Background-Click-Annotation_A1.txt'
    with open(csv_path, 'w', encoding='utf-8-sig', newline='') as f:
        w = csv.writer(f)
        w.writerow(['URLID', 'URL', 'TagID', 'Tag', 'Start', 'End', 'Time',
                    'State'])
        w.writerows(csv_rows)
    dump_click_file(convert_thumos_csv(csv_path, annotator='A1'),
                    root / 'clicks_A1.json')
    dump_click_file(
        simulate_clicks(db, classes, subset='val', background=False,
                        action=True, seed=seed, action_annotator='SF'),
        root / 'clicks_SF.json')
    return root


def _taxonomy(classes: Sequence[str]) -> List[dict]:
    """An ActivityNet taxonomy: root -> one parent -> the classes (leaves)."""
    nodes = [dict(nodeId=0, nodeName='Root', parentId=None,
                  parentName=None),
             dict(nodeId=1, nodeName='Activities', parentId=0,
                  parentName='Root')]
    nodes += [dict(nodeId=2 + i, nodeName=c, parentId=1,
                   parentName='Activities') for i, c in enumerate(classes)]
    return nodes


def write_activitynet_like(root: Path, gt_name: str, num_classes: int,
                           official_npz: bool, seed: int = 0) -> Path:
    """``root/<gt_name>``, ``clicks_sim.json``,
    ``features/{training,validation}/<video>.npz``."""
    rng = np.random.default_rng(seed)
    classes = [f'Activity {i:03d}' for i in range(num_classes)]
    index = {c: i for i, c in enumerate(classes)}
    db = {}
    for subset in ('training', 'validation'):
        for i in range(NUM_VIDEOS):
            name = f'{subset[:1]}{seed}{i:02d}xYz_Ab'  # YouTube-like ids
            info = _video(rng, subset, classes)
            del info['frame_num']  # ActivityNet files carry fps only
            info.update(resolution='320x240',
                        url=f'https://www.youtube.com/watch?v={name}')
            db[name] = info
            feats = _features(rng, NUM_SNIPPETS)
            out = root / 'features' / subset / f'{name}.npz'
            out.parent.mkdir(parents=True, exist_ok=True)
            if official_npz:
                info_frames = dict(info, frame_num=NUM_SNIPPETS *
                                   FRAMES_PER_SNIPPET)
                _write_official_npz(out, feats, info_frames, index, [],
                                    subset == 'training')
            else:
                np.savez(out, feats)
    _write_json(root / gt_name,
                dict(version='VERSION 1.2', taxonomy=_taxonomy(classes),
                     database=db))
    dump_click_file(
        simulate_clicks(db, classes, subset='training', seed=seed),
        root / 'clicks_sim.json')
    return root


def write_mmaction_activitynet(root: Path, num_classes: int = 200,
                               seed: int = 0) -> Path:
    """``root/anet_anno_{train,val}.json`` (MMAction2's layout),
    ``clicks_sim.json``, ``activitynet_feature_cuhk/csv_mean_100/<video>.csv``.
    """
    from backtal_mmaction.datasets.gt_io import load_gt_database

    from .mmaction_layout import write_feature_csv
    rng = np.random.default_rng(seed)
    classes = [f'Activity {i:03d}' for i in range(num_classes)]
    frames = NUM_SNIPPETS * FRAMES_PER_SNIPPET
    seconds = round(frames / FPS, 3)
    feat_dir = root / 'activitynet_feature_cuhk' / 'csv_mean_100'
    feat_dir.mkdir(parents=True, exist_ok=True)
    for split in ('train', 'val'):
        anno = {}
        for i in range(NUM_VIDEOS):
            name = f'v_{split[:1]}{seed}{i:02d}xYz_Ab'
            if split == 'train':
                # the file's sorted labels are the class list: hold them all
                mine = classes[i::NUM_VIDEOS]
                step = seconds / len(mine)
                anns = [dict(segment=[round(k * step, 2),
                                      round((k + 0.8) * step, 2)], label=c)
                        for k, c in enumerate(mine)]
            else:
                anns = _instances(rng, seconds, classes)
            anno[name] = dict(duration_second=seconds, duration_frame=frames,
                              annotations=anns,
                              feature_frame=frames - FRAMES_PER_SNIPPET,
                              fps=FPS, rfps=FPS + 0.01)
            write_feature_csv(feat_dir / f'{name}.csv',
                              _features(rng, NUM_SNIPPETS))
        _write_json(root / f'anet_anno_{split}.json', anno)
    train = load_gt_database(str(root / 'anet_anno_train.json'))['database']
    dump_click_file(simulate_clicks(train, classes, seed=seed),
                    root / 'clicks_sim.json')
    return root

# Copyright (c) OpenMMLab. All rights reserved.
"""The benchmark writer: :func:`generate_synthetic_benchmark` (GT, clicks,
features in the 'npy' or the official BackTAL layout)."""
import json
from collections import Counter
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ...utils import IGNORE_INDEX, atomic_replace, atomic_write
from ..clicks import (Clicks, dump_click_file, is_count, merge_click_files,
                      validate_clicks)
from .clicks import human_like_clicks
from .config import (DEFAULT_NUM_VIDEOS, GT_VERSION, MIN_VIDEO_SECONDS,
                     as_config, stream_rng)
from .features import num_snippets, synthesize_video_features
from .ground_truth import synthesize_gt
from .prototypes import make_prototypes
from .real_gt import load_real_gt, read_clicks, resolve_train_subset


def _official_arrays(video: str, entry: dict, feats: np.ndarray,
                     labels: np.ndarray, num_classes: int,
                     bg_times: Sequence[float],
                     is_train: bool) -> Dict[str, np.ndarray]:
    """Arrays of one ``.npz`` file read by the official BackTAL code.

    Args:
        video (str): Video name.
        entry (dict): Its GT entry (``duration``, ``fps``).
        feats (np.ndarray): (T, D) features, ``[RGB | flow]``.
        labels (np.ndarray): (N,) class indices of its instances.
        num_classes (int): C, also the background index of ``point_label``.
        bg_times (Sequence[float]): Background click times (s).
        is_train (bool): Train files carry ``point_label``; the others
            ``frame_num``, ``fps`` and ``duration``.

    Returns:
        dict: ``feat_spa`` / ``feat_tem`` (D / 2, T) float32, ``cls_label``
        (C,) float32 multi-hot, ``vid_name`` and the split-specific keys.
    """
    num, half = feats.shape[0], feats.shape[1] // 2
    duration, fps = float(entry['duration']), float(entry['fps'])
    cls_label = np.zeros(num_classes, dtype=np.float32)
    cls_label[labels] = 1.0
    arrays = dict(
        feat_spa=np.ascontiguousarray(feats[:, :half].T),
        feat_tem=np.ascontiguousarray(feats[:, half:].T),
        cls_label=cls_label,
        vid_name=np.array(video))
    if is_train:
        point_label = np.full(num, IGNORE_INDEX, dtype=np.int64)
        idx = np.floor(
            np.asarray(bg_times, dtype=np.float64) / duration *
            num).astype(np.int64)
        point_label[np.clip(idx, 0, num - 1)] = num_classes
        arrays['point_label'] = point_label
    else:
        arrays.update(
            frame_num=np.array(int(round(duration * fps))),
            fps=np.array(fps),
            duration=np.array(duration))
    return arrays


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f'{out_dir} exists and is not a directory')
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(
            f'{out_dir} is not empty; refusing to write into it (pass '
            'overwrite=True / --overwrite to replace the files this '
            'generator writes; other files are left alone)')


def _write_json(path: Path, data: dict) -> None:
    atomic_write(path, json.dumps(data, ensure_ascii=False) + '\n')


def generate_synthetic_benchmark(out_dir,
                                 num_classes: int = 20,
                                 num_videos: Optional[Dict[str, int]] = None,
                                 feat_dim: int = 128,
                                 duration_range: Tuple[float,
                                                       float] = (30.0, 120.0),
                                 fps: float = 30,
                                 alt_fps: float = 25,
                                 alt_fps_ratio: float = 0.1,
                                 frames_per_snippet: int = 16,
                                 num_segments: Optional[int] = None,
                                 seed: int = 0,
                                 layout: str = 'npy',
                                 gt_file=None,
                                 click_file=None,
                                 subsets_from_gt: Union[None, str,
                                                        Sequence[str],
                                                        Dict[str, str]] = None,
                                 max_videos_per_subset: Optional[int] = None,
                                 train_subset: Optional[str] = None,
                                 click_subsets: Optional[Sequence[str]] = None,
                                 two_class_ratio: float = 0.15,
                                 inside_noise: float = 0.077,
                                 extra_background: float = 0.2,
                                 min_gap: float = 1.0,
                                 action_outside_noise: float = 0.03,
                                 cfg=None,
                                 overwrite: bool = False) -> dict:
    """Write a synthetic (or real-GT-shaped) click-supervised benchmark.

    Args:
        out_dir: Output folder; must be empty or absent unless ``overwrite``.
        num_classes (int): Classes of a synthetic GT (``class00``...).
            Ignored with ``gt_file``. Defaults to 5.
        num_videos (dict): subset -> number of synthetic videos. Defaults
            to ``dict(train=80, val=20, test=40)``. Ignored with ``gt_file``.
        feat_dim (int): D, even (RGB and flow halves). Defaults to 128.
        duration_range (tuple): Uniform range of synthetic durations (s).
        fps (float): Frame rate of synthetic videos (and of real-GT videos
            without ``fps``). Defaults to 30.
        alt_fps (float) / alt_fps_ratio (float): Fraction of synthetic
            videos at ``alt_fps`` instead. Defaults to 25 / 0.1.
        frames_per_snippet (int): Frames per feature snippet. Defaults to 16.
        num_segments (int, optional): Use this fixed T for every video
            (the official code batches fixed-length features, e.g. 750)
            instead of ``round(duration * fps / frames_per_snippet)``.
        seed (int): Random seed. Defaults to 0.
        layout (str): 'npy' or 'official'. Defaults to 'npy'.
        gt_file (str, optional): Shape the benchmark on this real
            ActivityNet-style GT (videos, durations, fps, segments, classes).
        click_file (str, optional): Real clicks for ``gt_file``: a
            ``.json`` click file or the THUMOS14 CSV. Its background and/or
            action clicks replace the simulated ones of that kind; clicks for
            videos not generated are dropped.
        subsets_from_gt: Real-GT subsets to use: None (all), a name, a list
            of names, or a dict renaming them (``{'val': 'train',
            'test': 'test'}`` for THUMOS14).
        max_videos_per_subset (int, optional): Keep only the first N videos
            (GT order) of each output subset.
        train_subset (str, optional): Subset that gets clicks and, in the
            official layout, ``point_label``. Defaults to 'train' /
            'training', or 'val' for a THUMOS14-style {'val', 'test'} GT.
        click_subsets (list[str], optional): Subsets to simulate clicks for.
            Defaults to ``[train_subset]``.
        two_class_ratio (float): Synthetic videos with two classes
            (THUMOS14: 0.15).
        inside_noise (float): Fraction of simulated A1 clicks inside actions
            (THUMOS14 A1: 0.077).
        extra_background (float): Extra A1 clicks per background gap.
        min_gap (float): Simulated A1 annotators skip gaps up to this long
            (s). Defaults to 1.
        action_outside_noise (float): Fraction of simulated SF clicks moved
            just outside their instance (SF-Net on THUMOS14: 0.022-0.039).
        cfg (SyntheticConfig | dict, optional): Feature/GT knobs.
        overwrite (bool): Write into a non-empty ``out_dir``, replacing
            only the files this function writes. Defaults to False.

    Returns:
        dict: Summary with ``out_dir``, ``gt_file``, ``click_file``,
        ``feature_dir``, ``layout``, ``num_classes``, ``feat_dim``,
        ``num_videos`` (per subset), ``num_snippets`` (total),
        ``num_clicks`` (per annotator) and ``train_subset``.
    """
    cfg = as_config(cfg)
    if layout not in ('npy', 'official'):
        raise ValueError(f"layout must be 'npy' or 'official', got {layout!r}")
    if not isinstance(feat_dim, int) or feat_dim < 2 or feat_dim % 2:
        raise ValueError(f'feat_dim must be an even int >= 2 (RGB and flow '
                         f'halves), got {feat_dim!r}')
    if frames_per_snippet <= 0:
        raise ValueError(f'frames_per_snippet must be > 0, got '
                         f'{frames_per_snippet}')
    if num_segments is not None and num_segments < 1:
        raise ValueError(f'num_segments must be >= 1, got {num_segments}')
    if not 0.0 <= float(action_outside_noise) <= 1.0:
        raise ValueError(f'action_outside_noise must be in [0, 1], got '
                         f'{action_outside_noise}')
    if click_file is not None and gt_file is None:
        raise ValueError('click_file needs gt_file (real clicks only make '
                         'sense on the real GT)')
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, overwrite)

    if gt_file is None:
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        num_videos = dict(DEFAULT_NUM_VIDEOS if num_videos is
                          None else num_videos)
        for subset, count in num_videos.items():
            if not is_count(count):
                raise ValueError(f'num_videos[{subset!r}] must be an int >= '
                                 f'0, got {count!r}')
        lo, hi = duration_range
        if not MIN_VIDEO_SECONDS <= lo <= hi:
            raise ValueError(
                f'duration_range must satisfy {MIN_VIDEO_SECONDS:g} <= min '
                f'<= max (seconds; a video needs room for one action with '
                f'background around it), got {tuple(duration_range)}')
        class_names = [f'class{c:02d}' for c in range(num_classes)]
        database = synthesize_gt(num_videos, class_names, duration_range, fps,
                                 alt_fps, alt_fps_ratio, two_class_ratio, seed,
                                 cfg)
        full_database = database
    else:
        database, class_names, full_database = load_real_gt(
            gt_file, subsets_from_gt, max_videos_per_subset, fps)
        if not database:
            raise ValueError(f'{gt_file}: no video selected')
    subsets = list(dict.fromkeys(e['subset'] for e in database.values()))
    train_subset = resolve_train_subset(train_subset, subsets)
    click_subsets = [train_subset] if click_subsets is None else \
        list(click_subsets)

    # Clicks: real ones where given, simulated for the kinds that are not.
    given: Clicks = {}
    if click_file is not None:
        given = read_clicks(click_file, class_names)
        validate_clicks(
            given, full_database, class_names, path=str(click_file))
        given = {v: c for v, c in given.items() if v in database}
    types = {c['type'] for vclicks in given.values() for c in vclicks}
    simulated = human_like_clicks(
        database,
        class_names,
        subsets=[s for s in click_subsets if s in subsets],
        seed=seed,
        background='background' not in types,
        action='action' not in types,
        inside_noise=inside_noise,
        extra_background=extra_background,
        min_gap=min_gap,
        action_outside_noise=action_outside_noise,
        outside_seconds=cfg.approach_seconds)
    clicks = merge_click_files(given, simulated)

    # Features.
    prototypes = make_prototypes(len(class_names), feat_dim, seed, cfg)
    class_index = {name: i for i, name in enumerate(class_names)}
    feature_dir = out_dir / 'features'
    feature_dir.mkdir(parents=True, exist_ok=True)
    total_snippets = 0
    for video, entry in database.items():
        duration, video_fps = float(entry['duration']), float(entry['fps'])
        num = num_segments or num_snippets(duration, video_fps,
                                           frames_per_snippet)
        segs = np.array([a['segment'] for a in entry['annotations']],
                        dtype=np.float64).reshape(-1, 2)
        labels = np.array(
            [class_index[a['label']] for a in entry['annotations']],
            dtype=np.int64)
        feats = synthesize_video_features(
            stream_rng(seed, 2, video), duration, segs, labels, prototypes,
            num, cfg)
        total_snippets += num
        if layout == 'npy':
            atomic_replace(
                feature_dir / f'{video}.npy',
                lambda tmp: np.save(tmp, feats),
                suffix='.npy')
        else:
            bg_times = [
                c['time'] for c in clicks.get(video, [])
                if c['type'] == 'background'
            ]
            arrays = _official_arrays(video, entry, feats, labels,
                                      len(class_names), bg_times,
                                      entry['subset'] == train_subset)
            atomic_replace(
                feature_dir / f'{video}.npz',
                lambda tmp: np.savez(tmp, **arrays),
                suffix='.npz')

    gt_path = out_dir / 'gt.json'
    _write_json(
        gt_path,
        dict(
            version=GT_VERSION,
            activity_list=list(class_names),
            database=database))
    click_path = out_dir / 'clicks.json'
    dump_click_file(clicks, click_path, overwrite=True)

    per_annotator = Counter(c['annotator'] for vclicks in clicks.values()
                            for c in vclicks)
    per_subset = Counter(entry['subset'] for entry in database.values())
    return dict(
        out_dir=str(out_dir),
        gt_file=str(gt_path),
        click_file=str(click_path),
        feature_dir=str(feature_dir),
        layout=layout,
        num_classes=len(class_names),
        feat_dim=feat_dim,
        num_videos=dict(per_subset),
        num_snippets=total_snippets,
        num_clicks=dict(sorted(per_annotator.items())),
        train_subset=train_subset)

"""The benchmark writer: :func:`generate_synthetic_benchmark` (GT, clicks,
features in the 'npy' or the official BackTAL layout)."""
import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from ...utils import IGNORE_INDEX, atomic_replace, atomic_write
from ..clicks import Clicks, dump_click_file, is_count, merge_click_files
from .clicks import human_like_clicks
from .config import (DEFAULT_NUM_VIDEOS, GT_VERSION, MIN_VIDEO_SECONDS,
                     SyntheticBenchmarkConfig, as_config, stream_rng)
from .features import num_snippets, synthesize_video_features
from .ground_truth import synthesize_gt
from .prototypes import make_prototypes
from ..gt_io import load_gt
from .real_gt import load_real_gt, read_click_files, resolve_train_subset


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


def benchmark_config(config: Optional[SyntheticBenchmarkConfig] = None,
                     settings: Optional[Mapping[str, Any]] = None
                     ) -> SyntheticBenchmarkConfig:
    """The one :class:`SyntheticBenchmarkConfig` of a call: ``config``, or
    one built from keyword ``settings`` (its field names; ``cfg`` is the
    former name of ``model``), or the defaults.

    Raises:
        TypeError: both given, an unknown setting, or ``config`` of another
            type.
    """
    if settings:
        if config is not None:
            raise TypeError(
                'generate_synthetic_benchmark: give the settings as '
                'config=SyntheticBenchmarkConfig(...) or as keywords, not '
                f'both (keywords: {sorted(settings)})')
        settings = dict(settings)
        if 'cfg' in settings:
            if 'model' in settings:
                raise TypeError("generate_synthetic_benchmark: 'cfg' is the "
                                "former name of 'model'; give one of them")
            settings['model'] = settings.pop('cfg')
        names = [f.name for f in dataclasses.fields(SyntheticBenchmarkConfig)]
        unknown = sorted(set(settings) - set(names))
        if unknown:
            raise TypeError(f'generate_synthetic_benchmark: unknown '
                            f'setting(s) {unknown}; valid: {names}')
        return SyntheticBenchmarkConfig(**settings)
    if config is None:
        return SyntheticBenchmarkConfig()
    if not isinstance(config, SyntheticBenchmarkConfig):
        raise TypeError(f'config must be a SyntheticBenchmarkConfig, got '
                        f'{type(config).__name__}')
    return config


def generate_synthetic_benchmark(out_dir,
                                 config: Optional[
                                     SyntheticBenchmarkConfig] = None,
                                 overwrite: bool = False,
                                 **settings) -> dict:
    """Write a synthetic (or real-GT-shaped) click-supervised benchmark.

    Args:
        out_dir: Output folder; must be empty or absent unless ``overwrite``.
        config (SyntheticBenchmarkConfig, optional): What to generate (see
            its attributes). Defaults to ``SyntheticBenchmarkConfig()``.
        overwrite (bool): Write into a non-empty ``out_dir``, replacing
            only the files this function writes. Defaults to False.
        **settings: The keyword form of ``config`` (its field names, and
            ``cfg`` for ``model``), kept for the callers that pass keywords
            (the Runner test fixtures); not together with ``config``.

    Returns:
        dict: Summary with ``out_dir``, ``gt_file``, ``click_file``,
        ``feature_dir``, ``layout``, ``num_classes``, ``feat_dim``,
        ``num_videos`` (per subset), ``num_snippets`` (total),
        ``num_clicks`` (per annotator) and ``train_subset``.
    """
    c = benchmark_config(config, settings)
    # The settings as the locals the generator below was written with.
    num_classes, num_videos, feat_dim = c.num_classes, c.num_videos, \
        c.feat_dim
    duration_range, fps, alt_fps, alt_fps_ratio = c.duration_range, c.fps, \
        c.alt_fps, c.alt_fps_ratio
    frames_per_snippet, num_segments, seed, layout = c.frames_per_snippet, \
        c.num_segments, c.seed, c.layout
    gt_file, click_file, subsets_from_gt = c.gt_file, c.click_file, \
        c.subsets_from_gt
    max_videos_per_subset, train_subset, click_subsets = \
        c.max_videos_per_subset, c.train_subset, c.click_subsets
    two_class_ratio, inside_noise, extra_background, min_gap = \
        c.two_class_ratio, c.inside_noise, c.extra_background, c.min_gap
    action_outside_noise = c.action_outside_noise
    cfg = as_config(c.model)
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
            gt_file, subsets_from_gt, max_videos_per_subset, fps, c.classes)
        if not database:
            raise ValueError(f'{gt_file}: no video selected')
    subsets = list(dict.fromkeys(e['subset'] for e in database.values()))
    train_subset = resolve_train_subset(train_subset, subsets)
    click_subsets = [train_subset] if click_subsets is None else \
        list(click_subsets)

    # Clicks: real ones where given, simulated for the kinds that are not.
    given: Clicks = {}
    if click_file is not None:
        # Each file checked against the full GT (errors name the file).
        # (with a class subset, against the whole class list: the files
        # hold clicks of every class)
        all_classes = (class_names if c.classes is None else
                       load_gt(str(gt_file)).class_names)
        given = read_click_files(click_file, all_classes, full_database)
        given = {v: [k for k in clk if k['type'] == 'background'
                     or k['label'] in class_names]
                 for v, clk in given.items() if v in database}
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

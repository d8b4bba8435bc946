"""The benchmark writer: :func:`generate_synthetic_benchmark` (GT, clicks,
features in the 'npy' or the official BackTAL layout).

Its steps: :func:`_ground_truth` (synthetic or real), :func:`_clicks` (real
and simulated), :func:`_write_features` (one file per video) and
:func:`_write_annotations` (``gt.json``, ``clicks.json``).
"""
import json
from collections import Counter
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

import numpy as np

from ...utils import (IGNORE_INDEX, atomic_replace, atomic_write,
                      check_output_path)
from ..clicks import Clicks, dump_click_file, merge_click_files
from .clicks import human_like_clicks
from .config import (GT_VERSION, SyntheticBenchmarkConfig, SyntheticConfig,
                     as_config, stream_rng)
from .features import num_snippets, synthesize_video_features
from .ground_truth import synthesize_gt
from .presets import preset_input_files
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


# The feature file of a video in each layout.
FEATURE_SUFFIX = dict(npy='.npy', official='.npz')
# Stale files listed in a message.
_SHOWN = 3


def check_benchmark_outputs(out_dir, config: SyntheticBenchmarkConfig,
                            overwrite: bool,
                            option: str = '`out_dir`') -> None:
    """Refuse an output folder before anything is generated.

    Args:
        out_dir (str | Path): Where the benchmark goes.
        config (SyntheticBenchmarkConfig): Its settings (the files it
            reads: ``gt_file``, ``click_file``).
        overwrite (bool): Whether a non-empty folder may be written into.
        option (str): How the caller names the folder (the tool: ```out```).

    Raises:
        NotADirectoryError: ``out_dir`` is a file.
        FileExistsError: ``out_dir`` is not empty and not ``overwrite``.
        ValueError: ``gt.json`` or ``clicks.json`` of ``out_dir`` is one of
            the files the run reads (``--gt-file data/x/gt.json --out
            data/x --overwrite`` would replace the real GT).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f'{option} {out_dir} exists and is not a '
                                 'directory')
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(
            f'{out_dir} is not empty; refusing to write into it (pass '
            '`overwrite` to replace the files this '
            'generator writes; other files are left alone)')
    inputs = preset_input_files(config)
    for name in ('gt.json', 'clicks.json'):
        # the folder rule above decides about existing files
        check_output_path(out_dir / name, f'{option} file', True, inputs)


def _generated_videos(out_dir: Path) -> Set[str]:
    """The videos of ``out_dir/gt.json`` if this generator wrote it (its
    ``version``), else none: the generator wrote one feature file per video
    of that GT."""
    try:
        with open(out_dir / 'gt.json', encoding='utf-8') as f:
            gt = json.load(f)
    except (OSError, ValueError):  # absent, unreadable or not JSON
        return set()
    if not (isinstance(gt, dict) and
            str(gt.get('version', '')).startswith('backtal-synthetic/')
            and isinstance(gt.get('database'), dict)):
        return set()
    return set(gt['database'])


def _other_layout_files(out_dir: Path, videos, layout: str) -> List[Path]:
    """The feature files of ``videos`` in the other layout that this
    generator wrote before (with ``overwrite``, the layout changed).

    Raises:
        FileExistsError: Such a file of a video this generator did not
            write (not in the previous ``gt.json``): it is not removed, and
            left beside the new file a reader would find two feature files
            for that video.
    """
    other = next(s for k, s in FEATURE_SUFFIX.items() if k != layout)
    stale = [path for path in (out_dir / 'features' / f'{video}{other}'
                               for video in videos) if path.is_file()]
    if not stale:
        return []
    own = _generated_videos(out_dir)
    foreign = [path for path in stale if path.stem not in own]
    if foreign:
        shown = ', '.join(str(p) for p in foreign[:_SHOWN])
        more = f' and {len(foreign) - _SHOWN} more' if len(foreign) > \
            _SHOWN else ''
        raise FileExistsError(
            f'{len(foreign)} feature file(s) of the generated videos exist '
            f"in the other layout ({other}), not written by this generator: "
            f'{shown}{more}; `layout` {layout} writes '
            f'{FEATURE_SUFFIX[layout]} files, and readers (tools/infer.py) '
            'refuse a video with two feature files: move them away first')
    return stale


def _write_json(path: Path, data: dict) -> None:
    atomic_write(path, json.dumps(data, ensure_ascii=False) + '\n')


def _the_config(config: Optional[SyntheticBenchmarkConfig],
                settings: dict) -> SyntheticBenchmarkConfig:
    """``config`` (None: the defaults), checked again (it may have been
    changed since it was made).

    Raises:
        TypeError: keyword settings, or ``config`` of another type.
    """
    if settings:
        cfg = "; the former keyword 'cfg' is its field 'model'" if 'cfg' in \
            settings else ''
        raise TypeError(
            'generate_synthetic_benchmark: give the settings as '
            'config=SyntheticBenchmarkConfig(...), not as keywords (got '
            f'{sorted(settings)}{cfg})')
    if config is None:
        return SyntheticBenchmarkConfig()
    if not isinstance(config, SyntheticBenchmarkConfig):
        raise TypeError(f'config must be a SyntheticBenchmarkConfig, got '
                        f'{type(config).__name__}')
    config.validate()
    return config


class _GroundTruth(NamedTuple):
    """The videos of a benchmark."""
    database: dict  # video -> GT entry, the videos generated
    class_names: List[str]
    full_database: dict  # the whole GT (real clicks are checked against it)
    subsets: List[str]  # the subsets of ``database``, first seen first
    train_subset: str


def _ground_truth(c: SyntheticBenchmarkConfig,
                  model: SyntheticConfig) -> _GroundTruth:
    """A synthetic GT, or the selected videos of the real ``gt_file``."""
    if c.gt_file is None:
        class_names = [f'class{i:02d}' for i in range(c.num_classes)]
        database = synthesize_gt(c.videos_per_subset(), class_names,
                                 c.duration_range, c.fps, c.alt_fps,
                                 c.alt_fps_ratio, c.two_class_ratio, c.seed,
                                 model)
        full_database = database
    else:
        database, class_names, full_database = load_real_gt(
            c.gt_file, c.subsets_from_gt, c.max_videos_per_subset, c.fps,
            c.classes)
        if not database:
            raise ValueError(f'{c.gt_file}: no video selected')
    subsets = list(dict.fromkeys(e['subset'] for e in database.values()))
    return _GroundTruth(database, class_names, full_database, subsets,
                        resolve_train_subset(c.train_subset, subsets))


def _real_clicks(c: SyntheticBenchmarkConfig, gt: _GroundTruth) -> Clicks:
    """The clicks of ``click_file`` on the generated videos and classes."""
    if c.click_file is None:
        return {}
    # Each file checked against the full GT (errors name the file).
    # (with a class subset, against the whole class list: the files
    # hold clicks of every class)
    all_classes = (gt.class_names if c.classes is None else
                   load_gt(str(c.gt_file)).class_names)
    given = read_click_files(c.click_file, all_classes, gt.full_database)
    return {v: [k for k in clk if k['type'] == 'background'
                or k['label'] in gt.class_names]
            for v, clk in given.items() if v in gt.database}


def _clicks(c: SyntheticBenchmarkConfig, model: SyntheticConfig,
            gt: _GroundTruth) -> Clicks:
    """Real clicks where given, simulated ones for the kinds (background,
    action) that are not."""
    given = _real_clicks(c, gt)
    click_subsets = [gt.train_subset] if c.click_subsets is None else \
        list(c.click_subsets)
    types = {k['type'] for vclicks in given.values() for k in vclicks}
    simulated = human_like_clicks(
        gt.database,
        gt.class_names,
        subsets=[s for s in click_subsets if s in gt.subsets],
        seed=c.seed,
        background='background' not in types,
        action='action' not in types,
        inside_noise=c.inside_noise,
        extra_background=c.extra_background,
        min_gap=c.min_gap,
        action_outside_noise=c.action_outside_noise,
        outside_seconds=model.approach_seconds)
    return merge_click_files(given, simulated)


def _video_features(c: SyntheticBenchmarkConfig, model: SyntheticConfig,
                    prototypes: np.ndarray, class_index: Dict[str, int],
                    video: str,
                    entry: dict) -> Tuple[np.ndarray, np.ndarray]:
    """One video's (T, D) features and the class indices of its
    instances."""
    duration, video_fps = float(entry['duration']), float(entry['fps'])
    num = c.num_segments or num_snippets(duration, video_fps,
                                         c.frames_per_snippet)
    segs = np.array([a['segment'] for a in entry['annotations']],
                    dtype=np.float64).reshape(-1, 2)
    labels = np.array([class_index[a['label']] for a in entry['annotations']],
                      dtype=np.int64)
    feats = synthesize_video_features(stream_rng(c.seed, 2, video), duration,
                                      segs, labels, prototypes, num, model)
    return feats, labels


def _write_features(c: SyntheticBenchmarkConfig, model: SyntheticConfig,
                    gt: _GroundTruth, clicks: Clicks,
                    feature_dir: Path) -> int:
    """Write ``<video>.npy`` ('npy' layout) or ``<video>.npz`` ('official')
    per video into ``feature_dir``; returns the total number of
    snippets."""
    prototypes = make_prototypes(len(gt.class_names), c.feat_dim, c.seed,
                                 model)
    class_index = {name: i for i, name in enumerate(gt.class_names)}
    feature_dir.mkdir(parents=True, exist_ok=True)
    total_snippets = 0
    for video, entry in gt.database.items():
        feats, labels = _video_features(c, model, prototypes, class_index,
                                        video, entry)
        total_snippets += feats.shape[0]
        if c.layout == 'npy':
            atomic_replace(
                feature_dir / f'{video}.npy',
                lambda tmp: np.save(tmp, feats),
                suffix='.npy')
            continue
        bg_times = [
            k['time'] for k in clicks.get(video, [])
            if k['type'] == 'background'
        ]
        arrays = _official_arrays(video, entry, feats, labels,
                                  len(gt.class_names), bg_times,
                                  entry['subset'] == gt.train_subset)
        atomic_replace(
            feature_dir / f'{video}.npz',
            lambda tmp: np.savez(tmp, **arrays),
            suffix='.npz')
    return total_snippets


def _write_annotations(out_dir: Path, gt: _GroundTruth,
                       clicks: Clicks) -> Tuple[Path, Path]:
    """Write ``gt.json`` and ``clicks.json``; returns their paths."""
    gt_path = out_dir / 'gt.json'
    _write_json(
        gt_path,
        dict(
            version=GT_VERSION,
            activity_list=list(gt.class_names),
            database=gt.database))
    click_path = out_dir / 'clicks.json'
    dump_click_file(clicks, click_path, overwrite=True)
    return gt_path, click_path


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
            only the files this function writes, and removing the feature
            files of the generated videos in the other layout that it wrote
            before (a ``.npy`` beside the new ``.npz``; such a file it did
            not write is a FileExistsError). Never replaces the files it
            reads (``gt_file``, ``click_file``). Defaults to False.
        **settings: Not accepted (a TypeError saying to pass
            ``config=SyntheticBenchmarkConfig(...)``): the former keyword
            form of ``config``.

    Returns:
        dict: Summary with ``out_dir``, ``gt_file``, ``click_file``,
        ``feature_dir``, ``layout``, ``num_classes``, ``feat_dim``,
        ``num_videos`` (per subset), ``num_snippets`` (total),
        ``num_clicks`` (per annotator) and ``train_subset``.
    """
    c = _the_config(config, settings)
    model = as_config(c.model)
    out_dir = Path(out_dir)
    check_benchmark_outputs(out_dir, c, overwrite)
    gt = _ground_truth(c, model)
    stale = _other_layout_files(out_dir, gt.database, c.layout)
    clicks = _clicks(c, model, gt)
    feature_dir = out_dir / 'features'
    total_snippets = _write_features(c, model, gt, clicks, feature_dir)
    # The previous run's files of these videos in the other layout: with
    # them, a reader would see two feature files per video.
    for path in stale:
        path.unlink()
    gt_path, click_path = _write_annotations(out_dir, gt, clicks)
    per_annotator = Counter(k['annotator'] for vclicks in clicks.values()
                            for k in vclicks)
    per_subset = Counter(entry['subset'] for entry in gt.database.values())
    return dict(
        out_dir=str(out_dir),
        gt_file=str(gt_path),
        click_file=str(click_path),
        feature_dir=str(feature_dir),
        layout=c.layout,
        num_classes=len(gt.class_names),
        feat_dim=c.feat_dim,
        num_videos=dict(per_subset),
        num_snippets=total_snippets,
        num_clicks=dict(sorted(per_annotator.items())),
        train_subset=gt.train_subset)

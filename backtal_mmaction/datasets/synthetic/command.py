# Copyright (c) OpenMMLab. All rights reserved.
"""What ``tools/data/generate_synthetic.py`` runs, from its parsed options.

The options are the tool's argparse values by destination name (``out``,
``layout``, ``num_classes``, ``num_videos`` as ``[TRAIN, VAL, TEST]``,
``feat_dim``, ``duration_range``, ``fps``, ``frames_per_snippet``,
``num_segments``, ``seed``, ``gt_file``, ``click_file``, ``subsets``
(``SRC[:DST]`` strings), ``max_videos``, ``train_subset``,
``inside_noise``, ``action_outside_noise``, ``overwrite``, ``exist_ok``);
errors name the command-line option.

``--exist-ok`` reuses a folder that holds a benchmark generated with exactly
these options: the folder's :data:`STAMP` records the content options (all
but ``out`` / ``overwrite`` / ``exist_ok``), the generator version, the
feature model and the generator defaults the tool does not expose. Its
format is that of the stamps written before, so folders generated then are
still recognised.
"""
import dataclasses
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .benchmark import generate_synthetic_benchmark
from .config import (GT_VERSION, MIN_VIDEO_SECONDS, SyntheticBenchmarkConfig,
                     SyntheticConfig)

STAMP = '.generate_synthetic_args.json'
# Options that do not change the generated files.
NOT_CONTENT = ('out', 'overwrite', 'exist_ok')
# The content options, by destination name.
CONTENT_OPTIONS = ('layout', 'num_classes', 'num_videos', 'feat_dim',
                   'duration_range', 'fps', 'frames_per_snippet',
                   'num_segments', 'seed', 'gt_file', 'click_file',
                   'subsets', 'max_videos', 'train_subset', 'inside_noise',
                   'action_outside_noise')
# SyntheticBenchmarkConfig fields the tool sets (or whose defaults the stamp
# records as the feature model).
_EXPOSED = {
    'num_classes', 'num_videos', 'feat_dim', 'duration_range', 'fps',
    'frames_per_snippet', 'num_segments', 'seed', 'layout', 'gt_file',
    'click_file', 'subsets_from_gt', 'max_videos_per_subset', 'train_subset',
    'inside_noise', 'action_outside_noise', 'model'
}

__all__ = [
    'STAMP', 'parse_subsets', 'check_options', 'benchmark_config_of',
    'stamp_content', 'already_generated', 'generate_from_options'
]


def _check_keys(options: Mapping[str, Any]) -> None:
    missing = sorted(set(CONTENT_OPTIONS + NOT_CONTENT) - set(options))
    unknown = sorted(set(options) - set(CONTENT_OPTIONS + NOT_CONTENT))
    if missing or unknown:
        raise ValueError(f'generate_synthetic options: missing {missing}, '
                         f'unknown {unknown}')


def parse_subsets(
        items: Optional[Sequence[str]]
) -> Union[None, List[str], Dict[str, str]]:
    """``--subsets`` values -> ``subsets_from_gt``: None (all), a list of
    names, or, as soon as one item is ``SRC:DST``, a dict renaming them
    (``SRC`` alone keeps its name)."""
    if not items:
        return None
    if any(':' in item for item in items):
        mapping = {}
        for item in items:
            src, _, dst = item.partition(':')
            mapping[src] = dst or src
        return mapping
    return list(items)


def check_options(options: Mapping[str, Any]) -> None:
    """Raise ValueError naming the option and its rule."""
    lo, hi = options['duration_range']
    if options['gt_file'] is None and not MIN_VIDEO_SECONDS <= lo <= hi:
        raise ValueError(
            f'--duration-range MIN MAX must satisfy {MIN_VIDEO_SECONDS:g} '
            f'<= MIN <= MAX (seconds), got {lo:g} {hi:g}')
    for name in ('inside_noise', 'action_outside_noise'):
        value = options[name]
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1], "
                             f'got {value:g}')


def benchmark_config_of(
        options: Mapping[str, Any]) -> SyntheticBenchmarkConfig:
    """The :class:`SyntheticBenchmarkConfig` of the options (the other
    settings keep their defaults)."""
    return SyntheticBenchmarkConfig(
        num_classes=options['num_classes'],
        num_videos=dict(zip(('train', 'val', 'test'), options['num_videos'])),
        feat_dim=options['feat_dim'],
        duration_range=tuple(options['duration_range']),
        fps=options['fps'],
        frames_per_snippet=options['frames_per_snippet'],
        num_segments=options['num_segments'],
        seed=options['seed'],
        layout=options['layout'],
        gt_file=options['gt_file'],
        click_file=options['click_file'],
        subsets_from_gt=parse_subsets(options['subsets']),
        max_videos_per_subset=options['max_videos'],
        train_subset=options['train_subset'],
        inside_noise=options['inside_noise'],
        action_outside_noise=options['action_outside_noise'])


def stamp_content(options: Mapping[str, Any]) -> dict:
    """What :data:`STAMP` records: the content options (sorted), the
    generator version (``generator``), the feature model's fields
    (``feature_model``) and the defaults of the settings the tool does not
    set (``generator_defaults``): a folder made by an older generator is
    refused, not silently reused."""
    content = {k: v for k, v in sorted(options.items())
               if k not in NOT_CONTENT}
    content['generator'] = GT_VERSION
    content['feature_model'] = dataclasses.asdict(SyntheticConfig())
    content['generator_defaults'] = {
        f.name: f.default
        for f in dataclasses.fields(SyntheticBenchmarkConfig)
        if f.name not in _EXPOSED
    }
    return content


def already_generated(options: Mapping[str, Any]) -> bool:
    """True if ``options['out']`` holds a complete benchmark made with these
    options. A stamp of other options is a ValueError naming them, unless
    ``overwrite`` (then False: regenerate)."""
    out = options['out']
    stamp = os.path.join(out, STAMP)
    if not os.path.isfile(stamp):
        return False
    with open(stamp) as f:
        previous = json.load(f)
    # Through JSON, as the stamp was written (tuples become lists).
    current = json.loads(json.dumps(stamp_content(options)))
    if previous != current:
        if options['overwrite']:
            return False
        changed = sorted(k for k in set(previous) | set(current)
                         if previous.get(k) != current.get(k))
        raise ValueError(f'{out} holds a benchmark generated with other '
                         f'arguments ({", ".join(changed)}); pass --overwrite '
                         'to regenerate it or choose another --out')
    return all(os.path.isfile(os.path.join(out, f))
               for f in ('gt.json', 'clicks.json'))


def generate_from_options(options: Mapping[str, Any]) -> List[str]:
    """Check the options, reuse (``exist_ok``) or generate the benchmark in
    ``options['out']`` and stamp it.

    Returns:
        list[str]: The lines to show: one saying the folder is reused, or
        what was written (GT, clicks, features).
    """
    _check_keys(options)
    check_options(options)
    out = options['out']
    if options['exist_ok'] and already_generated(options):
        return [f'{out} already holds this benchmark; reusing it '
                '(--exist-ok)']
    summary = generate_synthetic_benchmark(out, benchmark_config_of(options),
                                           overwrite=options['overwrite'])
    with open(os.path.join(out, STAMP), 'w') as f:
        json.dump(stamp_content(options), f, indent=1)
    videos = ', '.join(f'{k}: {v}' for k, v in summary['num_videos'].items())
    clicks = ', '.join(f'{k}: {v}' for k, v in summary['num_clicks'].items())
    ext = 'npy' if summary['layout'] == 'npy' else 'npz'
    return [
        f"wrote {summary['gt_file']} ({summary['num_classes']} classes; "
        f'videos {videos})',
        f"wrote {summary['click_file']} (clicks per annotator: "
        f"{clicks or 'none'}; train subset '{summary['train_subset']}')",
        f"wrote {sum(summary['num_videos'].values())} feature files "
        f"{summary['feature_dir']}/<video>.{ext} (D={summary['feat_dim']}, "
        f"{summary['num_snippets']} snippets in total)"
    ]

"""What ``tools/data/generate_synthetic.py`` runs, from its parsed options.

The options are the tool's argparse values by destination name (``out``,
``layout``, ``num_classes``, ``num_videos`` as ``[TRAIN, VAL, TEST]``,
``feat_dim``, ``duration_range``, ``fps``, ``frames_per_snippet``,
``num_segments``, ``seed``, ``gt_file``, ``click_file``, ``subsets``
(``SRC[:DST]`` strings), ``max_videos``, ``train_subset``,
``inside_noise``, ``action_outside_noise``, ``overwrite``, ``exist_ok``);
errors name the command-line option.

``click_file`` is None, a path, or a list of paths (``--click-file`` takes
several files; a list of one is that path).

Two optional options select a named preset (:mod:`.presets`): ``preset``
(a name, or None / absent) and ``shared_data`` (the folder of the real
annotation files; None / absent: ``../shared/data``). With a preset the
benchmark is the preset's; of the other content options only ``seed``,
``feat_dim`` and ``max_videos`` apply (as overrides), and any other one
that differs from the tool's default (:data:`TOOL_DEFAULTS`) is an error
naming it: it would be silently ignored otherwise.

``--exist-ok`` reuses a folder that holds a benchmark generated with exactly
these options: the folder's :data:`STAMP` records the content options (all
but ``out`` / ``overwrite`` / ``exist_ok``), the generator version, the
feature model and the generator defaults the tool does not expose. Its
format is that of the stamps written before, so folders generated then are
still recognised. A preset's stamp records instead the preset name, its
resolved settings (file names without their folder) and a SHA-256 of each
real file it read, so a folder made with other options, another preset or
other annotation files is refused.
"""
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .benchmark import check_benchmark_outputs, generate_synthetic_benchmark
from .config import GT_VERSION, SyntheticBenchmarkConfig, SyntheticConfig
from .presets import (DEFAULT_SHARED_DATA, PRESETS, preset_config,
                      preset_input_files)

STAMP = '.generate_synthetic_args.json'
# Options that do not change the generated files.
NOT_CONTENT = ('out', 'overwrite', 'exist_ok')
# The content options, by destination name.
CONTENT_OPTIONS = ('layout', 'num_classes', 'num_videos', 'feat_dim',
                   'duration_range', 'fps', 'frames_per_snippet',
                   'num_segments', 'seed', 'gt_file', 'click_file',
                   'subsets', 'max_videos', 'train_subset', 'inside_noise',
                   'action_outside_noise')
# Optional options (absent = None): a named preset and its data folder.
PRESET_OPTIONS = ('preset', 'shared_data')
# The tool's defaults of the content options (tools/data/generate_synthetic.py
# repeats them in its parser, which imports nothing heavy; a test checks
# the two agree). A preset refuses any other value, except for the options
# in PRESET_OVERRIDES.
TOOL_DEFAULTS = dict(
    layout='npy', num_classes=20, num_videos=[200, 20, 200], feat_dim=128,
    duration_range=[30.0, 120.0], fps=30, frames_per_snippet=16,
    num_segments=None, seed=0, gt_file=None, click_file=None, subsets=None,
    max_videos=None, train_subset=None, inside_noise=0.077,
    action_outside_noise=0.03)
# The options of a synthetic GT: with ``gt_file`` the real GT sets them, so
# a value other than the default would be ignored (an error).
SYNTHETIC_GT_OPTIONS = ('num_classes', 'num_videos', 'duration_range')
# SyntheticBenchmarkConfig fields whose option has another name (the
# config's messages name the field).
_FIELD_OPTIONS = dict(max_videos_per_subset='max_videos',
                      subsets_from_gt='subsets')
# Options that apply on top of a preset -> its SyntheticBenchmarkConfig
# field (seed and feat_dim always: the tool's defaults equal the presets').
PRESET_OVERRIDES = dict(seed='seed', feat_dim='feat_dim',
                        max_videos='max_videos_per_subset')
# SyntheticBenchmarkConfig fields the tool sets (or whose defaults the stamp
# records as the feature model). ``classes`` is set by presets only, whose
# stamp records their resolved settings; listing it here keeps the stamp of
# a plain run as it was, so folders generated before it existed are reused.
_EXPOSED = {
    'num_classes', 'num_videos', 'feat_dim', 'duration_range', 'fps',
    'frames_per_snippet', 'num_segments', 'seed', 'layout', 'gt_file',
    'click_file', 'subsets_from_gt', 'max_videos_per_subset', 'train_subset',
    'inside_noise', 'action_outside_noise', 'model', 'classes'
}

__all__ = [
    'STAMP', 'TOOL_DEFAULTS', 'parse_subsets', 'click_files',
    'check_options', 'benchmark_config_of', 'stamp_content',
    'already_generated', 'generate_from_options'
]


def _check_keys(options: Mapping[str, Any]) -> None:
    missing = sorted(set(CONTENT_OPTIONS + NOT_CONTENT) - set(options))
    unknown = sorted(
        set(options) - set(CONTENT_OPTIONS + NOT_CONTENT + PRESET_OPTIONS))
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


def _option(name: str) -> str:
    # a keyword in backquotes: the tool's run_cli writes it as its flag
    return f'`{name}`'


def _same(a, b) -> bool:
    """Equal, a list and a tuple of equal items included (JSON / argparse
    give lists)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def click_files(value) -> Union[None, str, List[str]]:
    """``click_file`` as the config takes it: None, one path (a list of one
    path is that path, so ``--click-file X`` gives exactly the settings and
    stamp of the time it took one file) or a list of paths."""
    if value is None or isinstance(value, (str, os.PathLike)):
        return None if value is None else str(value)
    value = [str(v) for v in value]
    return value[0] if len(value) == 1 else value


def check_options(
        options: Mapping[str, Any]) -> SyntheticBenchmarkConfig:
    """Raise ValueError naming the option and its rule: a preset combined
    with other content options, a synthetic-GT option
    (:data:`SYNTHETIC_GT_OPTIONS`) or a real-GT one (``subsets``,
    ``max_videos``, ``click_file``) that the GT in use would ignore, or a
    value its :class:`SyntheticBenchmarkConfig` refuses (a count, a frame
    rate, a duration, a fraction out of range, NaN or infinite).

    Returns:
        SyntheticBenchmarkConfig: The settings of the options
        (:func:`benchmark_config_of`).
    """
    preset = options.get('preset')
    if preset is None:
        if options.get('shared_data') is not None:
            raise ValueError('`shared_data` applies to `preset` only')
    else:
        if preset not in PRESETS:
            raise ValueError(f'`preset` {preset!r} is not a preset; valid '
                             f'presets: {list(PRESETS)}')
        given = [
            name for name in CONTENT_OPTIONS
            if name not in PRESET_OVERRIDES
            and not _same(options[name], TOOL_DEFAULTS[name])
        ]
        if given:
            raise ValueError(
                f'`preset` {preset} sets the benchmark itself; '
                f'{", ".join(_option(n) for n in given)} cannot be '
                'combined with it (only `out`, `seed`, `feat_dim`, '
                '`max_videos`, `shared_data`, `exist_ok`, `overwrite`)')
    if options['gt_file'] is not None:
        given = [name for name in SYNTHETIC_GT_OPTIONS
                 if not _same(options[name], TOOL_DEFAULTS[name])]
        if given:
            verb = 'shapes' if len(given) == 1 else 'shape'
            raise ValueError(
                f'{", ".join(_option(n) for n in given)} {verb} a synthetic '
                'GT; `gt_file` gives the videos, durations and classes '
                'itself (drop the option)')
    counts = options['num_videos']
    if not (isinstance(counts, (list, tuple)) and len(counts) == 3):
        raise ValueError('`num_videos` must be three counts TRAIN VAL TEST, '
                         f'got {counts!r}')
    try:
        return benchmark_config_of(options)
    except ValueError as err:
        # the config's field names -> the options' names
        text = str(err)
        for field, name in _FIELD_OPTIONS.items():
            text = text.replace(_option(field), _option(name))
        if text == str(err):
            raise
        raise ValueError(text) from err


def _shared_data(options: Mapping[str, Any]) -> str:
    shared = options.get('shared_data')
    return DEFAULT_SHARED_DATA if shared is None else str(shared)


def benchmark_config_of(
        options: Mapping[str, Any]) -> SyntheticBenchmarkConfig:
    """The :class:`SyntheticBenchmarkConfig` of the options (the other
    settings keep their defaults): with ``preset``, the preset's settings
    with the :data:`PRESET_OVERRIDES` options applied (``max_videos`` only
    if not None)."""
    if options.get('preset') is not None:
        overrides = {
            field: options[name]
            for name, field in PRESET_OVERRIDES.items()
            if not (name == 'max_videos' and options[name] is None)
        }
        return preset_config(options['preset'], _shared_data(options),
                             **overrides)
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
        click_file=click_files(options['click_file']),
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
    refused, not silently reused.

    With ``preset``: ``preset``, ``preset_config`` (the resolved settings,
    file paths reduced to their names: the same files in another folder are
    the same benchmark), ``input_files`` (file name -> SHA-256 of the real
    files read) and ``generator``."""
    if options.get('preset') is not None:
        return _preset_stamp(options)
    content = {k: v for k, v in sorted(options.items())
               if k not in NOT_CONTENT + PRESET_OPTIONS}
    content['click_file'] = click_files(content['click_file'])
    content['generator'] = GT_VERSION
    content['feature_model'] = dataclasses.asdict(SyntheticConfig())
    content['generator_defaults'] = {
        f.name: f.default
        for f in dataclasses.fields(SyntheticBenchmarkConfig)
        if f.name not in _EXPOSED
    }
    return content


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _preset_stamp(options: Mapping[str, Any]) -> dict:
    config = benchmark_config_of(options)
    files = preset_input_files(config)
    settings = dataclasses.asdict(config)
    settings['gt_file'] = Path(config.gt_file).name
    clicks = config.click_file
    if isinstance(clicks, (str, os.PathLike)):
        settings['click_file'] = Path(clicks).name
    elif clicks is not None:
        settings['click_file'] = [Path(f).name for f in clicks]
    return dict(
        preset=options['preset'],
        preset_config=settings,
        input_files={Path(f).name: _sha256(f) for f in files},
        generator=GT_VERSION)


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
                         f'arguments ({", ".join(changed)}); pass `overwrite` '
                         'to regenerate it or choose another `out`')
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
    config = check_options(options)
    out = options['out']
    if options['exist_ok'] and already_generated(options):
        return [f'{out} already holds this benchmark; reusing it '
                '(`exist_ok`)']
    check_benchmark_outputs(out, config, options['overwrite'], '`out`')
    # The stamp is written last: a failed generation leaves none.
    summary = generate_synthetic_benchmark(out, config,
                                           overwrite=options['overwrite'])
    with open(os.path.join(out, STAMP), 'w') as f:
        json.dump(stamp_content(options), f, indent=1)
    videos = ', '.join(f'{k}: {v}' for k, v in summary['num_videos'].items())
    clicks = ', '.join(f'{k}: {v}' for k, v in summary['num_clicks'].items())
    ext = 'npy' if summary['layout'] == 'npy' else 'npz'
    lines = [
        f"wrote {summary['gt_file']} ({summary['num_classes']} classes; "
        f'videos {videos})',
        f"wrote {summary['click_file']} (clicks per annotator: "
        f"{clicks or 'none'}; train subset '{summary['train_subset']}')",
        f"wrote {sum(summary['num_videos'].values())} feature files "
        f"{summary['feature_dir']}/<video>.{ext} (D={summary['feat_dim']}, "
        f"{summary['num_snippets']} snippets in total)"
    ]
    if options.get('preset') is not None:
        lines.append(f"preset {options['preset']} (test-only variant; "
                     f'annotation files from {_shared_data(options)}; '
                     f'T = {config.num_segments} for every video)')
    return lines

"""Named benchmark presets: TEST-ONLY variants of the synthetic benchmark.

Each preset is a function of a ``shared_data`` folder (the real annotation
files, ``../shared/data`` beside the checkout) returning the
:class:`SyntheticBenchmarkConfig` of a benchmark shaped on a real GT: real
videos, durations, segments, classes (and, for THUMOS14, real clicks); only
the features are synthetic.

**These variants are for testing only.** No setting of the project (a
model, loss or post-processing knob, a threshold, a number of epochs) is
ever chosen on them: settings are chosen on the ``val`` split of the
bundled synthetic benchmark (``configs/_base_/datasets/synthetic.py``), and
these presets only measure how the chosen settings transfer. To keep it that
way they have no ``val`` subset at all, only ``train`` and ``test``
(``retarget_synthetic_config`` then drops validation from a config).

Why a fixed T: ActivityNet-style features are rescaled to a fixed number
of snippets per video (the official BackTAL ActivityNet features, BMN /
G-TAD's 100), so a snippet lasts ``duration / T`` seconds, a different
length in every video: a 10 s video and a 200 s one both have T snippets,
and short actions of long videos shrink below one snippet. The bundled
benchmark instead has ``T = duration * fps / 16`` (0.53 s snippets, the
THUMOS14 regime). The presets put every video at a fixed T, so code and
settings tuned in the per-second regime are tested in the fixed-T one:

- ``thumos14-fixed-t``: the real THUMOS14 GT (``gt_thumos14.json``, 20
  classes; subsets ``val`` -> ``train``, ``test`` -> ``test``: all 200 /
  210 videos), the real clicks: background clicks of the BackTAL A1
  annotator (``THUMOS14_Background-Click-Annotation_A1.txt``, annotator
  'A1') and SF-Net single-frame action clicks
  (``SFNet_THUMOS14_single_frames_1.txt``, annotator 'SF'); T = 256 for
  every video (THUMOS14 videos last 9-1673 s: 0.03-6.5 s per snippet).
- ``activitynet12-fixed-t``: the real ActivityNet 1.2 GT
  (``activity_net.v1-2.min.json``; ``training`` -> ``train``,
  ``validation`` -> ``test``) restricted to 10 of its 100 classes, every
  tenth of the sorted class list (:data:`ANET12_CLASSES`), with all their
  videos: 500 train / 248 test. The full 4819 / 2383 videos would take too
  long to train and test on a 2-core machine, and the first 400 videos of
  all 100 classes (an earlier version of this preset) left 1-10 training
  videos per class: a few-shot problem on which even the fully supervised
  detector scored 2.3 avg mAP, not the ActivityNet regime (about 48
  training videos per class, kept here). No real clicks exist for it:
  background ('A1') and action ('SF') clicks are simulated on ``train``.
  T = 100 (the ActivityNet convention).

Both use the official BackTAL ``.npz`` layout (``feat_spa`` / ``feat_tem``
``(64, T)`` for the default ``feat_dim`` 128), seed 0.

Usage::

    cfg = preset_config('thumos14-fixed-t', '../shared/data')
    generate_synthetic_benchmark('data/thumos14_fixed_t', cfg)

or ``python tools/data/generate_synthetic.py --preset thumos14-fixed-t
--out data/thumos14_fixed_t``.
"""
import dataclasses
from pathlib import Path
from typing import Callable, Dict, List

from .config import SyntheticBenchmarkConfig

# The folder of the real annotation files, relative to the repository root
# (CI puts shared/ beside the checkout).
DEFAULT_SHARED_DATA = '../shared/data'

THUMOS14_GT = 'gt_thumos14.json'
THUMOS14_A1_CSV = 'THUMOS14_Background-Click-Annotation_A1.txt'
THUMOS14_SFNET = 'SFNet_THUMOS14_single_frames_1.txt'
ANET12_GT = 'activity_net.v1-2.min.json'
# The classes of the ActivityNet preset: every tenth of the sorted class
# list (see the module docstring), fixed here so that the preset does not
# move with the file's order.
ANET12_CLASSES = ('Archery', 'Clean and jerk', 'Doing nails',
                  'Hand washing clothes', 'Mixing drinks', 'Playing flauta',
                  'Playing violin', 'Rock climbing', 'Spinning',
                  'Using the pommel horse')

__all__ = [
    'PRESETS', 'DEFAULT_SHARED_DATA', 'preset_config', 'preset_input_files',
    'thumos14_fixed_t', 'activitynet12_fixed_t'
]


def _shared_file(shared_data, name: str) -> str:
    """``shared_data/name`` as a string; FileNotFoundError naming it if it
    is not a file."""
    path = Path(shared_data) / name
    if not path.is_file():
        raise FileNotFoundError(
            f'benchmark preset: annotation file not found: {path} (the '
            f'presets read the real annotation files of the shared data '
            f'folder, default {DEFAULT_SHARED_DATA}; pass shared_data / '
            '`shared_data`)')
    return str(path)


def thumos14_fixed_t(shared_data) -> SyntheticBenchmarkConfig:
    """``thumos14-fixed-t``: real THUMOS14 GT and clicks (A1 background,
    SF-Net action), 200 train / 210 test videos, T = 256, official layout,
    D = 128, seed 0."""
    return SyntheticBenchmarkConfig(
        feat_dim=128,
        num_segments=256,
        seed=0,
        layout='official',
        gt_file=_shared_file(shared_data, THUMOS14_GT),
        click_file=[
            _shared_file(shared_data, THUMOS14_A1_CSV),
            _shared_file(shared_data, THUMOS14_SFNET)
        ],
        subsets_from_gt={
            'val': 'train',
            'test': 'test'
        })


def activitynet12_fixed_t(shared_data) -> SyntheticBenchmarkConfig:
    """``activitynet12-fixed-t``: real ActivityNet 1.2 GT of 10 classes
    (:data:`ANET12_CLASSES`, all their 500 training / 248 validation videos
    as train / test), simulated A1 / SF clicks, T = 100, official layout,
    D = 128, seed 0."""
    return SyntheticBenchmarkConfig(
        feat_dim=128,
        num_segments=100,
        seed=0,
        layout='official',
        gt_file=_shared_file(shared_data, ANET12_GT),
        subsets_from_gt={
            'training': 'train',
            'validation': 'test'
        },
        classes=list(ANET12_CLASSES))


_BUILDERS: Dict[str, Callable[..., SyntheticBenchmarkConfig]] = {
    'thumos14-fixed-t': thumos14_fixed_t,
    'activitynet12-fixed-t': activitynet12_fixed_t,
}
# The preset names (tools/data/generate_synthetic.py repeats them for its
# --help; a test checks the two agree).
PRESETS = tuple(_BUILDERS)


def _builder(name: str) -> Callable[..., SyntheticBenchmarkConfig]:
    if name not in _BUILDERS:
        raise ValueError(f'unknown benchmark preset {name!r}; valid presets: '
                         f'{list(PRESETS)}')
    return _BUILDERS[name]


def preset_config(name: str, shared_data=DEFAULT_SHARED_DATA,
                  **overrides) -> SyntheticBenchmarkConfig:
    """The settings of preset ``name``, some replaced by ``overrides``.

    Args:
        name (str): One of :data:`PRESETS`.
        shared_data (str | Path): Folder of the real annotation files.
            Defaults to :data:`DEFAULT_SHARED_DATA` (relative to the working
            directory: run from the repository root).
        **overrides: :class:`SyntheticBenchmarkConfig` fields to replace,
            e.g. ``seed=1``, ``feat_dim=64`` or ``max_videos_per_subset=5``
            (a quick run).

    Returns:
        SyntheticBenchmarkConfig: What ``generate_synthetic_benchmark``
        writes for this preset; file paths are ``shared_data/<file>``.

    Raises:
        ValueError: An unknown ``name`` (listing the valid ones) or an
            unknown override field (listing the valid fields).
        FileNotFoundError: A file the preset reads is missing (naming its
            path).
    """
    builder = _builder(name)
    fields = [f.name for f in dataclasses.fields(SyntheticBenchmarkConfig)]
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(f'preset {name!r}: unknown override(s) {unknown}; '
                         f'valid: {fields}')
    return dataclasses.replace(builder(shared_data), **overrides)


def preset_input_files(config: SyntheticBenchmarkConfig) -> List[str]:
    """The real files a (preset) config reads: its ``gt_file`` and click
    file(s), in that order."""
    clicks = config.click_file
    if clicks is None:
        clicks = []
    elif isinstance(clicks, (str, Path)):
        clicks = [clicks]
    files = [config.gt_file] if config.gt_file is not None else []
    return [str(f) for f in files + list(clicks)]

"""Settings of the synthetic benchmark: version, defaults, the knobs of the
feature and GT model (:class:`SyntheticConfig`, see the package docstring
for what each models), everything one benchmark is made of
(:class:`SyntheticBenchmarkConfig`) and the per-stream random generators."""
import dataclasses
import zlib
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ...utils import check_range, check_seed, is_finite_number
from ..clicks import is_count

GT_VERSION = 'backtal-synthetic/2.0'
DEFAULT_NUM_VIDEOS = dict(train=200, val=20, test=200)
# Shortest synthetic video: room for one minimal instance with background on
# both sides at the 0.1 s GT grid.
MIN_VIDEO_SECONDS = 2.0
# Settings that select from a real GT (``gt_file``); without one they would
# be ignored.
_REAL_GT_ONLY = ('click_file', 'subsets_from_gt', 'max_videos_per_subset',
                 'classes')


@dataclasses.dataclass
class SyntheticConfig:
    """Knobs of the synthetic GT and features (see the package docstring).

    Magnitudes refer to feature values before the final ReLU; times are in
    seconds.
    """
    # Shared background, per-video scene, drift and noise (property 1).
    background_rgb: float = 0.45
    background_flow: float = 0.15
    scene_scale: float = 0.2
    drift_scale: float = 0.12
    drift_rank: int = 4
    drift_seconds: float = 8.0
    noise_std: float = 0.3
    noise_corr_seconds: float = 1.0
    receptive_field_seconds: float = 2.1
    # Action prototypes (sparse, exponential values; property 3).
    prototype_density: float = 0.35
    action_rgb: float = 0.7
    action_flow: float = 1.0
    motion_share: float = 0.3
    class_group_size: int = 2
    sibling_share: float = 0.5
    instance_variation: float = 0.25
    instance_amplitude: Tuple[float, float] = (0.6, 1.2)
    # Boundary-resembling context (property 2).
    approach_strength: float = 0.5
    approach_seconds: float = 1.5
    # Venue (context) prototypes, one per class group (property 3).
    context_cosine: float = 0.6
    context_norm: float = 0.9
    context_floor: float = 0.15
    context_peak: float = 1.0
    context_decay_seconds: float = 6.0
    context_amplitude: Tuple[float, float] = (0.7, 1.3)
    # Distractors.
    num_distractors: int = 3
    distractor_norm: float = 0.6
    distractor_per_minute: float = 0.6
    distractor_seconds: Tuple[float, float] = (3.0, 12.0)
    # GT layout (properties 4 and 5; THUMOS14 statistics).
    class_median_seconds: Tuple[float, float] = (1.1, 8.75)
    instance_log_std: float = 0.6
    instance_seconds: Tuple[float, float] = (0.2, 40.0)
    gap_median_seconds: float = 4.5
    gap_log_std: float = 1.3
    video_density_log_std: float = 0.7
    touching_prob: float = 0.1
    max_gap_seconds: float = 120.0
    sibling_cooccurrence: float = 0.88


@dataclasses.dataclass
class SyntheticBenchmarkConfig:
    """Everything :func:`generate_synthetic_benchmark` writes is a function
    of these settings (where it writes, and whether it may replace files, is
    not: ``out_dir`` / ``overwrite`` are its own arguments).

    Attributes:
        num_classes (int): Classes of a synthetic GT (``class00``...),
            >= 1, in sibling pairs (an odd count leaves the last class
            without a sibling). Ignored with ``gt_file``. Defaults to 20
            (THUMOS14).
        num_videos (dict, optional): subset -> number of synthetic videos.
            None: :data:`DEFAULT_NUM_VIDEOS` (200 / 20 / 200). Ignored with
            ``gt_file``.
        feat_dim (int): D, even (RGB and flow halves). Defaults to 128.
        duration_range (tuple): Uniform range of synthetic durations (s),
            ``MIN_VIDEO_SECONDS <= min <= max``.
        fps (float): Frame rate of synthetic videos (and of real-GT videos
            without ``fps``), finite and > 0. Defaults to 30.
        alt_fps (float) / alt_fps_ratio (float): Fraction of synthetic
            videos at ``alt_fps`` instead. Defaults to 25 / 0.1.
        frames_per_snippet (int): Frames per feature snippet. Defaults to 16.
        num_segments (int, optional): Use this fixed T for every video
            (the official code batches fixed-length features, e.g. 750)
            instead of ``round(duration * fps / frames_per_snippet)``.
        seed (int): Random seed, in [0, 2**32 - 1]. Defaults to 0.
        layout (str): 'npy' or 'official'. Defaults to 'npy'.
        gt_file (str, optional): Shape the benchmark on this real
            ActivityNet-style GT (videos, durations, fps, segments, classes).
        click_file (str | list[str], optional): Real clicks for
            ``gt_file``: one file or a list of files, each a ``.json`` click
            file, the THUMOS14 background-click CSV (annotator 'A1'; several
            CSVs: 'A1', 'A2', ...) or an SF-Net single-frame ``.txt`` of
            action clicks (annotator 'SF'; several: 'SF1', 'SF2', ...). The
            clicks of all files are merged; their background and/or action
            clicks replace the simulated ones of that kind; clicks for
            videos not generated are dropped.
        subsets_from_gt: Real-GT subsets to use: None (all), a name, a
            list of names, or a dict renaming them (``{'val': 'train',
            'test': 'test'}`` for THUMOS14). With ``gt_file`` only, as
            ``click_file``, ``max_videos_per_subset`` and ``classes``.
        max_videos_per_subset (int, optional): Keep only the first N videos
            (GT order) of each output subset.
        classes (list[str], optional): With ``gt_file``: keep only the
            videos all of whose instances are of these classes, and only
            these classes (e.g. a class subset of ActivityNet that keeps
            its videos per class).
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
            Defaults to 0.2.
        min_gap (float): Simulated A1 annotators skip gaps up to this long
            (s). Defaults to 1.
        action_outside_noise (float): Fraction of simulated SF clicks moved
            just outside their instance (SF-Net on THUMOS14: 0.022-0.039).
        model (SyntheticConfig | dict): The feature / GT model's knobs (a
            dict names some of its fields). Defaults to ``SyntheticConfig()``.

    The settings are checked when the config is made (and again by the
    generator, in case one was changed since): a bad one (a NaN or infinite
    number included), or a real-GT setting without ``gt_file``, is a
    ValueError naming it in backquotes (a ``model`` of another type, a
    TypeError).
    """
    num_classes: int = 20
    num_videos: Optional[Dict[str, int]] = None
    feat_dim: int = 128
    duration_range: Tuple[float, float] = (30.0, 120.0)
    fps: float = 30
    alt_fps: float = 25
    alt_fps_ratio: float = 0.1
    frames_per_snippet: int = 16
    num_segments: Optional[int] = None
    seed: int = 0
    layout: str = 'npy'
    gt_file: Optional[str] = None
    click_file: Union[None, str, Sequence[str]] = None
    subsets_from_gt: Union[None, str, Sequence[str], Dict[str, str]] = None
    max_videos_per_subset: Optional[int] = None
    classes: Optional[Sequence[str]] = None
    train_subset: Optional[str] = None
    click_subsets: Optional[Sequence[str]] = None
    two_class_ratio: float = 0.15
    inside_noise: float = 0.077
    extra_background: float = 0.2
    min_gap: float = 1.0
    action_outside_noise: float = 0.03
    model: Union[SyntheticConfig, dict] = dataclasses.field(
        default_factory=SyntheticConfig)

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Check the settings (ValueError naming the bad one in backquotes,
        e.g. ```fps` must be > 0, got 0``); the synthetic-GT ones
        (``num_classes``, ``num_videos``, ``duration_range``) only without
        ``gt_file``, and the real-GT ones (``subsets_from_gt``,
        ``max_videos_per_subset``, ``classes``, ``click_file``) only with
        it: a setting that would be ignored is an error."""
        as_config(self.model)
        self._check_shape()
        self._check_numbers()
        if self.gt_file is None:
            for name in _REAL_GT_ONLY:
                if getattr(self, name) is not None:
                    # a preset sets gt_file (and max_videos_per_subset
                    # applies on top of one)
                    alt = (' or a `preset`' if name == 'max_videos_per_subset'
                           else '')
                    raise ValueError(
                        f'`{name}` needs `gt_file`{alt} (it selects from a '
                        'real GT; a synthetic GT would ignore it)')
            self._check_synthetic_gt()

    def _check_shape(self) -> None:
        """``layout``, ``feat_dim``, ``frames_per_snippet``,
        ``num_segments``."""
        if self.layout not in ('npy', 'official'):
            raise ValueError(f"`layout` must be 'npy' or 'official', got "
                             f'{self.layout!r}')
        feat_dim = self.feat_dim
        if not is_count(feat_dim) or feat_dim < 2 or feat_dim % 2:
            raise ValueError(f'`feat_dim` must be an even int >= 2 (RGB and '
                             f'flow halves), got {feat_dim!r}')
        check_range('frames_per_snippet', self.frames_per_snippet, 1,
                    integer=True)
        if self.num_segments is not None:
            check_range('num_segments', self.num_segments, 1, integer=True)

    def _check_numbers(self) -> None:
        """Frame rates, fractions, seed and ``max_videos_per_subset``: a
        NaN, an infinity or a value out of range would give wrong numbers
        (``fps`` 0: one snippet per video) or fail deep inside numpy."""
        # check_range, not check_number: a config's bad setting is a
        # ValueError whatever its type (see the class docstring)
        for name in ('fps', 'alt_fps'):
            check_range(name, getattr(self, name), 0, low_open=True)
        for name in ('alt_fps_ratio', 'two_class_ratio', 'inside_noise',
                     'action_outside_noise'):
            check_range(name, getattr(self, name), 0, 1)
        for name in ('extra_background', 'min_gap'):
            check_range(name, getattr(self, name), 0)
        # every stream's generator is seeded from it: None is no seed here
        check_seed('seed', self.seed, optional=False)
        if self.max_videos_per_subset is not None:
            check_range('max_videos_per_subset', self.max_videos_per_subset,
                        1, integer=True)

    def _check_synthetic_gt(self) -> None:
        """``num_classes``, ``num_videos`` and ``duration_range`` of a
        synthetic GT."""
        # Any count >= 1 works: classes are grouped in sibling pairs, an
        # odd count leaves the last class without a sibling (and one class
        # gives no two-class videos).
        check_range('num_classes', self.num_classes, 1, integer=True)
        videos = self.videos_per_subset()
        for subset, count in videos.items():
            if not is_count(count):
                raise ValueError(f'`num_videos`[{subset!r}] must be an int '
                                 f'>= 0, got {count!r}')
        if not sum(videos.values()):
            raise ValueError(f'`num_videos` must hold at least one video, '
                             f'got {videos}')
        span = self.duration_range
        if not (isinstance(span, (list, tuple)) and len(span) == 2
                and all(is_finite_number(x) for x in span)):
            raise ValueError('`duration_range` must be two finite numbers '
                             f'MIN MAX (seconds), got {span!r}')
        lo, hi = span
        # a video needs room for one action with background around it
        if not MIN_VIDEO_SECONDS <= lo <= hi:
            raise ValueError(
                f'`duration_range` MIN MAX must satisfy {MIN_VIDEO_SECONDS:g} '
                f'<= MIN <= MAX (seconds), got {lo:g} {hi:g}')

    def videos_per_subset(self) -> Dict[str, int]:
        """``num_videos`` as a new dict, :data:`DEFAULT_NUM_VIDEOS` if
        None."""
        return dict(DEFAULT_NUM_VIDEOS if self.num_videos is None else
                    self.num_videos)


def as_config(cfg) -> SyntheticConfig:
    """``cfg`` as a :class:`SyntheticConfig`: None -> the defaults, a dict
    -> its fields (an unknown key is a ValueError listing the valid ones)."""
    if cfg is None:
        return SyntheticConfig()
    if isinstance(cfg, SyntheticConfig):
        return cfg
    if isinstance(cfg, dict):
        names = {f.name for f in dataclasses.fields(SyntheticConfig)}
        unknown = sorted(set(cfg) - names)
        if unknown:
            raise ValueError(f'unknown synthetic config key(s) {unknown}; '
                             f'valid keys: {sorted(names)}')
        return SyntheticConfig(**cfg)
    raise TypeError(f'cfg must be None, a dict or SyntheticConfig, got '
                    f'{type(cfg).__name__}')


def stream_rng(seed: int, stream: int, name: str = '') -> np.random.Generator:
    """The generator of one random stream (``stream``: 2 features, 3 GT,
    5 moved SF clicks, 7 prototypes) of one video / subset ``name``."""
    # crc32 is stable across processes (unlike hash()), so a video's data
    # only depends on (seed, its name).
    return np.random.default_rng(
        [int(seed), stream, zlib.crc32(name.encode())])

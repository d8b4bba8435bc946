# Copyright (c) OpenMMLab. All rights reserved.
"""Settings of the synthetic benchmark: version, defaults, the knobs of the
feature and GT model (:class:`SyntheticConfig`, see the package docstring
for what each models) and the per-stream random generators."""
import dataclasses
import zlib
from typing import Tuple

import numpy as np

GT_VERSION = 'backtal-synthetic/2.0'
DEFAULT_NUM_VIDEOS = dict(train=200, val=20, test=200)
# Shortest synthetic video: room for one minimal instance with background on
# both sides at the 0.1 s GT grid.
MIN_VIDEO_SECONDS = 2.0


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

"""Synthetic click-supervised localization benchmark (I3D-like features).

Real users bring pre-extracted two-stream I3D features; this package writes
stand-ins with the same layout so the whole pipeline can be trained and
evaluated offline, either on a fully synthetic GT or on a real GT (real
videos, durations, fps, segments, classes and clicks; only the features are
synthetic). Nothing is downloaded: the generator ships, not the data.

Output of :func:`generate_synthetic_benchmark`::

    out_dir/gt.json        ActivityNet-style GT: {"version", "activity_list",
                           "database": {video: {subset, duration, fps,
                           annotations: [{segment: [s, e], label}]}}}
    out_dir/clicks.json    backtal-clicks/1.0 (see :mod:`..clicks`): annotator
                           'A1' = human-like background clicks, 'SF' = one
                           human-like action click per GT instance
    out_dir/features/<video>.npy   layout='npy': float32 (T, feat_dim),
                           T = round(duration * fps / frames_per_snippet)
    out_dir/features/<video>.npz   layout='official' (files of the official
                           BackTAL code): feat_spa, feat_tem float32
                           (feat_dim / 2, T), cls_label float32 (C,) multi-hot,
                           vid_name; train-subset files add point_label int64
                           (T,) (= num_classes at snippets holding a
                           background click, -100 elsewhere); other subsets
                           add frame_num, fps, duration.

What makes it hard, and why real I3D features are like that
-----------------------------------------------------------
The first version (``backtal-synthetic/1.0``) was too easy (BackTAL 97 avg
mAP@0.1:0.7, against 36.3 mAP@0.5 on real THUMOS14 I3D features): isolated
4 s actions with a flat, sharp-edged, class-unique signature. Version 2
models six properties real I3D features and THUMOS14 annotations have; the
GT statistics below were measured on the real ``gt_thumos14.json`` (val +
test, 6314 instances, 413 videos) and the click statistics on the real A1 /
SF-Net files, and are hard-coded here as summary statistics (no real file
is read):

1. **Temporal autocorrelation over several snippets.** An I3D snippet
   feature is computed from a 64-frame window (2.1 s at 30 fps) that
   overlaps its neighbours' windows, so both the content and the nuisance
   (camera motion, lighting, clutter) are smooth over several snippets.
   Content is the fraction of each snippet covered by an instance, blurred
   by a Gaussian receptive field of ``receptive_field_seconds`` (2.1: the
   ±2 sigma width); the nuisance is Gaussian-smoothed noise with time
   constant ``noise_corr_seconds`` (1 s: lag-2 autocorrelation ~0.75,
   lag-6 ~0.1 at 0.53 s snippets) plus a slow low-rank drift. A false
   positive is then a multi-snippet blob, not one outlier snippet that
   neighbours out-vote, and short instances are smeared (a 0.3 s action
   reaches about a fifth of its full strength).
2. **Context that resembles the action near its boundaries.** The run-up
   before a long jump, the wind-up before a pitch and the follow-through
   after it look and move like the action but are not annotated as it.
   Outside each instance its own signature continues at
   ``approach_strength`` (0.5) of its strength, decaying with distance over
   ``approach_seconds`` (1.5). Together with property 1 and THUMOS14's short
   gaps this is what makes boundaries, and thus localization errors, hard.
3. **Classes sharing scene context** (CliffDiving / Diving: both at the
   water; CricketBowling / CricketShot: the same pitch). Classes come in
   sibling groups of ``class_group_size`` (2: class00/01, class02/03, ...);
   a group shares one venue (context) prototype and ``sibling_share`` of
   its class-specific action part, and two-class videos hold a sibling pair
   ``sibling_cooccurrence`` of the time (THUMOS14: 60 of 413 videos hold two
   classes, 53 of them a sibling pair: CricketBowling/CricketShot 27,
   CliffDiving/Diving 26). Every action also shares a class-agnostic motion
   component (``motion_share``): large motion looks alike in flow whatever
   the sport. The venue appears throughout a video of its classes
   (``context_floor``), strongest near instances (``context_peak``, decay
   ``context_decay_seconds``), so video labels alone over-extend detections
   into it. (THUMOS14 additionally labels every CliffDiving instance as
   Diving too, i.e. nested labels; that is not modelled: here every instance
   has one label.)
4. **Actions of very different lengths.** THUMOS14 instances last 0.2 s to
   118 s (percentiles 1/50/99: 0.5 / 3.0 / 17.3 s); per-class medians range
   from 1.1 s (CricketShot) to 8.75 s (CleanAndJerk) with a within-class
   log-std of about 0.6. Class medians are log-spaced over
   ``class_median_seconds`` (siblings adjacent, hence of similar length,
   as in THUMOS14), instance lengths log-normal around them
   (``instance_log_std``), clipped to ``instance_seconds`` (0.2, 40).
5. **Many instances per video.** THUMOS14 has 15.4 instances per video on
   average (median 8); gaps between instances are log-normal (median 3.1 s,
   log-std 1.47; 10% of instances touch the previous one), and videos
   differ in density (instances per minute: median 3.5, log-std 0.9).
   Gaps here: a per-video density factor ``exp(N(0,
   video_density_log_std))`` times a log-normal (median
   ``gap_median_seconds`` 4.5, ``gap_log_std`` 1.3), ``touching_prob`` (0.1)
   of them 0.1-0.3 s. Dense videos contribute more gaps, so pooled over
   gaps, as measured on THUMOS14, this gives quartiles 0.7 / 2.3 / 6.4 s
   (THUMOS14: 0.7 / 2.5 / 7.6 s, zero gaps included), 5 instances per
   minute (THUMOS14: 4.3) and 32% of the time inside actions (THUMOS14:
   31%). A 30-120 s video holds 2-13 instances (10th-90th percentile).
6. **Label noise in clicks.** The real A1 background clicks put 7.7% (175
   of 2264) inside GT actions (``inside_noise`` default 0.077) and skip
   some gaps (0.75 clicks per instance; annotators skip gaps shorter than
   ``min_gap`` = 1 s here); 2.2-3.9% of the real SF-Net action clicks lie
   outside every GT instance (``action_outside_noise`` 0.03: those clicks are
   moved just outside their instance, within ``approach_seconds``, where
   the action still seems to go on). Wrong class labels are rare in SF-Net
   (0.15%) and are not modelled.

Snippet ``t`` of a video (features are ``[RGB | flow]``, ``feat_dim / 2``
each, like I3D's two streams) is::

    x(t) = relu(b + s_v + drift_v(t) + noise_std * n(t)
                + sum_i w_i(t) * P_i          (action instances, 1 + 2)
                + sum_g k_g(t) * Q_g          (shared venues, 3)
                + sum_j g_j(t) * D_j)         (distractors)

with ``w_i = RF * (cover_i + approach_i)``; ``P_i = amp_i * P_c * (1 +
instance_variation * N(0, 1))`` (positive part); ``P_c = norm(sqrt(m) M +
sqrt(1 - m) S_c)`` with ``M`` the shared motion and ``S_c = norm(sqrt(r)
G_g + sqrt(1 - r) U_c)`` (group part ``G_g``, own part ``U_c``); ``Q_g`` an
appearance-heavy venue with cosine ``context_cosine`` to its group's mean
action. ``D_j`` (``num_distractors``, motion heavy: camera pans, crowds)
appear in random bursts anywhere, so magnitude alone is not proof of an
action. Values are non-negative (post-ReLU averages, like I3D), mostly in
0..3.

Clicks: 'A1' is simulated with :func:`simulate_clicks` ('auto': one click per
background gap longer than ``min_gap``, ``extra_background`` extra per gap
on average, an ``inside_noise`` fraction landing inside actions); 'SF' is
one uniform click per instance, ``action_outside_noise`` of them just
outside it. By default only the train subset is clicked (like the real A1
file, which covers the THUMOS14 training split only).

Everything is deterministic given ``seed``; each video's features and clicks
come from generators seeded by (seed, video name).

Modules: :mod:`.config` (version, defaults, :class:`SyntheticConfig`, the
settings of one benchmark :class:`SyntheticBenchmarkConfig`),
:mod:`.prototypes` (classes, prototypes), :mod:`.features` (one video's
features), :mod:`.ground_truth` (a synthetic GT), :mod:`.real_gt` (a real
GT's videos and clicks: ``.json`` click files, the THUMOS14 background-click
CSV, SF-Net single-frame files, one or a merged list), :mod:`.clicks`
(simulated clicks), :mod:`.benchmark` (the writer), :mod:`.presets` (named
TEST-ONLY variants on real GTs at a fixed T, never used to choose a
setting) and :mod:`.command` (the options of
``tools/data/generate_synthetic.py``).
"""
from .benchmark import generate_synthetic_benchmark
# DEFAULT_NUM_VIDEOS and GT_VERSION: importable as before, not in __all__.
from .config import (DEFAULT_NUM_VIDEOS, GT_VERSION,  # noqa: F401
                     MIN_VIDEO_SECONDS, SyntheticBenchmarkConfig,
                     SyntheticConfig)
from .features import num_snippets, synthesize_video_features
from .ground_truth import synthesize_gt
from .prototypes import class_groups, class_median_seconds, make_prototypes

__all__ = [
    'SyntheticConfig', 'SyntheticBenchmarkConfig', 'make_prototypes',
    'synthesize_video_features', 'synthesize_gt', 'generate_synthetic_benchmark', 'num_snippets',
    'class_groups', 'class_median_seconds', 'MIN_VIDEO_SECONDS'
]

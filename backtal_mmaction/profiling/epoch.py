"""A training epoch and a test pass through MMEngine's Runner, timed.

What a user's ``tools/train.py --test`` costs per epoch, with everything a
step of the benchmark's training part leaves out: reading the feature
files, resampling, collating, the data preprocessor's copies to the
device, the optimizer wrapper, the hooks and the logging; and a test pass
with the dataloader, the post-processing and the metric.

The data are a THUMOS14-sized benchmark written by the synthetic
generator (:func:`thumos14_sized_options`): the real THUMOS14 GT and
background clicks (200 training videos, 210 test videos, official ``.npz``
layout at a fixed T, as the official features) where the shared data
folder has them, else synthetic videos of the same counts.
"""
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.hooks import Hook

from ..cli.runner import build_runner, use_pinned_memory
from ..datasets.config_utils import retarget_synthetic_config
from ..datasets.synthetic.command import TOOL_DEFAULTS
from ..engine.amp import configure_amp
from .timing import sync

__all__ = ['THUMOS14_FILES', 'thumos14_sized_options', 'size_backtal',
           'EpochClockHook', 'epoch_config', 'time_runner_epochs']

# The real annotation files the THUMOS14-sized data read (shared data).
THUMOS14_FILES = ('gt_thumos14.json',
                  'THUMOS14_Background-Click-Annotation_A1.txt')
# Synthetic stand-in where they are missing: THUMOS14's video counts and a
# duration range around its median video (about 3 minutes).
SYNTHETIC_DURATIONS = (30.0, 350.0)


def thumos14_sized_options(out: str, feat_dim: int, num_segments: int,
                           shared_data: Optional[str] = None,
                           max_videos: Optional[int] = None) -> dict:
    """The generator options (``tools/data/generate_synthetic.py``'s, by
    destination name) of the epoch's data in ``out``, reused when ``out``
    already holds them (``exist_ok``).

    Args:
        out (str): The data folder.
        feat_dim (int): D.
        num_segments (int): T of every video: the official features are
            resampled to a fixed T (750 for THUMOS14), which the shipped
            THUMOS14 config expects (it never upsamples).
        shared_data (str, optional): Folder with :data:`THUMOS14_FILES`;
            without them the videos are synthetic.
        max_videos (int, optional): At most this many videos per subset
            (small smoke runs).

    Returns:
        dict: Options for :func:`generate_from_options` (``gt_file`` is
        None for synthetic videos).
    """
    files = [osp.join(shared_data, f) for f in THUMOS14_FILES] \
        if shared_data else []
    options = dict(TOOL_DEFAULTS, out=out, overwrite=False, exist_ok=True,
                   layout='official', feat_dim=feat_dim,
                   num_segments=num_segments)
    if files and all(osp.isfile(f) for f in files):
        options.update(gt_file=files[0], click_file=files[1],
                       subsets=['val', 'test'], max_videos=max_videos)
    else:  # THUMOS14's subset names: the config trains on 'val'
        n = max_videos or 210
        options.update(num_videos=[0, min(n, 200), n], train_subset='val',
                       duration_range=list(SYNTHETIC_DURATIONS))
    return options


def size_backtal(model_cfg, size: dict) -> None:
    """Set a BackTAL model config's input dim ``D``, backbone width ``H``,
    side-branch width ``hidden`` and classes ``C`` from ``size``, in
    place (the benchmark's model and the epoch part's config)."""
    D, H, hidden = size['D'], size['H'], size['hidden']
    model_cfg.embedding.update(in_channels=D, hidden_channels=hidden)
    model_cfg.backbone.update(in_channels=D, hidden_channels=H)
    model_cfg.fg_filter.update(in_channels=D, hidden_channels=hidden)
    model_cfg.cls_head.update(in_channels=H, num_classes=size['C'])


class EpochClockHook(Hook):
    """Wall time of each training epoch, the part of it spent waiting for
    the dataloader, and the wall time and count of a test pass.

    The clock is read with the device synchronized at the epoch's ends, so
    the queued GPU work is inside the epoch it belongs to. The data wait
    is the time from the end of one iteration (its hooks included) to the
    start of the next: the dataloader's ``next()`` as the loop sees it.
    """
    priority = 'VERY_LOW'

    def __init__(self, device: str) -> None:
        self.device = device
        self.epochs: List[Dict[str, float]] = []
        self.test: Dict[str, float] = {}

    def _now(self) -> float:
        sync(self.device)
        return time.perf_counter()

    def before_train_epoch(self, runner) -> None:
        self._start = self._last = self._now()
        self._wait, self._iters, self._videos = 0.0, 0, 0

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._wait += time.perf_counter() - self._last
        self._videos += len(data_batch['inputs']) if data_batch else 0

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._iters += 1
        self._last = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        self.epochs.append(dict(seconds=self._now() - self._start,
                                data_wait=self._wait, iters=self._iters,
                                videos=self._videos))

    def before_test_epoch(self, runner) -> None:
        self._test_start, self._test_videos = self._now(), 0

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._test_videos += len(outputs) if outputs is not None else 0

    def after_test_epoch(self, runner, metrics=None) -> None:
        self.test = dict(seconds=self._now() - self._test_start,
                         videos=self._test_videos,
                         mAP=float((metrics or {}).get('tal/mAP_avg', 'nan')))


def epoch_config(config: str, data_root: str, size: dict, device: str,
                 workers: Optional[int], amp: bool, epochs: int,
                 work_dir: str, test_batch: Optional[int] = None):
    """``config`` pointed at ``data_root`` and sized by ``size`` (``D``,
    ``H``, ``hidden``, ``C``, ``T`` and ``epoch_batch``), training
    ``epochs`` epochs with ``workers`` loader workers (None: as the config
    has them, each loader its own) and no validation,
    checkpoints or log lines; on CUDA with pinned memory and non-blocking
    copies; with ``amp`` in the device's mixed precision
    (:func:`~backtal_mmaction.engine.amp.configure_amp`); ``test_batch``
    sets the test batch size (None: the config's; videos of one length,
    as the official fixed-T features, then run as one forward pass)."""
    cfg = Config.fromfile(config)
    retarget_synthetic_config(cfg, data_root)
    size_backtal(cfg.model, size)
    for split in ('train', 'test'):
        loader = cfg[f'{split}_dataloader']
        if workers is not None:
            loader.update(num_workers=workers,
                          persistent_workers=workers > 0)
        for t in loader.dataset.pipeline:
            if t['type'] == 'LoadSnippetFeature':
                t['feat_dim'] = size['D']
            if t['type'] == 'ResampleSnippets':
                t['num_segments'] = size['T']
    cfg.train_dataloader.batch_size = size['epoch_batch']
    if test_batch is not None:
        cfg.test_dataloader.batch_size = test_batch
    cfg.train_cfg.max_epochs = epochs
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_cfg.pop('val_interval', None)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10 ** 6, save_last=False)
    cfg.default_hooks.logger.interval = 10 ** 6
    cfg.log_level = 'ERROR'  # the report is the benchmark's tables
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    if amp:
        configure_amp(cfg, device)
    # on CUDA pinned batches and non-blocking copies, as tools/train.py
    use_pinned_memory(cfg, device)
    return cfg


def time_runner_epochs(config: str, data_root: str, size: dict,
                       device: str, variants: Sequence[dict],
                       epochs: int = 2) -> List[dict]:
    """Train ``epochs`` epochs and test once per variant, through the
    tools' Runner builder.

    Args:
        config (str): A THUMOS14-style BackTAL config.
        data_root (str): The generated data (:func:`thumos14_sized_options`).
        size (dict): See :func:`epoch_config`.
        device (str): ``'cpu'`` or ``'cuda'`` (the Runner's own choice:
            MMEngine trains on CUDA when it is available).
        variants (Sequence[dict]): Each ``dict(workers=int | None,
            amp=bool)``, optionally with ``test_batch`` (see
            :func:`epoch_config`).
        epochs (int): The first epoch includes the warm-up (worker start,
            kernel selection, allocator growth); the last is the steady
            one.

    Returns:
        list[dict]: Per variant: ``workers``, ``amp``, ``test_batch`` (the
        test batch size it ran), ``epochs`` (the :class:`EpochClockHook`
        records) and ``test`` (``seconds``, ``videos``, ``mAP``).
    """
    results = []
    for v in variants:
        with tempfile.TemporaryDirectory() as work_dir:
            cfg = epoch_config(config, data_root, size, device, v['workers'],
                               v['amp'], epochs, work_dir,
                               v.get('test_batch'))
            runner = build_runner(cfg)
            clock = EpochClockHook(device)
            runner.register_hook(clock)
            runner.train()
            runner.test()
            results.append(dict(v, test_batch=cfg.test_dataloader.batch_size,
                                epochs=clock.epochs, test=clock.test))
            del runner
    return results

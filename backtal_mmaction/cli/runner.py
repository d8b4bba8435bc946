"""Small config helpers shared by ``tools/train.py``, ``tools/test.py`` and
the analysis tools."""
import copy
import datetime
import os
import os.path as osp
import time
from typing import Optional

import torch
import torch.distributed as dist
from mmaction.registry import DATASETS, MODELS
from mmengine.logging import MMLogger, print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ..engine import amp as _amp
from ..engine.checkpoint import (check_checkpoint_compatible,
                                 load_checkpoint_file, without_ddp_prefix)
from ..evaluation.metrics import TALMetric
from .config import _lookup_type, accepted_kwargs

__all__ = [
    'add_custom_hook', 'build_model_from_checkpoint', 'build_runner',
    'check_datasets', 'ensure_unique_experiment_name',
    'find_test_evaluator', 'holds_a_run', 'move_aside_run', 'prepare_launcher',
    'use_atomic_checkpoints', 'use_pinned_memory'
]


def _run_files(work_dir: str) -> list:
    return sorted(f for f in os.listdir(work_dir)
                  if f.endswith('.pth') or f == 'last_checkpoint')


def holds_a_run(work_dir: str) -> bool:
    """Whether ``work_dir`` already holds checkpoints of a run."""
    return osp.isdir(work_dir) and bool(_run_files(work_dir))


def move_aside_run(work_dir: str) -> Optional[str]:
    """``--overwrite``: move the checkpoints (``*.pth``) and the
    ``last_checkpoint`` pointer of the run in ``work_dir`` into
    ``work_dir/overwritten_<time>/``, so the new run's directory holds only
    its own checkpoints (a 2-epoch run over a 5-epoch one would otherwise
    sit beside ``epoch_5.pth``) and nothing is deleted. The old run's
    timestamped log folders stay where they are (they never clash).

    Returns:
        str | None: the folder the files went to (None: nothing to move).
    """
    if not holds_a_run(work_dir):
        return None
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    dest = osp.join(work_dir, f'overwritten_{stamp}')
    n = 1
    while osp.exists(dest):
        dest = osp.join(work_dir, f'overwritten_{stamp}_{n}')
        n += 1
    os.makedirs(dest)
    files = _run_files(work_dir)
    for f in files:
        os.replace(osp.join(work_dir, f), osp.join(dest, f))
    print_log(
        f'`overwrite`: moved the previous run\'s {len(files)} file(s) '
        f'({", ".join(files[:6])}{" ..." if len(files) > 6 else ""}) to '
        f'{dest}', logger='current')
    return dest


def find_test_evaluator(cfg):
    """The test evaluator whose results the tools read or redirect: the
    one rule of ``tools/test.py`` (``--out-json``) and
    ``tools/analysis/postprocess_raw.py`` (GT file, tIoU thresholds).

    ``cfg.test_evaluator`` may be one evaluator or a list (MMEngine runs
    every entry); in a list, the first ``TALMetric`` entry is the one that
    computes the mAP and dumps detections (a ``DumpResults`` placed before
    it has no ``ann_file`` nor ``dump_results``), else the first entry.

    Args:
        cfg (mmengine.Config | dict): A config.

    Returns:
        dict | None: the config's own entry (a ``ConfigDict``; changing it
        changes the config), or None when the config has no test
        evaluator (or an empty list).
    """
    evaluator = cfg.get('test_evaluator')
    if isinstance(evaluator, (list, tuple)):
        if not evaluator:
            return None
        return next((e for e in evaluator if _is_tal_metric(e)),
                    evaluator[0])
    return evaluator or None


def _is_tal_metric(entry) -> bool:
    """Whether an evaluator entry configures ``TALMetric`` (by registry
    name, scoped name or the class / a subclass)."""
    kind = entry.get('type') if isinstance(entry, dict) else None
    if isinstance(kind, str):
        return kind.split('.')[-1] == 'TALMetric'
    if isinstance(kind, type):
        return issubclass(kind, TALMetric)
    return False


def check_datasets(cfg, splits) -> None:
    """Build the datasets of ``splits`` (``'train'`` / ``'val'`` /
    ``'test'``, where the config has that dataloader) once, so that data
    errors (GT, clicks, missing feature files, test videos without fps)
    fail before a Runner is built and logs the environment and config."""
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not loader.get('dataset'):
            continue
        ds_cfg = dict(copy.deepcopy(loader['dataset']))
        ds_type = ds_cfg.pop('type')
        cls = DATASETS.get(ds_type) if isinstance(ds_type, str) else ds_type
        if cls is None:
            raise ValueError(f'{split}_dataloader.dataset: unknown dataset '
                             f'type {ds_type!r}')
        # The class itself, not DATASETS.build: its messages arrive without
        # the registry's "class `...` in module: " prefix.
        cls(**ds_cfg)


def add_custom_hook(cfg, hook: dict) -> bool:
    """Append ``hook`` to ``cfg.custom_hooks`` unless a hook of that type is
    already configured (the config's own settings win).

    Returns:
        bool: whether it was added.
    """
    hooks = list(cfg.get('custom_hooks') or [])
    if any(isinstance(h, dict) and h.get('type') == hook['type']
           for h in hooks):
        return False
    cfg.custom_hooks = hooks + [hook]
    return True


def ensure_unique_experiment_name(cfg) -> Optional[str]:
    """Give a Runner its own logger and visualizer.

    MMEngine names a Runner's logger and visualizer
    ``<experiment_name or config name>_<timestamp>`` (second resolution) and
    *reuses* an existing instance of that name, so a second Runner built in
    the same process within the same second (the tools' ``main()`` called
    twice, a test session, a notebook) would log through the first one's
    visualizer: its ``scalars.json`` would land in the first run's work dir.
    When that name is already taken, this sets ``cfg.experiment_name`` to
    ``<config name>_<n>`` (MMEngine appends the timestamp); otherwise, and
    when the config sets ``experiment_name`` itself, nothing changes.

    Returns:
        str | None: the experiment name set, if any.
    """
    if cfg.get('experiment_name'):
        return None
    stem = (osp.splitext(osp.basename(cfg.filename))[0]
            if cfg.filename else None)
    # The Runner's timestamp is taken after this call, so it is this second
    # or a later one; a clash is only possible within this second.
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    if not MMLogger.check_instance_created(
            f'{stem}_{stamp}' if stem else stamp):
        return None
    n = 1
    while MMLogger.check_instance_created(f'{stem or "run"}_{n}_{stamp}'):
        n += 1
    cfg.experiment_name = f'{stem or "run"}_{n}'
    return cfg.experiment_name


def build_runner(cfg):
    """``Runner.from_cfg(cfg)`` after :func:`ensure_unique_experiment_name`:
    how the tools (and the tests) build every Runner."""
    ensure_unique_experiment_name(cfg)
    return Runner.from_cfg(cfg)


def use_atomic_checkpoints(cfg) -> None:
    """Swap MMEngine's ``CheckpointHook`` for ``AtomicCheckpointHook``
    (same arguments) in ``cfg.default_hooks``."""
    ckpt = (cfg.get('default_hooks') or {}).get('checkpoint')
    if isinstance(ckpt, dict) and ckpt.get('type') in ('CheckpointHook',
                                                       'mmengine.'
                                                       'CheckpointHook'):
        ckpt['type'] = 'AtomicCheckpointHook'


def _takes_non_blocking(preprocessor_type) -> bool:
    """Whether the data preprocessor ``preprocessor_type`` (a class or a
    registered name) takes a ``non_blocking`` argument (MMEngine's
    ``BaseDataPreprocessor`` and ``SnippetFeaturePreprocessor`` do,
    MMAction2's ``ActionDataPreprocessor`` does not)."""
    cls = _lookup_type(preprocessor_type)
    return cls is not None and 'non_blocking' in accepted_kwargs(cls)[0]


def use_pinned_memory(cfg, device: Optional[str] = None) -> bool:
    """Asynchronous host-to-GPU copies when the Runner runs on CUDA.

    Every train / val / test dataloader that does not set ``pin_memory``
    gets ``pin_memory=True`` (batches are collated into page-locked
    memory), and the model's data preprocessor (``model.data_preprocessor``,
    else the config's top-level ``data_preprocessor``), when it does not
    set ``non_blocking`` and its class takes that argument, gets
    ``non_blocking=True``: its copies of the batch to the GPU then return
    at once and overlap with the work queued before them. Settings the
    config makes itself (``pin_memory=False``, ``non_blocking=False``) are
    kept. On any other device nothing changes (PyTorch warns about
    ``pin_memory`` without an accelerator).

    Args:
        cfg (mmengine.Config): The config (changed in place).
        device (str, optional): The device the Runner runs on. Defaults to
            :func:`~backtal_mmaction.engine.amp.default_device`.

    Returns:
        bool: whether ``device`` is CUDA (the config was made to copy
        asynchronously).
    """
    if (device or _amp.default_device()) != 'cuda':
        return False
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if isinstance(loader, dict):
            loader.setdefault('pin_memory', True)
    model = cfg.get('model')
    preprocessor = (model.get('data_preprocessor')
                    if isinstance(model, dict) else None)
    if preprocessor is None:
        preprocessor = cfg.get('data_preprocessor')
    if (isinstance(preprocessor, dict) and 'non_blocking' not in preprocessor
            and _takes_non_blocking(
                preprocessor.get('type', 'BaseDataPreprocessor'))):
        preprocessor['non_blocking'] = True
    return True


def prepare_launcher(cfg, launcher: str) -> None:
    """Set ``cfg.launcher`` and make the ``pytorch`` launcher work on
    machines without CUDA.

    MMEngine 0.10's ``pytorch`` launcher calls ``torch.cuda.set_device``
    and wraps the model with ``device_ids=[LOCAL_RANK]``, which both fail
    without CUDA. On such machines the process group is initialized here
    (``gloo``; an ``nccl`` backend in the config is switched to ``gloo``
    with a warning) and DDP gets ``device_ids=None``.
    """
    cfg.launcher = launcher
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    dist_cfg = dict((cfg.get('env_cfg') or {}).get('dist_cfg') or {})
    backend = dist_cfg.pop('backend', 'gloo')
    if backend != 'gloo':
        print_log(
            f'No CUDA device: using the gloo backend instead of '
            f'{backend!r} for distributed training on CPU.',
            logger='current', level=30)
        backend = 'gloo'
    timeout: Optional[float] = dist_cfg.pop('timeout', None)
    if not dist.is_initialized():
        kwargs = {}
        if timeout is not None:
            kwargs['timeout'] = datetime.timedelta(seconds=timeout)
        dist.init_process_group(backend=backend, **kwargs)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def build_model_from_checkpoint(cfg, checkpoint: str, device: str = 'cpu'):
    """Build ``cfg.model`` and load ``checkpoint`` strictly (after
    :func:`check_checkpoint_compatible`), in eval mode on ``device``.

    The config's ``custom_imports`` must have run (``Config.fromfile``
    does it).
    """
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    ckpt = load_checkpoint_file(checkpoint, map_location='cpu')
    check_checkpoint_compatible(model, ckpt, source=f'checkpoint {checkpoint}')
    state = ckpt.get('state_dict', ckpt)
    model.load_state_dict(
        {without_ddp_prefix(k): v for k, v in state.items()})
    return model.to(device).eval()

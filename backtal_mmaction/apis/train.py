"""Train a localizer with MMEngine's Runner: the function behind
``tools/train.py`` (its keyword arguments are the command-line flags).

Safety nets on top of MMEngine's runner (see ``tools/train.py``):

- every ``cfg_options`` key must exist in the config (or be an argument of
  the class it configures) unless ``cfg_options_allow_new``;
- a work dir that already holds a run is never trained over unless
  ``resume`` or ``overwrite`` is given; ``overwrite`` moves the old run's
  checkpoints and ``last_checkpoint`` into ``WORK_DIR/overwritten_<time>/``;
- ``resume='auto'`` resumes the checkpoint ``WORK_DIR/last_checkpoint``
  names, relative to the work dir;
- the datasets are built (and their data checked) before the Runner logs
  the environment and config;
- the checkpoint of ``load_from`` / ``resume`` must match the model;
- checkpoints are written atomically and carry the random generator
  states, so resuming after a kill continues exactly where the run stopped;
- on CUDA, dataloaders pin their batches and the data preprocessor copies
  them to the GPU without blocking (unless the config says otherwise).
"""
import os
import os.path as osp
import re
from inspect import signature as _signature
from typing import Dict, Optional, Union

import torch
from mmengine.config import Config

from ..cli.config import load_config
from ..cli.runner import (add_custom_hook, build_runner, check_datasets,
                          holds_a_run, move_aside_run, prepare_launcher,
                          use_atomic_checkpoints, use_pinned_memory)
from ..cli.vis_backends import enable_tensorboard
from ..engine import amp as _amp
from ..engine.amp import CPU_DTYPES, DTYPE_NAMES, configure_amp
from ..engine.hooks.atomic_checkpoint_hook import resolve_last_checkpoint
from ..utils import check_count

__all__ = ['COMPILE_MODES', 'build_train_cfg', 'train_localizer']

# torch.compile's modes (``tools/train.py --compile MODE``).
COMPILE_MODES = ('default', 'reduce-overhead', 'max-autotune',
                 'max-autotune-no-cudagraphs')


def default_work_dir(cfg: Config, config: Union[str, Config]) -> str:
    """MMAction2's default: the config's ``work_dir``, else
    ``./work_dirs/<config file name without .py>``."""
    if cfg.get('work_dir', None) is not None:
        return cfg.work_dir
    path = config if isinstance(config, str) else (cfg.filename or 'run')
    return osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])


def _resume_mode(resume: Union[bool, str, None]) -> Optional[str]:
    """``resume`` as ``None`` (no resume), ``'auto'`` or a checkpoint path
    (``True`` means ``'auto'``, the command line's bare ``--resume``)."""
    if resume is True:
        return 'auto'
    if resume is False or resume is None:
        return None
    return str(resume)


def _launch_rank() -> int:
    """This process's global rank as the launcher set it (torchrun, Slurm,
    MPI), before ``init_dist``; 0 without a launcher."""
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        value = os.environ.get(var)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


def _amp_dtype(amp: Union[bool, str]) -> Optional[str]:
    """``amp`` as :func:`~backtal_mmaction.engine.amp.configure_amp`'s
    ``dtype``: None (the device's default) for ``True``, else the dtype a
    name of :data:`~backtal_mmaction.engine.amp.DTYPE_NAMES` means."""
    if amp is True:
        return None
    if isinstance(amp, str) and amp.lower() in DTYPE_NAMES:
        return DTYPE_NAMES[amp.lower()]
    raise ValueError(f'`amp` must be True or one of '
                     f'{", ".join(DTYPE_NAMES)}; got {amp!r}')


def _enable_amp(cfg: Config, amp: Union[bool, str]) -> None:
    """``cfg`` with mixed precision for the device the Runner trains on."""
    dtype = _amp_dtype(amp)
    device = _amp.default_device()
    if device == 'cpu' and dtype is not None and dtype not in CPU_DTYPES:
        raise ValueError(
            f'`amp` {amp}: {dtype} mixed precision needs a CUDA (or NPU / '
            'MLU / MUSA) device; on the CPU it is bfloat16 only (`amp` '
            'bf16, or `amp` without a dtype)')
    # bf16 (the CPU's default; warns on a CPU without bf16 instructions):
    # AutocastOptimWrapper, no loss scale; fp16 (CUDA/NPU/MLU/MUSA's
    # default): MMEngine's AmpOptimWrapper with a dynamic loss scale.
    configure_amp(cfg, device=device, dtype=dtype)


def _compile_cfg(compile: Union[bool, str, dict]) -> Union[bool, dict]:
    """``compile`` as MMEngine's ``cfg.compile``: ``True`` (torch.compile's
    defaults), or the keyword arguments of ``torch.compile``."""
    if not callable(getattr(torch, 'compile', None)):
        raise ValueError(f'`compile` needs torch.compile (PyTorch >= 2.0); '
                         f'this is PyTorch {torch.__version__}')
    if compile is True:
        return True
    if isinstance(compile, str):
        if compile not in COMPILE_MODES:
            raise ValueError(f'`compile` mode must be one of '
                             f'{", ".join(COMPILE_MODES)}; got {compile!r}')
        return dict(mode=compile)
    if isinstance(compile, dict):
        return dict(compile)
    raise ValueError(f'`compile` must be True, a mode ('
                     f'{", ".join(COMPILE_MODES)}) or a dict of '
                     f'torch.compile arguments; got {compile!r}')


# The checkpoints MMEngine's CheckpointHook writes.
_RUNNER_CHECKPOINT = re.compile(r'(epoch|iter)_\d+\.pth')


def _enable_auto_scale_lr(cfg: Config) -> None:
    """Switch on MMEngine's ``auto_scale_lr``; its ``base_batch_size`` (the
    batch the config's learning rates are set for) must be in the config:
    a default would scale silently by a wrong ratio."""
    scale = cfg.get('auto_scale_lr')
    base = scale.get('base_batch_size') if isinstance(scale, dict) else None
    if base is None:
        raise ValueError(
            '`auto_scale_lr` needs auto_scale_lr.base_batch_size in the '
            'config: the batch size its learning rate is set for (e.g. '
            'auto_scale_lr = dict(base_batch_size=16))')
    if isinstance(base, float) and base.is_integer():
        base = cfg.auto_scale_lr.base_batch_size = int(base)  # 16.0
    try:
        check_count('auto_scale_lr.base_batch_size', base)
    except TypeError as err:  # a setting's value: the tools' error line
        raise ValueError(str(err)) from None
    cfg.auto_scale_lr.enable = True


def build_train_cfg(config: Union[str, Config],
                    work_dir: Optional[str] = None,
                    resume: Union[bool, str, None] = None,
                    amp: Union[bool, str] = False,
                    compile: Union[bool, str, dict] = False,
                    tensorboard: bool = False,
                    no_validate: bool = False,
                    test: bool = False,
                    overwrite: bool = False,
                    auto_scale_lr: bool = False,
                    seed: Optional[int] = None,
                    deterministic: bool = False,
                    cfg_options: Optional[dict] = None,
                    cfg_options_allow_new: bool = False,
                    launcher: str = 'none') -> Config:
    """The config of a training run (what ``tools/train.py`` runs), checked
    before anything is built. Arguments: see :func:`train_localizer`.

    Returns:
        mmengine.Config: the merged config (atomic checkpoints, RNG-state
        and checkpoint-compatibility hooks added; ``TestSpeedHook`` with
        ``test``; on CUDA pinned-memory dataloaders and a non-blocking
        data preprocessor:
        :func:`~backtal_mmaction.cli.runner.use_pinned_memory`).

    Raises:
        FileExistsError: ``work_dir`` holds a run and neither ``resume``
            nor ``overwrite`` is given.
        FileNotFoundError: ``resume`` names a checkpoint that does not exist.
        ValueError: ``auto_scale_lr`` with a config that has no
            ``auto_scale_lr.base_batch_size`` (a count);
            ``amp`` names an unknown dtype, or float16 on the CPU;
            ``amp`` with an ``optim_wrapper`` that is not a plain
            ``OptimWrapper`` / ``AmpOptimWrapper``, or on a device that is
            neither the CPU nor CUDA/NPU/MLU/MUSA; ``compile`` with an
            unknown mode, or without ``torch.compile``.
    """
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    cfg.work_dir = work_dir if work_dir is not None else \
        default_work_dir(cfg, config)
    mode = _resume_mode(resume)
    if mode == 'auto':
        # The pointer, relative to the work dir (a copied or moved work dir
        # resumes its own checkpoint). No checkpoint yet (a requeued job's
        # first start): the run starts as the config says, from its
        # load_from when it has one (fine-tuning), else from scratch.
        # (MMAction2's own --resume drops load_from there.)
        last = (resolve_last_checkpoint(cfg.work_dir)
                if osp.isdir(cfg.work_dir) else None)
        # the Runner's own checkpoints (a starting run would write over
        # them), not e.g. a pretrained file kept there for load_from
        present = sorted(
            f for f in os.listdir(cfg.work_dir)
            if _RUNNER_CHECKPOINT.fullmatch(f)) if osp.isdir(
                cfg.work_dir) else []
        if last is not None:
            cfg.resume, cfg.load_from = True, last
        elif present:
            # Checkpoints without a pointer (deleted, not copied, or a job
            # killed between a checkpoint and its pointer): starting over
            # would write over them.
            raise FileExistsError(
                f'`resume`: {cfg.work_dir} holds checkpoints ({present}) but '
                'no last_checkpoint pointer to the one to continue; pass '
                '`resume` CHECKPOINT to choose one, `overwrite` (without '
                '`resume`) to train over them, or another `work_dir`')
        else:
            cfg.resume = False
    elif mode is not None:
        if not osp.isfile(mode):
            raise FileNotFoundError(f'`resume`: checkpoint not found: '
                                    f'{mode}')
        cfg.resume, cfg.load_from = True, mode
    elif holds_a_run(cfg.work_dir) and not overwrite:
        raise FileExistsError(
            f'{cfg.work_dir} already holds checkpoints of a run; pass '
            '`resume` to continue it, `overwrite` to train over it, or '
            'another `work_dir`.')
    if amp is not False and amp is not None:
        _enable_amp(cfg, amp)
    if compile is not False and compile is not None:
        # MMEngine's Runner compiles model.train_step (Runner._maybe_compile)
        cfg.compile = _compile_cfg(compile)
    use_pinned_memory(cfg)
    if tensorboard:
        enable_tensorboard(cfg)
    if no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if auto_scale_lr:
        _enable_auto_scale_lr(cfg)
    if seed is not None or deterministic:
        cfg.setdefault('randomness', {})
        if seed is not None:
            cfg.randomness.seed = seed
        cfg.randomness.deterministic = deterministic
    use_atomic_checkpoints(cfg)
    add_custom_hook(cfg, dict(type='RNGStateHook'))
    add_custom_hook(cfg, dict(type='CheckpointCompatibilityHook'))
    if test:
        add_custom_hook(cfg, dict(type='TestSpeedHook'))
    cfg.launcher = launcher
    return cfg


def train_localizer(config: Union[str, Config],
                    **options) -> Optional[Dict[str, float]]:
    """Train (and with ``test`` test) a localizer: ``tools/train.py``.

    The keywords are :func:`build_train_cfg`'s (one signature for both;
    ``inspect.signature(train_localizer)`` shows them), each a flag of the
    tool.

    Args:
        config (str | Config): Config file, or a loaded config (copied).
        work_dir (str, optional): ``--work-dir``; default: the config's,
            else ``./work_dirs/<config name>``.
        resume (bool | str, optional): ``--resume``: ``True`` / ``'auto'``
            resumes ``WORK_DIR/last_checkpoint`` (from scratch when there is
            none yet), a path resumes that checkpoint.
        amp (bool | str): ``--amp [DTYPE]``: mixed precision for the
            device the Runner trains on
            (:func:`~backtal_mmaction.engine.amp.configure_amp`). ``True``
            (bare ``--amp``): the device's default, bf16 autocast on CPU
            (fast only with ``avx512_bf16`` / ``amx_bf16``; a warning says
            so elsewhere), MMEngine's ``AmpOptimWrapper`` (fp16, dynamic
            loss scale) on CUDA. A dtype, ``'bf16'`` / ``'bfloat16'`` or
            ``'fp16'`` / ``'float16'`` (CUDA only), chooses it; bf16 is
            :class:`~backtal_mmaction.engine.amp.AutocastOptimWrapper`
            on every device (no loss scale).
        compile (bool | str | dict): ``--compile [MODE]``: ``torch.compile``
            the training step (MMEngine's ``cfg.compile``; validation and
            test run uncompiled). ``True``: torch.compile's defaults
            (inductor); a mode (:data:`COMPILE_MODES`, e.g.
            ``'max-autotune'``): ``dict(mode=MODE)``; a dict: the keyword
            arguments of ``torch.compile`` (e.g. ``dict(backend='eager')``).
            The first iterations are slow (compilation), and inductor
            draws dropout masks with its own generator, so the losses
            match an uncompiled run of the same seed only without dropout.
        tensorboard (bool): ``--tensorboard``: also write TensorBoard events.
        no_validate (bool): ``--no-validate``: no validation during training.
        test (bool): ``--test``: test the final model; returns its metrics.
        overwrite (bool): ``--overwrite``: train into a work dir holding
            another run (its checkpoints are moved aside, not deleted).
        auto_scale_lr (bool): ``--auto-scale-lr``: multiply the learning
            rates by (processes x batch size) / the config's
            ``auto_scale_lr.base_batch_size`` (MMEngine's ``scale_lr``; the
            shipped configs set it to their batch size, so one process
            keeps the rate).
        seed (int, optional): ``--seed``.
        deterministic (bool): ``--deterministic``.
        cfg_options (dict, optional): parsed ``--cfg-options``
            (``{'a.b': value}``); every key must exist unless
            ``cfg_options_allow_new``.
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.
        launcher (str): ``--launcher``: none / pytorch / slurm / mpi.

    Returns:
        dict | None: the test metrics (``{'tal/mAP@0.50': float, ...}``,
        percent) with ``test``, else None.
    """
    # binding first: a wrong keyword is a TypeError naming it
    args = _signature(build_train_cfg).bind(config, **options)
    args.apply_defaults()
    test, resume, overwrite, launcher = (args.arguments[k] for k in (
        'test', 'resume', 'overwrite', 'launcher'))
    cfg = build_train_cfg(config, **options)
    # Data errors before the Runner logs the environment and the config.
    check_datasets(cfg, ['train']
                   + (['val'] if cfg.get('val_cfg') else [])
                   + (['test'] if test else []))
    if overwrite and _resume_mode(resume) is None and _launch_rank() == 0:
        # One process moves the old run aside (before any process group
        # exists, so by the launcher's rank variable).
        move_aside_run(cfg.work_dir)
    prepare_launcher(cfg, launcher)
    runner = build_runner(cfg)
    if cfg.get('resume'):
        runner.logger.info(f'Resuming from {cfg.load_from}')
    elif _resume_mode(resume) == 'auto':
        runner.logger.info(
            f'`resume`: no checkpoint in {cfg.work_dir} yet, '
            + (f'starting from load_from {cfg.load_from}'
               if cfg.get('load_from') else 'training from scratch'))
    runner.train()
    return runner.test() if test else None


train_localizer.__signature__ = _signature(build_train_cfg).replace(
    return_annotation=Optional[Dict[str, float]])

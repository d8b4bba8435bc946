"""Test a checkpoint with MMEngine's Runner: the function behind
``tools/test.py`` (its keyword arguments are the command-line flags).

- ``out_json``: detections as ActivityNet result JSON, written by the test
  evaluator that
  :func:`~backtal_mmaction.cli.runner.find_test_evaluator` picks;
- ``save_raw``: every video's raw outputs as ``DIR/<video>.npz``
  (``SaveRawOutputsHook``), for
  :func:`~backtal_mmaction.apis.postprocess_raw_outputs`;
- ``vis_cas``: CAS figures of the first N videos (per rank);
- the checkpoint must match the model built from the config (keys and
  shapes) and ``cfg_options`` keys must exist; both fail before testing;
- ``out_json`` / ``dump`` files and ``save_raw`` / ``vis_dir`` directories
  that already hold results are never replaced without ``overwrite``.
"""
import os.path as osp
from typing import Dict, Optional, Union

from mmengine.config import Config

from ..cli.config import load_config
from .train import default_work_dir

__all__ = ['build_test_cfg', 'test_localizer']


def build_test_cfg(config: Union[str, Config],
                   checkpoint: str,
                   work_dir: Optional[str] = None,
                   dump: Optional[str] = None,
                   out_json: Optional[str] = None,
                   save_raw: Optional[str] = None,
                   vis_cas: int = 0,
                   vis_dir: Optional[str] = None,
                   overwrite: bool = False,
                   cfg_options: Optional[dict] = None,
                   cfg_options_allow_new: bool = False,
                   launcher: str = 'none') -> Config:
    """The config of a test run (what ``tools/test.py`` runs), checked
    before anything is built. Arguments: see :func:`test_localizer`.

    Returns:
        mmengine.Config: the merged config (``load_from = checkpoint``,
        output hooks / evaluators added).

    Raises:
        FileNotFoundError: the checkpoint (a local path) does not exist.
        FileExistsError / IsADirectoryError: an output exists (without
            ``overwrite``) or is a directory.
        SystemExit: ``dump`` without a ``.pkl`` / ``.pickle`` suffix, or
            ``vis_dir`` without ``vis_cas`` (one ``error:`` line).
        ValueError: ``out_json`` and the config has no test evaluator.
    """
    from ..cli.runner import (add_custom_hook, check_output_file,
                                       find_test_evaluator)
    if not osp.isfile(checkpoint) and '://' not in checkpoint:
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    cfg.work_dir = work_dir if work_dir is not None else \
        default_work_dir(cfg, config)
    cfg.load_from = checkpoint
    cfg.resume = False
    for option, path in (('--out-json', out_json), ('--dump', dump)):
        if path:
            check_output_file(path, option, overwrite=overwrite)
    if out_json:
        evaluator = find_test_evaluator(cfg)
        if evaluator is None:
            raise ValueError('--out-json: the config has no test_evaluator '
                             'to write the detections')
        evaluator['dump_results'] = out_json
        if overwrite:
            evaluator['overwrite_dump'] = True
    if dump:
        if not dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('error: --dump must end with .pkl or .pickle')
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=dump)
        ]
    add_custom_hook(cfg, dict(type='CheckpointCompatibilityHook'))
    add_custom_hook(cfg, dict(type='TestSpeedHook'))
    if save_raw:
        add_custom_hook(
            cfg,
            dict(type='SaveRawOutputsHook', out_dir=save_raw,
                 overwrite=overwrite))
    if vis_cas:
        if vis_dir and not overwrite:
            from ..engine.hooks.cas_visualization_hook import \
                check_no_figures
            check_no_figures(vis_dir)
        add_custom_hook(
            cfg,
            dict(type='CASVisualizationHook', num_videos=vis_cas,
                 out_dir=vis_dir, overwrite=overwrite))
    elif vis_dir:
        raise SystemExit('error: --vis-dir needs --vis-cas N')
    cfg.launcher = launcher
    return cfg


def test_localizer(config: Union[str, Config],
                   checkpoint: str,
                   work_dir: Optional[str] = None,
                   dump: Optional[str] = None,
                   out_json: Optional[str] = None,
                   save_raw: Optional[str] = None,
                   vis_cas: int = 0,
                   vis_dir: Optional[str] = None,
                   overwrite: bool = False,
                   cfg_options: Optional[dict] = None,
                   cfg_options_allow_new: bool = False,
                   launcher: str = 'none') -> Dict[str, float]:
    """Test a checkpoint on the config's test split: ``tools/test.py``.

    Args:
        config (str | Config): Config file, or a loaded config (copied).
        checkpoint (str): Checkpoint file (or URL); it must match the model
            built from the config (keys and shapes).
        work_dir (str, optional): ``--work-dir`` (logs); default: the
            config's, else ``./work_dirs/<config name>``.
        dump (str, optional): ``--dump``: pickle of the raw predictions
            (``.pkl`` / ``.pickle``).
        out_json (str, optional): ``--out-json``: detections as ActivityNet
            result JSON.
        save_raw (str, optional): ``--save-raw``: folder for each video's
            raw outputs (``<video>.npz``: CAS ``(C+1, T)``, video scores
            ``(C+1,)``, magnitude / foreground weights ``(T,)``).
        vis_cas (int): ``--vis-cas N``: CAS figures of the first N videos
            into the visualizer backends.
        vis_dir (str, optional): ``--vis-dir``: with ``vis_cas``, also
            ``DIR/<video>.png``.
        overwrite (bool): ``--overwrite``: replace existing outputs.
        cfg_options (dict, optional): parsed ``--cfg-options``; every key
            must exist unless ``cfg_options_allow_new``.
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.
        launcher (str): ``--launcher``: none / pytorch / slurm / mpi.

    Returns:
        dict: the test metrics, e.g. ``{'tal/mAP@0.50': float, ...,
        'tal/mAP_avg': float}`` (percent).
    """
    from ..cli.runner import (build_runner, check_datasets,
                                       prepare_launcher)
    cfg = build_test_cfg(
        config, checkpoint, work_dir=work_dir, dump=dump, out_json=out_json,
        save_raw=save_raw, vis_cas=vis_cas, vis_dir=vis_dir,
        overwrite=overwrite, cfg_options=cfg_options,
        cfg_options_allow_new=cfg_options_allow_new, launcher=launcher)
    # Data errors (GT, features, missing fps) before the Runner logs the
    # environment and the config.
    check_datasets(cfg, ['test'])
    prepare_launcher(cfg, launcher)
    runner = build_runner(cfg)
    return runner.test()


# Not a pytest test, though a test module may import it by name.
test_localizer.__test__ = False

"""A two-stage pipeline config run from its file, with the stage-1 vs
stage-2 table: the function behind ``tools/two_stage.py``
(:func:`~backtal_mmaction.apis.run_two_stage` does the pipeline itself)."""
import os.path as osp
from typing import Callable, Dict, Optional

__all__ = ['STAGE_TABLE_KEYS', 'format_stage_metrics', 'run_two_stage_config']

STAGE_TABLE_KEYS = ('mAP@0.10', 'mAP@0.30', 'mAP@0.50', 'mAP@0.70',
                    'mAP_avg')


def format_stage_metrics(metrics: Dict[str, Dict[str, float]]) -> str:
    """A markdown table: one row per stage (``{stage: {'tal/mAP@0.50':
    float, ...}}``, in order), mAP at a few tIoUs (2 decimals, ``-`` where
    a metric is missing)."""
    rows = ['| model | ' + ' | '.join(STAGE_TABLE_KEYS) + ' |',
            '|---' * (len(STAGE_TABLE_KEYS) + 1) + '|']
    for name, m in metrics.items():
        vals = [m.get(f'tal/{k}') for k in STAGE_TABLE_KEYS]
        rows.append(f'| {name} | ' + ' | '.join(
            '-' if v is None else f'{v:.2f}' for v in vals) + ' |')
    return '\n'.join(rows)


def run_two_stage_config(config: str,
                         work_dir: Optional[str] = None,
                         seed: Optional[int] = None,
                         rounds: Optional[int] = None,
                         no_test: bool = False,
                         log: Callable[[str], None] = print) -> dict:
    """Run (or continue) the pipeline of a ``configs/two_stage/`` config
    file and log the stage table: ``tools/two_stage.py``.

    Args:
        config (str): A two-stage pipeline config file (with
            ``two_stage`` settings).
        work_dir (str, optional): ``--work-dir``; default
            ``work_dirs/<config name>``.
        seed (int, optional): ``--seed`` of both stages.
        rounds (int, optional): ``--rounds`` of self-training (default: the
            config's).
        no_test (bool): ``--no-test``: train and label only.
        log (callable): receives the table (default: ``print``).

    Returns:
        dict: :func:`~backtal_mmaction.apis.run_two_stage`'s result.

    Raises:
        FileNotFoundError: the config does not exist.
        ValueError: it has no ``two_stage`` settings.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}')
    from mmengine.config import Config

    from .two_stage import run_two_stage
    cfg = Config.fromfile(config)
    if not cfg.get('two_stage'):
        raise ValueError(f'{config} has no `two_stage` settings '
                         '(is it a configs/two_stage/ pipeline config?)')
    work_dir = work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(config))[0])
    result = run_two_stage(cfg, work_dir, seed=seed, rounds=rounds,
                           test=not no_test)
    if 'metrics' in result:
        log(format_stage_metrics(result['metrics']))
    return result

"""The two-stage pipeline: stage 1 (click-supervised, e.g. BackTAL) ->
click-checked pseudo-segments -> stage 2 (:class:`AnchorFreeTAD`) ->
optional self-training rounds -> test.

A pipeline config is a normal stage-2 config plus a ``two_stage`` dict::

    two_stage = dict(
        # relative to the config file that sets it (not to a child
        # config inheriting it)
        stage1='../backtal/backtal_synthetic.py',
        pseudo_labels=dict(rel_score_thr=0.5, topk=10),  # PseudoLabelRules
        # optional: the clicks the labelling step reads (default: stage 1's
        # training clicks), e.g. both kinds for instance seeds
        label_clicks=dict(click_types=('background', 'action'),
                          click_annotators=None),
        # optional: hold out the clicks of 20 % of the training videos and
        # keep the final model by its score on them (no GT needed)
        click_check=dict(fraction=0.2, seed=0, margin=0.0),
        self_training_rounds=0)

Its training ``ann_file`` is replaced by each round's pseudo-GT file.

**Click check.** With ``click_check``, the clicks of a deterministic share
of the training videos (:func:`~backtal_mmaction.datasets.clicks.
heldout_videos`) are removed from every training and labelling dataset of
the pipeline; every model of the pipeline then labels its training videos
and is scored on those held-out clicks
(:func:`~backtal_mmaction.evaluation.functional.click_score`: action clicks
covered by detections of their class against background clicks covered by
any detection). The pipeline's final model is stage 1 unless a stage-2
round beats its click score by more than ``margin``; ``final`` in
``metrics.json`` / ``selection.json`` says which, and why.

Where the training GT has segments (benchmarks; not real click-supervised
data), each pseudo-GT file is also scored against it
(:func:`~backtal_mmaction.evaluation.functional.pseudo_label_quality`),
logged and written to ``pseudo_label_quality.json``.

Work dir layout (each step is skipped when its output exists, and a
training step interrupted midway resumes from its ``last_checkpoint``)::

    WORK_DIR/two_stage_run.json             the run's identity (below)
    WORK_DIR/stage1/epoch_N.pth             stage-1 model
    WORK_DIR/pseudo_gt_round0.json          from stage 1
    WORK_DIR/stage2_round0/epoch_M.pth      stage 2 on round-0 pseudo-GT
    WORK_DIR/pseudo_gt_round1.json          from stage 2 round 0 (self-
    WORK_DIR/stage2_round1/epoch_M.pth      training), ...
    WORK_DIR/metrics.json                   test metrics of stage 1, of
                                            every stage-2 round and of the
                                            final (selected) model
    WORK_DIR/selection.json                 click scores and the choice
    WORK_DIR/pseudo_label_quality.json      pseudo-GT vs the training GT

**One run per work dir.** Skipping a step whose output exists is only right
when that output was made with this run's settings. The first run writes
its identity to ``two_stage_run.json``: the seed, the ``two_stage``
settings that every round shares (pseudo-label rules, ``label_clicks``,
``click_check``) and a fingerprint of both stages' resolved configs; a
later run whose identity differs, in a work dir holding outputs, stops
with an error naming what differs. The number of rounds and ``test`` are
not part of it: more rounds continue a finished pipeline. A work dir of an
earlier version (outputs, no record) is taken as this run's, with a note.
"""
import ast
import copy
import glob
import hashlib
import json
import numbers
import os.path as osp
import pickle
from typing import Callable, Dict, List, Optional

import numpy as np
from mmengine.config import Config

from ..apis.inference import build_dataset, training_videos_dataset_cfg
from ..cli.config import load_config
from ..cli.runner import build_runner
from ..datasets.config_utils import config_input_files
from ..evaluation.functional.click_score import (click_score,
                                                 compare_click_scores)
from ..pseudo_labels import PseudoLabelRules
from ..utils import (atomic_replace, atomic_write, check_output_path,
                     check_seed)
from .pseudo_gt import (check_label_clicks, log_pseudo_label_quality,
                        predict_training_videos, pseudo_gt_from_records)

__all__ = ['load_stage1_config', 'stage1_config_path', 'run_two_stage',
           'run_two_stage_config', 'final_checkpoint', 'stage2_config',
           'train_stage', 'test_stage', 'with_heldout_clicks',
           'heldout_click_targets', 'format_stage_metrics',
           'config_fingerprint', 'STAGE_TABLE_KEYS', 'RUN_RECORD']

#: The work dir's record of the run that made it (see the module docstring).
RUN_RECORD = 'two_stage_run.json'


def _config_chain(filename: str) -> List[str]:
    """``filename`` and the ``_base_`` files it inherits, nearest first
    (depth first: a file overrides its bases, as MMEngine merges them)."""
    chain, todo = [], [osp.abspath(filename)]
    while todo:
        path = todo.pop(0)
        if path in chain or not osp.isfile(path):
            continue
        chain.append(path)
        try:
            bases = Config._get_base_files(path)
        except (OSError, SyntaxError, ValueError, TypeError, NameError,
                RuntimeError):
            # the chain only says where to look; the config itself loaded
            bases = []
        todo[:0] = [osp.abspath(Config._get_cfg_path(b, path)[0])
                    for b in bases if isinstance(b, str) and '::' not in b]
    return chain


def _sets_literal(expr: ast.AST, key: str, value: str) -> bool:
    """Whether ``expr`` (a ``dict(...)`` call or ``{...}`` literal, nested
    anywhere) gives ``key`` the string ``value``."""
    for node in ast.walk(expr):
        if isinstance(node, ast.keyword) and node.arg == key:
            found = node.value
        elif isinstance(node, ast.Dict):
            found = next((v for k, v in zip(node.keys, node.values)
                          if isinstance(k, ast.Constant) and k.value == key),
                         None)
        else:
            continue
        if isinstance(found, ast.Constant) and found.value == value:
            return True
    return False


def _sets_stage1(path: str, value: str) -> bool:
    """Whether the config file ``path`` itself (not one of its bases) sets
    ``two_stage.stage1`` to ``value``: ``two_stage = dict(stage1=value,
    ...)`` (or a ``{...}`` literal), or ``two_stage.stage1 = value``."""
    if not path.endswith('.py'):
        return False
    try:
        with open(path, encoding='utf-8') as f:
            body = ast.parse(f.read()).body
    except (OSError, SyntaxError, ValueError):
        return False
    for node in body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == 'two_stage':
                if _sets_literal(node.value, 'stage1', value):
                    return True
            elif (isinstance(target, ast.Attribute)
                  and target.attr == 'stage1'
                  and isinstance(target.value, ast.Name)
                  and target.value.id == 'two_stage'
                  and isinstance(node.value, ast.Constant)
                  and node.value.value == value):
                return True
    return False


def stage1_config_path(cfg: Config) -> str:
    """The stage-1 config file a pipeline config names
    (``two_stage.stage1``): absolute, or relative to the folder of the
    config file that *sets* it (a user config inheriting a shipped pipeline
    config reads the shipped config's ``stage1`` from the shipped folder).

    Where no file of the config's ``_base_`` chain visibly sets it (a value
    computed or set in code), each file's folder is tried, nearest first;
    a config without a file reads a relative path from the current folder.

    Raises:
        ValueError: no ``two_stage.stage1``, or not a path.
        FileNotFoundError: no file at any of the paths tried (listed).
    """
    name = cfg.filename or 'the pipeline config'
    ts = cfg.get('two_stage')
    if not ts or not ts.get('stage1'):
        raise ValueError(f'{name}: a two-stage config needs '
                         "two_stage=dict(stage1='<stage-1 config>', ...)")
    value = ts['stage1']
    if not isinstance(value, str):
        raise ValueError(f'{name}: two_stage.stage1 must be a config file '
                         f'path, got {value!r}')
    path = osp.expanduser(value)
    if osp.isabs(path):
        tried = [path]
    elif not cfg.filename:
        tried = [osp.abspath(path)]
    else:
        chain = _config_chain(cfg.filename)
        owner = next((f for f in chain if _sets_stage1(f, value)), None)
        folders = ([osp.dirname(owner)] if owner
                   else [osp.dirname(f) for f in chain])
        tried = list(dict.fromkeys(osp.normpath(osp.join(d, path))
                                   for d in folders))
    for candidate in tried:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{name}: two_stage.stage1 config not found: {value!r} (a relative '
        'path is read from the folder of the config file that sets it); '
        f'tried {", ".join(tried)}')


def load_stage1_config(cfg: Config) -> Config:
    """The stage-1 config a pipeline config names
    (:func:`stage1_config_path`)."""
    return Config.fromfile(stage1_config_path(cfg))


# settings that change no model or number: left out of the fingerprint
# (``load_from`` does: a stage fine-tuned from another checkpoint is
# another model; it enters the fingerprint when it is set, so the records
# of runs without it read as before)
_VOLATILE_KEYS = ('work_dir', 'log_level', 'resume', 'launcher')


def _canonical(obj):
    """``obj`` as plain JSON values (string keys, lists; classes and
    functions by their dotted names), so that equal settings give equal
    text."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    name = getattr(obj, '__qualname__', None)
    if name is not None:
        return f'{getattr(obj, "__module__", "")}.{name}'
    return repr(obj)


def _settings(cfg: Config) -> dict:
    """A config's settings as canonical JSON values, without those that
    change no result (``work_dir``, ``log_level``, ``resume``,
    ``launcher``) and without an unset ``load_from``."""
    return _canonical({k: v for k, v in cfg.to_dict().items()
                       if k not in _VOLATILE_KEYS
                       and not (k == 'load_from' and v is None)})


def config_fingerprint(cfg: Config) -> str:
    """A short sha256 of a config's settings (:func:`_settings`, sorted
    keys): equal for equal settings wherever the file lies."""
    text = json.dumps(_settings(cfg), sort_keys=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]


def _flat(node, prefix: str = '') -> dict:
    """``{'a.b.c': leaf}`` of nested dicts (lists are leaves)."""
    if not isinstance(node, dict):
        return {prefix: node}
    out = {}
    for key, value in node.items():
        out.update(_flat(value, f'{prefix}.{key}' if prefix else key))
    return out


def _config_changes(was: Optional[dict], now: dict, limit: int = 3) -> str:
    """The first ``limit`` settings that differ between two
    :func:`_settings` dicts, as ``key: old -> new``."""
    if not isinstance(was, dict):
        return 'its settings'
    a, b = _flat(was), _flat(now)
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    shown = '; '.join(f'{k}: {a.get(k)!r} there, {b.get(k)!r} now'
                      for k in keys[:limit])
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return shown + more


def _read_json(path: str):
    """A JSON output of an earlier run in the work dir, a damaged file
    named."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'{path}: not a readable JSON file ({err}); it was '
                         'written by an earlier run in this work dir: delete '
                         'it to have it remade') from None


def final_checkpoint(cfg: Config, work_dir: str) -> str:
    """``work_dir/epoch_<max_epochs>.pth``: the model a finished run
    leaves (the last epoch; no model selection)."""
    return osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')


def train_stage(cfg: Config, work_dir: str, seed: Optional[int] = None,
                log: Callable = print) -> str:
    """Train ``cfg`` into ``work_dir`` (last epoch kept, no validation);
    skipped when its final checkpoint exists, resumed when the run was
    interrupted.

    Returns:
        str: the final checkpoint.
    """
    ckpt = final_checkpoint(cfg, work_dir)
    if osp.isfile(ckpt):
        log(f'skip: {ckpt} exists')
        return ckpt
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    if seed is not None:
        cfg.randomness = dict(seed=seed, deterministic=False)
    # model selection is not part of the pipeline: the last epoch is used
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        cfg.resume, cfg.load_from = True, None
        log(f'resume: {work_dir}')
    # the last epoch must be saved for the next step
    cfg.default_hooks.checkpoint.save_last = True
    build_runner(cfg).train()
    if not osp.isfile(ckpt):
        raise RuntimeError(f'training finished without {ckpt}')
    return ckpt


def test_stage(cfg: Config, ckpt: str, work_dir: str) -> Dict[str, float]:
    """Test ``ckpt`` with ``cfg``'s test split; returns its metrics."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from, cfg.resume = ckpt, False
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    metrics = build_runner(cfg).test()
    return {k: float(v) for k, v in metrics.items()}


def with_heldout_clicks(dataset: dict, click_check: Optional[dict],
                        keep: str = 'train') -> dict:
    """``dataset`` (a config dict) with ``heldout_clicks`` set from the
    pipeline's ``click_check`` (``fraction``, ``seed``); unchanged without
    a click check or a click file."""
    dataset = copy.deepcopy(dataset)
    if click_check and dataset.get('click_file'):
        # fraction / seed the check leaves out take ClickTALDataset's
        # defaults (one place for them)
        dataset['heldout_clicks'] = dict(
            {k: click_check[k] for k in ('fraction', 'seed')
             if k in click_check}, keep=keep)
    return dataset


def heldout_click_targets(dataset_cfg: dict) -> Dict[str, dict]:
    """The held-out clicks of a labelling dataset, every kind and
    annotator, as :func:`click_score` reads them: ``{video: {'background',
    'action_times', 'action_labels'}}``."""
    cfg = copy.deepcopy(dataset_cfg)
    cfg.update(click_types=('background', 'action'), click_annotators=None,
               annotator_mode='merge', require_clicks=False)
    cfg['heldout_clicks'] = dict(cfg['heldout_clicks'], keep='heldout')
    dataset = build_dataset(cfg)
    C = len(dataset.metainfo['classes'])
    out = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        t = np.asarray(info['click_times'], np.float64)
        lab = np.asarray(info['click_labels'], np.int64)
        if len(t):
            out[info['video_name']] = dict(
                background=t[lab == C], action_times=t[lab < C],
                action_labels=lab[lab < C])
    return out


def _records_file(work_dir: str, key: str) -> str:
    return osp.join(work_dir, f'detections_{key}.pkl')


def _label_videos(cfg: Config, ckpt: str, key: str, work_dir: str,
                  dataset_cfg: dict, curves: bool) -> tuple:
    """The model's records on its training videos (cached in the work dir:
    labelling and click scoring read the same pass)."""
    path = _records_file(work_dir, key)
    if osp.isfile(path):
        try:
            with open(path, 'rb') as f:
                return pickle.load(f)
        except (pickle.UnpicklingError, EOFError, AttributeError,
                ImportError, IndexError, TypeError, ValueError) as err:
            raise ValueError(
                f'{path}: unreadable ({type(err).__name__}: {err}); it is a '
                'cache of an earlier run in this work dir: delete it to have '
                'it remade') from None
    result = predict_training_videos(cfg, ckpt, dataset_cfg=dataset_cfg,
                                     curves=curves)

    def dump(tmp):
        with open(tmp, 'wb') as f:
            pickle.dump(result, f)

    atomic_replace(path, dump, suffix='.pkl')
    return result


def _pseudo_labels(records: list, classes: list, out: str, rules,
                   model: str, log: Callable) -> str:
    """Write the pseudo-GT file ``out`` from ``model``'s records (skipped
    when it exists); a pseudo-GT without segments is an error."""
    if osp.isfile(out):
        log(f'skip: {out} exists')
        return out
    gt = pseudo_gt_from_records(records, classes, rules, model)
    atomic_write(out, json.dumps(gt))
    info = gt['pseudo_labels']
    log(f'{info["segments"]} pseudo-segments on {info["videos"]} videos '
        f'({info.get("click_seeded_segments", 0)} seeded by action clicks) '
        f'-> {out}')
    return out


def stage2_config(cfg: Config, pseudo_gt: Optional[str],
                  click_check: Optional[dict] = None) -> Config:
    """``cfg`` with its training GT replaced by ``pseudo_gt`` (None: no
    training GT yet, the template every round fills in) and, with a click
    check, the held-out clicks removed from its training clicks."""
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset = with_heldout_clicks(
        cfg.train_dataloader.dataset, click_check)
    cfg.train_dataloader.dataset.ann_file = pseudo_gt
    cfg.pop('two_stage', None)
    return cfg


def _labelling_dataset(stage1: Config, source_cfg: Config,
                       ts: dict) -> dict:
    """Stage 1's training videos (GT video labels and clicks), read through
    the labelling model's test pipeline, with the pipeline's
    ``label_clicks`` settings and held-out clicks removed."""
    videos = training_videos_dataset_cfg(stage1)
    videos['pipeline'] = copy.deepcopy(
        source_cfg.test_dataloader.dataset.pipeline)
    videos.update(ts.get('label_clicks') or {})
    return with_heldout_clicks(videos, ts.get('click_check'))


def _check_rounds(rounds, ts: dict) -> int:
    """``rounds`` (``rounds``; None: the config's
    ``two_stage.self_training_rounds``, default 0) as an int >= 0."""
    name = '`rounds`'
    if rounds is None:
        name, rounds = ('two_stage.self_training_rounds',
                        ts.get('self_training_rounds', 0))
    if (isinstance(rounds, (bool, np.bool_))
            or not isinstance(rounds, numbers.Integral) or rounds < 0):
        raise ValueError(f'{name} must be an integer >= 0, got {rounds!r}')
    return int(rounds)


def _stage_keys(rounds: int) -> List[str]:
    return ['stage1'] + [f'stage2_round{r}' for r in range(rounds + 1)]


def _check_work_dir(work_dir: str, rounds: int, inputs: list) -> None:
    """Before anything runs: ``work_dir`` is a folder (or new), the folders
    the pipeline keeps in it are folders, and none of the files it writes
    there is one of the run's ``inputs`` (config files, GT and click
    files)."""
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise NotADirectoryError(
            f'`work_dir` {work_dir} is a file; give a folder (a new one, or '
            'that of an earlier run of this pipeline to continue it)')
    keys = _stage_keys(rounds)
    for folder in keys + [f'test_{k}' for k in keys]:
        path = osp.join(work_dir, folder)
        if osp.exists(path) and not osp.isdir(path):
            raise NotADirectoryError(
                f'{path} is a file where the pipeline keeps a folder: move '
                'it away or give another `work_dir`')
    files = ([RUN_RECORD, 'metrics.json', 'selection.json',
              'pseudo_label_quality.json']
             + [f'pseudo_gt_round{r}.json' for r in range(rounds + 1)]
             + [osp.basename(_records_file(work_dir, k)) for k in keys])
    for name in files:
        # the pipeline rewrites its own outputs (overwrite), never an input
        check_output_path(osp.join(work_dir, name),
                          'the pipeline output (in `work_dir`)', True,
                          inputs)


def _holds_outputs(work_dir: str) -> bool:
    """Whether ``work_dir`` holds a step's output (a checkpoint, a
    pseudo-GT file, cached detections, metrics)."""
    patterns = ('stage*/*.pth', 'stage*/last_checkpoint',
                'pseudo_gt_round*.json', 'detections_*.pkl', 'metrics.json',
                'selection.json')
    return any(glob.glob(osp.join(glob.escape(work_dir), p))
               for p in patterns)


def _run_identity(seed: Optional[int], rules: PseudoLabelRules, ts: dict,
                  stage1: Config, stage2: Config) -> dict:
    """What makes a pipeline run's outputs its own: the seed, the
    ``two_stage`` settings every round shares and both stages' resolved
    configs (fingerprints; the settings too, to name what differs)."""
    return dict(seed=seed, pseudo_labels=_canonical(vars(rules)),
                label_clicks=_canonical(ts.get('label_clicks')),
                click_check=_canonical(ts.get('click_check')),
                stage1_config=config_fingerprint(stage1),
                stage2_config=config_fingerprint(stage2),
                settings=dict(stage1=_settings(stage1),
                              stage2=_settings(stage2)))


def _check_run_record(work_dir: str, identity: dict, log: Callable) -> None:
    """Compare this run's ``identity`` (:func:`_run_identity`) with the one
    recorded in ``work_dir`` (:data:`RUN_RECORD`) and record it where there
    is none yet (or where the recorded run left no output).

    Raises:
        ValueError: ``work_dir`` holds outputs of a run with another
            identity (what differs is named).
    """
    path = osp.join(work_dir, RUN_RECORD)
    if osp.isfile(path):
        before = _read_json(path)
        before = before if isinstance(before, dict) else {}
        old_settings = before.get('settings') or {}
        differs = []
        for key, now in identity.items():
            was = before.get(key)
            if key == 'settings' or was == now:
                # the settings only describe a fingerprint's difference
                continue
            if key.endswith('_config'):
                stage = key[:-len('_config')]
                changes = _config_changes(
                    old_settings.get(stage) if isinstance(old_settings, dict)
                    else None, identity['settings'][stage])
                differs.append(f'the {stage.replace("stage", "stage-")} '
                               f'config: {changes}')
            elif key == 'seed':
                differs.append(f'seed {was} there, {now} now')
            else:
                differs.append(f'two_stage.{key} {was} there, {now} now')
        if not differs:
            return
        if _holds_outputs(work_dir):
            raise ValueError(
                f'`work_dir` {work_dir} holds a two-stage run with other '
                f'settings ({"; ".join(differs)}): skipping its finished '
                'steps would report its models as this run\'s. Use a new '
                f'`work_dir` (or delete {work_dir} to start over)')
    elif _holds_outputs(work_dir):
        log(f'note: {work_dir} has no {RUN_RECORD} (made by an older '
            'version): this run\'s settings are recorded now')
    atomic_write(path, json.dumps(identity, indent=1))


def run_two_stage(cfg: Config, work_dir: str, seed: Optional[int] = None,
                  rounds: Optional[int] = None, test: bool = True,
                  log: Callable = print,
                  stage1: Optional[Config] = None) -> dict:
    """Run (or continue) the pipeline of a two-stage config.

    Args:
        cfg (Config): The pipeline config (see the module docstring).
        work_dir (str): Where every step writes; one run per work dir
            (:data:`RUN_RECORD`).
        seed (int, optional): Seed of both stages' training.
        rounds (int, optional): Self-training rounds (>= 0); defaults to
            the config's ``two_stage.self_training_rounds`` (0).
        test (bool): Test stage 1 and every stage-2 round at the end.
        stage1 (Config, optional): The stage-1 config, already loaded (e.g.
            pointed at other data); defaults to ``two_stage.stage1``.

    Returns:
        dict: ``checkpoints`` (``stage1``, ``stage2_round<r>``),
        ``pseudo_gt`` (list of files), ``quality`` (per pseudo-GT file, or
        None without GT segments), ``selection`` (with a click check:
        ``click_scores`` per model, ``final``, ``message``) and, with
        ``test``, ``metrics`` (the same keys plus ``final`` -> metric
        dict), also written to ``work_dir/metrics.json``.

    Raises:
        ValueError: bad ``rounds`` / ``seed`` / ``two_stage`` settings;
            ``instance_seeds`` while the labelling reads no action clicks;
            ``work_dir`` made by a run with other settings, or one of its
            outputs is an input of the run; a model that gives no
            pseudo-segment; a damaged output of an earlier run (named).
        NotADirectoryError: ``work_dir`` is a file.
        FileNotFoundError: the stage-1 config does not exist.
    """
    ts = cfg.get('two_stage')
    if not ts:
        raise ValueError(f'{cfg.filename or "the config"} has no '
                         '`two_stage` settings')
    # everything is checked before the first step runs
    rounds = _check_rounds(rounds, ts)
    check_seed('seed', seed)
    rules = PseudoLabelRules.from_dict(ts.get('pseudo_labels'),
                                       'two_stage.pseudo_labels')
    check = ts.get('click_check')
    stage1_file = None
    if stage1 is None:
        stage1_file = stage1_config_path(cfg)
        stage1 = Config.fromfile(stage1_file)
    stage1 = copy.deepcopy(stage1)
    stage1.train_dataloader.dataset = with_heldout_clicks(
        stage1.train_dataloader.dataset, check)
    check_label_clicks(rules, _labelling_dataset(stage1, stage1, ts),
                       "set two_stage.label_clicks=dict(click_types="
                       "('background', 'action'))")
    # stage 2's training GT is each round's pseudo-GT, not an input
    stage2 = stage2_config(cfg, None, check)
    _check_work_dir(work_dir, rounds,
                    [cfg.filename, stage1_file or stage1.filename]
                    + config_input_files(stage1)
                    + config_input_files(stage2))
    _check_run_record(work_dir,
                      _run_identity(seed, rules, ts, stage1, stage2), log)

    ckpts = dict(stage1=train_stage(stage1, osp.join(work_dir, 'stage1'),
                                    seed, log))
    source_cfg, source_key, pseudo, quality = stage1, 'stage1', [], []
    records = {}
    for r in range(rounds + 1):
        videos = _labelling_dataset(stage1, source_cfg, ts)
        records[source_key], classes = _label_videos(
            source_cfg, ckpts[source_key], source_key, work_dir, videos,
            rules.instance_seeds)
        model = ('the stage-1 model' if r == 0
                 else f'the stage-2 model of round {r - 1}')
        pseudo.append(_pseudo_labels(
            records[source_key], classes,
            osp.join(work_dir, f'pseudo_gt_round{r}.json'), rules,
            f'{model} ({ckpts[source_key]})', log))
        quality.append(log_pseudo_label_quality(_read_json(pseudo[-1]),
                                                videos, log))
        s2 = stage2_config(cfg, pseudo[-1], check)
        key = f'stage2_round{r}'
        ckpts[key] = train_stage(s2, osp.join(work_dir, key), seed, log)
        source_cfg, source_key = s2, key
    atomic_write(osp.join(work_dir, 'pseudo_label_quality.json'),
                 json.dumps(dict(zip(pseudo, quality)), indent=1))
    result = dict(checkpoints=ckpts, pseudo_gt=pseudo, quality=quality)
    videos = _labelling_dataset(stage1, source_cfg, ts)
    if check and not videos.get('heldout_clicks'):
        log('click check skipped: the training videos have no click file')
        check = None
    if check:
        records[source_key], _ = _label_videos(
            source_cfg, ckpts[source_key], source_key, work_dir, videos,
            False)
        result['selection'] = _select(records, videos, check, work_dir, log)
    if test:
        metrics = {'stage1': test_stage(stage1, ckpts['stage1'],
                                        osp.join(work_dir, 'test_stage1'))}
        for r in range(rounds + 1):
            key = f'stage2_round{r}'
            metrics[key] = test_stage(stage2_config(cfg, pseudo[r], check),
                                      ckpts[key],
                                      osp.join(work_dir, f'test_{key}'))
        if check:
            metrics['final'] = dict(metrics[result['selection']['final']])
        result['metrics'] = metrics
        atomic_write(osp.join(work_dir, 'metrics.json'),
                     json.dumps(metrics, indent=1))
    return result


def _select(records: dict, videos: dict, check: dict, work_dir: str,
            log: Callable) -> dict:
    """Score every model on the held-out clicks and keep the best (stage 1
    unless beaten by more than ``margin``)."""
    targets = heldout_click_targets(videos)
    scores = {}
    for key, recs in records.items():
        dets = {r['name']: r['detections'] for r in recs
                if r['name'] in targets}
        scores[key] = click_score(dets, targets)
    final, message = compare_click_scores(scores, 'stage1',
                                          check.get('margin', 0.0))
    log(message)
    selection = dict(final=final, message=message,
                     heldout_videos=sorted(targets),
                     click_scores={k: {m: (None if v != v else v)
                                       for m, v in s.items()}
                                   for k, s in scores.items()})
    atomic_write(osp.join(work_dir, 'selection.json'),
                 json.dumps(selection, indent=1))
    return selection


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
                         cfg_options: Optional[dict] = None,
                         stage1_cfg_options: Optional[dict] = None,
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
        cfg_options (dict, optional): ``--cfg-options`` of the pipeline
            config (stage 2 and its ``two_stage`` settings), checked as
            ``tools/train.py`` checks them (every key must exist).
        stage1_cfg_options (dict, optional): ``--stage1-cfg-options`` of
            the stage-1 config, checked the same way (e.g. a short smoke
            run: ``train_cfg.max_epochs=2`` for both).
        log (callable): receives the table (default: ``print``).

    Returns:
        dict: :func:`~backtal_mmaction.workflows.run_two_stage`'s result.

    Raises:
        FileNotFoundError: the config (or its stage-1 config) does not
            exist.
        ValueError: it has no ``two_stage`` settings; and
            :func:`run_two_stage`'s checks (``rounds``, ``seed``, a
            ``work_dir`` of a run with other settings, ...).
        NotADirectoryError: ``work_dir`` is a file.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}')
    cfg = load_config(config, cfg_options)
    if not cfg.get('two_stage'):
        raise ValueError(f'{config} has no `two_stage` settings '
                         '(is it a configs/two_stage/ pipeline config?)')
    # loaded here so that its options are checked like the pipeline's;
    # the options change both stages' fingerprints in the run record
    stage1 = load_config(stage1_config_path(cfg), stage1_cfg_options)
    work_dir = work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(config))[0])
    result = run_two_stage(cfg, work_dir, seed=seed, rounds=rounds,
                           test=not no_test, stage1=stage1)
    if 'metrics' in result:
        log(format_stage_metrics(result['metrics']))
    return result

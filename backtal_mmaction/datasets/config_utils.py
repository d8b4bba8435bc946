"""Helpers that adapt dataset configs (used by tools and tests)."""
import json
import os
import os.path as osp
from typing import List, Optional

SPLITS = ('train', 'val', 'test')
# What tools/data/generate_synthetic.py writes beside the benchmark
# (datasets.synthetic.command.STAMP, repeated: reading a config must not
# import the generator).
GENERATOR_STAMP = '.generate_synthetic_args.json'
# Top-level pipeline lists a config may define beside its dataloaders.
TOP_LEVEL_PIPELINES = ('train_pipeline', 'val_pipeline', 'test_pipeline')
# The config sections whose datasets / evaluators read annotation files.
DATA_SECTIONS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
                 'val_evaluator', 'test_evaluator')


def files_named_in(node, data_root: Optional[str] = None) -> List[str]:
    """The ``*_file`` paths (``ann_file``, ``click_file``,
    ``ambiguous_file`` ...) and a ``classes`` given as a file, of a
    dataset / evaluator / dataloader config, nested ones (dataset
    wrappers, evaluator lists) included; a relative path is also taken
    under the node's ``data_root``, where MMEngine's datasets look."""
    found = []
    if isinstance(node, (list, tuple)):
        for item in node:
            found += files_named_in(item, data_root)
    elif isinstance(node, dict):
        data_root = node.get('data_root') or data_root
        for key, value in node.items():
            paths = [value] if isinstance(value, str) else (
                value if isinstance(value, (list, tuple)) else [])
            if key.endswith('_file') or (key == 'classes'
                                         and isinstance(value, str)):
                for path in paths:
                    if isinstance(path, str) and path:
                        found.append(path)
                        if data_root and not osp.isabs(path):
                            found.append(osp.join(data_root, path))
            elif isinstance(value, (dict, list, tuple)):
                found += files_named_in(value, data_root)
    return found


def config_input_files(cfg, sections=DATA_SECTIONS) -> List[str]:
    """The annotation, click and other ``*_file`` paths that the datasets
    and evaluators of ``cfg``'s ``sections`` read (:func:`files_named_in`),
    for the output guards: no output may replace one of them.

    Args:
        cfg (Config | dict): A config.
        sections (Sequence[str]): Its dataloader / evaluator keys.

    Returns:
        list[str]: The paths, in config order (duplicates kept).
    """
    found = []
    for section in sections:
        found += files_named_in(cfg.get(section))
    return found


def benchmark_layout(data_root: str) -> Optional[str]:
    """The feature layout of a generated benchmark: 'npy', 'official' or
    None (cannot tell).

    Read from the generator's stamp (``layout``, or a preset's
    ``preset_config.layout``), else from ``features/``: only ``.npz`` files
    -> 'official', any ``.npy`` -> 'npy'.
    """
    stamp = osp.join(str(data_root), GENERATOR_STAMP)
    if osp.isfile(stamp):
        try:
            with open(stamp, encoding='utf-8') as f:
                content = json.load(f)
        except (OSError, ValueError):
            content = {}
        if isinstance(content, dict):
            layout = content.get('layout')
            preset = content.get('preset_config')
            if layout is None and isinstance(preset, dict):
                layout = preset.get('layout')
            if layout in ('npy', 'official'):
                return layout
    features = osp.join(str(data_root), 'features')
    if not osp.isdir(features):
        return None
    exts = {osp.splitext(name)[1] for name in os.listdir(features)}
    if '.npy' in exts:
        return 'npy'
    return 'official' if '.npz' in exts else None


def benchmark_gt_summary(data_root: str) -> Optional[dict]:
    """``{'classes': [...], 'subsets': [...]}`` of ``data_root/gt.json``
    (its ``activity_list`` and the subsets of its videos, first-seen
    order), or None if there is no such file.

    Raises:
        ValueError: ``gt.json`` is not JSON or lacks ``activity_list`` /
            ``database`` (naming the file).
    """
    path = osp.join(str(data_root), 'gt.json')
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            gt = json.load(f)
    except ValueError as e:
        raise ValueError(f'{path}: not a JSON file ({e})') from None
    if not isinstance(gt, dict) or not isinstance(
            gt.get('activity_list'), list) or not isinstance(
                gt.get('database'), dict):
        raise ValueError(f'{path}: expected a generated GT with '
                         "'activity_list' (list) and 'database' (dict)")
    subsets = list(
        dict.fromkeys(
            str(e.get('subset')) for e in gt['database'].values()
            if isinstance(e, dict)))
    return dict(classes=list(gt['activity_list']), subsets=subsets)


def _pipelines(cfg) -> List[list]:
    """Every pipeline list of the config: its dataloaders' and the
    top-level ones."""
    out = []
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if loader and loader.get('dataset') and \
                loader.dataset.get('pipeline'):
            out.append(loader.dataset.pipeline)
    for name in TOP_LEVEL_PIPELINES:
        if cfg.get(name):
            out.append(cfg[name])
    return out


def _set_num_classes(node, num_classes: int) -> None:
    """Set every ``num_classes`` key in the dicts / lists under ``node``."""
    if isinstance(node, dict):
        for key in list(node.keys()):
            if key == 'num_classes':
                node[key] = num_classes
            else:
                _set_num_classes(node[key], num_classes)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _set_num_classes(item, num_classes)


def _drop_validation(cfg) -> None:
    # MMEngine needs val_dataloader, val_evaluator and val_cfg all set or
    # all None.
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    cfg.val_cfg = None
    if cfg.get('train_cfg'):
        cfg.train_cfg.pop('val_interval', None)
    # Without validation there is no "best" checkpoint to keep.
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint:
        checkpoint.pop('save_best', None)
        checkpoint.pop('rule', None)


def retarget_synthetic_config(cfg, data_root: str) -> None:
    """Point a synthetic-benchmark config at the benchmark that
    ``tools/data/generate_synthetic.py --out data_root`` wrote, in place.

    - Every dataloader reads ``data_root/gt.json``, ``features/`` and (if it
      reads clicks) ``clicks.json``.
    - Official layout (``features/<video>.npz``, e.g. a ``--preset``
      benchmark; told by the generator's stamp or the files): every
      dataset gets ``feature_suffix='.npz'`` and every ``LoadSnippetFeature``
      (dataloader pipelines and top-level ``train_pipeline`` /
      ``val_pipeline`` / ``test_pipeline``) ``layout='auto'``, which reads
      ``feat_spa`` / ``feat_tem`` (``axis`` is kept: it only applies to
      plain arrays, never to official files). An 'npy' benchmark leaves the
      pipelines as they are.
    - Another class count than the model's (``gt.json``'s
      ``activity_list``): every ``num_classes`` key inside ``cfg.model``
      (nested dicts and lists) is set to the benchmark's count.
    - A GT without a ``val`` subset (the presets: train / test only):
      ``val_dataloader``, ``val_evaluator`` and ``val_cfg`` become None,
      ``train_cfg.val_interval`` and the checkpoint hook's ``save_best`` /
      ``rule`` are removed.

    Args:
        cfg (mmengine.Config): The config, changed in place.
        data_root (str): The benchmark folder. Without ``gt.json`` (not
            generated yet) only the paths change.
    """
    root = osp.join(str(data_root), '')
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        ds = loader.dataset
        ds.ann_file = root + 'gt.json'
        ds.data_prefix = dict(feature=root + 'features')
        if ds.get('click_file'):
            ds.click_file = root + 'clicks.json'

    if benchmark_layout(data_root) == 'official':
        for split in SPLITS:
            loader = cfg.get(f'{split}_dataloader')
            if loader:
                loader.dataset.feature_suffix = '.npz'
        for pipeline in _pipelines(cfg):
            for transform in pipeline:
                if transform.get('type') == 'LoadSnippetFeature':
                    transform['layout'] = 'auto'

    summary = benchmark_gt_summary(data_root)
    if summary is None:
        return
    if cfg.get('model') is not None:
        # a no-op where the counts already agree
        _set_num_classes(cfg.model, len(summary['classes']))
    if 'val' not in summary['subsets'] and cfg.get('val_dataloader'):
        _drop_validation(cfg)

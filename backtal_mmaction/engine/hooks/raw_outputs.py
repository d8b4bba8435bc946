"""Per-video raw network outputs at test time, and saving them to disk.

Every ``BaseSnippetLocalizer`` attaches ``raw_outputs`` (float32 NumPy) to
each output sample when ``model.keep_raw_outputs`` is True: ``BackTAL``
its ``cas_supp`` ``(C+1, T)``, ``video_scores_supp`` ``(C+1,)``,
``magnitude`` ``(T,)``, ``fg_weights`` ``(T,)``, ``cas_base``,
``video_scores_base``; ``AnchorFreeTAD`` its ``cls_logits`` ``(C, P)``,
``distances`` ``(2, P)``, ``points`` ``(P, 3)``. Each post-processor
decodes them again offline (``BasePostProcessor.from_raw``, behind
``tools/analysis/postprocess_raw.py``).
Several hooks may want them (saving, visualization);
:func:`attach_raw_consumer` wraps the model's ``test_step`` once so that
every registered consumer sees the samples right after the forward pass,
and the raw arrays are then removed from the samples, *before* the
evaluator collects them (``TestLoop`` runs ``evaluator.process`` before the
``after_test_iter`` hooks, and e.g. ``DumpResults`` would otherwise pickle
every CAS and gather it across ranks).
"""
import json
import os
import os.path as osp
import pickle
import zipfile
from typing import Callable, Dict, Optional, Sequence

import numpy as np
from mmaction.registry import HOOKS
from mmengine.dataset import BaseDataset
from mmengine.dist import barrier, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from ...utils import atomic_write, check_flag

__all__ = [
    'SaveRawOutputsHook', 'attach_raw_consumer', 'detach_raw_consumer',
    'raw_record', 'load_raw_record', 'RAW_META_FILE'
]

RAW_META_FILE = 'raw_outputs_meta.json'
_STATE_ATTR = '_backtal_raw_consumers'
_META_KEYS = ('video_name', 'duration', 'num_frames', 'fps', 'num_snippets',
              'orig_num_snippets')


def _inner(model):
    return model.module if is_model_wrapper(model) else model


def attach_raw_consumer(model, consumer: Callable[[Sequence], None]) -> None:
    """Make ``model.test_step`` produce raw outputs and feed them to
    ``consumer(samples)`` (a list of output data samples), then strip them.

    Args:
        model (nn.Module): ``runner.model`` (a wrapper or the localizer).
        consumer (callable): Called once per test batch.
    """
    inner = _inner(model)
    if not hasattr(inner, 'keep_raw_outputs'):
        raise ValueError(
            f'{type(inner).__name__} has no `keep_raw_outputs` switch: raw '
            'outputs (`save_raw`, CAS visualization) need a localizer that '
            'supports them, such as BackTAL.')
    state = getattr(model, _STATE_ATTR, None)
    if state is None:
        consumers = []
        original = model.test_step

        def test_step(data):
            outputs = original(data)
            for fn in list(consumers):
                fn(outputs)
            for sample in outputs:
                if 'raw_outputs' in sample:
                    sample.pop('raw_outputs')
            return outputs

        state = dict(consumers=consumers, keep=inner.keep_raw_outputs)
        setattr(model, _STATE_ATTR, state)
        model.test_step = test_step
        inner.keep_raw_outputs = True
    state['consumers'].append(consumer)


def detach_raw_consumer(model, consumer: Callable) -> None:
    """Undo :func:`attach_raw_consumer` (the last one restores the model)."""
    state = getattr(model, _STATE_ATTR, None)
    if state is None:
        return
    if consumer in state['consumers']:
        state['consumers'].remove(consumer)
    if not state['consumers']:
        del model.test_step
        _inner(model).keep_raw_outputs = state['keep']
        delattr(model, _STATE_ATTR)


def _np(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def raw_record(sample) -> Dict[str, np.ndarray]:
    """The arrays saved for one output sample.

    Returns:
        dict: the ``raw_outputs`` arrays, the metainfo ``video_name`` /
        ``duration`` / ``num_frames`` / ``fps`` (NaN if unknown) /
        ``num_snippets`` / ``orig_num_snippets``, the GT the metric saw
        (``gt_segments`` ``(N, 2)``, ``gt_labels`` ``(N,)``) and the
        detections (``pred_segments``, ``pred_scores``, ``pred_labels``).

    Raises:
        ValueError: the sample has no ``raw_outputs``.
    """
    meta = sample.metainfo
    name = meta.get('video_name')
    raw = sample.get('raw_outputs')
    if raw is None:
        raise ValueError(
            f'video {name!r}: the model output has no raw_outputs although '
            'keep_raw_outputs is set; does this localizer support it?')
    rec = {k: np.asarray(v) for k, v in raw.items()}
    for key in _META_KEYS:
        value = meta.get(key)
        if key == 'video_name':
            rec[key] = np.asarray(str(value))
        else:
            rec[key] = np.asarray(np.nan if value is None else value)
    gt = sample.get('gt_instances')
    if gt is not None and 'segments' in gt:
        rec['gt_segments'] = _np(gt.segments).reshape(-1, 2)
        rec['gt_labels'] = _np(gt.labels).reshape(-1)
    pred = sample.get('pred_instances')
    if pred is not None:
        rec['pred_segments'] = _np(pred.segments).reshape(-1, 2)
        rec['pred_scores'] = _np(pred.scores).reshape(-1)
        rec['pred_labels'] = _np(pred.labels).reshape(-1)
    return rec


def load_raw_record(path: str) -> dict:
    """Read one ``.npz`` written by :class:`SaveRawOutputsHook`.

    Returns:
        dict: arrays as saved, with ``video_name`` (str), ``duration``
        (float), ``num_frames`` (int or None), ``fps`` (float or None)
        converted to Python values.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            rec = {k: npz[k] for k in npz.files}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile,
            pickle.UnpicklingError) as e:
        raise ValueError(f'{path}: not a raw-output .npz file (truncated or '
                         f'corrupt?): {type(e).__name__}: {e}') from None
    # The arrays a post-processor reads are checked by it (from_raw).
    missing = [k for k in ('video_name', 'duration', 'num_frames')
               if k not in rec]
    if missing:
        raise ValueError(f'{path}: raw-output file lacks {missing} (has '
                         f'{sorted(rec)})')
    rec['video_name'] = str(rec['video_name'])
    for key, cast in (('duration', float), ('num_frames', int),
                      ('fps', float)):
        value = float(rec[key]) if key in rec else np.nan
        rec[key] = None if np.isnan(value) else cast(value)
    return rec


def _file_name(video: str) -> str:
    # One flat directory even for names with path separators.
    return video.replace(os.sep, '__').replace('/', '__') + '.npz'


@HOOKS.register_module()
class SaveRawOutputsHook(Hook):
    """Save each test video's raw outputs as ``out_dir/<video>.npz``.

    Every rank writes its own videos (names are unique), so it works under
    any launcher. Rank 0 also writes ``raw_outputs_meta.json`` (class
    names, the model type, its ``post_processor`` config, the test
    evaluator) so
    ``tools/analysis/postprocess_raw.py`` can re-run post-processing and mAP
    from the directory alone.

    Args:
        out_dir (str): Output directory.
        overwrite (bool): Allow a directory that already holds ``.npz``
            files. Defaults to False (refuse, naming the directory).
    """
    priority = 'NORMAL'

    def __init__(self, out_dir: str, overwrite: bool = False) -> None:
        check_flag('overwrite', overwrite, owner=type(self).__name__)
        self.out_dir = out_dir
        self.overwrite = overwrite
        self._count = 0

    def before_test(self, runner) -> None:
        if osp.isdir(self.out_dir) and not self.overwrite and any(
                f.endswith('.npz') for f in os.listdir(self.out_dir)):
            raise FileExistsError(
                f'SaveRawOutputsHook: {self.out_dir} already holds raw '
                'outputs (.npz); choose another directory or pass '
                '`overwrite`')
        # Nobody writes before every rank has checked the directory.
        barrier()
        os.makedirs(self.out_dir, exist_ok=True)
        self._count = 0
        if is_main_process():
            self._write_meta(runner)
        attach_raw_consumer(runner.model, self._consume)

    def _write_meta(self, runner) -> None:
        dataset = runner.test_dataloader.dataset
        classes = list((getattr(dataset, 'metainfo', None) or {}).get(
            'classes', ()))
        model_cfg = runner.cfg.get('model', {})
        evaluator = runner.cfg.get('test_evaluator')
        # The metric breaks ties between equal scores by collection order,
        # i.e. dataset order; keep it so offline re-runs match exactly.
        order = []
        if isinstance(dataset, BaseDataset):
            # The base accessor: no per-sample randomness (click annotator
            # draws) and no pipeline.
            order = [
                str(BaseDataset.get_data_info(dataset, i).get('video_name'))
                for i in range(len(dataset))
            ]
        meta = dict(
            classes=[str(c) for c in classes],
            video_order=order,
            model=model_cfg.get('type'),
            post_processor=model_cfg.get('post_processor'),
            test_evaluator=evaluator,
            load_from=runner.cfg.get('load_from'),
            world_size=get_dist_info()[1])
        atomic_write(
            osp.join(self.out_dir, RAW_META_FILE),
            json.dumps(meta, indent=2, default=str))

    def _consume(self, samples) -> None:
        for sample in samples:
            rec = raw_record(sample)
            path = osp.join(self.out_dir, _file_name(str(rec['video_name'])))
            # Hidden temporary name: readers never see a partial file.
            tmp = osp.join(self.out_dir,
                           f'.{osp.basename(path)[:-4]}.tmp{os.getpid()}.npz')
            np.savez(tmp, **rec)
            os.replace(tmp, path)
            self._count += 1

    def after_test(self, runner) -> None:
        detach_raw_consumer(runner.model, self._consume)
        print_log(
            f'SaveRawOutputsHook: wrote {self._count} raw-output file(s) to '
            f'{self.out_dir} (rank {get_dist_info()[0]}); re-run '
            'post-processing with tools/analysis/postprocess_raw.py',
            logger='current')


def find_raw_files(raw_dir: str) -> Sequence[str]:
    """Sorted ``.npz`` files of a raw-output directory.

    Raises:
        FileNotFoundError: missing directory or no ``.npz`` file in it.
    """
    if not osp.isdir(raw_dir):
        raise FileNotFoundError(f'raw-output directory not found: {raw_dir}')
    files = sorted(
        osp.join(raw_dir, f) for f in os.listdir(raw_dir)
        if f.endswith('.npz') and not f.startswith('.'))
    if not files:
        raise FileNotFoundError(
            f'{raw_dir} holds no raw-output .npz files (written by '
            'tools/test.py --save-raw)')
    return files


def read_raw_meta(raw_dir: str) -> Optional[dict]:
    """``raw_outputs_meta.json`` of a raw-output directory, if present."""
    path = osp.join(raw_dir, RAW_META_FILE)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f'{path}: cannot read the raw-output metadata: '
                         f'{e}') from None
    if not isinstance(meta, dict):
        raise ValueError(f'{path}: expected a JSON object, got '
                         f'{type(meta).__name__}')
    return meta

"""The bad-input sweep (issue 10): each row runs one bad or edge input
through a tool's command line (in-process through
``tests.helpers.run_tool``, the equivalent of ``python tools/X.py ARGS``:
the script's ``__main__`` block runs) or a public API, and asserts
the exit status (0 ok, 1 ``error:`` line, 2 usage error), the file / video
/ field named in the message, and that no user file changed (SHA-256 of
every file under the case's folder and the shared model / data / raw
outputs before and after; new files only where a successful run writes).

``#n`` is the defect number of issue 10 the row tests ('-': behaved already).

| case | # | input | expected |
|---|---|---|---|
| pp_ok | - | postprocess_raw on the test run's raw outputs | 0, mAP table |
| pp_missing_npz | 1 | one `<video>.npz` deleted, GT saved beside | 1, names the video |
| pp_missing_npz_allow | 1 | same + `--allow-missing` | 0, 3 videos; says the video is left out |
| pp_missing_npz_gt | - | same with `--gt --subset test` | 1, names the video |
| pp_missing_npz_gt_allow | - | same + `--allow-missing` | 0, 3 videos; says its GT counts as missed |
| pp_subset_without_gt | 9 | `--subset test` without `--gt` | 1, names --subset |
| pp_other_subset | 12 | `--gt gt.json --subset val` (raw: test videos) | 1, names subset 'test' |
| pp_garbage_npz | - | a `.npz` with garbage bytes | 1, names the file |
| pp_truncated_npz | 4 | a `.npz` cut in half | 1, names the file |
| pp_corrupt_meta | 4 | garbage `raw_outputs_meta.json` | 1, names the file |
| pp_empty_dir | - | a folder without `.npz` | 1, names the folder |
| pp_unknown_key | - | `--cfg-options` typo | 1, names the key |
| pp_cfg_no_equals | 12 | `--cfg-options KEY` without `=` | 2, names the item |
| pp_bad_enum | 12 | `nms_mode=bogus` | 1, names the value |
| pp_out_json_exists | - | `--out-json` an existing file | 1, file kept |
| pp_out_json_dir | 11 | `--out-json` a directory | 1, says directory |
| test_dump_exists | 2 | `--dump` an existing file | 1, file kept |
| test_dump_overwrite | 2 | same + `--overwrite` | 0, file replaced |
| test_out_json_exists | - | `--out-json` an existing file | 1, file kept |
| test_out_json_dir | 11 | `--out-json` a directory | 1, says directory |
| test_save_raw_exists | - | `--save-raw` a folder with raw outputs | 1, folder kept |
| test_vis_dir_exists | 11 | `--vis-cas 1 --vis-dir` a folder with PNGs | 1, PNG kept |
| test_missing_ckpt | - | checkpoint path that does not exist | 1, names it |
| test_truncated_ckpt | 12 | checkpoint cut in half | 1, names it |
| test_empty_ckpt | 12 | empty checkpoint | 1, names it |
| test_unsafe_ckpt | 12 | checkpoint pickling `os.system` | 1, no `weights_only=False` advice |
| test_mismatch_ckpt | - | checkpoint of another class count | 1, names the layer |
| test_cfg_no_equals | 12 | `--cfg-options KEY` | 2 |
| test_unknown_key | - | `--cfg-options` typo | 1, names the key |
| test_bad_enum | 12 | `nms_mode=bogus` | 1, names the value |
| test_dump_bad_suffix | - | `--dump x.json` | 1 |
| test_gt_without_fps | 5, 13 | a test video without `fps` | 1, names video + field, no config dump |
| test_truncated_feature | 4, 13 | a truncated test `.npy` | 1, names the file |
| train_amp_cpu | 12, 14 | `--amp` without CUDA | 0, trains under bf16 autocast (AutocastOptimWrapper, device_type cpu) |
| train_amp_fp16_cpu | - | `--amp fp16` without CUDA | 1, names --amp and bf16, nothing written |
| train_amp_bad_dtype | - | `--amp fp8` | 2, names the choices |
| train_compile_bad_mode | - | `--compile fast` | 2, names the choices |
| train_resume_copied_abs_pointer | 3 | copied work dir, old absolute pointer | 0, resumes the copy's file, says so |
| train_resume_original_gone | 3 | moved work dir, old absolute pointer, original gone | 0, resumes the moved dir's file |
| train_resume_copy_newest_deleted | 3 | same, newest checkpoint deleted in the copy | 1, names it and those present |
| train_overwrite_leftovers | 7 | 1-epoch `--overwrite` over a 3-epoch run | 0, only the new checkpoints, old ones moved aside |
| train_no_overwrite | - | work dir with a run, no flag | 1, work dir kept |
| train_cfg_no_equals | 12 | `--cfg-options KEY` | 2 |
| train_unknown_key | - | `--cfg-options` typo | 1, names the key |
| train_bad_enum | 12 | `nms_mode=bogus` | 1, names the value |
| train_gt_without_fps_val | 5, 13 | a val video without `fps` | 1, names video + field, before training, no config dump |
| train_missing_features | 13 | wrong feature folder | 1, names the files, no config dump |
| train_bad_click_file | 13 | click file that is not JSON | 1, names it, no config dump |
| train_resume_missing_path | - | `--resume missing.pth` | 1, names it |
| infer_ok | - | a good `.npy` with `--fps` | 0 |
| infer_float16 | 10 | float16 features | 0 |
| infer_out_dir | 11 | `--out` a directory | 1, no stray temp file |
| infer_out_exists | - | `--out` an existing file | 1, file kept |
| infer_truncated_npy | 4 | truncated `.npy` | 1, names the file |
| infer_garbage_npy | 4 | garbage `.npy` | 1, names the file |
| infer_object_array | 4 | object array `.npy` | 1, names the file |
| infer_int_features | 10 | int64 features | 1, names file + dtype |
| infer_bool_features | 10 | bool features | 1, names file + dtype |
| infer_complex_features | 10 | complex features | 1, names file + dtype |
| infer_mixed_folder | 4 | folder: good file + truncated file | 1, names the bad file |
| infer_wrong_dim | - | feature dim 15 instead of 16 | 1, names file + dims |
| infer_nan | - | NaN in features | 1, names the file |
| infer_no_fps | - | plain `.npy` without `--fps` | 1, names --fps |
| infer_cfg_no_equals | 12 | `--cfg-options KEY` | 2 |
| infer_truncated_ckpt | 12 | truncated checkpoint | 1, names it |
| vis_existing_png | 11 | `--out-dir` already holding the PNG | 1, PNG kept |
| vis_existing_png_overwrite | 11 | same + `--overwrite` | 0 |
| vis_unknown_video | - | `--videos nope` | 1, names it |
| csv_ok | - | a valid click CSV | 0 |
| csv_merged_row | 6 | a row appended to a file without final newline | 1, names the line |
| csv_extra_field | 6 | a 9-field row | 1, names the line |
| csv_short_row | - | a 7-field row | 1, names the line |
| csv_bad_start | - | `Start` not a number | 1, names line + video |
| csv_unknown_tag | - | unknown `Tag` | 1, names the tag |
| csv_negative_click | - | a click at -3 s | 1, names the video |
| csv_out_exists | - | `--out` an existing file | 1, file kept |
| eval_ok | - | eval_detections on the test run's results | 0 |
| eval_missing_result | - | result JSON that does not exist | 1, names it |
| eval_bad_result_json | - | result file that is not JSON | 1, names it |
| eval_other_subset | 12 | `--subset val` for test videos | 1, names subset 'test' |
| diag_missing_gt | - | GT file that does not exist | 1, names it |
| diag_other_subset | 12 | `--subset val` for test videos | 1, names subset 'test' |
| sim_missing_gt | - | simulate_clicks on a missing GT | 1, names it |
| sim_out_exists | - | simulate_clicks `--out` an existing file | 1, file kept |
| ckpt_convert_out_exists | - | convert_official_checkpoint onto an existing file | 1, file kept |
| ckpt_convert_truncated | 12 | convert_official_checkpoint of a truncated file | 1, names it |
| ds_test_mode_no_fps | 5 | `ClickTALDataset(test_mode=True)`, video without fps | ValueError naming video + field |
| ds_train_mode_no_fps | 5 | same, training dataset | loads (fps not needed) |
"""
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest


from tests.helpers import REPO, run_tool, subprocess_env

CASES = {}


def case(name, status, expect=(), absent=(), defect='-', writes=(),
         no_dump=False, check=None, xfail=None):
    """Register ``fn(env) -> (tool, argv)`` (or ``('api', callable)``).

    ``writes``: paths (relative to the case folder, or absolute) where a
    successful run may create or change files. ``check(env, outcome)``:
    extra assertions. ``xfail``: the reason a row still fails (a defect
    in code owned elsewhere); it runs, and passes once fixed.
    """
    def deco(fn):
        CASES[name] = dict(fn=fn, status=status, expect=expect,
                           absent=absent, defect=defect, writes=writes,
                           no_dump=no_dump, check=check, xfail=xfail)
        return fn
    return deco


class Env:
    """A case's private folder plus the shared (read-only) sweep base."""

    def __init__(self, base, tmp: Path):
        self.base, self.tmp = base, tmp
        self.cfg, self.cfg_val = base['cfg'], base['cfg_val']
        self.ckpt, self.wd = base['ckpt'], base['wd']
        self.raw, self.data = base['raw'], base['data']
        self.gt = str(base['data'] / 'gt.json')

    def path(self, name: str) -> str:
        return str(self.tmp / name)

    def copy_raw(self) -> Path:
        dst = self.tmp / 'raw'
        shutil.copytree(self.raw, dst)
        return dst

    def copy_wd(self, name='wd') -> Path:
        dst = self.tmp / name
        shutil.copytree(self.wd, dst)
        return dst

    def write(self, name: str, data) -> str:
        p = self.tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, np.ndarray):
            np.save(p, data, allow_pickle=data.dtype == object)
        else:
            p.write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(p)

    def feature(self, name: str, dtype=np.float32, dim=16, t=30, fill=None):
        rng = np.random.default_rng(0)
        arr = rng.standard_normal((t, dim)).astype(dtype)
        if fill is not None:
            arr[3, 2] = fill
        return self.write(name, arr)

    def truncated(self, src: str, name: str) -> str:
        data = Path(src).read_bytes()
        return self.write(name, data[:len(data) // 2])

    def gt_without_fps(self, video: str) -> str:
        gt = json.loads(Path(self.gt).read_text())
        gt['database'][video].pop('fps')
        gt['database'][video].pop('frame_num', None)
        return self.write('gt_nofps.json', json.dumps(gt))

    def infer(self, *features, extra=()):
        return 'infer.py', [self.cfg, self.ckpt, *features, '--out',
                            self.path('det.json'), '--fps', '30', *extra]


# ---------------------------------------------------------------- helpers
def run_cli(rel: str, argv):
    """``python tools/<rel> ARGV`` in this process (:func:`run_tool`):
    ``(status, message, stdout, stderr)``. ``status``: the exit status, or
    ``'traceback'`` for an uncaught exception; ``message``: the line an
    exit status 1 ends with (the tool's ``error: ...``)."""
    run = run_tool(rel, argv)
    if run.exception is not None:
        e = run.exception
        return 'traceback', f'{type(e).__name__}: {e}', run.stdout, run.stderr
    message = ''
    if run.exit_code == 1:
        lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
        message = lines[-1] if lines else ''
    return run.exit_code, message, run.stdout, run.stderr


def run_api(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return 'raised', f'{type(e).__name__}: {e}'
    return 0, ''


def snapshot(*roots) -> dict:
    out = {}
    for root in roots:
        root = Path(root)
        files = [root] if root.is_file() else (
            p for p in root.rglob('*') if p.is_file())
        for p in files:
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# ------------------------------------------------------- postprocess_raw
PP = 'analysis/postprocess_raw.py'


@case('pp_ok', 0, expect=['4 videos post-processed'])
def _(e):
    return PP, [e.cfg, e.raw]


def _pp_deleted(e, *extra):
    raw = e.copy_raw()
    os.remove(raw / 'video_test_0000001.npz')
    return PP, [e.cfg, raw, *extra]


@case('pp_missing_npz', 1, defect='1',
      expect=['video_test_0000001', 'raw_outputs_meta.json'])
def _(e):
    return _pp_deleted(e)


@case('pp_missing_npz_allow', 0, defect='1',
      expect=['3 videos post-processed', "(e.g. ['video_test_0000001']): "
              'their GT was saved in those files, so they are left out of '
              'the mAP, not counted as missed'])
def _(e):
    return _pp_deleted(e, '--allow-missing')


@case('pp_missing_npz_gt_allow', 0,
      expect=['3 videos post-processed', "(e.g. ['video_test_0000001']): "
              'their GT instances count as missed'],
      absent=['left out of the mAP'])
def _(e):
    return _pp_deleted(e, '--gt', e.gt, '--subset', 'test', '--allow-missing')


@case('pp_missing_npz_gt', 1, expect=['video_test_0000001'])
def _(e):
    return _pp_deleted(e, '--gt', e.gt, '--subset', 'test')


@case('pp_subset_without_gt', 1, defect='9', expect=['--subset', '--gt'])
def _(e):
    return PP, [e.cfg, e.raw, '--subset', 'test']


@case('pp_other_subset', 1, defect='12',
      expect=["subset 'val'", "['test']", '--subset test'])
def _(e):
    return PP, [e.cfg, e.raw, '--gt', e.gt, '--subset', 'val']


@case('pp_garbage_npz', 1, expect=['video_test_0000002.npz'])
def _(e):
    raw = e.copy_raw()
    (raw / 'video_test_0000002.npz').write_bytes(b'not a zip file at all')
    return PP, [e.cfg, raw]


@case('pp_truncated_npz', 1, defect='4', expect=['video_test_0000002.npz'])
def _(e):
    raw = e.copy_raw()
    f = raw / 'video_test_0000002.npz'
    data = f.read_bytes()
    f.write_bytes(data[:len(data) // 2])
    return PP, [e.cfg, raw]


@case('pp_corrupt_meta', 1, defect='4', expect=['raw_outputs_meta.json'])
def _(e):
    raw = e.copy_raw()
    (raw / 'raw_outputs_meta.json').write_text('{"classes": [')
    return PP, [e.cfg, raw]


@case('pp_empty_dir', 1, expect=['empty_raw', 'no raw-output'])
def _(e):
    os.makedirs(e.path('empty_raw'))
    return PP, [e.cfg, e.path('empty_raw')]


@case('pp_unknown_key', 1, expect=['nms_thrr'])
def _(e):
    return PP, [e.cfg, e.raw, '--cfg-options',
                'model.post_processor.nms_thrr=0.5']


@case('pp_cfg_no_equals', 2, defect='12',
      expect=['model.post_processor.nms_thr', 'KEY=VALUE'])
def _(e):
    return PP, [e.cfg, e.raw, '--cfg-options', 'model.post_processor.nms_thr']


@case('pp_bad_enum', 1, defect='12', expect=['bogus', 'nms_mode'])
def _(e):
    return PP, [e.cfg, e.raw, '--cfg-options',
                'model.post_processor.nms_mode=bogus']


@case('pp_out_json_exists', 1, expect=['tuned.json', '--overwrite'])
def _(e):
    return PP, [e.cfg, e.raw, '--out-json', e.write('tuned.json', 'mine')]


@case('pp_out_json_dir', 1, defect='11', expect=['directory'])
def _(e):
    os.makedirs(e.path('outdir'))
    return PP, [e.cfg, e.raw, '--out-json', e.path('outdir')]


# ------------------------------------------------------------------ test
def _test(e, *extra, ckpt=None):
    return 'test.py', [e.cfg, ckpt or e.ckpt, '--work-dir',
                       e.path('test_wd'), *extra]


@case('test_dump_exists', 1, defect='2', expect=['preds.pkl', '--overwrite'])
def _(e):
    return _test(e, '--dump', e.write('preds.pkl', b'precious'))


@case('test_dump_overwrite', 0, defect='2',
      writes=['preds.pkl', 'test_wd'],
      check=lambda e, o: Path(e.path('preds.pkl')).read_bytes() != b'old')
def _(e):
    return _test(e, '--dump', e.write('preds.pkl', b'old'), '--overwrite')


@case('test_out_json_exists', 1, expect=['r.json', '--overwrite'])
def _(e):
    return _test(e, '--out-json', e.write('r.json', '{}'))


@case('test_out_json_dir', 1, defect='11', expect=['directory'])
def _(e):
    os.makedirs(e.path('rdir'))
    return _test(e, '--out-json', e.path('rdir'))


@case('test_save_raw_exists', 1, expect=['raw', '--overwrite'],
      writes=['test_wd'])
def _(e):
    return _test(e, '--save-raw', e.copy_raw())


@case('test_vis_dir_exists', 1, defect='11',
      expect=['figs', 'video_test_0000000.png', '--overwrite'])
def _(e):
    e.write('figs/video_test_0000000.png', b'my figure')
    return _test(e, '--vis-cas', '1', '--vis-dir', e.path('figs'))


@case('test_missing_ckpt', 1, expect=['nope.pth'])
def _(e):
    return _test(e, ckpt=e.path('nope.pth'))


@case('test_truncated_ckpt', 1, defect='12', expect=['half.pth'],
      writes=['test_wd'])
def _(e):
    return _test(e, ckpt=e.truncated(e.ckpt, 'half.pth'))


@case('test_empty_ckpt', 1, defect='12', expect=['empty.pth'],
      writes=['test_wd'])
def _(e):
    return _test(e, ckpt=e.write('empty.pth', b''))


class _Evil:
    def __reduce__(self):
        return (os.system, ('true', ))


@case('test_unsafe_ckpt', 1, defect='12', expect=['evil.pth', 'system'],
      absent=['weights_only=False', 'weights_only` set to `False'],
      writes=['test_wd'])
def _(e):
    import torch
    torch.save({'state_dict': {}, 'x': _Evil()}, e.path('evil.pth'))
    return _test(e, ckpt=e.path('evil.pth'))


@case('test_mismatch_ckpt', 1, expect=['other.pth', 'cls_head'],
      writes=['test_wd'])
def _(e):
    import torch

    from backtal_mmaction.engine import load_checkpoint_file
    ckpt = load_checkpoint_file(e.ckpt)
    state = ckpt['state_dict']
    for k in list(state):
        if k.startswith('cls_head') and state[k].dim() >= 1:
            state[k] = torch.cat([state[k], state[k][:1]])
    torch.save({'state_dict': state, 'meta': ckpt.get('meta', {})},
               e.path('other.pth'))
    return _test(e, ckpt=e.path('other.pth'))


@case('test_cfg_no_equals', 2, defect='12', expect=['test_evaluator'])
def _(e):
    return _test(e, '--cfg-options', 'test_evaluator')


@case('test_unknown_key', 1, expect=['nms_thrr'])
def _(e):
    return _test(e, '--cfg-options', 'model.post_processor.nms_thrr=1')


@case('test_bad_enum', 1, defect='12', expect=['bogus', 'nms_mode'],
      writes=['test_wd'])
def _(e):
    return _test(e, '--cfg-options', 'model.post_processor.nms_mode=bogus')


@case('test_dump_bad_suffix', 1, expect=['.pkl'])
def _(e):
    return _test(e, '--dump', e.path('preds.json'))


@case('test_gt_without_fps', 1, defect='5, 13', no_dump=True,
      expect=['video_test_0000002', '"fps"', 'gt_nofps.json'])
def _(e):
    gt = e.gt_without_fps('video_test_0000002')
    return _test(e, '--cfg-options', f'test_dataloader.dataset.ann_file={gt}')


@case('test_truncated_feature', 1, defect='4, 13',
      expect=['video_test_0000001.npy'], writes=['test_wd'])
def _(e):
    feats = e.tmp / 'features'
    shutil.copytree(e.data / 'features', feats)
    e.truncated(str(feats / 'video_test_0000001.npy'),
                'features/video_test_0000001.npy')
    return _test(e, '--cfg-options',
                 f'test_dataloader.dataset.data_prefix.feature={feats}')


# ----------------------------------------------------------------- train
def _train(e, *extra, cfg=None, wd='train_wd'):
    return 'train.py', [cfg or e.cfg, '--work-dir', e.path(wd), *extra]


# Issue 14: --amp on CPU is bf16 autocast now (it used to be refused).
@case('train_amp_cpu', 0, defect='12, 14',
      expect=["type='AutocastOptimWrapper'", "device_type='cpu'"],
      writes=['train_wd'])
def _(e):
    import torch
    if torch.cuda.is_available():
        pytest.skip('CUDA available: --amp is MMEngine AMP there')
    return _train(e, '--amp')


@case('train_amp_fp16_cpu', 1, expect=['--amp fp16', '--amp bf16'],
      absent=['`amp`'], no_dump=True)
def _(e):
    import torch
    if torch.cuda.is_available():
        pytest.skip('CUDA available: --amp fp16 is MMEngine AMP there')
    return _train(e, '--amp', 'fp16')


@case('train_amp_bad_dtype', 2, expect=["'fp8'", 'bf16', 'float16'])
def _(e):
    return _train(e, '--amp', 'fp8')


@case('train_compile_bad_mode', 2, expect=["'fast'", 'max-autotune'])
def _(e):
    return _train(e, '--compile', 'fast')


def _copy_with_absolute_pointer(e, delete_newest=False):
    """A copy of the work dir whose pointer still names the original's
    newest checkpoint by absolute path (MMEngine's / the old format)."""
    copy = e.copy_wd('copied_wd')
    (copy / 'last_checkpoint').write_text(str(e.wd / 'epoch_3.pth'))
    if delete_newest:
        os.remove(copy / 'epoch_3.pth')
    return _train(e, '--resume', wd='copied_wd')


@case('train_resume_copied_abs_pointer', 0, defect='3',
      expect=['copied_wd/epoch_3.pth'], writes=['copied_wd'])
def _(e):
    return _copy_with_absolute_pointer(e)


@case('train_resume_original_gone', 0, defect='3',
      expect=['moved_wd/epoch_3.pth'], writes=['moved_wd', 'orig_wd'])
def _(e):
    # A work dir (old absolute pointer) moved away: the original is gone.
    orig = e.copy_wd('orig_wd')
    (orig / 'last_checkpoint').write_text(str(orig / 'epoch_3.pth'))
    shutil.move(str(orig), e.path('moved_wd'))
    return _train(e, '--resume', wd='moved_wd')


@case('train_resume_copy_newest_deleted', 1, defect='3',
      expect=['epoch_3.pth', 'epoch_2.pth', 'copied_wd'])
def _(e):
    return _copy_with_absolute_pointer(e, delete_newest=True)


def _check_overwrite(e, outcome):
    wd = e.tmp / 'over_wd'
    top = sorted(p.name for p in wd.iterdir() if p.suffix == '.pth')
    assert top == ['epoch_1.pth'], top
    aside = [p for p in wd.iterdir() if p.name.startswith('overwritten_')]
    assert len(aside) == 1
    assert sorted(p.name for p in aside[0].iterdir()) == [
        'epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth', 'last_checkpoint']
    # Moved, not changed.
    for name in ('epoch_2.pth', 'epoch_3.pth'):
        assert (aside[0] / name).read_bytes() == (e.wd / name).read_bytes()


@case('train_overwrite_leftovers', 0, defect='7', writes=['over_wd'],
      check=_check_overwrite)
def _(e):
    e.copy_wd('over_wd')
    return _train(e, '--overwrite', '--cfg-options', 'train_cfg.max_epochs=1',
                  wd='over_wd')


@case('train_no_overwrite', 1, expect=['already holds', 'over_wd'])
def _(e):
    e.copy_wd('over_wd')
    return _train(e, wd='over_wd')


@case('train_cfg_no_equals', 2, defect='12', expect=['train_cfg.max_epochs'])
def _(e):
    return _train(e, '--cfg-options', 'train_cfg.max_epochs')


@case('train_unknown_key', 1, expect=['max_epoch'])
def _(e):
    return _train(e, '--cfg-options', 'train_cfg.max_epoch=2')


@case('train_bad_enum', 1, defect='12', expect=['bogus', 'nms_mode'],
      writes=['train_wd'])
def _(e):
    return _train(e, '--cfg-options', 'model.post_processor.nms_mode=bogus')


@case('train_gt_without_fps_val', 1, defect='5, 13', no_dump=True,
      expect=['video_val_0000001', '"fps"', 'gt_nofps.json'])
def _(e):
    gt = e.gt_without_fps('video_val_0000001')
    return _train(e, '--cfg-options', f'val_dataloader.dataset.ann_file={gt}',
                  cfg=e.cfg_val)


@case('train_missing_features', 1, defect='13', no_dump=True,
      expect=['feature file', 'no_such_dir'])
def _(e):
    return _train(e, '--cfg-options',
                  'train_dataloader.dataset.data_prefix.feature='
                  + e.path('no_such_dir'))


@case('train_bad_click_file', 1, defect='13', no_dump=True,
      expect=['clicks_bad.json'])
def _(e):
    bad = e.write('clicks_bad.json', '{"version": "backtal-clicks/1.0", ')
    return _train(e, '--cfg-options',
                  f'train_dataloader.dataset.click_file={bad}')


@case('train_resume_missing_path', 1, expect=['missing.pth'])
def _(e):
    return _train(e, '--resume', e.path('missing.pth'))


# ----------------------------------------------------------------- infer
@case('infer_ok', 0, writes=['det.json'])
def _(e):
    return e.infer(e.feature('vid_ok.npy'))


@case('infer_float16', 0, defect='10', writes=['det.json'])
def _(e):
    return e.infer(e.feature('vid_half.npy', dtype=np.float16))


@case('infer_out_dir', 1, defect='11', expect=['outdir', 'directory'])
def _(e):
    os.makedirs(e.path('outdir'))
    return 'infer.py', [e.cfg, e.ckpt, e.feature('v.npy'), '--out',
                        e.path('outdir'), '--fps', '30']


@case('infer_out_exists', 1, expect=['det.json', '--overwrite'])
def _(e):
    e.write('det.json', '{"mine": 1}')
    return e.infer(e.feature('v.npy'))


@case('infer_truncated_npy', 1, defect='4', expect=['vid_cut.npy'])
def _(e):
    return e.infer(e.truncated(e.feature('full.npy', t=200), 'vid_cut.npy'))


@case('infer_garbage_npy', 1, defect='4', expect=['vid_junk.npy'])
def _(e):
    return e.infer(e.write('vid_junk.npy', b'\x93NUMPY garbage' * 20))


@case('infer_object_array', 1, defect='4', expect=['vid_obj.npy'])
def _(e):
    arr = np.empty((30, 16), dtype=object)
    arr[:] = 1.0
    return e.infer(e.write('vid_obj.npy', arr))


@case('infer_int_features', 1, defect='10', expect=['vid_int.npy', 'int64'])
def _(e):
    return e.infer(e.feature('vid_int.npy', dtype=np.int64))


@case('infer_bool_features', 1, defect='10', expect=['vid_bool.npy', 'bool'])
def _(e):
    return e.infer(e.feature('vid_bool.npy', dtype=bool))


@case('infer_complex_features', 1, defect='10',
      expect=['vid_cplx.npy', 'complex'])
def _(e):
    return e.infer(e.feature('vid_cplx.npy', dtype=np.complex128))


@case('infer_mixed_folder', 1, defect='4', expect=['b_cut.npy'],
      absent=['a_good.npy'])
def _(e):
    e.feature('mixed/a_good.npy')
    e.truncated(e.feature('full.npy', t=200), 'mixed/b_cut.npy')
    return e.infer(e.path('mixed'))


@case('infer_wrong_dim', 1, expect=['vid_d15.npy', 'feat_dim=16'])
def _(e):
    return e.infer(e.feature('vid_d15.npy', dim=15))


@case('infer_nan', 1, expect=['vid_nan.npy', 'NaN'])
def _(e):
    return e.infer(e.feature('vid_nan.npy', fill=np.nan))


@case('infer_no_fps', 1, expect=['v.npy', '--fps'])
def _(e):
    return 'infer.py', [e.cfg, e.ckpt, e.feature('v.npy'), '--out',
                        e.path('det.json')]


@case('infer_cfg_no_equals', 2, defect='12', expect=['model.backbone'])
def _(e):
    return e.infer(e.feature('v.npy'), extra=['--cfg-options',
                                              'model.backbone'])


@case('infer_truncated_ckpt', 1, defect='12', expect=['half.pth'])
def _(e):
    return 'infer.py', [e.cfg, e.truncated(e.ckpt, 'half.pth'),
                        e.feature('v.npy'), '--out', e.path('det.json'),
                        '--fps', '30']


# ------------------------------------------------------------- visualize
def _vis(e, *extra):
    e.write('figs/video_test_0000000.png', b'my figure')
    return 'visualize_cas.py', [e.cfg, e.ckpt, '--out-dir', e.path('figs'),
                                '--videos', 'video_test_0000000', *extra]


@case('vis_existing_png', 1, defect='11',
      expect=['video_test_0000000.png', '--overwrite'])
def _(e):
    return _vis(e)


@case('vis_existing_png_overwrite', 0, defect='11', writes=['figs'],
      check=lambda e, o: Path(e.path('figs/video_test_0000000.png')
                              ).read_bytes()[:4] == b'\x89PNG')
def _(e):
    return _vis(e, '--overwrite')


@case('vis_unknown_video', 1, expect=['nope'])
def _(e):
    return 'visualize_cas.py', [e.cfg, e.ckpt, '--out-dir', e.path('figs'),
                                '--videos', 'nope']


# ------------------------------------------------------------ click CSV
CSV_HEADER = 'URLID,URL,TagID,Tag,Start,End,Time,State\n'
ROW = ('video_train_0000000,video_train_0000000.mp4,20,'
       'background_background,{t},{t},1,1')


def _csv(e, body: str, out='clicks.json'):
    path = e.write('clicks.csv', CSV_HEADER + body)
    return 'data/convert_thumos_clicks.py', [path, '--gt', e.gt, '--out',
                                             e.path(out)]


@case('csv_ok', 0, writes=['clicks.json'])
def _(e):
    return _csv(e, ROW.format(t=1.5) + '\n' + ROW.format(t=3))


@case('csv_merged_row', 1, defect='6', expect=['clicks.csv', 'line 3'])
def _(e):
    # No final newline, then `echo ROW >> file`: the row joins line 3.
    body = ROW.format(t=1.5) + '\n' + ROW.format(t=3)
    return _csv(e, body + ROW.format(t=-3) + '\n')


@case('csv_extra_field', 1, defect='6', expect=['clicks.csv', 'line 2'])
def _(e):
    return _csv(e, ROW.format(t=1.5) + ',extra\n')


@case('csv_short_row', 1, expect=['clicks.csv', 'line 2'])
def _(e):
    return _csv(e, ROW.format(t=1.5).rsplit(',', 1)[0] + '\n')


@case('csv_bad_start', 1, expect=['line 2', 'video_train_0000000'])
def _(e):
    return _csv(e, ROW.format(t='abc') + '\n')


@case('csv_unknown_tag', 1, expect=['line 2', 'weird_tag'])
def _(e):
    return _csv(e, ROW.format(t=2).replace('background_background',
                                           'weird_tag') + '\n')


@case('csv_negative_click', 1, expect=['video_train_0000000', '-3'])
def _(e):
    return _csv(e, ROW.format(t=-3) + '\n')


@case('csv_out_exists', 1, expect=['clicks.json'])
def _(e):
    e.write('clicks.json', '{}')
    return _csv(e, ROW.format(t=1.5) + '\n')


# ------------------------------------------- the other tools' rows
EVAL, DIAG = 'analysis/eval_detections.py', 'analysis/diagnose_errors.py'


@case('eval_ok', 0, expect=['mAP'])
def _(e):
    return EVAL, [e.base['json'], e.gt, '--subset', 'test']


@case('eval_missing_result', 1, expect=['nope.json'])
def _(e):
    return EVAL, [e.path('nope.json'), e.gt]


@case('eval_bad_result_json', 1, expect=['bad.json'])
def _(e):
    return EVAL, [e.write('bad.json', '{"results": '), e.gt]


@case('eval_other_subset', 1, defect='12', expect=["'test'", 'subset'])
def _(e):
    return EVAL, [e.base['json'], e.gt, '--subset', 'val']


@case('diag_missing_gt', 1, expect=['nope_gt.json'])
def _(e):
    return DIAG, [e.base['json'], e.path('nope_gt.json')]


@case('diag_other_subset', 1, defect='12', expect=["'test'", 'subset'])
def _(e):
    return DIAG, [e.base['json'], e.gt, '--subset', 'val']


@case('sim_missing_gt', 1, expect=['nope_gt.json'])
def _(e):
    return 'data/simulate_clicks.py', [e.path('nope_gt.json'), '--out',
                                       e.path('sim.json')]


@case('sim_out_exists', 1, expect=['sim.json'])
def _(e):
    return 'data/simulate_clicks.py', [e.gt, '--out',
                                       e.write('sim.json', '{}')]


@case('ckpt_convert_out_exists', 1, expect=['dst.pth', '--overwrite'])
def _(e):
    return 'convert_official_checkpoint.py', [e.ckpt,
                                              e.write('dst.pth', b'mine')]


@case('ckpt_convert_truncated', 1, defect='12',
      expect=['official.pkl', 'cannot read checkpoint'],
      absent=['Traceback'])
def _(e):
    return 'convert_official_checkpoint.py', [
        e.write('official.pkl', b'\x80\x02truncated'), e.path('dst.pth')]


# --------------------------------------------------------------- dataset
def _dataset(e, test_mode):
    from mmengine.registry import init_default_scope

    from backtal_mmaction.datasets import ClickTALDataset
    init_default_scope('mmaction')
    video = 'video_test_0000002' if test_mode else 'video_train_0000002'
    gt = e.gt_without_fps(video)
    return lambda: ClickTALDataset(
        gt, pipeline=[], subset='test' if test_mode else 'train',
        data_prefix=dict(feature=str(e.data / 'features')),
        test_mode=test_mode)


@case('ds_test_mode_no_fps', 'raised', defect='5',
      expect=['video_test_0000002', '"fps"', '"frame_num"'])
def _(e):
    return 'api', _dataset(e, test_mode=True)


@case('ds_train_mode_no_fps', 0, defect='5')
def _(e):
    return 'api', _dataset(e, test_mode=False)


# ------------------------------------------------------------------ run
def test_sweep_has_enough_cases():
    assert len(CASES) >= 40
    rows = {line.split('|')[1].strip() for line in __doc__.splitlines()
            if line.startswith('| ') and not line.startswith('| case')}
    assert rows == set(CASES)


@pytest.mark.parametrize('name', [
    pytest.param(n, marks=pytest.mark.xfail(reason=c['xfail'], strict=False))
    if c['xfail'] else n for n, c in CASES.items()
])
def test_bad_input(name, sweep_base, tmp_path, capsys):
    spec = CASES[name]
    env = Env(sweep_base, tmp_path)
    tool, argv = spec['fn'](env)
    watched = (tmp_path, sweep_base['wd'], sweep_base['raw'],
               sweep_base['data'], sweep_base['json'], sweep_base['cfg'],
               sweep_base['cfg_val'])
    before = snapshot(*watched)
    capsys.readouterr()
    if tool == 'api':
        (status, message), out, err = run_api(argv), '', ''
    else:
        status, message, out, err = run_cli(tool, argv)
    # Logging handlers bound to pytest's streams write there, not to the
    # run's captured stdout / stderr.
    cap = capsys.readouterr()
    err, out = err + cap.err, out + cap.out
    text = '\n'.join([message, err, out])
    _report(name, spec, status, message or err)
    assert status == spec['status'], text[-3000:]
    for word in spec['expect']:
        assert word in text, f'{word!r} not in:\n{text[-3000:]}'
    for word in spec['absent']:
        assert word not in (message or err), message
    if spec['no_dump']:
        # Data errors come before the Runner logs its environment/config.
        assert 'System environment' not in text and 'Config:' not in text
    writable = [str(p if os.path.isabs(p) else tmp_path / p)
                for p in spec['writes']] if status == 0 or spec['writes'] \
        else []

    def free(p):
        return any(p == w or p.startswith(w + os.sep) for w in writable)

    after = snapshot(*watched)
    changed = sorted(p for p in before
                     if after.get(p) != before[p] and not free(p))
    created = sorted(p for p in after if p not in before and not free(p))
    assert not changed, f'user files changed or removed: {changed}'
    assert not created, f'files created: {created}'
    if spec['check'] is not None:
        assert spec['check'](env, (status, message)) is not False


def _report(name, spec, status, message):
    """``BACKTAL_SWEEP_REPORT=FILE``: append each outcome (for the
    before/after table of the issue)."""
    out = os.environ.get('BACKTAL_SWEEP_REPORT')
    if not out:
        return
    first = next((ln for ln in str(message).strip().splitlines()[::-1]
                  if ln.strip()), '')
    with open(out, 'a', encoding='utf-8') as f:
        f.write(json.dumps(dict(case=name, defect=spec['defect'],
                                status=status, message=first[:300])) + '\n')


def test_real_command_line_error_is_the_last_line(sweep_base, tmp_path):
    """One real ``python tools/train.py`` (the rows above run in-process):
    exit status 1, the ``error:`` line is the last line of stdout+stderr
    together, and no environment / config dump precedes it (#13)."""
    import subprocess
    env = Env(sweep_base, tmp_path)
    gt = env.gt_without_fps('video_val_0000001')
    sub_env = subprocess_env()
    sub_env.pop('BACKTAL_DEBUG', None)
    res = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'train.py'), env.cfg_val,
         '--work-dir', env.path('wd'), '--cfg-options',
         f'val_dataloader.dataset.ann_file={gt}'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=sub_env, timeout=300, check=False)
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert res.returncode == 1, res.stdout[-3000:]
    assert lines[-1].startswith('error: ') and 'video_val_0000001' in \
        lines[-1] and '"fps"' in lines[-1], lines[-5:]
    assert 'Traceback' not in res.stdout and 'Config:' not in res.stdout
    assert not os.path.exists(env.path('wd'))


def test_error_message_of_a_dataloader_worker_error():
    """With num_workers > 0 a feature error reaches the tool re-raised by
    torch with the worker's traceback in its message: one line is kept."""
    from backtal_mmaction.cli.errors import error_message
    err = ValueError(
        'Caught ValueError in DataLoader worker process 0.\n'
        'Original Traceback (most recent call last):\n'
        '  File "x.py", line 1, in f\n'
        "ValueError: video 'v1': cannot read feature file /d/v1.npy\n")
    assert error_message(err) == \
        "video 'v1': cannot read feature file /d/v1.npy"
    assert error_message(KeyError('no such key')) == 'no such key'
    assert error_message(EOFError()) == 'EOFError'

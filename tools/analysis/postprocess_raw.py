"""Re-run BackTAL post-processing + mAP from saved raw outputs (no network).

First save the raw outputs once::

    python tools/test.py CONFIG CKPT --save-raw work_dirs/raw

then tune the post-processing in seconds::

    python tools/analysis/postprocess_raw.py CONFIG work_dirs/raw \\
        --cfg-options model.post_processor.nms_thr=0.6 \\
                      model.post_processor.nms_method=soft_gaussian

With the config's own settings it reproduces the mAP of the test run
exactly (same post-processor, same float32 detections, same video order).
GT: ``--gt FILE [--subset S]``, else the test evaluator's ``ann_file``,
else the GT stored with each video (what the metric saw).
"""
import argparse
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from backtal_mmaction.engine.cli import CfgOptionsAction, run_cli
from backtal_mmaction.engine.config_check import check_cfg_options
from backtal_mmaction.engine.hooks.raw_outputs import (RAW_META_FILE,
                                                       find_raw_files,
                                                       load_raw_record,
                                                       read_raw_meta)
from backtal_mmaction.evaluation.functional.detection_map import (
    DEFAULT_TIOU_THRESHOLDS, dump_activitynet_results, evaluate_detections,
    format_detection_table, load_activitynet_gt)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Post-processing + mAP from tools/test.py --save-raw '
        'outputs')
    parser.add_argument('config', help='config (its model.post_processor)')
    parser.add_argument('raw_dir', help='directory written by --save-raw')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction,
        help='override settings, e.g. model.post_processor.nms_thr=0.6')
    parser.add_argument('--cfg-options-allow-new', action='store_true',
                        help='accept --cfg-options keys not in the config')
    parser.add_argument('--gt', help='GT JSON (default: the test '
                        "evaluator's ann_file, else the GT saved with the "
                        'raw outputs)')
    parser.add_argument('--subset', help='GT subset, with --gt')
    parser.add_argument('--tiou', type=float, nargs='+',
                        help="tIoU thresholds (default: the test evaluator's)")
    parser.add_argument(
        '--allow-missing', action='store_true',
        help='evaluate even if GT videos have no raw outputs (they count as '
        'missed)')
    parser.add_argument('--out-json',
                        help='also write the detections (ActivityNet JSON)')
    parser.add_argument('--overwrite', action='store_true',
                        help='allow replacing --out-json')
    parser.add_argument('--no-per-class', action='store_true',
                        help='print only the mAP summary')
    return parser.parse_args(argv)


def _test_evaluator(cfg) -> dict:
    evaluator = cfg.get('test_evaluator') or {}
    if isinstance(evaluator, (list, tuple)):
        evaluator = next((e for e in evaluator
                          if e.get('type') == 'TALMetric'), evaluator[0])
    return dict(evaluator)


def load_raw_dir(raw_dir: str) -> List[dict]:
    """Raw records of a directory, in the test dataset's order when known
    (the metric's tie-breaking between equal scores depends on it)."""
    records = [load_raw_record(f) for f in find_raw_files(raw_dir)]
    names = [r['video_name'] for r in records]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f'{raw_dir}: videos saved more than once: {dup[:5]}')
    order = (read_raw_meta(raw_dir) or {}).get('video_order') or []
    rank = {name: i for i, name in enumerate(order)}
    return sorted(records, key=lambda r: (rank.get(r['video_name'],
                                                   len(rank)),
                                          r['video_name']))


def postprocess_records(post_processor, records: Sequence[dict],
                        num_classes: int) -> Dict[str, dict]:
    """Detections of every raw record, stored as ``BackTAL.predict`` stores
    them (float32 segments and scores), so the mAP matches the test run.
    """
    predictions = {}
    for rec in records:
        name, cas = rec['video_name'], rec['cas_supp']
        if cas.ndim != 2 or cas.shape[0] != num_classes + 1:
            raise ValueError(
                f'video {name!r}: raw cas_supp has shape {cas.shape}, '
                f'expected ({num_classes + 1}, T) for {num_classes} classes')
        if rec['num_frames'] is None or rec['duration'] is None:
            raise ValueError(f'video {name!r}: raw outputs lack num_frames '
                             'or duration')
        det = post_processor(
            cas, rec['video_scores_supp'], rec.get('magnitude'),
            num_frames=rec['num_frames'], duration=rec['duration'])
        predictions[name] = dict(
            segments=np.asarray(det['segments'], np.float32).reshape(-1, 2),
            scores=np.asarray(det['scores'], np.float32),
            labels=np.asarray(det['labels'], np.int64))
    return predictions


def _stored_gt(records: Sequence[dict]) -> Dict[str, dict]:
    missing = [r['video_name'] for r in records if 'gt_segments' not in r]
    if missing:
        raise ValueError(
            f'{len(missing)} raw file(s) carry no GT (e.g. {missing[:3]}); '
            'pass --gt ANN_FILE [--subset S]')
    return {
        r['video_name']: dict(segments=r['gt_segments'],
                              labels=r['gt_labels'])
        for r in records
    }


def _not_in_gt_message(videos: List[str], args, evaluator: dict) -> str:
    """Name raw-output videos the GT lacks, and the GT subset they are in
    when the GT file has them in another one."""
    ann_file = args.gt or evaluator.get('ann_file')
    subset = args.subset if args.gt else evaluator.get('subset')
    where = f'{ann_file} (subset {subset!r})' if ann_file else 'the GT'
    msg = (f'{len(videos)} video(s) of {args.raw_dir} are not in {where}: '
           f'{videos[:5]}{" ..." if len(videos) > 5 else ""}')
    if ann_file:
        from backtal_mmaction.datasets.gt_io import load_gt_database
        database = load_gt_database(ann_file)['database']
        found = sorted({str(database[v].get('subset')) for v in videos
                        if v in database})
        if found:
            msg += (f'; {ann_file} has them in subset(s) {found}: pass '
                    f'--subset {found[0]}')
    return msg


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.subset and not args.gt:
        raise ValueError(
            '--subset applies to --gt only: pass --gt FILE --subset S '
            "(without --gt the GT is the test evaluator's ann_file, else the "
            'GT saved with the raw outputs)')
    if args.out_json and osp.isdir(args.out_json):
        raise IsADirectoryError(f'--out-json {args.out_json} is a directory')
    if (args.out_json and osp.exists(args.out_json)
            and not args.overwrite):
        raise FileExistsError(f'{args.out_json} already exists; pass '
                              '--overwrite to replace it')
    start = time.perf_counter()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options,
                          allow_new=args.cfg_options_allow_new)
        cfg.merge_from_dict(args.cfg_options)
    from mmaction.registry import MODELS
    pp_cfg = cfg.model.get('post_processor')
    if pp_cfg is None:
        raise ValueError(f'{args.config}: model has no post_processor')
    post_processor = MODELS.build(pp_cfg)

    records = load_raw_dir(args.raw_dir)
    meta = read_raw_meta(args.raw_dir) or {}
    evaluator = _test_evaluator(cfg)
    class_names = meta.get('classes') or None
    if args.gt:
        gt, class_names = load_activitynet_gt(args.gt, subset=args.subset,
                                              class_names=class_names)
    elif evaluator.get('ann_file'):
        gt, class_names = load_activitynet_gt(
            evaluator['ann_file'], subset=evaluator.get('subset'),
            class_names=class_names)
    else:
        if not class_names:
            raise ValueError(
                f'{args.raw_dir}: no class list ({osp.basename(args.raw_dir)}'
                '/raw_outputs_meta.json missing); pass --gt')
        gt = _stored_gt(records)
    saved = {r['video_name'] for r in records}
    extra = sorted(saved - set(gt))
    if extra:
        raise ValueError(_not_in_gt_message(extra, args, evaluator))
    missing = [v for v in gt if v not in saved]
    if missing and not args.allow_missing:
        raise ValueError(
            f'{len(missing)} GT video(s) have no raw outputs in '
            f'{args.raw_dir} (e.g. {missing[:5]}); they would count as '
            'missed. Pass --allow-missing to evaluate anyway.')
    # The test run's video list: with the GT saved beside the outputs, a
    # deleted .npz would otherwise drop its video from the mAP silently.
    unsaved = [v for v in meta.get('video_order') or [] if v not in saved]
    if unsaved and not args.allow_missing:
        raise ValueError(
            f'{len(unsaved)} of the {len(meta["video_order"])} videos listed '
            f'in {osp.join(args.raw_dir, RAW_META_FILE)} have no raw-output '
            f'file in {args.raw_dir}: {unsaved[:5]}'
            f'{" ..." if len(unsaved) > 5 else ""}. Pass --allow-missing '
            'to evaluate the others.')

    predictions = postprocess_records(post_processor, records,
                                      len(class_names))
    tiou = args.tiou or evaluator.get('tiou_thresholds',
                                      DEFAULT_TIOU_THRESHOLDS)
    result = evaluate_detections(gt, predictions, len(class_names), tiou)
    seconds = time.perf_counter() - start
    print(f'post_processor: {post_processor!r}')
    print(f'{len(predictions)} videos post-processed and evaluated in '
          f'{seconds:.2f} s')
    print(format_detection_table(result, class_names,
                                 per_class=not args.no_per_class))
    if args.out_json:
        dump_activitynet_results(predictions, class_names, args.out_json,
                                 overwrite=args.overwrite)
        print(f'wrote {args.out_json}')
    result['predictions'] = predictions
    result['class_names'] = class_names
    return result


if __name__ == '__main__':
    run_cli(main)

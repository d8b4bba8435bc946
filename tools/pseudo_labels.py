"""Pseudo-segments for stage 2: run a trained model on its own training
videos and write its click-checked detections as an ActivityNet-style GT.

    python tools/pseudo_labels.py configs/backtal/backtal_synthetic.py \
        work_dirs/quickstart/epoch_40.pth --out pseudo_gt.json

The rules (video labels, relative score threshold, top-k, same-class NMS,
action clicks covered, cut at background clicks, soft weights) are listed
in ``backtal_mmaction/apis/pseudo_labels.py``. The output reads with
``ClickTALDataset`` unchanged (point a stage-2 config's training
``ann_file`` at it). Never overwrites without ``--overwrite``.
"""
import argparse
import json
import os.path as osp
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='the trained model\'s config')
    p.add_argument('checkpoint', help='its checkpoint')
    p.add_argument('--out', required=True, help='pseudo-GT JSON to write')
    p.add_argument('--split', default='train', choices=['train'],
                   help='videos to label: the config\'s training split')
    p.add_argument('--rel-score-thr', type=float, default=0.5)
    p.add_argument('--topk', type=int, default=10)
    p.add_argument('--nms-thr', type=float, default=0.3)
    p.add_argument('--min-length', type=float, default=0.0,
                   help='seconds; shorter pieces of a cut segment go')
    p.add_argument('--click-segment-length', type=float, default=2.0,
                   help='seconds, for action clicks of classes without '
                   'any pseudo-segment')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', default=None,
                   metavar='KEY=VALUE')
    p.add_argument('--overwrite', action='store_true')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if osp.exists(args.out) and not args.overwrite:
        raise SystemExit(f'error: {args.out} exists; pass --overwrite to '
                         'replace it')
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise SystemExit(f'error: {what} not found: {path}')
    # heavy imports after argument parsing: --help stays instant
    from mmengine.config import Config, DictAction

    from backtal_mmaction.apis import PseudoLabelRules, generate_pseudo_gt
    from backtal_mmaction.engine.atomic_checkpoint import atomic_write
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        opts = {}
        DictAction(None, 'cfg_options')(None, opts, args.cfg_options)
        cfg.merge_from_dict(opts['cfg_options'])
    try:
        rules = PseudoLabelRules(
            rel_score_thr=args.rel_score_thr, topk=args.topk,
            nms_thr=args.nms_thr, min_length=args.min_length,
            click_segment_length=args.click_segment_length)
    except ValueError as e:
        raise SystemExit(f'error: {e}') from None
    gt = generate_pseudo_gt(cfg, args.checkpoint, rules, args.device)
    atomic_write(args.out, json.dumps(gt))
    info = gt['pseudo_labels']
    print(f'{info["segments"]} pseudo-segments on {info["videos"]} videos '
          f'written to {args.out}')
    return gt


if __name__ == '__main__':
    sys.exit(main() and 0)

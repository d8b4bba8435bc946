"""Pseudo-segments for stage 2: run a trained model on its own training
videos and write its click-checked detections as an ActivityNet-style GT.

    python tools/pseudo_labels.py configs/backtal/backtal_synthetic.py \
        work_dirs/quickstart/epoch_40.pth --out pseudo_gt.json

The rules (video labels, relative score threshold, top-k, same-class NMS,
action clicks covered, cut at background clicks, soft weights, and with
``--instance-seeds`` one segment per action click walled by the background
clicks) are listed in ``backtal_mmaction/apis/pseudo_labels.py``.
``--label-click-types background action`` reads both kinds of clicks of
the training split (default: the clicks the model was trained with). Where
the training GT has segments (a benchmark), the pseudo-labels' precision,
GT recall and length ratio are printed. The output reads with
``ClickTALDataset`` unchanged (point a stage-2 config's training
``ann_file`` at it). Never overwrites without ``--overwrite``.

A thin command line over :func:`backtal_mmaction.apis.write_pseudo_gt`
(keyword arguments = the flags).
"""
import argparse


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
    p.add_argument('--click-weight', type=float, default=1.0,
                   help='weight of the segments added around action clicks')
    p.add_argument('--instance-seeds', action='store_true',
                   help='one segment per action click, walled by the '
                   'background clicks, boundaries by the model\'s class '
                   'activation')
    p.add_argument('--label-click-types', nargs='+', default=None,
                   choices=['background', 'action'],
                   help='click kinds the labelling reads (default: those '
                   'of the training dataset)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', default=None,
                   metavar='KEY=VALUE')
    p.add_argument('--overwrite', action='store_true')
    args = p.parse_args(argv)
    # Imported after parsing, so --help and usage errors need no torch.
    from backtal_mmaction.cli.errors import parse_cfg_options
    args.cfg_options = parse_cfg_options(p, args.cfg_options)
    return args


def main(argv=None) -> dict:
    """Parse ``argv`` and write the pseudo-GT
    (:func:`backtal_mmaction.apis.write_pseudo_gt`) under the tools'
    one-line error style; returns it."""
    args = parse_args(argv)
    # heavy imports after argument parsing: --help stays instant
    from backtal_mmaction.apis import write_pseudo_gt
    from backtal_mmaction.cli.errors import run_cli
    return run_cli(lambda _: write_pseudo_gt(
        args.config, args.checkpoint, args.out,
        rel_score_thr=args.rel_score_thr, topk=args.topk,
        nms_thr=args.nms_thr, min_length=args.min_length,
        click_segment_length=args.click_segment_length,
        click_weight=args.click_weight, instance_seeds=args.instance_seeds,
        label_click_types=args.label_click_types, device=args.device,
        cfg_options=args.cfg_options, overwrite=args.overwrite))


if __name__ == '__main__':
    main()

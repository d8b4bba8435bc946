"""Pseudo-segments for stage 2: run a trained model on its own training
videos and write its click-checked detections as an ActivityNet-style GT.

    python tools/pseudo_labels.py configs/backtal/backtal_synthetic.py \
        work_dirs/quickstart/epoch_40.pth --out pseudo_gt.json

The rules (video labels, relative score threshold, top-k, same-class NMS,
action clicks covered, cut at background clicks, soft weights, and with
``--instance-seeds`` one segment per action click walled by the background
clicks) are listed in ``backtal_mmaction/pseudo_labels/rules.py``.
``--label-click-types background action`` reads both kinds of clicks of
the training split (default: the clicks the model was trained with);
``--instance-seeds`` needs action clicks, so it is an error while the
labelling reads none. Where the training GT has segments (a benchmark), the
pseudo-labels' precision, GT recall and length ratio are printed. A model
that gives no pseudo-segment at all (no detections) is an error: stage 2
would train on an empty GT. The output reads with ``ClickTALDataset``
unchanged (point a stage-2 config's training ``ann_file`` at it). Never
overwrites without ``--overwrite``, and never the config, the checkpoint or
a GT / click file the config's datasets read, even with it.

A thin command line over :func:`backtal_mmaction.workflows.write_pseudo_gt`
(keyword arguments = the flags).
"""
import argparse

from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         parse_cfg_options, run_cli)

# the flags that set PseudoLabelRules fields (same names)
RULE_FLAGS = ('rel_score_thr', 'topk', 'nms_thr', 'min_length',
              'click_segment_length', 'click_weight', 'instance_seeds')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='the trained model\'s config')
    p.add_argument('checkpoint', help='its checkpoint')
    p.add_argument('--out', required=True, help='pseudo-GT JSON to write')
    p.add_argument('--split', default='train', choices=['train'],
                   help='videos to label: the config\'s training split')
    # The rules' defaults are PseudoLabelRules' (one place): a flag left
    # out is not passed on.
    rules = p.add_argument_group(
        'labelling rules (default: PseudoLabelRules\' defaults, see '
        'backtal_mmaction/pseudo_labels/rules.py)')
    rules.add_argument('--rel-score-thr', type=float,
                       help='relative score threshold per (video, class)')
    rules.add_argument('--topk', type=int,
                       help='detections kept per (video, class)')
    rules.add_argument('--nms-thr', type=float,
                       help='same-class NMS tIoU threshold')
    rules.add_argument('--min-length', type=float,
                       help='seconds; shorter pieces of a cut segment go')
    rules.add_argument('--click-segment-length', type=float,
                       help='seconds, for action clicks of classes without '
                       'any pseudo-segment')
    rules.add_argument('--click-weight', type=float,
                       help='weight of the segments added around action '
                       'clicks')
    rules.add_argument('--instance-seeds', action='store_true',
                       default=None,
                       help='one segment per action click, walled by the '
                       'background clicks, boundaries by the model\'s '
                       'class activation')
    p.add_argument('--label-click-types', nargs='+', default=None,
                   choices=['background', 'action'],
                   help='click kinds the labelling reads (default: those '
                   'of the training dataset)')
    p.add_argument('--device', default='cpu')
    add_cfg_options_arguments(p, 'model.post_processor.nms_thr=0.6')
    p.add_argument('--overwrite', action='store_true')
    return p


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    return args


def main(argv=None) -> dict:
    """Parse ``argv`` and write the pseudo-GT
    (:func:`backtal_mmaction.workflows.write_pseudo_gt`) under the tools'
    one-line error style; returns it."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.pseudo_labels import PseudoLabelRules
    from backtal_mmaction.workflows import write_pseudo_gt
    rules = {k: getattr(args, k) for k in RULE_FLAGS
             if getattr(args, k) is not None}
    return run_cli(lambda _: write_pseudo_gt(
        args.config, args.checkpoint, args.out,
        rules=PseudoLabelRules(**rules),
        label_click_types=args.label_click_types, device=args.device,
        cfg_options=args.cfg_options, overwrite=args.overwrite,
        cfg_options_allow_new=args.cfg_options_allow_new),
        parser=parser)


if __name__ == '__main__':
    main()

"""Train and test each mix-and-match variant with several seeds.

    python tools/analysis/run_ablation.py --data-root data/synthetic \
        --seeds 0 1 2 --out docs/ablation_synthetic.md --update-readme

Writes a markdown table (mAP@tIoU 0.1:0.7 and average, mean +- std over
seeds), a table of paired gains (the same seeds with and without a part:
a module's effect is judged against its own seed-to-seed spread, not against
the spread of the means) and the raw numbers as JSON next to it; with
``--update-readme`` the tables replace the block between
``<!-- ablation:start -->`` and ``<!-- ablation:end -->`` in README.md.
``--from-json`` re-renders them from a saved JSON without training.
``--two-stage`` makes the two-stage block instead (``<!-- two-stage:start
-->``): each ``configs/two_stage`` pipeline per seed (stage 1, stage 2 and
``--rounds`` self-training rounds, paired gains of stage 2 over its own stage
1) and the full-GT upper bound; finished steps in the work dir are reused.
Nothing in the tables is typed by hand.

A thin command line over :mod:`backtal_mmaction.workflows.ablation`
(``run_ablation``, ``rerender_ablation``, ``run_two_stage_ablation``).
"""
import argparse
from pathlib import Path

from backtal_mmaction.cli.errors import input_errors, run_cli

REPO = Path(__file__).resolve().parents[2]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--config-dir', default='configs/ablation/synthetic')
    parser.add_argument('--variants', nargs='*',
                        help='config names without .py (default: all)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, help='override max_epochs')
    parser.add_argument('--work-dir', default='work_dirs/ablation')
    parser.add_argument('--out', default='docs/ablation_synthetic.md')
    parser.add_argument('--update-readme', action='store_true')
    parser.add_argument('--from-json', nargs='+',
                        help='re-render the tables from these JSONs (written '
                        'by earlier runs, e.g. variants run in parallel; '
                        'merged) instead of training')
    parser.add_argument('--two-stage', action='store_true',
                        help='the two-stage block instead: configs/two_stage '
                        'pipelines (stage 1 -> pseudo-labels -> stage 2) '
                        'and the full-GT upper bound; --variants names '
                        'configs/two_stage files, --work-dir defaults to '
                        'work_dirs/two_stage_ablation, --out to '
                        'docs/two_stage_synthetic.md')
    parser.add_argument('--rounds', type=int, default=0,
                        help='self-training rounds of the BackTAL pipeline '
                        '(--two-stage)')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if args.two_stage:
        if args.work_dir == 'work_dirs/ablation':
            args.work_dir = 'work_dirs/two_stage_ablation'
        if args.out == 'docs/ablation_synthetic.md':
            args.out = 'docs/two_stage_synthetic.md'
    return args


def main(argv=None):
    """Parse ``argv`` and run the ablation (or re-render it) under the
    tools' one-line error style (``error: ...``, exit status 1, also for
    unreadable result files and a README without the block)."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.workflows import ablation
    readme = str(REPO / 'README.md')

    def log(msg):
        print(msg, flush=True)

    def run(_):
        if args.two_stage:
            return ablation.run_two_stage_ablation(
                str(REPO / 'configs/two_stage'), args.data_root, args.seeds,
                args.work_dir, args.out, variants=args.variants,
                rounds=args.rounds, from_json=args.from_json,
                update_readme=args.update_readme, readme=readme, log=log)
        if args.from_json:
            return ablation.rerender_ablation(
                args.from_json, args.out, update_readme=args.update_readme,
                readme=readme)
        return ablation.run_ablation(
            args.config_dir, args.data_root, args.seeds, args.work_dir,
            args.out, variants=args.variants, epochs=args.epochs,
            update_readme=args.update_readme, readme=readme, log=log)

    return run_cli(run, errors=input_errors() + (OSError, ), parser=parser)


if __name__ == '__main__':
    main()

"""Prepare a trained checkpoint for sharing: weights and meta only, on the
CPU, named after its SHA-256.

    python tools/publish_model.py work_dirs/backtal_thumos14/epoch_100.pth \\
        backtal_thumos14.pth
    # -> backtal_thumos14-<sha256[:8]>.pth

The optimizer, scheduler, RNG and MessageHub states are dropped (nothing to
resume from; about a third of the size with Adam), so the file loads with a
plain ``torch.load(f, weights_only=True)``; ``tools/test.py``,
``tools/infer.py``, ``load_from`` and ``init_cfg`` read it as they read the
Runner's checkpoints.
"""
import argparse

from backtal_mmaction.cli.errors import run_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] + ' ' +
        __doc__.splitlines()[1].strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('in_file', help='a checkpoint, e.g. epoch_40.pth')
    parser.add_argument('out_file', help='NAME.pth: written as '
                        'NAME-<sha256[:8]>.pth (its folder must exist)')
    parser.add_argument('--save-keys', nargs='+', default=None,
                        metavar='KEY', help='top-level keys to keep '
                        '(default: meta state_dict)')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None, args=None):
    """Publish; ``args``: already parsed arguments (then ``argv`` is
    ignored). Returns the published path."""
    args = args or parse_args(argv)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.engine.checkpoint.publish import (
        DEFAULT_KEYS, publish_checkpoint)
    path, written = publish_checkpoint(
        args.in_file, args.out_file, args.save_keys or DEFAULT_KEYS)
    print(f'published {args.in_file} -> {path}' if written else
          f'{path} exists already with the same content')
    return path


if __name__ == '__main__':
    # Arguments first, then the run under the tools' one-line error style.
    cli_parser = build_parser()
    cli_args = parse_args(parser=cli_parser)
    run_cli(lambda _: main(args=cli_args), parser=cli_parser)

"""Convert a checkpoint of the official BackTAL code to this plugin.

    python tools/convert_official_checkpoint.py official.pkl backtal.pth
    python tools/test.py configs/backtal/backtal_thumos14_official.py backtal.pth

The converted weights reproduce the official CAS with
``model.backbone.affinity='official'`` (set in backtal_*_official.py).
"""
import argparse
import os.path as osp

from backtal_mmaction.cli.errors import run_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint ({epoch, state_dict})')
    parser.add_argument('dst', help='output checkpoint for this plugin')
    parser.add_argument('--overwrite', action='store_true')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None, args=None):
    """Convert; ``args``: already parsed arguments (then ``argv`` is
    ignored)."""
    args = args or parse_args(argv)
    # heavy imports after parsing: --help and usage errors need no torch
    import torch

    from backtal_mmaction.engine.checkpoint import load_checkpoint_file
    from backtal_mmaction.engine.checkpoint.official import \
        convert_official_state_dict
    from backtal_mmaction.utils import atomic_replace, check_output_path
    check_output_path(args.dst, 'dst', args.overwrite, inputs=[args.src])
    folder = osp.dirname(osp.abspath(args.dst))
    if not osp.isdir(folder):
        raise FileNotFoundError(f'dst {args.dst}: folder {folder} does not '
                                'exist')
    # the safe loader (weights_only + exact allow-list): an official
    # checkpoint is plain tensors + an int epoch; a truncated or foreign file
    # is one `error:` line naming it
    ckpt = load_checkpoint_file(args.src, map_location='cpu')
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt,
                                                            dict) else None
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ValueError(f'{args.src}: expected an official checkpoint, a '
                         'dict of tensors or {epoch, state_dict}')
    try:
        converted = convert_official_state_dict(state_dict)
    except ValueError as e:
        raise ValueError(f'{args.src}: {e}') from e
    meta = dict(source=osp.abspath(args.src), epoch=ckpt.get('epoch'),
                converted_by='backtal_mmaction',
                note="use with model.backbone.affinity='official'")
    atomic_replace(args.dst, lambda tmp: torch.save(
        dict(meta=meta, state_dict=converted), tmp))
    print(f'converted {len(converted)} tensors -> {args.dst}')


if __name__ == '__main__':
    # Arguments first, then the run under the tools' one-line error style.
    cli_parser = build_parser()
    cli_args = parse_args(parser=cli_parser)
    run_cli(lambda _: main(args=cli_args), parser=cli_parser)

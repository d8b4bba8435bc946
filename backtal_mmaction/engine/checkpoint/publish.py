"""Publish a trained checkpoint: the weights and their meta, nothing to
resume from, named after its content (OpenMMLab's ``publish_model``).

A Runner checkpoint holds, besides ``state_dict`` and ``meta``, the
optimizer state (twice the weights for Adam), the LR schedulers, the RNG
states and the ``MessageHub`` (``HistoryBuffer`` objects that torch's
``weights_only`` load refuses without this plugin's allow-list). The
published file keeps only the chosen keys, on the CPU (a DDP model's
``module.`` key prefix taken off), so it is a third of the size and loads
with a plain ``torch.load(f, weights_only=True)``.
Its name ends with the first 8 hex digits of its SHA-256, so a download can
be checked against its name.
"""
import hashlib
import io
import os.path as osp
from typing import Sequence, Tuple

import torch

from ...utils import atomic_replace
from .compat import without_ddp_prefix
from .loading import load_checkpoint_file

__all__ = ['publish_checkpoint', 'sha256_of']

DEFAULT_KEYS = ('meta', 'state_dict')
_BLOCK = 1 << 20


def sha256_of(path: str) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(_BLOCK), b''):
            digest.update(block)
    return digest.hexdigest()


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, 'wb') as f:
        f.write(data)


def _to_cpu(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return type(value)((k, _to_cpu(v)) for k, v in value.items())
    return value


def publish_checkpoint(in_file: str, out_file: str,
                       save_keys: Sequence[str] = DEFAULT_KEYS
                       ) -> Tuple[str, bool]:
    """Write the published form of ``in_file`` next to ``out_file``.

    Args:
        in_file (str): A checkpoint (loaded with the plugin's allow-list).
        out_file (str): ``DIR/NAME.pth``: the file is written as
            ``DIR/NAME-<sha256[:8]>.pth``; ``DIR`` must exist.
        save_keys (Sequence[str]): Top-level keys to keep; ``state_dict``
            must be one of them.

    Returns:
        tuple[str, bool]: the published path, and whether it was written
        (False: that file exists already with the same content).

    Raises:
        ValueError: ``out_file`` does not end with ``.pth``, ``save_keys``
            lacks ``state_dict`` or names keys the checkpoint does not
            have, or a different file of the final name exists.
        FileNotFoundError: ``in_file`` or ``out_file``'s folder missing.
        CheckpointReadError, UnsafeCheckpointError: see
            :func:`load_checkpoint_file`.
    """
    stem, ext = osp.splitext(out_file)
    if ext != '.pth':
        raise ValueError(f'`out_file` must end with .pth (the hash is added '
                         f'before it), got {out_file}')
    folder = osp.dirname(osp.abspath(out_file))
    if not osp.isdir(folder):
        raise FileNotFoundError(f'`out_file` {out_file}: folder {folder} '
                                'does not exist')
    keys = list(dict.fromkeys(save_keys))
    if 'state_dict' not in keys:
        raise ValueError('`save_keys` must include state_dict (the weights), '
                         f'got {keys}')
    ckpt = load_checkpoint_file(in_file, map_location='cpu')
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get('state_dict'),
                                                    dict):
        raise ValueError(f'{in_file}: not a Runner checkpoint (a dict with a '
                         "'state_dict'); a bare state dict needs no "
                         'publishing')
    missing = [k for k in keys if k not in ckpt]
    if missing:
        raise ValueError(f'{in_file} has no {missing} (`save_keys`); it '
                         f'holds {sorted(ckpt)}')
    published = {k: _to_cpu(ckpt[k]) for k in keys}
    state = published['state_dict']
    if state and all(k.startswith('module.') for k in state):
        # a DDP model's keys: shared without the wrapper's prefix, so a
        # part's init_cfg prefix is the part's name
        published['state_dict'] = type(state)(
            (without_ddp_prefix(k), v) for k, v in state.items())

    # The name depends on the content: serialize in memory (a file name
    # would enter the zip archive's record names), hash, then write.
    buffer = io.BytesIO()
    torch.save(published, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    # a published file published again under its own name keeps it
    final = (f'{stem}.pth' if stem.endswith('-' + digest[:8]) else
             f'{stem}-{digest[:8]}.pth')
    if osp.exists(final):
        if sha256_of(final) != digest:
            raise ValueError(f'{final} exists with other content; it is left '
                             'as is: choose another `out_file`')
        return final, False
    atomic_replace(final, lambda tmp: _write_bytes(tmp, data))
    return final, True

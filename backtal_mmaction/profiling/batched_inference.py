"""Inference on many variable-length videos in length-bucketed batches.

A test set is videos of different lengths; one at a time, the GEMMs of a
short video have few rows and run below their rate. Batching pads the
shorter videos of a batch, and padding leaks: a kernel-3 conv at a video's
last snippet reads the next position, the affinity of that snippet is its
cosine with the padded one, and top-k pooling would see padded scores.
:func:`batched_forward_features` removes all three, so every video's
outputs equal those of running it alone (up to float rounding of the
larger GEMMs):

- every temporal conv (kernel > 1; affinity convs and their embedding
  input too) sees its input zeroed beyond each video's end (forward
  pre-hooks), which is exactly the zero padding it applies to a video run
  alone. Point-wise layers cannot leak; their padded outputs are cut off.
- the video scores (top-k over time) are recomputed on each video's own
  snippets.

:func:`length_buckets` groups videos of similar length, so little
padding is computed.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from ..models.backbones.affinity_conv import AffinityConv1d

# Temporal operators whose padded positions are not handled here.
_UNSUPPORTED = (nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveAvgPool1d,
                nn.AdaptiveMaxPool1d, nn.ConvTranspose1d)


def length_buckets(lengths: Sequence[int], max_rows: int = 4096,
                   max_waste: float = 0.1) -> List[List[int]]:
    """Batches of video indices, longest videos first.

    A batch holds videos of similar length: its padded size
    ``len(batch) * max(length)`` stays within ``max_rows`` (a longer video
    is a batch of its own) and its padding within ``max_waste`` of that
    size.

    Args:
        lengths (Sequence[int]): Snippets per video.
        max_rows (int): Row budget of a batch (snippets incl. padding).
        max_waste (float): Largest padded share of a batch.
        **forward_kwargs: Passed to ``forward_features`` (e.g. BackTAL's
            ``branches=('supp', )``).

    Returns:
        list[list[int]]: Every index exactly once.
    """
    order = sorted(range(len(lengths)), key=lambda i: -int(lengths[i]))
    batches, cur, total = [], [], 0
    for i in order:
        n = int(lengths[i])
        if cur:
            longest = int(lengths[cur[0]])
            rows = (len(cur) + 1) * longest
            if rows <= max_rows and (rows - total - n) <= max_waste * rows:
                cur.append(i)
                total += n
                continue
            batches.append(cur)
        cur, total = [i], n
    if cur:
        batches.append(cur)
    return batches


def _check_supported(model: nn.Module) -> None:
    if not hasattr(model, 'forward_features') or not hasattr(
            getattr(model, 'cls_head', None), 'video_scores'):
        raise TypeError(f'batched_forward_features: {type(model).__name__} '
                        'needs forward_features and cls_head.video_scores '
                        '(a BackTAL-like localizer)')
    for name, m in model.named_modules():
        bad = isinstance(m, _UNSUPPORTED) or (
            isinstance(m, nn.Conv1d) and (m.stride[0] != 1 or m.dilation[0]
                                          != 1))
        if bad:
            raise TypeError(f'batched_forward_features: module {name!r} '
                            f'({type(m).__name__}) changes the temporal '
                            'resolution; padding would leak through it')


def _mask_hooks(model: nn.Module, mask: torch.Tensor) -> list:
    """Pre-hooks zeroing the padded positions of every temporal conv's
    input(s); ``mask`` is ``(B, 1, T)``."""

    def hook(module, args):
        return tuple(a * mask.to(a.dtype) if torch.is_tensor(a) and a.dim()
                     == 3 else a for a in args)

    handles = []
    for m in model.modules():
        temporal = isinstance(m, AffinityConv1d) or (
            isinstance(m, nn.Conv1d) and m.kernel_size[0] > 1)
        if temporal:
            handles.append(m.register_forward_pre_hook(hook))
    return handles


def _split(out: Dict[str, Optional[torch.Tensor]], i: int, length: int,
           model: nn.Module) -> Dict[str, Optional[torch.Tensor]]:
    video = {}
    for key, v in out.items():
        if v is None:
            video[key] = None
        elif v.dim() == 3:
            video[key] = v[i:i + 1, :, :length]
        else:
            video[key] = v[i:i + 1]
    for key in out:
        if key.startswith('video_scores_'):
            cas = video['cas_' + key[len('video_scores_'):]]
            video[key] = model.cls_head.video_scores(cas)
    return video


@torch.no_grad()
def batched_forward_features(model: nn.Module,
                             inputs: Sequence[torch.Tensor],
                             max_rows: int = 4096,
                             max_waste: float = 0.1,
                             **forward_kwargs) -> List[dict]:
    """``model.forward_features`` of every video, run in batches.

    Args:
        model (nn.Module): A BackTAL-like localizer in eval mode.
        inputs (Sequence[Tensor]): Videos ``(D, T_i)``.
        max_rows (int): Snippet budget of a batch (see
            :func:`length_buckets`).
        max_waste (float): Largest padded share of a batch.
        **forward_kwargs: Passed to ``forward_features`` (e.g. BackTAL's
            ``branches=('supp', )``).

    Returns:
        list[dict]: Per video (in input order), the dict
        ``forward_features(x[None])`` returns: ``(1, *, T_i)`` tensors and
        ``(1, C+1)`` video scores.
    """
    _check_supported(model)
    lengths = [int(x.shape[-1]) for x in inputs]
    results: List[Optional[dict]] = [None] * len(inputs)
    for batch in length_buckets(lengths, max_rows, max_waste):
        longest = lengths[batch[0]]
        x = inputs[batch[0]].new_zeros(len(batch), inputs[batch[0]].shape[0],
                                       longest)
        mask = x.new_zeros(len(batch), 1, longest)
        for row, i in enumerate(batch):
            x[row, :, :lengths[i]] = inputs[i]
            mask[row, :, :lengths[i]] = 1
        padded = any(lengths[i] != longest for i in batch)
        handles = _mask_hooks(model, mask) if padded else []
        try:
            out = model.forward_features(x, **forward_kwargs)
        finally:
            for h in handles:
                h.remove()
        for row, i in enumerate(batch):
            results[i] = _split(out, row, lengths[i], model)
    return results

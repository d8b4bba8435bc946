"""Shared helpers of the localization losses."""
from typing import Dict, Optional

import torch
import torch.distributed as dist

# One home for the convention (re-exported here for the losses' imports).
from backtal_mmaction.utils import IGNORE_INDEX  # noqa: F401


def global_count(count: torch.Tensor) -> torch.Tensor:
    """Per-rank share of a count summed over all distributed ranks.

    DDP averages gradients over ranks, so a loss averaged over a variable
    number of entries (clicks, qualifying videos) matches the single-process
    loss of the whole batch only if every rank divides by
    ``total_count / world_size``. Without distributed training this is
    ``count``. Every rank must call it (it all-reduces).
    """
    if dist.is_available() and dist.is_initialized():
        world = dist.get_world_size()
        if world > 1:
            count = count.detach().clone()
            dist.all_reduce(count)
            count = count / world
    return count


def masked_mean(values: torch.Tensor, mask: torch.Tensor,
                dim: Optional[int] = None) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is true; 0 (with grad) if empty.

    Batches without any valid entry must still train (e.g. no video of the
    batch has a click), so the empty case returns ``values.sum() * 0``
    which keeps the autograd graph instead of NaN. The scalar form
    (``dim=None``) divides by the count over all distributed ranks (see
    :func:`global_count`). Entries outside the mask must be finite.
    """
    mask = mask.to(values.dtype)
    if dim is None:
        count = global_count(mask.sum())
        if count == 0:
            return values.sum() * 0
        return (values * mask).sum() / count
    return (values * mask).sum(dim) / mask.sum(dim).clamp(min=1)


def get_required(container: Dict, key: str, owner: str) -> torch.Tensor:
    """Fetch ``container[key]`` with an error that says who needed it."""
    value = container.get(key)
    if value is None:
        raise KeyError(f'{owner} needs {key!r}, but the localizer did not '
                       f'provide it (available: {sorted(k for k, v in container.items() if v is not None)})')
    return value

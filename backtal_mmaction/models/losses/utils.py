"""Shared helpers of the localization losses."""
from typing import Dict, Optional

import torch

IGNORE_INDEX = -100


def masked_mean(values: torch.Tensor, mask: torch.Tensor,
                dim: Optional[int] = None) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is true; 0 (with grad) if empty.

    Batches without any valid entry must still train (e.g. no video of the
    batch has a click), so the empty case returns ``values.sum() * 0``
    which keeps the autograd graph instead of NaN.
    """
    mask = mask.to(values.dtype)
    if dim is None:
        count = mask.sum()
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

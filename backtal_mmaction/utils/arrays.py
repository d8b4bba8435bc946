"""Array conversion shared by the metric, the post-processor and the tools."""
from typing import Optional

import numpy as np


def to_numpy(value, dtype: Optional[np.dtype] = None) -> np.ndarray:
    """Torch tensor (any device / dtype), list or array -> ``np.ndarray``.

    Duck-typed on ``detach`` so that callers (the metric, the data tools)
    never import torch. Reduced-precision tensors (bf16 has no NumPy dtype,
    fp16 loses precision in NumPy arithmetic) are widened to float32 on the
    torch side before the copy to NumPy.

    Args:
        value: Tensor, ndarray, number or (nested) sequence.
        dtype: Optional NumPy dtype of the result.

    Returns:
        np.ndarray: The values, on the CPU.
    """
    if hasattr(value, 'detach'):
        value = value.detach()
        if value.is_floating_point() and value.element_size() < 4:
            value = value.float()
        value = value.cpu().numpy()
    return np.asarray(value, dtype=dtype)

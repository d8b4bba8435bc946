"""Snippet time convention of the whole plugin."""
import numpy as np


def snippet_times(num_snippets: int, duration: float) -> np.ndarray:
    """Centre time (seconds) of each of ``T`` equal snippets of a video.

    Snippet ``t`` covers ``[t, t + 1) * duration / T``; its centre is
    ``(t + 0.5) * duration / T``. The post-processor maps snippet indices
    to seconds with the same grid.

    Args:
        num_snippets (int): ``T``.
        duration (float): Video duration in seconds.

    Returns:
        np.ndarray: ``(T,)`` float64 seconds.
    """
    return (np.arange(num_snippets) + 0.5) * (duration / num_snippets)

"""Throughput of the test loop in videos per second."""
import time

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ...utils import check_range

__all__ = ['TestSpeedHook']


@HOOKS.register_module()
class TestSpeedHook(Hook):
    """Log ``videos/s`` of ``runner.test()`` (all ranks together).

    The per-iteration ``time`` of MMEngine's log is per *batch*; this hook
    reports the end-to-end rate (data loading, forward, post-processing and
    the final metric computation) at the end of the test, and every
    ``interval`` iterations on rank 0 as it goes.

    Args:
        interval (int): Also log the running rate every N test iterations
            (0: only at the end). Defaults to 0.
    """
    priority = 'LOW'

    def __init__(self, interval: int = 0) -> None:
        check_range('interval', interval, 0, integer=True,
                    owner=type(self).__name__)
        self.interval = interval
        self.num_videos = 0
        self.seconds = 0.0
        self._start = None

    def before_test_epoch(self, runner) -> None:
        self.num_videos = 0
        self._start = time.perf_counter()

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self.num_videos += len(outputs) if outputs is not None else 0
        if self.interval and (batch_idx + 1) % self.interval == 0:
            rate = self.num_videos / max(time.perf_counter() - self._start,
                                         1e-9)
            print_log(f'test [{batch_idx + 1}/{len(runner.test_dataloader)}]'
                      f' {rate:.1f} videos/s (this rank)', logger='current')

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._start is None:
            return
        self.seconds = time.perf_counter() - self._start
        count = torch.tensor(float(self.num_videos))
        if is_distributed():
            all_reduce(count)  # sum over ranks
            # The distributed sampler pads the last round with repeats.
            count = torch.clamp(count,
                                max=len(runner.test_dataloader.dataset))
        self.num_videos = int(count.item())
        rate = self.num_videos / max(self.seconds, 1e-9)
        print_log(f'Tested {self.num_videos} videos in {self.seconds:.2f} s: '
                  f'{rate:.1f} videos/s', logger='current')

"""CAS figures of the first test videos, drawn during ``runner.test()``."""
import os
import os.path as osp
import re
from typing import Optional, Sequence

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ...utils import check_flag, check_range
from ...visualization import cas_plot_inputs, render_cas_figure, save_rgb_png
from .raw_outputs import attach_raw_consumer, detach_raw_consumer

__all__ = ['CASVisualizationHook']


def safe_file_stem(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9._-]+', '_', name) or 'video'


def check_no_figures(out_dir: str, option: str = '`vis_dir`') -> None:
    """Refuse a figure directory that already holds PNGs (or is a file)."""
    if osp.isfile(out_dir):
        raise NotADirectoryError(f'{option} {out_dir} is a file')
    pngs = sorted(f for f in os.listdir(out_dir)
                  if f.endswith('.png')) if osp.isdir(out_dir) else []
    if pngs:
        raise FileExistsError(
            f'{option} {out_dir} already holds {len(pngs)} figure(s) (e.g. '
            f'{pngs[:3]}); pass `overwrite` to replace them or choose '
            'another directory')


@HOOKS.register_module()
class CASVisualizationHook(Hook):
    """Draw :func:`~backtal_mmaction.visualization.render_cas_figure` for
    test videos and hand it to the runner's visualizer backends
    (``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/
    vis_image/cas_<video>_0.png``).

    Args:
        num_videos (int): Draw the first N videos each rank sees.
            Defaults to 8.
        videos (Sequence[str], optional): Draw exactly these videos instead.
        out_dir (str, optional): Also write ``out_dir/<video>.png``.
        max_classes (int): CAS curves per figure. Defaults to 5.
        max_detections (int): Detections per figure. Defaults to 30.
        overwrite (bool): Allow an ``out_dir`` that already holds PNGs.
            Defaults to False (refuse, naming them, before testing).
    """
    priority = 'NORMAL'

    def __init__(self,
                 num_videos: int = 8,
                 videos: Optional[Sequence[str]] = None,
                 out_dir: Optional[str] = None,
                 max_classes: int = 5,
                 max_detections: int = 30,
                 overwrite: bool = False) -> None:
        owner = type(self).__name__
        check_range('num_videos', num_videos, 0, integer=True, owner=owner)
        check_range('max_classes', max_classes, 1, integer=True, owner=owner)
        check_range('max_detections', max_detections, 0, integer=True,
                    owner=owner)
        check_flag('overwrite', overwrite, owner=owner)
        self.num_videos = num_videos
        self.videos = set(videos) if videos else None
        self.out_dir = out_dir
        self.max_classes = max_classes
        self.max_detections = max_detections
        self.overwrite = overwrite
        self.written = []
        self._runner = None

    def before_test(self, runner) -> None:
        if self.out_dir is not None and not self.overwrite:
            check_no_figures(self.out_dir)
        self.written = []
        self._runner = runner
        dataset = runner.test_dataloader.dataset
        self._classes = list(dataset.metainfo['classes'])
        attach_raw_consumer(runner.model, self._consume)

    def _wanted(self, name: str) -> bool:
        if self.videos is not None:
            return name in self.videos
        return len(self.written) < self.num_videos

    def _consume(self, samples) -> None:
        for sample in samples:
            name = str(sample.metainfo.get('video_name'))
            if not self._wanted(name):
                continue
            image = render_cas_figure(
                class_names=self._classes,
                max_classes=self.max_classes,
                max_detections=self.max_detections,
                **cas_plot_inputs(sample))
            stem = safe_file_stem(name)
            self._runner.visualizer.add_image(f'cas_{stem}', image, step=0)
            if self.out_dir is not None:
                path = save_rgb_png(image,
                                    osp.join(self.out_dir, f'{stem}.png'))
                self.written.append(path)
            else:
                self.written.append(name)

    def after_test(self, runner) -> None:
        detach_raw_consumer(runner.model, self._consume)
        where = (f' into {self.out_dir}'
                 if self.out_dir else ' (visualizer backends)')
        print_log(f'CASVisualizationHook: drew {len(self.written)} CAS '
                  f'figure(s){where}', logger='current')

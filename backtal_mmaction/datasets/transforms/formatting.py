"""Packing a loaded video into MMAction2's ``ActionDataSample``."""
from typing import Sequence

import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData


@TRANSFORMS.register_module()
class PackClickLocalizationInputs(BaseTransform):
    """``inputs``: features ``(D, T)`` tensor; ``data_samples``: one
    ``ActionDataSample`` with

    - metainfo ``meta_keys`` (video name, duration, fps, frame count,
      feature lengths, clicks for visualization);
    - ``gt_instances``: ``segments`` ``(N, 2)`` seconds, ``labels`` ``(N,)``
      and, for a pseudo-GT file with ``score`` fields, ``scores`` ``(N,)``;
    - ``gt_video_labels`` ``(C,)`` multi-hot;
    - ``gt_click_labels`` ``(T,)`` (when ``BuildClickLabels`` ran).
    """

    def __init__(self,
                 meta_keys: Sequence[str] = (
                     'video_name', 'duration', 'fps', 'num_frames',
                     'num_snippets', 'orig_num_snippets', 'valid_snippets',
                     'feature_path', 'click_times', 'click_labels',
                     'click_annotators')
                 ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        sample = ActionDataSample()
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        gt = InstanceData()
        gt.segments = torch.as_tensor(
            # float64: the metric compares them with the file's values
            # (in-memory == offline evaluation of the dump)
            np.asarray(results['gt_segments'], np.float64).reshape(-1, 2))
        gt.labels = torch.as_tensor(
            np.asarray(results['gt_labels'], np.int64))
        if results.get('gt_scores') is not None:
            # per-segment weights of a pseudo-GT file (``score`` fields)
            gt.scores = torch.as_tensor(
                np.asarray(results['gt_scores'], np.float32))
        sample.gt_instances = gt
        sample.set_data(dict(gt_video_labels=torch.as_tensor(
            np.asarray(results['video_labels'], np.float32))))
        if 'click_label_vector' in results:
            sample.set_data(dict(gt_click_labels=torch.as_tensor(
                results['click_label_vector'])))
        return dict(inputs=torch.from_numpy(results['features']),
                    data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'

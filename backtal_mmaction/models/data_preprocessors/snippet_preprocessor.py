"""Batches pre-extracted snippet features ``(D, T)`` into ``(B, D, T)``."""
from typing import List, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor


@MODELS.register_module()
class SnippetFeaturePreprocessor(BaseDataPreprocessor):
    """Moves features and samples to the model's device and stacks them.

    Training pipelines resample every video to the same length, so inputs
    are stacked into ``(B, D, T)``. Test pipelines keep each video's own
    length: when lengths differ the inputs stay a list of ``(D, T_i)`` and
    the localizer runs them one by one (padding would change the top-k
    pooling and the convolutions at the borders).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs: Union[torch.Tensor, List[torch.Tensor]] = data['inputs']
        if isinstance(inputs, (list, tuple)):
            bad = [i for i, x in enumerate(inputs) if x.dim() != 2]
            if bad:
                raise ValueError(
                    'SnippetFeaturePreprocessor expects each input to be a '
                    f'(D, T) feature tensor; sample {bad[0]} has shape '
                    f'{tuple(inputs[bad[0]].shape)}')
            dims = {x.shape[0] for x in inputs}
            if len(dims) > 1:
                raise ValueError('SnippetFeaturePreprocessor: feature dims '
                                 f'differ inside one batch: {sorted(dims)}')
            if len({x.shape[1] for x in inputs}) == 1:
                inputs = torch.stack(list(inputs)).float()
            else:
                inputs = [x.float() for x in inputs]
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

"""Batches pre-extracted snippet features ``(D, T)`` into ``(B, D, T)``."""
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor

from ...utils import IGNORE_INDEX, check_flag

# ``torch.compiler.disable`` (PyTorch >= 2.1), else the identity.
_not_compiled = getattr(getattr(torch, 'compiler', None), 'disable',
                        lambda fn: fn)


@MODELS.register_module()
class SnippetFeaturePreprocessor(BaseDataPreprocessor):
    """Moves features and samples to the model's device and stacks them.

    Training pipelines resample every video to the same length, so inputs
    are stacked into ``(B, D, T)``. Test pipelines keep each video's own
    length: when lengths differ the inputs stay a list of ``(D, T_i)`` and
    the localizer runs them one by one (padding would change the top-k
    pooling and the convolutions at the borders).

    With ``pad_batch=True`` a *training* batch of different lengths (e.g.
    ``RandomCropSnippets(pad=False)``) is zero-padded to its longest video
    instead, as ``RandomCropSnippets`` pads to its window: each padded
    sample's ``duration`` grows by its snippet length times the padding
    (so seconds map to the same snippets), ``valid_snippets`` keeps its
    real length (the detector's losses skip the rest) and its
    ``gt_click_labels`` are padded with the ignore index. Only for models
    whose losses honour ``valid_snippets`` (``AnchorFreeTAD``); test
    batches always stay lists.

    :meth:`forward` is never traced by ``torch.compile`` (MMEngine's
    ``cfg.compile`` compiles ``train_step``, which calls it): it only moves,
    stacks and pads the batch, and tracing the deep copy of the samples'
    metainfo (``BaseDataElement.to``) fails with NumPy values in it
    ("'ndarray' object has no attribute '__deepcopy__'", PyTorch 2.13).

    Args:
        pad_batch (bool): Defaults to False.
        non_blocking (bool): Copy the batch to the model's device without
            blocking (pinned memory, CUDA). Defaults to False.
    """

    def __init__(self, pad_batch: bool = False,
                 non_blocking: Optional[bool] = False) -> None:
        check_flag('pad_batch', pad_batch, owner=type(self).__name__)
        if non_blocking is not None:
            check_flag('non_blocking', non_blocking,
                       owner=type(self).__name__)
        super().__init__(non_blocking)
        self.pad_batch = bool(pad_batch)

    def _pad(self, inputs: List[torch.Tensor], samples) -> torch.Tensor:
        """Zero-pad ``(D, T_i)`` inputs to ``(B, D, max T_i)`` and adjust the
        samples (see the class docstring)."""
        T = max(x.shape[1] for x in inputs)
        for x, ds in zip(inputs, samples or []):
            n = x.shape[1]
            if n == T:
                continue
            meta = dict(
                duration=float(ds.metainfo['duration']) * T / n,
                valid_snippets=min(int(ds.metainfo.get('valid_snippets',
                                                       n)), n),
                num_snippets=T)
            ds.set_metainfo(meta)
            clicks = ds.get('gt_click_labels')
            if clicks is not None:
                ds.gt_click_labels = F.pad(clicks, (0, T - n),
                                           value=IGNORE_INDEX)
        return torch.stack([F.pad(x.float(), (0, T - x.shape[1]))
                            for x in inputs])

    @_not_compiled
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
            elif training and self.pad_batch:
                inputs = self._pad(list(inputs), data.get('data_samples'))
            else:
                inputs = [x.float() for x in inputs]
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

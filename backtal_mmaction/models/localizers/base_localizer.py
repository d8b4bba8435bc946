"""What every snippet-feature localizer of the plugin shares."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import nn

from ...utils import check_flag
from ..losses.utils import IGNORE_INDEX

ForwardResults = Union[Dict[str, torch.Tensor], List]


class BaseSnippetLocalizer(BaseModel):
    """``BaseModel`` over ``(B, D, T)`` snippet features, and the template
    every detector of the plugin follows.

    Shared by :class:`BackTAL` and :class:`AnchorFreeTAD`: the default
    ``SnippetFeaturePreprocessor``, the losses as a ``name -> cfg`` dict
    (``None`` entries skipped, so a child config can switch one off), the
    registered ``post_processor``, MMEngine's ``loss`` / ``predict`` /
    ``tensor`` dispatch and the two modes themselves::

        loss:    outputs = forward_features(x)          x (B, D, T)
                 targets = _targets(outputs, samples, T, device)
                 {'loss_<name>': loss(outputs, targets)}
        predict: every video alone (a list of (D, T_i)) or its slice of
                 one batch forward (a (B, D, T) tensor);
                 det = _decode(out, T, metainfo)   (calls post_processor)
                 pred_instances = _pack_detections(det)
                 raw_outputs (if keep_raw_outputs) = _raw_outputs(out)

    A new detector implements ``forward_features(x) -> dict`` (tensors
    ``(1, ...)`` per sample in their first dim, except the
    ``shared_output_keys``), ``_targets`` and ``_decode``, and names its
    post-processor in the config; ``tensor`` mode runs a list of
    variable-length ``(D, T_i)`` inputs one by one.

    Class attributes a subclass may set:

    - ``required_meta``: metainfo keys ``predict`` needs (default
      ``('duration', )``), checked with a message naming the video.
    - ``shared_output_keys``: outputs without a batch dimension (e.g.
      AnchorFreeTAD's ``points`` ``(P, 3)``), not split per sample.
    - ``raw_output_keys``: the outputs ``keep_raw_outputs`` returns (None:
      every tensor output).
    - ``pred_dtype``: dtype of the ``segments`` / ``scores`` of
      ``pred_instances`` (float32, as MMAction2's localizers).

    Args:
        losses (dict, optional): ``name -> loss cfg``.
        post_processor (dict, optional): Built from ``MODELS``; required
            for ``predict``.
        keep_raw_outputs (bool): Also attach each video's raw outputs
            (``raw_outputs``, float32 NumPy) to the predicted samples, so
            post-processing can be re-tuned without the network. Tools
            (``--save-raw``, CAS visualization) switch it on. Defaults to
            False.
        data_preprocessor (dict, optional): Defaults to
            ``SnippetFeaturePreprocessor``.
    """

    required_meta: Tuple[str, ...] = ('duration', )
    shared_output_keys: Tuple[str, ...] = ()
    raw_output_keys: Optional[Tuple[str, ...]] = None
    pred_dtype: torch.dtype = torch.float32

    def __init__(self,
                 losses: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 post_processor: Optional[dict] = None,
                 keep_raw_outputs: bool = False) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SnippetFeaturePreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.losses = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in (losses or {}).items() if cfg is not None
        })
        # Not an nn.Module: no parameters, nothing in the state dict.
        self.post_processor = (MODELS.build(post_processor)
                               if post_processor else None)
        check_flag('keep_raw_outputs', keep_raw_outputs,
                   owner=type(self).__name__)
        self.keep_raw_outputs = bool(keep_raw_outputs)

    def forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self,
                inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[Sequence] = None,
                mode: str = 'tensor') -> ForwardResults:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            if isinstance(inputs, (list, tuple)):
                return [self.forward_features(x[None]) for x in inputs]
            return self.forward_features(inputs)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    # ------------------------------------------------------------------ #
    # training
    # ------------------------------------------------------------------ #
    def _targets(self, outputs: Dict[str, torch.Tensor],
                 data_samples: Sequence, num_snippets: int,
                 device: torch.device) -> dict:
        """The targets every loss receives (after ``forward_features``).

        Args:
            outputs (dict): ``forward_features`` of the batch.
            data_samples (Sequence[ActionDataSample]): B samples.
            num_snippets (int): T of the ``(B, D, T)`` inputs.
            device (torch.device): Of the inputs.
        """
        raise NotImplementedError

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """``{'loss_<name>': loss(outputs, targets)}`` of ``(B, D, T)``
        inputs; ``forward_features`` runs before ``_targets``."""
        if isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'{type(self).__name__} training needs equal-length videos '
                'in a batch; resample them with `ResampleSnippets('
                'num_segments=...)` in the training pipeline.')
        outputs = self.forward_features(inputs)
        targets = self._targets(outputs, data_samples, inputs.shape[-1],
                                inputs.device)
        return {f'loss_{name}': loss(outputs, targets)
                for name, loss in self.losses.items()}

    @staticmethod
    def _click_labels(data_samples: Sequence, num_snippets: int,
                      device: torch.device) -> torch.Tensor:
        """``(B, T)`` int64 snippet click labels; a sample without
        ``gt_click_labels`` (no click file) is all ``IGNORE_INDEX``."""
        clicks = [ds.get('gt_click_labels') for ds in data_samples]
        return torch.stack([
            c.to(device) if c is not None else torch.full(
                (num_snippets, ), IGNORE_INDEX, device=device)
            for c in clicks
        ]).long()

    # ------------------------------------------------------------------ #
    # inference
    # ------------------------------------------------------------------ #
    def _predict_forward_kwargs(self) -> dict:
        """Extra ``forward_features`` arguments at test time."""
        return {}

    def _split_batch(self, inputs: Union[torch.Tensor, List[torch.Tensor]]
                     ) -> List[Tuple[dict, int]]:
        """``(outputs, T)`` of every video.

        A list of ``(D, T_i)`` (videos of different lengths) runs one by
        one, so each video is decoded from exactly the computation it would
        get alone (no padding); a ``(B, D, T)`` batch runs once and every
        output but the ``shared_output_keys`` is sliced to ``(1, ...)``.
        """
        kwargs = self._predict_forward_kwargs()
        if isinstance(inputs, (list, tuple)):
            return [(self.forward_features(x[None], **kwargs), x.shape[-1])
                    for x in inputs]
        full = self.forward_features(inputs, **kwargs)
        shared = self.shared_output_keys
        return [({k: (v if v is None or k in shared else v[i:i + 1])
                  for k, v in full.items()}, inputs.shape[-1])
                for i in range(len(inputs))]

    def _video_meta(self, data_sample) -> dict:
        """The ``required_meta`` of one sample; a missing key is an error
        naming the video and the model."""
        meta = data_sample.metainfo
        missing = [k for k in self.required_meta if meta.get(k) is None]
        if missing:
            keys = ' and '.join(f'`{k}`' for k in self.required_meta)
            them = 'it' if len(self.required_meta) == 1 else 'them'
            raise ValueError(
                f"video {meta.get('video_name')!r}: "
                f'{type(self).__name__}.predict needs {keys} in the sample '
                f'metainfo (PackClickLocalizationInputs adds {them}).')
        return {k: meta[k] for k in self.required_meta}

    def _decode(self, outputs: Dict[str, torch.Tensor], num_snippets: int,
                meta: dict) -> Dict[str, np.ndarray]:
        """One video's detections from its outputs (``(1, ...)`` tensors)
        through ``self.post_processor``: ``segments`` ``(K, 2)`` seconds,
        ``scores`` ``(K,)``, ``labels`` ``(K,)``."""
        raise NotImplementedError

    def _pack_detections(self, det: Dict[str, np.ndarray]) -> InstanceData:
        """``pred_instances`` for ``TALMetric``: ``segments`` ``(K, 2)`` and
        ``scores`` ``(K,)`` as ``pred_dtype``, ``labels`` ``(K,)`` int64."""
        pred = InstanceData()
        pred.segments = torch.as_tensor(det['segments'],
                                        dtype=self.pred_dtype)
        pred.scores = torch.as_tensor(det['scores'], dtype=self.pred_dtype)
        pred.labels = torch.as_tensor(det['labels'], dtype=torch.long)
        return pred

    def _raw_outputs(self, outputs: Dict[str, torch.Tensor]) -> dict:
        """One video's ``raw_output_keys`` as float32 NumPy arrays, the
        batch dim dropped (the ``shared_output_keys`` have none)."""
        keys = self.raw_output_keys
        if keys is None:
            keys = [k for k, v in outputs.items()
                    if isinstance(v, torch.Tensor)]
        raw = {}
        for key in keys:
            value = outputs[key].detach().float().cpu().numpy()
            raw[key] = value if key in self.shared_output_keys else value[0]
        return raw

    @torch.no_grad()
    def predict(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Sequence) -> list:
        """Set ``pred_instances`` (and ``raw_outputs`` when
        ``keep_raw_outputs``) on every sample; ``inputs`` is a ``(B, D, T)``
        tensor or a list of ``(D, T_i)``."""
        if self.post_processor is None:
            raise ValueError(f'{type(self).__name__}.predict needs a '
                             '`post_processor` in the model config.')
        for (out, T), ds in zip(self._split_batch(inputs), data_samples):
            meta = self._video_meta(ds)
            ds.pred_instances = self._pack_detections(
                self._decode(out, T, meta))
            if self.keep_raw_outputs:
                ds.raw_outputs = self._raw_outputs(out)
        return list(data_samples)

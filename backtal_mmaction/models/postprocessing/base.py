"""What every post-processor offers besides its call: decoding one video
again from the raw outputs its detector saved (``keep_raw_outputs``,
``tools/test.py --save-raw``), so that ``tools/analysis/postprocess_raw.py``
re-scores any setting without the network, for any detector."""
from typing import Dict, Mapping, Optional, Tuple

import numpy as np


class BasePostProcessor:
    """Base of the registered post-processors.

    A subclass is called online by its detector's ``_decode`` (one video's
    output tensors -> detections) and declares how to do the same from the
    saved arrays:

    - ``raw_keys``: the raw-output arrays it reads (each present in every
      raw file it can decode; optional inputs are not listed);
    - :meth:`_from_raw`: the call on those arrays, so that the detections
      equal the online ones (the raw arrays are the float32 outputs the
      online call received).

    Detections are a dict: ``segments`` ``(K, 2)`` seconds, ``scores``
    ``(K,)``, ``labels`` ``(K,)`` int64, by descending score.
    """

    raw_keys: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        # the settings, as given to __init__ (the post-processors keep
        # each keyword as an attribute of the same name)
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'

    def from_raw(self, raw: Mapping,
                 num_classes: Optional[int] = None) -> Dict[str, np.ndarray]:
        """One video's detections from its saved raw outputs.

        Args:
            raw (Mapping): A raw record (``load_raw_record``): the arrays of
                ``raw_keys`` plus ``video_name``, ``duration`` (seconds) and
                ``num_frames`` (None when unknown).
            num_classes (int, optional): The class count the arrays must
                have (the config's); unchecked if None.

        Raises:
            ValueError: naming the video: an array of ``raw_keys`` is
                missing, or the subclass's shape / metadata checks fail.
        """
        name = raw.get('video_name')
        missing = [k for k in self.raw_keys if k not in raw]
        if missing:
            arrays = sorted(k for k, v in raw.items()
                            if isinstance(v, np.ndarray) and v.ndim > 0)
            raise ValueError(
                f'video {name!r}: raw outputs lack {", ".join(missing)}, '
                f'which {type(self).__name__} reads (they have '
                f'{", ".join(arrays)})')
        return self._from_raw(raw, num_classes)

    def _from_raw(self, raw: Mapping,
                  num_classes: Optional[int]) -> Dict[str, np.ndarray]:
        raise NotImplementedError(
            f'{type(self).__name__} cannot decode saved raw outputs (it '
            'does not implement `_from_raw`)')

    def _raw_meta(self, raw: Mapping, key: str):
        """``raw[key]`` (a metadata value), or a ValueError naming the
        video when the raw file did not record it."""
        value = raw.get(key)
        if value is None:
            raise ValueError(
                f"video {raw.get('video_name')!r}: raw outputs lack "
                f'`{key}`, which {type(self).__name__} needs')
        return value

    @staticmethod
    def _check_shape(raw: Mapping, key: str, ok: bool,
                     expected: str) -> None:
        """Refuse a raw array of the wrong shape (e.g. of a model with
        another class count than the config's), naming the video."""
        if not ok:
            raise ValueError(
                f"video {raw.get('video_name')!r}: raw {key} has shape "
                f'{tuple(np.shape(raw[key]))}, expected {expected}')

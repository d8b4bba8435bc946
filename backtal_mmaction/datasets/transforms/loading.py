"""Loading pre-extracted snippet features (official BackTAL, plain arrays
and MMAction2's ActivityNet CSVs)."""
import os.path as osp
import pickle
import warnings
import zipfile
from typing import Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...utils import check_flags, check_range

LAYOUTS = ('auto', 'official', 'array')
AXES = ('TC', 'CT')
# Feature arrays must hold real floating-point numbers: an integer, bool or
# complex array is a wrong file, not features (complex would only warn and
# drop the imaginary part).
FLOAT_DTYPES = ('float16', 'float32', 'float64')
# What NumPy raises for a truncated, garbage or pickled (object) file; its
# messages name no file.
_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile,
                pickle.UnpicklingError, KeyError)


def check_float_features(arr: np.ndarray, where: str) -> None:
    """Raise ValueError naming ``where`` unless ``arr`` is float16/32/64."""
    if arr.dtype.name not in FLOAT_DTYPES:
        raise ValueError(f'{where} holds {arr.dtype.name} values; features '
                         f'must be floating point ({"/".join(FLOAT_DTYPES)})')


def check_snippet_features(feat: np.ndarray, source: str,
                           feat_dim: Optional[int] = None) -> np.ndarray:
    """The checks every feature array gets, read from a file or given in
    memory: 2-D ``(D, T)``, ``D == feat_dim`` (with a hint when the array
    looks transposed), ``T >= 1``, finite values.

    Args:
        feat (np.ndarray): ``(D, T)`` floating-point features.
        source (str): Names the video / file in messages.
        feat_dim (int, optional): The ``D`` the config expects.

    Returns:
        np.ndarray: ``(D, T)`` contiguous float32.
    """
    if feat.ndim != 2:
        raise ValueError(f'{source}: features must be 2-D, got shape '
                         f'{feat.shape}')
    dim, length = feat.shape
    if feat_dim is not None and dim != feat_dim:
        hint = (' (is `axis` right? the array looks transposed)'
                if length == feat_dim else '')
        raise ValueError(f'{source} has feature dim {dim} but the config '
                         f'expects feat_dim={feat_dim}{hint}')
    if length == 0:
        raise ValueError(f'{source} has 0 snippets (T=0)')
    feat = np.ascontiguousarray(feat, dtype=np.float32)
    bad = ~np.isfinite(feat)
    if bad.any():
        raise ValueError(
            f'{source} holds {int(bad.sum())} NaN/Inf values (first at '
            f'snippet {int(np.argwhere(bad)[0][1])})')
    return feat


def read_feature_csv(path: str) -> np.ndarray:
    """A feature CSV as MMAction2's ``LoadLocalizationFeature`` reads it
    (``np.loadtxt(..., delimiter=',', skiprows=1)`` in float32), rows as
    they are: ``(rows, columns)``.

    MMAction2 skips the first row unread, as its files' header; here a
    first row of numbers is data, so a file without a header loses no
    snippet. A UTF-8 byte-order mark is skipped.

    Raises:
        ValueError: No data row (an empty or header-only file), a row that
            is not numbers, or rows of unequal length (NumPy's message);
            the caller names the video.
    """
    with open(path, encoding='utf-8-sig') as f:
        first = f.readline()
        try:
            [float(x) for x in first.split(',')]
            # data: read from the start ('utf-8-sig' skips a BOM again)
            f.seek(0)
        except ValueError:
            pass  # a header: read on from the second line
        with warnings.catch_warnings():
            # "input contained no data": refused below, naming the file
            warnings.simplefilter('ignore', UserWarning)
            arr = np.loadtxt(f, dtype=np.float32, delimiter=',', ndmin=2)
    if arr.shape[0] == 0:
        raise ValueError(f'{path}: no data rows (an empty file, or a header '
                         'only)')
    return arr


@TRANSFORMS.register_module()
class LoadSnippetFeature(BaseTransform):
    """Load ``results['feature_path']`` into ``results['features']`` ``(D, T)``.

    Layouts:

    - ``'official'``: the BackTAL release's ``.npz`` files with ``feat_spa``
      and ``feat_tem``, each ``(C, T)``, concatenated to ``(2C, T)`` (RGB
      first). Test files also carry ``frame_num``, ``fps`` and ``duration``
      (``frame_num`` becomes ``num_frames``; fps/duration fill in only what
      the GT lacks). Train files carry ``point_label`` ``(T,)`` (background
      index at clicked snippets, -100 elsewhere), kept as
      ``results['point_label']`` when ``load_point_label``.
    - ``'array'``: a ``.npy`` array, or the array ``array_key`` (or the only
      array) of an ``.npz``, laid out ``(T, C)`` or ``(C, T)`` per ``axis``;
      or a ``.csv`` of MMAction2's ActivityNet features
      (``csv_mean_100/<video>.csv``: a header row, then one row per
      snippet, read as its ``LoadLocalizationFeature`` reads them; a file
      whose first row is numbers has no header and keeps that row).
    - ``'auto'``: ``'official'`` for ``.npz`` files holding ``feat_spa`` and
      ``feat_tem``, else ``'array'``.

    Args:
        layout (str): See above. Defaults to ``'auto'``.
        axis (str): ``'TC'`` (time first, the common ``.npy`` layout) or
            ``'CT'``, for the ``'array'`` layout. Defaults to ``'TC'``.
        feat_dim (int, optional): Expected D; a file with another D raises.
        array_key (str, optional): Array name inside a plain ``.npz``.
        load_point_label (bool): Keep official ``point_label``.
        mmap (bool): Memory-map ``.npy`` files (large datasets).
    """

    def __init__(self,
                 layout: str = 'auto',
                 axis: str = 'TC',
                 feat_dim: Optional[int] = None,
                 array_key: Optional[str] = None,
                 load_point_label: bool = True,
                 mmap: bool = False) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f'LoadSnippetFeature: layout {layout!r} not in '
                             f'{LAYOUTS}')
        if axis not in AXES:
            raise ValueError(f'LoadSnippetFeature: axis {axis!r} not in '
                             f'{AXES}')
        if feat_dim is not None:
            check_range('feat_dim', feat_dim, 1, integer=True,
                        owner=type(self).__name__)
        check_flags(type(self).__name__, load_point_label=load_point_label,
                    mmap=mmap)
        self.layout = layout
        self.axis = axis
        self.feat_dim = feat_dim
        self.array_key = array_key
        self.load_point_label = load_point_label
        self.mmap = mmap

    def _read(self, path: str, results: dict) -> np.ndarray:
        if path.endswith('.csv'):
            if self.layout == 'official':
                raise ValueError(f'{path}: layout="official" expects .npz '
                                 'files with feat_spa/feat_tem')
            arr = read_feature_csv(path)
            return arr if self.axis == 'CT' else arr.T
        if path.endswith('.npy'):
            if self.layout == 'official':
                raise ValueError(f'{path}: layout="official" expects .npz '
                                 'files with feat_spa/feat_tem')
            arr = np.load(path, mmap_mode='r' if self.mmap else None)
            check_float_features(arr, path)
            return arr if self.axis == 'CT' else arr.T
        with np.load(path) as npz:
            keys = list(npz.keys())
            official = 'feat_spa' in keys and 'feat_tem' in keys
            if self.layout == 'official' and not official:
                raise ValueError(f'{path}: layout="official" needs arrays '
                                 f'"feat_spa" and "feat_tem", found {keys}')
            if official and self.layout != 'array':
                spa, tem = npz['feat_spa'], npz['feat_tem']
                if spa.ndim != 2 or spa.shape != tem.shape:
                    raise ValueError(
                        f'{path}: feat_spa {spa.shape} and feat_tem '
                        f'{tem.shape} must both be (C, T) of equal shape')
                check_float_features(spa, f'{path} (feat_spa)')
                check_float_features(tem, f'{path} (feat_tem)')
                for key, target in (('frame_num', 'num_frames'),
                                    ('fps', 'fps'), ('duration', 'duration')):
                    if key in keys and (key == 'frame_num'
                                        or not results.get(target)):
                        results[target] = npz[key].item()
                if self.load_point_label and 'point_label' in keys:
                    results['point_label'] = np.asarray(
                        npz['point_label'], np.int64).reshape(-1)
                return np.concatenate([spa, tem], axis=0)
            key = self.array_key
            if key is None:
                if len(keys) != 1:
                    raise ValueError(
                        f'{path}: holds arrays {keys}; set array_key to '
                        'choose one (or layout="official")')
                key = keys[0]
            elif key not in keys:
                raise ValueError(f'{path}: no array {key!r} (has {keys})')
            arr = npz[key]
            check_float_features(arr, f'{path} (array {key!r})'
                                 if len(keys) > 1 else path)
            return arr if self.axis == 'CT' else arr.T

    def transform(self, results: dict) -> dict:
        path = results['feature_path']
        name = results.get('video_name', osp.basename(path))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'video {name!r}: feature file not found: {path}')
        try:
            feat = self._read(path, results)
        except _READ_ERRORS as e:
            if isinstance(e, ValueError) and path in str(e):
                # Our own checks: already name the file.
                raise ValueError(f'video {name!r}: {e}') from None
            raise ValueError(
                f'video {name!r}: cannot read feature file {path} '
                f'(truncated, corrupt or not a NumPy .npy/.npz file or a '
                f'CSV of numbers): '
                f'{type(e).__name__}: {e}') from None
        feat = check_snippet_features(feat, f'video {name!r}: {path}',
                                      self.feat_dim)
        length = feat.shape[1]
        pl = results.get('point_label')
        if pl is not None and len(pl) != length:
            raise ValueError(f'video {name!r}: point_label in {path} has '
                             f'length {len(pl)} but the features have T='
                             f'{length}')
        results['features'] = feat
        results['num_snippets'] = length
        results['orig_num_snippets'] = length
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(layout={self.layout!r}, '
                f'axis={self.axis!r}, feat_dim={self.feat_dim})')

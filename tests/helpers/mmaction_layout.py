"""A benchmark of this plugin's layout rewritten in MMAction2's ActivityNet
layout (``anet_anno_<split>.json`` + ``csv_mean_100``-style feature CSVs),
for the tests that read MMAction2's own data files."""
import json
from pathlib import Path
from typing import Optional

import numpy as np

__all__ = ['write_feature_csv', 'write_mmaction_layout']


def write_feature_csv(path: Path, feats: np.ndarray,
                      header: bool = True) -> None:
    """``(T, D)`` features as MMAction2's csv_mean_100 files hold them:
    a header row (``f0,f1,...``), then one row per snippet in ``%.9g``
    (float32 values read back exactly)."""
    names = ','.join(f'f{i}' for i in range(feats.shape[1]))
    np.savetxt(path, feats, fmt='%.9g', delimiter=',', comments='',
               header=names if header else '')


def write_mmaction_layout(src: Path, dst: Path,
                          feature_frames: Optional[dict] = None) -> dict:
    """Rewrite the benchmark at ``src`` (``gt.json`` with fps,
    ``features/<video>.npy`` ``(T, D)``) under ``dst``.

    Each split gets ``anet_anno_<split>.json`` (``duration_second``,
    ``duration_frame = round(duration * fps)``, ``fps``, ``feature_frame``:
    ``duration_frame`` unless ``feature_frames`` gives the video's) and
    each video ``csv/<video>.csv``: a header row, then one row per snippet
    in ``%.9g`` (float32 values read back exactly).

    Returns:
        dict: ``anno`` {split: path}, ``csv`` (the feature folder).
    """
    src, dst = Path(src), Path(dst)
    database = json.loads((src / 'gt.json').read_text())['database']
    (dst / 'csv').mkdir(parents=True, exist_ok=True)
    annos = {}
    for name, info in database.items():
        frames = int(round(info['duration'] * info['fps']))
        covered = (feature_frames or {}).get(name, frames)
        annos.setdefault(info['subset'], {})[name] = dict(
            duration_second=info['duration'], duration_frame=frames,
            annotations=info['annotations'], feature_frame=covered,
            fps=float(info['fps']), rfps=float(info['fps']))
        write_feature_csv(dst / 'csv' / f'{name}.csv',
                          np.load(src / 'features' / f'{name}.npy'))
    paths = {}
    for split, anno in annos.items():
        paths[split] = dst / f'anet_anno_{split}.json'
        paths[split].write_text(json.dumps(anno))
    return dict(anno=paths, csv=dst / 'csv')

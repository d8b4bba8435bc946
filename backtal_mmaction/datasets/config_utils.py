"""Helpers that adapt dataset configs (used by tools and tests)."""
import os.path as osp

SPLITS = ('train', 'val', 'test')


def retarget_synthetic_config(cfg, data_root: str) -> None:
    """Point every dataloader of a synthetic-benchmark config at the files
    that ``tools/data/generate_synthetic.py --out data_root`` wrote
    (``gt.json``, ``clicks.json``, ``features/``), in place."""
    root = osp.join(str(data_root), '')
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        ds = loader.dataset
        ds.ann_file = root + 'gt.json'
        ds.data_prefix = dict(feature=root + 'features')
        if ds.get('click_file'):
            ds.click_file = root + 'clicks.json'

"""The eight mix-and-match variants exist for every dataset (each one
trains and tests through the Runner in ``test_every_config.py``)."""
import pytest

from tests.helpers import REPO, build_runner, synthetic_cfg

VARIANTS = sorted(p.name for p in (REPO / 'configs/ablation/synthetic').glob(
    '[0-9]_*.py'))


def test_eight_variants_per_dataset():
    for name in ('synthetic', 'thumos14', 'activitynet12'):
        found = sorted(p.name for p in (REPO / 'configs/ablation' /
                                        name).glob('[0-9]_*.py'))
        assert found == VARIANTS and len(found) == 8


def test_click_variant_without_clicks_fails_clearly(tiny_synthetic,
                                                    tmp_path):
    cfg = synthetic_cfg(tiny_synthetic,
                        config='configs/ablation/synthetic/4_bg_click.py',
                        work_dir=tmp_path)
    cfg.train_dataloader.dataset.click_file = None
    runner = build_runner(cfg)
    with pytest.raises(ValueError, match='needs clicks'):
        runner.train()

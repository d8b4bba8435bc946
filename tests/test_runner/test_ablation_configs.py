"""All eight mix-and-match variants train and test through the Runner."""
import pytest

from tests.conftest import REPO, build_runner, synthetic_cfg

VARIANTS = sorted(p.name for p in (REPO / 'configs/ablation/synthetic').glob(
    '[0-9]_*.py'))


def test_eight_variants_per_dataset():
    for name in ('synthetic', 'thumos14', 'activitynet12'):
        found = sorted(p.name for p in (REPO / 'configs/ablation' /
                                        name).glob('[0-9]_*.py'))
        assert found == VARIANTS and len(found) == 8


@pytest.mark.parametrize('variant', VARIANTS)
def test_variant_trains_and_tests(variant, tiny_synthetic, tmp_path):
    cfg = synthetic_cfg(tiny_synthetic,
                        config=f'configs/ablation/synthetic/{variant}',
                        work_dir=tmp_path, epochs=1)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    assert 0 <= metrics['tal/mAP_avg'] <= 100


def test_click_variant_without_clicks_fails_clearly(tiny_synthetic,
                                                    tmp_path):
    cfg = synthetic_cfg(tiny_synthetic,
                        config='configs/ablation/synthetic/4_bg_click.py',
                        work_dir=tmp_path)
    cfg.train_dataloader.dataset.click_file = None
    runner = build_runner(cfg)
    with pytest.raises(ValueError, match='needs clicks'):
        runner.train()

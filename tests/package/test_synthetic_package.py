"""``datasets.synthetic`` is a package of modules under the size rule that
exports what the single ``synthetic.py`` module exported."""
from pathlib import Path

import backtal_mmaction.datasets.synthetic as synthetic

# The names of synthetic.py before the split (its __all__), plus the
# settings dataclass added since; and the two constants that tools and tests
# imported from it besides.
OLD_ALL = {
    'SyntheticConfig', 'make_prototypes', 'synthesize_video_features',
    'synthesize_gt', 'generate_synthetic_benchmark', 'num_snippets',
    'class_groups', 'class_median_seconds', 'MIN_VIDEO_SECONDS'
} | {'SyntheticBenchmarkConfig'}


def test_same_exports_as_the_module():
    assert set(synthetic.__all__) == OLD_ALL
    for name in OLD_ALL:
        assert getattr(synthetic, name) is not None
    assert synthetic.GT_VERSION == 'backtal-synthetic/2.0'
    assert synthetic.DEFAULT_NUM_VIDEOS == dict(train=200, val=20, test=200)
    assert synthetic.MIN_VIDEO_SECONDS == 2.0
    from backtal_mmaction.datasets import generate_synthetic_benchmark
    assert generate_synthetic_benchmark is \
        synthetic.generate_synthetic_benchmark


def test_modules_under_450_lines():
    folder = Path(synthetic.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines())
             for p in folder.glob('*.py')}
    assert len(sizes) >= 5, sizes
    assert max(sizes.values()) < 450, sizes

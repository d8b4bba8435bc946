"""Fine-tuning and pretrained parts through the Runner:
``CheckpointCompatibilityHook(reinitialize=...)`` with ``load_from`` or a
``Pretrained`` ``init_cfg``, and ``Pretrained`` parts (``prefix``).

Expectations are read off the weights themselves: what the model was built
with (before the Runner initializes or loads anything) and what the
checkpoint holds, compared with the weights the first training step sees.
"""
import copy

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope

from backtal_mmaction.engine.checkpoint.compat import CheckpointMismatchError
from backtal_mmaction.engine.hooks import CheckpointCompatibilityHook

from tests.helpers import build_runner, synthetic_cfg

AF_CONFIG = 'configs/anchor_free_tad/anchor_free_tad_synthetic_full_gt.py'


class WeightProbe(Hook):
    """Runs after every other hook: the weights as built (``before_run``:
    the Runner initializes and loads only after it) and as the first step
    sees them (``before_train``) or the test sees them (``before_test``)."""
    priority = 'LOWEST'

    def __init__(self):
        self.seen = {}

    def _keep(self, name, runner):
        self.seen[name] = {k: v.detach().clone()
                           for k, v in runner.model.state_dict().items()}

    def before_run(self, runner):
        self._keep('built', runner)

    def before_train(self, runner):
        self._keep('start', runner)

    def before_test(self, runner):
        self._keep('test', runner)


def _cfg(data, tmp_path, config='configs/backtal/backtal_synthetic.py',
         hook=None, **top):
    cfg = synthetic_cfg(data, config=config, work_dir=tmp_path / 'wd',
                        epochs=1, validate=False)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h['type'] != 'CheckpointCompatibilityHook']
    if hook is not None:
        cfg.custom_hooks.append(hook)
    cfg.merge_from_dict(top)
    return cfg


def _run(cfg, mode='train'):
    runner = build_runner(cfg)
    probe = WeightProbe()
    runner.register_hook(probe)
    getattr(runner, mode)()
    return probe.seen


def _other_checkpoint(cfg, path, num_classes, seed=123):
    """A checkpoint of ``cfg``'s model with ``num_classes`` classes and
    weights of another seed (so every tensor differs from a fresh build)."""
    init_default_scope('mmaction')
    model_cfg = copy.deepcopy(cfg.model)
    head = 'cls_head' if 'cls_head' in model_cfg else 'head'
    model_cfg[head]['num_classes'] = num_classes
    torch.manual_seed(seed)
    state = MODELS.build(model_cfg).state_dict()
    torch.save({'state_dict': state, 'meta': {}}, str(path))
    return str(path), state


def _under(state, module):
    return {k: v for k, v in state.items() if k.startswith(module + '.')}


def _assert_equal(got, want):
    assert got.keys() == want.keys()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0,
                                   msg=key)


def _assert_all_differ(got, other):
    for key in other:
        assert not torch.equal(got[key], other[key]), key


REINIT = dict(type='CheckpointCompatibilityHook', reinitialize=['cls_head'])


@pytest.mark.parametrize('ckpt_classes', [4, 3])
def test_load_from_fine_tunes_with_a_fresh_classifier(tiny_synthetic,
                                                      tmp_path, ckpt_classes):
    """Every weight from the checkpoint but the classifier, which keeps
    the built weights: whether the checkpoint's classifier has another
    class count (4) or happens to fit (3)."""
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c.pth', ckpt_classes)
    cfg.load_from = ckpt
    seen = _run(cfg)
    start, built = seen['start'], seen['built']
    _assert_equal(_under(start, 'cls_head'), _under(built, 'cls_head'))
    assert start['cls_head.conv.weight'].shape[0] == 4  # 3 classes + bg
    rest = {k: v for k, v in state.items() if not k.startswith('cls_head.')}
    _assert_equal({k: start[k] for k in rest}, rest)
    _assert_all_differ({k: built[k] for k in rest}, rest)
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert 'Fine-tuning: cls_head kept the weights the model was built ' \
        'with (1 tensor(s))' in log


def test_without_reinitialize_the_hint_names_the_option(tiny_synthetic,
                                                        tmp_path):
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook'))
    cfg.load_from, _ = _other_checkpoint(cfg, tmp_path / 'c4.pth', 4)
    with pytest.raises(CheckpointMismatchError) as err:
        _run(cfg)
    msg = str(err.value)
    assert "reinitialize=['cls_head.conv']" in msg
    assert 'cls_head.conv.weight: checkpoint [5, 16, 1] vs model [4, 16, 1]' \
        in msg
    # The advice, followed as written, trains.
    cfg.custom_hooks[-1]['reinitialize'] = ['cls_head.conv']
    cfg.work_dir = str(tmp_path / 'wd2')
    seen = _run(cfg)
    _assert_equal(_under(seen['start'], 'cls_head'),
                  _under(seen['built'], 'cls_head'))


def test_other_mismatches_are_still_refused(tiny_synthetic, tmp_path):
    """Only the named modules may differ: a checkpoint of another width
    is refused although the classifier is re-initialized."""
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    wide = copy.deepcopy(cfg)
    wide.model.backbone.hidden_channels = 24
    wide.model.cls_head.in_channels = 24
    cfg.load_from, _ = _other_checkpoint(wide, tmp_path / 'w.pth', 3)
    with pytest.raises(CheckpointMismatchError, match='backbone.conv_1'):
        _run(cfg)


def test_test_and_resume_load_every_parameter(tiny_synthetic, tmp_path):
    """``reinitialize`` acts only when a training run starts from a
    checkpoint: testing a fine-tuned checkpoint with the fine-tuning config
    uses its classifier, and so does resuming."""
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c3.pth', 3)
    cfg.load_from = ckpt
    seen = _run(cfg, mode='test')
    _assert_equal(seen['test'], state)

    first = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    _run(first)  # writes wd/epoch_1.pth
    trained = torch.load(str(tmp_path / 'wd' / 'epoch_1.pth'),
                         weights_only=False)['state_dict']
    resumed = _cfg(tiny_synthetic, tmp_path, hook=REINIT, resume=True)
    resumed.train_cfg.max_epochs = 2
    seen = _run(resumed)
    _assert_equal(seen['start'], trained)


def test_pretrained_init_cfg_of_the_whole_model(tiny_synthetic, tmp_path):
    """MMEngine's ``Pretrained`` init of the model reads our checkpoints
    (they hold MessageHub state that ``weights_only`` refuses without the
    allow-list), is checked like ``load_from``, and fine-tunes with
    ``reinitialize``."""
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook'))
    _run(cfg)  # a real Runner checkpoint, MessageHub included
    ckpt = str(tmp_path / 'wd' / 'epoch_1.pth')
    state = torch.load(ckpt, weights_only=False)['state_dict']

    cfg = _cfg(tiny_synthetic, tmp_path / 'b',
               hook=dict(type='CheckpointCompatibilityHook'))
    cfg.model.init_cfg = dict(type='Pretrained', checkpoint=ckpt)
    _assert_equal(_run(cfg)['start'], state)

    other, other_state = _other_checkpoint(cfg, tmp_path / 'c4.pth', 4)
    cfg = _cfg(tiny_synthetic, tmp_path / 'c',
               hook=dict(type='CheckpointCompatibilityHook'))
    cfg.model.init_cfg = dict(type='Pretrained', checkpoint=other)
    with pytest.raises(CheckpointMismatchError,
                       match=r'whose init_cfg loads it(.|\n)*reinitialize'):
        _run(cfg)

    # Fine-tuning: with another class count (MMEngine would skip that
    # classifier itself) and with the same one (it would load it).
    same, same_state = _other_checkpoint(cfg, tmp_path / 'c3.pth', 3)
    for ckpt, ckpt_state in ((other, other_state), (same, same_state)):
        cfg = _cfg(tiny_synthetic, tmp_path / 'd', hook=REINIT)
        cfg.model.init_cfg = dict(type='Pretrained', checkpoint=ckpt)
        seen = _run(cfg)
        _assert_equal(_under(seen['start'], 'cls_head'),
                      _under(seen['built'], 'cls_head'))
        rest = {k: v for k, v in ckpt_state.items()
                if not k.startswith('cls_head.')}
        _assert_equal({k: seen['start'][k] for k in rest}, rest)


def test_pretrained_part_with_prefix(tiny_synthetic, tmp_path):
    """``model.backbone.init_cfg`` with a prefix loads the backbone only;
    a wrong prefix or another part's weights are refused by name."""
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook'))
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c.pth', 3)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=ckpt,
                                       prefix='backbone')
    seen = _run(cfg)
    _assert_equal(_under(seen['start'], 'backbone'),
                  _under(state, 'backbone'))
    for part in ('cls_head', 'fg_filter', 'embedding'):
        _assert_equal(_under(seen['start'], part),
                      _under(seen['built'], part))

    cfg.model.backbone.init_cfg.prefix = 'head.'
    cfg.work_dir = str(tmp_path / 'wd2')
    with pytest.raises(CheckpointMismatchError,
                       match=r"no parameter under the prefix 'head\.'"):
        _run(cfg)
    cfg.model.backbone.init_cfg.prefix = 'fg_filter.'
    with pytest.raises(CheckpointMismatchError,
                       match=r'model\.backbone \(AffinityTCN\)'):
        _run(cfg)


def test_anchor_free_classifier_is_reinitialized(tiny_synthetic, tmp_path):
    hook = dict(type='CheckpointCompatibilityHook',
                reinitialize='head.cls_out')
    cfg = _cfg(tiny_synthetic, tmp_path, config=AF_CONFIG, hook=hook)
    cfg.load_from, state = _other_checkpoint(cfg, tmp_path / 'c5.pth', 5)
    seen = _run(cfg)
    _assert_equal(_under(seen['start'], 'head.cls_out'),
                  _under(seen['built'], 'head.cls_out'))
    rest = {k: v for k, v in state.items()
            if not k.startswith('head.cls_out.')}
    _assert_equal({k: seen['start'][k] for k in rest}, rest)


def test_reinitialize_names_are_checked(tiny_synthetic, tmp_path):
    with pytest.raises(ValueError, match='module names'):
        CheckpointCompatibilityHook(reinitialize=[1])
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook',
                         reinitialize=['cls_haed']))
    with pytest.raises(ValueError, match=r"\['cls_haed'\].*not a module of "
                       r'BackTAL.*cls_head'):
        _run(cfg)

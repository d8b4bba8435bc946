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
from mmaction.registry import HOOKS, MODELS
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
SEEN = {}


@HOOKS.register_module(force=True)
class FineTuneWeightProbe(WeightProbe):
    """:class:`WeightProbe` for runs the tools build (by config): what it
    sees is kept in :data:`SEEN`."""

    def __init__(self):
        super().__init__()
        self.seen = SEEN
        SEEN.clear()


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
    assert 'Fine-tuning: cls_head start(s) from its own initialization ' \
        '(1 tensor(s)), not from the checkpoint' in log


def test_without_reinitialize_the_hint_names_the_option(tiny_synthetic,
                                                        tmp_path):
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook'))
    cfg.load_from, _ = _other_checkpoint(cfg, tmp_path / 'c4.pth', 4)
    with pytest.raises(CheckpointMismatchError) as err:
        _run(cfg)
    msg = str(err.value)
    # the whole head (all its weights mismatch), so that its own init_cfg
    # applies too
    assert "add reinitialize=['cls_head'] to the " \
        'CheckpointCompatibilityHook entry of custom_hooks' in msg
    assert '"custom_hooks.1.reinitialize=[cls_head]"' in msg
    assert 'cls_head.conv.weight: checkpoint [5, 16, 1] vs model [4, 16, 1]' \
        in msg
    # The advice, followed as written, trains.
    cfg.custom_hooks[-1]['reinitialize'] = ['cls_head']
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


def test_own_init_cfg_of_a_reinitialized_module_applies(tiny_synthetic,
                                                       tmp_path):
    """"Afresh" is the module's own initialization, its init_cfg
    included (MMAction2's recipe: the skipped classifier keeps what
    init_weights gave it), whether a checkpoint reaches it through
    load_from or a Pretrained init; a module no checkpoint reaches is left
    to the Runner's initialization and not reported."""
    const = dict(type='Constant', layer='Conv1d', val=0.5)
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c3.pth', 3)
    cfg.model.cls_head.init_cfg = const
    cfg.load_from = ckpt
    start = _run(cfg)['start']
    assert torch.all(start['cls_head.conv.weight'] == 0.5)
    _assert_equal(_under(start, 'backbone'), _under(state, 'backbone'))

    cfg = _cfg(tiny_synthetic, tmp_path / 'b', hook=REINIT)
    cfg.model.cls_head.init_cfg = [
        const, dict(type='Pretrained', checkpoint=ckpt, prefix='cls_head.')]
    start = _run(cfg)['start']
    assert torch.all(start['cls_head.conv.weight'] == 0.5)

    cfg = _cfg(tiny_synthetic, tmp_path / 'c', hook=REINIT)
    cfg.model.cls_head.init_cfg = const
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=ckpt,
                                       prefix='backbone.')
    start = _run(cfg)['start']
    assert torch.all(start['cls_head.conv.weight'] == 0.5)
    _assert_equal(_under(start, 'backbone'), _under(state, 'backbone'))
    log = next((tmp_path / 'c' / 'wd').glob('*/*.log')).read_text()
    assert 'Fine-tuning:' not in log


def test_an_ancestors_init_cfg_reaches_a_reinitialized_module(
        tiny_synthetic, tmp_path):
    """``model.init_cfg`` (e.g. Constant on every Conv1d) initializes the
    classifier in a run from scratch, so it does when fine-tuning starts
    it afresh; the fresh weights are computed on a copy, whose
    initialization table stays out of the log (the model's own is there
    once)."""
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c3.pth', 3)
    cfg.model.init_cfg = dict(type='Constant', layer='Conv1d', val=0.25)
    cfg.load_from = ckpt
    start = _run(cfg)['start']
    assert torch.all(start['cls_head.conv.weight'] == 0.25)
    _assert_equal(_under(start, 'backbone'), _under(state, 'backbone'))
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert log.count('Name of parameter - Initialization information') == 1


@pytest.mark.parametrize('init_cfg,match', [
    (dict(type='Pretrainde', checkpoint='x.pth'),
     r"model.backbone.init_cfg: no weight initializer 'Pretrainde'; did "
     r"you mean 'Pretrained'\?"),
    (dict(type='Pretrained', chekpoint='x.pth'),
     r"model.backbone.init_cfg: PretrainedInit takes no 'chekpoint'; did "
     r"you mean 'checkpoint'\?"),
    (dict(type='Pretrained', prefix='backbone.'),
     r"model.backbone.init_cfg: a Pretrained init needs its 'checkpoint'"),
    (dict(type='Normal', std=0.01, layr='Conv1d'),
     r"NormalInit takes no 'layr'; did you mean 'layer'\?"),
])
def test_init_cfg_typos_are_named_before_the_run(tiny_synthetic, tmp_path,
                                                 init_cfg, match):
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook'))
    cfg.model.backbone.init_cfg = init_cfg
    with pytest.raises(ValueError, match=match):
        _run(cfg)
    # valid ones, with MMEngine's own `override` key, pass
    cfg.model.backbone.init_cfg = dict(
        type='Normal', std=0.01, layer='Conv1d',
        override=dict(type='Constant', name='conv_1', val=0.5))
    start = _run(cfg)['start']
    assert torch.all(start['backbone.conv_1.weight'] == 0.5)


def test_resume_of_a_weights_only_checkpoint_is_refused(tiny_synthetic,
                                                        tmp_path):
    """A published / converted / bare checkpoint has no training state:
    resuming it is one error saying to start from it instead."""
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    ckpt, _ = _other_checkpoint(cfg, tmp_path / 'bare.pth', 3)
    cfg.load_from, cfg.resume = ckpt, True
    with pytest.raises(CheckpointMismatchError,
                       match=r"cannot be resumed: it holds no \['meta.epoch', "
                       r"'meta.iter', 'message_hub', 'optimizer'\] .*start a "
                       r'run from it with `load_from` instead'):
        _run(cfg)


def test_resume_on_an_empty_work_dir_fine_tunes(tiny_synthetic, tmp_path):
    """A requeued fine-tuning job's first start (``--resume``, nothing to
    resume yet) starts from the config's load_from, not from scratch."""
    from backtal_mmaction.apis import train_localizer
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c4.pth', 4)
    cfg.load_from = ckpt
    cfg.custom_hooks.append(dict(type='FineTuneWeightProbe'))
    cfg.dump(str(tmp_path / 'ft.py'))
    train_localizer(str(tmp_path / 'ft.py'), work_dir=str(tmp_path / 'new'),
                    resume=True)
    start = SEEN['start']
    rest = {k: v for k, v in state.items() if not k.startswith('cls_head.')}
    _assert_equal({k: start[k] for k in rest}, rest)
    log = next((tmp_path / 'new').glob('*/*.log')).read_text()
    assert f'no checkpoint in {tmp_path / "new"} yet, starting from ' \
        f'load_from {ckpt}' in log


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


@pytest.mark.parametrize('name,match', [
    ('cls_haed', r"'cls_haed', which is not a module of BackTAL; its modules "
     r"are \['backbone', 'cls_head', .*e\.g\. 'cls_head\.conv'\)"),
    ('cls_head.conv.weight', r"'cls_head.conv.weight', a parameter of "
     r"BackTAL; name its module: 'cls_head.conv'"),
    ('losses', r"'losses', a module of BackTAL without weights"),
])
def test_reinitialize_names_are_checked(tiny_synthetic, tmp_path, name,
                                        match):
    with pytest.raises(ValueError, match='module names'):
        CheckpointCompatibilityHook(reinitialize=[1])
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook',
                         reinitialize=[name]))
    with pytest.raises(ValueError, match=match):
        _run(cfg)


def test_part_hint_names_whole_model_modules(tiny_synthetic, tmp_path):
    """A part's Pretrained init of another class count: the hint names
    the module as ``reinitialize`` takes it (``head.cls_out``, not the
    part-relative ``cls_out``), and following it works."""
    cfg = _cfg(tiny_synthetic, tmp_path, config=AF_CONFIG,
               hook=dict(type='CheckpointCompatibilityHook'))
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c5.pth', 5)
    cfg.model.head.init_cfg = dict(type='Pretrained', checkpoint=ckpt,
                                   prefix='head.')
    with pytest.raises(CheckpointMismatchError) as err:
        _run(cfg)
    msg = str(err.value)
    assert 'model.head (AnchorFreeHead), whose init_cfg loads it' in msg
    assert "The classifier (head.cls_out.bias) has 5 outputs" in msg
    assert "add reinitialize=['head.cls_out'] to the" in msg
    cfg.custom_hooks[-1]['reinitialize'] = ['head.cls_out']
    seen = _run(cfg)
    _assert_equal(_under(seen['start'], 'head.cls_out'),
                  _under(seen['built'], 'head.cls_out'))
    _assert_equal(_under(seen['start'], 'head.reg_out'),
                  _under(state, 'head.reg_out'))


def test_pretrained_file_and_prefix_hints(tiny_synthetic, tmp_path):
    cfg = _cfg(tiny_synthetic, tmp_path,
               hook=dict(type='CheckpointCompatibilityHook'))
    ckpt, state = _other_checkpoint(cfg, tmp_path / 'c.pth', 3)
    # a part's init_cfg without its prefix
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=ckpt)
    with pytest.raises(CheckpointMismatchError,
                       match="set prefix='backbone.' in its init_cfg"):
        _run(cfg)
    # a DDP state dict: the prefix it needs
    ddp = tmp_path / 'ddp.pth'
    torch.save({'module.' + k: v for k, v in state.items()}, str(ddp))
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(ddp),
                                       prefix='backbone.')
    with pytest.raises(CheckpointMismatchError,
                       match=r"holds \['module'\]; a DDP checkpoint: "
                       r"prefix='module.backbone.'"):
        _run(cfg)
    cfg.model.backbone.init_cfg.prefix = 'module.backbone.'
    _assert_equal(_under(_run(cfg)['start'], 'backbone'),
                  _under(state, 'backbone'))
    # not a checkpoint at all
    odd = tmp_path / 'list.pth'
    torch.save([1, 2, 3], str(odd))
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(odd),
                                       prefix='backbone.')
    with pytest.raises(CheckpointMismatchError,
                       match='is not a checkpoint or a state dict: it holds '
                       'a list'):
        _run(cfg)


def test_test_run_hint_says_fine_tuning_is_for_training(tiny_synthetic,
                                                         tmp_path):
    cfg = _cfg(tiny_synthetic, tmp_path, hook=REINIT)
    cfg.load_from, _ = _other_checkpoint(cfg, tmp_path / 'c4.pth', 4)
    with pytest.raises(CheckpointMismatchError,
                       match=r'acts only when a training run starts from a '
                       r'checkpoint; this run needs the checkpoint trained '
                       r'on this class list'):
        _run(cfg, mode='test')

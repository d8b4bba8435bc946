"""A run stopped after epoch 2 and resumed with --resume ends exactly like
the uninterrupted 4-epoch run (dropout on, random snippet resampling,
validation every epoch); a work dir holding a run is never trained over."""
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from backtal_mmaction.apis import train_localizer
from backtal_mmaction.apis.train import build_train_cfg
from backtal_mmaction.engine import load_checkpoint_file

from tests.helpers import synthetic_cfg


class Preempted(Exception):
    pass


class StopAfterEpoch(Hook):
    """Raise once the checkpoint of epoch ``k`` is written (priority LOWEST:
    after the checkpoint hook), like a job killed at that point."""
    priority = 'LOWEST'

    def __init__(self, k):
        self.k = k

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.k:
            raise Preempted()


@pytest.fixture(scope='module')
def runs(tiny_synthetic, tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    cfg = synthetic_cfg(tiny_synthetic, epochs=4)
    cfg.train_cfg.val_interval = 1
    assert cfg.model.backbone.dropout > 0  # randomness that must resume
    assert any(t.get('mode') == 'random'
               for t in cfg.train_dataloader.dataset.pipeline)
    cfg_file = root / 'cfg.py'
    cfg.dump(str(cfg_file))
    full, part = root / 'full', root / 'part'
    full_metrics = train_localizer(str(cfg_file), work_dir=str(full),
                                   test=True)

    mp = pytest.MonkeyPatch()
    original = Runner.train

    def train_then_stop(self):
        self.register_hook(StopAfterEpoch(2))
        return original(self)

    mp.setattr(Runner, 'train', train_then_stop)
    with pytest.raises(Preempted):
        train_localizer(str(cfg_file), work_dir=str(part))
    mp.undo()
    assert sorted(p.name for p in part.glob('*.pth')) == [
        'epoch_1.pth', 'epoch_2.pth'
    ]
    resumed_metrics = train_localizer(str(cfg_file), work_dir=str(part),
                                      resume=True, test=True)
    return dict(cfg_file=str(cfg_file), full=full, part=part,
                full_metrics=full_metrics, resumed_metrics=resumed_metrics)


def test_resumed_run_matches_uninterrupted(runs):
    a = load_checkpoint_file(str(runs['full'] / 'epoch_4.pth'))
    b = load_checkpoint_file(str(runs['part'] / 'epoch_4.pth'))
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        # Bit-identical on CPU: same data order, same dropout masks.
        assert torch.equal(value, b['state_dict'][key]), key
    assert a['meta']['iter'] == b['meta']['iter'] == 8
    assert runs['full_metrics'] == runs['resumed_metrics']
    # The generator states travel in the checkpoint (weights_only loadable).
    assert len(a['rng_state']['states']) == 1


def test_resumed_weights_differ_from_epoch_2(runs):
    """Sanity: the comparison above is not trivially true."""
    a = load_checkpoint_file(str(runs['part'] / 'epoch_2.pth'))['state_dict']
    b = load_checkpoint_file(str(runs['part'] / 'epoch_4.pth'))['state_dict']
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_work_dir_with_a_run_is_not_overwritten(runs):
    before = sorted(p.name for p in runs['full'].iterdir())
    with pytest.raises(FileExistsError, match='already holds checkpoints'):
        train_localizer(runs['cfg_file'], work_dir=str(runs['full']))
    assert sorted(p.name for p in runs['full'].iterdir()) == before
    # --overwrite / --resume are the explicit ways in.
    cfg = build_train_cfg(runs['cfg_file'], work_dir=str(runs['full']),
                          overwrite=True)
    assert not cfg.get('resume')
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    assert {'RNGStateHook', 'CheckpointCompatibilityHook'} <= {
        h['type'] for h in cfg.custom_hooks}

"""The same batch and weights give the same results on the CPU and on an
accelerator: BackTAL (both affinity modes) and AnchorFreeTAD, built from
the shipped configs, fed a batch of the shipped pipelines through the
model's own data preprocessor (what the Runner does): every loss, every
gradient, the tensor-mode outputs and the detections, fp32 to 1e-4.

Mixed precision on the device: the losses under autocast stay finite and
near fp32's, and ``tools/train.py``'s path (``train_localizer``) trains and
tests through MMEngine's Runner on CUDA with pinned memory, non-blocking
copies and ``--amp`` fp16 (its loss scaler in the checkpoint) or bf16.

The accelerator cases are marked ``cuda`` (``pytest -m cuda`` runs only
them) and skip without CUDA, so CI on CPU passes; the CPU cases check the
comparisons themselves (CPU against CPU, bf16 autocast on the CPU)
wherever the suite runs.
"""
import contextlib
import copy

import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.apis import train_localizer
from backtal_mmaction.engine.checkpoint import load_checkpoint_file
from backtal_mmaction.profiling.precision import PRECISIONS, precision_mode
from tests.helpers import retargeted_cfg, shrink_cfg, synthetic_cfg

CUDA = pytest.mark.skipif(not torch.cuda.is_available(),
                          reason='needs a CUDA device')
RTOL, ATOL = 1e-4, 1e-4

# untrained weights score low: thresholds at 0 so that there are detections
KEEP_ALL = {'model.post_processor.class_threshold': 0.0}
MODELS_UNDER_TEST = {
    'backtal_per_tap': ('configs/backtal/backtal_synthetic.py', KEEP_ALL),
    'backtal_official': ('configs/backtal/backtal_synthetic.py',
                         dict(KEEP_ALL, **{'model.backbone.affinity':
                                           'official'})),
    'anchor_free_tad': (
        'configs/anchor_free_tad/anchor_free_tad_synthetic_full_gt.py',
        {'model.post_processor.score_thr': 0.0,
         'model.post_processor.nms.min_score': 0.0}),
}


def _model_and_batches(data_root, name):
    """The model (seeded weights) and one training and one test batch of
    the config's own pipelines (built once, on the CPU)."""
    config, options = MODELS_UNDER_TEST[name]
    if config.startswith('configs/backtal'):
        cfg = synthetic_cfg(data_root, config)
    else:
        cfg = shrink_cfg(retargeted_cfg(data_root, config), num_classes=3,
                         crop_segments=16)
    cfg.merge_from_dict(options)
    init_default_scope('mmaction')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    batches = {}
    for split in ('train', 'test'):
        dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
        batches[split] = pseudo_collate([dataset[i] for i in range(2)])
    return model, batches


def _named_tensors(out, prefix='out'):
    """``(name, tensor on the CPU)`` of a nested tensor-mode output
    (dicts, lists and tuples of tensors, e.g. one dict per video)."""
    if torch.is_tensor(out):
        yield prefix, out.detach().cpu()
    elif isinstance(out, dict):
        for k, v in out.items():
            yield from _named_tensors(v, f'{prefix}.{k}')
    elif isinstance(out, (list, tuple)):
        for i, v in enumerate(out):
            yield from _named_tensors(v, f'{prefix}[{i}]')


def _run(model, batches, device):
    """Losses, parameter gradients, tensor outputs and detections of
    ``model`` on ``device`` (dropout off: the same function on both)."""
    model = copy.deepcopy(model).to(device).eval()
    train = model.data_preprocessor(copy.deepcopy(batches['train']), True)
    losses = model(**train, mode='loss')
    sum(losses.values()).backward()
    grads = {n: p.grad.detach().cpu() for n, p in model.named_parameters()
             if p.grad is not None}
    with torch.no_grad():
        test = model.data_preprocessor(copy.deepcopy(batches['test']), False)
        tensors = model(**test, mode='tensor')
        preds = model.test_step(copy.deepcopy(batches['test']))
    return dict(
        losses={k: v.detach().cpu() for k, v in losses.items()},
        grads=grads,
        tensors=dict(_named_tensors(tensors)),
        detections=[{k: getattr(p.pred_instances, k).detach().cpu()
                     for k in ('segments', 'scores', 'labels')}
                    for p in preds])


def _assert_same(ref, other):
    assert set(ref['losses']) == set(other['losses'])
    for k, v in ref['losses'].items():
        torch.testing.assert_close(other['losses'][k], v, rtol=RTOL,
                                   atol=ATOL, msg=f'loss {k}')
    assert set(ref['grads']) == set(other['grads'])
    for k, v in ref['grads'].items():
        torch.testing.assert_close(other['grads'][k], v, rtol=1e-3,
                                   atol=ATOL, msg=f'gradient of {k}')
    assert set(ref['tensors']) == set(other['tensors'])
    for k, v in ref['tensors'].items():
        torch.testing.assert_close(other['tensors'][k], v, rtol=RTOL,
                                   atol=ATOL, msg=f'output {k}')
    assert len(ref['detections']) == len(other['detections'])
    for a, b in zip(ref['detections'], other['detections']):
        assert len(a['scores']) == len(b['scores'])
        a, b = _in_segment_order(a), _in_segment_order(b)
        torch.testing.assert_close(b['labels'], a['labels'])
        for k in ('segments', 'scores'):
            torch.testing.assert_close(b[k].to(a[k].dtype), a[k], rtol=RTOL,
                                       atol=ATOL, msg=f'detections {k}')


def _in_segment_order(det):
    """Detections sorted by (label, start, end) to 1e-3 s: equal scores
    may leave the post-processor in either order on two devices."""
    seg = (det['segments'].double() * 1e3).round()
    keys = torch.stack([det['labels'].double(), seg[:, 0], seg[:, 1]])
    order = sorted(range(keys.shape[1]), key=lambda i: keys[:, i].tolist())
    return {k: v[order] for k, v in det.items()}


@pytest.mark.parametrize('name', list(MODELS_UNDER_TEST))
def test_the_comparison_on_the_cpu(tiny_synthetic, name):
    """CPU against CPU: the harness runs every mode of every model, finds
    losses, gradients, outputs and detections, and agrees with itself."""
    model, batches = _model_and_batches(tiny_synthetic, name)
    ref = _run(model, batches, 'cpu')
    assert ref['losses'] and ref['grads'] and ref['tensors']
    assert any(len(d['scores']) for d in ref['detections'])
    _assert_same(ref, _run(model, batches, 'cpu'))
    # and it does see a difference: a perturbed weight changes the outputs
    bent = copy.deepcopy(model)
    with torch.no_grad():
        next(bent.parameters()).add_(0.5)
    with pytest.raises(AssertionError):
        _assert_same(ref, _run(bent, batches, 'cpu'))


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize('name', list(MODELS_UNDER_TEST))
def test_cuda_matches_the_cpu(tiny_synthetic, name):
    model, batches = _model_and_batches(tiny_synthetic, name)
    # TF32 would round the GEMMs to 10 mantissa bits: compare true fp32
    with precision_mode(PRECISIONS['fp32'], 'cuda'):
        _assert_same(_run(model, batches, 'cpu'),
                     _run(model, batches, 'cuda'))


def _autocast_losses(model, batches, device, dtype):
    """The training losses of ``model`` on ``device`` in fp32 and under
    ``torch.autocast(device, dtype)`` (eval mode: no dropout)."""
    model = copy.deepcopy(model).to(device).eval()
    out = {}
    for name, amp in (('fp32', None), ('amp', dtype)):
        data = model.data_preprocessor(copy.deepcopy(batches['train']), True)
        autocast = (torch.autocast(device, dtype=amp) if amp is not None
                    else contextlib.nullcontext())
        with torch.no_grad(), precision_mode(PRECISIONS['fp32'], device), \
                autocast:
            out[name] = {k: float(v) for k, v in
                         model(**data, mode='loss').items()}
    return out


def _assert_near_fp32(out, rtol):
    assert set(out['amp']) == set(out['fp32'])
    for k, ref in out['fp32'].items():
        assert torch.isfinite(torch.tensor(out['amp'][k])), k
        assert out['amp'][k] == pytest.approx(ref, rel=rtol, abs=1e-3), k


@pytest.mark.parametrize('name', ['backtal_per_tap', 'anchor_free_tad'])
def test_autocast_losses_on_the_cpu(tiny_synthetic, name):
    """The comparison of the CUDA AMP test, with the CPU's bf16 autocast:
    the losses move (so the check sees autocast), but not far."""
    model, batches = _model_and_batches(tiny_synthetic, name)
    out = _autocast_losses(model, batches, 'cpu', torch.bfloat16)
    _assert_near_fp32(out, rtol=0.05)
    assert out['amp'] != out['fp32']


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
@pytest.mark.parametrize('name', list(MODELS_UNDER_TEST))
def test_cuda_autocast_losses_near_fp32(tiny_synthetic, name, dtype):
    if dtype == 'bfloat16' and not torch.cuda.is_bf16_supported():
        pytest.skip('no bf16 on this GPU')
    model, batches = _model_and_batches(tiny_synthetic, name)
    out = _autocast_losses(model, batches, 'cuda', getattr(torch, dtype))
    _assert_near_fp32(out, rtol=0.05)


def _train_tiny(data_root, work_dir, amp):
    """``tools/train.py --test [--amp DTYPE]`` on the tiny benchmark (one
    epoch): the config it ran, its test metrics and its checkpoint."""
    cfg = synthetic_cfg(data_root, work_dir=work_dir, validate=False)
    metrics = train_localizer(cfg, work_dir=str(work_dir), amp=amp,
                              test=True, no_validate=True)
    return metrics, load_checkpoint_file(str(work_dir / 'epoch_1.pth'))


def test_train_localizer_amp_on_the_cpu(tiny_synthetic, tmp_path):
    """The CUDA Runner test's checks, on the CPU's bf16 autocast (no loss
    scaler: bf16 has fp32's exponent range)."""
    metrics, ckpt = _train_tiny(tiny_synthetic, tmp_path / 'wd', 'bf16')
    assert 0 <= metrics['tal/mAP_avg'] <= 100
    assert 'loss_scaler' not in ckpt['optimizer']
    assert all(v.device.type == 'cpu' for v in ckpt['state_dict'].values())


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize('amp', [False, 'fp16', 'bf16'])
def test_cuda_runner_trains_and_tests(tiny_synthetic, tmp_path, amp):
    """MMEngine's Runner on CUDA through train_localizer: pinned batches,
    non-blocking copies, fp32 or AMP: fp16 in MMEngine's AmpOptimWrapper
    with a dynamic loss scale, whose state the checkpoint carries; bf16 in
    AutocastOptimWrapper, unscaled."""
    from backtal_mmaction.apis.train import build_train_cfg
    cfg = build_train_cfg(synthetic_cfg(tiny_synthetic, validate=False),
                          work_dir=str(tmp_path / 'cfg'), amp=amp)
    assert cfg.train_dataloader.pin_memory and cfg.test_dataloader.pin_memory
    assert cfg.model.data_preprocessor.non_blocking is True
    metrics, ckpt = _train_tiny(tiny_synthetic, tmp_path / 'wd', amp)
    assert 0 <= metrics['tal/mAP_avg'] <= 100
    assert ('loss_scaler' in ckpt['optimizer']) == (amp == 'fp16')
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == {
        False: 'OptimWrapper', 'fp16': 'AmpOptimWrapper',
        'bf16': 'AutocastOptimWrapper'}[amp]
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())

"""The same batch and weights give the same results on the CPU and on an
accelerator: BackTAL (both affinity modes) and AnchorFreeTAD, built from
the shipped configs, fed a batch of the shipped pipelines through the
model's own data preprocessor (what the Runner does): every loss, every
gradient, the tensor-mode outputs and the detections, fp32 to 1e-4.

The accelerator cases are marked ``cuda`` (``pytest -m cuda`` runs only
them) and skip without CUDA, so CI on CPU passes; the CPU-to-CPU case
checks the comparison itself wherever the suite runs.
"""
import copy

import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
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
    # TF32 would round the GEMMs to 10 mantissa bits: compare true fp32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model, batches = _model_and_batches(tiny_synthetic, name)
    _assert_same(_run(model, batches, 'cpu'), _run(model, batches, 'cuda'))

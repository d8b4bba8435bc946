"""The parts of ``tools/analysis/benchmark.py``: each measures one thing of
BackTAL against the original formulation (:mod:`backtal_mmaction.testing`)
and against the machine's own limits, and prints a markdown table.

- :func:`part_limit`: the best GEMM / convolution rates of the machine in
  each precision of :func:`~.precision.available_precisions` (CPU: fp32,
  and bf16 with bf16 hardware; CUDA: fp32, TF32, bf16, fp16), at the
  layer's shapes;
- :func:`part_conv`: one affinity-conv layer, forward + backward, per
  kernel library;
- :func:`part_train`: a training step (forward, 6 losses, backward, Adam):
  the original formulation (unfold conv, per-sample loss loops; checked to
  give our loss), ours in fp32 and in each other precision (TF32, bf16
  autocast, fp16 autocast with loss scaling);
- :func:`part_testpass`: a THUMOS14-size test pass (inference,
  post-processing, metric) against the original's (one video at a time,
  the loop post-processing, the reference evaluator);
- :func:`part_data`: loading one training batch;
- :func:`part_epoch`: training epochs and a test pass through MMEngine's
  Runner, as ``tools/train.py --test`` runs them, on THUMOS14-sized data
  on disk (:mod:`.epoch`).

A size is a dict: ``config`` (a config file), ``B``, ``T``, ``D``, ``H``,
``hidden``, ``C``, ``videos`` (test-pass videos; 0 skips that part and
the epoch part), ``epoch_batch`` (the epoch part's training batch) and
``epoch_videos`` (its videos per subset; None: all of THUMOS14's).
FLOPs are counted analytically from the shapes each convolution sees
(``2 * B * T * C_out * C_in * k``; backward = 2x forward). Times are
medians of ``repeats`` runs after a warm-up.
"""
import argparse
import datetime
import os
import os.path as osp
import sys
import tempfile
import time
import warnings
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from ..datasets import transforms as tf
from ..datasets.synthetic.command import generate_from_options
from ..evaluation.functional.detection_map import evaluate_detections
from ..models.backbones import AffinityConv1d
from ..models.backbones.conv_impl import describe_choices
from ..models.data_preprocessors import SnippetFeaturePreprocessor
from ..testing.backtal_original import (original_forward, original_inference,
                                        original_losses,
                                        unfold_affinity_conv1d)
from ..testing.detection_evaluation import naive_evaluate_detections
from ..testing.postprocessing import naive_postprocess
from .batched_inference import batched_forward_features
from .epoch import size_backtal, thumos14_sized_options, time_runner_epochs
from .flops import count_forward_flops
from .machine import cpu_bf16_hardware, cuda_summary, lscpu_summary
from .memory import peak_memory
from .precision import available_precisions, precision_mode
from .primitives import primitive_rates
from .step import profile_step, time_training_step
from .timing import OtherLoad, median_time

__all__ = ['PARTS', 'run_benchmark', 'part_limit', 'part_conv',
           'part_train', 'part_testpass', 'part_data']


def fmt(v, digits: int = 1) -> str:
    if v is None or v != v:
        return 'n/a'
    return f'{v:,.{digits}f}'


def table(title: str, header, rows, load=None) -> None:
    print(f'\n#### {title}\n')
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '|'.join('---' for _ in header) + '|')
    for r in rows:
        print('| ' + ' | '.join(str(c) for c in r) + ' |')
    if load is not None:
        avg = ' '.join(f'{v:.2f}' for v in os.getloadavg())
        print(f'\nOther processes: {fmt(100 * load.value, 0)} % of the CPU '
              f'time while measured (load average {avg}).')
    sys.stdout.flush()


# ---------------------------------------------------------------------- #
# model and data
# ---------------------------------------------------------------------- #
def build_model(s: dict, device: str):
    init_default_scope('mmaction')
    cfg = Config.fromfile(s['config']).model
    size_backtal(cfg, s)
    torch.manual_seed(0)
    return MODELS.build(cfg).to(device)


def make_batch(s: dict, device: str, seed: int = 0):
    """Features ``(B, D, T)``, data samples, and the label / click tensors
    of the original formulation. One class per video (see the reference's
    docstring), ``T // 50`` background clicks."""
    B, T, C = s['B'], s['T'], s['C']
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((B, s['D'], T), np.float32))
    samples, labels, clicks = [], torch.zeros(B, C), torch.full(
        (B, T), -100, dtype=torch.long)
    for b in range(B):
        labels[b, rng.integers(C)] = 1
        clicks[b, rng.choice(T, max(1, T // 50), replace=False)] = C
        ds = ActionDataSample()
        ds.gt_video_labels = labels[b].to(device)
        ds.gt_click_labels = clicks[b].to(device)
        samples.append(ds)
    return x.to(device), samples, labels.to(device), clicks.to(device)


# ---------------------------------------------------------------------- #
# parts
# ---------------------------------------------------------------------- #
def part_limit(s, a, ctx) -> None:
    rows = []
    with OtherLoad() as load:
        for p in ctx['precisions']:
            name = p.name
            with precision_mode(p, a.device):
                r = primitive_rates(s['B'], s['T'], s['D'], s['H'], p.dtype,
                                    a.repeats, a.device)
            ctx['limit'][name] = r.pop('limit')
            ctx['best'][name] = r.pop('best')
            rows += [[name, k, fmt(v)] for k, v in r.items()]
            rows.append([name, '**limit (best)**',
                         f"**{fmt(ctx['limit'][name])}**"])
    table('Machine limits (measured in this run)',
          ['dtype', 'primitive', 'GFLOP/s'], rows, load)


def _limit_now(s, a, ctx, p):
    """The fastest primitive of the limit part (GFLOP/s in dtype ``name``),
    timed again now: the host's speed drifts between parts, so each row is
    compared with the limit measured next to it (None: no limit part)."""
    if p.name not in ctx['best']:
        return None
    with precision_mode(p, a.device):
        return primitive_rates(s['B'], s['T'], s['D'], s['H'], p.dtype, 1,
                               a.device, kinds=[ctx['best'][p.name]])['limit']


def part_conv(s, a, ctx) -> None:
    """One affinity-conv layer, forward + backward: the original unfold
    formulation and each kernel library of ``AffinityConv1d``."""
    B, T, D, H = s['B'], s['T'], s['D'], s['H']
    flops = 3 * 2 * B * T * H * D * 3
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, D, T, generator=g).to(a.device).requires_grad_()
    e_raw = torch.randn(B, 32, T, generator=g).to(a.device).requires_grad_()
    gy = torch.randn(B, H, T, generator=g).to(a.device)
    rows = []
    with OtherLoad() as load:
        for p in ctx['precisions']:
            name, amp = p.name, p.autocast
            layers = [(f'AffinityConv1d impl={i}',
                       AffinityConv1d(D, H, impl=i).to(a.device))
                      for i in ('gemm', 'conv', 'auto')]
            weight = layers[0][1].weight

            def run(fn):
                def step():
                    with torch.autocast(a.device, dtype=amp,
                                        enabled=amp is not None):
                        y = fn(F.normalize(e_raw, dim=1))
                    y.backward(gy.to(y.dtype))
                return step

            fns = [('original: unfold + tile + matmul',
                    lambda e: unfold_affinity_conv1d(x, e, weight,
                                                     'per_tap'))]
            fns += [(n, lambda e, m=m: m(x, e)) for n, m in layers]
            base = None
            for label, fn in fns:
                with precision_mode(p, a.device):
                    t = median_time(run(fn), a.repeats, a.device)
                    mib = peak_memory(run(fn), a.device)['tensor']
                base = base or t
                gf = flops / t / 1e9
                lim = _limit_now(s, a, ctx, p)
                rows.append([name, label, fmt(1e3 * t), fmt(gf), fmt(lim),
                             fmt(100 * gf / lim) if lim else 'n/a',
                             f'{base / t:.2f}x', fmt(mib, 0)])
    table(f'One affinity conv layer ({D}->{H}, B={B}, T={T}), forward + '
          'backward', ['dtype', 'layer', 'ms', 'GFLOP/s', 'limit alongside',
                       '% of limit', 'x original', 'peak tensor MiB'], rows,
          load)


def part_train(s, a, ctx) -> None:
    """A training step (forward, the 6 losses, backward, Adam): the
    original formulation, ours in fp32 and in each other precision (TF32;
    bf16 autocast; fp16 autocast + dynamic loss scale)."""
    model = build_model(s, a.device).train()
    x, samples, labels, clicks = make_batch(s, a.device)
    flops = 3 * count_forward_flops(lambda: model(x, samples, 'loss'),
                                    model)

    def ours():
        return sum(model(x, samples, mode='loss').values())

    def original():
        return original_losses(original_forward(model, x), labels,
                               clicks)['total']

    # the yardstick computes what we compute (dropout off for the check)
    model.eval()
    with torch.no_grad():
        same = (float(ours()), float(original()))
    model.train()
    fp32, others = ctx['precisions'][0], ctx['precisions'][1:]
    variants = [('original formulation', fp32, original),
                ('ours', fp32, ours)]
    variants += [('ours, TF32' if p.tf32 else 'ours, autocast' + (
        ' + loss scale' if p.loss_scale else ''), p, ours) for p in others]
    # the fastest rate of any precision in the limit part (on CUDA the
    # tensor cores' bf16 / fp16): how far each row is from the machine's
    # best, whatever its own precision
    best = max(ctx['limit'].values()) if ctx['limit'] else None
    rows, base = [], None
    with OtherLoad() as load:
        for label, p, fn in variants:
            name = p.name
            optim = torch.optim.Adam(model.parameters(), lr=1e-4,
                                     weight_decay=5e-4)
            # The machine's speed drifts on a shared host: the best
            # primitive of the limit part is measured again after every
            # timed step, and the step is compared with those rates.
            alongside = []
            with precision_mode(p, a.device):
                r = time_training_step(
                    fn, optim, a.repeats, a.device, p.autocast,
                    between=(lambda p=p: alongside.append(
                        _limit_now(s, a, ctx, p))) if name in ctx['best']
                    else None, loss_scale=p.loss_scale)
            base = base or r['pipelined']
            gf = flops / r['pipelined'] / 1e9
            lim = float(np.median(alongside)) if alongside else None
            rows.append([label, name, fmt(1e3 * r['fwd'], 0),
                         fmt(1e3 * r['bwd'], 0), fmt(1e3 * r['opt'], 0),
                         fmt(r['step'], 3), fmt(r['pipelined'], 3),
                         fmt(gf), fmt(lim),
                         fmt(100 * gf / lim) if lim else 'n/a',
                         fmt(100 * gf / best) if best else 'n/a',
                         f"**{base / r['pipelined']:.2f}x**",
                         fmt(r['mem']['tensor'], 0)])
    table(f"Training step (B={s['B']}, T={s['T']}, D=H={s['D']}, "
          f"C={s['C']}; {fmt(flops / 1e12, 2)} TFLOP)",
          ['model', 'dtype', 'fwd ms', 'bwd ms', 'Adam ms', 'step s',
           'pipelined s', 'GFLOP/s', 'limit alongside', '% of limit',
           '% of best limit', 'x original', 'peak tensor MiB'], rows, load)
    print('\n"step s": the sum of the phases, each synchronized; '
          '"pipelined s": per step of steps run back to back with one '
          'synchronization at the end (what a training loop gets; GFLOP/s, '
          '% of limit and x original use it). "limit alongside": the median '
          'rate of the fastest primitive of the limit part in that '
          "row's precision, measured after each timed step of the row; "
          '"% of best limit": against the fastest limit of any precision '
          'in the limit part (bf16 / fp16 where they run).')
    print(f'\nSame loss (eval mode, fp32): ours {same[0]:.6f}, original '
          f'{same[1]:.6f} (relative difference '
          f'{abs(same[0] - same[1]) / abs(same[1]):.1e}).')
    print('Kernel libraries chosen by impl=auto: ' + (
        '; '.join(describe_choices()) or 'defaults (work too small)'))
    if not a.no_profile:
        print('\nTop ops of our fp32 step (torch.profiler, self time):\n')
        print('```\n' + profile_step(lambda: ours().backward(),
                                     a.device).strip() + '\n```')


def make_test_set(s: dict, seed: int = 1):
    """``s['videos']`` videos of THUMOS14-like native lengths (log-normal,
    median ``0.47 T``, ``T/10 .. 4T`` snippets of 16 frames at 30 fps)."""
    rng = np.random.default_rng(seed)
    T = s['T']
    lengths = np.clip(rng.lognormal(np.log(0.47 * T), 0.6, s['videos']),
                      T // 10, 4 * T).astype(int)
    videos, metas = [], []
    for n in lengths:
        videos.append(torch.from_numpy(
            rng.standard_normal((s['D'], n), np.float32)))
        metas.append(dict(num_frames=int(n) * 16, duration=n * 16 / 30.0))
    return videos, metas


def gt_near(preds: dict, seed: int = 2) -> dict:
    """GT for the untrained model's detections, so that the mAP is neither
    0 nor 100 and both evaluators have matches to rank: per video, up to 15
    of its top detections, each end moved by up to 20% of its length, plus
    one missed instance."""
    rng = np.random.default_rng(seed)
    gt = {}
    for name, p in preds.items():
        keep = np.argsort(-np.asarray(p['scores']), kind='stable')[:15]
        seg = np.asarray(p['segments'], np.float64)[keep].reshape(-1, 2)
        length = np.maximum(seg[:, 1] - seg[:, 0], 1e-3)
        seg = seg + rng.uniform(-0.2, 0.2, seg.shape) * length[:, None]
        seg[:, 1] = np.maximum(seg[:, 1], seg[:, 0] + 1e-3)
        labels = np.asarray(p['labels'], np.int64)[keep]
        seg = np.concatenate([seg, [[0.0, 1.0]]])
        labels = np.concatenate([labels, labels[:1] if len(labels) else [0]])
        gt[name] = dict(segments=seg, labels=labels)
    return gt


def part_testpass(s, a, ctx) -> None:
    """A test pass over ``videos`` videos of native length (inference,
    post-processing, mAP) against the original's."""
    model = build_model(s, a.device).eval()
    videos, metas = make_test_set(s)
    videos = [v.to(a.device) for v in videos]
    with torch.no_grad():  # peaked video scores: some classes pass 0.25
        v = torch.stack([model.forward_features(x[None])['video_scores_supp']
                         [0] for x in videos[:8]])
        model.cls_head.conv.weight.mul_(3.0 / v.std().clamp(min=1e-6))
    proc, names = model.post_processor, [
        f'video_{i:04d}' for i in range(len(videos))]
    post_args = {k: getattr(proc, k) for k in (
        'class_threshold', 'cas_thresholds', 'mag_thresholds', 'lam',
        'gamma', 'nms_thr', 'nms_mode')}

    def clock(fn):
        tic = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - tic

    def ours_post(outs):
        return {n: proc(o['cas_supp'][0], o['video_scores_supp'][0],
                        o['feat1_supp'][0].norm(p=2, dim=0), **m)
                for n, o, m in zip(names, outs, metas)}

    def orig_post(raw):
        return {n: naive_postprocess(c.cpu().numpy(), sc.cpu().numpy(),
                                     mg.cpu().numpy(), **m, **post_args)
                for n, (c, sc, mg), m in zip(names, raw, metas)}

    with torch.no_grad():  # warm-up: first-call allocations, impl=auto
        batched_forward_features(model, videos[:4], branches=('supp', ))
        original_inference(model, videos[:2])
    with OtherLoad() as load:
        # what predict runs: the suppressed branch (the detections' only
        # input); the original computes both, as its test loop does
        outs, t_inf = clock(lambda: batched_forward_features(
            model, videos, branches=('supp', )))
        _, t_inf1 = clock(lambda: [model.forward_features(
            x[None], ('supp', )) for x in videos])
        raw, o_inf = clock(lambda: original_inference(model, videos))
        preds, t_post = clock(lambda: ours_post(outs))
        o_preds, o_post = clock(lambda: orig_post(raw))
        gt = gt_near(preds)
        res, t_map = clock(lambda: evaluate_detections(gt, preds, s['C']))
        try:
            o_res, o_map = clock(lambda: naive_evaluate_detections(
                gt, o_preds, s['C']))
            o_avg = float(o_res['mAP'].mean())
        except ImportError:  # the reference evaluator is not in this tree
            o_map = o_avg = float('nan')
    n = len(videos)
    rows = [['inference, length-bucketed batches', t_inf, o_inf],
            ['(inference, one video at a time)', t_inf1, o_inf],
            ['post-processing', t_post, o_post], ['mAP', t_map, o_map],
            ['**total**', t_inf + t_post + t_map, o_inf + o_post + o_map]]
    snippets = sum(int(v.shape[-1]) for v in videos)
    table(f'Test pass: {n} THUMOS14-size videos ({snippets} snippets)',
          ['stage', 'ours s', 'original s', 'x original', 'ours videos/s'],
          [[r[0], fmt(r[1], 2), fmt(r[2], 2), f'**{fmt(r[2] / r[1], 2)}x**',
            fmt(n / r[1])] for r in rows], load)
    num_dets = sum(len(p['scores']) for p in preds.values())
    o_dets = sum(len(p['scores']) for p in o_preds.values())
    print(f'\nSame result: {num_dets} detections ours, {o_dets} original; '
          f"avg mAP ours {100 * res['average_mAP']:.3f}, original "
          f'{100 * o_avg:.3f} (GT: jittered top detections, see gt_near).')


def part_data(s, a, ctx) -> None:
    """One training batch through the dataset transforms, the collate
    function and the data preprocessor: ``B`` videos of ``T..4T``
    snippets, resampled to ``T``."""
    B, D, T = s['B'], s['D'], s['T']
    rng = np.random.default_rng(0)
    preproc, rows, infos = SnippetFeaturePreprocessor().to(a.device), [], []
    with tempfile.TemporaryDirectory() as root, OtherLoad() as load:
        for i, n in enumerate(np.linspace(T, 4 * T, B).astype(int)):
            feat = rng.standard_normal((n, D), dtype=np.float32)
            path = osp.join(root, f'v{i}')
            np.save(path + '.npy', feat)
            np.savez(path + '.npz', feat_spa=feat[:, :D // 2].T.copy(),
                     feat_tem=feat[:, D // 2:].T.copy())
            infos.append(dict(
                video_name=f'v{i}', duration=n * 16 / 30, fps=30.0,
                num_frames=n * 16, num_classes=20, click_times=np.ones(1),
                gt_segments=np.array([[1.0, 5.0]]), gt_labels=np.array([3]),
                video_labels=np.eye(20, dtype=np.float32)[3],
                click_labels=np.array([20]), click_annotators=['A'],
                feature_path=path))
        for suffix, mmap in (('.npy', False), ('.npy', True), ('.npz', False)):
            pipeline = [tf.LoadSnippetFeature(feat_dim=D, mmap=mmap),
                        tf.ResampleSnippets(num_segments=T, mode='random'),
                        tf.BuildClickLabels(),
                        tf.PackClickLocalizationInputs()]

            def load_batch():
                batch = []
                for info in infos:
                    r = dict(info, feature_path=info['feature_path'] + suffix)
                    for t in pipeline:
                        r = t(r)
                    batch.append(r)
                preproc(pseudo_collate(batch), training=True)

            rows.append([f'{suffix} mmap={mmap}', fmt(1e3 * median_time(
                load_batch, a.repeats, a.device))])
    table(f'Data: load + resample + pack + stack one batch ({B} videos of '
          f'{T}..{4 * T} snippets, warm page cache)', ['format', 'ms/batch'],
          rows, load)


def _epoch_data(s, a, root: str) -> str:
    """Generate (or reuse) the epoch part's data in ``root``; returns
    where its annotations come from."""
    options = thumos14_sized_options(root, s['D'], s['T'], a.shared_data,
                                     s.get('epoch_videos'))
    with warnings.catch_warnings():
        # the real GT's few segments past their video's end are known
        warnings.simplefilter('ignore', UserWarning)
        generate_from_options(options)
    return (f"the real THUMOS14 GT and A1 background clicks "
            f"({osp.basename(options['gt_file'])})" if options['gt_file']
            else 'synthetic videos (no THUMOS14 annotation files in '
            f'`shared_data` {a.shared_data})')


def part_epoch(s, a, ctx) -> None:
    """Training epochs and a test pass through MMEngine's Runner (the
    size's config, retargeted to THUMOS14-sized data on disk), per
    dataloader setting and precision."""
    # loading in the main process, then the config's workers (None); then
    # what a GPU needs to outrun the host: a worker per core up to 8 and the
    # test pass in batches of the training batch size (the fixed-T videos
    # stack into one forward pass each, so the per-iteration work of the
    # loop is shared by 16 videos); AMP where it runs fast (CUDA, or a CPU
    # with bf16 instructions: an autocast precision of the run)
    many = min(8, os.cpu_count() or 1)
    variants = [dict(workers=0, amp=False), dict(workers=None, amp=False),
                dict(workers=many, amp=False, test_batch=s['epoch_batch'])]
    if any(p.autocast for p in ctx['precisions']):
        variants.append(dict(workers=None, amp=True))
    with tempfile.TemporaryDirectory() as tmp:
        root = a.epoch_data or osp.join(tmp, 'data')
        source = _epoch_data(s, a, root)
        with OtherLoad() as load:
            results = time_runner_epochs(s['config'], root, s, a.device,
                                         variants, epochs=a.epochs)
    amp_name = {'cuda': 'fp16 + loss scale (AmpOptimWrapper)',
                'cpu': 'bf16 autocast'}[a.device]
    # epoch 1 (with the warm-up), then the last, steady one
    epochs = ['epoch 1 s'] + ([f'epoch {a.epochs} s'] if a.epochs > 1 else [])
    rows = []
    for r in results:
        first, last = r['epochs'][0], r['epochs'][-1]
        t = r['test']
        rows.append([
            'config' if r['workers'] is None else r['workers'],
            amp_name if r['amp'] else 'fp32', r['test_batch']]
            + [fmt(first['seconds'], 2)] * (len(epochs) - 1)
            + [f"**{fmt(last['seconds'], 2)}**", fmt(last['data_wait'], 2),
               fmt(last['videos'] / last['seconds']), fmt(t['seconds'], 2),
               f"**{fmt(t['videos'] / t['seconds'])}**"])
    last = results[0]['epochs'][-1]
    table(f"Runner: training epochs and a test pass ({last['videos']} "
          f"training videos, batch {s['epoch_batch']}, "
          f"{results[0]['test']['videos']} test videos, T={s['T']}, "
          f"D={s['D']}; {osp.basename(s['config'])})",
          ['loader workers', 'precision', 'test batch'] + epochs
          + ['waiting for data s', 'training videos/s', 'test pass s',
             'test videos/s'], rows, load)
    print(f'\nData: {source}, official `.npz` layout. "loader workers": '
          '"config" is what the config sets (each loader its own, '
          'persistent), 0 loads in the main process. Epoch 1 includes the '
          'warm-up (worker start, kernel choice, allocator growth); '
          '"waiting for data" is the last epoch\'s time between iterations. '
          'The test pass includes its loader start, the post-processing and '
          'the metric.' + (' Pinned memory and non-blocking copies on.'
                           if a.device == 'cuda' else ''))


# the parts in the order they run (each prints its tables)
PARTS = {'limit': part_limit, 'conv': part_conv, 'train': part_train,
         'testpass': part_testpass, 'data': part_data, 'epoch': part_epoch}


def run_benchmark(sizes: Dict[str, dict],
                  parts: Sequence[str] = tuple(PARTS),
                  device: str = 'cpu',
                  repeats: int = 3,
                  profile: bool = True,
                  threads: Optional[int] = None,
                  epochs: int = 2,
                  epoch_data: Optional[str] = None,
                  shared_data: Optional[str] = None) -> None:
    """Run ``parts`` at each size and print their markdown tables.

    Args:
        sizes (dict): ``{name: size}`` (see the module docstring), run in
            order.
        parts (Sequence[str]): Names of :data:`PARTS` (``testpass`` and
            ``epoch`` run only at sizes with ``videos``).
        device (str): ``'cpu'`` or ``'cuda'``.
        repeats (int): Timed runs per measurement (their median).
        profile (bool): Add the profiler table of our fp32 step.
        threads (int, optional): ``torch.set_num_threads``.
        epochs (int): Training epochs of the epoch part (the first one
            warms up).
        epoch_data (str, optional): Folder for the epoch part's data,
            generated once and reused by later runs of the same size;
            None: a temporary folder.
        shared_data (str, optional): Folder with the real THUMOS14
            annotation files (:data:`~.epoch.THUMOS14_FILES`) the epoch
            part's data are shaped on; without them they are synthetic.
    """
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ValueError(f'`parts` {unknown} are not parts of the benchmark '
                         f'({list(PARTS)})')
    if repeats < 1:
        raise ValueError(f'`repeats` must be >= 1, got {repeats}')
    if epochs < 1:
        raise ValueError(f'`epochs` must be >= 1, got {epochs}')
    if device == 'cuda' and not torch.cuda.is_available():
        raise ValueError('`device` cuda: CUDA is not available')
    if threads:
        torch.set_num_threads(threads)
    # what the parts read of the command line
    a = argparse.Namespace(device=device, repeats=repeats,
                           no_profile=not profile, epochs=epochs,
                           epoch_data=epoch_data, shared_data=shared_data)
    precisions = available_precisions(device)
    print(f'# BackTAL benchmark ({datetime.date.today()}, '
          f'device={device}, median of {repeats})\n')
    print(f'Machine: {lscpu_summary()}'
          + (f'\n\nCUDA: {cuda_summary()}' if device == 'cuda' else ''))
    if device == 'cpu' and not cpu_bf16_hardware():
        print('\nNo bf16 hardware (avx512_bf16 / amx_bf16): bf16 rows are '
              'skipped (emulated bf16 GEMMs run 30-100x slower).')
    for name, s in sizes.items():
        print(f"\n### Size `{name}`: B={s['B']}, T={s['T']}, D={s['D']}, "
              f"H={s['H']}, C={s['C']}")
        ctx = dict(limit={}, best={}, precisions=precisions)
        for part, run in PARTS.items():
            if part in parts and (part not in ('testpass', 'epoch')
                                  or s['videos']):
                run(s, a, ctx)

"""One-command performance benchmark of BackTAL (model, post-processing,
metric, data pipeline), measured against naive formulations and against the
machine's own fp32 limit.

Example::

    PYTHONPATH=. python tools/analysis/benchmark.py                  # all
    PYTHONPATH=. python tools/analysis/benchmark.py --sizes official
    PYTHONPATH=. python tools/analysis/benchmark.py --quick          # < 1 min

It prints markdown tables (copied to ``docs/benchmark.md``).

How things are measured
-----------------------
- Time: median of ``--repeats`` runs after one warm-up run (CUDA:
  synchronized).
- FLOPs: counted analytically from the shapes each convolution actually
  sees (forward hooks): ``2 * B * T * C_out * C_in * k`` per conv (an
  :class:`AffinityConv1d` counts as a ``k = 3`` conv; element-wise work,
  the embedding similarity matrix and the losses are < 0.1 % and not
  counted). Backward counts ``2x`` forward (input and weight gradient),
  the usual convention, so forward + backward = ``3x`` forward.
- Peak memory (one extra, untimed call): *peak tensor MiB* is the peak
  of the bytes held by tensors allocated during the call (what was alive
  before, e.g. inputs and parameters, is not counted). On CUDA this is
  ``torch.cuda.max_memory_allocated``; on CPU the same accounting is
  rebuilt from the profiler's allocation / free events
  (``profile_memory=True``). *Peak RSS MiB* (CPU) is the growth of the
  process's resident set (``VmHWM`` reset through
  ``/proc/self/clear_refs``): it also sees MKL / oneDNN scratch memory
  but under-counts small tensors that re-use freed heap memory.
- Contention: every table says how much CPU time *other* processes used
  while it was measured (``/proc/stat`` minus this process); re-run
  tables measured on a busy machine.
"""
import argparse
import contextlib
import datetime
import gc
import math
import os
import os.path as osp
import platform
import resource
import sys
import tempfile
import time
import types
from typing import Callable, Dict, List, Optional

# PyTorch reads THP_MEM_ALLOC_ENABLE once, at its first allocation, so
# --thp must set it before torch is imported.
if '--thp' in sys.argv[1:]:
    os.environ['THP_MEM_ALLOC_ENABLE'] = '1'

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import benchmark_metric  # noqa: E402
import benchmark_postprocessing  # noqa: E402
from backtal_mmaction.models.backbones.affinity_conv import (  # noqa: E402
    AffinityConv1d, neighbour_affinity)

# Model sizes of the paper's configs; ``quick`` is a smoke-test size.
SIZES = {
    'official': dict(
        config='configs/backtal/backtal_thumos14.py', B=16, T=750, D=2048,
        H=2048, hidden=512, C=20, infer_T=(400, 750, 1000)),
    'anet': dict(
        config='configs/backtal/backtal_activitynet12.py', B=128, T=100,
        D=2048, H=2048, hidden=512, C=100, infer_T=(100, 200)),
}
QUICK = dict(
    config='configs/backtal/backtal_thumos14.py', B=2, T=64, D=128, H=128,
    hidden=32, C=20, infer_T=(64, ))


# ---------------------------------------------------------------------- #
# measurement helpers
# ---------------------------------------------------------------------- #
def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def median_time(fn: Callable, repeats: int, device: str = 'cpu',
                warmup: int = 1) -> float:
    """Median wall time (s) of ``fn()`` over ``repeats`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        tic = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - tic)
    return float(np.median(times))


def _proc_status_kib(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> Optional[int]:
    """Reset ``VmHWM`` to the current RSS (Linux); returns that RSS (KiB)
    or None where not possible."""
    base = _proc_status_kib('VmRSS')
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return None
    return base


def peak_memory(fn: Callable, device: str = 'cpu') -> Dict[str, float]:
    """Peak memory of one ``fn()`` call on top of what was alive before it.

    Returns:
        dict: ``tensor`` (MiB): peak of the bytes held by tensors,
        ``torch.cuda.max_memory_allocated`` on CUDA; on CPU the same
        accounting rebuilt from the profiler's allocation / free events
        (``profile_memory=True``; this call is not timed). ``rss`` (MiB,
        CPU only): peak resident-set growth of the process (``VmHWM``
        reset through ``/proc/self/clear_refs``); it includes MKL / oneDNN
        scratch memory but under-counts small tensors that re-use heap
        memory freed earlier. NaN where not measurable.
    """
    gc.collect()
    if device == 'cuda':
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        torch.cuda.synchronize()
        return dict(
            tensor=(torch.cuda.max_memory_allocated() - base) / 2**20,
            rss=float('nan'))
    from torch.profiler import ProfilerActivity, profile
    base_rss = _reset_peak_rss()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as p:
        fn()
    peak_rss = _proc_status_kib('VmHWM')
    events = sorted((e.start_ns(), e.nbytes())
                    for e in p.profiler.kineto_results.events()
                    if e.name() == '[memory]')
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    rss = float('nan') if base_rss is None or peak_rss is None else \
        (peak_rss - base_rss) / 1024
    return dict(tensor=peak / 2**20, rss=rss)


class OtherLoad:
    """Share of the machine's CPU time used by *other* processes while the
    context is open (system busy time from ``/proc/stat`` minus this
    process's user + system time), e.g. 0.5 = one of two cores busy
    elsewhere. NaN where ``/proc/stat`` is missing. Timings taken with a
    high value are contended and should be re-run."""

    @staticmethod
    def _system_busy() -> Optional[float]:
        try:
            with open('/proc/stat') as f:
                v = [int(t) for t in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return (sum(v) - v[3] - v[4]) / os.sysconf('SC_CLK_TCK')

    @staticmethod
    def _self_time() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def __enter__(self):
        self.wall = time.perf_counter()
        self.busy = self._system_busy()
        self.own = self._self_time()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self.wall
        busy = self._system_busy()
        if busy is None or self.busy is None or wall <= 0:
            self.value = float('nan')
            return
        other = (busy - self.busy) - (self._self_time() - self.own)
        self.value = max(0.0, other / wall / (os.cpu_count() or 1))


def fmt(v: float, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return 'n/a'
    return f'{v:,.{digits}f}'


def _ratio(v: Optional[float]) -> str:
    if v is None:
        return ''
    return 'n/a' if math.isnan(v) else f'{v:.2f}x'


def print_table(title: str, header: List[str], rows: List[List],
                load: Optional[OtherLoad] = None) -> None:
    print(f'\n#### {title}\n')
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '|'.join('---' for _ in header) + '|')
    for r in rows:
        print('| ' + ' | '.join(str(c) for c in r) + ' |')
    if load is not None:
        print(f'\nOther processes used {fmt(100 * load.value, 0)} % of the '
              f'CPU time while this table was measured; load average '
              f'{_loadavg()}.')
    sys.stdout.flush()


def _loadavg() -> str:
    try:
        return ' '.join('%.2f' % v for v in os.getloadavg())
    except OSError:
        return 'n/a'


# ---------------------------------------------------------------------- #
# naive reference formulation of the affinity conv
# ---------------------------------------------------------------------- #
def naive_affinity_conv1d(x: torch.Tensor, embedding: torch.Tensor,
                          weight: torch.Tensor, mode: str) -> torch.Tensor:
    """The official code's formulation: ``nn.Unfold`` the input to
    ``(B, 3D, T)`` (channel-major, index ``c * 3 + j``), multiply by the
    affinity tiled to ``(B, 3D, T)``, one ``(H, 3D)`` matmul.

    ``per_tap`` tiles so that entry ``c * 3 + j`` gets tap ``j``;
    ``official`` tiles tap-major (entry ``g * D + c`` gets ``g``), which is
    what the released code does.
    """
    B, D, T = x.shape
    a_prev, a_next = neighbour_affinity(embedding)
    a = torch.cat([a_prev, torch.ones_like(a_prev), a_next], 1)  # (B, 3, T)
    unfolded = F.unfold(x.unsqueeze(-1), kernel_size=(3, 1),
                        padding=(1, 0))  # (B, 3D, T)
    tile = a.repeat(1, D, 1) if mode == 'per_tap' else \
        a.repeat_interleave(D, dim=1)
    return torch.matmul(weight.reshape(weight.shape[0], 3 * D),
                        unfolded * tile)


@contextlib.contextmanager
def naive_affinity_layers(model: nn.Module):
    """Temporarily run every :class:`AffinityConv1d` of ``model`` with
    :func:`naive_affinity_conv1d`."""
    patched = []
    for m in model.modules():
        if isinstance(m, AffinityConv1d) and m.affinity != 'none':

            def forward(self, x, embedding=None):
                if embedding is None:
                    return F.conv1d(x, self.weight, padding=1)
                return naive_affinity_conv1d(x, embedding, self.weight,
                                             self.affinity)

            m.forward = types.MethodType(forward, m)
            patched.append(m)
    try:
        yield model
    finally:
        for m in patched:
            del m.forward


# ---------------------------------------------------------------------- #
# FLOP counting
# ---------------------------------------------------------------------- #
class ConvFlopCounter:
    """Forward FLOPs of every ``nn.Conv1d`` / :class:`AffinityConv1d` call
    (``2 * B * T_out * C_out * C_in / groups * k``), via forward hooks."""

    def __init__(self, model: nn.Module) -> None:
        self.flops = 0
        self.handles = []
        for m in model.modules():
            if isinstance(m, (nn.Conv1d, AffinityConv1d)):
                self.handles.append(m.register_forward_hook(self._hook))

    def _hook(self, module, inputs, output):
        x = inputs[0]
        if isinstance(module, nn.Conv1d):
            k = module.kernel_size[0]
            cin = module.in_channels // module.groups
        else:
            k, cin = 3, module.in_channels
        self.flops += 2 * x.shape[0] * output.shape[-1] * output.shape[1] \
            * cin * k

    def remove(self):
        for h in self.handles:
            h.remove()


def count_forward_flops(fn: Callable, model: nn.Module) -> int:
    counter = ConvFlopCounter(model)
    try:
        with torch.no_grad():
            fn()
    finally:
        counter.remove()
    return counter.flops


# ---------------------------------------------------------------------- #
# 1. the machine's fp32 limit
# ---------------------------------------------------------------------- #
def _matmul_gflops(m: int, k: int, n: int, repeats: int, device: str,
                   g: torch.Generator) -> float:
    a = torch.randn(m, k, generator=g).to(device)
    b = torch.randn(k, n, generator=g).to(device)
    out = torch.empty(m, n, device=device)
    t = median_time(lambda: torch.mm(a, b, out=out), repeats, device)
    return 2 * m * k * n / t / 1e9


def bench_limit(s: dict, repeats: int, device: str) -> dict:
    """The machine's fp32 limit: large matmuls (the layer's own GEMM shape
    and a square one) and a plain ``nn.Conv1d(D, H, 3)`` (oneDNN on CPU)
    forward and forward+backward; ``limit`` is the best of them."""
    B, T, D, H = s['B'], s['T'], s['D'], s['H']
    g = torch.Generator().manual_seed(0)
    n, sq = B * T, (4096 if D >= 1024 else 512)
    res = {
        f'matmul ({n}x{D}) @ ({D}x{H})':
        _matmul_gflops(n, D, H, repeats, device, g),
        f'matmul {sq}^3': _matmul_gflops(sq, sq, sq, repeats, device, g),
    }
    conv = nn.Conv1d(D, H, 3, padding=1, bias=False).to(device)
    x = torch.randn(B, D, T, generator=g).to(device).requires_grad_()
    gy = torch.randn(B, H, T, generator=g).to(device)
    flops = 2 * B * T * H * D * 3
    t_f = median_time(lambda: conv(x), repeats, device)
    res[f'nn.Conv1d({D}, {H}, 3) forward'] = flops / t_f / 1e9

    def fwd_bwd():
        conv(x).backward(gy)

    t_fb = median_time(fwd_bwd, repeats, device)
    res[f'nn.Conv1d({D}, {H}, 3) fwd+bwd'] = 3 * flops / t_fb / 1e9
    res['limit'] = max(res.values())
    return res


# ---------------------------------------------------------------------- #
# 2. AffinityConv1d vs nn.Conv1d vs the unfold formulation
# ---------------------------------------------------------------------- #
def bench_affinity_conv(s: dict, repeats: int, device: str) -> List[dict]:
    B, T, D, H = s['B'], s['T'], s['D'], s['H']
    flops = 3 * 2 * B * T * H * D * 3  # forward + backward
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, D, T, generator=g).to(device).requires_grad_()
    e_raw = torch.randn(B, 32, T, generator=g).to(device).requires_grad_()
    gy = torch.randn(B, H, T, generator=g).to(device)
    rows = []

    def measure(name, fn):
        mem = peak_memory(fn, device)
        t = median_time(fn, repeats, device)
        rows.append(dict(name=name, time=t, gflops=flops / t / 1e9, mem=mem))
        return t, mem['tensor']

    conv = nn.Conv1d(D, H, 3, padding=1, bias=False).to(device)

    def plain():
        conv(x).backward(gy)

    measure('nn.Conv1d (no affinity)', plain)
    for mode in ('per_tap', 'official'):
        layer = AffinityConv1d(D, H, affinity=mode).to(device)

        def fast():
            e = F.normalize(e_raw, dim=1)
            layer(x, e).backward(gy)

        def naive():
            e = F.normalize(e_raw, dim=1)
            naive_affinity_conv1d(x, e, layer.weight, mode).backward(gy)

        # same numbers: outputs and all three gradients
        outs = []
        for fn in (lambda e: layer(x, e),
                   lambda e: naive_affinity_conv1d(x, e, layer.weight, mode)):
            for p in (x, e_raw, layer.weight):
                p.grad = None
            y = fn(F.normalize(e_raw, dim=1))
            y.backward(gy)
            outs.append([y.detach()] + [p.grad.clone()
                                        for p in (x, e_raw, layer.weight)])
        ok = all(torch.allclose(a, b, rtol=1e-4, atol=1e-3 * b.abs().max())
                 for a, b in zip(*outs))
        del outs
        t_fast, m_fast = measure(f'AffinityConv1d {mode} (fast)', fast)
        t_naive, m_naive = measure(f'unfold + tile + matmul {mode}', naive)
        rows[-2]['speedup'] = t_naive / t_fast
        rows[-2]['mem_ratio'] = m_fast / m_naive if m_naive else float('nan')
        rows[-2]['allclose'] = ok
        rows[-1]['allclose'] = ok
        for p in (x, e_raw, layer.weight):
            p.grad = None
    return rows


# ---------------------------------------------------------------------- #
# 3. the whole model
# ---------------------------------------------------------------------- #
def build_model(s: dict, device: str) -> nn.Module:
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    import backtal_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, s['config'])).model
    D, H, hidden = s['D'], s['H'], s['hidden']
    cfg.embedding.update(in_channels=D, hidden_channels=hidden)
    cfg.backbone.update(in_channels=D, hidden_channels=H)
    cfg.fg_filter.update(in_channels=D, hidden_channels=hidden)
    cfg.cls_head.update(in_channels=H, num_classes=s['C'])
    torch.manual_seed(0)
    return MODELS.build(cfg).to(device)


def make_samples(B: int, T: int, C: int, device: str, seed: int = 0):
    from mmaction.structures import ActionDataSample
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(B):
        ds = ActionDataSample()
        labels = torch.zeros(C)
        labels[rng.choice(C, size=rng.integers(1, 3), replace=False)] = 1
        ds.gt_video_labels = labels.to(device)
        clicks = torch.full((T, ), -100, dtype=torch.long)
        clicks[torch.from_numpy(rng.choice(T, max(1, T // 50),
                                           replace=False))] = C
        ds.gt_click_labels = clicks.to(device)
        out.append(ds)
    return out


def bench_model(s: dict, repeats: int, device: str, naive: bool = False,
                bf16: bool = False, profile: bool = False) -> dict:
    """Training step (forward+losses, backward, Adam step) at ``(B, D, T)``.

    Returns times (s), GFLOP/s (forward / forward+backward), it/s, peak
    memory of one whole step and, with ``profile``, the profiler's top ops.
    """
    B, T, D = s['B'], s['T'], s['D']
    model = build_model(s, device).train()
    optim = torch.optim.Adam(model.parameters(), lr=1e-4,
                             weight_decay=5e-4)
    x = torch.randn(B, D, T, generator=torch.Generator().manual_seed(0))
    x = x.to(device)
    samples = make_samples(B, T, s['C'], device)
    phases = {'fwd': [], 'bwd': [], 'opt': []}
    ctx = naive_affinity_layers(model) if naive else contextlib.nullcontext()
    amp = (torch.autocast(device, dtype=torch.bfloat16)
           if bf16 else contextlib.nullcontext())

    def step(record=False):
        optim.zero_grad(set_to_none=True)
        _sync(device)
        t0 = time.perf_counter()
        with amp:
            losses = model(x, samples, mode='loss')
            loss = sum(losses.values())
        _sync(device)
        t1 = time.perf_counter()
        loss.backward()
        _sync(device)
        t2 = time.perf_counter()
        optim.step()
        _sync(device)
        t3 = time.perf_counter()
        if record:
            phases['fwd'].append(t1 - t0)
            phases['bwd'].append(t2 - t1)
            phases['opt'].append(t3 - t2)

    with ctx:
        flops = count_forward_flops(lambda: model(x, samples, mode='loss'),
                                    model)
        step()  # warm-up (also allocates Adam's state)
        mem = peak_memory(step, device)
        for _ in range(repeats):
            step(record=True)
        top = profile_step(step, device) if profile else None
    med = {k: float(np.median(v)) for k, v in phases.items()}
    total = float(np.median([sum(v) for v in zip(*phases.values())]))
    return dict(
        flops=flops, fwd=med['fwd'], bwd=med['bwd'], opt=med['opt'],
        step=total, fwd_gflops=flops / med['fwd'] / 1e9,
        fwdbwd_gflops=3 * flops / (med['fwd'] + med['bwd']) / 1e9,
        step_gflops=3 * flops / total / 1e9, its=1 / total, mem=mem,
        top=top)


def profile_step(step: Callable, device: str, top: int = 12) -> str:
    """``torch.profiler`` table of one step, ops sorted by self time."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU]
    if device == 'cuda':
        acts.append(ProfilerActivity.CUDA)
    with profile(activities=acts) as prof:
        step()
    key = 'self_cuda_time_total' if device == 'cuda' else \
        'self_cpu_time_total'
    return prof.key_averages().table(sort_by=key, row_limit=top,
                                     max_name_column_width=40)


def bench_inference(s: dict, repeats: int, device: str) -> List[dict]:
    """Batch-1 forward (both branches, no grad) at test-video lengths."""
    model = build_model(s, device).eval()
    rows = []
    for T in s['infer_T']:
        x = torch.randn(1, s['D'], T,
                        generator=torch.Generator().manual_seed(T)).to(device)

        def fwd():
            with torch.no_grad():
                model(x, mode='tensor')

        flops = count_forward_flops(fwd, model)
        t = median_time(fwd, repeats, device)
        rows.append(dict(T=T, ms=1e3 * t, gflops=flops / t / 1e9,
                         mem=peak_memory(fwd, device)))
    return rows


# ---------------------------------------------------------------------- #
# 4. post-processing and metric (existing benchmark modules)
# ---------------------------------------------------------------------- #
def bench_postprocessing(repeats: int, quick: bool) -> List[dict]:
    # THUMOS14 test videos: 16-frame snippets at ~30 fps; a median-length
    # video (~3.5 min) and a long one (~14 min).
    cases = [(400, 6400)] if quick else [(400, 6400), (1600, 25600)]
    rows = []
    for T, nf in cases:
        r = benchmark_postprocessing.run_benchmark(
            repeats=repeats, num_snippets=T, num_frames=nf,
            duration=nf / 30.0)
        rows.append(dict(T=T, frames=nf, **r))
    return rows


def bench_metric(repeats: int, quick: bool) -> dict:
    case = benchmark_metric.build_thumos_like_case(
        num_videos=21 if quick else 210, preds_per_video=200)
    return benchmark_metric.run_benchmark(repeats=repeats, naive_repeats=1,
                                          case=case)


# ---------------------------------------------------------------------- #
# 5. data pipeline
# ---------------------------------------------------------------------- #
def write_feature_files(root: str, num_videos: int, D: int, lengths,
                        seed: int = 0) -> List[dict]:
    """``.npy`` (T, D) and official ``.npz`` (feat_spa / feat_tem, each
    (D/2, T)) files plus the data infos the dataset would produce."""
    rng = np.random.default_rng(seed)
    infos = []
    for i in range(num_videos):
        T = int(lengths[i])
        feat = rng.standard_normal((T, D), dtype=np.float32)
        name = f'video_{i:03d}'
        np.save(osp.join(root, name + '.npy'), feat)
        np.savez(osp.join(root, name + '.npz'),
                 feat_spa=np.ascontiguousarray(feat[:, :D // 2].T),
                 feat_tem=np.ascontiguousarray(feat[:, D // 2:].T))
        duration = T * 16 / 30.0
        clicks = np.sort(rng.uniform(0, duration, 10))
        infos.append(dict(
            video_name=name, duration=duration, fps=30.0,
            num_frames=T * 16, num_classes=20,
            gt_segments=np.array([[1.0, 5.0]]), gt_labels=np.array([3]),
            video_labels=np.eye(20, dtype=np.float32)[3],
            click_times=clicks, click_labels=np.full(10, 20),
            click_annotators=['A'] * 10))
    return infos


def bench_pipeline(s: dict, repeats: int, device: str) -> List[dict]:
    """One training batch through the dataset transforms, the collate
    function and the data preprocessor: ``B`` videos of ``T..4T`` snippets
    (official THUMOS14 videos are ~750-3000 snippets long), resampled to
    ``T``."""
    from mmengine.dataset import pseudo_collate

    from backtal_mmaction.datasets.transforms import (
        BuildClickLabels, LoadSnippetFeature, PackClickLocalizationInputs,
        ResampleSnippets)
    from backtal_mmaction.models.data_preprocessors.snippet_preprocessor \
        import SnippetFeaturePreprocessor
    num_videos, D, N = s['B'], s['D'], s['T']
    lengths = np.linspace(N, 4 * N, num_videos).astype(int)
    rows = []
    preproc = SnippetFeaturePreprocessor().to(device)
    with tempfile.TemporaryDirectory() as root:
        infos = write_feature_files(root, num_videos, D, lengths)
        for suffix, mmap in (('.npy', False), ('.npy', True),
                             ('.npz', False)):
            pipeline = [
                LoadSnippetFeature(feat_dim=D, mmap=mmap),
                ResampleSnippets(num_segments=N, mode='random'),
                BuildClickLabels(),
                PackClickLocalizationInputs()
            ]

            def load_batch():
                batch = []
                for info in infos:
                    r = dict(info)
                    r['feature_path'] = osp.join(root,
                                                 info['video_name'] + suffix)
                    for tf in pipeline:
                        r = tf(r)
                    batch.append(r)
                data = preproc(pseudo_collate(batch), training=True)
                assert data['inputs'].shape == (num_videos, D, N)

            t = median_time(load_batch, repeats, device)
            rows.append(dict(
                fmt=('official .npz' if suffix == '.npz' else
                     f'.npy mmap={mmap}'),
                ms=1e3 * t, videos=num_videos,
                lengths=f'{lengths.min()}..{lengths.max()}',
                mb=sum(int(n) * D * 4 for n in lengths) / 2**20))
    return rows


# ---------------------------------------------------------------------- #
# report
# ---------------------------------------------------------------------- #
def machine_description() -> str:
    model = platform.processor() or 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = _proc_meminfo_gib()
    flags = ''
    try:
        with open('/proc/cpuinfo') as f:
            txt = f.read()
        flags = ', '.join(fl for fl in ('avx2', 'avx512f', 'avx512_bf16',
                                        'amx_bf16') if f' {fl} ' in txt)
    except OSError:
        pass
    desc = (f'{model}, {os.cpu_count()} logical CPUs ({flags or "?"}), '
            f'{fmt(mem)} GiB RAM; torch {torch.__version__}, '
            f'{torch.get_num_threads()} threads, CPU capability '
            f'{torch.backends.cpu.get_cpu_capability()}, '
            'THP_MEM_ALLOC_ENABLE='
            f"{os.environ.get('THP_MEM_ALLOC_ENABLE', 'unset')}")
    if torch.cuda.is_available():
        desc += f'; CUDA: {torch.cuda.get_device_name()}'
    return desc


def _proc_meminfo_gib() -> float:
    try:
        with open('/proc/meminfo') as f:
            return int(f.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        return float('nan')


def run(sizes: List[str], device: str, repeats: int, quick: bool,
        naive_model: bool, profile: bool, parts: List[str]) -> None:
    print(f'# BackTAL benchmark ({datetime.date.today()}, device={device}, '
          f'median of {repeats})\n')
    print(f'Machine: {machine_description()}')
    for name in sizes:
        s = QUICK if quick else SIZES[name]
        label = 'quick' if quick else name
        print(f"\n### Size `{label}`: B={s['B']}, D={s['D']}, H={s['H']}, "
              f"T={s['T']}, C={s['C']}")
        limit, step_time = None, None
        if 'limit' in parts:
            with OtherLoad() as load:
                lim = bench_limit(s, repeats, device)
            limit = lim.pop('limit')
            print_table('Machine fp32 limit (measured in this run)',
                        ['primitive', 'GFLOP/s'],
                        [[k, fmt(v)] for k, v in lim.items()] +
                        [['**limit (best)**', f'**{fmt(limit)}**']], load)

        def pct(gflops):
            return fmt(100 * gflops / limit) if limit else 'n/a'

        if 'conv' in parts:
            with OtherLoad() as load:
                rows = bench_affinity_conv(s, repeats, device)
            print_table(
                'One conv layer, forward + backward (3x forward FLOPs)',
                ['layer', 'ms', 'GFLOP/s', '% of limit', 'peak tensor MiB',
                 'peak RSS MiB',
                 'speed-up vs unfold', 'memory vs unfold', 'allclose'],
                [[r['name'], fmt(1e3 * r['time']), fmt(r['gflops']),
                  pct(r['gflops']), fmt(r['mem']['tensor'], 0),
                  fmt(r['mem']['rss'], 0),
                  _ratio(r.get('speedup')), _ratio(r.get('mem_ratio')),
                  r.get('allclose', '')] for r in rows], load)
        if 'train' in parts:
            variants = [('BackTAL (fast AffinityConv1d)', False)]
            if naive_model:
                variants.append(('BackTAL, unfold affinity conv', True))
            rows, top = [], None
            with OtherLoad() as load:
                for vname, naive in variants:
                    r = bench_model(s, repeats, device, naive=naive,
                                    profile=profile and not naive)
                    if not naive:
                        step_time, top = r['step'], r['top']
                    rows.append([
                        vname,
                        fmt(r['flops'] / 1e9, 0 if r['flops'] > 1e11 else 2),
                        fmt(1e3 * r['fwd'], 0), fmt(1e3 * r['bwd'], 0),
                        fmt(1e3 * r['opt'], 0), fmt(r['fwd_gflops']),
                        fmt(r['fwdbwd_gflops']), fmt(r['step_gflops']),
                        pct(r['step_gflops']), fmt(r['its'], 3),
                        fmt(r['mem']['tensor'], 0), fmt(r['mem']['rss'], 0)
                    ])
                    gc.collect()
            print_table(
                'Training step (forward + 6 losses, backward, Adam)',
                ['model', 'fwd GFLOP', 'fwd ms', 'bwd ms', 'Adam ms',
                 'fwd GFLOP/s', 'fwd+bwd GFLOP/s', 'step GFLOP/s',
                 'step % of limit', 'it/s', 'peak tensor MiB',
                 'peak RSS MiB'], rows, load)
            if top:
                print('\nTop ops of one training step (torch.profiler, '
                      'self time):\n')
                print('```\n' + top.strip() + '\n```')
        if 'bf16' in parts:
            # bf16 GEMMs have no fast kernel on CPUs without AVX512-BF16 /
            # AMX (30-100x slower than fp32 here), so the comparison runs
            # on one short video; the ratio is what matters.
            small = dict(s, B=1, T=min(s['T'], 100))
            rows = []
            with OtherLoad() as load:
                for vname, amp in (('fp32', False), ('bf16 autocast', True)):
                    r = bench_model(small, repeats, device, bf16=amp)
                    rows.append([vname, fmt(1e3 * r['fwd']),
                                 fmt(1e3 * r['bwd']), fmt(1e3 * r['step']),
                                 fmt(r['step_gflops'])])
            print_table(
                f"Mixed precision, training step at B=1, T={small['T']} "
                '(same model)',
                ['precision', 'fwd ms', 'bwd ms', 'step ms',
                 'step GFLOP/s'], rows, load)
        if 'infer' in parts:
            with OtherLoad() as load:
                rows = bench_inference(s, repeats, device)
            print_table('Inference, batch 1, both branches, no grad',
                        ['T (snippets)', 'ms/video', 'GFLOP/s',
                         'peak tensor MiB'],
                        [[r['T'], fmt(r['ms']), fmt(r['gflops']),
                          fmt(r['mem']['tensor'], 0)] for r in rows], load)
        if 'data' in parts:
            with OtherLoad() as load:
                rows = bench_pipeline(s, repeats, device)
            print_table(
                f"Data: load + resample + pack + stack one batch "
                f"({rows[0]['videos']} videos of {rows[0]['lengths']} "
                f"snippets, {fmt(rows[0]['mb'], 0)} MiB of float32, warm "
                'page cache, one process)',
                ['format', 'ms/batch', '% of a training step'],
                [[r['fmt'], fmt(r['ms']),
                  fmt(100 * r['ms'] / 1e3 / step_time) if step_time else
                  'n/a'] for r in rows], load)
    if 'post' in parts:
        with OtherLoad() as load:
            rows = bench_postprocessing(repeats, quick)
        print_table(
            'Post-processing per video (vectorized vs loop reference, '
            'identical detections)',
            ['snippets', 'frames', 'proposals', 'vectorized ms',
             'loops ms', 'speed-up'],
            [[r['T'], r['frames'], r['num_proposals'],
              fmt(r['full_vectorized_ms'], 2), fmt(r['full_naive_ms'], 2),
              fmt(r['full_naive_ms'] / r['full_vectorized_ms']) + 'x']
             for r in rows], load)
    if 'metric' in parts:
        with OtherLoad() as load:
            r = bench_metric(repeats, quick)
        print_table(
            'Detection mAP (vectorized vs per-prediction loop, identical AP)',
            ['predictions', 'GT', 'vectorized ms', 'loop ms', 'speed-up'],
            [[r['num_predictions'], r['num_gt'],
              fmt(1e3 * r['vectorized_s']), fmt(1e3 * r['naive_s']),
              fmt(r['speedup']) + 'x']], load)


PARTS = ('limit', 'conv', 'train', 'bf16', 'infer', 'data', 'post', 'metric')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', nargs='+', default=['official', 'anet'],
                        choices=sorted(SIZES))
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes, a smoke run in < 1 minute')
    parser.add_argument('--parts', nargs='+', default=None, choices=PARTS,
                        help='sections to run (default: all but bf16)')
    parser.add_argument('--no-naive-model', action='store_true',
                        help='skip the training step with the unfold conv')
    parser.add_argument('--bf16', action='store_true',
                        help='also time a (short) training step under '
                        'bf16 autocast (adds the bf16 part)')
    parser.add_argument('--no-profile', action='store_true',
                        help='skip the torch.profiler top-ops table')
    parser.add_argument('--thp', action='store_true',
                        help='back large CPU tensors with transparent huge '
                        'pages (sets THP_MEM_ALLOC_ENABLE=1 before torch is '
                        'imported): far fewer page faults on fresh tensors')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads (default: torch\'s)')
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f'--repeats must be >= 1, got {args.repeats}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: CUDA is not available in this torch '
                     f'build / machine (torch {torch.__version__})')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = args.sizes[:1] if args.quick else args.sizes
    parts = args.parts or [p for p in PARTS if p != 'bf16']
    if args.bf16 and 'bf16' not in parts:
        parts.append('bf16')
    run(sizes, args.device, args.repeats, args.quick,
        naive_model=not args.no_naive_model, profile=not args.no_profile,
        parts=parts)


if __name__ == '__main__':
    main()

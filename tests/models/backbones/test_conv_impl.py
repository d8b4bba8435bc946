"""Every kernel library of the convolutions computes the same convolution,
and 'auto' picks by measurement, once per shape."""
import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.backbones import conv_impl
from backtal_mmaction.models.backbones.affinity_conv import (
    AffinityConv1d, AffinityEmbedding, tap_channel_ranges)
from backtal_mmaction.models.backbones.affinity_gemm import affinity_conv1d
from backtal_mmaction.models.backbones.conv_impl import (SelectableConv1d,
                                                         choice_cache, choose)
from backtal_mmaction.models.heads import ForegroundFilter, TopKMILHead
from backtal_mmaction.testing.backtal_original import unfold_affinity_conv1d

ONEDNN = conv_impl.onednn_gemm_ok(torch.zeros(1))


@pytest.fixture(autouse=True)
def fresh_cache():
    choice_cache().clear()
    yield
    choice_cache().clear()


def _inputs(B=3, D=9, H=6, T=11, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, D, T, generator=g, dtype=torch.float64)
    e = F.normalize(torch.randn(B, 4, T, generator=g, dtype=torch.float64),
                    dim=1)
    w = torch.randn(H, D, 3, generator=g, dtype=torch.float64)
    return x, e, w


def _fwd_bwd(fn, tensors, g):
    tensors = [t.clone().requires_grad_() for t in tensors]
    y = fn(*tensors)
    (y.double() * g).sum().backward()
    return [y.detach().double()] + [t.grad.double() for t in tensors]


@pytest.mark.parametrize('impl', ['gemm', 'conv'])
@pytest.mark.parametrize('mode', ['per_tap', 'official'])
def test_affinity_impls_equal_unfold_reference(impl, mode):
    x, e, w = _inputs()
    g = torch.randn(3, 6, 11, dtype=torch.float64)
    ranges = tap_channel_ranges(9, mode)

    # the embedding is normalized inside, as in the model: the cosine of the
    # reference and our dot product then have the same gradient
    def ours(x, e, w):
        e = F.normalize(e, dim=1)
        dots = (e[..., 1:] * e[..., :-1]).sum(1, keepdim=True)
        return affinity_conv1d(x, F.pad(dots, (1, 0)), F.pad(dots, (0, 1)),
                               w, ranges, impl=impl)

    def reference(x, e, w):
        return unfold_affinity_conv1d(x, F.normalize(e, dim=1), w, mode)

    ref = _fwd_bwd(reference, (x, e, w), g)
    # float32 (oneDNN has no float64 kernel) against the float64 reference
    got = _fwd_bwd(ours, (x.float(), e.float(), w.float()), g)
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    # float64 (no oneDNN kernel: 'conv' falls back to the GEMM path)
    f64 = _fwd_bwd(ours, (x, e, w), g)
    for a, b in zip(f64, ref):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('impl', ['gemm', 'conv', 'auto'])
@pytest.mark.parametrize('k,bias', [(1, True), (3, True), (3, False),
                                    (5, True)])
def test_plain_conv_impls_equal_conv1d(impl, k, bias):
    torch.manual_seed(0)
    conv = SelectableConv1d(7, 5, k, bias=bias, impl=impl).double()
    ref = torch.nn.Conv1d(7, 5, k, padding=k // 2, bias=bias).double()
    ref.load_state_dict(conv.state_dict())
    x = torch.randn(2, 7, 13, dtype=torch.float64, requires_grad=True)
    xr = x.detach().clone().requires_grad_()
    y, yr = conv(x), ref(xr)
    torch.testing.assert_close(y, yr)
    g = torch.randn_like(yr)
    (y * g).sum().backward()
    (yr * g).sum().backward()
    torch.testing.assert_close(x.grad, xr.grad)
    for p, q in zip(conv.parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad)


def test_affinity_none_uses_the_plain_impls():
    torch.manual_seed(0)
    x = torch.randn(2, 6, 9, dtype=torch.float64)
    conv = AffinityConv1d(6, 4, affinity='none', impl='gemm').double()
    torch.testing.assert_close(conv(x), F.conv1d(x, conv.weight, padding=1))


def test_bad_impl_is_named():
    with pytest.raises(ValueError, match="AffinityConv1d: impl='fast'"):
        AffinityConv1d(4, 4, impl='fast')
    with pytest.raises(ValueError, match='SelectableConv1d'):
        SelectableConv1d(4, 4, 3, impl='mkl')
    with pytest.raises(ValueError, match='odd'):
        SelectableConv1d(4, 4, 2)


def test_choose_keeps_default_unless_clearly_faster(monkeypatch):
    times = {}
    monkeypatch.setattr(conv_impl, '_best_time', lambda fn: times[fn()])
    runs = {'gemm': lambda: 'gemm', 'conv': lambda: 'conv'}
    big = conv_impl.MIN_AUTO_FLOPS

    times.update(gemm=1.0, conv=0.9)  # 10 % faster: chosen
    assert choose('a', big, 'gemm', lambda: runs) == 'conv'
    times.update(gemm=1.0, conv=0.97)  # within the margin: default stays
    assert choose('b', big, 'gemm', lambda: runs) == 'gemm'
    times.update(gemm=0.5, conv=1.0)
    assert choose('c', big, 'conv', lambda: runs) == 'gemm'
    # cached: later timings do not change a made choice
    times.update(gemm=9.0, conv=0.1)
    assert choose('b', big, 'gemm', lambda: runs) == 'gemm'
    assert len(choice_cache()) == 3
    # small work is not measured at all
    assert choose('d', big - 1, 'gemm', lambda: 1 / 0) == 'gemm'
    assert len(choice_cache()) == 3


def test_auto_measures_once_per_shape_on_big_work(monkeypatch):
    monkeypatch.setattr(conv_impl, 'MIN_AUTO_FLOPS', 0)
    calls = []
    real = conv_impl._best_time

    def counting(fn):
        calls.append(fn)
        return real(fn)

    monkeypatch.setattr(conv_impl, '_best_time', counting)
    conv = AffinityConv1d(8, 6)
    x = torch.randn(2, 8, 10, requires_grad=True)
    e = F.normalize(torch.randn(2, 3, 10), dim=1)
    ref = unfold_affinity_conv1d(x.detach().double(), e.double(),
                                 conv.weight.detach().double(), 'per_tap')
    for _ in range(2):
        y = conv(x, e)
        y.sum().backward()
        torch.testing.assert_close(y.double(), ref, rtol=1e-4, atol=1e-5)
    roles = {key[0][1] for key in choice_cache()}
    assert roles == {'fwd', 'dx', 'dw'}
    assert set(choice_cache().values()) <= {'gemm', 'conv'}
    # measured once per role (two candidates each), not again
    assert len(calls) == (6 if ONEDNN else 0)


def test_small_work_keeps_the_historical_default():
    conv = AffinityConv1d(8, 6)
    x = torch.randn(2, 8, 10, requires_grad=True)
    conv(x, F.normalize(torch.randn(2, 3, 10), dim=1)).sum().backward()
    SelectableConv1d(8, 6, 3)(x)
    assert choice_cache() == {}


def test_autocast_outputs_are_float32_where_numerics_need_it():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 12)
    emb, filt = AffinityEmbedding(8, 6, 4), ForegroundFilter(8, 6)
    head = TopKMILHead(8, 3)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        e, w = emb(x), filt(x)
        conv = AffinityConv1d(8, 8)
        h = conv(x, e)
        cas = head(h)
        scores = head.video_scores(cas)
    assert h.dtype == torch.bfloat16  # the GEMMs run in bf16
    assert e.dtype == w.dtype == cas.dtype == scores.dtype == torch.float32
    torch.testing.assert_close(e, emb(x), rtol=0.05, atol=0.05)
    torch.testing.assert_close(cas, head(conv(x, emb(x))), rtol=0.1,
                               atol=0.1)


def test_describe_choices_names_role_shape_dtype():
    threads = torch.get_num_threads()
    choice_cache()[(('affinity_conv1d', 'dx', 12, 2048, 512, torch.float32,
                     'cpu'), threads)] = 'conv'
    choice_cache()[(('conv1d', 3, 2048, 512, 12, torch.bfloat16, 'cpu',
                     True), threads)] = 'gemm'
    assert conv_impl.describe_choices() == [
        f'affinity_conv1d dx 2048x512 float32 ({threads} threads) -> conv',
        f'conv1d k=3 2048->512 bfloat16 train ({threads} threads) -> gemm'
    ]


@pytest.mark.skipif(not ONEDNN, reason='needs oneDNN matmul')
def test_describe_choices_reads_the_keys_auto_writes(monkeypatch):
    """The key layouts describe_choices unpacks are the ones the affinity
    GEMMs and the plain convs store."""
    monkeypatch.setattr(conv_impl, 'MIN_AUTO_FLOPS', 0)
    conv = AffinityConv1d(8, 6)
    x = torch.randn(2, 8, 10, requires_grad=True)
    conv(x, F.normalize(torch.randn(2, 3, 10), dim=1)).sum().backward()
    SelectableConv1d(8, 6, 3)(torch.randn(2, 8, 10))
    lines = conv_impl.describe_choices()
    assert len(lines) == len(choice_cache()) >= 2
    assert any(line.startswith('affinity_conv1d fwd 8x6 float32')
               for line in lines)
    assert any(line.startswith('conv1d k=3 8->6 float32') for line in lines)

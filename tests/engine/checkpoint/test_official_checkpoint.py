"""Official BackTAL checkpoints -> this plugin, checked against a direct
re-implementation of the official forward pass."""
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from backtal_mmaction.engine import convert_official_state_dict

from tests.helpers import REPO

D, H, C, HID_E, E, HID_F, T, R = 12, 9, 3, 8, 4, 5, 16, 0.25


def official_state_dict(seed=0, flat=True):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g) * 0.3  # noqa: E731
    conv_w = (lambda o, i: r(o, 3 * i)) if flat else (
        lambda o, i: r(o, i, 3))
    return {
        'filter_module.conv_1.0.weight': r(HID_F, D, 1),
        'filter_module.conv_1.0.bias': r(HID_F),
        'filter_module.conv_2.0.weight': r(1, HID_F, 1),
        'filter_module.conv_2.0.bias': r(1),
        'embedding_module.conv_1.weight': r(HID_E, D, 3),
        'embedding_module.conv_1.bias': r(HID_E),
        'embedding_module.conv_2.weight': r(E, HID_E, 3),
        'embedding_module.conv_2.bias': r(E),
        'base_module.conv_1.weight': conv_w(H, D),
        'base_module.conv_2.weight': conv_w(H, H),
        'classifier_module.conv.0.weight': r(C + 1, H, 1),
    }


def official_forward(sd, x):
    """The official computation written directly from its description."""
    lrelu = lambda v: F.leaky_relu(v, 0.01)  # noqa: E731
    e = lrelu(F.conv1d(x, sd['embedding_module.conv_1.weight'],
                       sd['embedding_module.conv_1.bias'], padding=1))
    e = F.normalize(F.conv1d(e, sd['embedding_module.conv_2.weight'],
                             sd['embedding_module.conv_2.bias'], padding=1),
                    dim=1)
    ep = F.pad(e, (1, 1))
    # affinity of t to t-1, t, t+1 (zero padding -> 0), tiled tap-major
    aff = torch.stack([(e * ep[..., j:j + T]).sum(1) for j in range(3)], 1)

    def affinity_layer(inp, w):
        d = inp.shape[1]
        unfolded = F.unfold(inp[..., None], (3, 1), padding=(1, 0))
        tile = aff.repeat_interleave(d, dim=1)  # flat index g * d + c
        return torch.einsum('hk,bkt->bht', w.reshape(w.shape[0], -1),
                            unfolded * tile)

    def branch(inp):
        h1 = lrelu(affinity_layer(inp, sd['base_module.conv_1.weight']))
        h2 = lrelu(affinity_layer(h1, sd['base_module.conv_2.weight']))
        cas = F.conv1d(h2, sd['classifier_module.conv.0.weight'])
        k = int(R * T)
        return cas, cas.topk(k, -1).values.mean(-1)

    w = lrelu(F.conv1d(x, sd['filter_module.conv_1.0.weight'],
                       sd['filter_module.conv_1.0.bias']))
    w = torch.sigmoid(F.conv1d(w, sd['filter_module.conv_2.0.weight'],
                               sd['filter_module.conv_2.0.bias']))
    return branch(x), branch(x * w)


def build_model(affinity='official'):
    init_default_scope('mmaction')
    import backtal_mmaction.registration  # noqa: F401
    from mmaction.registry import MODELS
    return MODELS.build(
        dict(type='BackTAL',
             embedding=dict(type='AffinityEmbedding', in_channels=D,
                            hidden_channels=HID_E, embed_channels=E),
             backbone=dict(type='AffinityTCN', in_channels=D,
                           hidden_channels=H, affinity=affinity,
                           dropout=0.7),
             fg_filter=dict(type='ForegroundFilter', in_channels=D,
                            hidden_channels=HID_F),
             cls_head=dict(type='TopKMILHead', in_channels=H, num_classes=C,
                           topk_ratio=R))).eval()


@pytest.mark.parametrize('flat', [True, False])
def test_converted_model_reproduces_official_outputs(flat):
    sd = official_state_dict(flat=flat)
    model = build_model()
    missing, unexpected = model.load_state_dict(
        convert_official_state_dict(sd), strict=True)
    x = torch.randn(2, D, T)
    (cas_b, vs_b), (cas_s, vs_s) = official_forward(sd, x)
    out = model.forward_features(x)
    for got, ref in ((out['cas_base'], cas_b), (out['cas_supp'], cas_s),
                     (out['video_scores_base'], vs_b),
                     (out['video_scores_supp'], vs_s)):
        torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def test_per_tap_mode_does_not_reproduce_official():
    sd = official_state_dict()
    model = build_model(affinity='per_tap')
    model.load_state_dict(convert_official_state_dict(sd))
    x = torch.randn(1, D, T, generator=torch.Generator().manual_seed(1))
    (cas_b, _), _ = official_forward(sd, x)
    diff = (model.forward_features(x)['cas_base'] - cas_b).abs().max()
    # far beyond float error (the official test above holds to 1e-5)
    assert diff > 1e-2 * cas_b.abs().max()


def test_unknown_keys_are_listed():
    sd = official_state_dict()
    sd['extra_module.fc.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='not from the official BackTAL '
                       "layout: 'extra_module.fc.weight'$"):
        convert_official_state_dict(sd)


def test_missing_official_parameters_are_listed():
    """A partial checkpoint (here without the classifier and one filter
    bias) used to convert "10 tensors" with exit status 0."""
    sd = official_state_dict()
    del sd['classifier_module.conv.0.weight']
    del sd['filter_module.conv_2.0.bias']
    with pytest.raises(ValueError, match="missing .*: 'fg_filter.conv_2.bias'"
                       ", 'cls_head.conv.weight'$"):
        convert_official_state_dict(sd)


def test_empty_and_already_converted_are_refused():
    with pytest.raises(ValueError, match='empty'):
        convert_official_state_dict({})
    converted = convert_official_state_dict(official_state_dict())
    with pytest.raises(ValueError, match='already in backtal_mmaction.s '
                       'layout .*no conversion needed'):
        convert_official_state_dict(converted)
    with pytest.raises(ValueError, match='already'):  # a DDP-wrapped save
        convert_official_state_dict(
            {f'module.{k}': v for k, v in converted.items()})


def test_cli_roundtrip(tmp_path):
    src, dst = tmp_path / 'official.pkl', tmp_path / 'converted.pth'
    sd = official_state_dict()
    torch.save({'epoch': 12, 'state_dict': sd}, src)
    cmd = [sys.executable, str(REPO / 'tools/convert_official_checkpoint.py'),
           str(src), str(dst)]
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
    from backtal_mmaction.engine import load_checkpoint_file
    ckpt = load_checkpoint_file(str(dst))
    assert ckpt['meta']['epoch'] == 12
    model = build_model()
    model.load_state_dict(ckpt['state_dict'])
    # refuses to overwrite
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert res.returncode != 0 and 'exists' in res.stderr


def _convert(*argv):
    from tests.helpers import run_tool
    return run_tool('convert_official_checkpoint.py', [str(a) for a in argv])


def test_cli_refuses_to_write_its_input(tmp_path):
    """``dst`` = ``src`` destroyed the official checkpoint with
    ``--overwrite``."""
    src = tmp_path / 'official.pkl'
    torch.save({'epoch': 1, 'state_dict': official_state_dict()}, src)
    before = src.read_bytes()
    run = _convert(src, src, '--overwrite')
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1].startswith(
        f'error: dst {src} is also an input of this run')
    assert src.read_bytes() == before


@pytest.mark.parametrize('content,expected', [
    ({'epoch': 3}, 'expected an official checkpoint'),
    ({'epoch': 3, 'state_dict': {}}, 'the state_dict is empty'),
])
def test_cli_names_the_file_of_a_foreign_checkpoint(tmp_path, content,
                                                    expected):
    src = tmp_path / 'odd.pkl'
    torch.save(content, src)
    run = _convert(src, tmp_path / 'out.pth')
    assert run.exit_code == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {src}: ') and expected in last
    assert 'Traceback' not in run.stderr
    assert not (tmp_path / 'out.pth').exists()


def test_cli_names_a_missing_output_folder(tmp_path):
    src = tmp_path / 'official.pkl'
    torch.save({'epoch': 1, 'state_dict': official_state_dict()}, src)
    run = _convert(src, tmp_path / 'nope' / 'out.pth')
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f'error: dst {tmp_path}/nope/out.pth: folder {tmp_path}/nope does '
        'not exist')

"""How the authors' BackTAL code computes a step, re-implemented in-script.

The yardstick of ``tools/analysis/benchmark.py`` ("x faster than the
original") and a reference of the model tests. Written from the released
code's formulation (its operations, in its order), on the parameters of one
of our :class:`BackTAL` models, so both compute the same numbers:

- **Affinity conv** (:func:`unfold_affinity_conv1d`): the cosine similarity
  of every embedding with its zero-shifted left / right neighbour (a cosine
  with a zero vector is 0, so the padding gets affinity 0), tiled to
  ``(B, 3D, T)``, times the ``nn.Unfold``-ed input ``(B, 3D, T)``
  (channel-major, index ``c * 3 + j``), and one matmul with the ``(H, 3D)``
  weight. The released code tiles tap-major (entry ``g * D + c`` gets tap
  ``g``: our ``'official'`` mode); ``'per_tap'`` tiles entry ``c * 3 + j``
  with tap ``j``. Autograd keeps the unfolded input, the tile and their
  product alive for the backward.
- **Network** (:func:`original_forward`): filter, embedding, both branches
  through the same two affinity convs, a 1x1 classifier (``nn.Conv1d``
  semantics), top-k mean video scores.
- **Losses** (:func:`original_losses`): the two MIL losses, the filter's L1,
  the click cross-entropy, and per-sample Python loops for the score
  separation (per video, per GT class: a 2-way log-softmax of the top-k
  video score against the mean CAS at the background clicks) and for the
  embedding loss (per video: the top-k snippets of every GT class of the
  suppressed CAS, gathered into a list, against the background-clicked
  snippets; pairwise cosine matrices; hard min / max hinges; divided by the
  number of videos with background clicks).

Where our model differs in formulation only (vectorized losses, the
shifted-GEMM conv), the values agree to float rounding
(``tests/testing/test_backtal_original.py``). One difference in
definition: with several GT classes whose top-k snippets overlap, the
original's foreground *list* holds those snippets twice, which weights them
twice in its hinge means; ours uses the set. The checks therefore use
single-class videos.
"""
import contextlib
import types
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from backtal_mmaction.models.backbones.affinity_conv import AffinityConv1d


# ---------------------------------------------------------------------- #
# the affinity conv
# ---------------------------------------------------------------------- #
def original_similarity(embedding: torch.Tensor) -> torch.Tensor:
    """``(B, E, T)`` -> ``(B, 3, T)``: cosine with the left neighbour,
    itself and the right neighbour (zero vectors beyond the ends)."""
    left = torch.zeros_like(embedding)
    left[:, :, 1:] = embedding[:, :, :-1]
    right = torch.zeros_like(embedding)
    right[:, :, :-1] = embedding[:, :, 1:]
    return torch.stack([
        F.cosine_similarity(embedding, nb, dim=1)
        for nb in (left, embedding, right)
    ], dim=1)


def unfold_affinity_conv1d(x: torch.Tensor, embedding: torch.Tensor,
                           weight: torch.Tensor,
                           mode: str = 'official') -> torch.Tensor:
    """Unfold + tiled affinity + matmul: ``(B, D, T)`` -> ``(B, H, T)``.

    Args:
        x (Tensor): ``(B, D, T)``.
        embedding (Tensor): ``(B, E, T)``.
        weight (Tensor): ``(H, D, 3)``.
        mode (str): ``'official'`` (the released code's tap-major tile) or
            ``'per_tap'``.
    """
    B, D, T = x.shape
    sim = original_similarity(embedding)
    tile = torch.zeros(B, 3 * D, T, dtype=x.dtype, device=x.device)
    if mode == 'official':
        for g in range(3):
            tile[:, g * D:(g + 1) * D, :] = sim[:, g:g + 1, :]
    else:
        tile = sim.repeat(1, D, 1)  # entry c * 3 + j gets tap j
    unfolded = F.unfold(x.unsqueeze(3), kernel_size=(3, 1), stride=1,
                        padding=(1, 0))  # (B, 3D, T), index c * 3 + j
    weighted = unfolded * tile
    out = torch.matmul(weighted.transpose(1, 2),
                       weight.reshape(weight.shape[0], -1).t())
    return out.transpose(1, 2)


@contextlib.contextmanager
def unfold_affinity_layers(model: nn.Module):
    """Temporarily run every :class:`AffinityConv1d` of ``model`` with
    :func:`unfold_affinity_conv1d` (a plain ``F.conv1d`` without an
    embedding, or with ``affinity='none'``)."""
    patched = []
    for m in model.modules():
        if isinstance(m, AffinityConv1d):

            def forward(self, x, embedding=None):
                if embedding is None or self.affinity == 'none':
                    return F.conv1d(x, self.weight, padding=1)
                return unfold_affinity_conv1d(x, embedding, self.weight,
                                              self.affinity)

            m.forward = types.MethodType(forward, m)
            patched.append(m)
    try:
        yield model
    finally:
        for m in patched:
            del m.forward


# ---------------------------------------------------------------------- #
# the network
# ---------------------------------------------------------------------- #
def _conv(x: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
    k = conv.weight.shape[-1]
    return F.conv1d(x, conv.weight, conv.bias, padding=k // 2)


def original_forward(model: nn.Module, x: torch.Tensor,
                     topk_ratio: float = 0.125) -> Dict[str, torch.Tensor]:
    """The released network's forward on the parameters of ``model`` (a
    built BackTAL with an embedding, a filter and an ``AffinityTCN``).

    Returns:
        dict: ``score_base`` / ``score_supp`` ``(B, C+1)`` (top-k means,
        ``k = int(T * topk_ratio)``), ``cas_base`` / ``cas_supp``
        ``(B, C+1, T)``, ``embedding`` ``(B, E, T)``, ``fore_weights``
        ``(B, 1, T)`` and ``feat1_supp`` ``(B, H, T)``.
    """
    filt, emb, backbone = model.fg_filter, model.embedding, model.backbone
    slope = backbone.negative_slope
    fore_weights = torch.sigmoid(
        _conv(F.leaky_relu(_conv(x, filt.conv_1), filt.negative_slope),
              filt.conv_2))
    x_supp = fore_weights * x
    e = F.normalize(
        _conv(F.leaky_relu(_conv(x, emb.conv_1), emb.negative_slope),
              emb.conv_2), p=2, dim=1)
    mode = backbone.conv_1.affinity
    k = max(1, int(x.shape[-1] * topk_ratio))
    out = dict(embedding=e, fore_weights=fore_weights)
    for name, inp in (('base', x), ('supp', x_supp)):
        f1 = F.leaky_relu(
            unfold_affinity_conv1d(inp, e, backbone.conv_1.weight, mode),
            slope)
        f2 = F.leaky_relu(
            unfold_affinity_conv1d(f1, e, backbone.conv_2.weight, mode),
            slope)
        cas = F.conv1d(backbone.dropout(f2), model.cls_head.conv.weight)
        out[f'cas_{name}'] = cas
        out[f'score_{name}'] = torch.mean(torch.topk(cas, k, dim=2)[0],
                                          dim=2)
        out[f'feat1_{name}'] = f1
    return out


# ---------------------------------------------------------------------- #
# the losses
# ---------------------------------------------------------------------- #
def _mil(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    labels = labels / (torch.sum(labels, dim=1, keepdim=True) + 1e-10)
    return -torch.mean(torch.sum(labels * F.log_softmax(scores, dim=1),
                                 dim=1), dim=0)


def _pairwise_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    wa = a.norm(p=2, dim=1, keepdim=True)
    wb = b.norm(p=2, dim=1, keepdim=True)
    return torch.mm(a, b.t()) / (wa * wb.t()).clamp(min=1e-8)


def _embedding_loss(embeddings, click_labels, cas_supp, labels, k, bg,
                    sim_min, diff_max) -> torch.Tensor:
    total, count = 0, embeddings.shape[0]
    for b in range(embeddings.shape[0]):
        emb = embeddings[b]
        bg_idx = torch.where(click_labels[b] == bg)[0]
        if not bg_idx.numel():
            count -= 1
            continue
        bg_emb = emb[:, bg_idx].t()
        fg_list = []
        for c in torch.where(labels[b] == 1)[0]:
            fg_list.extend(torch.topk(cas_supp[b][c], k)[1])
        fg_emb = emb[:, torch.tensor(fg_list)].t()
        ff = _pairwise_cosine(fg_emb, fg_emb).min(dim=1)[0]
        bb = _pairwise_cosine(bg_emb, bg_emb).min(dim=1)[0]
        fb = _pairwise_cosine(fg_emb, bg_emb)
        zero_f, zero_b = torch.zeros_like(ff), torch.zeros_like(bb)
        total = (total + torch.max(sim_min - ff, zero_f).mean() +
                 torch.max(sim_min - bb, zero_b).mean() +
                 torch.max(fb.max(dim=1)[0] - diff_max, zero_f).mean() +
                 torch.max(fb.max(dim=0)[0] - diff_max, zero_b).mean())
    return total / count


def _score_separation(cas_base, score_base, click_labels, labels,
                      bg) -> torch.Tensor:
    per_video = []
    for b in range(cas_base.shape[0]):
        bg_idx = torch.where(click_labels[b] == bg)[0]
        if not bg_idx.numel():
            continue
        per_class = []
        for c in torch.where(labels[b] == 1)[0]:
            bg_value = torch.mean(cas_base[b, c, bg_idx])
            pair = torch.stack([score_base[b, c], bg_value])[None]
            target = torch.tensor([[1.0, 0.0]], device=pair.device)
            per_class.append(
                torch.sum(-target * F.log_softmax(pair, dim=1), dim=1))
        per_video.append(torch.mean(torch.cat(per_class)))
    return torch.mean(torch.stack(per_video))


def original_losses(out: Dict[str, torch.Tensor], labels: torch.Tensor,
                    click_labels: torch.Tensor, topk_ratio: float = 0.125,
                    l1_weight: float = 1e-4, sep_weight: float = 1.0,
                    emb_weight: float = 0.8, sim_min: float = 0.5,
                    diff_max: float = 0.1) -> Dict[str, torch.Tensor]:
    """The released loss on :func:`original_forward`'s outputs.

    Args:
        labels (Tensor): ``(B, C)`` multi-hot.
        click_labels (Tensor): ``(B, T)`` long: C at background clicks,
            -100 elsewhere.

    Returns:
        dict: the terms (weighted as in our THUMOS14 config) and ``total``.
    """
    B, num_classes = labels.shape
    ones, zeros = labels.new_ones(B, 1), labels.new_zeros(B, 1)
    k = max(1, int(click_labels.shape[1] * topk_ratio))
    terms = dict(
        mil_base=_mil(out['score_base'], torch.cat([labels, ones], 1)),
        mil_supp=_mil(out['score_supp'], torch.cat([labels, zeros], 1)),
        filter_l1=l1_weight * torch.mean(
            torch.norm(out['fore_weights'], p=1, dim=2)),
        bg_click=F.cross_entropy(out['cas_base'], click_labels,
                                 ignore_index=-100),
        score_sep=sep_weight * _score_separation(
            out['cas_base'], out['score_base'], click_labels, labels,
            num_classes),
        affinity=emb_weight * _embedding_loss(
            out['embedding'], click_labels, out['cas_supp'], labels, k,
            num_classes, sim_min, diff_max))
    terms['total'] = sum(terms.values())
    return terms


# ---------------------------------------------------------------------- #
# the test loop
# ---------------------------------------------------------------------- #
@torch.no_grad()
def original_inference(model: nn.Module, videos, topk_ratio: float = 0.125):
    """The released test loop's network part: one video at a time
    (batch 1), :func:`original_forward` in eval mode.

    Args:
        videos (Sequence[Tensor]): ``(D, T_i)`` features.

    Returns:
        list[tuple]: per video ``(cas_supp (C+1, T), video logits (C+1, ),
        magnitude (T, ))`` (the feature norm of the suppressed branch's
        first layer), what the post-processing reads.
    """
    out = []
    for x in videos:
        o = original_forward(model, x[None], topk_ratio)
        out.append((o['cas_supp'][0], o['score_supp'][0],
                    o['feat1_supp'][0].norm(p=2, dim=0)))
    return out

"""Feature modeling: metric loss that trains the affinity embedding."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_range

from ..heads.topk_mil_head import topk_ratio_to_k
from .utils import get_required, masked_mean


def topk_foreground_mask(cas: torch.Tensor, video_labels: torch.Tensor,
                         topk_ratio: float) -> torch.Tensor:
    """Snippets among the top-k of any GT class of the video.

    Args:
        cas (Tensor): ``(B, C+1, T)`` (only the first C rows are used).
        video_labels (Tensor): ``(B, C)`` multi-hot.
        topk_ratio (float): ``k = floor(topk_ratio * T)`` (at least 1).

    Returns:
        Tensor: bool ``(B, T)``.
    """
    num_classes = video_labels.shape[1]
    act_cas = cas[:, :num_classes].detach()
    k = topk_ratio_to_k(act_cas.shape[-1], topk_ratio)
    idx = act_cas.topk(k, dim=-1).indices  # (B, C, k)
    hit = torch.zeros_like(act_cas, dtype=torch.bool).scatter_(-1, idx, True)
    return (hit & (video_labels[..., None] > 0)).any(1)


def affinity_hinge_loss(embedding: torch.Tensor, fg_mask: torch.Tensor,
                        bg_mask: torch.Tensor, intra_margin: float = 0.5,
                        inter_margin: float = 0.1) -> torch.Tensor:
    """Pull foreground together, background together, push them apart.

    Per video with a non-empty foreground set F and background set B::

        [m_in - min_{f' in F} cos(f, f')]_+   averaged over f in F
      + [m_in - min_{b' in B} cos(b, b')]_+   averaged over b in B
      + [max_{b in B} cos(f, b) - m_out]_+    averaged over f in F
      + [max_{f in F} cos(b, f) - m_out]_+    averaged over b in B

    then averaged over the qualifying videos.

    Args:
        embedding (Tensor): unit-norm ``(B, E, T)``.
        fg_mask (Tensor): bool ``(B, T)``.
        bg_mask (Tensor): bool ``(B, T)``.
        intra_margin (float): m_in. Defaults to 0.5.
        inter_margin (float): m_out. Defaults to 0.1.

    Returns:
        Tensor: scalar (0 with grad if no video has both sets).
    """
    # Autocast would run this einsum (a bmm) in bf16 / fp16: cosines near
    # the margins would then carry ~1e-2 error, so the loss stays float32.
    device = embedding.device.type
    with torch.autocast(device, enabled=False):
        embedding = embedding.float() if embedding.dtype in (
            torch.float16, torch.bfloat16) else embedding
        sim = torch.einsum('bet,bes->bts', embedding, embedding)  # (B,T,T)
    inf = torch.finfo(sim.dtype).max

    def min_over(cols):
        return sim.masked_fill(~cols[:, None, :], inf).amin(-1)

    def max_over(cols):
        return sim.masked_fill(~cols[:, None, :], -inf).amax(-1)

    # A video whose set is empty gets min=+max / max=-max, which the hinge
    # maps to 0, so no inf/NaN reaches the masked means below.
    ff = F.relu(intra_margin - min_over(fg_mask))
    bb = F.relu(intra_margin - min_over(bg_mask))
    fb = F.relu(max_over(bg_mask) - inter_margin)
    bf = F.relu(max_over(fg_mask) - inter_margin)
    per_video = (masked_mean(ff, fg_mask, 1) + masked_mean(bb, bg_mask, 1) +
                 masked_mean(fb, fg_mask, 1) + masked_mean(bf, bg_mask, 1))
    valid = fg_mask.any(1) & bg_mask.any(1)
    return masked_mean(per_video, valid)


@MODELS.register_module()
class AffinityEmbeddingLoss(nn.Module):
    """BackTAL's affinity loss on the embedding.

    Foreground: top-k snippets of the suppressed CAS of each GT class;
    background: background-clicked snippets.

    Args:
        topk_ratio (float): In ``(0, 1]``. Defaults to 0.125.
        intra_margin (float): Defaults to 0.5.
        inter_margin (float): Defaults to 0.1.
        loss_weight (float): Defaults to 0.8.
        cas_key (str): Defaults to ``'cas_supp'``.
        embedding_key (str): Defaults to ``'embedding'``.
    """

    def __init__(self, topk_ratio: float = 0.125, intra_margin: float = 0.5,
                 inter_margin: float = 0.1, loss_weight: float = 0.8,
                 cas_key: str = 'cas_supp',
                 embedding_key: str = 'embedding') -> None:
        super().__init__()
        owner = type(self).__name__
        check_range('topk_ratio', topk_ratio, 0, 1, low_open=True,
                    owner=owner)
        for name, value in (('intra_margin', intra_margin),
                            ('inter_margin', inter_margin),
                            ('loss_weight', loss_weight)):
            check_range(name, value, owner=owner)
        self.topk_ratio = topk_ratio
        self.intra_margin = intra_margin
        self.inter_margin = inter_margin
        self.loss_weight = loss_weight
        self.cas_key = cas_key
        self.embedding_key = embedding_key

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        name = type(self).__name__
        cas = get_required(outputs, self.cas_key, name)
        emb = get_required(outputs, self.embedding_key, name)
        labels = get_required(targets, 'video_labels', name)
        clicks = get_required(targets, 'click_labels', name)
        fg = topk_foreground_mask(cas, labels, self.topk_ratio)
        bg = clicks == cas.shape[1] - 1
        return self.loss_weight * affinity_hinge_loss(
            emb, fg, bg, self.intra_margin, self.inter_margin)

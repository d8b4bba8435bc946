"""Training targets of pyramid points: centre sampling + level ranges."""
from typing import Optional, Sequence, Tuple

import torch
from mmaction.registry import TASK_UTILS

from backtal_mmaction.utils import check_flag, check_range

# Max distance to a boundary (snippets) that each level regresses: stride 1
# takes actions up to ~8 snippets long, stride 32 the longest ones.
DEFAULT_REGRESS_RANGES = ((0, 4), (4, 8), (8, 16), (16, 32), (32, 64),
                          (64, float('inf')))


def check_regress_ranges(regress_ranges, owner: str
                         ) -> Tuple[Tuple[float, float], ...]:
    """``regress_ranges`` as float ``(lo, hi)`` pairs, else a ValueError
    naming ``owner``: a non-empty sequence of pairs of numbers with ``0 <=
    lo <= hi`` (``hi`` may be ``inf``: the last level takes the rest)."""
    what = f'{owner}: `regress_ranges` must be a non-empty list of (lo, hi)'
    try:
        pairs = list(regress_ranges)
    except TypeError:
        pairs = None
    if isinstance(regress_ranges, (str, bytes)) or not pairs:
        raise ValueError(f'{what} pairs, got {regress_ranges!r}')
    ranges = []
    for i, pair in enumerate(pairs):
        try:
            lo, hi = pair
        except (TypeError, ValueError):
            raise ValueError(f'{what} pairs, got {pair!r} at index {i}'
                             ) from None
        check_range(f'regress_ranges[{i}][0]', lo, 0, owner=owner)
        if hi != float('inf'):
            check_range(f'regress_ranges[{i}][1]', hi, lo, owner=owner)
        ranges.append((float(lo), float(hi)))
    return tuple(ranges)


@TASK_UTILS.register_module()
class PointTargetAssigner:
    """Assign each pyramid point at most one segment (FCOS / ActionFormer
    rules), for a whole batch at once.

    A point at position ``p`` (snippets) of stride ``s`` on level ``l`` is a
    candidate for segment ``[a, b]`` when

    1. it lies strictly inside: ``a < p < b``;
    2. centre sampling: it lies strictly within ``radius * s`` of the
       segment centre (the centre region is clipped to the segment), so
       only points that see most of the action learn it;
    3. level range: ``lo_l <= max(p - a, b - p) <= hi_l``;

    and of several candidates it takes the shortest segment. Targets are
    the class one-hot, the distances ``((p - a) / s, (b - p) / s)`` and the
    segment's weight.

    With ``ensure_positive`` (the default), a segment that no point is a
    candidate for (rules 1-3 all failed: e.g. an action shorter than one
    snippet lying between two snippet centres, common when long videos
    are rescaled to a fixed T) becomes a candidate of the level-0 point
    nearest its centre, with the distances clamped at 0, so the target
    spans the segment and that point. Without it such a segment teaches
    nothing: the detector only ever sees it as background.

    Args:
        regress_ranges (Sequence[tuple]): ``(lo, hi)`` per level, ``0 <=
            lo <= hi`` (``hi`` may be ``float('inf')``).
        center_radius (float): In strides, > 0. Defaults to 1.5.
        ensure_positive (bool): Defaults to True.
    """

    def __init__(self,
                 regress_ranges: Sequence[Tuple[float, float]] = (
                     DEFAULT_REGRESS_RANGES),
                 center_radius: float = 1.5,
                 ensure_positive: bool = True) -> None:
        owner = type(self).__name__
        self.regress_ranges = check_regress_ranges(regress_ranges, owner)
        check_range('center_radius', center_radius, 0, low_open=True,
                    owner=owner)
        self.center_radius = float(center_radius)
        check_flag('ensure_positive', ensure_positive, owner=owner)
        self.ensure_positive = bool(ensure_positive)

    def __call__(self, points: torch.Tensor, segments: torch.Tensor,
                 labels: torch.Tensor, num_classes: int,
                 weights: Optional[torch.Tensor] = None,
                 valid: Optional[torch.Tensor] = None) -> dict:
        """
        Args:
            points (Tensor): ``(P, 3)`` position, stride, level
                (:func:`level_points`).
            segments (Tensor): ``(B, N, 2)`` snippet units, padded.
            labels (Tensor): ``(B, N)`` long.
            num_classes (int): C.
            weights (Tensor, optional): ``(B, N)``; defaults to 1.
            valid (Tensor, optional): ``(B, N)`` bool, False at padding.

        Returns:
            dict: ``cls_targets`` ``(B, P, C)``, ``reg_targets``
            ``(B, P, 2)`` (stride units), ``pos_weights`` ``(B, P)`` (0 at
            negatives), ``assigned`` ``(B, P)`` long (segment index, -1 at
            negatives).
        """
        B, N = labels.shape
        P = points.shape[0]
        if int(points[:, 2].max()) >= len(self.regress_ranges):
            raise ValueError(
                f'PointTargetAssigner: {int(points[:, 2].max()) + 1} levels '
                f'but {len(self.regress_ranges)} regress_ranges')
        device = segments.device
        if weights is None:
            weights = torch.ones(B, N, device=device)
        if valid is None:
            valid = torch.ones(B, N, dtype=torch.bool, device=device)
        pos, stride = points[:, 0], points[:, 1]
        ranges = torch.tensor(self.regress_ranges, device=device)
        lo, hi = ranges[points[:, 2].long()].unbind(1)
        start = segments[..., 0][:, None, :]  # (B, 1, N)
        end = segments[..., 1][:, None, :]
        p = pos[None, :, None]  # (1, P, 1)
        left, right = p - start, end - p  # (B, P, N)
        inside = (left > 0) & (right > 0)
        centre = (start + end) / 2
        radius = (self.center_radius * stride)[None, :, None]
        c_lo = torch.maximum(start, centre - radius)
        c_hi = torch.minimum(end, centre + radius)
        in_centre = (p > c_lo) & (p < c_hi)
        reach = torch.maximum(left, right)
        in_range = (reach >= lo[None, :, None]) & (reach <= hi[None, :, None])
        cand = inside & in_centre & in_range & valid[:, None, :]
        if self.ensure_positive and N:
            # the level-0 point (stride 1, position i + 0.5) nearest each
            # orphan segment's centre
            t0 = int((points[:, 2] == 0).sum())
            near = torch.clamp(torch.floor(centre[:, 0]), 0,
                               max(t0 - 1, 0)).long()  # (B, N)
            orphan = valid & ~cand.any(dim=1)
            rescue = torch.zeros_like(cand)
            rescue.scatter_(1, near[:, None, :], orphan[:, None, :])
            cand = cand | rescue
            left, right = left.clamp(min=0), right.clamp(min=0)
        length = torch.where(cand, (end - start).expand(B, P, N),
                             torch.full((B, P, N), float('inf'),
                                        device=device))
        if N:
            best_len, best = length.min(dim=2)
        else:
            best_len = torch.full((B, P), float('inf'), device=device)
            best = torch.zeros(B, P, dtype=torch.long, device=device)
        is_pos = torch.isfinite(best_len)
        gather = best[..., None]
        l_t = torch.gather(left, 2, gather)[..., 0] if N else best_len * 0
        r_t = torch.gather(right, 2, gather)[..., 0] if N else best_len * 0
        reg = torch.stack([l_t, r_t], dim=2) / stride[None, :, None]
        reg = torch.where(is_pos[..., None], reg, torch.zeros_like(reg))
        lab = torch.gather(labels, 1, best) if N else best
        cls_t = torch.zeros(B, P, num_classes, device=device)
        cls_t[is_pos] = torch.nn.functional.one_hot(
            lab[is_pos], num_classes).to(cls_t.dtype)
        w = torch.gather(weights, 1, best) if N else best_len * 0
        return dict(cls_targets=cls_t,
                    reg_targets=reg,
                    pos_weights=torch.where(is_pos, w, torch.zeros_like(w)),
                    assigned=torch.where(is_pos, best,
                                         torch.full_like(best, -1)))

"""Which GT subset a result file belongs to (the offline tools' checks)."""
from typing import Dict, List, Optional, Sequence

from ...datasets.gt_io import select_subset

__all__ = ['infer_subset', 'check_videos_in_subset']


def _by_subset(database: dict, videos: Sequence[str]) -> Dict[str, list]:
    found: Dict[str, List[str]] = {}
    for v in videos:
        if v in database:
            found.setdefault(str(database[v].get('subset')), []).append(v)
    return found


def infer_subset(database: dict, videos: Sequence[str],
                 gt_path: str) -> Optional[str]:
    """The one GT subset that all result videos belong to.

    Args:
        database (dict): ``database`` of the GT file.
        videos (Sequence[str]): Video names of the result file.
        gt_path (str): For messages.

    Returns:
        str | None: The subset, or None when the GT has a single subset (or
        none) or the results are empty: then all GT videos are scored.

    Raises:
        ValueError: the result videos span several subsets.
    """
    subsets = {str(info.get('subset')) for info in database.values()}
    if len(subsets) <= 1:
        return None
    found = _by_subset(database, videos)  # unknown videos: see the check
    if len(found) > 1:
        detail = ', '.join(f'{len(vs)} in {s!r} (e.g. {vs[0]!r})'
                           for s, vs in sorted(found.items()))
        raise ValueError(
            f'the result videos belong to several subsets of {gt_path} '
            f'({detail}); pass `subset` to choose the GT to score against')
    return next(iter(found), None)


def check_videos_in_subset(database: dict, videos: Sequence[str],
                           subset: Optional[str], gt_path: str) -> None:
    """Refuse result videos outside the scored GT, saying where they are.

    A video of another subset would otherwise be reported as "not in the
    ground truth" although the file has it: the message names the subset(s)
    the videos do belong to, so the fix (``--subset``) is obvious.

    Raises:
        ValueError: some videos are not in ``subset`` (or not in the file),
            or ``subset`` has no video at all (naming the subsets present).
    """
    missing = [v for v in videos if v not in database]
    if missing:
        raise ValueError(
            f'{len(missing)} result video(s) are not in {gt_path} at all, '
            f'e.g. {missing[:3]}')
    if subset is None:
        return
    selected = set(select_subset(database, subset, gt_path))
    outside = [v for v in videos if v not in selected]
    if outside:
        where = sorted(_by_subset(database, outside))
        raise ValueError(
            f'{len(outside)} result video(s) are not in subset {subset!r} '
            f'of {gt_path}: they belong to subset(s) {where} (e.g. '
            f'{outside[0]!r}); pass `subset` {where[0]} or drop `subset`')

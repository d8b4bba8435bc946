"""Pseudo-label rules of the two-stage pipeline: a labelling model's
detections + the clicks -> training segments, no model needed here
(:mod:`.rules`: rules 1-6; :mod:`.click_seeded`: rule 7, one segment per
action click). Running a model to label videos is
:mod:`backtal_mmaction.workflows.pseudo_gt`'s."""
from .click_seeded import (ClickSeedRules, best_contrast_range,
                           click_seeded_segments, detection_class_curves,
                           normalise_weights, softmax_class_curves)
from .rules import (PseudoLabelRules, build_pseudo_gt, cover_action_clicks,
                    cut_at_background_clicks, pseudo_label_video,
                    select_detections)

__all__ = [
    'PseudoLabelRules', 'build_pseudo_gt', 'cover_action_clicks',
    'cut_at_background_clicks', 'pseudo_label_video', 'select_detections',
    'ClickSeedRules', 'best_contrast_range', 'click_seeded_segments',
    'detection_class_curves', 'normalise_weights', 'softmax_class_curves'
]

"""Pseudo-label rules of the two-stage pipeline that need no model:
instance-level segments seeded by action clicks (:mod:`.click_seeded`)."""
from .click_seeded import (ClickSeedRules, best_contrast_range,
                           click_seeded_segments, detection_class_curves,
                           normalise_weights, softmax_class_curves)

__all__ = ['ClickSeedRules', 'best_contrast_range', 'click_seeded_segments',
           'detection_class_curves', 'normalise_weights',
           'softmax_class_curves']

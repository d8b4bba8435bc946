"""Evaluation: the detection mAP and its I/O (:mod:`.functional`, numpy
only), offline scoring of result files (:mod:`.offline`) and the
registered :class:`~.metrics.TALMetric` (MMEngine; imported by
:mod:`backtal_mmaction.registration`)."""
from . import functional  # noqa: F401
from .offline import evaluate_result_file, results_against_gt

__all__ = ['evaluate_result_file', 'results_against_gt']

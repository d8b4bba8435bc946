from . import functional, metrics  # noqa: F401
from .offline import evaluate_result_file, results_against_gt

__all__ = ['evaluate_result_file', 'results_against_gt']

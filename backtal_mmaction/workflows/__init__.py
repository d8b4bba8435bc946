"""Multi-step jobs built on :mod:`backtal_mmaction.apis`, one per module:
the two-stage pipeline (:mod:`.two_stage`), pseudo-GT files from a trained
model (:mod:`.pseudo_gt`), ablations over variants and seeds
(:mod:`.ablation`) and CAS figures of a split (:mod:`.cas_figures`).
Each is the library side of one tool; its keyword arguments are the
tool's flags."""
from .ablation import rerender_ablation, run_ablation, run_two_stage_ablation
from .cas_figures import draw_cas_figures
from .pseudo_gt import generate_pseudo_gt, write_pseudo_gt
from .two_stage import run_two_stage, run_two_stage_config

__all__ = [
    'draw_cas_figures', 'generate_pseudo_gt', 'rerender_ablation',
    'run_ablation', 'run_two_stage', 'run_two_stage_ablation',
    'run_two_stage_config', 'write_pseudo_gt'
]

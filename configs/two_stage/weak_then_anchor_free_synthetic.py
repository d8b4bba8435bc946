# Two-stage pipeline from video labels only: the weak baseline
# (configs/ablation/synthetic/1_weak.py) labels its training videos, the
# anchor-free detector learns from those pseudo-segments (no clicks at all).
_base_ = '../anchor_free_tad/anchor_free_tad_synthetic_full_gt.py'

two_stage = dict(
    stage1='../ablation/synthetic/1_weak.py',
    # pseudo_labels: the PseudoLabelRules defaults
    self_training_rounds=0)
train_dataloader = dict(
    dataset=dict(ann_file='work_dirs/weak_then_anchor_free_synthetic/'
                 'pseudo_gt_round0.json'))

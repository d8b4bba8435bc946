# Two-stage pipeline from action clicks (SF-Net protocol): the action-click
# variant (configs/ablation/synthetic/3_action_click.py) labels its
# training videos; every action click is covered by a pseudo-segment of its
# class, and the clicks are positives for the detector's sigmoid head.
_base_ = '../anchor_free_tad/anchor_free_tad_synthetic_full_gt.py'

two_stage = dict(
    stage1='../ablation/synthetic/3_action_click.py',
    # pseudo_labels: the PseudoLabelRules defaults
    self_training_rounds=0)
train_dataloader = dict(
    dataset=dict(
        ann_file='work_dirs/action_click_then_anchor_free_synthetic/'
        'pseudo_gt_round0.json',
        click_file={{_base_.click_file}},
        click_annotators=['SF'],
        click_types=('action', ),
        require_clicks=True))
model = dict(losses=dict(action_click=dict(
    type='SigmoidClickLoss', click_types=('action', ), loss_weight=1.0)))

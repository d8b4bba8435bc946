# Two-stage pipeline on THUMOS14: BackTAL (human background clicks A1)
# labels the `val` videos, the click-checked pseudo-segments train the
# anchor-free detector, which also uses the background clicks as extra
# negatives. `python tools/two_stage.py <this config>`.
_base_ = './anchor_free_tad_thumos14_full_gt.py'

two_stage = dict(
    stage1='../backtal/backtal_thumos14.py',
    pseudo_labels=dict(rel_score_thr=0.5, topk=10, nms_thr=0.3,
                       min_length=0.0, click_segment_length=2.0),
    self_training_rounds=0)
train_dataloader = dict(
    dataset=dict(
        ann_file='work_dirs/backtal_then_anchor_free_thumos14/'
        'pseudo_gt_round0.json',
        click_file={{_base_.click_file}},
        click_types=('background', ),
        require_clicks=True))
model = dict(losses=dict(bg_click=dict(
    type='SigmoidClickLoss', click_types=('background', ), loss_weight=1.0)))

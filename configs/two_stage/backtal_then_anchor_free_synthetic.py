# Two-stage pipeline on the bundled synthetic benchmark: BackTAL (background
# clicks) labels its training videos, the click-checked pseudo-segments
# train the anchor-free detector, which also uses the background clicks as
# extra negatives. Run it with
#   python tools/two_stage.py configs/two_stage/backtal_then_anchor_free_synthetic.py
_base_ = './anchor_free_tad_synthetic_full_gt.py'

two_stage = dict(
    stage1='../backtal/backtal_synthetic.py',
    pseudo_labels=dict(rel_score_thr=0.5, topk=10, nms_thr=0.3,
                       min_length=0.0, click_segment_length=2.0),
    self_training_rounds=0)

# tools/two_stage.py replaces ann_file with each round's pseudo-GT file; the
# default names round 0 of `tools/two_stage.py <this config>`, so
# tools/train.py can retrain stage 2 alone afterwards.
train_dataloader = dict(
    dataset=dict(
        ann_file='work_dirs/backtal_then_anchor_free_synthetic/'
        'pseudo_gt_round0.json',
        click_file={{_base_.click_file}},
        click_annotators=['A1'],
        click_types=('background', ),
        require_clicks=True))
model = dict(losses=dict(bg_click=dict(
    type='SigmoidClickLoss', click_types=('background', ), loss_weight=1.0)))

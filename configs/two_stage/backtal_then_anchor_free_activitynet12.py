# Two-stage pipeline on ActivityNet 1.2: BackTAL (simulated background
# clicks) labels the `training` videos; where the click file also has
# action clicks (tools/data/simulate_clicks.py writes both kinds) each
# clicked instance gets one pseudo-segment between the background clicks;
# the pseudo-segments train the anchor-free detector. The clicks of 20 % of
# the videos are held out and score both stages: the final model is stage 1
# unless stage 2 beats it there. `python tools/two_stage.py <this config>`.
_base_ = '../anchor_free_tad/anchor_free_tad_activitynet12_full_gt.py'

two_stage = dict(
    stage1='../backtal/backtal_activitynet12.py',
    pseudo_labels=dict(rel_score_thr=0.5, topk=5, nms_thr=0.3,
                       min_length=0.0, click_segment_length=10.0,
                       instance_seeds=True),
    label_clicks=dict(click_types=('background', 'action'),
                      click_annotators=None),
    click_check=dict(fraction=0.2, seed=0, margin=0.0),
    self_training_rounds=0)
train_dataloader = dict(
    dataset=dict(
        ann_file='work_dirs/backtal_then_anchor_free_activitynet12/'
        'pseudo_gt_round0.json',
        click_file={{_base_.click_file}},
        click_types=('background', ),
        require_clicks=True))
model = dict(losses=dict(bg_click=dict(
    type='SigmoidClickLoss', click_types=('background', ), loss_weight=1.0)))

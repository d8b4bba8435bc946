# Two-stage pipeline on THUMOS14: BackTAL (human background clicks A1)
# labels the `val` videos; with SF-Net's action clicks (one per instance)
# each clicked instance gets one pseudo-segment between the background
# clicks; the pseudo-segments train the anchor-free detector, which also
# uses the background clicks as extra negatives. The clicks of 20 % of the
# videos are held out and score both stages: the final model is stage 1
# unless stage 2 beats it there. `python tools/two_stage.py <this config>`.
#
# data/thumos14/clicks_sfnet.json comes from
#   python tools/data/convert_point_labels.py --format sfnet \
#       SFNet_THUMOS14_single_frames_1.txt --gt data/thumos14/gt_thumos14.json \
#       --out data/thumos14/clicks_sfnet.json
_base_ = '../anchor_free_tad/anchor_free_tad_thumos14_full_gt.py'

two_stage = dict(
    stage1='../backtal/backtal_thumos14.py',
    pseudo_labels=dict(instance_seeds=True),
    label_clicks=dict(
        click_file=[{{_base_.click_file}},
                    'data/thumos14/clicks_sfnet.json'],
        click_types=('background', 'action'), click_annotators=None),
    click_check=dict(fraction=0.2, seed=0, margin=0.0),
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

# Two-stage pipeline on the bundled synthetic benchmark: BackTAL (background
# clicks) labels its training videos, the click-checked pseudo-segments
# train the anchor-free detector, which also uses the background clicks as
# extra negatives. Run it with
#   python tools/two_stage.py configs/two_stage/backtal_then_anchor_free_synthetic.py
_base_ = '../anchor_free_tad/anchor_free_tad_synthetic_full_gt.py'

two_stage = dict(
    stage1='../backtal/backtal_synthetic.py',
    # one pseudo-segment per action click (SF), walled by the background
    # clicks (A1); classes without action clicks keep the detection rules
    pseudo_labels=dict(instance_seeds=True),
    label_clicks=dict(click_types=('background', 'action'),
                      click_annotators=None),
    # the clicks of 20 % of the training videos score each stage; the
    # final model is stage 1 unless stage 2 beats it on them
    click_check=dict(fraction=0.2, seed=0, margin=0.0),
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

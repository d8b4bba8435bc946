# (8) The background-click loss + score separation plugged into the
# adversarial (seed-2) model.
_base_ = './2_seed2_adversarial.py'
model = dict(losses=dict(bg_click=dict(
    type='ClickLoss', click_types=('background', ), loss_weight=1.0),
                         score_sep=dict(type='ScoreSeparationLoss',
                                        topk_ratio=0.125,
                                        loss_weight=1.0)))
train_dataloader = dict(
    dataset=dict(click_file={{_base_.click_file}}, require_clicks=True))

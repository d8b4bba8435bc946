# (4) Background-click supervision, position modeling only: the
# background-click loss on top of the weak baseline.
_base_ = './1_weak.py'
model = dict(losses=dict(bg_click=dict(_delete_=True,
                                       type='ClickLoss',
                                       click_types=('background', ),
                                       loss_weight=1.0)))
train_dataloader = dict(
    dataset=dict(click_file={{_base_.click_file}}, require_clicks=True))

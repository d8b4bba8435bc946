# (3) Action-click supervision (SF-Net protocol: one click per GT
# instance), the same click loss on action clicks, no background clicks.
_base_ = './1_weak.py'
model = dict(losses=dict(action_click=dict(
    type='ClickLoss', click_types=('action', ), loss_weight=1.0)))
train_dataloader = dict(
    dataset=dict(click_file='data/activitynet12/clicks_sim.json',
                 click_annotators=None,
                 click_types=('action', ),
                 require_clicks=True))

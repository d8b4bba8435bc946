# BackTAL on the bundled synthetic benchmark: the README's main job.
# Same model as THUMOS14, scaled to 128-d features so it trains in about a
# minute on 2 free CPU cores (200 training videos, 20 classes).
_base_ = [
    '../_base_/models/backtal.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
model = dict(
    embedding=dict(in_channels=128, hidden_channels=128),
    backbone=dict(in_channels=128, hidden_channels=256),
    fg_filter=dict(in_channels=128, hidden_channels=128),
    cls_head=dict(in_channels=256, num_classes=20))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=40, val_interval=10)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=10))

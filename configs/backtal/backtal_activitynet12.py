# BackTAL on ActivityNet 1.2: Adam lr 2e-4, wd 5e-4, batch 128, 25 epochs,
# T = 100.
_base_ = [
    '../_base_/models/backtal_untrimmed_long.py',
    '../_base_/datasets/activitynet12.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_cfg = dict(max_epochs=25, val_interval=100)

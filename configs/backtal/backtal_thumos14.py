# BackTAL on THUMOS14 with the official hyper-parameters:
# Adam lr 1e-4, wd 5e-4, batch 16, 40 epochs, T = 750.
_base_ = [
    '../_base_/models/backtal.py', '../_base_/datasets/thumos14.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
train_cfg = dict(max_epochs=40, val_interval=100)  # no val split: see base

# BackTAL on ActivityNet 1.3 in MMAction2's data layout (anet_anno_*.json,
# 400-d TSN feature CSVs; see the dataset file): the ActivityNet 1.2
# settings (Adam lr 2e-4, wd 5e-4, batch 128, 25 epochs, T = 100) with 200
# classes and 400-d inputs. Not tuned on these features.
_base_ = [
    '../_base_/models/backtal_untrimmed_long.py',
    '../_base_/datasets/activitynet13_mmaction.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
model = dict(
    embedding=dict(in_channels=400),
    backbone=dict(in_channels=400),
    fg_filter=dict(in_channels=400),
    cls_head=dict(num_classes=200))
optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_cfg = dict(max_epochs=25, val_interval=100)

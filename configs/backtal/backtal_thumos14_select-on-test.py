# EXPLICIT OPT-IN: reproduces the official protocol of keeping the best
# *test* epoch. This peeks at the test split for model selection, so its
# numbers are optimistic; report backtal_thumos14.py for a clean protocol.
_base_ = './backtal_thumos14.py'
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.test_dataloader.dataset}})
val_evaluator = dict(_delete_=True, type='TALMetric',
                     tiou_thresholds={{_base_.test_evaluator.tiou_thresholds}})
val_cfg = dict(_delete_=True, type='ValLoop')
train_cfg = dict(val_interval=1)
default_hooks = dict(
    checkpoint=dict(save_best='tal/mAP_avg', rule='greater'))

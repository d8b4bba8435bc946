# The official BackTAL schedule: Adam, constant learning rate.
# `val_cfg` lives with the dataset (`_base_/datasets/*`): whether a run can
# validate depends on whether the dataset has a validation split, and MMEngine
# requires val_dataloader, val_cfg and val_evaluator to be all set or all None.
max_epochs = 40
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=5)
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999),
                   weight_decay=5e-4))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
# auto_scale_lr (the batch the learning rates are set for) lives with each
# dataset's train batch size, in `_base_/datasets/*`.

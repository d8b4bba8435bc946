# BackTAL on HACS: Adam lr 1e-4, wd 5e-4, batch 64, 8 epochs, T = 200.
_base_ = [
    '../_base_/models/backtal_untrimmed_long.py', '../_base_/datasets/hacs.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
model = dict(
    cls_head=dict(num_classes=200),
    post_processor=dict(
        class_threshold=0.075,
        # np.arange(0, 0.2, 0.025)
        cas_thresholds=[0.0, 0.025, 0.05, 0.07500000000000001, 0.1, 0.125,
                        0.15000000000000002, 0.17500000000000002],
        lam=200.0,
        nms_thr=0.71))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_epochs=8, val_interval=100)

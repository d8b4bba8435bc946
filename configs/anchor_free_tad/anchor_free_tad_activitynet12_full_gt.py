# The anchor-free detector on ActivityNet 1.2 trained on full GT: the
# fully supervised upper bound. Every video is resampled to 100 snippets
# for training and test alike (ActionFormer's ActivityNet recipe: actions
# are long relative to the video, so one relative scale suits the pyramid).
_base_ = [
    '../_base_/models/anchor_free_tad.py',
    '../_base_/datasets/activitynet12.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=100),
             post_processor=dict(nms=dict(type='matrix', sigma=0.75,
                                          min_score=0.001),
                                 max_per_video=100))
test_pipeline = [
    dict(type='LoadSnippetFeature', layout='auto',
         feat_dim={{_base_.feat_dim}}),
    dict(type='ResampleSnippets', num_segments={{_base_.num_segments}},
         mode='linear', allow_upsample=True),
    dict(type='PackClickLocalizationInputs'),
]
auto_scale_lr = dict(base_batch_size=16)  # the batch below
train_dataloader = dict(
    batch_size=16,
    dataset=dict(click_file=None, require_clicks=False))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
train_cfg = dict(max_epochs=15, val_interval=100)

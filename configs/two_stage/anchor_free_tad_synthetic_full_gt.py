# The anchor-free detector trained on the full GT segments of the bundled
# synthetic benchmark: the fully supervised upper bound of the two-stage
# pipeline (stage 2 trained on pseudo-segments uses the same model).
# Train and test videos are resampled to the same length, so the pyramid
# sees every video at one relative scale (ActionFormer's ActivityNet setup).
_base_ = [
    '../_base_/models/anchor_free_tad.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_constant.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(in_channels=128, hidden_channels=128),
    neck=dict(in_channels=128, out_channels=128, num_levels=5),
    head=dict(in_channels=128, num_classes=20, feat_channels=128,
              num_levels=5),
    assigner=dict(regress_ranges=[(0, 4), (4, 8), (8, 16), (16, 32),
                                  (32, 10000)]))
test_pipeline = [
    dict(type='LoadSnippetFeature', layout='array', axis='TC',
         feat_dim={{_base_.feat_dim}}),
    dict(type='ResampleSnippets', num_segments={{_base_.num_segments}},
         mode='linear', allow_upsample=True),
    dict(type='PackClickLocalizationInputs'),
]
train_dataloader = dict(
    dataset=dict(click_file=None, click_annotators=None,
                 require_clicks=False))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
train_cfg = dict(max_epochs=40, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))

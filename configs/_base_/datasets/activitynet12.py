# ActivityNet 1.2 (100 classes): train on `training` with simulated clicks
# (tools/data/simulate_clicks.py), test on `validation`.
dataset_type = 'ClickTALDataset'
data_root = 'data/activitynet12/'
ann_file = data_root + 'activity_net.v1-2.min.json'
click_file = data_root + 'clicks_sim.json'
feat_dim = 2048
num_segments = 100
feature_suffix = '.npz'

train_pipeline = [
    dict(type='LoadSnippetFeature', layout='auto', feat_dim=feat_dim),
    # Many ActivityNet videos have fewer than 100 snippets.
    dict(type='ResampleSnippets', num_segments=num_segments, mode='random',
         allow_upsample=True),
    dict(type='BuildClickLabels'),
    dict(type='PackClickLocalizationInputs'),
]
test_pipeline = [
    dict(type='LoadSnippetFeature', layout='auto', feat_dim=feat_dim),
    dict(type='PackClickLocalizationInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        subset='training',
        click_file=click_file,
        click_types=('background', ),
        require_clicks=True,
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=data_root + 'features/training'),
        pipeline=train_pipeline))
# The learning rates of the configs on this data are set for this batch on
# one process: `tools/train.py --auto-scale-lr` (MMEngine's auto_scale_lr)
# multiplies them by (processes x batch size) / base_batch_size.
auto_scale_lr = dict(enable=False, base_batch_size=128)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        subset='validation',
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=data_root + 'features/validation'),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='TALMetric',
    tiou_thresholds=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
val_dataloader = None
val_evaluator = None
val_cfg = None  # all three None: MMEngine's rule, so any trainer accepts it

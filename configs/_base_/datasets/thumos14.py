# THUMOS14 with two-stream I3D features (2 x 1024 = 2048 dims, 16-frame
# snippets). Train on the 200 `val` videos with human background clicks,
# test on the 210 `test` videos.
#
# data/thumos14/
#   gt_thumos14.json          ActivityNet-style GT (see README)
#   clicks_A1.json            from tools/data/convert_thumos_clicks.py
#   features/train/<video>.npz  official BackTAL layout (feat_spa, feat_tem)
#   features/test/<video>.npz
dataset_type = 'ClickTALDataset'
data_root = 'data/thumos14/'
ann_file = data_root + 'gt_thumos14.json'
click_file = data_root + 'clicks_A1.json'
feat_dim = 2048
num_segments = 750
feature_suffix = '.npz'

train_pipeline = [
    dict(type='LoadSnippetFeature', layout='auto', feat_dim=feat_dim),
    dict(type='ResampleSnippets', num_segments=num_segments, mode='random'),
    dict(type='BuildClickLabels'),
    dict(type='PackClickLocalizationInputs'),
]
test_pipeline = [
    dict(type='LoadSnippetFeature', layout='auto', feat_dim=feat_dim),
    dict(type='PackClickLocalizationInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        subset='val',
        click_file=click_file,
        click_types=('background', ),
        require_clicks=True,
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=data_root + 'features/train'),
        pipeline=train_pipeline))
# The learning rates of the configs on this data are set for this batch on
# one process: `tools/train.py --auto-scale-lr` (MMEngine's auto_scale_lr)
# multiplies them by (processes x batch size) / base_batch_size.
auto_scale_lr = dict(enable=False, base_batch_size=16)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        subset='test',
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=data_root + 'features/test'),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='TALMetric', tiou_thresholds=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])

# THUMOS14 has no held-out split with clicks: no validation during training
# (the official code picks the best *test* epoch; see
# configs/backtal/backtal_thumos14_select-on-test.py for that, explicitly).
val_dataloader = None
val_evaluator = None
val_cfg = None  # all three None: MMEngine's rule, so any trainer accepts it

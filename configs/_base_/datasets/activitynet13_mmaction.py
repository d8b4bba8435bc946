# ActivityNet 1.3 (200 classes) as MMAction2 prepares it for BMN / BSN
# (its tools/data/activitynet): one annotation file per split in its own
# layout (duration_second, duration_frame, feature_frame, annotations) and
# 400-d TSN features, 100 rows per video, as CSV (csv_mean_100). Train on
# anet_anno_train.json with simulated background clicks
# (tools/data/simulate_clicks.py data/ActivityNet/anet_anno_train.json
# --out data/ActivityNet/clicks_sim.json --no-action), test on
# anet_anno_val.json. The files hold no subsets (subset=None) and no class
# list: every dataset takes the training file's sorted labels as `classes`.
dataset_type = 'ClickTALDataset'
data_root = 'data/ActivityNet/'
ann_file_train = data_root + 'anet_anno_train.json'
ann_file_val = data_root + 'anet_anno_val.json'
click_file = data_root + 'clicks_sim.json'
features = data_root + 'activitynet_feature_cuhk/csv_mean_100/'
feat_dim = 400
num_segments = 100
feature_suffix = '.csv'

train_pipeline = [
    dict(type='LoadSnippetFeature', layout='array', axis='TC',
         feat_dim=feat_dim),
    dict(type='ResampleSnippets', num_segments=num_segments, mode='random',
         allow_upsample=True),
    dict(type='BuildClickLabels'),
    dict(type='PackClickLocalizationInputs'),
]
test_pipeline = [
    dict(type='LoadSnippetFeature', layout='array', axis='TC',
         feat_dim=feat_dim),
    dict(type='PackClickLocalizationInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        subset=None,
        classes=ann_file_train,
        click_file=click_file,
        click_types=('background', ),
        require_clicks=True,
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=features),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        subset=None,
        classes=ann_file_train,
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=features),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='TALMetric',
    tiou_thresholds=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
val_dataloader = None
val_evaluator = None
val_cfg = None  # all three None: MMEngine's rule, so any trainer accepts it

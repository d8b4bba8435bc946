# ActivityNet 1.3 (200 classes) as MMAction2 prepares it for BMN / BSN
# (its tools/data/activitynet): one annotation file per split in its own
# layout (duration_second, duration_frame, feature_frame, annotations) and
# 400-d TSN features, 100 rows per video, as CSV (csv_mean_100). Train on
# anet_anno_train.json with simulated background clicks
# (tools/data/simulate_clicks.py data/ActivityNet/anet_anno_train.json
# --out data/ActivityNet/clicks_sim.json --no-action), test on
# anet_anno_val.json. The files hold no subsets (subset=None) and no class
# list: every dataset takes the training file's sorted labels as `classes`.
# Loaders, clicks, batch sizes and the evaluator: ActivityNet 1.2's.
_base_ = './activitynet12.py'

data_root = 'data/ActivityNet/'
ann_file_train = data_root + 'anet_anno_train.json'
ann_file_val = data_root + 'anet_anno_val.json'
ann_file = ann_file_train
click_file = data_root + 'clicks_sim.json'
features = data_root + 'activitynet_feature_cuhk/csv_mean_100/'
feat_dim = 400
num_segments = 100
train_pipeline = [
    dict(type='LoadSnippetFeature', layout='array', axis='TC',
         feat_dim=feat_dim),
    dict(type='ResampleSnippets', num_segments=num_segments, mode='random',
         allow_upsample=True),
    dict(type='BuildClickLabels'),
    dict(type='PackClickLocalizationInputs'),
]
test_pipeline = [train_pipeline[0], train_pipeline[-1]]
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        subset=None,
        classes=ann_file_train,
        click_file=click_file,
        feature_suffix='.csv',
        data_prefix=dict(feature=features),
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        subset=None,
        classes=ann_file_train,
        feature_suffix='.csv',
        data_prefix=dict(feature=features),
        pipeline=test_pipeline))

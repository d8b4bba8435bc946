# The bundled synthetic benchmark (tools/data/generate_synthetic.py): 20
# classes (10 sibling pairs sharing a venue), 128-d two-stream-like features,
# train / val / test subsets (200 / 20 / 200 videos), background clicks by a
# simulated annotator 'A1' and action clicks 'SF'.
dataset_type = 'ClickTALDataset'
data_root = 'data/synthetic/'
ann_file = data_root + 'gt.json'
click_file = data_root + 'clicks.json'
feat_dim = 128
num_segments = 100
feature_suffix = '.npy'

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
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        subset='train',
        click_file=click_file,
        click_annotators=['A1'],
        click_types=('background', ),
        require_clicks=True,
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=data_root + 'features'),
        pipeline=train_pipeline))
# The learning rates of the configs on this data are set for this batch on
# one process: `tools/train.py --auto-scale-lr` (MMEngine's auto_scale_lr)
# multiplies them by (processes x batch size) / base_batch_size.
auto_scale_lr = dict(enable=False, base_batch_size=16)
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        subset='val',
        feature_suffix=feature_suffix,
        data_prefix=dict(feature=data_root + 'features'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], subset='test'))
val_evaluator = dict(
    type='TALMetric', tiou_thresholds=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')

# HACS Segments (200 classes): ActivityNet-style layout, so it reuses the
# ActivityNet 1.2 settings with its own paths, T = 200 and batch 64.
_base_ = './activitynet12.py'

data_root = 'data/hacs/'
ann_file = data_root + 'hacs_segments_v1.1.1.json'
num_segments = 200
auto_scale_lr = dict(base_batch_size=64)  # the batch below
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        ann_file=ann_file,
        click_file=data_root + 'clicks_sim.json',
        data_prefix=dict(feature=data_root + 'features/training'),
        pipeline=[
            dict(type='LoadSnippetFeature', layout='auto', feat_dim=2048),
            dict(type='ResampleSnippets', num_segments=num_segments,
                 mode='random', allow_upsample=True),
            dict(type='BuildClickLabels'),
            dict(type='PackClickLocalizationInputs'),
        ]))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file,
        data_prefix=dict(feature=data_root + 'features/validation')))

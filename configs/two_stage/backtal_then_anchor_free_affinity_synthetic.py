# The BackTAL pipeline with BackTAL's feature modeling as the detector's
# stem: AffinityEmbedding + AffinityTCN (affinity-weighted temporal
# convolutions) instead of the plain convolution stack.
_base_ = './backtal_then_anchor_free_synthetic.py'

model = dict(
    embedding=dict(type='AffinityEmbedding', in_channels=128,
                   hidden_channels=128, embed_channels=32),
    backbone=dict(_delete_=True, type='AffinityTCN', in_channels=128,
                  hidden_channels=128, affinity='per_tap', dropout=0.1))
train_dataloader = dict(
    dataset=dict(ann_file='work_dirs/'
                 'backtal_then_anchor_free_affinity_synthetic/'
                 'pseudo_gt_round0.json'))

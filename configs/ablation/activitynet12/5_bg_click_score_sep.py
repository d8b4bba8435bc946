# (5) + score separation.
_base_ = './4_bg_click.py'
model = dict(losses=dict(score_sep=dict(
    _delete_=True, type='ScoreSeparationLoss', topk_ratio=0.2,
    loss_weight=0.1)))

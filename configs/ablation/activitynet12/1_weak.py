# (1) Weakly supervised baseline: video labels only, foreground filter
# branch, plain temporal convolutions (no affinity, no click losses).
_base_ = '../../backtal/backtal_activitynet12.py'
model = dict(embedding=None,
             backbone=dict(affinity='none'),
             losses=dict(bg_click=None, score_sep=None, affinity=None))
train_dataloader = dict(dataset=dict(click_file=None, require_clicks=False))

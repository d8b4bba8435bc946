# (7) Hybrid: full BackTAL + the whole-video background loss with gradient
# reinforcement on its base branch.
_base_ = './6_backtal.py'
model = dict(losses=dict(whole_bg=dict(type='WholeVideoBackgroundLoss',
                                       mode='video',
                                       topk_ratio=0.125,
                                       reinforce_factor=2.0,
                                       loss_weight=0.1)))

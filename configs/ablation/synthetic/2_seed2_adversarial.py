# (2) "Forcing the whole video as background" (ACM MM 2022), video labels
# only: temporal enhancement network, foreground MIL with the background
# excluded, whole-video background loss with gradient reinforcement.
_base_ = './1_weak.py'
model = dict(
    fg_filter=None,
    backbone=dict(_delete_=True,
                  type='TemporalEnhancementNet',
                  in_channels=128,
                  hidden_channels=256,
                  window=2,
                  temperature=0.1,
                  dropout=0.7),
    losses=dict(_delete_=True,
                fg_mil=dict(type='ForegroundMILLoss', topk_ratio=0.125),
                whole_bg=dict(type='WholeVideoBackgroundLoss',
                              mode='video',
                              topk_ratio=0.125,
                              reinforce_factor=2.0)),
    # the background score is trained high everywhere: rank classes
    # among the actions only
    post_processor=dict(background_in_softmax=False))

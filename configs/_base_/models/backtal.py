# BackTAL (TPAMI 2021) on two-stream I3D features (D = 2048), THUMOS14 sizes.
model = dict(
    type='BackTAL',
    data_preprocessor=dict(type='SnippetFeaturePreprocessor'),
    embedding=dict(type='AffinityEmbedding', in_channels=2048,
                   hidden_channels=512, embed_channels=32),
    backbone=dict(type='AffinityTCN', in_channels=2048,
                  hidden_channels=2048, affinity='per_tap', dropout=0.7),
    fg_filter=dict(type='ForegroundFilter', in_channels=2048,
                   hidden_channels=512),
    cls_head=dict(type='TopKMILHead', in_channels=2048,
                  num_classes=20, topk_ratio=0.125),
    losses=dict(
        mil_base=dict(type='VideoMILLoss', branch='base', loss_weight=1.0),
        mil_supp=dict(type='VideoMILLoss', branch='supp', loss_weight=1.0),
        filter_l1=dict(type='FilterL1Loss', loss_weight=1e-4),
        bg_click=dict(type='ClickLoss',
                      click_types=('background', ), loss_weight=1.0),
        score_sep=dict(type='ScoreSeparationLoss', topk_ratio=0.125,
                       loss_weight=1.0),
        affinity=dict(type='AffinityEmbeddingLoss', topk_ratio=0.125,
                      loss_weight=0.8)),
    post_processor=dict(
        type='BackTALPostProcessor',
        class_threshold=0.25,
        # np.arange(0, 0.25, 0.025) and np.arange(0.3, 0.8, 0.075), value
        # for value (float noise included) as the official code uses them.
        cas_thresholds=[0.0, 0.025, 0.05, 0.07500000000000001, 0.1, 0.125,
                        0.15000000000000002, 0.17500000000000002, 0.2,
                        0.225],
        mag_thresholds=[0.3, 0.375, 0.45, 0.525, 0.6000000000000001, 0.675,
                        0.75],
        lam=0.25,
        gamma=0.2,
        nms_thr=0.55,
        nms_mode='standard'))

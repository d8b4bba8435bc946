# BackTAL settings shared by ActivityNet 1.2 and HACS (long actions covering
# much of each video): top-k ratio 0.6, score separation r = 0.2 with weight
# 0.1, no feature-magnitude proposals, wide outer regions, shrunk proposals
# plus a whole-video proposal.
_base_ = './backtal.py'
model = dict(
    cls_head=dict(num_classes=100, topk_ratio=0.6),
    losses=dict(
        score_sep=dict(topk_ratio=0.2, loss_weight=0.1),
        affinity=dict(topk_ratio=0.6)),
    post_processor=dict(
        class_threshold=0.1,
        # np.arange(0, 0.15, 0.025)
        cas_thresholds=[0.0, 0.025, 0.05, 0.07500000000000001, 0.1, 0.125],
        mag_thresholds=[],
        lam=20.0,
        gamma=0.6,
        nms_thr=0.7,
        shrink_ratio=0.02,
        whole_video_score=0.6))

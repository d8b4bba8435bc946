# Anchor-free multi-scale detector (stage 2 of the two-stage pipeline):
# a temporal conv stack, a 6-level pyramid (strides 1..32), a shared
# classification / boundary-regression head, sigmoid focal + DIoU losses
# with centre sampling. THUMOS14-like sizes (D = 2048, 20 classes).
model = dict(
    type='AnchorFreeTAD',
    # training batches of different lengths (RandomCropSnippets(pad=False))
    # are padded to their longest video, not to the crop window
    data_preprocessor=dict(type='SnippetFeaturePreprocessor', pad_batch=True),
    backbone=dict(type='TemporalConvStack', in_channels=2048,
                  hidden_channels=512, num_layers=2, dropout=0.1),
    neck=dict(type='TemporalPyramid', in_channels=512, out_channels=256,
              num_levels=6),
    head=dict(type='AnchorFreeHead', in_channels=256, num_classes=20,
              feat_channels=256, num_convs=2, num_levels=6),
    assigner=dict(type='PointTargetAssigner', center_radius=1.5),
    losses=dict(
        cls=dict(type='PointFocalLoss', alpha=0.25, gamma=2.0,
                 loss_weight=1.0),
        reg=dict(type='PointDIoULoss', mode='diou', loss_weight=1.0)),
    # Gaussian soft-NMS decay and the video-level score fusion were chosen
    # on the synthetic benchmark's val split (seed 0, 20 videos, avg mAP:
    # hard NMS 0.5 49.6, + fusion 51.7, + soft-NMS 53.4, + Matrix NMS, its
    # parallel form without a loop over boxes, 53.3)
    post_processor=dict(type='AnchorFreePostProcessor', score_thr=0.001,
                        pre_nms_topk=2000,
                        nms=dict(type='matrix', sigma=0.5, min_score=0.001),
                        video_fusion=dict(topk_ratio=0.125, power=1.0),
                        max_per_video=200, min_length=0.0))

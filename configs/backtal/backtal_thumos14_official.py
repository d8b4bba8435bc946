# For checkpoints converted from the official code
# (tools/convert_official_checkpoint.py): the official affinity wiring and
# the official NMS (+1 on lengths in seconds) reproduce its detections.
_base_ = './backtal_thumos14.py'
model = dict(
    backbone=dict(affinity='official'),
    post_processor=dict(nms_mode='official'))

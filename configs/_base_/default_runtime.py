# Runtime shared by every config of the plugin.
default_scope = 'mmaction'
custom_imports = dict(
    imports=['backtal_mmaction.registration'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # writes to a temporary file + os.replace: a kill never leaves a
    # truncated checkpoint or `last_checkpoint` pointer
    checkpoint=dict(type='AtomicCheckpointHook', interval=5,
                    max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

# RNG states in checkpoints (bit-exact --resume), a clear error for
# checkpoints of another model / class count, videos/s after test.
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='CheckpointCompatibilityHook'),
    dict(type='TestSpeedHook'),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

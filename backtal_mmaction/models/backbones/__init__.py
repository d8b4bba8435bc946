from .affinity_conv import (AffinityConv1d, AffinityEmbedding,
                            neighbour_affinity, official_channel_groups)
from .affinity_tcn import AffinityTCN
from .temporal_conv_stack import TemporalConvStack
from .temporal_enhancement_net import (TemporalEnhancementNet,
                                       affinity_aggregate)

__all__ = [
    'AffinityConv1d', 'AffinityEmbedding', 'AffinityTCN',
    'neighbour_affinity', 'official_channel_groups', 'TemporalEnhancementNet',
    'affinity_aggregate', 'TemporalConvStack'
]

from .affinity_conv import (AffinityConv1d, AffinityEmbedding,
                            neighbour_affinity, official_channel_groups)
from .affinity_tcn import AffinityTCN

__all__ = [
    'AffinityConv1d', 'AffinityEmbedding', 'AffinityTCN',
    'neighbour_affinity', 'official_channel_groups'
]

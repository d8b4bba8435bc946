from .anchor_free_tad import AnchorFreeTAD
from .backtal import BackTAL

__all__ = ['AnchorFreeTAD', 'BackTAL']

from .point_assigner import DEFAULT_REGRESS_RANGES, PointTargetAssigner

__all__ = ['DEFAULT_REGRESS_RANGES', 'PointTargetAssigner']

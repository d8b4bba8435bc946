from .temporal_pyramid import TemporalPyramid, level_points

__all__ = ['TemporalPyramid', 'level_points']

from .tal_metric import TALMetric

__all__ = ['TALMetric']

from .backtal import BackTAL

__all__ = ['BackTAL']

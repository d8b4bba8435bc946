from . import transforms  # noqa: F401
from .click_tal_dataset import ClickTALDataset

__all__ = ['ClickTALDataset']

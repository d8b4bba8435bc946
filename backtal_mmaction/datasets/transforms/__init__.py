from .formatting import PackClickLocalizationInputs
from .loading import LoadSnippetFeature
from .sampling import (BuildClickLabels, RandomCropSnippets,
                       ResampleSnippets, linear_resample_indices)

__all__ = [
    'BuildClickLabels', 'LoadSnippetFeature', 'PackClickLocalizationInputs',
    'RandomCropSnippets', 'ResampleSnippets', 'linear_resample_indices'
]

from .formatting import PackClickLocalizationInputs
from .loading import LoadSnippetFeature
from .sampling import (BuildClickLabels, ResampleSnippets,
                       linear_resample_indices)

__all__ = [
    'BuildClickLabels', 'LoadSnippetFeature', 'PackClickLocalizationInputs',
    'ResampleSnippets', 'linear_resample_indices'
]

from . import (backbones, data_preprocessors, heads, localizers,  # noqa: F401
               losses, postprocessing)

from . import (backbones, data_preprocessors, heads,  # noqa: F401
               localizers, losses, necks, postprocessing, task_modules)

from .cas_plot import (cas_plot_inputs, render_cas_figure, save_rgb_png,
                       snippet_times)

__all__ = [
    'cas_plot_inputs', 'render_cas_figure', 'save_rgb_png', 'snippet_times'
]

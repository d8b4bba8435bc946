"""What the command-line tools and the ``apis`` entry points share, above
the Runner: one error style (:mod:`.errors`), config loading with checked
``--cfg-options`` (:mod:`.config`), the run directory's safety and Runner
building (:mod:`.runner`) and the TensorBoard switch (:mod:`.vis_backends`).

Nothing here is registered; nothing here is imported by the model side.
"""

"""Registering the plugin (``custom_imports`` of
``backtal_mmaction.registration``) changes no MMEngine or torch global: it
only adds its own names to the registries. ``import backtal_mmaction``
alone is light: no torch, no MMEngine, nothing registered."""
import json
import subprocess
import sys
import textwrap

from tests.helpers import REPO

# The third-party modules the registration imports, in import
# order, so that the probe below can import them first: what they change
# (scipy and sympy add warning filters, MMAction2 fills its registries) is
# theirs, not the plugin's.
DEPENDENCIES = (
    'import json, sys; import backtal_mmaction.registration; '
    'print(json.dumps('
    "[m for m in sys.modules if not m.startswith('backtal_mmaction')]))")

# In a fresh interpreter: the dependencies, snapshot, `import
# backtal_mmaction.registration`, snapshot.
PROBE = textwrap.dedent('''
    import builtins, importlib, json, os, sys, warnings
    for name in json.loads(sys.argv[1]):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001  (private / platform modules)
            pass
    import torch, mmengine.runner.checkpoint as ckpt_mod
    import mmengine.runner.runner as runner_mod
    import mmengine.fileio.backends.registry_utils as backend_reg
    import mmaction.registry as mma_reg
    import mmengine.registry as mme_reg
    from mmengine.hooks import CheckpointHook
    from mmengine.logging import HistoryBuffer
    from mmengine.model import BaseModel
    from mmengine.registry import DefaultScope, Registry

    def ident(obj):
        return f'{getattr(obj, "__module__", "?")}.' \\
               f'{getattr(obj, "__qualname__", type(obj).__name__)}@{id(obj)}'

    def registries():
        out = {}
        for mod in (mma_reg, mme_reg):
            for name in dir(mod):
                reg = getattr(mod, name)
                if isinstance(reg, Registry):
                    out[f'{mod.__name__}.{name}'] = {
                        k: ident(v) for k, v in reg.module_dict.items()}
        return out

    def snapshot():
        return dict(
            schemes={k: ident(v) for k, v in
                     ckpt_mod.CheckpointLoader._schemes.items()},
            backends={k: ident(v) for k, v in backend_reg.backends.items()},
            prefixes={k: ident(v) for k, v in
                      backend_reg.prefix_to_backends.items()},
            safe_globals=sorted(map(repr,
                                    torch.serialization.get_safe_globals())),
            functions={n: ident(f) for n, f in dict(
                getattr=builtins.getattr, torch_load=torch.load,
                load_from_local=ckpt_mod.load_from_local,
                save_checkpoint=runner_mod.save_checkpoint,
                runner_load=runner_mod.Runner.load_checkpoint,
                runner_resume=runner_mod.Runner.resume,
                runner_save=runner_mod.Runner.save_checkpoint,
                load_or_resume=runner_mod.Runner.load_or_resume,
                test_step=BaseModel.test_step,
                ckpt_hook_save=CheckpointHook._save_checkpoint_with_step,
                ckpt_hook_best=CheckpointHook._save_best_checkpoint,
            ).items()},
            statistics=sorted(HistoryBuffer._statistics_methods),
            default_scope=repr(DefaultScope.get_current_instance()),
            warning_filters=[repr(f) for f in warnings.filters],
            environ=dict(os.environ),
            registries=registries())

    before = snapshot()
    import backtal_mmaction.registration  # noqa: F401
    after = snapshot()
    # Registries: the plugin may add its own names, never change one.
    for name, entries in before.pop('registries').items():
        now = after['registries'][name]
        assert all(now[k] == v for k, v in entries.items()), name
    after.pop('registries')
    print(json.dumps(dict(before=before, after=after)))
''')


def test_import_changes_no_global():
    deps = subprocess.run([sys.executable, '-c', DEPENDENCIES], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert deps.returncode == 0, deps.stderr[-3000:]
    res = subprocess.run(
        [sys.executable, '-c', PROBE,
         deps.stdout.strip().splitlines()[-1]], cwd=REPO,
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    snap = json.loads(res.stdout.strip().splitlines()[-1])
    before, after = snap['before'], snap['after']
    assert before['schemes'], 'snapshot saw no checkpoint loaders'
    for key in before:
        assert after[key] == before[key], key


def test_import_registers_the_plugin_hooks():
    """The registries are the plugin's extension point (the snapshot above
    allows additions only): its hooks are there after the import."""
    code = ('import backtal_mmaction.registration; '
            'from mmaction.registry import HOOKS; '
            "print(all(HOOKS.get(n) is not None for n in ("
            "'AtomicCheckpointHook', 'CheckpointCompatibilityHook', "
            "'RNGStateHook', 'SaveRawOutputsHook', 'CASVisualizationHook')))")
    res = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().endswith('True')


def _run(code: str) -> str:
    res = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout.strip().splitlines()[-1]


def test_package_import_is_light_and_registers_nothing():
    """``import backtal_mmaction`` (and the numpy-only data and metric
    modules the data tools use) load no torch / MMEngine / MMAction2."""
    out = _run(
        'import sys, backtal_mmaction, backtal_mmaction.datasets.synthetic, '
        'backtal_mmaction.datasets.point_label_formats, '
        'backtal_mmaction.evaluation.functional, backtal_mmaction.structures, '
        'backtal_mmaction.visualization; '
        "print(sorted(m for m in ('torch', 'mmengine', 'mmaction') "
        'if m in sys.modules))')
    assert out == '[]'


def test_register_all_modules_registers_and_sets_the_scope():
    """MMAction2's idiom: one call registers the plugin's classes (and
    MMAction2's) and makes ``mmaction`` the default scope."""
    out = _run(
        'import backtal_mmaction\n'
        'backtal_mmaction.register_all_modules()\n'
        'from mmaction.registry import DATASETS, METRICS, MODELS\n'
        'from mmengine.registry import DefaultScope\n'
        "print(MODELS.get('BackTAL').__name__, "
        "DATASETS.get('ClickTALDataset').__name__, "
        "METRICS.get('TALMetric').__name__, "
        'DefaultScope.get_current_instance().scope_name)')
    assert out == 'BackTAL ClickTALDataset TALMetric mmaction'


def test_lazy_dataset_names_resolve_to_the_registered_classes():
    out = _run(
        'from backtal_mmaction.datasets import ClickTALDataset, transforms\n'
        'from backtal_mmaction.datasets.click_tal_dataset import '
        'ClickTALDataset as C\n'
        'print(ClickTALDataset is C, transforms.__name__)')
    assert out == 'True backtal_mmaction.datasets.transforms'

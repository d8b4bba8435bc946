"""The argv -> function mapping of the workflow tools, at no model or data
cost: every command-line flag is a keyword of the package function the
tool calls and every keyword has its flag (read from ``--help``), and a
run with every flag set hands each value to the function under its
keyword (the function replaced by a recorder). Tools run in-process as
``python tools/X.py ARGV`` would (``tests.helpers.run_tool``); real
runs with real inputs: test_infer's command line, test_config_check,
test_checkpoint_compat and the bad-input sweep."""
import inspect
import re

import pytest

import dataclasses

import backtal_mmaction.apis as apis
import backtal_mmaction.workflows as workflows
from backtal_mmaction.pseudo_labels import PseudoLabelRules
from tests.helpers import run_tool

# the package that holds each tool's function (default: apis)
MODULE = {'two_stage.py': workflows, 'pseudo_labels.py': workflows,
          'visualize_cas.py': workflows}
# keywords whose value is a settings object built from several flags (one
# flag per field, same names): the flags are checked against its fields
GROUPED = {'pseudo_labels.py': {'rules': PseudoLabelRules}}

# tool: (function, flags with no keyword, flag -> keyword renames)
TOOLS = {
    # --local_rank only feeds LOCAL_RANK in the environment (torch.distributed
    # launchers), read by MMEngine, not by the function.
    'train.py': ('train_localizer', {'local_rank'}, {}),
    'test.py': ('test_localizer', {'local_rank'}, {}),
    'infer.py': ('localize_feature_files', set(), {}),
    'two_stage.py': ('run_two_stage_config', set(), {}),
    # --split has the single choice 'train' (the training videos are what
    # write_pseudo_gt labels), so there is nothing to pass.
    'pseudo_labels.py': ('write_pseudo_gt', {'split'}, {}),
    'visualize_cas.py': ('draw_cas_figures', set(), {}),
    'analysis/postprocess_raw.py': ('postprocess_raw_outputs', set(),
                                    {'no_per_class': 'per_class'}),
}


def _cli_names(help_text: str) -> set:
    """Flags (``--work-dir`` -> ``work_dir``) of the usage block and the
    positional arguments of a ``--help`` text."""
    usage = help_text.split('\n\n')[0]
    # optional ([--x]) and required (--out OUT) flags alike
    flags = set(re.findall(r'(?<![\w-])--([a-z][a-z0-9_-]*)', usage))
    flags -= {'help'}
    positional = re.search(r'positional arguments:\n((?:  .*\n)+)',
                           help_text)
    names = set(re.findall(r'^  ([a-z_]+)\b', positional.group(1), re.M)) \
        if positional else set()
    return {f.replace('-', '_') for f in flags} | names


@pytest.mark.parametrize('tool', list(TOOLS))
def test_every_flag_is_a_keyword_of_the_function(tool):
    function, unmapped, renames = TOOLS[tool]
    run = run_tool(tool, ['--help'])
    assert run.exit_code == 0, run.stderr[-2000:]
    cli = {renames.get(n, n) for n in _cli_names(run.stdout)} - unmapped
    module = MODULE.get(tool, apis)
    params = set(inspect.signature(getattr(module, function)).parameters)
    for keyword, settings in GROUPED.get(tool, {}).items():
        fields = {f.name for f in dataclasses.fields(settings)}
        # the group's flags are fields of the settings; fields without a
        # flag (structured ones such as seed_rules) keep their defaults
        flags = cli & fields
        assert flags == fields - {'seed_rules'}
        cli = (cli - fields) | {keyword}
    assert cli == params - {'log'}


def test_help_parsing_sees_flags_and_positionals():
    """The parser of the test above on a known tool: positionals and
    flags, nothing from the descriptions."""
    names = _cli_names(run_tool('infer.py', ['--help']).stdout)
    assert {'config', 'checkpoint', 'features', 'out', 'fps',
            'snippet_frames', 'cfg_options_allow_new'} <= names
    assert 'help' not in names
    # Its description names tools/test.py's --save-raw: not one of its own.
    help_text = run_tool('analysis/postprocess_raw.py', ['--help']).stdout
    assert '--save-raw' in help_text
    assert 'save_raw' not in _cli_names(help_text)


OPTS = {'a.b': 1}  # what `--cfg-options a.b=1` parses to

# tool: (argv giving every flag a non-default value, the call expected)
CALLS = {
    'train.py': (
        ['c.py', '--work-dir', 'wd', '--resume', 'r.pth', '--amp', 'bf16',
         '--compile', 'max-autotune', '--tensorboard', '--no-validate',
         '--test', '--overwrite', '--auto-scale-lr', '--seed', '3',
         '--deterministic', '--cfg-options', 'a.b=1',
         '--cfg-options-allow-new', '--launcher', 'pytorch'],
        dict(config='c.py', work_dir='wd', resume='r.pth', amp='bf16',
             compile='max-autotune', tensorboard=True, no_validate=True,
             test=True, overwrite=True, auto_scale_lr=True, seed=3,
             deterministic=True,
             cfg_options=OPTS, cfg_options_allow_new=True,
             launcher='pytorch')),
    'test.py': (
        ['c.py', 'k.pth', '--work-dir', 'wd', '--dump', 'p.pkl',
         '--out-json', 'r.json', '--save-raw', 'raw', '--vis-cas', '2',
         '--vis-dir', 'vis', '--overwrite', '--cfg-options', 'a.b=1',
         '--cfg-options-allow-new', '--launcher', 'slurm'],
        dict(config='c.py', checkpoint='k.pth', work_dir='wd', dump='p.pkl',
             out_json='r.json', save_raw='raw', vis_cas=2, vis_dir='vis',
             overwrite=True, cfg_options=OPTS, cfg_options_allow_new=True,
             launcher='slurm')),
    'infer.py': (
        ['c.py', 'k.pth', 'f1.npy', 'f2.npy', '--out', 'o.json',
         '--overwrite', '--fps', '25', '--duration', '9.5',
         '--snippet-frames', '8', '--topk', '4', '--score-thr', '0.2',
         '--feature-layout', 'array', '--axis', 'CT', '--array-key', 'x',
         '--classes', 'cls.txt', '--device', 'cuda:1', '--cfg-options',
         'a.b=1', '--cfg-options-allow-new', '--video-info', 'anno.json'],
        dict(config='c.py', checkpoint='k.pth', features=['f1.npy', 'f2.npy'],
             out='o.json', overwrite=True, fps=25.0, duration=9.5,
             snippet_frames=8, topk=4, score_thr=0.2, feature_layout='array',
             axis='CT', array_key='x', classes='cls.txt', device='cuda:1',
             cfg_options=OPTS, cfg_options_allow_new=True,
             video_info='anno.json')),
    'two_stage.py': (
        ['p.py', '--work-dir', 'wd', '--seed', '3', '--rounds', '2',
         '--no-test', '--cfg-options', 'a.b=1', '--stage1-cfg-options',
         'c.d=x'],
        dict(config='p.py', work_dir='wd', seed=3, rounds=2, no_test=True,
             cfg_options=OPTS, stage1_cfg_options={'c.d': 'x'})),
    'pseudo_labels.py': (
        ['c.py', 'k.pth', '--out', 'g.json', '--rel-score-thr', '0.4',
         '--topk', '7', '--nms-thr', '0.5', '--min-length', '1.5',
         '--click-segment-length', '3.0', '--click-weight', '0.5',
         '--instance-seeds', '--label-click-types', 'background', 'action',
         '--device', 'cuda', '--cfg-options', 'a.b=1', '--overwrite',
         '--cfg-options-allow-new'],
        dict(config='c.py', checkpoint='k.pth', out='g.json',
             rules=PseudoLabelRules(
                 rel_score_thr=0.4, topk=7, nms_thr=0.5, min_length=1.5,
                 click_segment_length=3.0, click_weight=0.5,
                 instance_seeds=True),
             label_click_types=['background', 'action'], device='cuda',
             cfg_options=OPTS, overwrite=True, cfg_options_allow_new=True)),
    'visualize_cas.py': (
        ['c.py', 'k.pth', '--out-dir', 'd', '--videos', 'v1', 'v2', '--num',
         '3', '--split', 'val', '--max-classes', '2', '--max-detections',
         '9', '--device', 'cuda', '--overwrite', '--cfg-options', 'a.b=1',
         '--cfg-options-allow-new'],
        dict(config='c.py', checkpoint='k.pth', out_dir='d',
             videos=['v1', 'v2'], num=3, split='val', max_classes=2,
             max_detections=9, device='cuda', overwrite=True,
             cfg_options=OPTS, cfg_options_allow_new=True)),
    'analysis/postprocess_raw.py': (
        ['c.py', 'raw', '--cfg-options', 'a.b=1', '--cfg-options-allow-new',
         '--gt', 'g.json', '--subset', 'val', '--tiou', '0.3', '0.5',
         '--allow-missing', '--out-json', 'o.json', '--overwrite',
         '--no-per-class', '--grid', 'x.y=1,2'],
        dict(config='c.py', raw_dir='raw', gt='g.json', subset='val',
             tiou=[0.3, 0.5], allow_missing=True, out_json='o.json',
             overwrite=True, per_class=False, cfg_options=OPTS,
             cfg_options_allow_new=True, grid={'x.y': [1, 2]})),
}


@pytest.mark.parametrize('tool', list(CALLS))
def test_every_flag_value_reaches_the_function(tool, monkeypatch):
    """The tool run with every flag set (in-process, the package function
    replaced by a recorder): the function gets each value under its
    keyword, nothing left at its default."""
    function = TOOLS[tool][0]
    module = MODULE.get(tool, apis)
    real = getattr(module, function)
    calls = []
    monkeypatch.setattr(module, function,
                        lambda *a, **kw: calls.append((a, kw)) or {})
    # What the tools set in os.environ is undone after the test.
    for var in ('LOCAL_RANK', 'THP_MEM_ALLOC_ENABLE'):
        monkeypatch.delenv(var, raising=False)
    argv, expected = CALLS[tool]
    run = run_tool(tool, argv)
    assert run.exit_code == 0, run.stderr[-2000:]
    assert len(calls) == 1
    bound = inspect.signature(real).bind(*calls[0][0], **calls[0][1])
    bound.apply_defaults()
    got = {k: v for k, v in bound.arguments.items() if k != 'log'}
    assert got == expected


def test_rule_flags_left_out_keep_the_rules_defaults(monkeypatch):
    """tools/pseudo_labels.py passes only the rule flags given: the others
    are PseudoLabelRules' own defaults (set in one place)."""
    calls = []
    monkeypatch.setattr(workflows, 'write_pseudo_gt',
                        lambda *a, **kw: calls.append(kw) or {})
    run = run_tool('pseudo_labels.py',
                   ['c.py', 'k.pth', '--out', 'g.json', '--click-weight',
                    '0.25'])
    assert run.exit_code == 0, run.stderr[-2000:]
    assert calls[0]['rules'] == dataclasses.replace(PseudoLabelRules(),
                                                    click_weight=0.25)
    run = run_tool('pseudo_labels.py',
                   ['c.py', 'k.pth', '--out', 'g.json', '--topk', '0'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1] == (
        'error: PseudoLabelRules: --topk must be >= 1, got 0')


@pytest.mark.parametrize('argv,amp,compile', [
    ([], False, False),
    (['--amp', '--compile'], True, True),  # the device's defaults
    (['--amp', 'fp16', '--compile', 'reduce-overhead'], 'fp16',
     'reduce-overhead'),
    (['--compile', '--amp', 'float16'], 'float16', True),
])
def test_train_amp_and_compile_take_an_optional_value(argv, amp, compile,
                                                      monkeypatch):
    """``--amp [DTYPE]`` / ``--compile [MODE]``: the bare flag is ``True``
    (bare ``--amp`` as before it took a value), a value is passed as
    given, no flag is ``False``."""
    calls = []
    monkeypatch.setattr(apis, 'train_localizer',
                        lambda *a, **kw: calls.append(kw) or {})
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    run = run_tool('train.py', ['c.py', *argv])
    assert run.exit_code == 0, run.stderr[-2000:]
    assert (calls[0]['amp'], calls[0]['compile']) == (amp, compile)


@pytest.mark.parametrize('argv,amp,compile,resume', [
    (['--amp', 'c.py'], True, False, None),
    (['--compile', 'c.py', '--amp', 'bf16'], 'bf16', True, None),
    (['--resume', 'c.py'], False, False, 'auto'),
    (['--resume', '--amp', 'c.py'], True, False, 'auto'),
    (['--cfg-options', 'a=1', '--amp', 'c.py'], True, False, None),
    (['--resume', 'k.pth', 'c.py'], False, False, 'k.pth'),
])
def test_train_flags_with_optional_values_may_precede_the_config(
        argv, amp, compile, resume, monkeypatch):
    """``--amp CONFIG``: a config file name is never a dtype, compile
    mode or checkpoint, so the flag before it is bare and the config is
    the config (argparse alone reads it as the flag's value: "invalid
    choice", or resuming from the config file)."""
    calls = []
    monkeypatch.setattr(apis, 'train_localizer',
                        lambda *a, **kw: calls.append((a, kw)) or {})
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    run = run_tool('train.py', argv)
    assert run.exit_code == 0, run.stderr[-2000:]
    (config, ), kw = calls[0]
    assert config == 'c.py'
    assert (kw['amp'], kw['compile'], kw['resume']) == (amp, compile, resume)


def test_train_tool_choices_are_the_librarys():
    """The values ``--amp`` / ``--compile`` offer (spelled out in the tool,
    which imports no torch before parsing; read from its usage error) are
    the ones the library accepts."""
    from backtal_mmaction.apis.train import COMPILE_MODES
    from backtal_mmaction.engine.amp import DTYPE_NAMES

    def choices(flag):
        run = run_tool('train.py', ['c.py', flag, 'bogus'])
        assert run.exit_code == 2
        offered = run.stderr.split('choose from ')[1].split(')')[0]
        return tuple(re.findall(r"'([^']+)'", offered))

    assert set(choices('--amp')) == set(DTYPE_NAMES)
    assert choices('--compile') == COMPILE_MODES

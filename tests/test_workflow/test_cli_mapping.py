"""Every command-line flag of the workflow tools reaches a keyword of the
package function the tool calls, and every keyword has its flag: read from
each tool's ``--help`` (run in-process as ``python tools/X.py --help``
would), compared with the function's signature. The flag values
themselves are exercised by the real command-line runs (test_infer's
command line, test_config_check, test_checkpoint_compat, the bad-input
sweep)."""
import inspect
import re

import pytest

import backtal_mmaction.apis as apis
from tests.tool_runner import run_tool

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
    params = set(inspect.signature(getattr(apis, function)).parameters)
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

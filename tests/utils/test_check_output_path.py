"""``utils.check_output_path``: the one rule for an output file."""
import os

import pytest

from backtal_mmaction.utils import check_output_path


def test_new_file_passes(tmp_path):
    check_output_path(tmp_path / 'new.json', '--out', False,
                      inputs=[tmp_path / 'gt.json', None])


def test_existing_file_needs_overwrite(tmp_path):
    out = tmp_path / 'r.json'
    out.write_text('{}')
    with pytest.raises(FileExistsError, match=r'--out .*r\.json already '
                       'exists; pass `overwrite`'):
        check_output_path(out, '--out', False)
    check_output_path(out, '--out', True)
    assert out.read_text() == '{}'  # a check writes nothing


def test_directory_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match='is a directory'):
        check_output_path(tmp_path, '--out', True)


@pytest.mark.parametrize('spelling', ['same', 'relative', 'symlink',
                                      'hardlink'])
def test_an_input_is_refused_even_with_overwrite(tmp_path, monkeypatch,
                                                 spelling):
    gt = tmp_path / 'gt.json'
    gt.write_text('{"database": {}}')
    out = {'same': str(gt), 'relative': 'gt.json',
           'symlink': str(tmp_path / 'link.json'),
           'hardlink': str(tmp_path / 'hard.json')}[spelling]
    if spelling == 'symlink':
        os.symlink(gt, out)
    if spelling == 'hardlink':
        os.link(gt, out)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r'--out .* is also an input of this '
                       r'run \(.*gt\.json\)'):
        check_output_path(out, '--out', True, inputs=[None, str(gt)])
    assert gt.read_text() == '{"database": {}}'


def test_a_missing_input_is_compared_by_path(tmp_path):
    """An input not written yet (e.g. a GT the run reads later) is still
    matched by its resolved path."""
    with pytest.raises(ValueError, match='also an input'):
        check_output_path(tmp_path / 'a' / '..' / 'x.json', '`out`', False,
                          inputs=[tmp_path / 'x.json'])

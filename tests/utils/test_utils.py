"""The shared conventions of ``backtal_mmaction.utils``."""
import os

import numpy as np
import pytest
import torch

from backtal_mmaction.utils import (CLICK_TYPES, IGNORE_INDEX, atomic_replace,
                                    atomic_write, snippet_times, to_numpy)


def test_constants_match_torch_and_the_click_files():
    # cross_entropy's own default, so the click losses need no argument
    assert IGNORE_INDEX == torch.nn.CrossEntropyLoss().ignore_index
    assert CLICK_TYPES == ('background', 'action')


def test_snippet_times_hand_values():
    # 4 snippets over 10 s: width 2.5 s, centres 1.25, 3.75, 6.25, 8.75
    np.testing.assert_allclose(snippet_times(4, 10.0),
                               [1.25, 3.75, 6.25, 8.75])
    assert snippet_times(1, 3.0).tolist() == [1.5]


def test_to_numpy_widens_reduced_precision_tensors():
    t = torch.tensor([0.5, 1.25], dtype=torch.bfloat16)
    out = to_numpy(t, np.float64)
    assert out.dtype == np.float64 and out.tolist() == [0.5, 1.25]
    grad = torch.ones(2, requires_grad=True) * 2
    assert to_numpy(grad).tolist() == [2.0, 2.0]
    assert to_numpy([1, 2]).tolist() == [1, 2]


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / 'sub' / 'a.json'
    atomic_write(path, 'first')
    atomic_write(path, b'second', fsync=True)
    assert path.read_text() == 'second'
    assert os.listdir(path.parent) == ['a.json']


def test_atomic_replace_keeps_old_content_when_the_writer_fails(tmp_path):
    path = tmp_path / 'a.npz'
    atomic_replace(path, lambda tmp: np.savez(tmp, x=np.arange(3)),
                   suffix='.npz')
    assert np.load(path)['x'].tolist() == [0, 1, 2]

    def broken(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'partial')
        raise RuntimeError('disk full')

    with pytest.raises(RuntimeError, match='disk full'):
        atomic_replace(path, broken, suffix='.npz')
    assert np.load(path)['x'].tolist() == [0, 1, 2]
    assert os.listdir(tmp_path) == ['a.npz']


def test_atomic_replace_refuses_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match='is a directory'):
        atomic_write(tmp_path, 'x')

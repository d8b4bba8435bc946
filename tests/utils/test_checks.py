"""``backtal_mmaction.utils.checks``: the range and seed checks, with
hand-written messages."""
import re

import numpy as np
import pytest

from backtal_mmaction.utils import (check_flag, check_flags, check_range,
                                    check_seed)


@pytest.mark.parametrize('value, kwargs', [
    (0, dict(low=0, high=1)),  # closed bounds include both ends
    (1, dict(low=0, high=1)),
    (0.5, dict(low=0, high=1, low_open=True, high_open=True)),
    (-3.5, dict(high=0)),  # unbounded below
    (1e9, dict(low=0, low_open=True)),  # unbounded above
    (7, dict()),  # no bound: any finite number
    (np.float32(0.25), dict(low=0, high=1)),
    (3, dict(low=1, integer=True)),
    (np.int64(3), dict(low=1, integer=True)),
])
def test_check_range_accepts(value, kwargs):
    assert check_range('x', value, **kwargs) is None


@pytest.mark.parametrize('value, kwargs, message', [
    (2.0, dict(low=0, high=1), '`x` must be in [0, 1], got 2.0'),
    (-0.1, dict(low=0, high=1), '`x` must be in [0, 1], got -0.1'),
    (0, dict(low=0, high=1, low_open=True), '`x` must be in (0, 1], got 0'),
    (1, dict(low=0, high=1, high_open=True), '`x` must be in [0, 1), got 1'),
    (0.5, dict(low=-1, high=0.25, low_open=True, high_open=True),
     '`x` must be in (-1, 0.25), got 0.5'),
    (-1, dict(low=0), '`x` must be >= 0, got -1'),
    (0, dict(low=0, low_open=True), '`x` must be > 0, got 0'),
    (2, dict(high=1), '`x` must be <= 1, got 2'),
    (1, dict(high=1, high_open=True), '`x` must be < 1, got 1'),
    (0, dict(low=1, integer=True), '`x` must be >= 1, got 0'),
    # integer mode refuses a whole float: a count is never 2.0
    (2.0, dict(low=1, integer=True), '`x` must be an integer, got 2.0'),
    (2.5, dict(low=1, integer=True), '`x` must be an integer, got 2.5'),
    (True, dict(low=0, high=1), '`x` must be a number, got True'),
    (np.bool_(True), dict(low=0, high=1),
     '`x` must be a number, got np.True_'),
    (True, dict(low=0, integer=True), '`x` must be an integer, got True'),
    ('0.5', dict(low=0, high=1), "`x` must be a number, got '0.5'"),
    (None, dict(low=0), '`x` must be a number, got None'),
    (float('nan'), dict(low=0, high=1), '`x` must be a finite number, got '
     'nan'),
    (float('inf'), dict(low=0), '`x` must be a finite number, got inf'),
    (-np.inf, dict(), '`x` must be a finite number, got -inf'),
])
def test_check_range_refuses(value, kwargs, message):
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        check_range('x', value, **kwargs)


def test_check_range_owner_prefixes_the_message():
    with pytest.raises(ValueError, match=re.escape(
            'PseudoLabelRules: `nms_thr` must be in [0, 1], got 2.0') + '$'):
        check_range('nms_thr', 2.0, 0, 1, owner='PseudoLabelRules')
    with pytest.raises(ValueError, match=re.escape(
            'Rules: `topk` must be an integer, got 1.5') + '$'):
        check_range('topk', 1.5, 1, integer=True, owner='Rules')


@pytest.mark.parametrize('value', [
    None, 0, 1, 2**32 - 1, np.int64(7), np.uint32(2**32 - 1), np.int8(0)
])
def test_check_seed_accepts(value):
    assert check_seed('seed', value) is None


@pytest.mark.parametrize('value, shown', [
    (-1, '-1'),
    (2**32, '4294967296'),
    (np.int64(-1), 'np.int64(-1)'),
    (True, 'True'),
    (np.bool_(False), 'np.False_'),
    (1.0, '1.0'),
    (float('nan'), 'nan'),
    ('1', "'1'"),
])
def test_check_seed_refuses(value, shown):
    message = f'`seed` must be an integer in [0, 2**32 - 1], got {shown}'
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        check_seed('seed', value)


def test_check_seed_names_the_keyword_and_can_refuse_none():
    assert check_seed('seed', 0, optional=False) is None
    with pytest.raises(ValueError, match=re.escape(
            '`split_seed` must be an integer in [0, 2**32 - 1], got None')
            + '$'):
        check_seed('split_seed', None, optional=False)


def test_check_counts_checks_each_keyword_in_order():
    from backtal_mmaction.utils import check_counts
    check_counts('Owner', a=1, b=2)  # integers >= 1 pass
    with pytest.raises(ValueError, match=r'^Owner: `b` must be >= 1, got 0$'):
        check_counts('Owner', a=1, b=0)
    # the first bad keyword is the one named
    with pytest.raises(ValueError,
                       match=r"^Owner: `a` must be an integer, got 'x'$"):
        check_counts('Owner', a='x', b=0)
    with pytest.raises(ValueError, match=r'^Owner: `c` must be an integer, '
                       r'got True$'):
        check_counts('Owner', c=True)


@pytest.mark.parametrize('value', [True, False, np.True_, np.False_])
def test_check_flag_accepts_bools(value):
    assert check_flag('x', value) is None


@pytest.mark.parametrize('value, shown', [
    ('no', "'no'"),  # what ``--cfg-options KEY=no`` gives: truthy
    ('False', "'False'"),
    ('', "''"),
    (1, '1'),
    (0, '0'),
    (None, 'None'),
    (np.int64(1), 'np.int64(1)'),
])
def test_check_flag_refuses_non_bools(value, shown):
    with pytest.raises(ValueError, match=re.escape(
            f'`x` must be True or False, got {shown}') + '$'):
        check_flag('x', value)


def test_check_flags_names_the_first_bad_keyword_and_owner():
    check_flags('Hook', a=True, b=np.False_)
    with pytest.raises(ValueError, match=re.escape(
            "Hook: `b` must be True or False, got 'yes'") + '$'):
        check_flags('Hook', a=False, b='yes', c='no')

"""``find_test_evaluator``: the one rule by which ``test_localizer``
(``--out-json``) and ``postprocess_raw_outputs`` (GT file, tIoU thresholds)
pick the test evaluator of a config."""
from mmengine.config import Config

from backtal_mmaction.cli.runner import find_test_evaluator
from backtal_mmaction.evaluation.metrics import TALMetric

TAL = dict(type='TALMetric', ann_file='gt.json', subset='test')
DUMP = dict(type='DumpResults', out_file_path='x.pkl')


def test_single_evaluator_is_returned_as_the_configs_own_entry():
    cfg = Config(dict(test_evaluator=TAL))
    found = find_test_evaluator(cfg)
    assert dict(found) == TAL
    # The config's own object: what --out-json writes into.
    found['dump_results'] = 'r.json'
    assert cfg.test_evaluator.dump_results == 'r.json'


def test_a_list_yields_its_tal_metric_wherever_it_is():
    cfg = Config(dict(test_evaluator=[DUMP, TAL]))
    assert find_test_evaluator(cfg)['ann_file'] == 'gt.json'
    scoped = dict(TAL, type='mmaction.TALMetric')
    assert find_test_evaluator(Config(dict(
        test_evaluator=[DUMP, scoped])))['type'] == 'mmaction.TALMetric'
    by_class = dict(test_evaluator=[DUMP, dict(TAL, type=TALMetric)])
    assert find_test_evaluator(by_class)['type'] is TALMetric


def test_without_tal_metric_the_first_entry_and_none_when_absent():
    other = dict(type='AccMetric')
    cfg = Config(dict(test_evaluator=[other, DUMP]))
    assert find_test_evaluator(cfg)['type'] == 'AccMetric'
    assert find_test_evaluator(Config(dict())) is None
    assert find_test_evaluator(Config(dict(test_evaluator=[]))) is None
    assert find_test_evaluator(dict(test_evaluator=None)) is None


def test_out_json_is_written_by_the_tal_metric_of_a_list(tmp_path):
    """``build_test_cfg(out_json=...)`` (``tools/test.py --out-json``) sets
    ``dump_results`` on the TALMetric even when another evaluator comes
    first, and leaves the caller's config alone."""
    from backtal_mmaction.apis.test import build_test_cfg
    ckpt = tmp_path / 'model.pth'
    ckpt.write_bytes(b'')  # only its existence is checked here
    cfg = Config(dict(test_evaluator=[DUMP, TAL], work_dir=str(tmp_path)))
    out_json, pkl = str(tmp_path / 'r.json'), str(tmp_path / 'p.pkl')
    test_cfg = build_test_cfg(cfg, str(ckpt), out_json=out_json, dump=pkl)
    evaluators = test_cfg.test_evaluator
    assert [e['type'] for e in evaluators] == [
        'DumpResults', 'TALMetric', 'DumpResults']
    assert evaluators[1]['dump_results'] == out_json
    assert 'dump_results' not in evaluators[0]
    assert evaluators[2]['out_file_path'] == pkl
    assert test_cfg.load_from == str(ckpt) and test_cfg.resume is False
    assert 'dump_results' not in cfg.test_evaluator[1]

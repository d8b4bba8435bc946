"""The click tools' summary line (datasets.clicks.format_click_summary)."""
from backtal_mmaction.datasets.clicks import (click_statistics,
                                              format_click_summary)

GT = {
    'v1': dict(subset='train', duration=30.0, annotations=[
        dict(segment=[10.0, 20.0], label='jump')]),
    'v2': dict(subset='train', duration=30.0, annotations=[]),
}


def test_summary_hand_case():
    clicks = {
        'v1': [dict(time=5.0, type='background', label=None, annotator='A'),
               dict(time=15.0, type='background', label=None,
                    annotator='A'),
               dict(time=12.0, type='action', label='jump', annotator='A')],
        'v2': [dict(time=1.0, type='background', label=None, annotator='A')],
    }
    stats = click_statistics(clicks, GT)
    # 4 clicks on 2 videos (3 and 1: mean 2, median 2); 1 of the 3
    # background clicks (15 s) is inside the jump [10, 20]
    assert format_click_summary('out.json', stats) == (
        'wrote out.json: 4 clicks (3 background, 1 action) on 2 videos; per '
        'video mean 2.00, median 2; background clicks inside GT actions: '
        '33.3%')


def test_summary_without_background_clicks():
    clicks = {'v1': [dict(time=12.0, type='action', label='jump',
                          annotator='A')]}
    line = format_click_summary('c.json', click_statistics(clicks, GT))
    assert line.endswith('background clicks inside GT actions: n/a')
    assert '1 clicks (0 background, 1 action) on 1 videos' in line

"""Every relative link of README.md and docs/*.md names a file of the
repository, and every ``#anchor`` a heading of it (GitHub's slug rule)."""
import re
from pathlib import Path

import pytest

from tests.helpers import REPO

DOCS = [REPO / 'README.md'] + sorted((REPO / 'docs').glob('*.md'))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def github_slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation other than ``-`` and
    ``_`` dropped, spaces to ``-``."""
    text = heading.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(md: Path) -> set:
    out = set()
    fenced = False
    for line in md.read_text(encoding='utf-8').splitlines():
        if line.startswith('```'):
            fenced = not fenced
        elif not fenced and line.startswith('#'):
            out.add(github_slug(line.lstrip('#')))
    return out


def test_slug_rule_hand_cases():
    assert github_slug(' Extraction: `tools/data/extract_features.py`') == \
        'extraction-toolsdataextract_featurespy'
    assert github_slug('Quick start') == 'quick-start'


@pytest.mark.parametrize('md', DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(md):
    text = md.read_text(encoding='utf-8')
    bad = []
    for target in LINK.findall(text):
        if re.match(r'[a-z]+://|mailto:', target):
            continue
        path, _, anchor = target.partition('#')
        dest = (md.parent / path).resolve() if path else md
        if not dest.exists():
            bad.append(f'{target}: no file {dest}')
        elif anchor and dest.suffix == '.md' and anchor not in anchors(dest):
            bad.append(f'{target}: no heading #{anchor} in {dest.name}')
    assert not bad, f'{md.name}: ' + '; '.join(bad)

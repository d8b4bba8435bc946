"""Provenance: the project's own license, and no file claiming to be
another project's (this plugin is not OpenMMLab's code)."""
import re
from pathlib import Path

from tests.helpers import REPO

OURS = ('backtal_mmaction', 'configs', 'tools', 'tests')


def test_license_is_apache_2_and_matches_setup():
    text = (REPO / 'LICENSE').read_text()
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text
    setup = (REPO / 'setup.py').read_text()
    assert re.search(r"license='Apache-2.0'", setup)


def test_no_file_claims_an_openmmlab_copyright():
    claims = [
        str(p.relative_to(REPO)) for top in OURS
        for p in (REPO / top).rglob('*')
        if p.suffix in ('.py', '.sh', '.md') and p.is_file()
        and 'Copyright (c) OpenMMLab' in p.read_text(errors='replace')
        and p.name != Path(__file__).name
    ]
    assert claims == []

import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(path):
    with open(osp.join(osp.dirname(__file__), path)) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


def get_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'backtal_mmaction',
                       'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension():
    """Expose configs/ and tools/ as ``backtal_mmaction/.mim/`` so OpenMIM
    (``mim search``, ``mim download``) and installed wheels find them:
    symlinks for editable installs, copies when building a distribution."""
    mode = 'symlink' if 'develop' in sys.argv or any(
        a.startswith('editable') for a in sys.argv) else 'copy'
    mim_dir = osp.join(HERE, 'backtal_mmaction', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in ('configs', 'tools'):
        src, dst = osp.join(HERE, name), osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        else:
            shutil.copytree(src, dst)


if __name__ == '__main__':
    add_mim_extension()

setup(
    name='backtal_mmaction',
    version=get_version(),
    description='Background-click supervised temporal action localization '
    '(BackTAL) as an MMAction2 plugin',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read()
    if osp.exists(osp.join(osp.dirname(__file__), 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['backtal_mmaction', 'backtal_mmaction.*']),
    include_package_data=True,
    package_data={'backtal_mmaction': ['.mim/configs/**/*.py',
                                       '.mim/tools/**/*']},
    python_requires='>=3.8',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
    zip_safe=False,
)

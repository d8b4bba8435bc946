import os.path as osp

from setuptools import find_packages, setup


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
    python_requires='>=3.8',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
    zip_safe=False,
)

# (6) + affinity module = full BackTAL.
_base_ = '../../backtal/backtal_synthetic.py'

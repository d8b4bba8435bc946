# (6) + affinity module = full BackTAL.
_base_ = '../../backtal/backtal_thumos14.py'

# (6) + affinity module = full BackTAL.
_base_ = '../../backtal/backtal_activitynet12.py'

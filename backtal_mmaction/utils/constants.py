"""Label conventions shared by datasets, transforms and losses."""

#: Per-snippet click label of a snippet without a click. Matches
#: ``torch.nn.functional.cross_entropy``'s default ``ignore_index`` so the
#: click losses can hand the labels to it unchanged.
IGNORE_INDEX = -100

#: Click types a click file may hold, in the order the official BackTAL
#: CSV tags them (``type`` field of a click).
CLICK_TYPES = ('background', 'action')

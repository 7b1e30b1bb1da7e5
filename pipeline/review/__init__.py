"""Review of flagged corrections: a browser queue whose decisions persist and teach later runs.

- ``decisions``: the queue and applying decisions (pure functions).
- ``store``: the decisions database ``OUT/review.sqlite3``.
- ``learn``: approved corrections -> ``user_words.txt``, rejected ones -> ``protected.txt``.
- ``crops``: the word's line cut from the page image.
- ``session``: a set of output folders under review; ``apply_folder``.
- ``webapp``: the Starlette web app (needs the ``review`` extra).
"""

from __future__ import annotations

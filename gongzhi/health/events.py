"""Signals other parts of the health services send, so the status rules can look again.

`health_inputs_changed` is sent (after commit) with `person_ids`: the persons whose
declarations, tests, watch-list outcomes or check-ins changed. The status module listens.
"""

from django.dispatch import Signal

health_inputs_changed = Signal()  # kwargs: person_ids (a list of ints)

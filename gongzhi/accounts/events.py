"""Signals for the layers above accounts (accounts may not import them).

`account_link_issued(user, title, text)`: a password link for `user` must go out by SMS,
in the sender's transaction; the notifications app records it in its outbox. `send`
returns the receivers' answers, so the sender can tell that someone took it.
"""

from django.dispatch import Signal

account_link_issued = Signal()

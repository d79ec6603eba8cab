"""What the notifications app does for the layers below it (they cannot import it)."""

from __future__ import annotations

from typing import Any

from gongzhi.notifications.services import sms_send, sms_text


def send_account_link(sender: Any, *, user: Any, title: str, text: str, **kwargs: Any) -> int:
    """`accounts.events.account_link_issued`: text the link to the account's own number,
    in the sender's transaction. Sensitive: only the local gateway's outbox shows it."""
    message = sms_send(
        phone=user.phone.reveal(),
        text=sms_text(title, text),
        kind="account.link",
        recipient=user,
        sensitive=True,
    )
    return message.pk

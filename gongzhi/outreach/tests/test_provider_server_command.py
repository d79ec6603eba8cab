"""`gongzhi outreach_provider` runs the local provider until stopped and says what it got."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest
from django.core.management import CommandError, call_command

from gongzhi.outreach.gateways import Message
from gongzhi.outreach.http_gateway import HttpOutreachGateway


def test_the_command_serves_the_protocol_and_reports_its_counts():
    out = io.StringIO()
    runner = threading.Thread(
        target=call_command,
        args=["outreach_provider", "--port", "0", "--run-for", "1.5", "--key", "dev"],
        kwargs={"stdout": out},
    )
    runner.start()
    deadline = time.monotonic() + 5
    while "Outreach provider at" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    url = re.search(r"at (http://\S+)", out.getvalue()).group(1)
    results = HttpOutreachGateway(url=url, key="dev").send_sms_batch(
        [Message("m-1", "13812345678", "hi")]
    )
    runner.join(timeout=5)
    assert results[0].ok
    assert "No callbacks." in out.getvalue() and "sms_accepted 1" in out.getvalue()
    assert "13812345678" not in out.getvalue()


def test_callbacks_without_a_secret_are_refused(settings):
    settings.GONGZHI_OUTREACH_CALLBACK_SECRET = ""
    with pytest.raises(CommandError, match="signed"):
        call_command("outreach_provider", "--callback-url", "http://127.0.0.1:1/cb/")


def test_a_share_outside_zero_to_one_is_refused():
    with pytest.raises(CommandError, match="--error-rate"):
        call_command("outreach_provider", "--error-rate", "1.5")

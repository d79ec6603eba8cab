"""The app's URLs plus the baseline of `benchmarks/checkin_load.py`: a bare Django view that
does one INSERT (a check-in row for a fixed venue) and answers "ok". It runs behind the
same middleware as every page; nothing else."""

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from gongzhi.health.models import CheckIn
from gongzhi.urls import urlpatterns as app_urlpatterns

VENUE_ID = int(os.environ.get("BENCH_VENUE_ID", "0"))


def bare_insert(request: HttpRequest) -> HttpResponse:
    CheckIn(venue_id=VENUE_ID, area_path="bench", at=timezone.now()).save(force_insert=True)
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare-insert/", bare_insert), *app_urlpatterns]

"""Settings of `benchmarks/checkin_load.py`'s server: the app's own, with a URLconf that adds
the bare baseline view (never part of the app)."""

from gongzhi import settings as _app

globals().update({name: getattr(_app, name) for name in dir(_app) if name.isupper()})
ROOT_URLCONF = "checkin_bench_urls"

"""Open311 GeoReport v2 at /open311/v2/ (filled in with the work-order cycle)."""

app_name = "open311"
urlpatterns: list = []

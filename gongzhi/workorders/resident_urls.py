"""Residents' work-order pages, mounted at /m/orders/ (built with the work-order cycle)."""

app_name = "workorders_resident"
urlpatterns: list = []

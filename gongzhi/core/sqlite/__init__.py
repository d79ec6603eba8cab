"""Django's SQLite backend, keeping the database private to the service's user."""

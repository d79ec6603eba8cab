"""A plain index for exact resident-ID lookups.

The unique constraint on `id_number_index` is partial (`WHERE NOT id_number_index = ''`);
SQLite uses a partial index only when the query repeats its condition, so
`WHERE id_number_index = ?` scanned the table (or the whole scope of the viewer). This
index serves every exact lookup: the person search and the duplicate check on create.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_person_blind_index_fields")]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["id_number_index"], name="registry_person_id_lookup"),
        ),
    ]

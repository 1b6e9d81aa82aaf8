"""Indexes on viewflow's task table (another app's model, hence SQL): a user's open tasks, read
a page at a time (services.task_page_open), and the due timers the dispatcher sweeps. The same
statements work on SQLite and PostgreSQL."""

from django.db import migrations

INDEXES = {
    "workflows_task_owner_status_id": "viewflow_task (owner_id, status, id)",
    "workflows_task_permission_status_id": "viewflow_task (owner_permission, status, id)",
    "workflows_task_type_status_scheduled": "viewflow_task (flow_task_type, status, scheduled)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_idempotent_request"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {columns}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _install_sqlite_functions(sender, connection, **kwargs) -> None:
    """Register the SQLite function the audit triggers consult (see migration 0002)."""
    if connection.vendor != "sqlite":
        return
    connection.medspa_audit_purge = False
    connection.connection.create_function(
        "medspa_audit_purge", 0, lambda: 1 if getattr(connection, "medspa_audit_purge", False) else 0
    )


class CoreConfig(AppConfig):
    name = "medspa.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        connection_created.connect(_install_sqlite_functions, dispatch_uid="medspa.core.sqlite_functions")
        from medspa.core import mail, tasks  # noqa: F401  (registers outbox handlers and jobs)

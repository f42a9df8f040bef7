from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "medspa.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from medspa.accounts import signals, tasks  # noqa: F401

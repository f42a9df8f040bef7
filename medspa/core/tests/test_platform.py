"""Health, security headers, production refusal, demo data, checks."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from medspa.accounts.models import Membership, User
from medspa.core.models import Clinic

pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "jobs": "ok"}


def test_healthz_names_what_is_down(client, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def broken():
        raise ConnectionError("queue down")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["jobs"] == "down" and response.json()["database"] == "ok"


def test_security_headers_on_pages(clinic, owner, login):
    response = login(owner).get("/settings/", secure=True)
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'nonce-" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_login_page_has_csp(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200 and "Content-Security-Policy" in response


def run_medspa(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "MEDSPA_FILE_KEY", "DEBUG")}
    env.update(env_overrides)
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run([sys.executable, "-m", "medspa", *args], env=env, capture_output=True, text=True, timeout=120)


def test_production_refuses_default_secrets(tmp_path):
    result = run_medspa("check", env_overrides={"DEBUG": "false", "MEDSPA_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr and "MEDSPA_FILE_KEY" in result.stderr


def test_production_deploy_check_is_clean(tmp_path):
    env = {
        "DEBUG": "false",
        "MEDSPA_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 30 + "-production-secret-key-for-check-0123456789",
        "MEDSPA_FILE_KEY": "cHJvZHVjdGlvbi1maWxlLWtleS0wMTIzNDU2Nzg5YWI=",
        "ALLOWED_HOSTS": "clinic.example.com",
    }
    result = run_medspa("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_data(settings):
    settings.DEBUG = True
    call_command("demo")
    assert set(Clinic.objects.values_list("slug", flat=True)) == {"glow", "radiance"}
    for slug in ("glow", "radiance"):
        for prefix in ("owner", "provider", "frontdesk", "billing", "md", "readonly"):
            user = User.objects.get(email=f"{prefix}@{slug}.demo")
            assert user.check_password(settings.DEMO_PASSWORD)
            assert Membership.objects.filter(user=user, clinic__slug=slug, is_active=True).exists()
    assert not Clinic.objects.filter(require_mfa=True).exists()
    call_command("demo", "--if-empty")  # idempotent
    assert Clinic.objects.count() == 2


def test_demo_refuses_in_production(settings):
    settings.DEBUG = False
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo")
    assert not Clinic.objects.exists()


def test_demo_users_can_sign_in(settings):
    settings.DEBUG = True
    call_command("demo")
    client = Client()
    response = client.post("/accounts/login/", {"login": "frontdesk@glow.demo", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302

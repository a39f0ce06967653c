"""Settings modes: the embedded default, and production that refuses to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7#Qp2!vLm9@Zr4$Tn8^Wk3&Yh6*Bc1(Df5)Gj0-Hs2=Ka7+Lm9?Np4Qr8Sv1Tw5Uy",
    "ALLOWED_HOSTS": "portal.example.cn",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "KEY_ENCRYPTION_SECRET": "another-long-secret-for-private-keys-0123456789",
    "AUDIT_HMAC_KEY": "a-third-secret-for-the-audit-log-hmac-0123456789",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deployment_check_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_and_names_what_is_missing():
    env = {"DJANGO_ENV": "production", "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"]}
    result = _manage("check", env=env)
    assert result.returncode != 0
    for name in (
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "KEY_ENCRYPTION_SECRET",
        "AUDIT_HMAC_KEY",
    ):
        assert name in result.stderr
    assert "SECRET_KEY," not in result.stderr


def test_the_embedded_default_is_sqlite_with_eager_tasks():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG,"
        " s.LANGUAGE_CODE)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION_ENV, "DEBUG"}}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert out.stdout.split() == ["django.db.backends.sqlite3", "True", "True", "zh-hans"]


def test_production_refuses_a_trivially_short_secret():
    result = _manage("check", env={**PRODUCTION_ENV, "KEY_ENCRYPTION_SECRET": "short-secret"})
    assert result.returncode != 0
    assert "KEY_ENCRYPTION_SECRET" in result.stderr and "32" in result.stderr
    assert "SECRET_KEY," not in result.stderr and "AUDIT_HMAC_KEY" not in result.stderr


def test_the_embedded_mode_trusts_no_proxy_and_derives_the_audit_key():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'],"
        " len(s.AUDIT_HMAC_KEY), s.AUDIT_HMAC_KEY != s.SECRET_KEY)"
    )
    clean = {
        k: v for k, v in os.environ.items() if k not in {*PRODUCTION_ENV, "TRUSTED_PROXY_COUNT"}
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert out.stdout.split() == ["0", "0", "64", "True"]

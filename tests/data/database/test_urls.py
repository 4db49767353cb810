"""Database URLs: recognised, opened with psycopg 3, and kept without their password."""

import pytest

from dec.utils import urls


@pytest.fixture(autouse=True)
def _forget(monkeypatch):
    monkeypatch.setattr(urls, "_REAL", {})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sqlite:///shop.db", True),
        ("postgresql://u@h/db", True),
        ("postgresql+psycopg://u@h/db", True),
        ("data/customers.csv", False),
        ("C:/data/customers.csv", False),
        ("synthetic", False),
        ("shop[1]://x.csv", False),
    ],
)
def test_what_is_a_database_url(text, expected):
    assert urls.is_database_url(text) is expected


def test_a_password_is_masked_in_the_url_and_its_query_and_used_in_this_process_only():
    given = "postgresql://ana:s3cret@db.example:5432/shop?password=other&sslmode=require"
    kept = urls.masked(given)
    assert "s3cret" not in kept and "other" not in kept
    assert kept.startswith("postgresql://ana:***@db.example:5432/shop?")
    # this process connects with the real password, through psycopg 3
    real = urls.real_url(kept)
    assert real.drivername == "postgresql+psycopg" and real.password == "s3cret"
    # another process (test.py) has only the masked URL: no password, libpq finds one
    urls._REAL.clear()
    later = urls.real_url(kept)
    assert later.password is None and "password" not in later.query
    assert urls.is_kept_without_password(kept)
    # masking a masked URL again changes nothing and forgets nothing
    assert urls.masked(kept) == kept


def test_a_relative_sqlite_path_is_kept_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert urls.masked("sqlite:///shop.db") == f"sqlite:///{tmp_path / 'shop.db'}"
    assert not urls.is_kept_without_password("sqlite:///shop.db")

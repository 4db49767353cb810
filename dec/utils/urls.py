"""Database URLs: which text is one, and the form a run keeps.

A password given in a URL is used by this process and never written down: the config holds
the URL with ``***`` in its place (:func:`masked`), and this module remembers the real URL
for the rest of the command. A later command (``test.py``) opens the masked URL without a
password, so PostgreSQL's own ``PGPASSWORD`` or ``~/.pgpass`` supplies it there.
"""

from __future__ import annotations

import re
from pathlib import Path

from dec.errors import ConfigError

#: What stands for the password in every URL a run keeps or prints.
HIDDEN = "***"
#: ``scheme://`` or ``scheme+driver://``: SQLAlchemy's URLs, never a file path.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\+[A-Za-z0-9_]+)?://")
#: Real URLs by their masked form, for this process only.
_REAL: dict[str, str] = {}


def is_database_url(source) -> bool:
    """Whether ``source`` (a data source or an output) is a database URL such as
    ``sqlite:///shop.db`` or ``postgresql://user@host/db``, not a path or a built-in name."""
    return isinstance(source, str) and bool(_URL.match(source))


def sqlalchemy_module():
    try:
        import sqlalchemy
    except ImportError:
        raise ConfigError(
            "reading or writing a database needs SQLAlchemy and psycopg: pip install 'dec[sql]'"
        ) from None
    return sqlalchemy


def parse(source: str, *, driver: bool = True):
    """``source`` as a SQLAlchemy URL, with a relative SQLite path made absolute (a later
    command may run from another folder) and, with ``driver``, psycopg 3 as PostgreSQL's
    driver (a plain ``postgresql://`` or ``postgres://`` URL would ask for psycopg2)."""
    sqlalchemy = sqlalchemy_module()
    try:
        url = sqlalchemy.engine.make_url(source)
    except Exception:
        raise ConfigError(
            f"cannot read the database URL {masked_text(source)!r}; write it as "
            "sqlite:///shop.db or postgresql://user@host:5432/database, with special "
            "characters of the password percent-encoded (@ as %40, space as %20)"
        ) from None
    if driver and url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(url.database).expanduser().resolve()))
    return url


def masked(source: str) -> str:
    """``source`` with its password (in the URL or its ``password=`` query) as ``***``,
    as a run keeps it; the real URL is remembered for this process."""
    url = parse(source, driver=False)
    hidden = url.update_query_dict({"password": HIDDEN}) if "password" in url.query else url
    text = hidden.render_as_string(hide_password=True)
    secrets = (url.password, url.query.get("password"))
    if any(secret not in (None, HIDDEN) for secret in secrets):  # not a masked URL again
        _REAL[text] = url.render_as_string(hide_password=False)
    return text


#: A URL's ``user:password@`` inside any text, and a ``password=`` in its query.
_SECRET = re.compile(r"([A-Za-z][A-Za-z0-9+]*:/{1,3}[^:/@\s]*:)[^@\s]*@")
_QUERY_SECRET = re.compile(r"([?&]password=)[^&\s]*", re.I)


#: Passwords of the URLs this command was given (:func:`remember_secrets`), hidden in every
#: line it prints even where a URL does not parse (an unencoded ``@`` or space in it).
_SECRETS: set[str] = set()


def remember_secrets(arguments) -> None:
    """Note the password of every database URL among ``arguments`` (``sys.argv``): what
    lies between ``scheme://user:`` and the URL's last ``@``, and any ``password=``."""
    from urllib.parse import unquote

    for argument in map(str, arguments):
        text = argument.split("=", 1)[-1] if argument.startswith("--") else argument
        if not is_database_url(text):
            continue
        rest = text.split("://", 1)[1]
        if "@" in rest:
            user = rest[: rest.rfind("@")]
            if ":" in user:
                _remember(user.split(":", 1)[1], unquote)
        for found in re.finditer(r"[?&]password=([^&]*)", text, re.I):
            _remember(found.group(1), unquote)


def _remember(secret: str, unquote) -> None:
    for form in (secret, unquote(secret)):
        if len(form) >= 4 and form != HIDDEN:  # shorter ones would hide ordinary words
            _SECRETS.add(form)


def masked_text(text: str) -> str:
    """``text`` with the password of every URL in it as ``***``: what the commands print
    (an error may quote a flag's value, which argparse echoes whole)."""
    text = str(text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return _QUERY_SECRET.sub(rf"\1{HIDDEN}", _SECRET.sub(rf"\1{HIDDEN}@", text))


def real_url(source: str):
    """The URL to connect with: the one this process was given for a masked ``source``,
    else ``source`` without a masked password (the driver then looks in ``PGPASSWORD`` and
    ``~/.pgpass``)."""
    text = _REAL.get(source, source)
    url = parse(text)
    if url.password == HIDDEN:
        url = url._replace(password=None)  # URL.set(password=None) keeps the password
    if url.query.get("password") == HIDDEN:
        url = url.difference_update_query(["password"])
    return url


def is_kept_without_password(source: str) -> bool:
    """Whether ``source`` is a masked URL whose password this process was not given (a
    later command reading a run's data)."""
    return source not in _REAL and real_url(source) != parse(source)

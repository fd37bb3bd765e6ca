"""E-mails of the registry (the digest): written as .eml files to an outbox folder, or sent through SMTP when
PRESERIE_SMTP_URL says where (`smtp://[user:password@]host[:port]`, `smtp+starttls://…`, `smtps://…`)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

SMTP_ENV, FROM_ENV = "PRESERIE_SMTP_URL", "PRESERIE_MAIL_FROM"
DEFAULT_FROM = "preserie <preserie@localhost>"
_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(Exception):
    """An e-mail could not be sent or written (the message is French, for a person; never the password)."""


def message(*, sender: str, to: Sequence[str], subject: str, body: str, headers: dict[str, str],
            at: dt.datetime | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    if to:
        mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail["Date"] = email.utils.format_datetime(at) if at else email.utils.formatdate(localtime=False)
    mail["Message-ID"] = email.utils.make_msgid(domain="preserie.local")
    for name, value in headers.items():
        mail[name] = value
    mail.set_content(body, charset="utf-8")
    return mail


def write_eml(outbox: Path, name: str, mail: EmailMessage) -> Path:
    """The e-mail as ``outbox/<name>.eml`` (a new name when one exists: nothing is replaced)."""
    outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path, n = outbox / f"{stem}.eml", 1
    while path.exists():
        n += 1
        path = outbox / f"{stem}-{n}.eml"
    try:
        path.write_bytes(mail.as_bytes())
    except OSError as error:
        raise MailError(f"{path} : écriture impossible ({error.strerror})") from error
    return path


def smtp_send(url: str, mails: Sequence[EmailMessage], *, timeout: float = 30) -> None:
    """Every mail through the server of ``url``, on one connection."""
    parts = urlsplit(url)
    if parts.scheme not in _PORTS or not parts.hostname:
        raise MailError(f"{SMTP_ENV} : smtp://hôte[:port], smtp+starttls://… ou smtps://… attendu")
    port = parts.port or _PORTS[parts.scheme]
    where = f"serveur SMTP {parts.hostname}:{port}"
    try:
        if parts.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout,
                                                     context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(parts.hostname, port, timeout=timeout)
        with server:
            if parts.scheme == "smtp+starttls":
                server.starttls(context=ssl.create_default_context())
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            for mail in mails:
                server.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{where} : envoi impossible ({type(error).__name__})") from error

"""The outbox: durable .eml files, delivered oldest first, removed only once a real server accepted them."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from feedaudit.errors import NotifyError
from feedaudit.notify.email import SmtpTransport
from feedaudit.notify.outbox import Outbox
from feedaudit.notify.settings import EmailSettings
from tests.nightly.conftest import ServerFactory, free_port


def note(subject: str, to: str = "owner@shop.example") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "audit@shop.example"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject}@shop.example>"
    message.set_content(f"body of {subject}: ціна 0 грн\n")
    message.add_attachment("a,b\r\n1,=2\r\n", subtype="csv", filename="x.csv")
    return message


def transport(port: int) -> SmtpTransport:
    return SmtpTransport(EmailSettings.model_validate({"host": "127.0.0.1", "port": port, "security": "none"}))


def test_put_writes_a_complete_message_and_nothing_else(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    path = outbox.put(note("first"))
    assert path.parent == outbox.directory
    assert [p.name for p in outbox.directory.iterdir()] == [path.name]  # no temporary file left
    again = Outbox.read(path)
    assert again["Message-ID"] == "<first@shop.example>"
    body = again.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "body of first: ціна 0 грн\n"
    assert [a.get_filename() for a in again.iter_attachments()] == ["x.csv"]


def test_pending_is_oldest_first(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    paths = [outbox.put(note(f"m{i}")) for i in range(3)]
    assert outbox.pending() == paths
    (tmp_path / ".half-written.part").write_text("partial")
    assert outbox.pending() == paths


def test_an_outbox_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(NotifyError, match="cannot write to the outbox"):
        Outbox(blocker).put(note("x"))


def test_delivery_sends_in_order_and_empties_the_outbox(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    outbox = Outbox(tmp_path)
    for i in range(3):
        outbox.put(note(f"m{i}"))
    result = outbox.deliver(transport(server.port))
    assert result.ok
    assert len(result.sent) == 3
    assert outbox.pending() == []
    assert [r.message["Message-ID"] for r in server.received] == [f"<m{i}@shop.example>" for i in range(3)]
    csv_part = next(iter(server.received[0].message.iter_attachments()))
    assert isinstance(csv_part, EmailMessage)
    assert csv_part.get_content() == "a,b\n1,=2\n"


def test_a_failed_delivery_keeps_every_message(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    kept = [outbox.put(note("m0")), outbox.put(note("m1"))]
    result = outbox.deliver(transport(free_port()))
    assert not result.ok
    assert result.sent == []
    assert result.remaining == kept
    assert outbox.pending() == kept
    assert result.problem(tmp_path) == (
        f"e-mail not sent: {result.failed[0][1]}; 2 messages kept in {tmp_path} (the next run sends them)"
    )
    assert "connection refused" in result.failed[0][1]


def test_a_refused_message_stays_and_the_others_go(tmp_path: Path, mail_servers: ServerFactory) -> None:
    server = mail_servers.start("plain")
    server.recorder.refuse.add("nobody@shop.example")
    outbox = Outbox(tmp_path)
    first = outbox.put(note("m0"))
    refused = outbox.put(note("m1", to="nobody@shop.example"))
    last = outbox.put(note("m2"))
    result = outbox.deliver(transport(server.port))
    assert result.sent == [first, last]
    assert result.remaining == [refused]
    assert "every recipient was refused: nobody@shop.example (550 5.1.1 no such mailbox)" in result.failed[0][1]
    assert outbox.pending() == [refused]
    assert [r.message["Subject"] for r in server.received] == ["m0", "m2"]

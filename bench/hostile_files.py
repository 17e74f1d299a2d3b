"""Hostile-input benchmark: peak memory and time of `feedaudit check` on each hostile file, default settings.

Every file is generated here, at bench time, into `bench/out/hostile/` (nothing large is committed):
feeds with surrogate references, a control character beside an undeclared entity, a 29-digit warranty,
a long DOCTYPE (under and over the preamble cap), a 7 MB gzip holding one offer with 120 M `<param>`
children, a 3 MB gzip of 32 M tiny offers, a field of 1 GB, a tag with millions of attributes, a list of
categories with 20 M entries; and inventories: an XLSX whose worksheet or shared strings is a zip bomb,
a workbook with broken XML, JSON nested 10,000 deep, a CSV cut off inside a quote, an SQLite query that
would write a file. Each runs in a fresh process (`python -m feedaudit check … --output-format jsonl`,
findings to /dev/null), measured against a bare run on a one-offer feed in the same session: wall time,
CPU seconds, peak RSS (the process's own `ru_maxrss`, from wait4), the exit code and the first FD finding
or error line. The figures go to the "Hostile inputs" section of `bench/RESULTS.md`; other sections are kept.

    python bench/hostile_files.py                 # every case, written to RESULTS.md
    python bench/hostile_files.py --only params-bomb,offers-bomb --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "hostile"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Hostile inputs"
FEED = ROOT / "fixtures" / "inventory" / "feed.xml"  # the feed the inventory cases are checked with
MIB = 1024 * 1024
TARGET_RSS_MIB = 256
TARGET_SECONDS = 60
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ROOT_START = b"<yml_catalog><shop><name>Shop</name><offers>\n"
HEAD = DECLARATION + ROOT_START
TAIL = b"\n</offers></shop></yml_catalog>\n"
GOOD_OFFER = b'<offer id="ok"><name>Good</name><price>10</price><currencyId>UAH</currencyId></offer>'


def _gzip(path: Path, head: bytes, unit: bytes, count: int, tail: bytes) -> None:
    """`head`, `unit` × `count`, `tail`, gzipped as it is written (never held whole)."""
    block = unit * max(1, (1 << 20) // len(unit))
    per_block = len(block) // len(unit)
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(head)
        left = count
        while left >= per_block:
            out.write(block)
            left -= per_block
        out.write(unit * left)
        out.write(tail)


def surrogates(path: Path) -> None:
    offer = (
        '<offer id="{i}&#xD83D;"><name>Чай &#55357;&#56832; {i}</name><price>10</price>'
        '<param name="Колір&#56832;">x&#xDBFF;</param><description>&#x1F; &nbsp; опис</description></offer>\n'
    )
    path.write_bytes(HEAD + "".join(offer.format(i=i) for i in range(20_000)).encode() + GOOD_OFFER + TAIL)


def huge_numbers(path: Path) -> None:
    offer = (
        '<offer id="{i}"><name>n</name><price>{big}</price><param name="Гарантія">{big} місяців</param>'
        "<warranty-days>P{big}Y</warranty-days><sales_notes>доставка {big}-{big} днів</sales_notes></offer>\n"
    )
    big = "9" * 29
    path.write_bytes(HEAD + "".join(offer.format(i=i, big=big) for i in range(20_000)).encode() + GOOD_OFFER + TAIL)


def long_doctype(path: Path) -> None:
    padding = b"<!-- a comment the exporter repeats before the root element -->\n" * 16_000  # 1 MB
    path.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE yml_catalog [\n' + padding + b"]>\n" + ROOT_START + GOOD_OFFER + TAIL
    )


def preamble_over_cap(path: Path) -> None:
    _gzip(path, b'<?xml version="1.0"?>\n', b"<!-- padding -->\n", 2_000_000, ROOT_START + GOOD_OFFER + TAIL)


def params_bomb(path: Path) -> None:
    _gzip(
        path, HEAD + GOOD_OFFER + b'\n<offer id="bomb"><price>1</price>', b"<param/>", 120_000_000, b"</offer>" + TAIL
    )


def offers_bomb(path: Path) -> None:
    _gzip(path, HEAD, b"<offer/>", 32_000_000, TAIL)


def field_bomb(path: Path) -> None:
    _gzip(
        path,
        HEAD + GOOD_OFFER + b'\n<offer id="bomb"><description>',
        b"x" * 64,
        16_000_000,
        b"</description></offer>" + TAIL,
    )


def attributes_bomb(path: Path) -> None:
    _gzip(path, HEAD + GOOD_OFFER + b'\n<offer id="bomb"><x ', b'a="" ', 10_000_000, b"/></offer>" + TAIL)


def categories_bomb(path: Path) -> None:
    _gzip(
        path,
        b"<yml_catalog><shop><name>S</name><categories>",
        b"<category/>",
        20_000_000,
        b"</categories><offers>" + GOOD_OFFER + b"</offers></shop></yml_catalog>",
    )


def _workbook(path: Path, part: str, writer: Callable[[zipfile.ZipFile], None]) -> None:
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row><c t="inlineStr"><is><t>sku</t></is></c><c t="inlineStr"><is><t>price</t></is></c></row>'
        b'<row><c t="inlineStr"><is><t>KT-1001</t></is></c><c><v>1499</v></c></row></sheetData></worksheet>'
    )
    parts = {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="stock" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b"<Relationships "
        b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            if name != part:
                archive.writestr(name, body)
        writer(archive)


def _stream_part(name: str, head: bytes, unit: bytes, count: int, tail: bytes) -> Callable[[zipfile.ZipFile], None]:
    def write(archive: zipfile.ZipFile) -> None:
        block = unit * max(1, (1 << 20) // len(unit))
        per_block = len(block) // len(unit)
        with archive.open(zipfile.ZipInfo(name), "w", force_zip64=True) as out:
            out.write(head)
            left = count
            while left >= per_block:
                out.write(block)
                left -= per_block
            out.write(unit * left + tail)

    return write


def xlsx_sheet_bomb(path: Path) -> None:
    sheet_head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    row = b'<row><c t="inlineStr"><is><t>KT-1001</t></is></c><c><v>1499</v></c></row>'
    _workbook(
        path,
        "xl/worksheets/sheet1.xml",
        _stream_part("xl/worksheets/sheet1.xml", sheet_head, row, 45_000_000, b"</sheetData></worksheet>"),
    )


def xlsx_strings_bomb(path: Path) -> None:
    _workbook(path, "", _stream_part("xl/sharedStrings.xml", b"<sst>", b"<si><t>x</t></si>", 200_000_000, b"</sst>"))


def xlsx_broken_xml(path: Path) -> None:
    _workbook(
        path,
        "xl/worksheets/sheet1.xml",
        lambda archive: archive.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c"),
    )


def deep_json(path: Path) -> None:
    path.write_text('[{"sku": "KT-1001", "price": 1499, "x": ' + "[" * 10_000 + "]" * 10_000 + "}]", encoding="utf-8")


def cut_csv(path: Path) -> None:
    rows = "".join(f"KT-{i};{i};1\n" for i in range(100_000))
    path.write_text("sku;price;qty\n" + rows + 'KT-last;"1499', encoding="utf-8")


def writing_query(path: Path) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE stock (sku TEXT, price INTEGER)")
        connection.execute("INSERT INTO stock VALUES ('KT-1001', 1499)")
    connection.close()


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    file: str
    make: Callable[[Path], None]
    args: Callable[[Path], list[str]]


def _feed(path: Path) -> list[str]:
    return [str(path)]


def _inventory(path: Path) -> list[str]:
    return [str(FEED), "--inventory", str(path)]


CASES = [
    Case("surrogates", "20k offers with surrogate references and `&#x1F; &nbsp;`", "surrogates.xml", surrogates, _feed),
    Case(
        "huge-numbers",
        "20k offers with 29-digit price, warranty, duration, delivery",
        "numbers.xml",
        huge_numbers,
        _feed,
    ),
    Case("long-doctype", "1 MB DOCTYPE before the root", "doctype.xml", long_doctype, _feed),
    Case("preamble-over-cap", "34 MB of comments before the root (gzip)", "preamble.xml.gz", preamble_over_cap, _feed),
    Case("params-bomb", "one offer with 120 M `<param/>` (gzip)", "params.xml.gz", params_bomb, _feed),
    Case("offers-bomb", "32 M tiny offers (gzip)", "offers.xml.gz", offers_bomb, _feed),
    Case("field-bomb", "a 1 GB description (gzip)", "field.xml.gz", field_bomb, _feed),
    Case("attributes-bomb", "a tag with 10 M attributes (gzip)", "attributes.xml.gz", attributes_bomb, _feed),
    Case("categories-bomb", "20 M categories before the offers (gzip)", "categories.xml.gz", categories_bomb, _feed),
    Case("xlsx-sheet-bomb", "worksheet part unpacking to 3.4 GB", "sheet-bomb.xlsx", xlsx_sheet_bomb, _inventory),
    Case(
        "xlsx-strings-bomb",
        "shared strings part unpacking to 3.4 GB",
        "strings-bomb.xlsx",
        xlsx_strings_bomb,
        _inventory,
    ),
    Case("xlsx-broken-xml", "worksheet XML cut off", "broken.xlsx", xlsx_broken_xml, _inventory),
    Case("deep-json", "JSON inventory nested 10,000 deep", "deep.json", deep_json, _inventory),
    Case("cut-csv", "100k-row CSV ending inside a quote", "cut.csv", cut_csv, _inventory),
    Case(
        "writing-query",
        'SQLite `--inventory-query "VACUUM INTO …"`',
        "stock.db",
        writing_query,
        lambda path: [*_inventory(path), "--inventory-query", f"VACUUM INTO '{path.parent / 'copy.db'}'"],
    ),
]


@dataclass
class Measured:
    seconds: float
    cpu: float
    rss_mib: float
    code: int
    said: str


def measure(argv: list[str]) -> Measured:
    with tempfile.TemporaryFile() as err, open(os.devnull, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace").strip()
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, stderr)


def first_fd(argv: list[str]) -> str:
    """The first FD finding (code, line, message) of a run, or its error line."""
    result = subprocess.run(
        [*argv[:4], "--select", "FD", "--output-format", "jsonl", *argv[6:]], capture_output=True, cwd=ROOT, check=False
    )
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        finding = json.loads(line)
        if finding["code"] != "FD005":
            return f"{finding['code']} line {finding['line']}: {finding['message']}"[:200]
    return result.stderr.decode("utf-8", "replace").strip().splitlines()[-1][:200] if result.stderr else "no FD finding"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not touch RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    chosen = [c for c in CASES if args.only is None or c.name in args.only.split(",")]
    python = sys.executable
    check = [python, "-m", "feedaudit", "check", "--output-format", "jsonl"]
    bare_feed = OUT / "bare.xml"
    bare_feed.write_bytes(HEAD + GOOD_OFFER + TAIL)
    bare = measure([*check, str(bare_feed)])
    rows = []
    for case in chosen:
        path = OUT / case.file
        started = time.perf_counter()
        case.make(path)
        made = time.perf_counter() - started
        argv = [*check, *case.args(path)]
        got = measure(argv)
        said = first_fd(argv) if case.args is _feed else (got.said.splitlines() or ["(nothing on stderr)"])[-1][:200]
        rows.append((case, path.stat().st_size, made, got, said))
        print(f"{case.name}: {got.seconds:.1f} s, {got.cpu:.1f} CPU s, {got.rss_mib:.0f} MiB, exit {got.code}: {said}")
        (OUT / "copy.db").unlink(missing_ok=True)
        if path.stat().st_size > 50 * MIB:
            path.unlink()
    text = render(rows, bare, args)
    print(text)
    if not args.no_write:
        write_section(text)
    failed = [c.name for c, _, _, m, _ in rows if m.rss_mib >= TARGET_RSS_MIB or m.seconds >= TARGET_SECONDS]
    return 1 if failed else 0


def render(rows: list[tuple[Case, int, float, Measured, str]], bare: Measured, args: argparse.Namespace) -> str:
    command = "python bench/hostile_files.py" + (f" --only {args.only}" if args.only else "")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    lines = [
        SECTION,
        "",
        f"Command: `{command}` (each case in a fresh process, default settings, findings as jsonl to /dev/null).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"commit {commit.stdout.strip()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared: wall times carry "
        "noise that CPU seconds do not).",
        "",
        f"Bare run (a one-offer feed): {bare.seconds:.2f} s wall, {bare.cpu:.2f} CPU s, "
        f"peak RSS {bare.rss_mib:.1f} MiB. "
        f"Targets: peak RSS under {TARGET_RSS_MIB} MiB, wall time under {TARGET_SECONDS} s.",
        "",
        "| case | input | file | wall s | CPU s | peak RSS MiB | × bare RSS | exit | what it says |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case, size, _, got, said in rows:
        lines.append(
            f"| {case.name} | {case.what} | {size / MIB:,.2f} MB | {got.seconds:.1f} | {got.cpu:.1f} | "
            f"{got.rss_mib:.1f} | {got.rss_mib / bare.rss_mib:.2f} | {got.code} | {said.replace('|', '/')} |"
        )
    lines.append("")
    return "\n".join(lines)


def write_section(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    start = current.find(SECTION)
    if start < 0:
        RESULTS.write_text(current.rstrip("\n") + "\n\n" + text, encoding="utf-8")
        return
    end = current.find("\n## ", start + len(SECTION))
    rest = current[end + 1 :] if end >= 0 else ""
    RESULTS.write_text(current[:start] + text + ("\n" + rest if rest else ""), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

"""A one-sheet XLSX workbook written straight as its XML parts, row by row into the zip stream:
the sheet's XML is built as text for each row (strings inline, numbers as their exact decimal
text, a style per formatted column), so a 100,000-row report costs a string join per row and
memory stays flat. openpyxl (write-only, even through lxml) spent most of its time on its
per-cell objects; what it reads back from this file is the same (tests open it with openpyxl).

Only what the reports need: text, integers, Decimals (money, percentages) and empty cells, one
number format per column, a bold-free header row.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

# XML 1.0 forbids these control characters even escaped; openpyxl refuses them likewise.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.spreadsheetml.'
    'worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)


def _workbook(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _styles(formats: list[str]) -> str:
    """Style 0 is the default; style ``i + 1`` applies ``formats[i]`` (ids from 164, the
    first free for custom formats)."""
    num_fmts = "".join(
        f"<numFmt numFmtId={quoteattr(str(164 + i))} formatCode={quoteattr(code)}/>"
        for i, code in enumerate(formats)
    )
    xfs = "".join(
        f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/>'
        for i in range(len(formats))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_MAIN}">'
        + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
        + '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="{len(formats) + 1}">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        f"{xfs}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _text(value: str) -> str:
    cleaned = escape(_ILLEGAL.sub("", value))
    space = ' xml:space="preserve"' if cleaned != cleaned.strip() else ""
    return f"<is><t{space}>{cleaned}</t></is>"


class _Row:
    """Turns one row's values into its ``<row>`` element; the column letters and styles are
    worked out once."""

    def __init__(self, styles: Sequence[int]) -> None:
        self.letters = [get_column_letter(i + 1) for i in range(len(styles))]
        self.styles = [f' s="{s}"' if s else "" for s in styles]

    def xml(self, number: int, values: Sequence[Any]) -> str:
        cells = []
        for letter, style, value in zip(self.letters, self.styles, values, strict=True):
            if value is None:
                continue
            if isinstance(value, bool):
                cells.append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                cells.append(f'<c r="{letter}{number}"{style}><v>{value}</v></c>')
            elif isinstance(value, Decimal):
                cells.append(f'<c r="{letter}{number}"{style}><v>{value:f}</v></c>')
            else:
                cells.append(f'<c r="{letter}{number}" t="inlineStr">{_text(str(value))}</c>')
        return f'<row r="{number}">{"".join(cells)}</row>'


def write_sheet(
    target: IO[bytes],
    *,
    title: str,
    headers: Sequence[str],
    formats: Sequence[str | None],
    rows: Iterable[Sequence[Any]],
    batch: int = 1_000,
) -> None:
    """The workbook into ``target``: ``headers`` as the first row, then ``rows``; ``formats``
    is each column's number format (None: general)."""
    distinct = sorted({f for f in formats if f is not None})
    styles = [0 if f is None else distinct.index(f) + 1 for f in formats]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _workbook(title))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _styles(distinct))
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                + f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
            )
            row = _Row(styles)
            pending = [row.xml(1, list(headers))]
            for number, values in enumerate(rows, start=2):
                pending.append(row.xml(number, values))
                if len(pending) >= batch:
                    sheet.write("".join(pending).encode())
                    pending.clear()
            sheet.write("".join(pending).encode())
            sheet.write(b"</sheetData></worksheet>")

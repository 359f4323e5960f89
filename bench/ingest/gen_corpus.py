#!/usr/bin/env python3
"""Write the mixed ingestion benchmark corpus, built like the one Aleph's ingest-file was
measured on (see docs/benchmarks.md, "Ingestion"): per 900 files, 300 PDFs of 5 A4 pages
(61 lines of about 12 words each), 100 DOCX (a heading and 20 paragraphs), 50 XLSX
(2 sheets of a header and 200 rows by 6 columns), 100 CSV (a header and 1,000 rows by 6
columns), 100 HTML (title, meta, 15 paragraphs, a 10-row table, a link), 100 EML (a plain
body and one text attachment of about 2 KB), 50 ZIP (3 deflated text members), 100 TXT
(10 paragraphs, about 4 KB). Deterministic: a seeded RNG over 3,000 made-up words plus
20 domain words and 10 person names. Only the standard library: the PDF, DOCX and XLSX
files are written by hand.

    gen_corpus.py OUT [--files N] [--only TYPE]
    gen_corpus.py OUT --ocr-pages N     # N page images (PNG, 200 dpi, via pdftoppm)
"""

import argparse
import io
import os
import random
import subprocess
import zipfile
from email.message import EmailMessage

MIX = [("pdf", 300), ("docx", 100), ("xlsx", 50), ("csv", 100), ("html", 100),
       ("eml", 100), ("zip", 50), ("txt", 100)]

rng = random.Random(42)
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "bo", "da", "fe", "gu",
             "hi", "jo", "pe", "qua", "ri", "su", "wy"]
VOCAB = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
                for _ in range(4000)})[:3000]
DOMAIN = ["company", "account", "transfer", "director", "shares", "offshore", "holding",
          "contract", "invoice", "payment", "beneficial", "owner", "trust", "bank",
          "registry", "minister", "tender", "subsidiary", "nominee", "loan"]
PEOPLE = ["Anna Schmidt", "Boris Petrov", "Carla Rossi", "David Cohen", "Elena Popescu",
          "Farid Haddad", "Greta Nilsson", "Hugo Moreau", "Irina Volkova", "Jonas Berg"]


def words(n):
    out = []
    for _ in range(n):
        r = rng.random()
        out.append(rng.choice(DOMAIN) if r < 0.1 else rng.choice(PEOPLE) if r < 0.12
                   else rng.choice(VOCAB))
    return " ".join(out)


def sentence(n=12):
    s = words(n)
    return s[0].upper() + s[1:] + "."


def esc_pdf(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages, size=9, leading=11):
    """A PDF of text pages (lists of lines) in Helvetica on A4, one content stream per
    page, uncompressed."""
    objs = []  # bodies, object i+1

    def add(body):
        objs.append(body)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = len(objs) + 1 + 2 * len(pages)  # filled in below
    kids = []
    for lines in pages:
        text = ["BT /F1 %d Tf %d TL 50 800 Td" % (size, leading)]
        for line in lines:
            text.append("(%s) '" % esc_pdf(line))
        text.append("ET")
        data = "\n".join(text).encode("latin-1", "replace")
        content = add(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        kids.append(add(("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                         "/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                         % (pages_id, font, content)).encode()))
    got = add(("<< /Type /Pages /Count %d /Kids [%s] >>"
               % (len(kids), " ".join("%d 0 R" % k for k in kids))).encode())
    assert got == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objs) + 1, catalog, xref))
    return out.getvalue()


def xml_esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


CT_DOCX = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"""
RELS_DOCX = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"""
CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>%s</dc:title><dc:creator>%s</dc:creator></cp:coreProperties>"""


def docx_bytes(heading, paragraphs, author):
    body = '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>' % xml_esc(heading)
    for p in paragraphs:
        body += '<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % xml_esc(p)
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           '<w:body>%s</w:body></w:document>' % body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT_DOCX)
        z.writestr("_rels/.rels", RELS_DOCX)
        z.writestr("docProps/core.xml", CORE % (xml_esc(heading), xml_esc(author)))
        z.writestr("word/document.xml", doc)
    return out.getvalue()


def col_name(i):
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def xlsx_bytes(sheets):
    """sheets: [(name, rows)], cells written as inline strings or numbers."""
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>')
    wb_sheets, wb_rels = "", ""
    parts = {}
    for i, (name, rows) in enumerate(sheets, 1):
        ct += ('<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/'
               'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % i)
        wb_sheets += '<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (xml_esc(name), i, i)
        wb_rels += ('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i, i))
        data = []
        for r, row in enumerate(rows, 1):
            cells = []
            for c, v in enumerate(row):
                ref = "%s%d" % (col_name(c), r)
                if isinstance(v, (int, float)):
                    cells.append('<c r="%s"><v>%s</v></c>' % (ref, v))
                else:
                    cells.append('<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, xml_esc(v)))
            data.append('<row r="%d">%s</row>' % (r, "".join(cells)))
        parts["xl/worksheets/sheet%d.xml" % i] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s'
            '</sheetData></worksheet>' % "".join(data))
    ct += "</Types>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   '<sheets>%s</sheets></workbook>' % wb_sheets)
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '%s</Relationships>' % wb_rels)
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def table_rows(n):
    rows = [["Name", "Company", "Country", "Amount", "Date", "Note"]]
    for _ in range(n):
        rows.append([rng.choice(PEOPLE), words(2).title() + " Ltd", rng.choice(["CY", "PA", "VG", "GB", "DE"]),
                     rng.randint(100, 10 ** 6), "2019-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28)),
                     words(4)])
    return rows


def make(kind, i):
    if kind == "pdf":
        return pdf_bytes([[sentence() for _ in range(61)] for _ in range(5)])
    if kind == "docx":
        return docx_bytes("Report %d: %s" % (i, words(3)), [" ".join(sentence() for _ in range(4)) for _ in range(20)],
                          rng.choice(PEOPLE))
    if kind == "xlsx":
        return xlsx_bytes([("Sheet%d" % s, table_rows(200)) for s in (1, 2)])
    if kind == "csv":
        return "\n".join(",".join(str(v) for v in row) for row in table_rows(1000)).encode() + b"\n"
    if kind == "html":
        paras = "".join("<p>%s</p>" % " ".join(sentence() for _ in range(3)) for _ in range(15))
        table = "".join("<tr><td>%s</td><td>%d</td></tr>" % (rng.choice(PEOPLE), rng.randint(1, 9999)) for _ in range(10))
        return ('<html><head><title>%s</title><meta name="description" content="%s"><meta name="author" '
                'content="%s"></head><body><h1>%s</h1>%s<table>%s</table><a href="https://example.org/%d">more</a>'
                '</body></html>' % (words(4), words(8), rng.choice(PEOPLE), words(4), paras, table, i)).encode()
    if kind == "eml":
        m = EmailMessage()
        a, b = rng.sample(PEOPLE, 2)
        m["From"] = "%s <%s@example.org>" % (a, a.split()[0].lower())
        m["To"] = "%s <%s@example.com>" % (b, b.split()[0].lower())
        m["Subject"] = words(5)
        m["Message-ID"] = "<msg-%d@example.org>" % i
        m["Date"] = "Mon, 4 Mar 2024 09:14:58 +0000"
        m.set_content("\n\n".join(" ".join(sentence() for _ in range(3)) for _ in range(4)))
        m.add_attachment("\n".join(sentence() for _ in range(20)).encode(), maintype="text", subtype="plain",
                         filename="notes-%d.txt" % i)
        return bytes(m)
    if kind == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for j in range(3):
                z.writestr("member-%d.txt" % j, "\n".join(sentence() for _ in range(10)))
        return out.getvalue()
    if kind == "txt":
        return "\n\n".join(" ".join(sentence() for _ in range(4)) for _ in range(10)).encode()
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--only", help="one type of the mix, with its share of --files")
    ap.add_argument("--ocr-pages", type=int, help="write this many page images instead")
    args = ap.parse_args()
    if args.ocr_pages:
        os.makedirs(args.out, exist_ok=True)
        for i in range(args.ocr_pages):
            pdf = os.path.join(args.out, "page-%03d.pdf" % i)
            # Fewer, larger lines than the text corpus: 40 lines of 10 words at 11 pt.
            with open(pdf, "wb") as f:
                f.write(pdf_bytes([[sentence(10) for _ in range(40)]], size=11, leading=18))
            subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", pdf, pdf[:-4]], check=True)
            os.remove(pdf)
        return
    total = sum(n for _, n in MIX)
    for kind, share in MIX:
        if args.only and kind != args.only:
            continue
        n = round(args.files * share / total)
        d = os.path.join(args.out, kind)
        os.makedirs(d, exist_ok=True)
        for i in range(n):
            with open(os.path.join(d, "%s-%04d.%s" % (kind, i, kind)), "wb") as f:
                f.write(make(kind, i))


if __name__ == "__main__":
    main()

from __future__ import annotations

import pathlib

DATAFILES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "datafiles"
FIXTURES = sorted(path for path in DATAFILES.iterdir() if path.suffix != ".md")


def pdf_of_table(rows: list[list[str]], title: str = "") -> bytes:
    """A text PDF of ``rows`` as a ruled table, its header repeated on every page, in a
    Japanese font every PDF reader has (a CID font, not embedded): as municipalities
    publish tables."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    out = io.BytesIO()
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "HeiseiKakuGo-W5", 7),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story = [table]
    if title:
        story.insert(0, Paragraph(title, ParagraphStyle("title", fontName="HeiseiKakuGo-W5",
                                                        fontSize=12)))
    SimpleDocTemplate(out, pagesize=landscape(A4)).build(story)
    return out.getvalue()


def scanned_pdf() -> bytes:
    """A PDF holding only a picture of a page (a scan): no text at all."""
    import io

    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(picture).rectangle((20, 20, 380, 180), outline="black")
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawImage(ImageReader(picture), 50, 500, width=400, height=200)
    page.save()
    return out.getvalue()


def pdf_of_text_table(rows: list[list[str]], title: str, lefts: list[int]) -> bytes:
    """A text PDF of ``rows`` set in columns without lines (each column starting at its
    ``lefts`` position), the title above: the other way tables are printed."""
    import io

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=landscape(A4))
    page.setFont("HeiseiKakuGo-W5", 12)
    page.drawString(30, 560, title)
    page.setFont("HeiseiKakuGo-W5", 7)
    for i, row in enumerate(rows):
        for left, value in zip(lefts, row):
            page.drawString(left, 530 - i * 12, value)
    page.save()
    return out.getvalue()

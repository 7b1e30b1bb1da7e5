"""ALTO 4.4, hOCR and searchable PDF outputs, on small transcripts built by hand."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path

import pytest

from pipeline.errors import BadArgumentsError, InputError, MissingDependencyError
from pipeline.formats import render
from pipeline.outputs import write_outputs
from pipeline.records import (
    Action,
    Box,
    PageInfo,
    PageRef,
    ProcessingStep,
    Source,
    Transcript,
    TranscriptWord,
    Zone,
)

etree = pytest.importorskip("lxml.etree")

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
FONT = Path("/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf")
ALTO_NS = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
XHTML_NS = {"h": "http://www.w3.org/1999/xhtml"}
DPI = 200
PAGE_SIZE = (1700, 2200)
FONT_PX = 30
LINE_STEP = 60
MARGIN = 120


# --------------------------------------------------------------------------------------
# A two-page sample cable: page images drawn with the OCR readings at known boxes.


@dataclass
class W:
    """A word of the sample: OCR text plus what became of it."""

    ocr: str
    final: str | None = None
    zone: Zone = Zone.BODY
    action: Action = Action.KEPT
    source: Source = Source.NONE
    posterior: float | None = None
    alternatives: tuple[str, ...] = ()
    paragraph: int | None = None
    glue: str = " "
    conf: float = 0.91


PAGE1: list[list[W]] = [
    [
        W(t, zone=Zone.PAGE_HEADER, action=Action.REMOVED)
        for t in ["PAGE", "01", "MOSCOW", "04648", "221603Z"]
    ],
    [W("SECRET", zone=Zone.CLASSIFICATION, action=Action.REMOVED)],
    [
        W("FM", zone=Zone.HEADER, paragraph=0),
        W("AMEMBASSY", zone=Zone.HEADER, paragraph=0),
        W("MOSCOW", zone=Zone.HEADER, paragraph=0),
    ],
    [
        W("TO", zone=Zone.HEADER, paragraph=1),
        W(
            "SECSTAIE",
            "SECSTATE",
            Zone.HEADER,
            Action.CORRECTED,
            Source.CONFUSION,
            0.97,
            ("SECSTAIE",),
            1,
            conf=0.55,
        ),
        W("WASHDC", zone=Zone.HEADER, paragraph=1),
    ],
    [
        W("1.", paragraph=0),
        W("THE", paragraph=0),
        W("SOVIET", paragraph=0),
        W("UNION", paragraph=0),
        W("IS", paragraph=0),
        W("DEVEL-", "DEVEL", paragraph=0),
    ],
    [
        W("OPING", paragraph=0, glue=""),
        W("NEW", paragraph=0),
        W("POLICY,", paragraph=0),
        W(
            "USZCXHIS",
            "USE THIS",
            action=Action.CORRECTED,
            source=Source.SPLIT_MERGE,
            posterior=0.93,
            alternatives=("USE HIS", "USZCXHIS"),
            paragraph=0,
            conf=0.31,
        ),
        W("CHANCE.", paragraph=0),
    ],
    [
        W("2.", paragraph=1),
        W("WE", paragraph=1),
        W(
            "MAGEABLE",
            "MANAGEABLE",
            action=Action.FLAGGED,
            source=Source.DICTIONARY,
            posterior=0.62,
            alternatives=("MANAGEABLE", "MAGEABLE"),
            paragraph=1,
            conf=0.4,
        ),
        W(
            "AC",
            "ACT.",
            action=Action.CORRECTED,
            source=Source.SPLIT_MERGE,
            posterior=0.95,
            paragraph=1,
            conf=0.7,
        ),
        W("T.", "", action=Action.REMOVED, source=Source.SPLIT_MERGE, paragraph=1, conf=0.5),
    ],
    [
        W(t, zone=Zone.ARCHIVE_STAMP, action=Action.REMOVED)
        for t in ["500001", "DEPARTMENT", "OF", "STATE"]
    ],
]
PAGE2: list[list[W]] = [
    [
        W(t, zone=Zone.PAGE_HEADER, action=Action.REMOVED)
        for t in ["PAGE", "02", "MOSCOW", "04648", "221603Z"]
    ],
    [
        W("3.", paragraph=2),
        W("A", paragraph=2),
        W("REVIEW", paragraph=2),
        W("WILL", paragraph=2),
        W("FOLLOW.", paragraph=2),
    ],
    [W("~%", zone=Zone.STRAY, action=Action.REMOVED, conf=0.1)],
    [W("MATLOCK", zone=Zone.SIGNATURE)],
    [W("SECRET", zone=Zone.CLASSIFICATION, action=Action.REMOVED)],
]
GAP_WORD = TranscriptWord(
    index=0,
    page=None,
    line=0,
    box=None,
    ocr_text="",
    ocr_confidence=None,
    final_text="[GAP: SECTION 02 OF 03 MISSING]",
    zone=Zone.BODY,
    action=Action.CORRECTED,
    source=Source.STRUCTURE,
    posterior=1.0,
    paragraph=3,
)
"""A marker the structure stage adds without a page or box."""


STEPS = (
    ProcessingStep("ocr", "Tesseract LSTM", {"lang": "eng", "psm": 6}),
    ProcessingStep("correct", "cable vocabulary corrector", {"apply_above": 0.9}),
)


def _draw(path: Path, lines: list[list[W]], bilevel: bool) -> list[list[Box]]:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), FONT_PX)
    image = Image.new("1" if bilevel else "L", PAGE_SIZE, 1 if bilevel else 250)
    draw = ImageDraw.Draw(image)
    boxes: list[list[Box]] = []
    space = font.getlength(" ")
    for number, line in enumerate(lines):
        x, y = float(MARGIN), MARGIN + number * LINE_STEP
        row = []
        for word in line:
            draw.text((x, y), word.ocr, font=font, fill=0 if bilevel else 15)
            left, top, right, bottom = draw.textbbox((x, y), word.ocr, font=font)
            row.append(Box(int(left), int(top), int(right - left), int(bottom - top)))
            x += font.getlength(word.ocr) + space
        boxes.append(row)
    image.save(path, dpi=(DPI, DPI))
    return boxes


def build_sample(folder: Path, *, with_images: bool = True) -> Transcript:
    """The two-page sample transcript (page images in ``folder`` when ``with_images``)."""
    words: list[TranscriptWord] = []
    pages: list[PageInfo] = []
    for page_number, (lines, bilevel) in enumerate(((PAGE1, False), (PAGE2, True))):
        path = folder / f"page{page_number + 1}.png"
        ref = PageRef(str(path), 1, page_number)
        if with_images:
            boxes = _draw(path, lines, bilevel)
            pages.append(PageInfo(ref, PAGE_SIZE[0], PAGE_SIZE[1], DPI))
        else:
            boxes = [[None] * len(line) for line in lines]
            pages.append(PageInfo(ref))
        for line_number, line in enumerate(lines):
            if page_number == 1 and line_number == 2:
                words.append(replace(GAP_WORD, index=len(words)))
            for word, box in zip(line, boxes[line_number], strict=True):
                words.append(
                    TranscriptWord(
                        index=len(words),
                        page=ref,
                        line=line_number,
                        box=box,
                        ocr_text=word.ocr,
                        ocr_confidence=word.conf if with_images else None,
                        final_text=word.ocr if word.final is None else word.final,
                        zone=word.zone,
                        action=word.action,
                        source=word.source,
                        posterior=word.posterior,
                        alternatives=word.alternatives,
                        paragraph=word.paragraph,
                        glue=word.glue,
                    )
                )
    return Transcript(words=tuple(words), pages=tuple(pages), steps=STEPS)


@pytest.fixture
def sample(tmp_path: Path) -> Transcript:
    return build_sample(tmp_path)


def _word(transcript: Transcript, ocr: str) -> TranscriptWord:
    return next(w for w in transcript.words if w.ocr_text == ocr)


# --------------------------------------------------------------------------------------
# ALTO


def alto_schema() -> object:
    """The bundled ALTO 4.4 XSD, with the xlink import answered by the local stand-in."""

    class LocalXlink(etree.Resolver):
        def resolve(self, url: str, pubid: str, context: object) -> object:
            if url.endswith("xlink.xsd"):
                return self.resolve_filename(str(SCHEMAS / "xlink-1999-min.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalXlink())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "alto-4-4.xsd"), parser))


def parse_alto(transcript: Transcript) -> object:
    data = render("alto", transcript)["alto.xml"]
    document = etree.fromstring(data, etree.XMLParser(no_network=True))
    schema = alto_schema()
    assert schema.validate(document), schema.error_log
    return document


def alto_tokens(document: object, *labels: str) -> list[str]:
    """Words of the blocks tagged with the given structure labels, in reading order.

    Hyphenation parts give their ``SUBS_CONTENT`` once; Strings with no ``SP`` between them
    on a line are one word.
    """
    tags = {
        tag.get("ID")
        for tag in document.iterfind("a:Tags/a:StructureTag", ALTO_NS)
        if tag.get("LABEL") in labels
    }
    tokens: list[str] = []
    for block in document.iterfind(".//a:TextBlock", ALTO_NS):
        if not set(block.get("TAGREFS", "").split()) & tags:
            continue
        for line in block.iterfind("a:TextLine", ALTO_NS):
            glued = False
            for child in line:
                name = etree.QName(child).localname
                if name == "SP":
                    glued = False
                    continue
                if name != "String":
                    continue
                if child.get("SUBS_TYPE") == "HypPart2":
                    glued = True
                    continue
                text = child.get("SUBS_CONTENT") or child.get("CONTENT")
                if glued and tokens:
                    tokens[-1] += text
                else:
                    tokens.append(text)
                glued = True
    return tokens


def _string(document: object, ident: str) -> object:
    return document.find(f".//a:String[@ID='{ident}']", ALTO_NS)


def test_alto_is_valid_and_body_matches_transcript(sample: Transcript) -> None:
    document = parse_alto(sample)
    body = " ".join(sample.body_paragraphs()).split()
    assert body[:9] == ["1.", "THE", "SOVIET", "UNION", "IS", "DEVELOPING", "NEW", "POLICY,", "USE"]
    assert alto_tokens(document, "body") == body
    assert alto_tokens(document, "header", "body", "signature") == sample.text().split()


def test_alto_pages_description_and_processing(sample: Transcript) -> None:
    document = parse_alto(sample)
    pages = document.findall(".//a:Page", ALTO_NS)
    assert [p.get("PHYSICAL_IMG_NR") for p in pages] == ["1", "2"]
    assert {(p.get("WIDTH"), p.get("HEIGHT")) for p in pages} == {("1700", "2200")}
    assert document.findtext("a:Description/a:MeasurementUnit", namespaces=ALTO_NS) == "pixel"
    file_name = document.findtext(".//a:sourceImageInformation/a:fileName", namespaces=ALTO_NS)
    assert file_name == sample.pages[0].ref.source
    steps = document.findall("a:Description/a:Processing", ALTO_NS)
    assert len(steps) == 2
    assert (
        steps[0].findtext("a:processingStepDescription", namespaces=ALTO_NS)
        == "ocr: Tesseract LSTM"
    )
    assert '"psm": 6' in steps[0].findtext("a:processingStepSettings", namespaces=ALTO_NS)
    assert (
        steps[1].findtext("a:processingSoftware/a:softwareName", namespaces=ALTO_NS) == "cable-ocr"
    )


def test_alto_split_correction_shares_the_box(sample: Transcript) -> None:
    document = parse_alto(sample)
    word = _word(sample, "USZCXHIS")
    assert word.box is not None
    first, second = _string(document, f"w{word.index}_1"), _string(document, f"w{word.index}_2")
    assert (first.get("CONTENT"), second.get("CONTENT")) == ("USE", "THIS")
    assert first.get("WC") == second.get("WC") == "0.93"
    left1, width1 = int(first.get("HPOS")), int(first.get("WIDTH"))
    left2, width2 = int(second.get("HPOS")), int(second.get("WIDTH"))
    assert left1 == word.box.left and left1 + width1 < left2
    assert left2 + width2 == word.box.right
    assert abs(width1 / width2 - 3 / 4) < 0.1
    alternatives = [(a.get("PURPOSE"), a.text) for a in first.findall("a:ALTERNATIVE", ALTO_NS)]
    assert alternatives == [("ocr", "USZCXHIS"), ("candidate", "USE HIS")]
    assert second.findall("a:ALTERNATIVE", ALTO_NS) == []
    space = first.getnext()
    assert etree.QName(space).localname == "SP"


def test_alto_hyphenation_across_lines(sample: Transcript) -> None:
    document = parse_alto(sample)
    part1 = _string(document, f"w{_word(sample, 'DEVEL-').index}")
    part2 = _string(document, f"w{_word(sample, 'OPING').index}")
    assert part1.get("CONTENT") == "DEVEL" and part2.get("CONTENT") == "OPING"
    assert (part1.get("SUBS_TYPE"), part2.get("SUBS_TYPE")) == ("HypPart1", "HypPart2")
    assert part1.get("SUBS_CONTENT") == part2.get("SUBS_CONTENT") == "DEVELOPING"
    assert part1.find("a:ALTERNATIVE", ALTO_NS) is None
    hyp = part1.getnext()
    assert etree.QName(hyp).localname == "HYP" and hyp.get("CONTENT") == "-"
    assert int(hyp.get("HPOS")) >= int(part1.get("HPOS")) + int(part1.get("WIDTH"))


def test_alto_confidence_review_tags_and_boilerplate(sample: Transcript) -> None:
    document = parse_alto(sample)
    kept = _string(document, f"w{_word(sample, 'SOVIET').index}")
    assert kept.get("WC") == "0.91" and kept.find("a:ALTERNATIVE", ALTO_NS) is None
    corrected = _string(document, f"w{_word(sample, 'SECSTAIE').index}")
    assert corrected.get("CONTENT") == "SECSTATE" and corrected.get("WC") == "0.97"
    flagged = _string(document, f"w{_word(sample, 'MAGEABLE').index}")
    assert flagged.get("TAGREFS") == "TAG_review" and flagged.get("WC") == "0.62"
    review = document.find("a:Tags/a:OtherTag[@ID='TAG_review']", ALTO_NS)
    assert review is not None and review.get("TYPE") == "review"
    merged = _word(sample, "T.")
    assert _string(document, f"w{merged.index}") is None
    assert _string(document, f"w{_word(sample, 'AC').index}").get("CONTENT") == "ACT."
    boilerplate = {
        tag.get("ID"): tag.get("LABEL")
        for tag in document.iterfind("a:Tags/a:LayoutTag", ALTO_NS)
        if tag.get("TYPE") == "boilerplate"
    }
    assert set(boilerplate.values()) == {"page_header", "classification", "archive_stamp", "stray"}
    stamp = _string(document, f"w{_word(sample, '500001').index}")
    assert stamp is not None
    assert stamp.getparent().getparent().get("TAGREFS") == "TAG_archive_stamp"
    assert stamp.getparent().getparent().get("TAGREFS") in boilerplate


def test_alto_without_page_images_omits_geometry(tmp_path: Path) -> None:
    plain = build_sample(tmp_path, with_images=False)
    words = list(plain.words)
    odd = next(i for i, w in enumerate(words) if w.ocr_text == "WILL")
    words[odd] = replace(words[odd], final_text='<&"O\'K">', ocr_text="WILL")
    plain = replace(plain, words=tuple(words))
    document = parse_alto(plain)
    strings = document.findall(".//a:String", ALTO_NS)
    assert strings and all(s.get("HPOS") is None and s.get("WIDTH") is None for s in strings)
    assert all(p.get("WIDTH") is None for p in document.findall(".//a:Page", ALTO_NS))
    assert alto_tokens(document, "body") == " ".join(plain.body_paragraphs()).split()
    assert '<&"O\'K">' in [s.get("CONTENT") for s in strings]


def test_alto_empty_transcript_is_valid() -> None:
    parse_alto(Transcript(words=()))


# --------------------------------------------------------------------------------------
# hOCR


def parse_hocr(transcript: Transcript) -> object:
    data = render("hocr", transcript)["transcript.hocr"]
    return etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))


def hocr_tokens(document: object) -> list[str]:
    tokens: list[str] = []
    for area in document.iterfind(".//h:div[@class='ocr_carea']", XHTML_NS):
        if area.get("data-transcript") != "true":
            continue
        for span in area.iterfind(".//h:span[@class='ocrx_word']", XHTML_NS):
            if span.get("data-hyphen") == "HypPart2":
                continue
            tokens.append(span.get("data-subs-content") or span.text)
    return tokens


def test_hocr_parses_and_words_match(sample: Transcript) -> None:
    from lxml import html

    document = parse_hocr(sample)
    pages = document.findall(".//h:div[@class='ocr_page']", XHTML_NS)
    assert len(pages) == 2
    assert pages[1].get("title").endswith("; ppageno 1; scan_res 200 200")
    assert (
        pages[0]
        .get("title")
        .startswith(f'bbox 0 0 1700 2200; image "{sample.pages[0].ref.source}"')
    )
    assert hocr_tokens(document) == sample.text().split()
    parsed = html.fromstring(render("hocr", sample)["transcript.hocr"])
    words = parsed.xpath("//span[@class='ocrx_word']")
    shown = sum(len(w.final_text.split()) for w in sample.words)  # boilerplate keeps its text
    assert len(words) == shown


def test_hocr_word_properties(sample: Transcript) -> None:
    document = parse_hocr(sample)
    spans = {s.get("id"): s for s in document.iterfind(".//h:span[@class='ocrx_word']", XHTML_NS)}
    for span in spans.values():
        confidence = re.search(r"x_wconf (\d+)", span.get("title"))
        assert confidence and 0 <= int(confidence.group(1)) <= 100
    word = _word(sample, "SECSTAIE")
    assert word.box is not None
    span = spans[f"word_{word.index}"]
    box = word.box
    assert span.get("title") == f"bbox {box.left} {box.top} {box.right} {box.bottom}; x_wconf 97"
    assert (span.text, span.get("data-ocr-text"), span.get("data-action")) == (
        "SECSTATE",
        "SECSTAIE",
        "corrected",
    )
    split = _word(sample, "USZCXHIS")
    assert (
        spans[f"word_{split.index}_1"].text == "USE"
        and spans[f"word_{split.index}_2"].text == "THIS"
    )
    first = spans[f"word_{_word(sample, 'DEVEL-').index}"]
    assert first.text == "DEVEL-" and first.get("data-subs-content") == "DEVELOPING"
    assert spans[f"word_{_word(sample, 'SOVIET').index}"].get("title").endswith("x_wconf 91")


def test_hocr_escapes_text_without_boxes(tmp_path: Path) -> None:
    plain = build_sample(tmp_path, with_images=False)
    words = list(plain.words)
    odd = next(i for i, w in enumerate(words) if w.ocr_text == "WILL")
    words[odd] = replace(words[odd], final_text="<b>&amp;</b>", ocr_text="W\x01LL")
    plain = replace(plain, words=tuple(words))
    data = render("hocr", plain)["transcript.hocr"]
    assert b"<b>" not in data
    document = etree.fromstring(data)
    assert "<b>&amp;</b>" in hocr_tokens(document)
    assert b"bbox" not in data
    assert document.find(".//h:span[@data-ocr-text='W\ufffdLL']", XHTML_NS) is not None


# --------------------------------------------------------------------------------------
# Searchable PDF


def pdftotext(pdf: bytes, tmp_path: Path, *options: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def bag_wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate ignoring order: unmatched words on the larger side over the reference."""
    ref, hyp = Counter(reference), Counter(hypothesis)
    missing = sum((ref - hyp).values())
    extra = sum((hyp - ref).values())
    return max(missing, extra) / max(len(reference), 1)


def test_bag_wer_counts_errors() -> None:
    assert bag_wer(["A", "B", "C", "D"], ["D", "C", "B", "A"]) == 0.0
    assert bag_wer(["A", "B", "C", "D"], ["A", "B", "X"]) == 0.5


def test_pdf_text_layer_has_the_transcript_words(sample: Transcript, tmp_path: Path) -> None:
    pdf = render("pdf", sample)["transcript.pdf"]
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf, tmp_path)
    words = text.split()
    assert bag_wer(sample.text().split(), words) == 0.0
    body = Counter(" ".join(sample.body_paragraphs()).split())
    assert sum((body - Counter(words)).values()) / sum(body.values()) <= 0.01
    for boilerplate in ("221603Z", "500001", "DEPARTMENT", "SECRET", "MAGEABLE", "USZCXHIS"):
        assert boilerplate not in words
    layout = pdftotext(pdf, tmp_path, "-layout")
    assert "USE THIS CHANCE." in layout
    assert "DEVELOPING" in layout


def test_pdf_pages_and_word_positions(sample: Transcript, tmp_path: Path) -> None:
    pdf = render("pdf", sample)["transcript.pdf"]
    assert len(pdf) < 600_000
    bbox = pdftotext(pdf, tmp_path, "-bbox")
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">', bbox)
    assert [(round(float(w)), round(float(h))) for w, h in pages] == [(612, 792), (612, 792)]
    word = _word(sample, "SOVIET")
    assert word.box is not None
    match = re.search(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">SOVIET<', bbox
    )
    assert match
    x_min, y_min, x_max, y_max = (float(v) for v in match.groups())
    scale = 72 / DPI
    assert abs(x_min - word.box.left * scale) < 1.0
    assert abs(x_max - word.box.right * scale) < 1.5
    assert y_min < word.box.bottom * scale and y_max > word.box.top * scale


def _from_pdf(sample: Transcript, pdf: Path) -> Transcript:
    """The sample with its pages read from ``pdf`` instead of the PNG files."""
    refs = {info.ref: PageRef(str(pdf), n + 1, n) for n, info in enumerate(sample.pages)}
    return replace(
        sample,
        pages=tuple(replace(info, ref=refs[info.ref]) for info in sample.pages),
        words=tuple(replace(w, page=refs[w.page]) if w.page else w for w in sample.words),
    )


def _images(page: object) -> list[object]:
    found = page.get_images() if hasattr(page, "get_images") else page.images
    return list(found.values())


def test_pdf_input_pages_are_copied_unchanged(sample: Transcript, tmp_path: Path) -> None:
    pikepdf = pytest.importorskip("pikepdf")
    from PIL import Image

    source = tmp_path / "scan.pdf"
    images = [Image.open(info.ref.source).convert("L") for info in sample.pages]
    images[0].save(source, save_all=True, append_images=images[1:], resolution=DPI)
    transcript = _from_pdf(sample, source)
    pdf = render("pdf", transcript)["transcript.pdf"]
    assert len(pdf) < source.stat().st_size + 30_000
    assert b"ReportLab" not in pdf  # rebuilt with pikepdf around the original pages
    assert bag_wer(transcript.text().split(), pdftotext(pdf, tmp_path).split()) == 0.0
    with pikepdf.open(source) as original, pikepdf.open(BytesIO(pdf)) as output:
        assert len(output.pages) == 2
        for before, after in zip(original.pages, output.pages, strict=True):
            raw_before = [i.read_raw_bytes() for i in _images(before)]
            raw_after = [i.read_raw_bytes() for i in _images(after)]
            assert raw_before and raw_before == raw_after
    bbox = pdftotext(pdf, tmp_path, "-bbox")
    word = _word(sample, "SOVIET")
    assert word.box is not None
    match = re.search(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="[\d.]+">SOVIET<', bbox
    )
    assert match and abs(float(match.group(1)) - word.box.left * 72 / DPI) < 1.0


def test_pdf_input_with_a_text_layer_is_rasterized(sample: Transcript, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    source = tmp_path / "ocred.pdf"
    pdf_canvas = canvas.Canvas(str(source), pagesize=(612, 792))
    for info in sample.pages:
        pdf_canvas.drawImage(info.ref.source, 0, 0, 612, 792)
        pdf_canvas.drawString(72, 20, "OLDLAYER")
        pdf_canvas.showPage()
    pdf_canvas.save()
    transcript = _from_pdf(sample, source)
    words = pdftotext(render("pdf", transcript)["transcript.pdf"], tmp_path).split()
    assert "OLDLAYER" not in words
    assert bag_wer(transcript.text().split(), words) == 0.0


def test_pdf_input_without_pikepdf_is_rasterized(
    sample: Transcript, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    source = tmp_path / "scan.pdf"
    Image.open(sample.pages[0].ref.source).save(source, resolution=DPI)
    first = sample.pages[0].ref
    words = tuple(w for w in sample.words if w.page == first)
    transcript = _from_pdf(replace(sample, pages=sample.pages[:1], words=words), source)
    monkeypatch.setitem(sys.modules, "pikepdf", None)
    pdf = render("pdf", transcript)["transcript.pdf"]
    assert b"ReportLab" in pdf  # written by reportlab alone: the page was re-encoded
    assert bag_wer(transcript.text().split(), pdftotext(pdf, tmp_path).split()) == 0.0


def test_pdf_without_reportlab_names_the_extra(
    sample: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "reportlab.pdfgen", None)
    with pytest.raises(MissingDependencyError, match=r"cable-ocr\[formats\]"):
        render("pdf", sample)


def test_pdf_embeds_jpeg_input_as_is(sample: Transcript, tmp_path: Path) -> None:
    from PIL import Image

    jpeg = tmp_path / "page1.jpg"
    Image.open(sample.pages[0].ref.source).save(jpeg, quality=70, dpi=(DPI, DPI))
    ref = PageRef(str(jpeg), 1, 0)
    old = sample.pages[0].ref
    transcript = replace(
        sample,
        pages=(replace(sample.pages[0], ref=ref),),
        words=tuple(replace(w, page=ref) for w in sample.words if w.page in (old, None)),
    )
    pdf = render("pdf", transcript)["transcript.pdf"]
    assert jpeg.read_bytes() in pdf
    assert bag_wer(transcript.text().split(), pdftotext(pdf, tmp_path).split()) == 0.0


def test_pdf_for_text_input_shows_the_transcript(tmp_path: Path) -> None:
    plain = build_sample(tmp_path, with_images=False)
    source = tmp_path / "cable.txt"
    source.write_text("text input\n", encoding="utf-8")
    ref = PageRef(str(source), 1, 0)
    plain = replace(
        plain,
        pages=(PageInfo(ref),),
        words=tuple(replace(w, page=ref) for w in plain.words),
    )
    pdf = render("pdf", plain)["transcript.pdf"]
    assert pdftotext(pdf, tmp_path).split() == plain.text().split()


def test_pdf_needs_the_page_images(sample: Transcript) -> None:
    Path(sample.pages[1].ref.source).unlink()
    with pytest.raises(InputError, match="page image"):
        render("pdf", sample)


# --------------------------------------------------------------------------------------
# Dispatch and writing


def test_unknown_format_is_refused(sample: Transcript) -> None:
    with pytest.raises(BadArgumentsError, match="docx"):
        render("docx", sample)


def test_write_outputs_writes_every_archive_format(sample: Transcript, tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = write_outputs(sample, out, ["txt", "alto", "hocr", "pdf"])
    assert sorted(p.name for p in written) == [
        "alto.xml",
        "transcript.hocr",
        "transcript.pdf",
        "transcript.txt",
    ]
    assert (out / "alto.xml").read_bytes().startswith(b"<?xml")


# --------------------------------------------------------------------------------------
# End to end: one rendered page through the whole pipeline


@pytest.mark.tesseract
def test_ocr_page_to_archive_formats(
    make_page: Callable[..., Path], needs_tesseract: None, tmp_path: Path
) -> None:
    from pipeline.api import transcribe

    page = make_page("cable.png")
    transcript = transcribe([page])
    assert transcript.body_paragraphs()
    document = parse_alto(transcript)
    assert alto_tokens(document, "body") == " ".join(transcript.body_paragraphs()).split()
    words = pdftotext(render("pdf", transcript)["transcript.pdf"], tmp_path).split()
    body = " ".join(transcript.body_paragraphs()).split()
    assert bag_wer(transcript.text().split(), words) <= 0.01
    assert sum((Counter(body) - Counter(words)).values()) / len(body) <= 0.01
    assert hocr_tokens(parse_hocr(transcript)) == transcript.text().split()

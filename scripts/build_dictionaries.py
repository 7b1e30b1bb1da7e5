"""Build the correction dictionaries in ``dictionaries/`` from recorded sources.

Sources (see ``dictionaries/README.md`` for provenance and licences):

- general English unigram and bigram counts shipped inside the ``symspellpy`` package;
- cable text: FRUS telegrams (transcribed + edited) and History Lab 1973-79 telegram bodies,
  counted here (words, pairs, triples) after setting aside evaluation and calibration documents;
- FRUS-wide counts (memoranda, memcons and telegrams of 16 volumes: ``wordfreq_frus_all.tsv``,
  ``bigrams_frus_all.tsv``) minus the counts of the held-out telegrams, for the context model;
- cable vocabulary: TAGS codes, Cablemap acronyms and routing indicators, NARA subject TAGS,
  History Lab government abbreviations, and the telegraphese listed in ``CABLE_SHORTHAND``.

Outputs: ``lexicon.pkl.gz`` (counts and word lists), ``heldout_ids.txt`` (documents that did
not build anything: split ``test`` for evaluation, ``calib`` for fitting the calibration).
Fit the calibration afterwards: ``scripts/evaluate_correction.py --fit``.

Usage: ``python scripts/build_dictionaries.py [--data ../shared] [--out dictionaries]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import pickle
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

FORMAT_VERSION = 2
SEED = 20260127
TEST_SHARE = 0.15
CALIB_SHARE = 0.10

CABLE_SHORTHAND = """
REFTEL REFTELS SEPTEL SEPTELS NOTAL DEPTEL DEPTELS EMBTEL EMBTELS CIRTEL MEMCON MEMCONS
EMBOFF EMBOFFS DEPTOFF DEPTOFFS POLOFF POLOFFS ECONOFF ECONOFFS POLCOUNS ECONCOUNS DCM CHARGE
RPT RPTD REPTEL FYI USG GOI GOS SOV SOVS FONMIN FONOFF PRIMIN MFA CODEL CODELS STAFFDEL PARA
PARAS SUBPARA SUBPARAS NIACT EXDIS NODIS LIMDIS STADIS NOFORN FOUO LOU SPECAT CHEROKEE
SECSTATE WASHDC AMEMBASSY AMCONSUL USMISSION USINT USDEL USNATO USUN USEC USOECD USIAEA
OADR DECL DECLAS GDS XGDS ADS RDS XDS IMPDET UNCLAS EFTO SECTO TOSEC BT NNNN ZFF
SUMMARY UNQUOTE QUOTE SUBJ REF REFS TAGS
"""
"""Telegraphese and fixed header words, from the cable format specification (sections 2.3-2.7)."""

_TOKEN = re.compile(r"[A-Z]+(?:'[A-Z]+)?")
_MARKUP_OPEN = re.compile(r"\[\[")
_MARKUP_CLOSE = re.compile(r"\|\|\s*\d+\s*\]\]")
_PAGE_LINE = re.compile(r"^\s*PAGE\s+\d+\b", re.IGNORECASE)
_BRACKETED = re.compile(r"\[[^\[\]]*\]")


def _lines_tokens(text: str) -> Iterator[list[str]]:
    """Upper-cased word tokens per line; page-header lines and editorial brackets dropped."""
    for line in text.replace("\u2019", "'").splitlines():
        if _PAGE_LINE.match(line):
            continue
        line = _BRACKETED.sub(" ", line)
        tokens = _TOKEN.findall(line.upper())
        if tokens:
            yield tokens


def _count(texts: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    unigrams: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for text in texts:
        for tokens in _lines_tokens(text):
            unigrams.update(tokens)
            bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return unigrams, bigrams


def _trigrams(texts: Iterable[str]) -> Counter[str]:
    """Word triples within a line, seen at least twice."""
    counts: Counter[str] = Counter()
    for text in texts:
        for t in _lines_tokens(text):
            counts.update(f"{a} {b} {c}" for a, b, c in zip(t, t[1:], t[2:], strict=False))
    return Counter({k: v for k, v in counts.items() if v >= 2})


_PUNCTUATED = re.compile(r"^[\"'(]*([A-Z]+)([.,;:]?)[\"')]*$")


def _period_counts(texts: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """How often each word is followed by a period, and how often one precedes it.

    Words are whitespace tokens with at most a quote or bracket around them and one
    punctuation mark after; a token ending in a period (``3.``, ``U.S.``) also marks the next
    word as coming after one (paragraph numbers start sentences too).
    """
    after: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for text in texts:
        previous_period = False
        for line in text.replace("\u2019", "'").splitlines():
            if _PAGE_LINE.match(line):
                continue
            for token in _BRACKETED.sub(" ", line).upper().split():
                match = _PUNCTUATED.match(token)
                if match is None:
                    previous_period = token.endswith(".")
                    continue
                word, mark = match.groups()
                if previous_period:
                    before[word] += 1
                if mark == ".":
                    after[word] += 1
                previous_period = mark == "."
    return after, before


def historylab_body(path: Path) -> str:
    """Plain body text of a History Lab file: after ``@@@``, ``[[``/``|| N]]`` markup removed."""
    raw = path.read_text(encoding="utf-8-sig", errors="replace")
    body = raw.split("@@@", 1)[1] if "@@@" in raw else raw
    body = _MARKUP_CLOSE.sub("", body)
    return _MARKUP_OPEN.sub("", body)


def read_jsonl(path: Path) -> list[dict[str, str]]:
    """Rows of a JSONL file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_documents(shared: Path) -> dict[str, str]:
    """Assign held-out documents: id -> ``test`` or ``calib`` (everything else trains)."""
    rng = random.Random(SEED)
    data = shared / "data"
    ids = sorted(row["id"] for row in read_jsonl(data / "cables/frus_telegrams_transcribed.jsonl"))
    rng.shuffle(ids)
    n_test = round(len(ids) * TEST_SHARE)
    n_calib = round(len(ids) * CALIB_SHARE)
    split = {doc: "test" for doc in ids[:n_test]}
    split.update({doc: "calib" for doc in ids[n_test : n_test + n_calib]})
    gt = data / "historylab-cables-ner-1973-79/gt"
    for folder, name in (("test", "test"), ("dev", "calib")):
        for path in sorted((gt / folder).rglob("*.txt")):
            split.setdefault(f"historylab:{path.stem}", name)
    return split


def _english() -> tuple[Counter[str], Counter[str]]:
    pkg = resources.files("symspellpy")
    uni: Counter[str] = Counter()
    for line in (pkg / "frequency_dictionary_en_82_765.txt").read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isalpha():
            uni[parts[0].upper()] += int(parts[1])
    bi: Counter[str] = Counter()
    for line in (pkg / "frequency_bigramdictionary_en_243_342.txt").read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].isalpha() and parts[1].isalpha():
            bi[f"{parts[0].upper()} {parts[1].upper()}"] += int(parts[2])
    return uni, bi


def _left_totals(bigrams: Counter[str]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for pair, count in bigrams.items():
        totals[pair.split(" ", 1)[0]] += count
    return totals


CHAR_ORDER = 4
"""Order of the character n-gram spelling model."""
CHAR_ALPHABET = 27
"""Letters A-Z and the end of a word: the base distribution of the spelling model."""


def _char_model(
    cable: Counter[str], english: Counter[str], vocab: set[str], names: set[str]
) -> dict[str, object]:
    """Character n-gram spelling model over word types, Witten-Bell interpolated.

    Types: cable words seen twice, English words, cable vocabulary and proper names (letters
    A-Z only). Stored in backoff form for ``Lexicon.spelling_logp``: the log probability of
    every seen n-gram of orders 1 to ``CHAR_ORDER`` (``^`` pads the start, ``$`` ends a word)
    and, for every seen history, the log weight it leaves to the shorter history.
    """
    types = {w for w, n in cable.items() if n >= 2}
    types.update(english)
    types.update(vocab)
    types.update(names)
    counts: Counter[str] = Counter()
    for word in types:
        if not re.fullmatch(r"[A-Z]+", word):
            continue
        padded = "^" * (CHAR_ORDER - 1) + word + "$"
        for i in range(CHAR_ORDER - 1, len(padded)):
            counts.update(padded[i - n + 1 : i + 1] for n in range(1, CHAR_ORDER + 1))
    total: Counter[str] = Counter()
    distinct: Counter[str] = Counter()
    for gram, count in counts.items():
        total[gram[:-1]] += count
        distinct[gram[:-1]] += 1
    prob: dict[str, float] = {}
    for gram in sorted(counts, key=len):  # shorter grams first: each one's lower order is known
        history = gram[:-1]
        lower = prob[gram[1:]] if history else 1 / CHAR_ALPHABET
        unseen = distinct[history]
        prob[gram] = (counts[gram] + unseen * lower) / (total[history] + unseen)
    return {
        "order": CHAR_ORDER,
        "alphabet": CHAR_ALPHABET,
        "grams": {g: round(math.log(p), 4) for g, p in sorted(prob.items())},
        "backoff": {
            h: round(math.log(distinct[h] / (total[h] + distinct[h])), 4) for h in sorted(total)
        },
    }


FRUS_MIN_BIGRAM = 3
"""The FRUS-wide bigram list keeps pairs seen at least this often; so do the counts left."""


def _tsv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter="\t")


def _frus_counts(data: Path, held_out: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """FRUS-wide unigram and bigram counts without the held-out telegrams.

    The lists count every FRUS document of the 16 volumes, the held-out telegrams included;
    their counts (same tokenization, which also counts the classification lines the lists
    skip, so never less) are subtracted. Bigrams keep the list's threshold after subtraction,
    so which pairs remain does not depend on the held-out texts.
    """
    held_uni, held_bi = _count(held_out)
    unigrams: Counter[str] = Counter()
    for row in _tsv_rows(data / "cables/wordfreq_frus_all.tsv"):
        count = int(row["count"]) - held_uni.get(row["token"], 0)
        if count > 0:
            unigrams[row["token"]] = count
    bigrams: Counter[str] = Counter()
    for row in _tsv_rows(data / "cables/bigrams_frus_all.tsv"):
        pair = f"{row['token1']} {row['token2']}"
        count = int(row["count"]) - held_bi.get(pair, 0)
        if count >= FRUS_MIN_BIGRAM:
            bigrams[pair] = count
    return unigrams, bigrams


def _vocabulary(data: Path) -> set[str]:
    """Cable vocabulary words: never corrected."""
    vocab: set[str] = set(CABLE_SHORTHAND.split())
    with (data / "cables/tags.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            vocab.add(row["code"].strip().upper())
    cablemap = data / "cable-vocab-cablemap"
    for name in ("subject-tags.txt", "organization-tags.txt", "acronyms.txt"):
        for line in (cablemap / name).read_text(encoding="utf-8").splitlines():
            word = line.strip().strip("()").upper()
            if word:
                vocab.add(word)
    for line in (cablemap / "route2name.csv").read_text(encoding="utf-8").splitlines():
        indicator, _, station = line.partition(",")
        vocab.add(indicator.strip().upper())
        vocab.update(w for w in _TOKEN.findall(station.upper()) if len(w) > 1)
    nara = data / "cable-vocab-nara-tags"
    for path in nara.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            head = line.strip().split()
            if head and re.fullmatch(r"[A-Z]{4}", head[0]):
                vocab.add(head[0])
    onto = data / "historylab-cables-ner-1973-79/gazetteer/governments.onto"
    for line in onto.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if re.fullmatch(r"GO[A-Z]{1,3}", word):
            vocab.add(word)
    return {v for v in vocab if v and " " not in v}


def _proper_names(rows: Iterable[dict[str, str]]) -> set[str]:
    """Capitalized words of the mixed-case FRUS texts never seen lower-case (not sentence start)."""
    capital: Counter[str] = Counter()
    lower: set[str] = set()
    for row in rows:
        for sentence in re.split(r"[.!?:]\s+|\n", row["text"]):
            words = re.findall(r"[A-Za-z]+", sentence)
            for word in words[1:]:
                if word[0].isupper() and word[1:].islower():
                    capital[word.upper()] += 1
                elif word.islower():
                    lower.add(word.upper())
    return {w for w, n in capital.items() if n >= 2 and w not in lower and len(w) > 2}


def build(shared: Path, out: Path) -> dict[str, object]:
    """Build every dictionary file into ``out``; returns a summary."""
    data = shared / "data"
    split = split_documents(shared)
    transcribed = read_jsonl(data / "cables/frus_telegrams_transcribed.jsonl")
    edited = read_jsonl(data / "cables/frus_telegrams_edited.jsonl")
    texts = [r["text"] for r in transcribed if r["id"] not in split]
    texts += [r["text"] for r in edited if r["id"] not in split]
    n_hl = 0
    for path in sorted((data / "historylab-cables-ner-1973-79/gt").rglob("*.txt")):
        if f"historylab:{path.stem}" not in split:
            texts.append(historylab_body(path))
            n_hl += 1
    cable_uni, cable_bi = _count(texts)
    cable_bi = Counter({k: v for k, v in cable_bi.items() if v >= 2})
    cable_tri = _trigrams(texts)
    period_after, period_before = _period_counts(texts)
    frus_uni, frus_bi = _frus_counts(data, [r["text"] for r in transcribed if r["id"] in split])
    en_uni, en_bi = _english()
    vocab = _vocabulary(data)
    names = _proper_names(edited)
    payload = {
        "version": FORMAT_VERSION,
        "cable_unigrams": dict(cable_uni),
        "cable_bigrams": dict(cable_bi),
        "cable_trigrams": dict(cable_tri),
        "period_after": dict(period_after),
        "period_before": dict(period_before),
        "english_unigrams": dict(en_uni),
        "english_bigrams": dict(en_bi),
        "english_left": dict(_left_totals(en_bi)),
        "frus_unigrams": dict(frus_uni),
        "frus_bigrams": dict(frus_bi),
        "char_model": _char_model(cable_uni, en_uni, vocab, names),
        "vocabulary": sorted(vocab),
        "names": sorted(names),
        "protected": [],
    }
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "lexicon.pkl.gz", "wb", compresslevel=9) as handle:
        pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
    lines = ["# id<TAB>split (test = evaluation, calib = calibration fit); never counted"]
    lines += [f"{doc}\t{name}" for doc, name in sorted(split.items())]
    (out / "heldout_ids.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "training_documents": len(texts),
        "historylab_training_files": n_hl,
        "heldout": Counter(split.values()),
        "cable_unigrams": len(cable_uni),
        "cable_tokens": sum(cable_uni.values()),
        "cable_bigrams": len(cable_bi),
        "cable_trigrams": len(cable_tri),
        "periods": sum(period_after.values()),
        "frus_tokens": sum(frus_uni.values()),
        "frus_bigrams": len(frus_bi),
        "english_unigrams": len(en_uni),
        "english_bigrams": len(en_bi),
        "vocabulary": len(vocab),
        "names": len(names),
        "size_bytes": (out / "lexicon.pkl.gz").stat().st_size,
    }


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """``--data DIR`` (``args.shared``): the folder holding data/, default ../shared."""
    parser.add_argument(
        "--data",
        dest="shared",
        metavar="DIR",
        type=Path,
        default=Path(__file__).resolve().parent.parent.parent / "shared",
        help="folder holding data/ (cable texts, vocabularies, benchmarks); default ../shared",
    )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_argument(parser)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "dictionaries"
    )
    args = parser.parse_args()
    summary = build(args.shared, args.out)
    for key, value in summary.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()

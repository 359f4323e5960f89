#!/usr/bin/env python3
"""Write the lookup tables under crates/ftm/data/types/ that the Rust property types embed.

Every table is read from the installed reference packages (followthemoney 4.11.2, rigour,
python-stdnum, phonenumbers, babel), never typed in by hand, so that regenerating after an
upgrade is one command:

    /var/tmp/ftmvenv/bin/python crates/ftm/tools/gen_types.py crates/ftm/data/types \
        crates/ftm/tests/data/territory_keys.tsv

All files are UTF-8, tab-separated, one record a line, no header; `-` stands for "none".
The Rust side (`src/types/data.rs`) documents each layout again where it parses it.
"""

import os
import sys
import unicodedata

from babel import Locale
from phonenumbers import SUPPORTED_REGIONS
from rigour._core import territories_jsonl
from rigour.data import iter_jsonl_text
from rigour.data.langs.iso639 import ISO3_ALL, ISO3_MAP
from rigour.langs.synonyms import NON_LANGS
from rigour.mime.mappings import REPLACE
from rigour.mime.types import LABELS
from rigour.territories import get_territory, lookup_territory
from rigour.territories.lookup import _get_identifier_map, _get_territory_names
from rigour.territories.territory import get_index
from rigour.territories.util import normalize_territory_name
from rigour.text.scripts import can_latinize, text_scripts
from stdnum import bic, isin, numdb
from stdnum.util import _char_map

from followthemoney.types.gender import GenderType
from followthemoney.types.language import LanguageType
from followthemoney.types.topic import TopicType
from followthemoney.types.phone import _dialing_region


LANGUAGE_AWARE = {"Cyrillic", "Greek", "Armenian", "Georgian", "Hangul"}


def clean_field(value):
    value = str(value)
    assert "\t" not in value and "\n" not in value, value
    return value


def write(out_dir, name, rows):
    path = os.path.join(out_dir, name)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write("\t".join(clean_field(c) for c in row))
            fh.write("\n")
    print(f"{path}: {len(rows)} rows", file=sys.stderr)


def dial_region(code):
    try:
        return _dialing_region(code)
    except Exception:  # noqa: BLE001 - FtM raises InvalidData for these
        return "-"


def territories(out_dir):
    """territories.tsv: code, name, ftm country, alpha-3, other codes, phone region.

    `ftm country` is the FtM code the territory cleans to (itself, or its nearest FtM
    ancestor); alpha-3 and other codes are the aliases `get_territory` knows; the phone
    region is where FtM dials a national number given this territory as `format`.
    territory_ids.tsv: rigour's identifier index (alpha-3, other codes, lowercased QIDs)
    as alias and territory code, for the aliases that are not a territory's own code."""
    index = get_index()
    rows = []
    seen = set()
    for data in iter_jsonl_text(territories_jsonl()):
        t = index[data["code"]]
        if t.code in seen:
            continue
        seen.add(t.code)
        rows.append(
            (
                t.code,
                t.name,
                t.ftm_country or "-",
                t.alpha3 or "-",
                ",".join(t.other_codes) or "-",
                dial_region(t.code),
            )
        )
    write(out_dir, "territories.tsv", rows)
    ids = [(k, t.code) for k, t in _get_identifier_map().items() if k != t.code]
    write(out_dir, "territory_ids.tsv", ids)


def territory_names(out_dir):
    """territory_names.tsv: rigour's normalised name key and the FtM country it resolves to.

    This is rigour's own final name index (strong names, then weak names, then places, with
    its precedence rules already applied), so a key typed in ASCII resolves exactly as in
    Python. `-` marks a name of a territory that has no FtM country (it must still shadow
    weaker names)."""
    rows = []
    for key, t in _get_territory_names().items():
        rows.append((key, t.ftm_country or "-"))
    write(out_dir, "territory_names.tsv", rows)


def territory_native_names(out_dir):
    """territory_native.tsv: names that are not plain ASCII, verbatim, and what FtM makes of them.

    rigour transliterates Cyrillic, Greek, Armenian, Georgian and Hangul names with
    language-aware rules before keying them; our transliteration differs in places, so
    the Rust side also keys these names with its own normaliser. The second column is
    FtM's cleaning of exactly that name (`-`: refused), which the Rust tests check.
    Latin names with diacritics and names in scripts rigour does not transliterate key
    the same way on both sides and are left out."""
    rows = []
    seen = set()
    for data in iter_jsonl_text(territories_jsonl()):
        names = list(data.get("names_strong", []))
        names += [data["name"], data.get("full_name", data["name"])]
        names += data.get("names_weak", []) + data.get("places", [])
        for name in names:
            if name.isascii() or name in seen:
                continue
            if not (text_scripts(name) & LANGUAGE_AWARE) or not can_latinize(name):
                continue
            if "\t" in name or "\n" in name:
                continue
            seen.add(name)
            t = lookup_territory(name)
            rows.append((name, (t.ftm_country if t else None) or "-"))
    write(out_dir, "territory_native.tsv", rows)


def languages(out_dir):
    """languages.tsv: FtM's language codes and their English labels.
    language_keys.tsv: every rigour ISO 639 key (code, name, synonym) that resolves to a
    language code, with that code; only keys whose code is one of FtM's or whose key holds
    a `-`/`_` (those would otherwise fall back to their first subtag) are kept."""
    ftm = set(LanguageType.LANGUAGES)
    labels = LanguageType()._locale_names(Locale.parse("en"))
    write(out_dir, "languages.tsv", [(c, labels[c]) for c in LanguageType.LANGUAGES])
    rows = []
    for key, code in ISO3_MAP.items():
        if code not in ISO3_ALL or code in NON_LANGS:
            continue
        if code in ftm:
            rows.append((key, code))
        elif "-" in key or "_" in key:
            rows.append((key, "-"))
    write(out_dir, "language_keys.tsv", sorted(rows))


def enums(out_dir):
    """topics.tsv: code and label. genders.tsv: `=` code label rows, then `>` alias code."""
    labels = TopicType()._locale_names(Locale.parse("en"))
    write(out_dir, "topics.tsv", [(k, v) for k, v in labels.items()])
    gender = GenderType()
    rows = [("=", k, v) for k, v in gender._locale_names(Locale.parse("en")).items()]
    rows += [(">", k, v) for k, v in GenderType.LOOKUP.items()]
    write(out_dir, "genders.tsv", rows)


def mimetypes(out_dir):
    """mimetypes.tsv: `>` replaced type and its replacement; `=` type and its label."""
    rows = [(">", k, v) for k, v in REPLACE.items()]
    rows += [("=", k, v) for k, v in LABELS.items()]
    write(out_dir, "mimetypes.tsv", rows)


def identifiers(out_dir):
    """ids.tsv: the reference tables of the identifier validators (python-stdnum).

    `iban CC structure`: BBAN structure per IBAN country; `isin CC`, `bic CC`: the country
    prefixes each accepts; `bebank NNN`: Belgian bank codes with a registry entry;
    `char CODEPOINT ASCII`: stdnum's folding of look-alike characters before compacting."""
    rows = []
    ibandb = numdb.get("iban")
    for line in open(os.path.join(os.path.dirname(numdb.__file__), "iban.dat")):
        if line.startswith("#") or not line.strip():
            continue
        cc = line.split()[0]
        props = ibandb.info(cc)[0][1]
        if props and props.get("bban"):
            rows.append(("iban", cc, props["bban"]))
    for cc in sorted(isin._country_codes):
        rows.append(("isin", cc))
    for cc in sorted(bic._country_codes):
        rows.append(("bic", cc))
    banks = numdb.get("be/banks")
    for n in range(1000):
        code = f"{n:03d}"
        if banks.info(code)[0][1]:
            rows.append(("bebank", code))
    for char, repl in sorted(_char_map.items()):
        if char != repl:
            rows.append(("char", f"{ord(char):04X}", repl))
    write(out_dir, "ids.tsv", rows)


def territory_fixture(path):
    """A test fixture (not embedded): every non-ASCII territory name and rigour's key for
    it, so the Rust tests can measure how closely our name normaliser follows rigour's."""
    rows = []
    seen = set()
    for data in iter_jsonl_text(territories_jsonl()):
        names = list(data.get("names_strong", []))
        names += [data["name"], data.get("full_name", data["name"])]
        names += data.get("names_weak", []) + data.get("places", [])
        for name in names:
            if name in seen or name.isascii() or "\t" in name or "\n" in name:
                continue
            seen.add(name)
            rows.append((name, normalize_territory_name(name)))
    write(os.path.dirname(path), os.path.basename(path), rows)


def idna_tables(out_dir):
    """idna.tsv: IDNA 2008 tables of the `idna` package that FtM's e-mail cleaning uses:
    `class NAME FIRST LAST` code point classes (PVALID, CONTEXTJ, CONTEXTO), `script NAME
    FIRST LAST` and `joining TYPE FIRST LAST` ranges for the contextual rules, all as
    inclusive hexadecimal ranges."""
    import idna.idnadata as idnadata

    def ranges(packed):
        for value in packed:
            yield f"{value >> 32:X}", f"{(value & 0xFFFFFFFF) - 1:X}"

    rows = []
    for name in ("PVALID", "CONTEXTJ", "CONTEXTO"):
        for lo, hi in ranges(idnadata.codepoint_classes[name]):
            rows.append(("class", name, lo, hi))
    for name in ("Greek", "Han", "Hebrew", "Hiragana", "Katakana"):
        for lo, hi in ranges(idnadata.scripts[name]):
            rows.append(("script", name, lo, hi))
    for name, packed in sorted(idnadata.joining_types.items()):
        for lo, hi in ranges(packed):
            rows.append(("joining", name, lo, hi))
    write(out_dir, "idna.tsv", rows)


def transliteration(out_dir):
    """translit.tsv: rigour's ASCII transliteration of single characters (hex code point,
    output, possibly empty) for the Latin, Cyrillic, Greek, Armenian and Georgian scripts
    and for shared punctuation and marks, wherever it changes the character; what rigour's
    own table leaves alone goes through normality's ICU transliteration, as in rigour's
    `ascii_text`. rigour's Latin transliteration does not depend on context, so this
    reproduces it exactly; for the other scripts it is a context-free approximation."""
    import normality
    from rigour._core import codepoint_script, maybe_ascii

    scripts = {"Latin", "Common", "Inherited", "Cyrillic", "Greek", "Armenian", "Georgian"}
    rows = []
    for cp in range(0x80, 0x30000):
        if 0xD800 <= cp <= 0xDFFF or codepoint_script(cp) not in scripts:
            continue
        out = maybe_ascii(chr(cp))
        if not out.isascii():
            # rigour's `ascii_text` hands what `maybe_ascii` leaves to normality.
            out = normality.ascii_text(out)
        if out != chr(cp) and out.isascii():
            rows.append((f"{cp:X}", out))
    write(out_dir, "translit.tsv", rows)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "data/types"
    os.makedirs(out_dir, exist_ok=True)
    territories(out_dir)
    territory_names(out_dir)
    territory_native_names(out_dir)
    languages(out_dir)
    enums(out_dir)
    mimetypes(out_dir)
    identifiers(out_dir)
    idna_tables(out_dir)
    transliteration(out_dir)
    if len(sys.argv) > 2:
        territory_fixture(sys.argv[2])


if __name__ == "__main__":
    main()

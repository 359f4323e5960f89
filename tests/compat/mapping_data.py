"""Generated inputs for the mapping parity tests: CSV files and an SQLite database with messy
values (dates in several formats, national phone numbers, country names, empty and blank
cells, quoting, embedded newlines, non-ASCII text, typed SQL columns and NULLs)."""
import csv
import random
import sqlite3
from pathlib import Path

FIRST = ["Anna", "Boris", "Chloé", "Dmitri", "Émile", "Fatima", "Grégoire", "Hanna", "Ivan",
         "Józef", "Kateřina", "Léa", "Мария", "Nils", "Oğuz", "Priya", " Quinn", "Rafael"]
LAST = ["Smith", "Müller", "O'Brien", "Иванов", "García", "Nguyen", "van der Berg", "Øster",
        "Łukasz", "Dupont", "Kowalski", "Zhang", "Silva", "Jones", "Schmidt"]
COUNTRIES = ["United Kingdom", "Germany", "gb", "DE", "France", "Russia", "Narnia", "",
             "Cyprus", "British Virgin Islands", "panama", "  Malta  ", "UK", "Deutschland"]
FORMS = ["Ltd", "GmbH", "S.A.", "LLC", "plc", "", "Holdings Limited", "AG"]
WORDS = ["Acme", "Global", "Trading", "Nordic", "Shell", "Offshore", "Invest", "Baltic",
         "Zenith", "Orion", "Delta", "Sigma", "Атлант", "Союз", "Café"]
STATUSES = ["active", "dissolved", "in liquidation", "", "Active"]
ROLES = ["director", "secretary", "Director", "", "nominee director", "CEO"]


def _date(rng):
    """A date in one of the shapes registries really use, sometimes broken."""
    y, m, d = rng.randint(1950, 2023), rng.randint(1, 12), rng.randint(1, 28)
    shape = rng.randint(0, 7)
    if shape == 0:
        return f"{d:02d}/{m:02d}/{y}"
    if shape == 1:
        return f"{y}-{m:02d}-{d:02d}"
    if shape == 2:
        return f"{y}-{m:02d}"
    if shape == 3:
        return str(y)
    if shape == 4:
        return ""
    if shape == 5:
        return f"31/02/{y}"
    if shape == 6:
        return f"{d}.{m}.{y}"
    return f"{y}-{m:02d}-{d:02d}T10:{d:02d}:00"


def _phone(rng):
    shape = rng.randint(0, 5)
    if shape == 0:
        return f"020 7946 {rng.randint(0, 9999):04d}"
    if shape == 1:
        return f"+49 30 {rng.randint(100000, 999999)}"
    if shape == 2:
        return f"07700 900{rng.randint(0, 999):03d}"
    if shape == 3:
        return ""
    if shape == 4:
        return "n/a"
    return f"(0{rng.randint(1, 9)}) {rng.randint(1000000, 9999999)}"


def _email(rng, name):
    shape = rng.randint(0, 4)
    local = "".join(c for c in name.lower() if c.isascii() and c.isalnum()) or "info"
    if shape == 0:
        return f"{local}@example.com"
    if shape == 1:
        return f"{local.upper()}@Example.ORG"
    if shape == 2:
        return "not an email"
    if shape == 3:
        return ""
    return f" {local}@mail.example.co.uk "


def _company_name(rng):
    words = rng.sample(WORDS, rng.randint(1, 3))
    return " ".join(words + [rng.choice(FORMS)]).strip()


def _iban(rng):
    return rng.choice(["GB82WEST12345698765432", "DE89370400440532013000",
                       "GB82 WEST 1234 5698 7654 32", "XX00BOGUS", ""])


def companies(rng, n):
    rows = []
    for i in range(n):
        name = _company_name(rng)
        # Some duplicate registration numbers: the same company met twice.
        ident = f"C{rng.randint(1, n * 3 // 4):05d}" if i % 9 else ""
        rows.append({
            "id": ident,
            "name": name if i % 17 else "",
            "jurisdiction": rng.choice(COUNTRIES),
            "incorporated": _date(rng),
            "dissolved": _date(rng) if rng.random() < 0.2 else "",
            "status": rng.choice(STATUSES),
            "phone": _phone(rng),
            "email": _email(rng, name),
            "street": f"{rng.randint(1, 200)} {rng.choice(WORDS)} Street" if i % 5 else "",
            "city": rng.choice(["London", "Berlin", "Limassol", "Road Town", "", "Zürich"]),
            "postcode": rng.choice(["EC1A 1BB", "10115", "", "3035", "VG1110"]),
            "website": rng.choice(["https://example.com", "example.org/about", "", "ftp:/bad"]),
            "iban": _iban(rng),
            "lei": rng.choice(["5493001KJTIIGC8Y1R12", "", "bogus-lei", "529900T8BM49AURSDO55"]),
            "notes": rng.choice(["", "said \"hello\", then left", "line one\nline two",
                                 "  padded  ", "semi; colon", "tab\there"]),
            "kind": rng.choice(["company", "company", "trust", "partnership", ""]),
        })
    return rows


def people(rng, n, company_ids):
    rows = []
    for i in range(n):
        first = rng.choice(FIRST) if i % 13 else ""
        last = rng.choice(LAST) if i % 11 else ""
        rows.append({
            "person_id": f"P{i:05d}" if i % 10 else "",
            "first_name": first,
            "last_name": last,
            "birth_date": _date(rng),
            "nationality": rng.choice(COUNTRIES),
            "company_id": rng.choice(company_ids) if i % 7 else "",
            "role": rng.choice(ROLES),
            "start_date": _date(rng),
            "share": rng.choice(["25", "50.5", "", "100", "1/3", "0.1"]),
            "email": _email(rng, first + last),
            "phone": _phone(rng),
            "gender": rng.choice(["male", "female", "m", "F", "", "other", "unknown"]),
        })
    return rows


def write_csv(path: Path, rows, quoting=csv.QUOTE_MINIMAL):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), quoting=quoting)
        writer.writeheader()
        writer.writerows(rows)


def write_sqlite(path: Path, rng, companies_rows, people_rows):
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE company (
            id INTEGER PRIMARY KEY, reg_no TEXT, name VARCHAR(200), country TEXT,
            founded DATE, capital NUMERIC(12, 2), employees INTEGER, listed BOOLEAN,
            score REAL, updated DATETIME, status TEXT
        );
        CREATE TABLE person (
            id INTEGER PRIMARY KEY, first TEXT, last TEXT, born DATE, nationality TEXT,
            email TEXT, phone TEXT
        );
        CREATE TABLE directorship (
            person_id INTEGER, company_id INTEGER, role TEXT, since DATE, until TEXT
        );
        CREATE TABLE ownership (
            owner_id INTEGER, company_id INTEGER, percent REAL, shares INTEGER,
            currency TEXT, recorded DATETIME
        );
        """
    )
    for i, row in enumerate(companies_rows, start=1):
        founded = f"{rng.randint(1950, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        con.execute(
            "INSERT INTO company VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                i,
                row["id"] or None,
                row["name"] or None,
                row["jurisdiction"] or None,
                founded if i % 6 else None,
                round(rng.uniform(0, 1e6), 2) if i % 4 else rng.choice([0, 1000, None]),
                rng.randint(0, 5000) if i % 3 else None,
                rng.choice([0, 1, None]),
                rng.choice([0.5, 1.0, 2.25, 1e-7, 123456789.125, None]),
                f"{founded} 12:{i % 60:02d}:05" if i % 5 else None,
                row["status"] or None,
            ),
        )
    for i, row in enumerate(people_rows, start=1):
        born = f"{rng.randint(1930, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        con.execute(
            "INSERT INTO person VALUES (?,?,?,?,?,?,?)",
            (i, row["first_name"] or None, row["last_name"] or None,
             born if i % 5 else None, row["nationality"] or None,
             row["email"] or None, row["phone"] or None),
        )
    n_comp, n_people = len(companies_rows), len(people_rows)
    for _ in range(n_people):
        con.execute(
            "INSERT INTO directorship VALUES (?,?,?,?,?)",
            (rng.randint(1, n_people), rng.randint(1, n_comp + 5), rng.choice(ROLES) or None,
             f"{rng.randint(1990, 2023)}-{rng.randint(1, 12):02d}-01" if rng.random() < 0.8
             else None, rng.choice(["2024", "", None, "2020-05"])),
        )
    for _ in range(n_comp):
        con.execute(
            "INSERT INTO ownership VALUES (?,?,?,?,?,?)",
            (rng.randint(1, n_people), rng.randint(1, n_comp), rng.choice([25.0, 50.5, 100, None, 33.333]),
             rng.choice([100, 2500, None, 0]), rng.choice(["EUR", "GBP", "usd", None]),
             f"20{rng.randint(10, 23)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 08:30:00"),
        )
    con.commit()
    con.close()


def generate(directory: Path, n_companies=400, n_people=600, seed=8):
    """Write companies.csv, companies-more.csv, people.csv and registry.sqlite."""
    rng = random.Random(seed)
    comps = companies(rng, n_companies)
    company_ids = [c["id"] for c in comps if c["id"]]
    ppl = people(rng, n_people, company_ids)
    write_csv(directory / "companies.csv", comps[: n_companies // 2])
    # The second half quoted everywhere, with spaces after the commas (skipinitialspace).
    more = directory / "companies-more.csv"
    write_csv(more, comps[n_companies // 2:], quoting=csv.QUOTE_ALL)
    more.write_text(more.read_text(encoding="utf-8").replace('","', '", "'), encoding="utf-8")
    write_csv(directory / "people.csv", ppl)
    write_sqlite(directory / "registry.sqlite", rng, comps, ppl)

"""A company-officers register as CSV, for the mapping benchmark: one officer per row with
the company, dates in two shapes, national phone numbers, countries by name and e-mails.
Usage: gen_rows.py N > rows.csv"""
import csv
import random
import sys

FIRST = ["Anna", "Boris", "Chloé", "Dmitri", "Émile", "Fatima", "Hanna", "Ivan", "Józef", "Léa"]
LAST = ["Smith", "Müller", "O'Brien", "Иванов", "García", "Nguyen", "van der Berg", "Dupont"]
WORDS = ["Acme", "Global", "Trading", "Nordic", "Offshore", "Invest", "Baltic", "Zenith"]
FORMS = ["Ltd", "GmbH", "S.A.", "LLC", "plc", "AG"]
COUNTRIES = ["United Kingdom", "Germany", "Cyprus", "British Virgin Islands", "Panama", "gb"]


def main():
    n = int(sys.argv[1])
    rng = random.Random(1)
    out = csv.writer(sys.stdout)
    out.writerow(["company_id", "company_name", "jurisdiction", "incorporated", "address",
                  "officer_id", "first_name", "last_name", "birth_date", "nationality",
                  "role", "appointed", "phone", "email"])
    for i in range(n):
        company = rng.randint(1, n // 3 + 1)
        crng = random.Random(company)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        out.writerow([
            f"C{company:08d}",
            f"{crng.choice(WORDS)} {crng.choice(WORDS)} {crng.choice(FORMS)}",
            crng.choice(COUNTRIES),
            f"{crng.randint(1, 28):02d}/{crng.randint(1, 12):02d}/{crng.randint(1950, 2023)}",
            f"{crng.randint(1, 300)} High Street, London",
            f"P{rng.randint(1, n):08d}",
            first,
            last,
            f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            rng.choice(COUNTRIES),
            rng.choice(["director", "secretary", "nominee director"]),
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2023)}",
            f"020 7946 {rng.randint(0, 9999):04d}",
            f"{first.lower()}.{i}@example.com",
        ])


if __name__ == "__main__":
    main()

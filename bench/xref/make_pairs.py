#!/usr/bin/env python3
"""Generate a labelled set of FtM entity pairs for judging matchers (bench/xref/run.sh).

About 20,000 FtM records (Person, Company, Organization, LegalEntity) are emitted from
about 10,000 identities, each identity 1-4 times, every record written the way a
different source would write it: other transliterations (Aleksandr/Alexander/Oleksandr,
Al-Rashid/Alrashid), Cyrillic script, patronymics, middle names, initials, family name
first, ALL CAPS, typos, birth dates with less precision or day and month swapped,
legal-form spellings (Ltd/Limited, ООО/OOO/LLC, GmbH, S.A./SA), swapped words,
registration numbers with and without spaces, shared identifiers, e-mails and phones,
and missing fields. Some identities come with a twin made to be confused with them:
namesakes (another birth date, sometimes their own passport number), relatives sharing
a family name and an address, sister companies sharing a distinctive word, and
companies of the same name in another country (own registration number and legal
form). Truth: records of one identity share the id prefix `p-<cluster>-` or
`c-<cluster>-`.

The pair file (`left<TAB>right<TAB>label<TAB>kind`, 50,000 pairs by default) holds
every pair of records of one identity (`same`), every pair across an identity and its
twin (`namesake`, `relative`, `company-sibling`, `company-abroad`), pairs that share a
4-letter name-token prefix as a name-based candidate search would propose them
(`blocked`), and 10% uniformly random pairs within people or organisations (`random`).

Standard library only; the output depends only on --seed.

    python3 make_pairs.py --seed 101 --out /var/tmp/xref-bench/dev
"""

import argparse
import itertools
import json
import os
import random
import unicodedata

# --- Transliteration of Cyrillic, in the systems different sources use -------------------

BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}
SCHEMES = {
    # Passport / BGN-like (the most common in English sources).
    "bgn": {},
    # German sources.
    "de": {"в": "w", "ж": "sch", "з": "s", "й": "j", "х": "ch", "ц": "z", "ч": "tsch",
           "ш": "sch", "щ": "schtsch", "ю": "ju", "я": "ja", "е": "e", "ы": "y"},
    # French sources.
    "fr": {"ж": "j", "у": "ou", "х": "kh", "ч": "tch", "ш": "ch", "щ": "chtch",
           "ю": "iou", "я": "ia", "й": "i"},
    # Scholarly, with diacritics.
    "iso": {"ж": "ž", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "šč", "ю": "ju",
            "я": "ja", "й": "j", "ы": "y", "ё": "ë"},
    # Ukrainian national system.
    "ua": {"г": "h", "и": "y", "і": "i", "х": "kh", "й": "i", "ю": "iu", "я": "ia"},
}


def translit(text, scheme):
    table = dict(BASE)
    table.update(SCHEMES[scheme])
    out = []
    for ch in text:
        lower = ch.lower()
        if lower not in table:
            out.append(ch)
            continue
        rep = table[lower]
        if ch.isupper():
            rep = rep[:1].upper() + rep[1:]
        out.append(rep)
    word = "".join(out)
    # Old-style French endings of family names: "Smirnoff".
    if scheme == "fr" and word.endswith("ov"):
        word = word[:-2] + "off"
    return word


def translit_name(text, rng):
    scheme = rng.choices(["bgn", "de", "fr", "iso", "ua"], [60, 12, 10, 8, 10])[0]
    words = []
    for w in text.split(" "):
        t = translit(w, scheme)
        lw = w.lower()
        if scheme == "bgn" and (lw.endswith("ий") or lw.endswith("ый")):
            stem = t[:-2]
            t = stem + rng.choice(["iy", "y", "ii", "i"])
        words.append(t)
    return " ".join(words)


# --- People --------------------------------------------------------------------------

SLAVIC_MALE = ["Александр", "Дмитрий", "Сергей", "Юрий", "Михаил", "Андрей", "Алексей",
               "Николай", "Владимир", "Евгений", "Иван", "Пётр", "Олег", "Игорь", "Виктор",
               "Павел", "Максим", "Артём", "Роман", "Василий", "Григорий", "Константин",
               "Борис", "Геннадий", "Анатолий", "Вячеслав", "Станислав", "Леонид"]
SLAVIC_FEMALE = ["Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Мария", "Ирина",
                 "Екатерина", "Светлана", "Юлия", "Людмила", "Галина", "Марина", "Дарья",
                 "Ксения", "Вера", "Надежда", "Валентина"]
SLAVIC_LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов",
               "Новиков", "Морозов", "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев",
               "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов", "Воробьёв",
               "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов",
               "Киселёв", "Макаров", "Андреев", "Ковальчук", "Шевченко", "Бондаренко",
               "Ткаченко", "Коваленко", "Кравченко", "Олейник", "Щербаков", "Жуков",
               "Ходорковский", "Чайковский", "Мельник", "Гончаренко", "Руденко", "Лысенко",
               "Сидоренко", "Захарченко", "Дьяченко", "Абрамович", "Тимошенко", "Яковлев",
               "Григорьев", "Романов", "Воронин", "Герасимов", "Пономарёв", "Медведев",
               "Никитин", "Захаров", "Зуев", "Гусев", "Титов", "Кудрявцев", "Баранов"]
# Ukrainian forms of first names, which Ukrainian documents use ("Oleksandr", "Dmytro").
UKRAINIAN_FORMS = {"Александр": "Олександр", "Алексей": "Олексій", "Николай": "Микола",
                   "Владимир": "Володимир", "Михаил": "Михайло", "Сергей": "Сергій",
                   "Андрей": "Андрій", "Евгений": "Євген", "Дмитрий": "Дмитро",
                   "Пётр": "Петро", "Игорь": "Ігор", "Юрий": "Юрій", "Виктор": "Віктор",
                   "Павел": "Павло", "Василий": "Василь", "Елена": "Олена",
                   "Наталья": "Наталія", "Татьяна": "Тетяна", "Ирина": "Ірина",
                   "Екатерина": "Катерина", "Юлия": "Юлія"}
SLAVIC_FATHERS = ["Александр", "Дмитрий", "Сергей", "Михаил", "Андрей", "Алексей",
                  "Николай", "Владимир", "Иван", "Пётр", "Олег", "Игорь", "Виктор",
                  "Павел", "Василий", "Борис", "Юрий", "Анатолий", "Евгений"]

ANGLO_MALE = [("John", ["Jon"]), ("Michael", []), ("David", []), ("James", []),
              ("Robert", []), ("William", []), ("Richard", []), ("Thomas", []),
              ("Stephen", ["Steven"]), ("Christopher", []), ("Daniel", []),
              ("Matthew", ["Mathew"]), ("Andrew", []), ("Mark", ["Marc"]), ("Paul", []),
              ("Peter", []), ("George", []), ("Edward", []), ("Brian", ["Bryan"]),
              ("Anthony", ["Antony"]), ("Kevin", []), ("Jeffrey", ["Geoffrey"])]
ANGLO_FEMALE = [("Mary", []), ("Patricia", []), ("Jennifer", []), ("Elizabeth", []),
                ("Catherine", ["Katherine", "Kathryn"]), ("Sarah", ["Sara"]),
                ("Emma", []), ("Olivia", []), ("Sophie", ["Sophia"]), ("Charlotte", []),
                ("Jessica", []), ("Laura", []), ("Rebecca", ["Rebekah"]), ("Hannah", ["Hanna"])]
ANGLO_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
              "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson",
              "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker",
              "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams",
              "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
              "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris",
              "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey",
              "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson",
              "Brooks", "Bennett", "Gray", "Hughes", "Price", "Sanders", "Foster",
              "O'Brien", "McDonald", "MacLeod", "Fitzgerald", "Gallagher", "Sullivan"]
ANGLO_MIDDLE = ["James", "John", "Michael", "Anne", "Marie", "Louise", "Edward", "Alan",
                "Lee", "Ray", "Jane", "Rose", "William", "Thomas"]

ARABIC_MALE = [("Mohammed", ["Muhammad", "Mohamed", "Mohammad", "Muhammed"]),
               ("Ahmed", ["Ahmad"]), ("Ali", []), ("Omar", ["Umar"]),
               ("Hassan", ["Hasan"]), ("Hussein", ["Hussain", "Husain", "Hossein"]),
               ("Khalid", ["Khaled"]), ("Abdullah", ["Abdallah"]),
               ("Abdul Rahman", ["Abdulrahman", "Abdelrahman", "Abd al-Rahman"]),
               ("Youssef", ["Yusuf", "Yousef", "Yousif"]), ("Ibrahim", ["Ebrahim"]),
               ("Mahmoud", ["Mahmud"]), ("Mustafa", ["Mostafa", "Moustafa"]),
               ("Saeed", ["Said", "Sayed"]), ("Tariq", ["Tarek", "Tareq"]),
               ("Faisal", ["Faysal", "Feisal"]), ("Walid", ["Waleed"]),
               ("Rashid", ["Rasheed"]), ("Karim", ["Kareem"]), ("Jamal", ["Gamal"])]
ARABIC_FEMALE = [("Fatima", ["Fatma", "Fatimah"]), ("Aisha", ["Aysha", "Aicha"]),
                 ("Mariam", ["Maryam", "Meriem"]), ("Nour", ["Noor", "Nur"]),
                 ("Layla", ["Leila", "Laila"]), ("Zainab", ["Zeinab", "Zaynab"]),
                 ("Huda", ["Hoda"]), ("Amira", ["Ameera"])]
ARABIC_LAST = [("Al-Rashid", ["Alrashid", "Al Rashid", "El-Rashid", "Al-Rasheed"]),
               ("Al-Hassan", ["Alhassan", "Al Hasan", "El-Hassan"]),
               ("Al-Masri", ["Almasri", "El-Masry", "Al Masri"]),
               ("Haddad", ["Hadad"]), ("Khoury", ["Khouri", "Khuri", "Khoury"]),
               ("Nasser", ["Nasir", "Naser"]), ("Al-Sayed", ["Alsayed", "El-Sayed", "El Sayed"]),
               ("Hamdan", []), ("Saleh", ["Salih"]), ("Mansour", ["Mansur", "Mansoor"]),
               ("Qureshi", ["Kureshi", "Quraishi"]), ("Al-Farsi", ["Alfarsi", "Al Farsi"]),
               ("Abbas", []), ("Al-Tamimi", ["Altamimi", "Al Tamimi"]),
               ("Darwish", ["Darweesh"]), ("Aziz", []), ("Karimi", []), ("Rahman", []),
               ("Jaber", ["Jabir"]), ("Al-Amin", ["Alamin", "El-Amin"]),
               ("Suleiman", ["Sulaiman", "Soliman"]), ("Othman", ["Osman", "Uthman"]),
               ("Al-Zahrani", ["Alzahrani"]), ("Bakri", ["Bakry"]), ("Shami", ["Chami"])]

GERMAN_MALE = [("Hans", []), ("Peter", []), ("Klaus", []), ("Jürgen", ["Juergen", "Jurgen"]),
               ("Stefan", ["Stephan"]), ("Thomas", []), ("Michael", []), ("Andreas", []),
               ("Wolfgang", []), ("Uwe", []), ("Frank", []), ("Dieter", []), ("Günter", ["Guenter", "Gunther"]),
               ("Matthias", ["Mathias"]), ("Markus", ["Marcus"])]
GERMAN_FEMALE = [("Sabine", []), ("Petra", []), ("Monika", ["Monica"]), ("Ursula", []),
                 ("Claudia", []), ("Susanne", ["Susanna"]), ("Katrin", ["Kathrin", "Catrin"]),
                 ("Birgit", []), ("Andrea", []), ("Karin", ["Carin"])]
GERMAN_LAST = [("Müller", ["Mueller", "Muller"]), ("Schmidt", ["Schmitt", "Schmid"]),
               ("Schneider", []), ("Fischer", []), ("Weber", []),
               ("Meyer", ["Meier", "Maier", "Mayer"]), ("Wagner", []), ("Becker", []),
               ("Schulz", ["Schultz"]), ("Hoffmann", ["Hofmann"]),
               ("Schäfer", ["Schaefer", "Schafer"]), ("Koch", []), ("Bauer", []),
               ("Richter", []), ("Klein", []), ("Wolf", []), ("Schröder", ["Schroeder", "Schroder"]),
               ("Neumann", []), ("Schwarz", []), ("Zimmermann", []), ("Braun", []),
               ("Krüger", ["Krueger", "Kruger"]), ("Hartmann", []), ("Lange", []),
               ("Krause", []), ("Lehmann", []), ("Köhler", ["Koehler", "Kohler"]),
               ("Weiß", ["Weiss"]), ("Vogel", []), ("Jäger", ["Jaeger"])]

HISPANIC_MALE = [("José", ["Jose"]), ("Juan", []), ("Carlos", []), ("Luis", ["Luiz"]),
                 ("Miguel", []), ("Javier", ["Xavier"]), ("Antonio", []), ("Francisco", []),
                 ("Manuel", []), ("Pedro", []), ("Jorge", []), ("Alejandro", []),
                 ("Fernando", []), ("Rafael", [])]
HISPANIC_FEMALE = [("María", ["Maria"]), ("Carmen", []), ("Ana", []), ("Lucía", ["Lucia"]),
                   ("Isabel", ["Isabella"]), ("Sofía", ["Sofia"]), ("Elena", []),
                   ("Paula", []), ("Marta", ["Martha"])]
HISPANIC_LAST = [("García", ["Garcia"]), ("Rodríguez", ["Rodriguez"]),
                 ("Martínez", ["Martinez"]), ("López", ["Lopez"]),
                 ("González", ["Gonzalez", "Gonzales"]), ("Pérez", ["Perez"]),
                 ("Sánchez", ["Sanchez"]), ("Ramírez", ["Ramirez"]), ("Torres", []),
                 ("Flores", []), ("Rivera", []), ("Gómez", ["Gomez"]), ("Díaz", ["Diaz"]),
                 ("Cruz", []), ("Morales", []), ("Ortiz", []), ("Gutiérrez", ["Gutierrez"]),
                 ("Silva", []), ("Santos", []), ("Oliveira", ["Oliviera"]),
                 ("Souza", ["Sousa"]), ("Pereira", []), ("Costa", []), ("Ferreira", []),
                 ("Herrera", []), ("Medina", []), ("Castillo", []), ("Vargas", [])]

CHINESE_GIVEN = ["Wei", "Fang", "Lei", "Jun", "Ming", "Hui", "Yan", "Jing", "Xiaoming",
                 "Jianguo", "Li", "Na", "Qiang", "Yong", "Jie", "Tao", "Hong", "Xin",
                 "Hao", "Lin", "Yu", "Chen", "Bo", "Xiaoli", "Guang"]
CHINESE_FAMILY = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu",
                  "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo"]

CULTURES = {
    "slavic": (30, ["ru", "ru", "ru", "ua", "ua", "by", "kz"]),
    "anglo": (24, ["gb", "us", "us", "ca", "au", "ie"]),
    "arabic": (14, ["ae", "sa", "eg", "jo", "lb", "qa"]),
    "german": (12, ["de", "de", "at", "ch"]),
    "hispanic": (12, ["es", "mx", "ar", "co", "pt", "br"]),
    "chinese": (8, ["cn", "cn", "hk", "sg", "tw"]),
}

EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "mail.ru", "yandex.ru", "outlook.com",
                 "hotmail.com", "gmx.de", "web.de", "protonmail.com", "icloud.com"]
PHONE_PREFIX = {"ru": "+7 9", "ua": "+380 6", "by": "+375 29", "kz": "+7 7", "gb": "+44 7",
                "us": "+1 202", "ca": "+1 416", "au": "+61 4", "ie": "+353 8", "ae": "+971 5",
                "sa": "+966 5", "eg": "+20 10", "jo": "+962 7", "lb": "+961 3", "qa": "+974 5",
                "de": "+49 151", "at": "+43 664", "ch": "+41 79", "es": "+34 6", "mx": "+52 55",
                "ar": "+54 11", "co": "+57 3", "pt": "+351 9", "br": "+55 11", "cn": "+86 13",
                "hk": "+852 9", "sg": "+65 9", "tw": "+886 9", "cy": "+357 9", "nl": "+31 6",
                "fr": "+33 6", "vg": "+1 284", "pa": "+507 6"}


def ascii_fold(text):
    """What an ASCII-only source writes: accents dropped, ß as ss."""
    text = text.replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slavic_female_last(last):
    if last.endswith("ский"):
        return last[:-4] + "ская"
    if last.endswith(("ов", "ев", "ёв", "ин")):
        return last + "а"
    return last


def slavic_patronymic(father, female):
    stem = father
    if father.endswith("ий"):
        stem = father[:-2]
        suffix = "ьевна" if female else "ьевич"
        return stem + suffix
    if father.endswith("ей"):
        stem = father[:-2]
        return stem + ("еевна" if female else "еевич")
    if father.endswith("ь"):
        stem = father[:-1]
        return stem + ("евна" if female else "евич")
    if father == "Пётр":
        stem = "Петр"
    return stem + ("овна" if female else "ович")


def random_date(rng, start, end):
    year = rng.randint(start, end)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return year, month, day


def make_person(rng, cluster):
    culture = rng.choices(list(CULTURES), [c[0] for c in CULTURES.values()])[0]
    countries = CULTURES[culture][1]
    female = rng.random() < 0.4
    ident = {"kind": "person", "culture": culture, "female": female, "cluster": cluster}
    if culture == "slavic":
        ident["first"] = rng.choice(SLAVIC_FEMALE if female else SLAVIC_MALE)
        last = rng.choice(SLAVIC_LAST)
        ident["last"] = slavic_female_last(last) if female else last
        ident["patronymic"] = slavic_patronymic(rng.choice(SLAVIC_FATHERS), female)
    elif culture == "anglo":
        ident["first"] = rng.choice(ANGLO_FEMALE if female else ANGLO_MALE)
        ident["last"] = (rng.choice(ANGLO_LAST), [])
        if rng.random() < 0.4:
            ident["middle"] = rng.choice(ANGLO_MIDDLE)
    elif culture == "arabic":
        ident["first"] = rng.choice(ARABIC_FEMALE if female else ARABIC_MALE)
        ident["last"] = rng.choice(ARABIC_LAST)
        if rng.random() < 0.3:
            ident["middle"] = rng.choice(ARABIC_MALE)[0]
    elif culture == "german":
        ident["first"] = rng.choice(GERMAN_FEMALE if female else GERMAN_MALE)
        ident["last"] = rng.choice(GERMAN_LAST)
    elif culture == "hispanic":
        ident["first"] = rng.choice(HISPANIC_FEMALE if female else HISPANIC_MALE)
        ident["last"] = rng.choice(HISPANIC_LAST)
        if rng.random() < 0.5:
            ident["last2"] = rng.choice(HISPANIC_LAST)
    else:
        ident["first"] = (rng.choice(CHINESE_GIVEN), [])
        ident["last"] = (rng.choice(CHINESE_FAMILY), [])
    ident["birth"] = random_date(rng, 1940, 2000) if rng.random() < 0.95 else None
    ident["country"] = rng.choice(countries)
    if rng.random() < 0.2:
        ident["passport"] = "%s%07d" % ("".join(rng.choice("ABCEHKMPTX") for _ in range(2)), rng.randint(0, 9999999))
    if rng.random() < 0.15:
        ident["email"] = None  # filled from the name once written
    if rng.random() < 0.12:
        ident["phone"] = PHONE_PREFIX[ident["country"]] + " %03d %04d" % (rng.randint(0, 999), rng.randint(0, 9999))
    if rng.random() < 0.1:
        ident["address"] = random_address(rng, ident["country"])
    return ident


def relative_of(rng, ident, cluster):
    """Another person of the same family: same family name and address, other first
    name and birth date."""
    other = dict(ident)
    other["cluster"] = cluster
    other["female"] = not ident["female"] if rng.random() < 0.5 else ident["female"]
    culture = ident["culture"]
    female = other["female"]
    if culture == "slavic":
        base_last = ident["last"][:-1] if ident["female"] and ident["last"].endswith(("ова", "ева", "ёва", "ина")) else ident["last"]
        if ident["female"] and ident["last"].endswith("ская"):
            base_last = ident["last"][:-4] + "ский"
        other["last"] = slavic_female_last(base_last) if female else base_last
        other["first"] = rng.choice(SLAVIC_FEMALE if female else SLAVIC_MALE)
        other["patronymic"] = slavic_patronymic(rng.choice(SLAVIC_FATHERS), female)
    else:
        pools = {"anglo": (ANGLO_FEMALE, ANGLO_MALE), "arabic": (ARABIC_FEMALE, ARABIC_MALE),
                 "german": (GERMAN_FEMALE, GERMAN_MALE), "hispanic": (HISPANIC_FEMALE, HISPANIC_MALE)}
        if culture in pools:
            other["first"] = rng.choice(pools[culture][0] if female else pools[culture][1])
        else:
            other["first"] = (rng.choice(CHINESE_GIVEN), [])
    other.pop("middle", None)
    other["birth"] = random_date(rng, 1940, 2005)
    other.pop("passport", None)
    other.pop("email", None)
    other.pop("phone", None)
    ident["strict"] = other["strict"] = True
    return other


def namesake_of(rng, ident, cluster):
    """A different person with the same name: another birth date (a conflicting year, or
    the same year with another day), maybe another country, and sometimes a passport of
    their own, which conflicts with the first person's."""
    other = dict(ident)
    other["cluster"] = cluster
    other["birth"] = random_date(rng, 1940, 2000)
    if ident.get("birth") and rng.random() < 0.3:
        year, month, day = ident["birth"]
        other["birth"] = (year, rng.choice([m for m in range(1, 13) if m != month]), day)
    if rng.random() < 0.5:
        other["country"] = rng.choice(CULTURES[ident["culture"]][1])
    for key in ("passport", "email", "phone", "address"):
        other.pop(key, None)
    if rng.random() < 0.4:
        other["passport"] = "%s%07d" % ("".join(rng.choice("ABCEHKMPTX") for _ in range(2)), rng.randint(0, 9999999))
    # Records of both always carry what tells them apart: a namesake pair with nothing
    # but a name is a coin toss for every matcher, not a test.
    ident["strict"] = other["strict"] = True
    return other


def pick_variant(rng, entry, p_variant=0.35):
    canonical, variants = entry
    if variants and rng.random() < p_variant:
        return rng.choice(variants)
    return canonical


def typo(rng, word):
    """One slip of the keyboard inside a word (never its first letter)."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randint(1, len(word) - 2)
    op = rng.choice(["swap", "drop", "replace", "insert"])
    letters = "aeioulnrstmkdh"
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "replace":
        return word[:i] + rng.choice(letters) + word[i + 1:]
    return word[:i] + rng.choice(letters) + word[i:]


def apply_typo(rng, name):
    words = name.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return name
    i = rng.choice(candidates)
    words[i] = typo(rng, words[i])
    return " ".join(words)


def person_name(rng, ident):
    culture = ident["culture"]
    cyrillic = False
    if culture == "slavic":
        cyrillic = rng.random() < 0.3
        first, last, patronymic = ident["first"], ident["last"], ident["patronymic"]
        if ident["country"] == "ua" and first in UKRAINIAN_FORMS and rng.random() < 0.5:
            first = UKRAINIAN_FORMS[first]
        with_patronymic = rng.random() < 0.4
        if not cyrillic:
            first = translit_name(first, rng)
            last = translit_name(last, rng)
            patronymic = translit_name(patronymic, rng)
        middle = patronymic if with_patronymic else None
    else:
        first = pick_variant(rng, ident["first"])
        last = pick_variant(rng, ident["last"])
        middle = None
        if ident.get("middle") and rng.random() < 0.5:
            middle = ident["middle"]
            if rng.random() < 0.4:
                middle = middle[0] + "."
        if culture == "hispanic" and ident.get("last2") and rng.random() < 0.6:
            last = last + " " + pick_variant(rng, ident["last2"])
        if culture == "german" and rng.random() < 0.3:
            first, last = ascii_fold(first), ascii_fold(last)
    form = rng.random()
    if culture == "chinese":
        parts = [last, first] if rng.random() < 0.6 else [first, last]
        name = " ".join(parts)
    elif form < 0.1 and not cyrillic:
        initial = first[0] + "."
        name = rng.choice([f"{initial} {last}", f"{last} {initial}", f"{first[0]} {last}"])
    elif form < 0.28:
        sep = rng.choice([", ", " "])
        rest = " ".join(p for p in [first, middle] if p)
        name = f"{last.upper() if rng.random() < 0.5 else last}{sep}{rest}"
    else:
        name = " ".join(p for p in [first, middle, last] if p)
    if rng.random() < 0.12:
        name = apply_typo(rng, name)
    if rng.random() < 0.1:
        name = name.upper()
    return name


def birth_value(rng, birth, strict=False):
    if birth is None:
        return None
    year, month, day = birth
    r = rng.random()
    if r < 0.15:
        if strict:
            return "%04d-%02d-%02d" % (year, month, day)
        return None
    if r < 0.3:
        return "%04d" % year
    if r < 0.35:
        return "%04d-%02d" % (year, month)
    if r < 0.40 and day <= 12 and day != month:
        return "%04d-%02d-%02d" % (year, day, month)
    return "%04d-%02d-%02d" % (year, month, day)


def spaced(rng, value):
    """A number as a different source writes it: spaced, dashed or run together."""
    r = rng.random()
    if r < 0.25 and len(value) > 5:
        cut = rng.randint(2, len(value) - 2)
        return value[:cut] + " " + value[cut:]
    if r < 0.35 and len(value) > 5:
        cut = rng.randint(2, len(value) - 2)
        return value[:cut] + "-" + value[cut:]
    return value


def emit_person(rng, ident, n):
    props = {}
    name = person_name(rng, ident)
    props["name"] = [name]
    if rng.random() < 0.1:
        props.setdefault("alias", []).append(person_name(rng, ident))
    strict = ident.get("strict", False)
    birth = birth_value(rng, ident["birth"], strict)
    if birth:
        props["birthDate"] = [birth]
    if rng.random() < 0.75:
        country = ident["country"]
        if rng.random() < 0.03:
            country = rng.choice(["gb", "us", "cy", "ch", "ae"])
        props["nationality"] = [country]
    if rng.random() < 0.5:
        props["gender"] = ["female" if ident["female"] else "male"]
    if ident.get("passport") and (strict or rng.random() < 0.5):
        props["passportNumber"] = [spaced(rng, ident["passport"])]
    if "email" in ident and rng.random() < 0.5:
        if ident["email"] is None:
            base = ascii_fold(translit_name(ident["first"], rng) if ident["culture"] == "slavic" else ident["first"][0]).lower()
            fam = ident["last"] if isinstance(ident["last"], str) else ident["last"][0]
            fam = ascii_fold(translit_name(fam, rng) if ident["culture"] == "slavic" else fam).lower()
            ident["email"] = "%s.%s%d@%s" % (base.replace(" ", ""), fam.replace(" ", "").replace("'", ""), rng.randint(1, 99), rng.choice(EMAIL_DOMAINS))
        props["email"] = [ident["email"]]
    if ident.get("phone") and rng.random() < 0.5:
        props["phone"] = [ident["phone"]]
    if ident.get("address") and rng.random() < 0.6:
        props["address"] = [ident["address"]]
    return {"id": "p-%05d-%d" % (ident["cluster"], n), "schema": "Person", "properties": props}


# --- Companies -----------------------------------------------------------------------

DISTINCT = ["Atlas", "Orion", "Zenith", "Horizon", "Summit", "Phoenix", "Delta", "Vector",
            "Sigma", "Nordic", "Baltic", "Caspian", "Pacific", "Alpine", "Crown", "Eagle",
            "Falcon", "Meridian", "Pinnacle", "Apex", "Vertex", "Quantum", "Nova", "Stellar",
            "Aurora", "Titan", "Polaris", "Everest", "Sterling", "Granite", "Harbor",
            "Silverline", "Bluewater", "Redstone", "Greenfield", "Oakwood", "Riverside",
            "Lakeshore", "Northgate", "Eastbridge", "Westbrook", "Southport", "Kingsway",
            "Highland", "Evergreen", "Goldcrest", "Ironclad", "Brightstar", "Clearview",
            "Trident", "Sapphire", "Emerald", "Onyx", "Cobalt", "Magnolia", "Cedar",
            "Monarch", "Regent", "Sovereign", "Paragon", "Vanguard", "Keystone", "Beacon"]
SYLLABLES = ["al", "tri", "zen", "vor", "ax", "lum", "tek", "nex", "sol", "var", "kor", "bel",
             "dra", "mir", "quo", "ster", "gal", "ven", "rix", "lo", "ma", "no", "sa", "to",
             "ri", "ka", "on", "ix", "ra", "el"]
GENERIC = ["Trading", "Holdings", "Group", "Invest", "Consulting", "Logistics", "Energy",
           "Capital", "Services", "Technologies", "Development", "Construction",
           "International", "Shipping", "Resources", "Partners", "Industries", "Media",
           "Pharma", "Foods", "Motors", "Finance", "Properties", "Ventures", "Systems"]
RU_WORDS = ["Ромашка", "Восток", "Сибирь", "Стройинвест", "Нефтегаз", "Промтех", "Агропром",
            "Техносервис", "Энергомаш", "Уралсталь", "Северсталь", "Мегаполис", "Альянс",
            "Прогресс", "Гарант", "Меридиан", "Капитал", "Интертрейд", "Транслес",
            "Металлинвест", "Спецстрой", "Стандарт", "Горизонт", "Вектор", "Орион",
            "Феникс", "Атлант", "Титан", "Эталон", "Квант", "Полюс", "Радуга", "Заря",
            "Рассвет", "Байкал", "Волга", "Дон", "Кубань", "Амур", "Енисей"]
RU_GENERIC = ["Групп", "Инвест", "Трейд", "Строй", "Сервис", "Холдинг"]

LEGAL = {
    "gb": [("llc", ["Ltd", "Limited", "LTD.", "Ltd."]), ("jsc", ["PLC", "plc", "Public Limited Company"])],
    "us": [("llc", ["LLC", "L.L.C.", "LLC"]), ("inc", ["Inc.", "Inc", "Incorporated", "Inc."]), ("corp", ["Corp.", "Corporation"])],
    "de": [("llc", ["GmbH", "G.m.b.H.", "GmbH", "Gesellschaft mit beschränkter Haftung"]), ("jsc", ["AG", "Aktiengesellschaft"])],
    "ru": [("llc", ["OOO", "ООО", "LLC", "Obshchestvo s ogranichennoy otvetstvennostyu", "Общество с ограниченной ответственностью"]),
           ("jsc", ["AO", "АО", "JSC", "Joint Stock Company", "Акционерное общество"])],
    "ua": [("llc", ["TOV", "ТОВ", "LLC"]), ("jsc", ["PAT", "ПАТ", "PJSC"])],
    "fr": [("jsc", ["SA", "S.A.", "Société Anonyme"]), ("llc", ["SARL", "S.A.R.L."])],
    "es": [("jsc", ["S.A.", "SA", "Sociedad Anónima"]), ("llc", ["S.L.", "SL", "Sociedad Limitada"])],
    "nl": [("llc", ["B.V.", "BV"]), ("jsc", ["N.V.", "NV"])],
    "ch": [("jsc", ["AG", "SA"]), ("llc", ["GmbH", "Sàrl"])],
    "cy": [("llc", ["Ltd", "Limited", "LTD"])],
    "ae": [("llc", ["LLC", "L.L.C.", "FZE", "FZ-LLC"])],
    "hk": [("llc", ["Limited", "Ltd", "Co., Limited", "Company Limited"])],
    "vg": [("llc", ["Ltd", "Limited"]), ("inc", ["Inc.", "Corp."])],
    "pa": [("jsc", ["S.A.", "SA", "Inc."])],
}
LEGAL_FIRST = {"ООО", "OOO", "АО", "AO", "TOV", "ТОВ", "PAT", "ПАТ", "Общество с ограниченной ответственностью", "Акционерное общество"}
COMPANY_COUNTRIES = ["gb", "gb", "us", "us", "de", "ru", "ru", "ua", "fr", "es", "nl", "ch",
                     "cy", "cy", "ae", "hk", "vg", "pa"]


def reg_number(rng, country):
    if country == "gb":
        return rng.choice(["%08d" % rng.randint(100000, 99999999), "SC%06d" % rng.randint(0, 999999)])
    if country == "de":
        return "%s %d" % (rng.choice(["HRB", "HRA"]), rng.randint(1000, 250000))
    if country == "ru":
        return "1%012d" % rng.randint(0, 999999999999)
    if country == "ua":
        return "%08d" % rng.randint(0, 99999999)
    if country == "fr":
        return "%09d" % rng.randint(100000000, 999999999)
    if country == "cy":
        return "HE%06d" % rng.randint(0, 999999)
    if country == "nl":
        return "%08d" % rng.randint(10000000, 99999999)
    if country == "us":
        return "%07d" % rng.randint(0, 9999999)
    return "%d" % rng.randint(10000, 9999999)


def invented_word(rng):
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return word.capitalize()


def random_address(rng, country):
    streets = ["Main Street", "High Street", "Church Road", "Park Avenue", "Station Road",
               "Lenina ulitsa", "Hauptstraße", "Calle Mayor", "King Street", "Mill Lane",
               "Sheikh Zayed Road", "Queensway", "Rue de la Paix", "Bahnhofstraße"]
    cities = {"gb": "London", "us": "New York", "de": "Berlin", "ru": "Moscow", "ua": "Kyiv",
              "fr": "Paris", "es": "Madrid", "nl": "Amsterdam", "ch": "Zurich", "cy": "Limassol",
              "ae": "Dubai", "hk": "Hong Kong", "vg": "Road Town", "pa": "Panama City"}
    city = cities.get(country, "Capital City")
    return "%d %s, %s" % (rng.randint(1, 250), rng.choice(streets), city)


def make_company(rng, cluster):
    country = rng.choice(COMPANY_COUNTRIES)
    ident = {"kind": "company", "cluster": cluster, "country": country}
    if country in ("ru", "ua"):
        words = [rng.choice(RU_WORDS)]
        if rng.random() < 0.4:
            words.append(rng.choice(RU_GENERIC))
        ident["cyrillic"] = True
    else:
        first = rng.choice(DISTINCT) if rng.random() < 0.6 else invented_word(rng)
        words = [first]
        if rng.random() < 0.25:
            words.append(rng.choice(DISTINCT + [invented_word(rng)]))
        if rng.random() < 0.7:
            words.append(rng.choice(GENERIC))
        ident["cyrillic"] = False
    ident["words"] = words
    ident["legal"] = rng.choice(LEGAL[country])
    ident["reg"] = reg_number(rng, country) if rng.random() < 0.8 else None
    if country == "ru" and rng.random() < 0.5:
        ident["inn"] = "%010d" % rng.randint(0, 9999999999)
    if rng.random() < 0.1:
        ident["lei"] = "%04d00%s%02d" % (rng.randint(1000, 9999), "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12)), rng.randint(10, 99))
    ident["incorporated"] = random_date(rng, 1990, 2023) if rng.random() < 0.7 else None
    if rng.random() < 0.3:
        ident["address"] = random_address(rng, country)
    if rng.random() < 0.15:
        ident["email"] = "info@%s.%s" % (ascii_fold(translit_name(words[0], rng)).lower().replace(" ", ""), rng.choice(["com", "net", "co.uk", "de", "ru"]))
    if rng.random() < 0.1:
        ident["phone"] = PHONE_PREFIX[country] + " %03d %04d" % (rng.randint(0, 999), rng.randint(0, 9999))
    return ident


def sibling_of(rng, ident, cluster):
    """A different company sharing the distinctive word: another line of business, legal
    form or country."""
    other = dict(ident)
    other["cluster"] = cluster
    words = list(ident["words"])
    r = rng.random()
    if r < 0.4 and not ident["cyrillic"]:
        generic = rng.choice(GENERIC)
        words = [words[0], generic] if len(words) > 1 else words + [generic]
    elif r < 0.6:
        other["country"] = rng.choice(COMPANY_COUNTRIES)
        if other["country"] in ("ru", "ua") and not ident["cyrillic"]:
            other["country"] = "gb"
        if other["country"] not in ("ru", "ua") and ident["cyrillic"]:
            other["country"] = "ua" if ident["country"] == "ru" else "ru"
    elif r < 0.75:
        words = words + [str(rng.randint(1, 9))]
    else:
        words = words + [rng.choice(RU_GENERIC if ident["cyrillic"] else GENERIC)]
    other["words"] = words
    other["legal"] = rng.choice(LEGAL[other["country"]])
    other["reg"] = reg_number(rng, other["country"]) if rng.random() < 0.8 else None
    other.pop("lei", None)
    other.pop("inn", None)
    other.pop("email", None)
    other.pop("phone", None)
    other["incorporated"] = random_date(rng, 1990, 2023) if rng.random() < 0.7 else None
    ident["strict"] = other["strict"] = True
    return other


def company_name(rng, ident):
    words = list(ident["words"])
    if ident["cyrillic"]:
        cyr = rng.random() < 0.4
        if not cyr:
            words = [translit_name(w, rng) for w in words]
    else:
        cyr = False
    if len(words) > 1 and rng.random() < 0.08:
        i = rng.randint(0, len(words) - 2)
        words[i], words[i + 1] = words[i + 1], words[i]
    generic = [w for w in words if w in GENERIC or w in RU_GENERIC]
    if len(words) > 1 and generic and rng.random() < 0.1:
        words.remove(rng.choice(generic))
    core = " ".join(words)
    if rng.random() < 0.08:
        core = apply_typo(rng, core)
    _, forms = ident["legal"]
    forms = [f for f in forms if cyr == any("\u0400" <= c <= "\u04ff" for c in f)] or [f for f in forms if not any("\u0400" <= c <= "\u04ff" for c in f)]
    legal = rng.choice(forms) if rng.random() < 0.9 else None
    if ident["cyrillic"] and rng.random() < 0.5:
        core = rng.choice(["«%s»", "\"%s\"", "%s"]) % core
    if legal is None:
        name = core
    elif legal in LEGAL_FIRST:
        name = "%s %s" % (legal, core)
    else:
        name = "%s%s %s" % (core, "," if rng.random() < 0.1 else "", legal)
    if rng.random() < 0.15:
        name = name.upper()
    return name


def emit_company(rng, ident, n):
    strict = ident.get("strict", False)
    props = {"name": [company_name(rng, ident)]}
    if rng.random() < 0.08:
        props["alias"] = [company_name(rng, ident)]
    if ident.get("reg") and (strict or rng.random() < 0.75):
        props["registrationNumber"] = [spaced(rng, ident["reg"])]
    if ident.get("inn") and rng.random() < 0.6:
        props["innCode"] = [ident["inn"]]
    if ident.get("lei") and rng.random() < 0.6:
        props["leiCode"] = [ident["lei"]]
    inc = ident.get("incorporated")
    if inc and rng.random() < 0.75:
        year, month, day = inc
        props["incorporationDate"] = ["%04d" % year if rng.random() < 0.25 else "%04d-%02d-%02d" % (year, month, day)]
    if strict or rng.random() < 0.8:
        props["jurisdiction"] = [ident["country"]]
    if ident.get("address") and rng.random() < 0.6:
        props["address"] = [ident["address"]]
    if ident.get("email") and rng.random() < 0.5:
        props["email"] = [ident["email"]]
    if ident.get("phone") and rng.random() < 0.5:
        props["phone"] = [ident["phone"]]
    schema = rng.choices(["Company", "Organization", "LegalEntity"], [70, 12, 18])[0]
    return {"id": "c-%05d-%d" % (ident["cluster"], n), "schema": schema, "properties": props}


# --- Assembly ------------------------------------------------------------------------

def generate(rng, total):
    """Records of `total` FtM entities, and the pairs of identities made to be confused
    (namesakes, relatives, sister companies, same-named companies abroad)."""
    records = []
    twins = []
    cluster = 0

    def emit(ident):
        count = rng.choices([1, 2, 3, 4], [40, 33, 17, 10])[0]
        for n in range(count):
            if len(records) >= total:
                break
            if ident["kind"] == "person":
                records.append(emit_person(rng, ident, n))
            else:
                records.append(emit_company(rng, ident, n))

    while len(records) < total:
        cluster += 1
        twin, kind = None, None
        if rng.random() < 0.61:
            ident = make_person(rng, cluster)
            r = rng.random()
            if r < 0.08:
                twin, kind = namesake_of(rng, ident, cluster + 1), "namesake"
            elif r < 0.12:
                twin, kind = relative_of(rng, ident, cluster + 1), "relative"
        else:
            ident = make_company(rng, cluster)
            r = rng.random()
            if r < 0.07:
                twin, kind = company_abroad_of(rng, ident, cluster + 1), "company-abroad"
            elif r < 0.14:
                twin, kind = sibling_of(rng, ident, cluster + 1), "company-sibling"
        # The twin is made first so that it can mark both identities strict before any
        # record of either is written.
        emit(ident)
        if twin is not None:
            cluster += 1
            emit(twin)
            twins.append((ident["cluster"], twin["cluster"], kind))
    return records, twins


def company_abroad_of(rng, ident, cluster):
    """A different company with the same name in another country: its own legal form,
    registration number and incorporation date."""
    other = dict(ident)
    other["cluster"] = cluster
    if ident["cyrillic"]:
        other["country"] = "ua" if ident["country"] == "ru" else "ru"
    else:
        other["country"] = rng.choice([c for c in COMPANY_COUNTRIES if c not in ("ru", "ua", ident["country"])])
    other["legal"] = rng.choice(LEGAL[other["country"]])
    other["reg"] = reg_number(rng, other["country"])
    other["incorporated"] = random_date(rng, 1990, 2023)
    for key in ("lei", "inn", "email", "phone", "address"):
        other.pop(key, None)
    if not ident.get("reg"):
        ident["reg"] = reg_number(rng, ident["country"])
    ident["strict"] = other["strict"] = True
    return other


def cluster_of(record_id):
    return record_id.rsplit("-", 1)[0]


def name_prefixes(record):
    prefixes = set()
    for name in record["properties"].get("name", []):
        for token in ascii_fold(name).lower().replace(",", " ").replace(".", " ").split():
            if len(token) >= 4:
                prefixes.add(token[:4])
    return prefixes


def make_pairs(rng, records, twins, total, random_share):
    """Labelled pairs, each with the reason it is in the set:

    - `same`: every pair of records of one identity;
    - `namesake`, `relative`, `company-abroad`, `company-sibling`: every pair across an
      identity and its twin (the hard negatives);
    - `blocked`: records that share a 4-letter name-token prefix within the same class,
      as a name-based candidate search would propose them;
    - `random`: uniformly random pairs within the same class (the easy negatives).
    """
    by_cluster = {}
    for r in records:
        by_cluster.setdefault(cluster_of(r["id"]), []).append(r["id"])
    pairs = {}

    def add(a, b, kind):
        key = (a, b) if a < b else (b, a)
        if a != b and key not in pairs:
            pairs[key] = "same" if cluster_of(a) == cluster_of(b) else kind

    for members in by_cluster.values():
        for a, b in itertools.combinations(members, 2):
            add(a, b, "same")
    prefix = {"p": "p-%05d", "c": "c-%05d"}
    for left, right, kind in twins:
        cls = "p" if kind in ("namesake", "relative") else "c"
        for a in by_cluster.get(prefix[cls] % left, []):
            for b in by_cluster.get(prefix[cls] % right, []):
                add(a, b, kind)
    ids = [r["id"] for r in records]
    by_class = {}
    for r in records:
        by_class.setdefault(r["id"][0], []).append(r["id"])
    index = {}
    for r in records:
        for p in name_prefixes(r):
            index.setdefault((r["id"][0], p), []).append(r["id"])
    by_id = {r["id"]: r for r in records}
    blocked_target = int(total * (1.0 - random_share))
    attempts = 0
    while len(pairs) < blocked_target and attempts < total * 50:
        attempts += 1
        r = by_id[rng.choice(ids)]
        prefixes = sorted(name_prefixes(r))
        if not prefixes:
            continue
        bucket = index[(r["id"][0], rng.choice(prefixes))]
        if len(bucket) >= 2:
            add(r["id"], rng.choice(bucket), "blocked")
    while len(pairs) < total:
        cls = by_class[rng.choice("pc")]
        add(rng.choice(cls), rng.choice(cls), "random")
    ordered = sorted(pairs.items())
    rng.shuffle(ordered)
    return [(a, b, int(kind == "same"), kind) for (a, b), kind in ordered]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--pairs", type=int, default=50000)
    parser.add_argument("--random-share", type=float, default=0.1,
                        help="share of uniformly random (easy) negative pairs")
    parser.add_argument("--out", required=True, help="output directory")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    records, twins = generate(rng, args.records)
    pairs = make_pairs(rng, records, twins, args.pairs, args.random_share) if args.pairs else []
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "entities.ftm.json"), "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "pairs.tsv"), "w", encoding="utf-8") as fh:
        for a, b, label, kind in pairs:
            fh.write("%s\t%s\t%d\t%s\n" % (a, b, label, kind))
    people = sum(1 for r in records if r["schema"] == "Person")
    clusters = len({cluster_of(r["id"]) for r in records})
    true_pairs = sum(1 for p in pairs if p[2])
    kinds = {}
    for p in pairs:
        kinds[p[3]] = kinds.get(p[3], 0) + 1
    print(json.dumps({
        "records": len(records), "people": people, "organisations": len(records) - people,
        "identities": clusters, "pairs": len(pairs), "true_pairs_in_file": true_pairs,
        "pair_kinds": kinds,
        "seed": args.seed,
    }))


if __name__ == "__main__":
    main()

//! Tables: CSV/TSV, XLSX, SQLite and DBF become Tables with a normalised CSV blob.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

#[path = "support/containers_util.rs"]
mod util;

use ingest::{ErrorClass, Format};
use util::{Run, child_id, ingest_bytes};

/// The normalised CSV kept for `table`, checked against its `csvHash`.
fn blob_of(run: &Run, table: &ftm::Entity) -> String {
    let hash = table.first("csvHash").expect("table has a csvHash");
    let (_, path) = run
        .sink
        .blobs
        .iter()
        .find(|(h, _)| h == hash)
        .expect("csvHash names a blob the sink received");
    String::from_utf8(std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn latin1_csv_with_a_quoted_newline() {
    let bytes = b"name;city;note\nJ\xfcrgen M\xfcller;M\xfcnchen;\"zwei\nZeilen; mit Semikolon\"\nFran\xe7ois Lef\xe8vre;Besan\xe7on;ok\n";
    let run = ingest_bytes("people.csv", bytes);
    assert_eq!(run.format(), Format::Csv);
    assert_eq!(run.schema(), "Table");
    let t = &run.entity;
    assert_eq!(t.get("rowCount"), ["3"]);
    assert_eq!(t.get("columns"), [r#"["Column 1","Column 2","Column 3"]"#]);
    assert_eq!(
        blob_of(&run, t),
        "\"name\",\"city\",\"note\"\n\"Jürgen Müller\",\"München\",\"zwei\nZeilen; mit Semikolon\"\n\"François Lefèvre\",\"Besançon\",\"ok\"\n"
    );
    let text = t.get("indexText").join("\n");
    assert!(
        text.contains("München") && text.contains("François Lefèvre"),
        "{text}"
    );
    assert!(text.contains("zwei\nZeilen; mit Semikolon"), "{text}");
}

#[test]
fn tsv_is_split_on_tabs() {
    let run = ingest_bytes(
        "ledger.tsv",
        b"date\tpayer\tamount\n2024-01-02\tAcme, Inc.\t1,000.00\n2024-01-03\tGlobex\t250\n",
    );
    assert_eq!(run.schema(), "Table");
    assert_eq!(run.entity.get("rowCount"), ["3"]);
    assert_eq!(
        blob_of(&run, &run.entity),
        "\"date\",\"payer\",\"amount\"\n\"2024-01-02\",\"Acme, Inc.\",\"1,000.00\"\n\"2024-01-03\",\"Globex\",\"250\"\n"
    );
}

#[test]
fn utf16_csv_with_bom() {
    let text = "a,b\nÄpfel,Birnen\n";
    let bytes: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let run = ingest_bytes("fruit.csv", &bytes);
    assert_eq!(
        blob_of(&run, &run.entity),
        "\"a\",\"b\"\n\"Äpfel\",\"Birnen\"\n"
    );
}

fn xlsx_two_sheets() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let mut book = Workbook::new();
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    let companies = book.add_worksheet();
    companies.set_name("Companies").unwrap();
    companies.write_string(0, 0, "Name").unwrap();
    companies.write_string(0, 1, "Capital").unwrap();
    companies.write_string(0, 2, "Founded").unwrap();
    companies
        .write_string(1, 0, "Offshore Holdings Ltd")
        .unwrap();
    companies.write_number(1, 1, 50000).unwrap();
    let founded = ExcelDateTime::parse_from_str("2015-06-30").unwrap();
    companies
        .write_datetime_with_format(1, 2, &founded, &date)
        .unwrap();
    companies.write_string(2, 0, "Briefkasten GmbH").unwrap();
    companies.write_number(2, 1, 12.5).unwrap();
    let people = book.add_worksheet();
    people.set_name("People").unwrap();
    people.write_string(0, 0, "Person").unwrap();
    people.write_string(0, 1, "Role").unwrap();
    people.write_string(1, 0, "Anna Schmidt").unwrap();
    people.write_string(1, 1, "Director").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_with_two_sheets() {
    let run = ingest_bytes("registry.xlsx", &xlsx_two_sheets());
    assert_eq!(run.format(), Format::Spreadsheet);
    assert_eq!(run.schema(), "Workbook");
    let tables = run.entities("Table");
    assert_eq!(tables.len(), 2);

    let companies = run.entity_where("Table", "title", "Companies");
    assert_eq!(
        companies.id(),
        Some(child_id(run.id(), "Companies").as_str())
    );
    assert_eq!(companies.get("parent"), [run.id()]);
    assert_eq!(companies.get("rowCount"), ["3"]);
    assert_eq!(
        blob_of(&run, companies),
        "\"Name\",\"Capital\",\"Founded\"\n\"Offshore Holdings Ltd\",\"50000\",\"2015-06-30\"\n\"Briefkasten GmbH\",\"12.5\"\n"
    );
    let people = run.entity_where("Table", "title", "People");
    assert_eq!(people.get("rowCount"), ["2"]);
    assert!(blob_of(&run, people).contains("\"Anna Schmidt\",\"Director\""));
    assert_ne!(companies.get("csvHash"), people.get("csvHash"));
    assert!(people.get("indexText").join(" ").contains("Anna Schmidt"));
}

#[test]
fn encrypted_office_workbook_fails_as_encrypted() {
    use std::io::Write;
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    file.create_stream("/EncryptionInfo")
        .unwrap()
        .write_all(&[4, 0, 4, 0])
        .unwrap();
    file.create_stream("/EncryptedPackage")
        .unwrap()
        .write_all(&[0u8; 64])
        .unwrap();
    file.flush().unwrap();
    let bytes = file.into_inner().into_inner();
    let run = ingest_bytes("secret.xlsx", &bytes);
    assert_eq!(
        run.error().class,
        ErrorClass::Encrypted,
        "{}",
        run.error().message
    );
}

#[test]
fn sqlite_with_two_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE companies (id INTEGER PRIMARY KEY, name TEXT, capital REAL);
             INSERT INTO companies VALUES (1, 'Offshore Holdings Ltd', 50000.5), (2, 'Briefkasten GmbH', NULL);
             CREATE TABLE \"board members\" (person TEXT, company_id INTEGER);
             INSERT INTO \"board members\" VALUES ('Anna Schmidt', 1);
             CREATE VIEW big AS SELECT * FROM companies WHERE capital > 1000;",
        )
        .unwrap();
    }
    let run = util::ingest_path(&path, "leak.sqlite", |_| {});
    assert_eq!(run.format(), Format::Sqlite);
    assert_eq!(run.schema(), "Workbook");
    assert_eq!(run.entities("Table").len(), 2, "views are not tables");
    let companies = run.entity_where("Table", "title", "companies");
    assert_eq!(companies.get("columns"), [r#"["id","name","capital"]"#]);
    assert_eq!(companies.get("rowCount"), ["2"]);
    assert_eq!(
        blob_of(&run, companies),
        "\"1\",\"Offshore Holdings Ltd\",\"50000.5\"\n\"2\",\"Briefkasten GmbH\",\"\"\n"
    );
    let members = run.entity_where("Table", "title", "board members");
    assert_eq!(
        members.id(),
        Some(child_id(run.id(), "board members").as_str())
    );
    assert_eq!(members.get("parent"), [run.id()]);
    assert_eq!(blob_of(&run, members), "\"Anna Schmidt\",\"1\"\n");
    // Nothing was written next to the database (no journal, no WAL).
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["db.sqlite"]);
}

#[test]
fn not_a_database_is_corrupt() {
    let run = ingest_bytes(
        "notes.sqlite",
        b"SQLite format 3\0 but the rest is not a database page at all",
    );
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
}

/// A dBase III table: header, field descriptors, records (one deleted), end marker.
fn dbf_bytes() -> Vec<u8> {
    let fields: [(&str, u8, u8); 4] = [
        ("NAME", b'C', 20),
        ("AMOUNT", b'N', 10),
        ("PAID", b'D', 8),
        ("OPEN", b'L', 1),
    ];
    let records: [(&[u8], bool); 3] = [
        (b"M\xfcller & S\xf6hne" as &[u8], false),
        (b"Deleted Corp", true),
        (b"Offshore Ltd", false),
    ];
    let record_len: u16 = 1 + fields.iter().map(|f| u16::from(f.2)).sum::<u16>();
    let header_len: u16 = 32 + 32 * fields.len() as u16 + 1;
    let mut out = vec![0x03, 124, 3, 1];
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&record_len.to_le_bytes());
    out.extend_from_slice(&[0u8; 17]);
    out.push(0x03); // language driver: windows-1252
    out.extend_from_slice(&[0u8; 2]);
    for (name, kind, len) in fields {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = kind;
        d[16] = len;
        out.extend_from_slice(&d);
    }
    out.push(0x0d);
    let values: [(&[u8], &[u8], &[u8]); 3] = [
        (b"   1500.50", b"20240301", b"T"),
        (b"        99", b"20200101", b"F"),
        (b"     42.00", b"        ", b"?"),
    ];
    for ((name, deleted), (amount, date, open)) in records.iter().zip(values) {
        out.push(if *deleted { b'*' } else { b' ' });
        out.extend_from_slice(name);
        out.extend(std::iter::repeat_n(b' ', 20 - name.len()));
        out.extend_from_slice(amount);
        out.extend_from_slice(date);
        out.extend_from_slice(open);
    }
    out.push(0x1a);
    out
}

#[test]
fn dbf_table() {
    let run = ingest_bytes("accounts.dbf", &dbf_bytes());
    assert_eq!(run.format(), Format::Dbf);
    assert_eq!(run.schema(), "Table");
    assert_eq!(
        run.entity.get("columns"),
        [r#"["NAME","AMOUNT","PAID","OPEN"]"#]
    );
    assert_eq!(run.entity.get("rowCount"), ["2"]);
    assert_eq!(
        blob_of(&run, &run.entity),
        "\"Müller & Söhne\",\"1500.50\",\"2024-03-01\",\"true\"\n\"Offshore Ltd\",\"42.00\",\"\",\"\"\n"
    );
}

#[test]
fn truncated_dbf_is_corrupt() {
    let run = ingest_bytes("broken.dbf", &dbf_bytes()[..20]);
    assert_eq!(run.error().class, ErrorClass::Corrupt);
}

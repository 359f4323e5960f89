//! Archives: Package, Folder tree with the right parents, child files, and hostile input.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

#[path = "support/containers_archives.rs"]
mod build;
#[path = "support/containers_util.rs"]
mod util;

use build::{Member, nested_tree};
use ingest::{ErrorClass, Format};
use util::{Run, child_id, ingest_bytes, ingest_bytes_with};
use zip::write::SimpleFileOptions;

/// The Folder/child structure of [`nested_tree`], checked member by member.
fn assert_nested_tree(run: &Run) {
    assert_eq!(run.schema(), "Package");
    let pkg = run.id();

    let docs = run.entity_where("Folder", "fileName", "docs");
    assert_eq!(docs.id(), Some(child_id(pkg, "docs").as_str()));
    assert_eq!(docs.get("parent"), [pkg]);
    let year = run.entity_where("Folder", "fileName", "2024");
    assert_eq!(year.id(), Some(child_id(pkg, "docs/2024").as_str()));
    assert_eq!(year.get("parent"), [docs.id().unwrap()]);
    let empty = run.entity_where("Folder", "fileName", "empty");
    assert_eq!(empty.get("parent"), [pkg]);
    assert_eq!(run.entities("Folder").len(), 3);

    let mut names = run.child_names();
    names.sort();
    assert_eq!(names, ["minutes.txt", "readme.txt", "report.txt"]);
    let readme = run.child("readme.txt");
    assert_eq!(readme.entity.get("parent"), [pkg]);
    assert_eq!(
        readme.entity.id(),
        Some(child_id(pkg, "readme.txt").as_str())
    );
    let report = run.child("report.txt");
    assert_eq!(report.entity.get("parent"), [docs.id().unwrap()]);
    assert_eq!(report.entity.schema().name(), "Document");
    let minutes = run.child("minutes.txt");
    assert_eq!(minutes.entity.get("parent"), [year.id().unwrap()]);
    assert_eq!(
        minutes.entity.id(),
        Some(child_id(pkg, "docs/2024/minutes.txt").as_str())
    );
    assert_eq!(
        run.child_bytes("minutes.txt"),
        b"minutes of the board meeting"
    );
    assert_eq!(
        run.child_bytes("report.txt"),
        b"quarterly report on shell companies"
    );
    for child in &run.sink.children {
        assert!(
            child.path.starts_with(&run.work_dir),
            "{:?} outside the work dir",
            child.path
        );
    }
}

#[test]
fn zip_with_nested_folders() {
    let bytes = build::zip_bytes(&nested_tree(), SimpleFileOptions::default());
    let run = ingest_bytes("bundle.zip", &bytes);
    assert_eq!(run.format(), Format::Zip);
    assert_nested_tree(&run);
}

#[test]
fn tar_with_nested_folders() {
    let run = ingest_bytes("bundle.tar", &build::tar_bytes(&nested_tree()));
    assert_eq!(run.format(), Format::Tar);
    assert_nested_tree(&run);
}

#[test]
fn tar_gz_tar_bz2_and_tar_xz_hold_the_tar_members() {
    let tar = build::tar_bytes(&nested_tree());
    for (name, bytes, format) in [
        ("bundle.tar.gz", build::gzip(&tar), Format::Gzip),
        ("bundle.tbz2", build::bzip2(&tar), Format::Bzip2),
        ("bundle.tar.xz", build::xz(&tar), Format::Xz),
    ] {
        let run = ingest_bytes(name, &bytes);
        assert_eq!(run.format(), format, "{name}");
        assert_nested_tree(&run);
    }
}

#[test]
fn single_compressed_files_become_a_package_of_one() {
    let text = b"name,amount\nAcme Holdings,100\n".repeat(50);
    for (name, bytes) in [
        ("ledger.csv.gz", build::gzip(&text)),
        ("ledger.csv.bz2", build::bzip2(&text)),
        ("ledger.csv.xz", build::xz(&text)),
    ] {
        let run = ingest_bytes(name, &bytes);
        assert_eq!(run.schema(), "Package", "{name}");
        assert_eq!(run.child_names(), ["ledger.csv"], "{name}");
        assert_eq!(run.child_bytes("ledger.csv"), text, "{name}");
        assert_eq!(run.sink.children[0].entity.get("parent"), [run.id()]);
        assert!(run.entities("Folder").is_empty());
    }
}

#[test]
fn seven_zip_with_nested_folders() {
    let run = ingest_bytes("bundle.7z", &build::sevenz_bytes(&nested_tree()));
    assert_eq!(run.format(), Format::SevenZip);
    assert_nested_tree(&run);
}

#[test]
fn rar_with_nested_folders() {
    let run = ingest_bytes("bundle.rar", &build::rar4_stored(&nested_tree()));
    assert_eq!(run.format(), Format::Rar);
    assert_nested_tree(&run);
}

#[test]
fn zip_names_in_dos_code_page_are_decoded() {
    // Written with an ASCII placeholder, then the name bytes patched to CP437 "Grüße"
    // (ü = 0x81, ß = 0xE1) with the UTF-8 flag clear, as old Windows tools do.
    let mut bytes = build::zip_bytes(
        &[Member::File("Gr__e.txt", b"hello")],
        SimpleFileOptions::default(),
    );
    let mut patched = 0;
    for i in 0..bytes.len() - 9 {
        if &bytes[i..i + 9] == b"Gr__e.txt" {
            bytes[i + 2] = 0x81;
            bytes[i + 3] = 0xe1;
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local header and central directory");
    let run = ingest_bytes("umlaut.zip", &bytes);
    assert_eq!(run.child_names(), ["Grüße.txt"]);
}

#[test]
fn encrypted_zip_fails_as_encrypted() {
    let aes = SimpleFileOptions::default().with_aes_encryption(zip::AesMode::Aes256, "secret");
    let bytes = build::zip_bytes(&[Member::File("plan.txt", b"the secret plan")], aes);
    let run = ingest_bytes("locked.zip", &bytes);
    assert_eq!(run.error().class, ErrorClass::Encrypted);
    assert!(run.sink.children.is_empty());

    // Traditional PKWARE encryption is only a flag bit plus a scrambled stream: set the
    // bit in the local header and the central directory of a plain zip.
    let mut bytes = build::zip_bytes(
        &[Member::File("plan.txt", b"the secret plan")],
        SimpleFileOptions::default(),
    );
    let local = bytes.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    bytes[local + 6] |= 1;
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[central + 8] |= 1;
    let run = ingest_bytes("locked.zip", &bytes);
    assert_eq!(run.error().class, ErrorClass::Encrypted);
    assert!(run.sink.children.is_empty());
}

#[test]
fn encrypted_7z_fails_as_encrypted() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("plan.txt"), b"the secret plan").unwrap();
    let dest = src.path().join("locked.7z");
    sevenz_rust2::compress_to_path_encrypted(src.path().join("plan.txt"), &dest, "secret".into())
        .unwrap();
    let run = ingest_bytes("locked.7z", &std::fs::read(&dest).unwrap());
    assert_eq!(
        run.error().class,
        ErrorClass::Encrypted,
        "{}",
        run.error().message
    );
    assert!(run.sink.children.is_empty());
}

#[test]
fn zip_bomb_stops_at_the_ratio_limit() {
    // 64 MiB of zeros deflate to about 64 KiB: a ratio near 1000, above the default 200.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bytes = build::zip_bytes(
        &[
            Member::File("fine.txt", b"harmless"),
            Member::File("bomb.bin", &zeros),
        ],
        SimpleFileOptions::default(),
    );
    drop(zeros);
    let run = ingest_bytes("bomb.zip", &bytes);
    let err = run.error();
    assert_eq!(err.class, ErrorClass::Limit, "{}", err.message);
    assert!(err.message.contains("bomb.bin"), "{}", err.message);
    // What came before the bomb is kept; the bomb's partial bytes are gone.
    assert_eq!(run.child_names(), ["fine.txt"]);
    let on_disk: u64 = util::files_under(&run.work_dir)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(on_disk < 1024, "{on_disk} bytes left on disk");
}

#[test]
fn unpacking_stops_at_the_total_size_limit() {
    let chunk: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let members = [
        Member::File("one.bin", &chunk),
        Member::File("two.bin", &chunk),
        Member::File("three.bin", &chunk),
    ];
    let bytes = build::zip_bytes(&members, SimpleFileOptions::default());
    let run = ingest_bytes_with("big.zip", &bytes, |ctx| {
        ctx.limits.max_unpacked_bytes = 1_000_000
    });
    assert_eq!(run.error().class, ErrorClass::Limit);
    assert_eq!(run.child_names(), ["one.bin"]);
    let on_disk: u64 = util::files_under(&run.work_dir)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(
        on_disk <= 1_000_000,
        "unpacked {on_disk} bytes past the limit"
    );
}

#[test]
fn too_many_members_is_a_limit() {
    let names: Vec<String> = (0..10).map(|i| format!("f{i}.txt")).collect();
    let members: Vec<Member<'_>> = names.iter().map(|n| Member::File(n, b"x")).collect();
    let bytes = build::zip_bytes(&members, SimpleFileOptions::default());
    let run = ingest_bytes_with("many.zip", &bytes, |ctx| ctx.limits.max_members = 4);
    assert_eq!(run.error().class, ErrorClass::Limit);
    assert_eq!(run.sink.children.len(), 4);
}

#[test]
fn path_traversal_and_links_in_tar_never_leave_the_work_dir() {
    let mut tar = Vec::new();
    build::raw_tar_entry(
        &mut tar,
        "../escaped.txt",
        tar::EntryType::Regular,
        None,
        b"evil",
    );
    build::raw_tar_entry(
        &mut tar,
        "a/../../escaped2.txt",
        tar::EntryType::Regular,
        None,
        b"evil",
    );
    build::raw_tar_entry(
        &mut tar,
        "/etc/cron.d/job",
        tar::EntryType::Regular,
        None,
        b"absolute",
    );
    build::raw_tar_entry(
        &mut tar,
        "passwd",
        tar::EntryType::Symlink,
        Some("/etc/passwd"),
        b"",
    );
    build::raw_tar_entry(
        &mut tar,
        "shadow",
        tar::EntryType::Link,
        Some("../../etc/shadow"),
        b"",
    );
    build::raw_tar_entry(
        &mut tar,
        "notes.txt",
        tar::EntryType::Regular,
        None,
        b"ordinary",
    );
    build::end_tar(&mut tar);
    let run = ingest_bytes("hostile.tar", &tar);
    assert_eq!(run.format(), Format::Tar);

    // Everything written is inside the work dir, and nothing else exists around it.
    let root_entries: Vec<_> = std::fs::read_dir(run.root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(root_entries, ["work"]);
    for path in util::files_under(run.root.path()) {
        assert!(path.starts_with(&run.work_dir), "{path:?}");
        assert_ne!(std::fs::read(&path).unwrap(), b"evil");
    }

    let mut names = run.child_names();
    names.sort();
    assert_eq!(names, ["job", "notes.txt"]);
    // The absolute path is read as a path inside the archive.
    let etc = run.entity_where("Folder", "fileName", "etc");
    assert_eq!(etc.get("parent"), [run.id()]);
    let notes = run.entity.first("notes").unwrap();
    for skipped in ["../escaped.txt", "a/../../escaped2.txt", "passwd", "shadow"] {
        assert!(notes.contains(skipped), "{skipped} not noted in {notes}");
    }
    assert!(
        notes.starts_with("4 archive members not unpacked"),
        "{notes}"
    );
}

#[test]
fn corrupt_zip_keeps_the_members_before_the_damage() {
    let members = [
        Member::File("first.txt", b"first member, intact"),
        Member::File("second.txt", b"second member, intact"),
        Member::File("third.txt", &[b'z'; 4000]),
    ];
    let bytes = build::zip_bytes(
        &members,
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    );
    // Cut in the middle of the third member: no central directory any more.
    let third = bytes.windows(9).position(|w| w == b"third.txt").unwrap();
    let cut = &bytes[..third + 2000];
    let run = ingest_bytes("damaged.zip", cut);
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
    assert_eq!(run.child_names(), ["first.txt", "second.txt"]);
    assert_eq!(run.child_bytes("second.txt"), b"second member, intact");

    let run = ingest_bytes(
        "garbage.zip",
        b"PK\x05\x06 this is not really a zip file at all",
    );
    assert_eq!(run.error().class, ErrorClass::Corrupt);
    assert!(run.sink.children.is_empty());
}

#[test]
fn corrupt_member_data_in_zip_is_reported() {
    let bytes = build::zip_bytes(
        &[
            Member::File("good.txt", b"good"),
            Member::File("bad.txt", &[b'q'; 5000]),
        ],
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    );
    let mut bytes = bytes;
    let at = bytes.windows(7).position(|w| w == b"bad.txt").unwrap() + 100;
    bytes[at] ^= 0xff; // flip a data byte: the CRC no longer matches
    let run = ingest_bytes("flipped.zip", &bytes);
    assert_eq!(run.error().class, ErrorClass::Corrupt);
    assert!(
        run.error().message.contains("bad.txt"),
        "{}",
        run.error().message
    );
    assert_eq!(run.child_names(), ["good.txt"]);
}

#[test]
fn truncated_tar_gz_keeps_the_members_before_the_damage() {
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let tar = build::tar_bytes(&[
        Member::File("a.txt", b"alpha"),
        Member::File("big.bin", &big),
    ]);
    let gz = build::gzip(&tar);
    let run = ingest_bytes("cut.tar.gz", &gz[..gz.len() / 2]);
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
    assert_eq!(run.child_names(), ["a.txt"]);
}

#[test]
fn not_an_archive_is_corrupt() {
    let run = ingest_bytes(
        "fake.rar",
        b"Rar!\x1a\x07\x00 but then nothing sensible follows here",
    );
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
    let run = ingest_bytes(
        "fake.7z",
        b"7z\xbc\xaf\x27\x1c\x00\x04 garbage garbage garbage garbage",
    );
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
    let run = ingest_bytes(
        "fake.gz",
        b"\x1f\x8b\x08\x00 garbage that does not inflate at all",
    );
    assert_eq!(
        run.error().class,
        ErrorClass::Corrupt,
        "{}",
        run.error().message
    );
}

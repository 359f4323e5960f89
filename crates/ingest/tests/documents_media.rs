//! Images (EXIF, OCR, the pixel limit), audio and video metadata.
#![allow(clippy::unwrap_used)]

#[path = "support/documents_media.rs"]
mod media;
#[path = "support/documents_pdf.rs"]
mod pdf;
#[path = "support/documents_util.rs"]
mod util;

use ingest::{ErrorClass, Format};
use util::{context, ingest_bytes, ingest_bytes_with, with_ocr};

#[test]
fn exif_metadata_of_a_photo() {
    let bytes = media::jpeg_with_exif("Canon", "Canon EOS 5D", "2021:06:30 12:34:56");
    let run = ingest_bytes("photo.jpg", &bytes);
    assert_eq!(run.ok(), Format::Image);
    assert_eq!(run.schema(), "Image");
    assert_eq!(run.first("generator"), "Canon EOS 5D");
    assert_eq!(run.first("authoredAt"), "2021-06-30T12:34:56");
    assert_eq!(run.first("author"), "Photo Grapher");
    // No OCR configured: no text.
    assert!(!run.entity.has("bodyText"));
}

#[test]
fn ocr_reads_the_text_of_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let text_pdf = dir.path().join("text.pdf");
    std::fs::write(
        &text_pdf,
        pdf::Pdf::text(&[&["WIRE TRANSFER 98765", "BANK OF NOWHERE"]]).to_bytes(),
    )
    .unwrap();
    let (w, h, pixels) = pdf::render_gray(&text_pdf, 200);
    let png = media::png(w, h, pixels);
    let run = ingest_bytes_with("scan.png", &png, |d| with_ocr(context(d)));
    run.ok();
    assert_eq!(run.schema(), "Image");
    let text = run.first("bodyText").to_uppercase();
    assert!(
        text.contains("98765") && text.contains("NOWHERE"),
        "OCR read: {text:?}"
    );
}

#[test]
fn an_image_over_the_pixel_limit_is_refused() {
    let bytes = media::png_header(100_000, 100_000);
    let run = ingest_bytes_with("huge.png", &bytes, |d| with_ocr(context(d)));
    let message = run.failed(ErrorClass::Limit);
    assert!(message.contains("100000×100000"), "{message}");
}

#[test]
fn wav_duration_rate_and_title() {
    let run = ingest_bytes("call.wav", &media::wav(8000, 3, "Phone call"));
    assert_eq!(run.ok(), Format::Audio);
    assert_eq!(run.schema(), "Audio");
    assert_eq!(run.first("samplingRate"), "8000");
    assert_eq!(run.first("duration"), "3000");
    assert_eq!(run.first("title"), "Phone call");
}

#[test]
fn mp3_tags_and_rate() {
    let run = ingest_bytes("song.mp3", &media::mp3(200, "Testimony", "The Witness"));
    assert_eq!(run.ok(), Format::Audio);
    assert_eq!(run.first("samplingRate"), "44100");
    assert_eq!(run.first("title"), "Testimony");
    assert_eq!(run.first("author"), "The Witness");
    // 200 frames of 1152 samples at 44.1 kHz.
    let duration: u64 = run.first("duration").parse().unwrap();
    assert!((5200..=5230).contains(&duration), "{duration}");
}

#[test]
fn mp4_video_duration_date_and_title() {
    // 2020-01-01T00:00:00Z, 90.5 s.
    let run = ingest_bytes(
        "clip.mp4",
        &media::mp4(1_577_836_800, 90_500, "Harbour surveillance"),
    );
    assert_eq!(run.ok(), Format::Video);
    assert_eq!(run.schema(), "Video");
    assert_eq!(run.first("duration"), "90500");
    assert_eq!(run.first("authoredAt"), "2020-01-01T00:00:00");
    assert_eq!(run.first("title"), "Harbour surveillance");
}

#[test]
fn tiny_images_are_not_ocred() {
    // With OCR on, a 10×10 icon gets no Tesseract run and no text.
    let run = ingest_bytes_with("icon.png", &media::png(10, 10, vec![255; 100]), |d| {
        with_ocr(context(d))
    });
    run.ok();
    assert_eq!(run.schema(), "Image");
    assert!(!run.entity.has("bodyText"));
}

#[test]
fn a_damaged_audio_file_is_corrupt() {
    let run = ingest_bytes("noise.wav", b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk");
    run.failed(ErrorClass::Corrupt);
}

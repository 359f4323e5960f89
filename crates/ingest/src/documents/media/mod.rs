//! Audio and video: `Audio` or `Video` with the metadata that can be read without
//! decoding, as ingest-file records it from MediaInfo: `title`, `generator` (encoder),
//! `author` (artist), `authoredAt` (recording or encoding date), `duration` (in
//! milliseconds, as MediaInfo gives it) and, for audio, `samplingRate` (Hz). Nothing is
//! transcribed.
//!
//! Audio containers are read with symphonia (WAV, AIFF, CAF, FLAC, Ogg, MP3, MP4/M4A,
//! Matroska); video containers with small readers of our own for MP4/QuickTime, Matroska
//! and WebM, and AVI. A file in a container we do not know keeps its schema without
//! metadata; a file in a known audio container that does not parse is `Corrupt`.

mod mkv;
mod mp4;
mod riff;

use std::fs::File;
use std::path::Path;

use ftm::Entity;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{MetadataOptions, StandardTag};

use super::dates::utc_offset;
use super::narrow;
use crate::{FileInfo, IngestError};

/// Audio extensions whose containers symphonia reads: if it cannot, the file is damaged.
const KNOWN_AUDIO: [&str; 11] = [
    "wav", "aif", "aiff", "caf", "flac", "ogg", "oga", "opus", "mp3", "m4a", "mka",
];

/// What a media reader found.
#[derive(Debug, Default)]
pub(crate) struct MediaInfo {
    pub(crate) title: Option<String>,
    pub(crate) artist: Option<String>,
    pub(crate) generator: Vec<String>,
    /// ISO 8601.
    pub(crate) created: Option<String>,
    pub(crate) modified: Option<String>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) sample_rate: Option<u32>,
}

impl MediaInfo {
    /// Take what `other` knows and this does not.
    fn fill_from(&mut self, other: MediaInfo) {
        self.title = self.title.take().or(other.title);
        self.artist = self.artist.take().or(other.artist);
        self.created = self.created.take().or(other.created);
        self.modified = self.modified.take().or(other.modified);
        self.duration_ms = self.duration_ms.or(other.duration_ms);
        self.sample_rate = self.sample_rate.or(other.sample_rate);
        if self.generator.is_empty() {
            self.generator = other.generator;
        }
    }

    fn apply(&self, entity: &mut Entity) -> Result<(), IngestError> {
        for (prop, value) in [("title", &self.title), ("author", &self.artist)] {
            if let Some(v) = value {
                entity.add(prop, v)?;
            }
        }
        for (prop, value) in [
            ("authoredAt", &self.created),
            ("modifiedAt", &self.modified),
        ] {
            if let Some(v) = value {
                entity.add(prop, &utc_offset(v))?;
            }
        }
        for g in &self.generator {
            entity.add("generator", g)?;
        }
        if let Some(ms) = self.duration_ms {
            entity.add("duration", &ms.to_string())?;
        }
        if let Some(rate) = self.sample_rate {
            entity.add("samplingRate", &rate.to_string())?;
        }
        Ok(())
    }
}

pub(crate) fn ingest_audio(
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
) -> Result<(), IngestError> {
    narrow(entity, "Audio")?;
    let ext = info.extension();
    match read_audio(path, ext.as_deref()) {
        Ok(mut media) => {
            if let Some(info) = riff::read(path)? {
                media.fill_from(info);
            }
            media.apply(entity)
        }
        Err(why) if ext.as_deref().is_some_and(|e| KNOWN_AUDIO.contains(&e)) => Err(
            IngestError::corrupt(format!("The audio file could not be read: {why}")),
        ),
        // A container symphonia does not know (WMA, AC-3…): the file is kept as audio.
        Err(_) => Ok(()),
    }
}

pub(crate) fn ingest_video(entity: &mut Entity, path: &Path) -> Result<(), IngestError> {
    narrow(entity, "Video")?;
    let mut head = [0u8; 12];
    let n = std::io::Read::read(&mut File::open(path)?, &mut head)?;
    let head = &head[..n];
    let media = if head.len() >= 8
        && matches!(
            &head[4..8],
            b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free" | b"skip"
        ) {
        mp4::read(path)?
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        mkv::read(path)?
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"AVI " {
        riff::read(path)?
    } else {
        None
    };
    match media {
        Some(media) => media.apply(entity),
        None => Ok(()),
    }
}

/// Probe an audio file with symphonia and collect its tags and stream parameters.
fn read_audio(path: &Path, ext: Option<&str>) -> Result<MediaInfo, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = ext {
        hint.with_extension(ext);
    }
    let probe = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        symphonia::default::get_probe().probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
    }));
    let mut format = match probe {
        Ok(Ok(format)) => format,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("the audio reader crashed".to_string()),
    };
    let mut media = MediaInfo::default();
    if let Some(track) = format
        .default_track(TrackType::Audio)
        .or_else(|| format.tracks().first())
    {
        let rate = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .and_then(|a| a.sample_rate);
        media.sample_rate = rate;
        let from_duration = track
            .time_base
            .zip(track.duration)
            .and_then(|(tb, d)| tb.calc_duration(d))
            .map(|t| t.as_millis());
        let from_frames = track
            .num_frames
            .zip(rate)
            .filter(|(_, r)| *r > 0)
            .map(|(n, r)| i128::from(n) * 1000 / i128::from(r));
        media.duration_ms = from_duration
            .or(from_frames)
            .and_then(|ms| u64::try_from(ms).ok());
    }
    let mut metadata = format.metadata();
    let revision = metadata.skip_to_latest().cloned();
    if let Some(revision) = revision {
        let tags = revision.media.tags.iter().chain(
            revision
                .per_track
                .iter()
                .flat_map(|t| t.metadata.tags.iter()),
        );
        for tag in tags {
            let Some(std) = &tag.std else { continue };
            match std {
                StandardTag::TrackTitle(v) => media.title.get_or_insert_with(|| v.to_string()),
                StandardTag::Artist(v) => media.artist.get_or_insert_with(|| v.to_string()),
                StandardTag::RecordingDate(v)
                | StandardTag::ReleaseDate(v)
                | StandardTag::EncodingDate(v)
                | StandardTag::TaggingDate(v) => media.created.get_or_insert_with(|| v.to_string()),
                StandardTag::Encoder(v) | StandardTag::EncodedBy(v) => {
                    media.generator.push(v.to_string());
                    continue;
                }
                _ => continue,
            };
        }
    }
    Ok(media)
}

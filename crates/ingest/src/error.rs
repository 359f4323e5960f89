//! Why a file could not be ingested, classified so failures can be filtered and retried.

use std::fmt;

/// A failure's class: what the ledger groups by and `aleph retry --error-class` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// No extractor handles this format.
    Unsupported,
    /// The file is password-protected or encrypted.
    Encrypted,
    /// The file is damaged or not what it claims to be.
    Corrupt,
    /// The file hit a size, count, ratio, depth or time limit.
    Limit,
    /// An external tool (LibreOffice, Tesseract) is missing or failed.
    Tool,
    /// Reading or writing a local file failed.
    Io,
    /// A defect in our own code (a caught panic): worth a bug report.
    Internal,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::Encrypted => "encrypted",
            ErrorClass::Corrupt => "corrupt",
            ErrorClass::Limit => "limit",
            ErrorClass::Tool => "tool",
            ErrorClass::Io => "io",
            ErrorClass::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorClass> {
        [
            ErrorClass::Unsupported,
            ErrorClass::Encrypted,
            ErrorClass::Corrupt,
            ErrorClass::Limit,
            ErrorClass::Tool,
            ErrorClass::Io,
            ErrorClass::Internal,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed ingest: a class and a message meant for the person reading the failure list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IngestError {
    pub class: ErrorClass,
    pub message: String,
}

impl IngestError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> IngestError {
        IngestError {
            class,
            message: message.into(),
        }
    }
    pub fn unsupported() -> IngestError {
        IngestError::new(ErrorClass::Unsupported, "Format not supported")
    }
    pub fn encrypted(what: &str) -> IngestError {
        IngestError::new(
            ErrorClass::Encrypted,
            format!("{what} is encrypted or password-protected"),
        )
    }
    pub fn corrupt(message: impl Into<String>) -> IngestError {
        IngestError::new(ErrorClass::Corrupt, message)
    }
    pub fn limit(message: impl Into<String>) -> IngestError {
        IngestError::new(ErrorClass::Limit, message)
    }
    pub fn tool(message: impl Into<String>) -> IngestError {
        IngestError::new(ErrorClass::Tool, message)
    }
}

impl From<std::io::Error> for IngestError {
    fn from(err: std::io::Error) -> IngestError {
        IngestError::new(ErrorClass::Io, err.to_string())
    }
}

impl From<crate::SinkError> for IngestError {
    fn from(err: crate::SinkError) -> IngestError {
        IngestError::new(ErrorClass::Io, err.to_string())
    }
}

impl From<ftm::EntityError> for IngestError {
    fn from(err: ftm::EntityError) -> IngestError {
        // Entity errors here mean we built an entity wrongly: our defect, not the file's.
        IngestError::new(ErrorClass::Internal, err.to_string())
    }
}

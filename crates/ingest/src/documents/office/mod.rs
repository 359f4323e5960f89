//! Office formats read natively from their zip packages: Word (`.docx`), PowerPoint
//! (`.pptx`) and OpenDocument text and presentations. All become `Pages`.

pub(crate) mod docx;
pub(crate) mod odf;
mod package;
pub(crate) mod pptx;
mod props;

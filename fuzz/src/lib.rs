//! Shared by the fuzz targets and the seed corpus writer.
pub mod checks;

//! Library side of `cargo xtask`, so that the generator can be tested.

pub mod bench;
pub mod codegen;
pub mod features;
pub mod import;

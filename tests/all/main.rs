//! Integration tests: the generated clients against the in-process sandbox over real TCP.
//! One test binary for the whole workspace keeps link time down.

mod billomat;
mod billomat_documents;
mod body_cap;
mod cloudspot;
mod conformance;
mod fault_matrix;
mod fixtures;
mod fuzz;
mod hygiene;
mod prefetch;
mod rate_limits;
mod redirects;
mod resilience;
mod spreedly;

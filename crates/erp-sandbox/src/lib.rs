//! Sandbox server (work in progress).

//! An OAuth2 authorization server for vendors whose spec uses the `oauth2` auth scheme.
//!
//! Generic: one registered client with deterministic credentials, every vendor rule in
//! [`settings::OAuthSettings`]. This first part holds the settings, the parameter rules and client
//! authentication of the token endpoint.

mod answers;
mod client_auth;
mod params;
mod settings;

//! The Billomat API catalogue's shape (`../shared/billomat-api-catalogue/billomat.json`, see
//! its `schema.json`): documentation pages, their endpoints, write fields and list filters.
//! The German texts are read only to be left behind: the spec's words are our own.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Catalogue {
    /// By documentation page slug (`rechnungen/positionen`).
    pub resources: BTreeMap<String, Page>,
}

#[derive(Debug, Deserialize)]
pub struct Page {
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Deserialize)]
pub struct Endpoint {
    pub method: Option<String>,
    pub path: Option<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// What the server fills in when the field is not sent (German prose or a value).
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Filter {
    pub name: String,
}

impl Catalogue {
    pub fn read(path: &std::path::Path) -> Result<Catalogue, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the catalogue {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not the catalogue's shape: {e}", path.display()))
    }
}

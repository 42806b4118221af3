//! A synthetic spec the size of Exact Online's API (451 entities of about 20 properties, the
//! count of Exact's REST reference), so the generator's time can be judged before Exact's real
//! spec exists (issue 8). It uses what Exact will: OAuth2, OData envelopes and next links,
//! GUIDs, decimals and dates, and every entity has list, get, create, update and delete.

use std::fmt::Write;

/// The vendor name; the spec file must be called `<name>.yaml`.
pub const VENDOR: &str = "synthetic_exact";
/// Exact Online's entity count.
pub const ENTITIES: usize = 451;
/// Properties per entity besides the key.
pub const PROPERTIES: usize = 19;

/// Property types in the order they repeat.
const TYPES: [&str; 7] = [
    "string", "integer", "decimal", "guid", "boolean", "date", "datetime",
];

/// The spec's YAML text; the same every time.
pub fn spec_text() -> String {
    let mut yaml = format!(
        "# Synthetic Exact-sized spec written by `cargo xtask bench`; not a real vendor.
vendor:
  name: {VENDOR}
  title: Synthetic Exact-sized vendor
  docs_url: https://example.com/{VENDOR}
  description: {ENTITIES} entities of {} properties, for timing the generator.

base_url:
  template: https://api.example.com/v1

auth:
  scheme: oauth2
  doc: OAuth2 authorization code.
  oauth2:
    authorize_url: https://login.example.com/oauth2/auth
    token_url: https://login.example.com/oauth2/token

wire:
  format: json
  scalars: native
  booleans: native

envelope:
  list: {{style: odata}}
  item: {{style: odata}}
  request: bare

paging:
  style: next_link
  next_link: d.__next

errors:
  message: [message]

resources:
",
        PROPERTIES + 1
    );
    for e in 0..ENTITIES {
        let model = model_name(e);
        let by_id = "        path: \"({id})\"\n        path_params:\n          id: {type: integer, doc: Id.}\n";
        let _ = write!(
            yaml,
            "  entities{e:03}:
    doc: Entity {e}.
    path: /division/entities{e:03}
    operations:
      list:
        doc: Lists entity {e}.
        query:
          p0: {{type: string, doc: Filter on the first property.}}
        response: {model}
      get:
        doc: Fetches one entity {e}.
{by_id}        response: {model}
      create:
        doc: Creates an entity {e}.
        request: {model}
        response: {model}
      update:
        doc: Updates an entity {e}.
{by_id}        request: {model}
        response: {model}
        returns: item_or_empty
      delete:
        doc: Deletes an entity {e}.
{by_id}"
        );
    }
    yaml.push_str("\nmodels:\n");
    for e in 0..ENTITIES {
        let _ = write!(
            yaml,
            "  {}:\n    doc: Entity {e}.\n    fields:\n      id: {{type: integer, read_only: true, doc: Id.}}\n",
            model_name(e)
        );
        for p in 0..PROPERTIES {
            let _ = writeln!(
                yaml,
                "      p{p}: {{type: {}, doc: Property {p} of entity {e}.}}",
                TYPES[(e + p) % TYPES.len()]
            );
        }
    }
    yaml
}

fn model_name(e: usize) -> String {
    format!("Entity{e:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_spec_is_valid_and_exact_sized() {
        let text = spec_text();
        let spec = erp_spec::parse_str(&format!("{VENDOR}.yaml"), &text)
            .unwrap_or_else(|e| panic!("the synthetic spec does not validate:\n{e}"));
        assert_eq!(spec.resources.len(), ENTITIES);
        assert_eq!(spec.models.len(), ENTITIES);
        assert_eq!(text, spec_text());
    }
}

//! Adds a [`Plan`] to a spec file: whatever the plan holds and the file lacks (a resource, an
//! operation, a model, a field, an enum or one of its values) is appended where it belongs;
//! nothing the file holds is changed, so hand edits survive every re-import.

use super::outline::Outline;
use super::plan::Plan;

/// How many entries an import added, by kind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Added {
    pub resources: usize,
    pub operations: usize,
    pub models: usize,
    pub fields: usize,
    pub enums: usize,
    pub values: usize,
    /// Entries the file writes as one-line flow mappings, which cannot take additions.
    pub skipped: Vec<String>,
}

impl Added {
    pub fn total(&self) -> usize {
        self.resources + self.operations + self.models + self.fields + self.enums + self.values
    }
}

fn append(o: &mut Outline, path: &[&str], block: &str, added: &mut Added) -> bool {
    let ok = o.append(path, block);
    if !ok {
        added.skipped.push(path.join("."));
    }
    ok
}

/// A top-level section, created at the end of the file when missing.
fn section(o: &mut Outline, name: &str) {
    if !o.has(&[name]) {
        o.append(&[], &format!("\n{name}:\n"));
    }
}

pub fn merge(text: &str, plan: &Plan) -> (String, Added) {
    let mut o = Outline::parse(text);
    let mut added = Added::default();
    section(&mut o, "resources");
    for r in &plan.resources {
        let name = r.name.as_str();
        if !o.has(&["resources", name]) {
            let indent = o.child_indent(&["resources"]).unwrap_or(2);
            let mut block = String::from("\n");
            block.push_str(&r.yaml(indent));
            if append(&mut o, &["resources"], &block, &mut added) {
                added.resources += 1;
                added.operations += r.operations.len();
            }
            continue;
        }
        if !o.has(&["resources", name, "group"]) {
            let indent = o.child_indent(&["resources", name]).unwrap_or(4);
            append(
                &mut o,
                &["resources", name],
                &format!("{:indent$}group: {}\n", "", r.group),
                &mut added,
            );
        }
        for op in &r.operations {
            if o.has(&["resources", name, "operations", &op.name]) {
                continue;
            }
            let path = ["resources", name, "operations"];
            let indent = o.child_indent(&path).unwrap_or(6);
            if append(&mut o, &path, &op.yaml(indent), &mut added) {
                added.operations += 1;
            }
        }
    }
    section(&mut o, "models");
    for (name, model) in &plan.models {
        if !o.has(&["models", name]) {
            let indent = o.child_indent(&["models"]).unwrap_or(2);
            let block = format!("\n{}", model.yaml(name, indent));
            if append(&mut o, &["models"], &block, &mut added) {
                added.models += 1;
                added.fields += model.fields.len();
            }
            continue;
        }
        for f in &model.fields {
            let path = ["models", name.as_str(), "fields"];
            if o.has(&["models", name, "fields", &f.name]) {
                continue;
            }
            let indent = o.child_indent(&path).unwrap_or(6);
            if append(
                &mut o,
                &path,
                &format!("{:indent$}{}\n", "", f.line()),
                &mut added,
            ) {
                added.fields += 1;
            }
        }
    }
    section(&mut o, "enums");
    for (name, e) in &plan.enums {
        if !o.has(&["enums", name]) {
            let indent = o.child_indent(&["enums"]).unwrap_or(2);
            let block = format!("\n{}", e.yaml(name, indent));
            if append(&mut o, &["enums"], &block, &mut added) {
                added.enums += 1;
            }
            continue;
        }
        for (value, doc) in &e.values {
            let path = ["enums", name.as_str(), "values"];
            if o.has(&["enums", name, "values", value]) {
                continue;
            }
            let indent = o.child_indent(&path).unwrap_or(6);
            let line = format!(
                "{:indent$}{}: {}\n",
                "",
                super::plan::scalar(value),
                super::plan::scalar(doc)
            );
            if append(&mut o, &path, &line, &mut added) {
                added.values += 1;
            }
        }
    }
    (o.text(), added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::plan::{Enum, Field, Model, Operation, Resource};

    fn plan() -> Plan {
        let mut plan = Plan::default();
        plan.resources.push(Resource {
            name: "things".into(),
            doc: "Things.".into(),
            path: "/things".into(),
            wire_singular: "thing".into(),
            wire_plural: "things".into(),
            group: "stuff".into(),
            operations: vec![
                Operation {
                    name: "list".into(),
                    doc: "Lists.".into(),
                    response: Some("Thing".into()),
                    ..Default::default()
                },
                Operation {
                    name: "delete".into(),
                    doc: "Deletes.".into(),
                    path: Some("/{id}".into()),
                    ..Default::default()
                },
            ],
        });
        plan.models.insert(
            "Thing".into(),
            Model {
                doc: "A thing.".into(),
                fields: vec![
                    Field {
                        name: "id".into(),
                        ty: "integer".into(),
                        required: false,
                        read_only: true,
                        sensitive: false,
                        doc: "Id.".into(),
                        references: None,
                    },
                    Field {
                        name: "size".into(),
                        ty: "Size".into(),
                        required: false,
                        read_only: false,
                        sensitive: false,
                        doc: "Size.".into(),
                        references: None,
                    },
                ],
            },
        );
        plan.enums.insert(
            "Size".into(),
            Enum {
                doc: "Size.".into(),
                values: vec![("S".into(), "Small.".into()), ("L".into(), "Large.".into())],
            },
        );
        plan
    }

    const HAND: &str = "\
resources:
  things:
    doc: My own words.   # hand-written
    operations:
      list:
        doc: My list.
models:
  Thing:
    doc: Mine.
    fields:
      id: {type: integer, read_only: true, doc: My id.}
enums:
  Size:
    doc: Mine.
    values:
      S: Tiny.
";

    #[test]
    fn hand_edits_stay_and_only_what_is_missing_is_added() {
        let (text, added) = merge(HAND, &plan());
        assert!(
            text.starts_with("resources:\n  things:\n    doc: My own words.   # hand-written\n"),
            "{text}"
        );
        let want = "\
resources:
  things:
    doc: My own words.   # hand-written
    operations:
      list:
        doc: My list.
      delete:
        doc: Deletes.
        path: \"/{id}\"
    group: stuff
models:
  Thing:
    doc: Mine.
    fields:
      id: {type: integer, read_only: true, doc: My id.}
      size: {type: Size, doc: Size.}
enums:
  Size:
    doc: Mine.
    values:
      S: Tiny.
      L: Large.
";
        assert_eq!(text, want);
        assert_eq!(
            (
                added.operations,
                added.fields,
                added.values,
                added.resources
            ),
            (1, 1, 1, 0)
        );
        // A second import finds nothing to add and changes nothing.
        let (again, more) = merge(&text, &plan());
        assert_eq!(again, text);
        assert_eq!(more.total(), 0);
    }

    #[test]
    fn an_empty_file_gets_every_section() {
        let (text, added) = merge("vendor:\n  name: x\n", &plan());
        assert_eq!(added.resources, 1);
        assert!(
            text.contains("\nresources:\n\n  things:\n    doc: Things.\n"),
            "{text}"
        );
        assert!(text.contains("\nenums:\n\n  Size:\n"), "{text}");
    }
}

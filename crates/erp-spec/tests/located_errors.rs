//! Broken specs must produce errors that name the file, line and column and say what was
//! expected; all problems of a file are reported together.

const MINI: &str = include_str!("fixtures/mini.yaml");

/// Applies `(from, to)` replacements to the valid fixture (each `from` must occur once).
fn broken(edits: &[(&str, &str)]) -> String {
    let mut text = MINI.to_owned();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "fixture edit `{from}` must match once"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

fn line_of(text: &str, needle: &str) -> u64 {
    let index = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in spec"));
    text[..index].matches('\n').count() as u64 + 1
}

/// Asserts that validation fails with an error on the line holding `at` whose message holds `message`.
fn assert_error(text: &str, at: &str, message: &str) {
    let errors = erp_spec::parse_str("specs/mini.yaml", text).expect_err("spec should be rejected");
    let line = line_of(text, at);
    let found = errors.iter().any(|e| {
        e.file == "specs/mini.yaml" && e.line == line && e.column > 0 && e.message.contains(message)
    });
    assert!(
        found,
        "expected an error at line {line} containing `{message}`, got:\n{errors}"
    );
}

/// `specs/mini.yaml:LINE:COLUMN` of the first occurrence of `needle` (1-based, in characters).
fn place(text: &str, needle: &str) -> String {
    let index = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in spec"));
    let before = &text[..index];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    format!("specs/mini.yaml:{line}:{column}")
}

/// [`place`] of `inner` inside the first occurrence of `context`.
fn place_in(text: &str, context: &str, inner: &str) -> String {
    let start = text
        .find(context)
        .unwrap_or_else(|| panic!("`{context}` not in spec"));
    let offset = context
        .find(inner)
        .unwrap_or_else(|| panic!("`{inner}` not in `{context}`"));
    place(text, &text[start + offset..])
}

/// Asserts the exact errors, each `file:line:column: message`, in order.
fn assert_errors(text: &str, expected: &[String]) {
    let errors = erp_spec::parse_str("specs/mini.yaml", text).expect_err("spec should be rejected");
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(got, expected, "\n{errors}");
}

/// The tail of every unknown-type message.
const TYPES: &str = "expected one of `string`, `integer`, `int64`, `number`, `decimal`, `boolean`, `date`, `datetime`, `guid`, `bytes`, `json`, `list<T>`, or a model or enum declared in this spec";

#[test]
fn the_fixture_itself_is_valid() {
    let spec = erp_spec::parse_str("specs/mini.yaml", MINI).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.resources[0].operations.len(), 4);
}

#[test]
fn unknown_key() {
    let text = broken(&[(
        "  title: Mini Vendor",
        "  title: Mini Vendor\n  colour: blue",
    )]);
    assert_error(&text, "colour: blue", "unknown key `colour` in `vendor`");
}

#[test]
fn unknown_keys_at_any_depth_are_all_reported_with_validation_errors() {
    let text = broken(&[
        (
            "  title: Mini Vendor",
            "  title: Mini Vendor\n  colour: blue",
        ),
        (
            "      doc: The key.",
            "      doc: The key.\n      shade: dark",
        ),
        (
            "{type: string, doc: Name.}",
            "{type: string, doc: Name., size: 3}",
        ),
        ("style: page_number", "style: pages"),
    ]);
    let errors = erp_spec::parse_str("specs/mini.yaml", &text).expect_err("broken");
    assert_eq!(errors.len(), 4, "{errors}");
    assert_error(&text, "colour: blue", "unknown key `colour` in `vendor`");
    assert_error(
        &text,
        "shade: dark",
        "unknown key `shade` in `auth.headers[0]`",
    );
    assert_error(
        &text,
        "size: 3}",
        "unknown key `size` in `models.Widget.fields.name`",
    );
    assert_error(&text, "style: pages", "unknown paging style");
    let size = errors
        .iter()
        .find(|e| e.message.contains("`size`"))
        .unwrap();
    assert_eq!(
        size.column as usize,
        text.lines()
            .nth(size.line as usize - 1)
            .unwrap()
            .find("size")
            .unwrap()
            + 1,
        "column of the key itself"
    );
}

#[test]
fn wrong_yaml_type() {
    let text = broken(&[("default_size: 20", "default_size: twenty")]);
    assert_error(&text, "twenty", "expected a whole number");
}

#[test]
fn invalid_yaml_syntax() {
    let text = broken(&[(
        "    doc: A widget.",
        "    doc: A widget: with a colon: here",
    )]);
    assert_error(&text, "with a colon", "");
}

#[test]
fn unknown_type_reference_suggests_a_name() {
    let text = broken(&[(
        "{type: WidgetType, doc: Kind of widget.}",
        "{type: WidgetTyp, doc: Kind of widget.}",
    )]);
    assert_error(
        &text,
        "WidgetTyp,",
        "unknown type `WidgetTyp` (did you mean `WidgetType`?)",
    );
}

#[test]
fn unknown_choice_lists_the_options() {
    let text = broken(&[("style: page_number", "style: pages")]);
    assert_error(
        &text,
        "style: pages",
        "unknown paging style `pages`; expected one of `none`, `page_number`, `offset_limit`, `next_link`, `cursor`",
    );
}

#[test]
fn undeclared_path_parameter() {
    let text = broken(&[(
        "        path: /{id}/archive",
        "        path: /{widget_id}/archive",
    )]);
    assert_error(&text, "/{widget_id}/archive", "path uses `{widget_id}`");
}

#[test]
fn undeclared_base_url_variable() {
    let text = broken(&[(
        "template: https://{account}.example.com/api",
        "template: https://{account}.example.com/{region}/api",
    )]);
    assert_error(&text, "{region}", "does not declare `region`");
}

#[test]
fn resource_root_envelope_needs_a_singular_name() {
    let text = broken(&[("    wire_singular: widget\n", "")]);
    assert_error(&text, "  widgets:\n    doc", "`wire_singular` is required");
}

#[test]
fn colliding_rust_names() {
    let text = broken(&[(
        "      name: {type: string, doc: Name.}",
        "      name: {type: string, doc: Name.}\n      Name: {type: string, doc: Upper name.}",
    )]);
    // Keys are visited in order (`Name` < `name`), so the second one is reported.
    assert_error(
        &text,
        "name: {type: string, doc: Name.}",
        "fields `Name` and `name` both become `name`",
    );
}

#[test]
fn action_without_method() {
    let text = broken(&[("        method: PUT\n", "")]);
    assert_error(
        &text,
        "      archive:",
        "named actions need an explicit `method`",
    );
}

#[test]
fn get_with_a_request_body() {
    let text = broken(&[(
        "        doc: Gets one widget.",
        "        doc: Gets one widget.\n        request: Widget",
    )]);
    assert_error(
        &text,
        "request: Widget\n        path: /{id}\n        path_params",
        "a GET operation cannot have a `request` body",
    );
}

#[test]
fn default_page_size_above_the_maximum() {
    let text = broken(&[("default_size: 20", "default_size: 500")]);
    assert_error(
        &text,
        "default_size: 500",
        "must be between 1 and max_size 100",
    );
}

#[test]
fn enum_value_named_unknown_is_reserved() {
    let text = broken(&[(
        "      LARGE: Large.",
        "      LARGE: Large.\n      UNKNOWN: Not known.",
    )]);
    assert_error(
        &text,
        "UNKNOWN: Not known.",
        "reserved for unrecognised values",
    );
}

#[test]
fn invalid_vendor_name() {
    let text = broken(&[("  name: mini", "  name: Mini-Vendor")]);
    assert_error(&text, "name: Mini-Vendor", "must be lower snake_case");
}

#[test]
fn model_parameter_type_is_rejected() {
    let text = broken(&[(
        "name: {type: string, doc: Name filter., sandbox: {filter: contains}}",
        "name: {type: Widget, doc: Name filter., sandbox: {filter: contains}}",
    )]);
    assert_error(
        &text,
        "name: {type: Widget",
        "parameters take scalars or enums",
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let text = broken(&[
        ("style: page_number", "style: pages"),
        (
            "{type: WidgetType, doc: Kind of widget.}",
            "{type: Nope, doc: Kind of widget.}",
        ),
        ("        method: PUT\n", ""),
    ]);
    let errors = erp_spec::parse_str("specs/mini.yaml", &text).expect_err("broken");
    assert!(errors.len() >= 3, "{errors}");
    let rendered = errors.to_string();
    assert!(
        rendered.starts_with("error: specs/mini.yaml:"),
        "{rendered}"
    );
}

#[test]
fn reserved_names_that_would_break_generated_code() {
    let text = broken(&[(
        "      name: {type: string, doc: Name.}",
        "      name: {type: string, doc: Name.}\n      extra: {type: string, doc: Clashes.}",
    )]);
    assert_error(
        &text,
        "extra: {type: string, doc: Clashes.}",
        "field name `extra` is reserved",
    );
    let text = broken(&[(
        "  Part:\n",
        "  Option:\n    doc: Shadows std.\n    fields: {}\n  Part:\n",
    )]);
    assert_error(&text, "  Option:", "would hide a standard Rust type");
    let text = broken(&[(
        "resources:\n  widgets:",
        "resources:\n  credentials:\n    doc: Clashes.\n    path: /c\n    wire_singular: c\n    operations:\n      delete: {doc: Gone.}\n  widgets:",
    )]);
    assert_error(&text, "  credentials:", "taken by the generated client");
}

#[test]
fn derived_method_names_must_not_collide() {
    let text = broken(&[(
        "      archive:\n",
        "      list_all:\n        doc: Clashes with list's collector.\n        method: GET\n        response: Widget\n        returns: item\n      archive:\n",
    )]);
    assert_error(&text, "      list_all:", "clashes with operation `list`");
}

#[test]
fn same_method_and_path_twice() {
    let text = broken(&[(
        "      archive:\n",
        "      fetch:\n        doc: Same as get.\n        method: GET\n        path: /{id}\n        path_params:\n          id: {type: integer, doc: Id.}\n        response: Widget\n      archive:\n",
    )]);
    assert_error(
        &text,
        "      get:",
        "same method and path (GET /widgets/{id})",
    );
}

#[test]
fn list_of_lists_and_paging_parameters() {
    let text = broken(&[(
        "{type: \"list<Part>\", doc: Parts.}",
        "{type: \"list<list<Part>>\", doc: Parts.}",
    )]);
    assert_error(&text, "list<list<Part>>", "a list of lists");
    let text = broken(&[(
        "          name: {type: string, doc: Name filter., sandbox: {filter: contains}}",
        "          name: {type: string, doc: Name filter., sandbox: {filter: contains}}\n          page: {type: integer, doc: Clashes with paging.}",
    )]);
    assert_error(&text, "      list:", "set by the paging engine");
}

#[test]
fn plain_http_base_url() {
    let text = broken(&[(
        "template: https://{account}.example.com/api",
        "template: http://{account}.example.com/api",
    )]);
    assert_error(&text, "template: http://", "must start with https://");
}

#[test]
fn misspelt_required_key_names_the_misspelling() {
    let text = broken(&[("    operations:", "    opertions:")]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `opertions` in `resources.widgets` (did you mean `operations`?)",
            place(&text, "opertions:")
        )],
    );
}

#[test]
fn misspelt_required_keys_of_every_struct_are_all_reported() {
    let text = broken(&[
        ("  title: Mini Vendor", "  titel: Mini Vendor"),
        ("      param: api_key", "      parm: api_key"),
        ("    doc: A widget.", "    dc: A widget."),
        (
            "      label: {type: string, required: true, doc: Label.}",
            "      label: {typ: strin, required: true, dc: Label.}",
        ),
        ("  request: resource_root", "  requets: resource_root"),
    ]);
    assert_errors(
        &text,
        &[
            format!(
                "{}: unknown key `titel` in `vendor` (did you mean `title`?)",
                place(&text, "titel")
            ),
            format!(
                "{}: unknown key `parm` in `auth.headers[0]` (did you mean `param`?)",
                place(&text, "parm")
            ),
            format!(
                "{}: unknown key `requets` in `envelope` (did you mean `request`?)",
                place(&text, "requets")
            ),
            format!(
                "{}: unknown key `dc` in `models.Widget` (did you mean `doc`?)",
                place(&text, "dc: A widget.")
            ),
            format!(
                "{}: unknown key `typ` in `models.Part.fields.label` (did you mean `type`?)",
                place(&text, "typ:")
            ),
            // Found after `typ` was taken for `type`, and still placed in the text as written.
            format!(
                "{}: unknown type `strin` (did you mean `string`?); {TYPES}",
                place(&text, "strin,")
            ),
            format!(
                "{}: unknown key `dc` in `models.Part.fields.label` (did you mean `doc`?)",
                place(&text, "dc: Label.")
            ),
        ],
    );
}

#[test]
fn misspelt_top_level_section() {
    let text = broken(&[("resources:\n  widgets:", "resorces:\n  widgets:")]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `resorces` at the top level (did you mean `resources`?)",
            place(&text, "resorces")
        )],
    );
}

#[test]
fn missing_required_key_is_placed_at_the_entry_that_lacks_it() {
    let text = broken(&[("    path: /widgets\n", "")]);
    assert_errors(
        &text,
        &[format!(
            "{}: missing required key `path` in `resources.widgets`",
            place(&text, "widgets:")
        )],
    );
    let text = broken(&[(
        "      label: {type: string, required: true, doc: Label.}",
        "      label: {required: true, doc: Label.}",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: missing required key `type` in `models.Part.fields.label`",
            place(&text, "label:")
        )],
    );
}

#[test]
fn unknown_keys_suggest_the_key_meant() {
    let text = broken(&[
        (
            "{type: integer, read_only: true, doc: Id.}",
            "{type: integer, readonly: true, doc: Id.}",
        ),
        ("sandbox: {filter: contains}", "sandbox: {fliter: contains}"),
        ("  one_or_many: true", "  one_or_many: true\n  colour: blue"),
        // `doc` is written already, so `docs` is not taken for it.
        (
            "    doc: Kinds of widgets.",
            "    doc: Kinds of widgets.\n    docs: More.",
        ),
    ]);
    assert_errors(
        &text,
        &[
            format!("{}: unknown key `colour` in `wire`", place(&text, "colour")),
            format!(
                "{}: unknown key `fliter` in `resources.widgets.operations.list.query.name.sandbox` (did you mean `filter`?)",
                place(&text, "fliter")
            ),
            format!(
                "{}: unknown key `readonly` in `models.Widget.fields.id` (did you mean `read_only`?)",
                place(&text, "readonly")
            ),
            format!(
                "{}: unknown key `docs` in `enums.WidgetType`",
                place(&text, "docs: More.")
            ),
        ],
    );
}

#[test]
fn type_names_of_other_languages_suggest_the_spec_name() {
    for (written, meant) in [
        ("int", "integer"),
        ("float", "number"),
        ("double", "number"),
        ("bool", "boolean"),
        ("str", "string"),
        ("text", "string"),
        ("timestamp", "datetime"),
        ("\"array<Part>\"", "list<Part>"),
        ("\"Part[]\"", "list<Part>"),
        ("\"array<int>\"", "list<integer>"),
        ("intger", "integer"),
    ] {
        let text = broken(&[(
            "{type: integer, read_only: true, doc: Id.}",
            &format!("{{type: {written}, read_only: true, doc: Id.}}"),
        )]);
        assert_errors(
            &text,
            &[format!(
                "{}: unknown type `{}` (did you mean `{meant}`?); {TYPES}",
                place_in(&text, &format!("{{type: {written}, read_only"), written),
                written.trim_matches('"')
            )],
        );
    }
}

#[test]
fn a_colon_inside_an_unquoted_value_says_to_quote_it() {
    let text = broken(&[("    doc: A widget.", "    doc: Id: the key")]);
    assert_errors(
        &text,
        &[format!(
            "{}: mapping values are not allowed in this context; quote the value of `doc` (it contains `: `): `doc: \"Id: the key\"`",
            place(&text, ": the key")
        )],
    );
    let text = broken(&[(
        "{type: string, doc: Name.}",
        "{type: string, doc: Id: the key}",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: while parsing a flow mapping, did not find expected ',' or '}}'; quote the value of `doc` (it contains `: `): `doc: \"Id: the key\"`",
            place(&text, ": the key")
        )],
    );
    // On the next line, `Id: the key` is a well-formed mapping where text belongs.
    let text = broken(&[("    doc: A widget.", "    doc:\n      Id: the key")]);
    assert_errors(
        &text,
        &[format!(
            "{}: `models.Widget.doc` must be text, but YAML read `Id: the key` as a mapping; quote the value (it contains `: `)",
            place(&text, "Id: the key")
        )],
    );
}

#[test]
fn a_doc_cut_at_a_comma_in_a_flow_mapping_says_to_quote_it() {
    let text = broken(&[(
        "{type: string, doc: Name.}",
        "{type: string, doc: Name, first and last}",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `first and last` in `models.Widget.fields.name`: it looks like the rest of `doc`, which YAML cut at the comma; quote the value (`doc: \"Name, first and last\"`)",
            place(&text, "first and last")
        )],
    );
    let text = broken(&[(
        "{type: integer, read_only: true, doc: Id.}",
        "{type: integer, doc: Id, Unique, read_only: true}",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `Unique` in `models.Widget.fields.id`: it looks like the rest of `doc`, which YAML cut at the comma; quote the value (`doc: \"Id, Unique\"`)",
            place(&text, "Unique")
        )],
    );
}

/// A field called `value` (also a step of serde's paths through spanned values) once took the
/// unknown keys of the fields after it: they were reported at its line, under its path.
#[test]
fn errors_are_never_blamed_on_a_field_named_value() {
    let text = broken(&[(
        "      name: {type: string, doc: Name.}",
        "      value: {type: string, doc: A value.}\n      name: {type: string, doc: Name., size: 3}\n      later: {type: strng, doc: Later., colour: red}",
    )]);
    assert_errors(
        &text,
        &[
            format!(
                "{}: unknown key `size` in `models.Widget.fields.name`",
                place(&text, "size: 3")
            ),
            format!(
                "{}: unknown type `strng` (did you mean `string`?); {TYPES}",
                place(&text, "strng")
            ),
            format!(
                "{}: unknown key `colour` in `models.Widget.fields.later`",
                place(&text, "colour")
            ),
        ],
    );
}

#[test]
fn vendor_name_must_match_the_file_name() {
    let text = broken(&[("  name: mini", "  name: maxi")]);
    assert_errors(
        &text,
        &[format!(
            "{}: vendor name `maxi` does not match the file name: write `name: mini`, or rename the file to `specs/maxi.yaml`",
            place(&text, "maxi")
        )],
    );
}

/// A paging style that lacks what it needs, or names what another style uses, is refused: a
/// spec must never be accepted and then list only part of a collection.
#[test]
fn paging_styles_state_what_they_need() {
    let text = broken(&[(
        "  style: page_number\n  page_param: page\n",
        "  style: cursor\n  cursor_param: cursor\n",
    )]);
    assert_error(
        &text,
        "style: cursor",
        "paging style `cursor` needs `cursor_path` (a dotted path of the body, e.g. `meta.next_cursor`) or `cursor_field`",
    );
    let text = broken(&[(
        "  page_param: page\n",
        "  page_param: page\n  offset_param: offset\n",
    )]);
    assert_error(
        &text,
        "offset_param: offset",
        "`offset_param` is not used by paging style `page_number`",
    );
    let text = broken(&[(
        "  size_param: per_page\n  default_size: 20\n  max_size: 100\n",
        "",
    )]);
    assert_error(
        &text,
        "style: page_number",
        "paging style `page_number` needs `size_param`",
    );
    let text = broken(&[(
        "  style: page_number\n  page_param: page\n",
        "  style: next_link\n  next_link: d.__next\n  link_header: true\n",
    )]);
    assert_error(&text, "next_link: d.__next", "not both");
    let text = broken(&[(
        "  style: page_number\n  page_param: page\n",
        "  style: cursor\n  cursor_param: cursor\n  cursor_path: meta..next\n",
    )]);
    assert_error(&text, "cursor_path: meta..next", "is not a dotted path");
}

/// Pages at once are for styles that can name later pages, with a total to name them by, and
/// in modest numbers.
#[test]
fn pages_at_once_need_a_style_and_a_total_that_name_later_pages() {
    let text = broken(&[(
        "  page_param: page\n",
        "  page_param: page\n  concurrency: 4\n",
    )]);
    let spec = erp_spec::parse_str("specs/mini.yaml", &text).expect("valid with a total");
    assert_eq!(spec.paging.concurrency(), 4);
    let text = broken(&[
        (
            "  page_param: page\n",
            "  page_param: page\n  concurrency: 4\n",
        ),
        ("    total: \"@total\"\n", ""),
    ]);
    assert_error(
        &text,
        "concurrency: 4",
        "`concurrency` needs the list envelope to report the total",
    );
    let text = broken(&[(
        "  page_param: page\n",
        "  page_param: page\n  concurrency: 0\n",
    )]);
    assert_error(
        &text,
        "concurrency: 0",
        "`concurrency` must be between 1 and 32",
    );
    let text = broken(&[(
        "  style: page_number\n  page_param: page\n",
        "  style: cursor\n  cursor_param: cursor\n  cursor_path: meta.next\n  concurrency: 2\n",
    )]);
    assert_error(
        &text,
        "concurrency: 2",
        "`concurrency` is not used by paging style `cursor`",
    );
}

/// An operation may page differently from its vendor, with the same rules.
#[test]
fn operation_paging_overrides_are_validated() {
    let list = "      list:\n        doc: Lists widgets.\n";
    let text = broken(&[(
        list,
        "      list:\n        doc: Lists widgets.\n        paging: {style: offset_limit, offset_param: skip}\n",
    )]);
    assert_error(
        &text,
        "paging: {style: offset_limit",
        "operation `widgets.list`: paging style `offset_limit` needs `size_param`",
    );
    let text = broken(&[(
        list,
        "      list:\n        doc: Lists widgets.\n        paged: false\n        paging: {style: none}\n",
    )]);
    assert_error(
        &text,
        "      list:",
        "`paged: false` and a `paging` section contradict each other",
    );
}

/// A rate-limit window for the fixture, which has none: `entries` are added to the window as
/// written, `sandbox` (a YAML mapping body, two spaces in) becomes the top-level `sandbox:`.
fn with_window(entries: &str, sandbox: &str) -> String {
    let mut section = format!(
        "rate_limits:\n  - name: minutely\n    remaining_header: X-Remaining\n    window_seconds: 60\n{entries}\n"
    );
    if !sandbox.is_empty() {
        section.push_str(&format!("sandbox:\n{sandbox}\n"));
    }
    broken(&[("errors:\n", &format!("{section}errors:\n"))])
}

#[test]
fn examples_on_a_field_say_they_moved_to_its_sandbox_part() {
    let text = broken(&[(
        "{type: string, doc: Name.}",
        "{type: string, doc: Name., examples: [A, B]}",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `examples` in `models.Widget.fields.name`: `examples` moved to `sandbox: {{examples: [...]}}` (only the sandbox reads it)",
            place(&text, "examples")
        )],
    );
}

#[test]
fn accept_required_in_wire_says_it_moved_to_the_sandbox_section() {
    let text = broken(&[(
        "  one_or_many: true",
        "  one_or_many: true\n  accept_required: true",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `accept_required` in `wire`: `accept_required` moved to the top-level `sandbox: {{accept_required: true}}` (only the sandbox reads it)",
            place(&text, "accept_required")
        )],
    );
}

/// Every key that moved, written where it was, names its new place with the value as written
/// (or its shape, where the value is long or a collection) -- none is accepted silently.
#[test]
fn every_key_that_moved_names_its_new_place() {
    let text = with_window(
        "    quota: 100\n    exceeded_message: Slow down, please.",
        "",
    );
    let text = text
        .replacen(
            "  message: [errors.error]\n",
            "  message: [errors.error]\n  not_found: {status: 404, message: Gone}\n  invalid:\n    status: 422\n    message: Invalid\n",
            1,
        )
        .replacen(
            "      doc: The key.\n",
            "      doc: The key.\n  unauthorized: {status: 401, message: Who?}\n",
            1,
        )
        .replacen(
            "  nested_lists: wrapped\n",
            "  nested_lists: wrapped\n  format_param: format\n",
            1,
        )
        .replacen(
            "  request: resource_root\n",
            "  request: resource_root\n  success_members: {status: OK}\n",
            1,
        )
        .replacen(
            "name: {type: string, doc: Name filter., sandbox: {filter: contains}}",
            "name: {type: string, filter: contains, doc: Name filter.}",
            1,
        );
    let moved = |key: &str, parent: &str, top: &str, to: &str| {
        format!(
            "{}: unknown key `{key}` in `{parent}`: `{key}` moved to {top}`{to}` (only the sandbox reads it)",
            place(&text, &format!("{key}:"))
        )
    };
    let top = "the top-level ";
    assert_errors(
        &text,
        &[
            moved(
                "unauthorized",
                "auth",
                top,
                "sandbox: {errors: {unauthorized: {...}}}",
            ),
            moved(
                "format_param",
                "wire",
                top,
                "sandbox: {format_param: format}",
            ),
            moved(
                "success_members",
                "envelope",
                top,
                "sandbox: {success_members: {...}}",
            ),
            moved(
                "quota",
                "rate_limits[0]",
                top,
                "sandbox: {rate_limits: {minutely: {quota: 100}}}",
            ),
            moved(
                "exceeded_message",
                "rate_limits[0]",
                top,
                "sandbox: {rate_limits: {minutely: {exceeded_message: ...}}}",
            ),
            moved(
                "not_found",
                "errors",
                top,
                "sandbox: {errors: {not_found: {...}}}",
            ),
            moved(
                "invalid",
                "errors",
                top,
                "sandbox: {errors: {invalid: {...}}}",
            ),
            moved(
                "filter",
                "resources.widgets.operations.list.query.name",
                "",
                "sandbox: {filter: contains}",
            ),
        ],
    );

    let text = broken(&[(
        "  scheme: api_key_headers\n  doc: An API key header.\n  headers:\n    - name: X-Api-Key\n      param: api_key\n      doc: The key.\n",
        "  scheme: oauth2\n  doc: OAuth2.\n  oauth2:\n    authorize_url: https://example.com/auth\n    token_url: https://example.com/token\n    access_token_seconds: 60\n",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: unknown key `access_token_seconds` in `auth.oauth2`: `access_token_seconds` moved to the top-level `sandbox: {{oauth2: {{access_token_seconds: 60}}}}` (only the sandbox reads it)",
            place(&text, "access_token_seconds")
        )],
    );
}

#[test]
fn the_sandbox_section_is_checked_like_the_rest() {
    // Misspelt keys inside it are found like any other.
    let text = broken(&[(
        "resources:\n  widgets:",
        "sandbox:\n  acept_required: true\n  errors:\n    not_found: {status: 404, mesage: Gone}\n\nresources:\n  widgets:",
    )]);
    assert_errors(
        &text,
        &[
            format!(
                "{}: unknown key `acept_required` in `sandbox` (did you mean `accept_required`?)",
                place(&text, "acept_required")
            ),
            format!(
                "{}: unknown key `mesage` in `sandbox.errors.not_found` (did you mean `message`?)",
                place(&text, "mesage")
            ),
        ],
    );
    // Values are checked where they are written.
    let text = broken(&[
        (
            "resources:\n  widgets:",
            "sandbox:\n  errors:\n    invalid: {status: 200, message: Fine}\n  oauth2: {access_token_seconds: 0}\n\nresources:\n  widgets:",
        ),
        (
            "          id: {type: integer, doc: Widget id.}\n        response: Widget",
            "          id: {type: integer, doc: Widget id., sandbox: {filter: equals}}\n        response: Widget",
        ),
    ]);
    assert_errors(
        &text,
        &[
            format!(
                "{}: error status 200 must be between 400 and 599",
                place(&text, "200")
            ),
            format!(
                "{}: `sandbox.oauth2` sets up the sandbox's OAuth2 server, but `auth.scheme` is not `oauth2`; remove it",
                place_in(&text, "oauth2: {access", "{access")
            ),
            format!(
                "{}: access_token_seconds must be positive",
                place_in(&text, "access_token_seconds: 0", "0")
            ),
            format!(
                "{}: operation `widgets.get`: path parameter `id` takes no `sandbox` settings (`filter` applies to query parameters)",
                place_in(&text, "sandbox: {filter: equals}", "{filter")
            ),
        ],
    );
}

#[test]
fn sandbox_rate_limits_name_declared_windows() {
    let text = with_window(
        "",
        "  rate_limits:\n    minutly: {quota: 5}\n    minutely: {quota: 0}",
    );
    assert_errors(
        &text,
        &[
            format!(
                "{}: `sandbox.rate_limits` names the window `minutly`, which `rate_limits` does not declare (did you mean `minutely`?)",
                place(&text, "minutly")
            ),
            format!(
                "{}: rate-limit quota must be positive",
                place_in(&text, "quota: 0", "0")
            ),
        ],
    );
    let text = broken(&[(
        "resources:\n  widgets:",
        "sandbox:\n  rate_limits:\n    daily: {quota: 5}\n\nresources:\n  widgets:",
    )]);
    assert_errors(
        &text,
        &[format!(
            "{}: `sandbox.rate_limits` names the window `daily`, but `rate_limits` declares none",
            place(&text, "daily")
        )],
    );
}

/// Auth sections that a scheme cannot use are refused where they are written.
#[test]
fn auth_schemes_take_only_what_they_use() {
    let two_prefixed = broken(&[(
        "    - name: X-Api-Key\n      param: api_key\n      doc: The key.\n",
        "    - name: X-Api-Key\n      param: api_key\n      prefix: \"Token \"\n      doc: The key.\n    - name: X-App\n      param: app\n      doc: The app.\n",
    )]);
    assert_error(
        &two_prefixed,
        "name: X-Api-Key",
        "needs a scheme with exactly one header (`token_header`)",
    );
    let query_without_params =
        broken(&[("  scheme: api_key_headers\n", "  scheme: api_key_query\n")]);
    assert_error(
        &query_without_params,
        "scheme: api_key_query",
        "auth scheme `api_key_query` needs at least one entry in `params`",
    );
    assert_error(
        &query_without_params,
        "scheme: api_key_query",
        "auth scheme `api_key_query` does not use `headers`",
    );
    let bearer_oauth = broken(&[("  scheme: api_key_headers\n", "  scheme: oauth2\n")]);
    assert_error(
        &bearer_oauth,
        "scheme: oauth2",
        "auth scheme `oauth2` needs an `oauth2` section",
    );
}

/// The fixture with its `models` section replaced (`enums` stay as they are).
fn with_models(models: &str) -> String {
    let start = MINI.find("models:\n").expect("models");
    let end = MINI.find("enums:\n").expect("enums");
    format!("{}models:\n{models}\n{}", &MINI[..start], &MINI[end..])
}

/// Asserts that every expected `file:line:column: message` is reported, and nothing else.
fn assert_errors_unordered(text: &str, expected: &[String]) {
    let errors = erp_spec::parse_str("specs/mini.yaml", text).expect_err("spec should be rejected");
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for e in expected {
        assert!(got.contains(e), "missing `{e}` in:\n{errors}");
    }
    assert_eq!(got.len(), expected.len(), "\n{errors}");
}

#[test]
fn declared_realism_is_checked_where_it_is_written() {
    let text = with_models(
        r#"  Widget:
    doc: A widget.
    fields:
      id: {type: integer, read_only: true, doc: Id.}
      name: {type: string, doc: Name., sandbox: {examples: [A, B, C]}}
      type: {type: WidgetType, doc: Kind., sandbox: {examples: [SMALL, LARGE], drawn_with: name}}
      secret_code: {type: string, sensitive: true, doc: A secret., sandbox: {copy: nme}}
      parts: {type: "list<Part>", doc: Parts.}
      price: {type: number, doc: Price., sandbox: {computed: "net * (1 +"}}
      flag: {type: string, doc: Flag., sandbox: {true_if: name}}
      size: {type: string, doc: Size., sandbox: {range: [1, 2]}}
      owner_id: {type: integer, doc: Owner., sandbox: {references: widget}}
      code: {type: string, doc: Code., sandbox: {template: "W-{id|pad:4"}}
      made: {type: datetime, doc: Made., sandbox: {stamp: created}}
      total: {type: number, doc: Total., sandbox: {copy: name, computed: "price * 2"}}
      a: {type: number, doc: A., sandbox: {computed: "b + 1"}}
      b: {type: number, doc: B., sandbox: {computed: "a * 2"}}
  Part:
    doc: A part.
    fields:
      label: {type: string, required: true, doc: Label.}
      main: {type: boolean, doc: The main part., sandbox: {first_only: true}}
      cost: {type: number, doc: Cost., sandbox: {computed: "parent.prise"}}
      owner: {type: string, doc: Owner., sandbox: {copy: label.name}}"#,
    );
    let widget = |field: &str, at: String, message: &str| {
        format!("{at}: model `Widget`: field `{field}`: {message}")
    };
    assert_errors_unordered(
        &text,
        &[
            widget(
                "type",
                place_in(&text, "drawn_with: name", "name"),
                "`drawn_with: name` takes the example at the same position, so both need `examples` lists of the same length (at least 2), but they have 2 and 3",
            ),
            widget(
                "secret_code",
                place(&text, "nme"),
                "`copy` names `nme`, which is not a field of model `Widget` (did you mean `name`?)",
            ),
            widget(
                "price",
                place(&text, "\"net * (1 +\""),
                "`computed` cannot be read: expected a number, a field name or `(` before the end (at character 11)",
            ),
            widget(
                "flag",
                place_in(&text, "true_if: name", "name"),
                "`true_if` applies to boolean fields, not to a `string`",
            ),
            widget(
                "size",
                place(&text, "[1, 2]"),
                "`range` applies to integer, number, decimal, date or datetime fields, not to a `string`",
            ),
            widget(
                "owner_id",
                place_in(&text, "references: widget", "widget"),
                "`references` names `widget`, which is not a resource (did you mean `widgets`?)",
            ),
            widget(
                "code",
                place(&text, "\"W-{id"),
                "`template` cannot be read: `{` is never closed (at character 3)",
            ),
            widget(
                "made",
                place_in(&text, "stamp: created", "created"),
                "`stamp` is the server's own time, so the field must be `read_only`",
            ),
            widget(
                "total",
                place(&text, "\"price * 2\""),
                "declares both `copy` and `computed`, but a value follows one rule",
            ),
            format!(
                "{}: model `Widget`: the sandbox values `a` -> `b` -> `a` follow each other in a circle; one of them needs examples or a type-based value instead",
                place(&text, "\"b + 1\"")
            ),
            format!(
                "{}: model `Part`: field `cost`: `computed` names `prise`, which is not a field of model `Widget` (did you mean `price`?)",
                place(&text, "\"parent.prise\"")
            ),
            format!(
                "{}: model `Part`: field `owner`: `copy: label.name`: `label` neither declares `references` nor is a list of items, so it has no `name`; write `<field>`, `<reference>.<field>`, `parent.<field>` or `<list>.<field>`",
                place(&text, "label.name")
            ),
        ],
    );
}

#[test]
fn declared_realism_reaches_the_ir_typed() {
    use erp_spec::expr::{Expr, Template};
    use erp_spec::ir::{CopyFrom, Derive, Like, Range, Stamp};
    let text = with_models(
        r#"  Widget:
    doc: A widget.
    fields:
      id: {type: integer, read_only: true, doc: Id.}
      name: {type: string, doc: Name., sandbox: {examples: [A, B]}}
      code: {type: string, doc: Code., sandbox: {examples: [a, b], drawn_with: name}}
      name_id: {type: integer, doc: Position., sandbox: {index_of: name}}
      sku: {type: string, read_only: true, doc: SKU., sandbox: {template: "W-{id|pad:4}"}}
      price: {type: number, doc: Price., sandbox: {range: [0.5, 99.95]}}
      gross: {type: number, read_only: true, doc: Gross., sandbox: {computed: "price * 1.21"}}
      born: {type: date, doc: Born., sandbox: {range: [1950-01-01, 2004-12-31]}}
      mail: {type: string, doc: Mail., sandbox: {like: email}}
      rare: {type: boolean, doc: Rare., sandbox: {chance: 0.1}}
      made: {type: datetime, read_only: true, doc: Made., sandbox: {stamp: updated}}
      number: {type: integer, doc: Number., sandbox: {sequence: true}}
      owner_id: {type: integer, doc: Owner., sandbox: {references: widgets}}
      owner_name: {type: string, doc: Owner's name., sandbox: {copy: owner_id.name, only_with: owner_id}}
      first_part: {type: string, doc: First part., sandbox: {copy: parts.label}}
      parts: {type: "list<Part>", doc: Parts.}
  Part:
    doc: A part.
    fields:
      label: {type: string, required: true, doc: Label.}
      main: {type: boolean, doc: The main part., sandbox: {first_only: true}}
      widget: {type: string, doc: Its widget's name., sandbox: {copy: parent.name}}"#,
    );
    let spec = erp_spec::parse_str("specs/mini.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let widget = spec.model("Widget").expect("Widget");
    let part = spec.model("Part").expect("Part");
    let sandbox = |model: &erp_spec::ir::Model, name: &str| {
        model
            .fields
            .iter()
            .find(|f| f.wire_name == name)
            .map(|f| f.sandbox.clone())
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(sandbox(widget, "code").drawn_with.as_deref(), Some("name"));
    assert_eq!(
        sandbox(widget, "name_id").derive,
        Some(Derive::IndexOf("name".into()))
    );
    assert_eq!(
        sandbox(widget, "sku").derive,
        Some(Derive::Template(
            Template::parse("W-{id|pad:4}").expect("template")
        ))
    );
    assert_eq!(
        sandbox(widget, "price").range,
        Some(Range::Number {
            min: 0.5,
            max: 99.95,
            step: 0.01
        })
    );
    assert_eq!(
        sandbox(widget, "gross").derive,
        Some(Derive::Computed(Expr::parse("price * 1.21").expect("expr")))
    );
    assert_eq!(
        sandbox(widget, "born").range,
        Some(Range::Date {
            min: (1950, 1, 1),
            max: (2004, 12, 31)
        })
    );
    assert_eq!(sandbox(widget, "mail").like, Some(Like::Email));
    assert_eq!(sandbox(widget, "rare").chance, Some(0.1));
    assert_eq!(sandbox(widget, "made").stamp, Some(Stamp::Updated));
    assert!(sandbox(widget, "number").sequence);
    assert_eq!(
        sandbox(widget, "owner_id").references.as_deref(),
        Some("widgets")
    );
    let owner_name = sandbox(widget, "owner_name");
    assert_eq!(
        owner_name.derive,
        Some(Derive::Copy(CopyFrom::Referenced {
            reference: "owner_id".into(),
            field: "name".into()
        }))
    );
    assert_eq!(owner_name.only_with.as_deref(), Some("owner_id"));
    assert_eq!(
        sandbox(widget, "first_part").derive,
        Some(Derive::Copy(CopyFrom::FirstItem {
            list: "parts".into(),
            field: "label".into()
        }))
    );
    assert_eq!(sandbox(part, "main").derive, Some(Derive::FirstOnly));
    assert_eq!(
        sandbox(part, "widget").derive,
        Some(Derive::Copy(CopyFrom::Parent("name".into())))
    );
}

#[test]
fn client_conveniences_are_checked_where_written() {
    // `requires` names a base URL variable that does not exist, on a list it cannot guard.
    let text = broken(&[(
        "        response: Widget\n      get:",
        "        response: Widget\n        requires: {base_var: acount, contains: test}\n      get:",
    )]);
    assert_error(
        &text,
        "base_var: acount",
        "`requires.base_var` names `acount`, which is not a base URL variable (did you mean `account`?)",
    );
    assert_error(
        &text,
        "requires: {",
        "`requires` applies to operations that return no list",
    );

    // A link template with a placeholder nobody fills, and a parameter it does not use.
    let text = broken(&[(
        "\nresources:\n",
        "\nlinks:\n  signup:\n    doc: Sign-up page.\n    template: https://example.com/{account}/{customer}\n    params:\n      plan: {type: integer, doc: Plan.}\n\nresources:\n",
    )]);
    assert_error(
        &text,
        "template: https://example.com/{account}/{customer}",
        "template uses `{customer}`, which is neither a base URL variable nor one of its `params`",
    );
    assert_error(
        &text,
        "plan: {type: integer",
        "parameter `plan` is not used in the template",
    );

    // `get_or_create` without a create; a duplicate alias; `fixed_size` next to `size_param`.
    let text = broken(&[
        (
            "    wire_plural: widgets\n",
            "    wire_plural: widgets\n    get_or_create: true\n",
        ),
        (
            "      create:\n        doc: Creates a widget.\n        request: Widget\n        response: Widget\n",
            "",
        ),
        ("  max_size: 100\n", "  max_size: 100\n  fixed_size: 50\n"),
    ]);
    assert_error(
        &text,
        "get_or_create: true",
        "`get_or_create` needs both a `get` and a `create` operation",
    );
    assert_error(
        &text,
        "size_param: per_page",
        "`fixed_size` is for vendors that take no size parameter",
    );

    let text = broken(&[(
        "name: {type: string, doc: Name.}",
        "name: {type: string, aliases: [id], doc: Name.}",
    )]);
    assert_error(
        &text,
        "aliases: [id]",
        "alias `id` is already the wire name or an alias of field `id`",
    );
}

#[test]
fn a_resource_not_found_answer_may_name_only_path_parameters() {
    let spreedly = include_str!("../../../specs/spreedly.yaml");
    let from = r#"message: "Unable to find invoice \"{token}\"""#;
    assert_eq!(
        spreedly.matches(from).count(),
        1,
        "the Spreedly spec changed"
    );
    let text = spreedly.replacen(from, r#"message: "Unable to find invoice \"{tokn}\"""#, 1);
    let errors = erp_spec::parse_str("specs/spreedly.yaml", &text).expect_err("rejected");
    let line = line_of(&text, "Unable to find invoice");
    assert!(
        errors.iter().any(|e| e.line == line
            && e.message.contains(
                "resource `invoices`: `not_found` has no record to read `{tokn}` from; it may name a path parameter (`{token}`)"
            )),
        "{errors}"
    );
}

#[test]
fn idempotency_keys_are_checked_where_they_are_written() {
    // A vendor-wide key goes to the writes that are not idempotent only.
    let text = broken(&[(
        "  nested_lists: wrapped\n",
        "  nested_lists: wrapped\n  idempotency_key: {header: Idempotency-Key}\n",
    )]);
    let spec = erp_spec::parse_str("specs/mini.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let widgets = spec.resource("widgets").expect("widgets");
    let header = |name: &str| {
        widgets
            .operations
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.idempotency_key.clone())
    };
    assert_eq!(header("create").as_deref(), Some("Idempotency-Key"));
    assert_eq!(header("get"), None, "a GET needs no key");

    let text = broken(&[(
        "  nested_lists: wrapped\n",
        "  nested_lists: wrapped\n  idempotency_key: {header: \"Idem Key\"}\n",
    )]);
    assert_error(
        &text,
        "idempotency_key: {header:",
        "`Idem Key` is not a valid HTTP header name",
    );
    let text = broken(&[(
        "        doc: Gets one widget.",
        "        doc: Gets one widget.\n        idempotency_key: {header: Idempotency-Key}",
    )]);
    assert_error(
        &text,
        "idempotency_key: {header: Idempotency-Key}",
        "`idempotency_key` applies to operations that are not idempotent",
    );
    let text = broken(&[(
        "        doc: Creates a widget.",
        "        doc: Creates a widget.\n        headers: {Idempotency-Key: fixed}\n        idempotency_key: {header: Idempotency-Key}",
    )]);
    assert_error(
        &text,
        "idempotency_key: {header: Idempotency-Key}",
        "cannot also be one of the fixed `headers`",
    );
}

//! Each rule of the adapter, through plain derives as the generator writes them.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;
use crate::Secret;

crate::wire_enum! {
    /// Test enum.
    pub enum Salutation {
        /// Mr.
        Mr = "Mijnh.",
        /// Mrs.
        Mrs = "Mevr.",
    }
}

/// A model as the generator writes it: plain derives, a container default, an `extra` map.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct Item {
    id: Option<i64>,
    price: Option<f64>,
    active: Option<bool>,
    name: Option<String>,
    day: Option<NaiveDate>,
    at: Option<DateTime<FixedOffset>>,
    amount: Option<rust_decimal::Decimal>,
    guid: Option<uuid::Uuid>,
    blob: Option<crate::Base64>,
    salutation: Option<Salutation>,
    iban: Option<Secret>,
    data: Option<Value>,
    tags: Vec<String>,
    #[serde(rename = "child-items")]
    children: Vec<Item>,
    parent: Option<Box<Item>>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// A model with required fields (no container default).
#[derive(Debug, Deserialize, PartialEq)]
struct Strict {
    label: String,
    count: i64,
    kind: Salutation,
    #[serde(default)]
    note: Option<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

const PLAIN: Leniency = Leniency {
    nested_lists: NestedLists::Plain,
};
const WRAPPED: Leniency = Leniency {
    nested_lists: NestedLists::Wrapped,
};

/// Decodes `value` both ways the adapter reads input: from the tree and straight from its JSON
/// text. Every rule must give the same result, or the same error at the same path, on both.
fn both<T: DeserializeOwned + PartialEq + fmt::Debug>(
    value: &Value,
    leniency: Leniency,
) -> Result<T, DecodeError> {
    let tree = from_value::<T>(value, leniency);
    let text = from_str::<T>(&value.to_string(), leniency);
    assert_eq!(tree, text, "tree and text disagree on {value}");
    tree
}

fn item(value: Value) -> Item {
    both(&value, WRAPPED).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn item_err(value: Value) -> DecodeError {
    match both::<Item>(&value, WRAPPED) {
        Ok(item) => panic!("{value} decoded as {item:?}"),
        Err(e) => e,
    }
}

#[test]
fn integers_from_numbers_and_strings() {
    for v in [
        json!(12),
        json!("12"),
        json!(" 12 "),
        json!(12.0),
        json!("12.0"),
    ] {
        assert_eq!(item(json!({ "id": v })).id, Some(12), "{v}");
    }
    let err = item_err(json!({"id": "twelve"}));
    assert_eq!(err.path(), "id");
    assert!(
        err.message().contains("expected an integer") && err.message().contains("twelve"),
        "{err}"
    );
    assert_eq!(item_err(json!({"id": 12.5})).path(), "id");
    assert_eq!(item_err(json!({"id": true})).path(), "id");
}

#[test]
fn narrow_integers_are_range_checked() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Small {
        n: u8,
    }
    let ok: Small = both(&json!({"n": "200"}), PLAIN).unwrap();
    assert_eq!(ok.n, 200);
    let err = both::<Small>(&json!({"n": "300"}), PLAIN).unwrap_err();
    assert_eq!(err.path(), "n");
    let err = both::<Small>(&json!({"n": -1}), PLAIN).unwrap_err();
    assert_eq!(err.path(), "n");
}

#[test]
fn floats_from_numbers_and_strings() {
    assert_eq!(item(json!({"price": "14.28"})).price, Some(14.28));
    assert_eq!(item(json!({"price": 3})).price, Some(3.0));
    assert_eq!(item(json!({"price": "12,5"})).price, Some(12.5));
    let err = item_err(json!({"price": "1,234"}));
    assert!(err.message().contains("expected a number"), "{err}");
}

#[test]
fn booleans_from_numbers_and_strings() {
    for (v, b) in [
        (json!("1"), true),
        (json!("0"), false),
        (json!("true"), true),
        (json!("FALSE"), false),
        (json!(1), true),
        (json!(0), false),
        (json!(true), true),
    ] {
        assert_eq!(item(json!({ "active": v })).active, Some(b), "{v}");
    }
    let err = item_err(json!({"active": "maybe"}));
    assert_eq!(err.path(), "active");
    assert!(err.message().contains("expected a boolean"), "{err}");
    assert!(item_err(json!({"active": 2})).message().contains("boolean"));
}

#[test]
fn empty_and_null_are_none_for_every_optional_type() {
    for empty in [json!(""), json!(null)] {
        let all = json!({
            "id": empty, "price": empty, "active": empty, "name": empty, "day": empty,
            "at": empty, "amount": empty, "guid": empty, "blob": empty, "salutation": empty,
            "iban": empty, "data": empty, "parent": empty, "tags": empty, "child-items": empty,
        });
        let decoded = item(all);
        assert_eq!(
            decoded,
            Item::default(),
            "{empty} is `None` (or no items) everywhere"
        );
    }
    assert_eq!(
        item(json!({})),
        Item::default(),
        "a missing member is `None`"
    );
}

#[test]
fn required_values_refuse_empty_and_null() {
    let ok: Strict = both(&json!({"label": "L", "count": "3", "kind": "Mevr."}), PLAIN).unwrap();
    assert_eq!(
        (ok.label.as_str(), ok.count, ok.kind),
        ("L", 3, Salutation::Mrs)
    );
    for field in ["label", "count", "kind"] {
        for empty in [json!(""), json!(null)] {
            let mut body = json!({"label": "L", "count": "3", "kind": "Mevr."});
            body[field] = empty.clone();
            let err = both::<Strict>(&body, PLAIN).unwrap_err();
            assert_eq!(err.path(), field, "{empty}");
            assert_eq!(err.message(), "required value is empty");
        }
    }
    let err = both::<Strict>(&json!({"label": "L", "count": 1}), PLAIN).unwrap_err();
    assert!(err.message().contains("missing field `kind`"), "{err}");
}

#[test]
fn strings_take_numbers_and_booleans_as_text() {
    assert_eq!(item(json!({"name": 12})).name.as_deref(), Some("12"));
    assert_eq!(item(json!({"name": 1.5})).name.as_deref(), Some("1.5"));
    assert_eq!(item(json!({"name": true})).name.as_deref(), Some("true"));
    assert_eq!(
        item(json!({"name": " spaced "})).name.as_deref(),
        Some(" spaced "),
        "strings are kept as sent"
    );
    let err = item_err(json!({"name": {"first": "Ann"}}));
    assert_eq!(
        (err.path().as_str(), err.message()),
        ("name", "expected a string, found an object")
    );
    assert_eq!(
        item_err(json!({"name": ["a"]})).message(),
        "expected a string, found a list"
    );
}

#[test]
fn secrets_are_never_echoed_in_errors() {
    let iban = "DE02120300000000202051";
    for bad in [json!({ "value": iban }), json!([iban])] {
        let err = item_err(json!({ "iban": bad }));
        assert_eq!(err.path(), "iban");
        assert!(!err.to_string().contains(iban), "{err}");
    }
    let ok = item(json!({"iban": iban})).iban.unwrap();
    assert_eq!(ok.expose(), iban);
}

#[test]
fn enums_keep_unknown_values_and_take_numbers_as_text() {
    assert_eq!(
        item(json!({"salutation": "Mijnh."})).salutation,
        Some(Salutation::Mr)
    );
    assert_eq!(
        item(json!({"salutation": "Dr."})).salutation,
        Some(Salutation::Unknown("Dr.".into()))
    );
    assert_eq!(
        item(json!({"salutation": 3})).salutation,
        Some(Salutation::Unknown("3".into()))
    );
    assert_eq!(
        item_err(json!({"salutation": {"x": 1}})).path(),
        "salutation"
    );
    assert_eq!(Salutation::KNOWN.len(), 2);
}

#[test]
fn lists_accept_every_vendor_shape() {
    let tags = |v: Value| item(json!({ "tags": v })).tags;
    assert_eq!(tags(json!(["a", "b"])), ["a", "b"]);
    assert_eq!(tags(json!("a")), ["a"], "one value is a list of one");
    assert_eq!(tags(json!(7)), ["7"]);
    assert!(tags(json!("")).is_empty());
    assert!(tags(json!(null)).is_empty());
    assert_eq!(
        tags(json!(["a", "", null, "b"])),
        ["a", "b"],
        "empty items are no items"
    );
    assert_eq!(tags(json!({"tag": ["a", "b"]})), ["a", "b"], "wrapped");
    // A wrapper holds a list, an item or nothing; around a bare scalar the object is an item.
    let err = item_err(json!({"tags": {"tag": "a"}}));
    assert_eq!(
        (err.path().as_str(), err.message()),
        ("tags[0]", "expected a string, found an object")
    );
}

#[test]
fn wrapped_lists_of_models() {
    let children = |v: Value| item(json!({ "child-items": v })).children;
    assert_eq!(children(json!({"id": "1"}))[0].id, Some(1), "one object");
    assert_eq!(children(json!({"child": {"id": "1"}}))[0].id, Some(1));
    let many = children(json!({"child": [{"id": "1"}, {"id": "2"}], "@total": "2"}));
    assert_eq!(
        many.iter().map(|c| c.id).collect::<Vec<_>>(),
        [Some(1), Some(2)]
    );
    assert!(children(json!({"@total": "0"})).is_empty(), "metadata only");
    assert!(
        children(json!({"child": ""})).is_empty(),
        "a wrapper around \"\" is an empty list"
    );
    assert!(children(json!({"child": null})).is_empty());
    // Two data members: an item, not a wrapper.
    let two = children(json!({"id": "5", "name": "x"}));
    assert_eq!((two.len(), two[0].id), (1, Some(5)));
}

#[test]
fn plain_lists_never_unwrap_an_item_that_has_one_member() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Category {
        #[serde(default)]
        id: Option<i64>,
        #[serde(default)]
        children: Vec<Category>,
    }
    // One category sent as an object: it is one item, not a wrapper around its children.
    let one: Category = both(
        &json!({"children": {"children": [{"id": 2}, {"id": 3}]}}),
        PLAIN,
    )
    .unwrap();
    assert_eq!(one.id, None);
    assert_eq!(one.children.len(), 1);
    assert_eq!(one.children[0].children.len(), 2);
    // The same body under `wrapped` is a wrapper around two categories.
    let wrapped: Category = both(
        &json!({"children": {"children": [{"id": 2}, {"id": 3}]}}),
        WRAPPED,
    )
    .unwrap();
    assert_eq!(wrapped.children.len(), 2);
}

#[test]
fn errors_name_the_path_through_lists_and_models() {
    let err = item_err(json!({"child-items": {"child": [{"id": "1"}, {"id": "x"}]}}));
    assert_eq!(err.path(), "child-items[1].id");
    assert_eq!(
        err.to_string(),
        "at `child-items[1].id`: expected an integer, found \"x\""
    );
    let err = item_err(json!({"parent": {"child-items": [{"day": "soon"}]}}));
    assert_eq!(err.path(), "parent.child-items[0].day");
    let err = item_err(json!({"tags": ["a", {"b": 1}]}));
    assert_eq!(err.path(), "tags[1]");
    let err = item_err(json!("not an object"));
    assert_eq!(err.path(), ".");
    assert!(err.to_string().starts_with("invalid type"), "{err}");
}

#[test]
fn dates_in_every_known_form() {
    let day = |v: Value| item(json!({ "day": v })).day;
    let feb29 = NaiveDate::from_ymd_opt(2024, 2, 29);
    assert_eq!(day(json!("2024-02-29")), feb29);
    assert_eq!(day(json!(" 2024-02-29 ")), feb29);
    assert_eq!(day(json!("2024-02-29T10:00:00+01:00")), feb29);
    assert_eq!(day(json!("2024-02-29 10:00:00")), feb29);
    assert_eq!(day(json!("/Date(1709164800000)/")), feb29);
    // The canonical form goes to the type as sent; a day that does not exist in that form
    // still gets the rule's own message.
    assert_eq!(
        day(json!("0999-12-31")),
        NaiveDate::from_ymd_opt(999, 12, 31)
    );
    let err = item_err(json!({"day": "2023-02-29"}));
    assert!(err.message().contains("expected a date"), "{err}");
    let err = item_err(json!({"day": "2023-1a-01"}));
    assert!(err.message().contains("expected a date"), "{err}");
    let err = item_err(json!({"day": "tomorrow"}));
    assert_eq!(err.path(), "day");
    assert!(err.message().contains("expected a date"), "{err}");
    assert!(
        item_err(json!({"day": 20240229}))
            .message()
            .contains("date")
    );
}

#[test]
fn datetimes_in_every_known_form() {
    let at = |v: Value| item(json!({ "at": v })).at.unwrap().to_rfc3339();
    assert_eq!(
        at(json!("2020-05-15T14:31:37+02:00")),
        "2020-05-15T14:31:37+02:00",
        "the offset is kept"
    );
    assert_eq!(
        at(json!("2020-05-15T14:31:37.250Z")),
        "2020-05-15T14:31:37.250+00:00"
    );
    assert_eq!(
        at(json!("2024-01-02 10:00:00")),
        "2024-01-02T10:00:00+00:00",
        "no offset means UTC"
    );
    assert_eq!(
        at(json!("2024-01-02T10:00:00.5")),
        "2024-01-02T10:00:00.500+00:00"
    );
    assert_eq!(at(json!("2024-01-02")), "2024-01-02T00:00:00+00:00");
    assert_eq!(
        item(json!({"at": "/Date(1382667872203)/"}))
            .at
            .unwrap()
            .timestamp_millis(),
        1382667872203
    );
    assert_eq!(
        item(json!({"at": "/Date(1382667872203+0100)/"}))
            .at
            .unwrap()
            .timestamp_millis(),
        1382667872203
    );
    let err = item_err(json!({"at": "yesterday"}));
    assert_eq!(err.path(), "at");
    assert!(err.message().contains("date-time"), "{err}");
}

#[test]
fn decimals_keep_their_digits() {
    let amount = |v: Value| item(json!({ "amount": v })).amount.unwrap().to_string();
    assert_eq!(amount(json!("12.10")), "12.10", "the scale is kept");
    assert_eq!(amount(json!(0.1)), "0.1");
    assert_eq!(amount(json!(42)), "42");
    assert_eq!(amount(json!(" 3.5 ")), "3.5");
    assert_eq!(amount(json!("12,5")), "12.5");
    assert_eq!(amount(json!("1e3")), "1000");
    let err = item_err(json!({"amount": "1,234"}));
    assert_eq!(err.path(), "amount");
    assert!(err.message().contains("expected a decimal"), "{err}");
}

#[test]
fn guids_plain_and_odata() {
    let g = "5f9f5ad5-4f2f-4d7c-8c7a-3b6cf2b1e3c4";
    let guid = |v: Value| item(json!({ "guid": v })).guid.unwrap().to_string();
    assert_eq!(guid(json!(g)), g);
    assert_eq!(guid(json!(format!("guid'{g}'"))), g);
    assert_eq!(guid(json!(g.to_uppercase())), g);
    let err = item_err(json!({"guid": "guid'nope'"}));
    assert_eq!(err.path(), "guid");
    assert!(err.message().contains("expected a GUID"), "{err}");
}

#[test]
fn base64_from_strings_only() {
    assert_eq!(item(json!({"blob": "Zm9v"})).blob.unwrap().0, b"foo");
    assert_eq!(item(json!({"blob": " Zm9v\n"})).blob.unwrap().0, b"foo");
    let err = item_err(json!({"blob": "***"}));
    assert_eq!(err.path(), "blob");
    assert!(err.message().contains("base64"), "{err}");
    assert!(item_err(json!({"blob": 12})).message().contains("base64"));
}

#[test]
fn free_form_values_and_unknown_members_are_kept_verbatim() {
    let decoded = item(json!({
        "data": {"list": [1, "", null], "n": "12"},
        "brand_new": "",
        "other": [null, {"x": "1"}],
    }));
    assert_eq!(
        decoded.data,
        Some(json!({"list": [1, "", null], "n": "12"}))
    );
    assert_eq!(decoded.extra["brand_new"], json!(""));
    assert_eq!(decoded.extra["other"], json!([null, {"x": "1"}]));
    assert!(!decoded.extra.contains_key("data"));
}

#[test]
fn the_foreign_types_are_recognised() {
    // The table is read from the real types: all four must be found and be distinct, or the
    // lenient forms of dates, decimals and GUIDs would silently stop working.
    let texts = [
        expectation_of::<DateTime<FixedOffset>>(),
        expectation_of::<NaiveDate>(),
        expectation_of::<rust_decimal::Decimal>(),
        expectation_of::<uuid::Uuid>(),
    ];
    let found: std::collections::BTreeSet<_> = texts.iter().flatten().collect();
    assert_eq!(found.len(), 4, "{texts:?}");
    // Other types' descriptions are not taken for them.
    assert_eq!(expectation_of::<String>().as_deref(), Some("a string"));
    assert_eq!(Parsed::of(&"a string"), None);
}

#[test]
fn models_alone_are_strict() {
    // The dialect lives in the adapter: plain serde_json does not read Billomat's strings.
    assert!(serde_json::from_value::<Item>(json!({"id": "12"})).is_err());
    assert_eq!(
        serde_json::from_value::<Item>(json!({"id": 12}))
            .unwrap()
            .id,
        Some(12)
    );
}

#[test]
fn escaped_keys_match_fields_and_name_error_paths() {
    // Read straight from the text, an escaped key has no borrowed text: it is decoded first.
    let decoded: Item = from_str(r#"{"n\u0061me": "x", "\u0069d": "7"}"#, WRAPPED).unwrap();
    assert_eq!((decoded.name.as_deref(), decoded.id), (Some("x"), Some(7)));
    let err = from_str::<Item>(r#"{"child-items": [{"\u0069d": "x"}]}"#, WRAPPED).unwrap_err();
    assert_eq!(err.path(), "child-items[0].id");
    let err = from_str::<Item>(r#"{"tags": {"t\u0061g": ["a", {}]}}"#, WRAPPED).unwrap_err();
    assert_eq!(err.path(), "tags[1]");
}

#[test]
fn errors_read_from_text_carry_no_text_position() {
    let err = from_str::<Item>("{\n  \"id\": \"twelve\"\n}", WRAPPED).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at `id`: expected an integer, found \"twelve\""
    );
    let err = from_str::<Item>(r#"{"id": 1} trailing"#, WRAPPED).unwrap_err();
    assert!(err.message().contains("trailing characters"), "{err}");
    assert!(from_slice::<Item>(b"{\"name\": \"\xff\"}", WRAPPED).is_err());
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    let depth = 100_000;
    let nested = |open: &str, close: &str, inner: &str| {
        format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
    };
    // Free-form members, nested models and unknown members alike hit serde_json's limit.
    for text in [
        format!(r#"{{"data": {}}}"#, nested("[", "]", "1")),
        nested(r#"{"parent": "#, "}", "{}"),
        nested(r#"{"child-items": "#, "}", "{}"),
        format!(r#"{{"brand_new": {}}}"#, nested(r#"{"a": "#, "}", "1")),
    ] {
        let err = from_str::<Item>(&text, WRAPPED).unwrap_err();
        assert!(err.message().contains("recursion limit"), "{err}");
    }
    // A list of strings refuses the first nested list it meets.
    let text = format!(r#"{{"tags": {}}}"#, nested("[", "]", "1"));
    assert!(from_str::<Item>(&text, WRAPPED).is_err());
}

#[test]
fn a_model_with_an_extra_map_keeps_unknown_members_from_text() {
    let text = r#"{"zeta": {"deep": [1, "2"]}, "id": "4", "alpha": "", "name": "n"}"#;
    let decoded: Strict = from_str(
        r#"{"label": "L", "zz": [1], "count": "2", "kind": "Dr.", "aa": null}"#,
        PLAIN,
    )
    .unwrap();
    assert_eq!(decoded.kind, Salutation::Unknown("Dr.".into()));
    assert_eq!(decoded.extra["zz"], json!([1]));
    assert_eq!(decoded.extra["aa"], json!(null));
    let decoded: Item = from_str(text, WRAPPED).unwrap();
    assert_eq!((decoded.id, decoded.name.as_deref()), (Some(4), Some("n")));
    assert_eq!(decoded.extra.len(), 2);
    assert_eq!(decoded.extra["zeta"], json!({"deep": [1, "2"]}));
    assert_eq!(decoded.extra["alpha"], json!(""));
}

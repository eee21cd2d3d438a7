//! `docs/canonical-model.md` is generated from the schemas; this test keeps it current.
//! `CINLINT_UPDATE=1 cargo test -p cinlint_model` rewrites it.

use cinlint_model::schema::{raw_name, TABLES};

fn render() -> String {
    let mut out = String::from(
        "# The canonical model\n\nGenerated from `crates/cinlint_model/src/schema.rs` by `cargo test -p cinlint_model` \
         (`CINLINT_UPDATE=1` rewrites it). One table per census module; rows keep document order.\n\n\
         Every table has `_row` (position in the table); child tables have `child_key` (position of the child in \
         the input; join children on it) and `LAchildID`. Episode tables carry `CINdetailsID` (1, 2, … within the \
         child), assessment tables `AssessmentID`, plan tables `CPPID` (within the episode). Each date, flag or \
         number `X` has `X_raw`: the text as written when it did not parse (then `X` is NULL).\n",
    );
    for table in TABLES {
        out.push_str(&format!("\n## `{}` — one row per `<{}>`\n\n| column | type |\n|---|---|\n", table.name, table.element));
        let schema = table.arrow_schema();
        for field in schema.fields() {
            if field.name().ends_with("_raw") {
                continue;
            }
            let has_raw = schema.field_with_name(&raw_name(field.name())).is_ok();
            out.push_str(&format!(
                "| `{}` | {}{} |\n",
                field.name(),
                field.data_type(),
                if has_raw { " (+ `_raw`)" } else { "" }
            ));
        }
    }
    out
}

#[test]
fn canonical_model_doc_is_current() {
    let path = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../../docs/canonical-model.md");
    let expected = render();
    if std::env::var("CINLINT_UPDATE").is_ok() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(actual == expected, "docs/canonical-model.md is out of date: run CINLINT_UPDATE=1 cargo test -p cinlint_model");
}
